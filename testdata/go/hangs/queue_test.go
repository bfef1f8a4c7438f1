package hangs

import (
	"testing"
	"time"
)

func TestQuick(t *testing.T) {
	if NewQueue() == nil {
		t.Fatal("nil queue")
	}
}

// TestFlushHangs blocks forever so that `go test -timeout` kills the binary.
// It only runs with a short -timeout (at most a minute), so that a plain
// `go test ./...` (default -timeout 10m) does not sit there for ten minutes.
func TestFlushHangs(t *testing.T) {
	if deadline, ok := t.Deadline(); !ok || time.Until(deadline) > time.Minute {
		t.Skip("blocks until the test binary times out; run with e.g. -timeout 5s")
	}
	q := NewQueue()
	q.PublishAsync("a")
	q.PublishAsync("b")
	q.Flush()
}
