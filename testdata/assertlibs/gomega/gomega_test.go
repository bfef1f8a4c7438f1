// Package gomega: failing Gomega matchers through NewWithT.
package gomega

import (
	"testing"

	. "github.com/onsi/gomega"

	"example.com/leakgate/assertlibs/fixture"
)

func TestEqual(t *testing.T) {
	fixture.Require(t)
	g := NewWithT(t)
	g.Expect(1).To(Equal(2))
}

func TestHaveLen(t *testing.T) {
	fixture.Require(t)
	g := NewWithT(t)
	g.Expect([]string{"a"}).To(HaveLen(2), "two hooks should have run")
}
