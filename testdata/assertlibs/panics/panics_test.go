// Package panics: a test that panics with a value of its own.
package panics

import (
	"testing"

	"example.com/leakgate/assertlibs/fixture"
)

func TestPanicValue(t *testing.T) {
	fixture.Require(t)
	state := 3
	if state != 2 {
		panic("unreachable state: 3")
	}
}
