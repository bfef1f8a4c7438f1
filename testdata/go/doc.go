// Package fixtures is the root of a Go module whose packages leak goroutines
// on purpose. leakgate's test fixtures (tests/fixtures/) are captured from
// `go test` runs of these packages by scripts/regen-fixtures.sh.
//
// Every leak is intentional: do not "fix" it. Each package has a non-test
// file with the code that starts the goroutine (so the `created by` line of
// the report points into the package's own source) and a _test.go file that
// triggers it and checks it with go.uber.org/goleak.
package fixtures
