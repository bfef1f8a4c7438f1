package flaky

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestLeakOnFirstAttempt leaks (a goroutine sleeping for 1.5s, longer than
// goleak's ~0.45s of retries) only when LEAKGATE_FLAKY_MARKER names a file
// that does not exist yet; it creates the file, so a rerun passes.
func TestLeakOnFirstAttempt(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	if FirstAttempt("LEAKGATE_FLAKY_MARKER") {
		SlowShutdown(1500 * time.Millisecond)
	}
}

// TestSleepLoopLeak leaks every time: the poller only ever sleeps for a few
// milliseconds at a time, but it never stops.
func TestSleepLoopLeak(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	StartPoller(5 * time.Millisecond)
}

// TestMixedReport's single report lists a goroutine blocked forever on a
// receive and one that would have finished a little later.
func TestMixedReport(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	WaitForever()
	SlowShutdown(1500 * time.Millisecond)
}
