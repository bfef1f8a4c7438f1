package nonewline

import (
	"os"
	"testing"
)

func TestDone(t *testing.T) {
	Work("done")
}

func TestSubDone(t *testing.T) {
	t.Run("inner", func(t *testing.T) {
		Work("inner done")
	})
	Work("outer done")
}

func TestFailsAfterPrint(t *testing.T) {
	if os.Getenv("LEAKGATE_NONEWLINE_FAIL") == "" {
		t.Skip("set LEAKGATE_NONEWLINE_FAIL to fail")
	}
	Work("partial")
	t.Fail()
}

func TestLast(t *testing.T) {
	Work("last")
}
