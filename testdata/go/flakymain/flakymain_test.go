package flakymain

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestWarmCache(t *testing.T) {
	if FirstAttempt("LEAKGATE_FLAKY_MAIN_MARKER") {
		// Outlives goleak's ~0.45s of retries after the tests ran.
		WarmCache(1500 * time.Millisecond)
	}
}

func TestOther(t *testing.T) {}
