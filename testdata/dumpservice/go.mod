module example.com/leakgate/dumpservice

go 1.26.8
