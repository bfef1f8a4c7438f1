package killedafterleak

import (
	"os"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestParent(t *testing.T) {
	t.Run("leaky", func(t *testing.T) {
		defer goleak.VerifyNone(t)
		StartLeak()
	})
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	time.Sleep(time.Minute) // not reached: SIGKILL is not deliverable to Go
}

// Never runs: the process is killed above.
func TestAfter(t *testing.T) {}
