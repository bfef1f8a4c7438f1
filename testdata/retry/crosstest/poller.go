// Package crosstest leaks a poller on every run. TestStartsPoller starts it
// and does not check; TestChecks, the next test, calls goleak.VerifyNone and
// is the one goleak reports it in. Run alone, TestChecks passes.
package crosstest

import (
	"sync/atomic"
	"time"
)

// Poller polls in short sleeps until Stop.
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
