// Package nilpanic: a nil pointer dereference in a test.
package nilpanic

import (
	"testing"

	"example.com/leakgate/assertlibs/fixture"
)

type config struct{ name string }

func load() *config { return nil }

func TestNilDeref(t *testing.T) {
	fixture.Require(t)
	c := load()
	t.Logf("loaded %s", c.name)
}
