package failfast

import (
	"testing"

	"go.uber.org/goleak"
)

func TestA(t *testing.T) {
	defer goleak.VerifyNone(t)
	StartLeak()
}

// Never runs under -failfast: TestA failed.
func TestB(t *testing.T) {
	t.Errorf("TestB: would have failed too")
}
