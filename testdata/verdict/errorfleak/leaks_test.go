package errorfleak

import (
	"testing"

	"go.uber.org/goleak"
)

func TestErrorfAndLeak(t *testing.T) {
	defer goleak.VerifyNone(t)
	StartErrorf()
	t.Errorf("assertion failed: got 1 want 2")
}

func TestFatalDeferredVerify(t *testing.T) {
	defer goleak.VerifyNone(t)
	StartFatal()
	t.Fatal("fatal assertion")
}

func TestCleanupVerifyErrorf(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	StartCleanup()
	t.Errorf("cleanup case: got %q want %q", "a", "b")
}

func TestLogFailNow(t *testing.T) {
	defer goleak.VerifyNone(t)
	StartFailNow()
	t.Log("some error")
	t.FailNow()
}

// TestFailAndLeak fails silently (t.Fail prints nothing): its output is that
// of a test whose only failure is the leak.
func TestFailAndLeak(t *testing.T) {
	defer goleak.VerifyNone(t)
	StartFail()
	t.Fail()
}

// TestOnlyLeak is the control: nothing but the (allowed) leak.
func TestOnlyLeak(t *testing.T) {
	defer goleak.VerifyNone(t)
	StartOnlyLeak()
}
