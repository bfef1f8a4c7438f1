// Package mainloop leaks on every run at package level: a test starts a
// goroutine that sleeps in a loop, and goleak.VerifyTestMain reports it after
// all tests. A rerun that runs no test (`-run ^$`, what gotestsum
// --rerun-fails does for a package-level failure) would not see it.
package mainloop

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestStartsLoop(t *testing.T) {
	go func() {
		for {
			time.Sleep(5 * time.Millisecond)
		}
	}()
}
