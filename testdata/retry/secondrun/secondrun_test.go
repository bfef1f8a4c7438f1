// Package secondrun leaks on every `go test -count=2`, in the second run of
// its test only: a rerun with -count=1 would never see it.
package secondrun

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

var runs int

func TestLeaksOnSecondRun(t *testing.T) {
	defer goleak.VerifyNone(t)
	runs++
	if runs == 2 {
		go func() {
			for {
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
}
