module example.com/leakgate/gobroken

go 1.22
