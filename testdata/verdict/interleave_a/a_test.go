package interleave_a

import (
	"fmt"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestSmall runs small subtests that print and sleep, before and after TestSame.
func TestSmall(t *testing.T) {
	for i := 1; i <= 8; i++ {
		t.Run(fmt.Sprintf("step%02d", i), func(t *testing.T) {
			time.Sleep(Step)
			t.Logf("a step %d", i)
		})
	}
}

func TestSame(t *testing.T) {
	time.Sleep(Step)
	t.Run("sub", func(t *testing.T) {
		defer goleak.VerifyNone(t)
		StartLeak()
		time.Sleep(Step)
	})
}

func TestSmallAfter(t *testing.T) {
	for i := 1; i <= 8; i++ {
		t.Run(fmt.Sprintf("step%02d", i), func(t *testing.T) {
			time.Sleep(Step)
			t.Logf("a after %d", i)
		})
	}
}
