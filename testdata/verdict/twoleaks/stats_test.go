package twoleaks

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Forgets Close: the reporter's loop leaks.
func TestReporter(t *testing.T) {
	_ = NewReporter()
}

// Stops listening before the event arrives: the send leaks, twice.
func TestNotify(t *testing.T) {
	for range 2 {
		Notify(make(chan time.Time))
	}
}
