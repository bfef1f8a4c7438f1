//go:build integration

package tagged

import (
	"testing"
	"time"

	"example.com/leakgate/retry/marker"
	"go.uber.org/goleak"
)

// TestIntegrationLeaksOnce leaks only on the first run (marker file tagged
// in $LEAKGATE_RETRY_MARKERS), in state sleep.
func TestIntegrationLeaksOnce(t *testing.T) {
	defer goleak.VerifyNone(t)
	if marker.FirstRun("tagged") {
		marker.SlowShutdown(1500 * time.Millisecond)
	}
}
