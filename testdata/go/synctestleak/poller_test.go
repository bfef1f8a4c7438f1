package synctestleak

import (
	"testing"
	"testing/synctest"
	"time"
)

func TestFakeClockOK(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		if got := Sleepy(time.Hour); got != time.Hour {
			t.Fatalf("slept %v, want 1h", got)
		}
	})
}

func TestBubbleLeak(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := StartPoller()
		p.Updates <- 1
		// Returns without closing p.Updates: the poller is left blocked.
	})
}

// Never runs: the deadlock panic above ends the test binary.
func TestAfterPanic(t *testing.T) {}
