package subtestgate

import (
	"testing"

	"go.uber.org/goleak"
)

func leakySubtest(t *testing.T) {
	defer goleak.VerifyNone(t)
	StartLeak()
}

func TestSubtestGate(t *testing.T) {
	if !t.Run("leaky", leakySubtest) {
		return
	}
	t.Run("never", func(t *testing.T) {
		t.Errorf("never: would have failed")
	})
}
