// Package ownflaky leaks only on the first run, in the test that checks:
// TestLeaksOnce starts a goroutine that ends 1.5s later when the marker file
// ownflaky in $LEAKGATE_RETRY_MARKERS is missing.
package ownflaky

import (
	"testing"
	"time"

	"example.com/leakgate/retry/marker"
	"go.uber.org/goleak"
)

func TestBefore(t *testing.T) {}

func TestLeaksOnce(t *testing.T) {
	defer goleak.VerifyNone(t)
	if marker.FirstRun("ownflaky") {
		marker.SlowShutdown(1500 * time.Millisecond)
	}
}
