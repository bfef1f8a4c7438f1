package synctestallowed

import (
	"testing"
	"testing/synctest"
)

func TestBefore(t *testing.T) {}

func TestBubbleLeak(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := StartWatcher()
		w.events <- "one"
		// Returns without closing w.events: the watcher is left blocked.
	})
}

// Never runs: the deadlock panic above ends the test binary.
func TestAfter(t *testing.T) {}
