package crosstest

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestFirst(t *testing.T) {}

// TestStartsPoller forgets to Stop its poller and does not check for leaks.
func TestStartsPoller(t *testing.T) {
	p := StartPoller(5 * time.Millisecond)
	_ = p
}

// TestChecks starts nothing; goleak reports TestStartsPoller's poller here.
func TestChecks(t *testing.T) {
	defer goleak.VerifyNone(t)
}

// TestAfter runs after the report (a rerun need not run it).
func TestAfter(t *testing.T) {}
