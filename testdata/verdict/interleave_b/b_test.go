package interleave_b

import (
	"fmt"
	"testing"
	"time"
)

func TestSmall(t *testing.T) {
	for i := 1; i <= 8; i++ {
		t.Run(fmt.Sprintf("step%02d", i), func(t *testing.T) {
			time.Sleep(Step)
			t.Logf("b step %d", i)
		})
	}
}

func TestSame(t *testing.T) {
	time.Sleep(Step)
	t.Run("sub", func(t *testing.T) {
		time.Sleep(Step)
		t.Fail()
	})
}

func TestSmallAfter(t *testing.T) {
	for i := 1; i <= 8; i++ {
		t.Run(fmt.Sprintf("step%02d", i), func(t *testing.T) {
			time.Sleep(Step)
			t.Logf("b after %d", i)
		})
	}
}
