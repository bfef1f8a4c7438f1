package sendafterreturn

import (
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestFirstResultWins(t *testing.T) {
	defer goleak.VerifyNone(t)

	backend := func(name string) func() string {
		return func() string { return name }
	}
	got := FirstResult([]func() string{backend("a"), backend("b"), backend("c")})
	if got == "" {
		t.Fatal("no result")
	}
}

func TestLateResultAfterTimeout(t *testing.T) {
	// IgnoreCurrent: only report what this test started.
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	release := make(chan struct{})
	slow := func() int {
		<-release
		return 42
	}
	if _, err := WithTimeout(slow, 10*time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Fatalf("WithTimeout error = %v, want ErrTimeout", err)
	}
	// The slow call finishes now, but nobody is left to receive its result.
	close(release)
}
