module example.com/leakgate/dumpbench

go 1.26.8
