// Package ownloop leaks on every run, in the test that checks: a goroutine
// started by the test itself that sleeps in a loop forever.
package ownloop

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestLoops(t *testing.T) {
	defer goleak.VerifyNone(t)
	go func() {
		for {
			time.Sleep(5 * time.Millisecond)
		}
	}()
}
