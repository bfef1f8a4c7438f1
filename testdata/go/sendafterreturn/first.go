// Package sendafterreturn leaks goroutines that send on an unbuffered channel
// after the only receiver has already returned (first-result-wins and
// timeout patterns).
package sendafterreturn

import (
	"errors"
	"time"
)

// ErrTimeout is returned by WithTimeout when the call did not finish in time.
var ErrTimeout = errors.New("sendafterreturn: timeout")

// FirstResult asks every backend concurrently and returns the first answer.
// The losers block forever on `results <- ...`: the channel is unbuffered
// and nobody receives after the first value.
func FirstResult(backends []func() string) string {
	results := make(chan string)
	for _, backend := range backends {
		go func() {
			results <- backend()
		}()
	}
	return <-results
}

// WithTimeout runs f and gives up after d. When f finishes after the
// timeout, its goroutine blocks forever sending the late result.
func WithTimeout(f func() int, d time.Duration) (int, error) {
	done := make(chan int)
	go func() {
		done <- f()
	}()
	select {
	case v := <-done:
		return v, nil
	case <-time.After(d):
		return 0, ErrTimeout
	}
}
