// Package parallel leaks on every run, reported by a parallel test that
// started before the one that leaks: TestSlowCheck (t.Parallel) checks after
// 300ms; TestStartsLoop, after it in the file and parallel too, starts a
// loop through a helper and ends at once. Rerunning the tests up to
// TestSlowCheck would not run TestStartsLoop.
package parallel

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

func startLoop() {
	go func() {
		for {
			time.Sleep(5 * time.Millisecond)
		}
	}()
}

func TestSlowCheck(t *testing.T) {
	t.Parallel()
	defer goleak.VerifyNone(t)
	time.Sleep(300 * time.Millisecond)
}

func TestStartsLoop(t *testing.T) {
	t.Parallel()
	startLoop()
}
