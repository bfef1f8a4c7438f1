package selectleak

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMuxNeverStopped(t *testing.T) {
	defer goleak.VerifyNone(t)

	NewMux()
	NewMux()
}

func TestParkForever(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	Park()
}
