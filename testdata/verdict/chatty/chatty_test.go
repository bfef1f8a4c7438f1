package chatty

import (
	"testing"

	"go.uber.org/goleak"
)

func TestChattyFails(t *testing.T) {
	Lifecycle(t)
	t.Errorf("status = %d, want %d", 500, 200)
}

func TestChattyFailsAndLeaks(t *testing.T) {
	defer goleak.VerifyNone(t)
	Lifecycle(t)
	StartLeak()
	t.Errorf("status = %d, want %d", 503, 200)
}

// TestChattyLeakOnly logs and leaks (allowed) but asserts nothing: in text
// and Go 1.26 -json output it looks like errorfleak.TestLogFailNow.
func TestChattyLeakOnly(t *testing.T) {
	defer goleak.VerifyNone(t)
	Lifecycle(t)
	StartLeakOnly()
}
