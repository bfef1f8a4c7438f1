// Package synctestleak leaves a goroutine blocked inside a testing/synctest
// bubble. When the bubble's main goroutine returns, the runtime panics with
// "deadlock: main bubble goroutine has exited but blocked goroutines remain"
// and prints the bubble's goroutines.
package synctestleak

import "time"

// Poller polls every interval until a value arrives on Updates.
type Poller struct {
	Updates chan int
	last    int
}

// StartPoller starts the polling goroutine. It waits for Updates forever.
func StartPoller() *Poller {
	p := &Poller{Updates: make(chan int)}
	go p.run()
	return p
}

func (p *Poller) run() {
	for v := range p.Updates {
		p.last = v
	}
}

// Sleepy sleeps (on the bubble's fake clock) and returns.
func Sleepy(d time.Duration) time.Duration {
	start := time.Now()
	time.Sleep(d)
	return time.Since(start)
}
