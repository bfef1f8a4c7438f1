// Package recvnoclose leaks a goroutine that ranges over a channel which
// nobody ever closes.
package recvnoclose

import "sync/atomic"

// Totals accumulates the values a consumer received.
type Totals struct {
	Sum   atomic.Int64
	Count atomic.Int64
}

// StartConsumer starts a goroutine that adds up every job it receives.
// It only stops when jobs is closed, and the producer never closes it.
func StartConsumer(jobs <-chan int, totals *Totals) {
	go func() {
		for j := range jobs {
			totals.Sum.Add(int64(j))
			totals.Count.Add(1)
		}
	}()
}
