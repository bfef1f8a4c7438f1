package assertfail

import (
	"testing"

	"go.uber.org/goleak"
)

func TestAdd(t *testing.T) {
	if got := Add(2, 2); got != 4 {
		t.Errorf("Add(2, 2) = %d, want 4", got)
	}
}

func TestBackgroundLeaks(t *testing.T) {
	defer goleak.VerifyNone(t)

	Background()
}
