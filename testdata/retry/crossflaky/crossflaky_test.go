// Package crossflaky leaks only on the first run (the marker file
// crossflaky in $LEAKGATE_RETRY_MARKERS): TestShutsDownSlowly leaves a goroutine that ends
// 1.5s later, and TestChecks, the next test, reports it. A rerun of both
// passes: a real flake, reported by a later test than the one that started it.
package crossflaky

import (
	"testing"
	"time"

	"example.com/leakgate/retry/marker"
	"go.uber.org/goleak"
)

func TestShutsDownSlowly(t *testing.T) {
	if marker.FirstRun("crossflaky") {
		marker.SlowShutdown(1500 * time.Millisecond)
	}
}

func TestChecks(t *testing.T) {
	defer goleak.VerifyNone(t)
}
