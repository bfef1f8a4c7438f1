module example.com/leakgate/assertlibs

go 1.26.8

require (
	github.com/frankban/quicktest v1.14.6
	github.com/google/go-cmp v0.7.0
	github.com/onsi/gomega v1.44.0
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/kr/pretty v0.3.1 // indirect
	github.com/kr/text v0.2.0 // indirect
	github.com/rogpeppe/go-internal v1.9.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/net v0.56.0 // indirect
	golang.org/x/text v0.38.0 // indirect
)
