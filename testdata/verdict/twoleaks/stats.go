// Package twoleaks starts two goroutines that outlive its tests, from two
// `go` statements: a reporter loop nobody stops and a notification nobody
// receives. Under goleak.VerifyTestMain both are in one package-level
// report, two distinct leaks.
package twoleaks

import "time"

// Reporter flushes statistics until Close is called.
type Reporter struct {
	flush chan struct{}
	done  chan struct{}
}

// NewReporter starts the reporter's loop.
func NewReporter() *Reporter {
	r := &Reporter{flush: make(chan struct{}), done: make(chan struct{})}
	go r.loop()
	return r
}

func (r *Reporter) loop() {
	for {
		select {
		case <-r.flush:
		case <-r.done:
			return
		}
	}
}

// Close stops the loop.
func (r *Reporter) Close() { close(r.done) }

// Notify sends one event to ch from a goroutine of its own.
func Notify(ch chan<- time.Time) {
	go func() {
		ch <- time.Now()
	}()
}
