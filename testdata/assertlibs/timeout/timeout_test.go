// Package timeout: a test that blocks until go test's -timeout ends the binary.
package timeout

import (
	"testing"
	"time"

	"example.com/leakgate/assertlibs/fixture"
)

func TestBlocks(t *testing.T) {
	fixture.Require(t)
	if d, ok := t.Deadline(); !ok || time.Until(d) > time.Minute {
		t.Skip("run with -timeout 2s")
	}
	wait := make(chan struct{})
	<-wait
}
