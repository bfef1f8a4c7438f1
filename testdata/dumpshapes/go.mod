module example.com/dumpshapes

go 1.26
