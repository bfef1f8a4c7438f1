// Package broken does not compile: a type error in its test file, so
// `go test` reports a build failure.
package broken

import "testing"

func TestNeverRuns(t *testing.T) {
	var n int = "not a number"
	_ = n
}
