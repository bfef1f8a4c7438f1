package parallel

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

// Only two tests run at once here (the parent waits while its parallel
// subtests run), so the outcome does not depend on -parallel / GOMAXPROCS
// as long as it is at least 2.

func TestParallelGroup(t *testing.T) {
	t.Run("leaks/fast path", func(t *testing.T) {
		t.Parallel()
		defer goleak.VerifyNone(t)

		Watch(make(chan string))
	})
	t.Run("slow worker with spaces", func(t *testing.T) {
		t.Parallel()
		defer goleak.VerifyNone(t)

		// Still running while the sibling checks for leaks, so the
		// sibling's report lists this test's goroutine too.
		if Crunch(1500*time.Millisecond) == 0 {
			t.Fatal("no work")
		}
	})
}

func TestParallelTopLevel(t *testing.T) {
	t.Parallel()
	defer goleak.VerifyNone(t)
}
