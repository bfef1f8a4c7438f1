// Package pool is a toy resource pool whose reaper goroutine never stops.
package pool

import "time"

// Pool holds idle resources.
type Pool struct {
	idle     []int
	interval time.Duration
	signal   chan struct{}
	stop     chan struct{}
}

// New creates a pool with size idle resources and starts its reaper.
func New(size int, interval time.Duration) *Pool {
	p := &Pool{interval: interval, signal: make(chan struct{}), stop: make(chan struct{})}
	p.warmUp(size)
	return p
}

func (p *Pool) warmUp(size int) {
	for i := 0; i < size; i++ {
		p.idle = append(p.idle, i)
	}
	startReaper(p)
}
