package timeout

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestLeaks(t *testing.T) {
	defer goleak.VerifyNone(t)
	StartLeak()
}

// TestBlocksForever blocks until -timeout kills the binary. It only runs
// with a short -timeout (at most a minute), and skips otherwise.
func TestBlocksForever(t *testing.T) {
	if deadline, ok := t.Deadline(); !ok || time.Until(deadline) > time.Minute {
		t.Skip("blocks until the test binary times out; run with e.g. -timeout 5s")
	}
	<-make(chan struct{}) // blocks forever
}

// Never runs: the timeout ends the binary.
func TestAfter(t *testing.T) {}
