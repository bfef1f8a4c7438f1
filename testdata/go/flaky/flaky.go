// Package flaky has leaks that look transient:
//   - a leak that happens only on the first attempt (controlled by a marker
//     file, see LeakOnFirstAttempt), in a short-lived "sleep" state;
//   - a real leak whose goroutine spends its life in short time.Sleep calls;
//   - a report with a real blocked goroutine next to a transient one.
package flaky

import (
	"errors"
	"io/fs"
	"os"
	"sync/atomic"
	"time"
)

// FirstAttempt reports whether the marker file named by the environment
// variable env is missing, and creates it. Without the variable it reports
// false, so nothing leaks.
func FirstAttempt(env string) bool {
	path := os.Getenv(env)
	if path == "" {
		return false
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return false
	}
	if err := os.WriteFile(path, []byte("first attempt done\n"), 0o644); err != nil {
		return false
	}
	return true
}

// SlowShutdown starts a goroutine that finishes on its own after d: a leak
// only if somebody checks before then (goleak gives up after ~0.45s).
func SlowShutdown(d time.Duration) {
	go func() {
		time.Sleep(d)
	}()
}

// Poller polls in short sleeps until Stop, which nobody calls.
type Poller struct {
	stopped atomic.Bool
	polls   atomic.Int64
}

// StartPoller starts the polling loop.
func StartPoller(every time.Duration) *Poller {
	p := &Poller{}
	go p.loop(every)
	return p
}

func (p *Poller) loop(every time.Duration) {
	for !p.stopped.Load() {
		time.Sleep(every)
		p.polls.Add(1)
	}
}

// Stop ends the polling loop.
func (p *Poller) Stop() { p.stopped.Store(true) }

// WaitForever starts a goroutine blocked on a receive that never happens.
func WaitForever() {
	ch := make(chan struct{})
	go func() {
		<-ch
	}()
}
