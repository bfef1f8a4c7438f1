package parenterrorf

import (
	"testing"

	"go.uber.org/goleak"
)

func TestParent(t *testing.T) {
	t.Errorf("parent's own failure")
	t.Run("leaky", func(t *testing.T) {
		defer goleak.VerifyNone(t)
		StartLeak()
	})
}
