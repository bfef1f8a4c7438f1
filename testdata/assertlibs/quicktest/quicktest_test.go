// Package quicktest: failing quicktest checks.
package quicktest

import (
	"testing"

	qt "github.com/frankban/quicktest"

	"example.com/leakgate/assertlibs/fixture"
)

func TestAssertEquals(t *testing.T) {
	fixture.Require(t)
	c := qt.New(t)
	c.Assert(1, qt.Equals, 2)
}

func TestCheckComment(t *testing.T) {
	fixture.Require(t)
	c := qt.New(t)
	c.Check("a", qt.Equals, "b", qt.Commentf("name of user %d", 42))
}
