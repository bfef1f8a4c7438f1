// Package hangs has a test that blocks forever, so `go test -timeout` kills
// the test binary and prints the "panic: test timed out after" dump. Run it
// on its own with a short timeout, e.g. `go test -timeout 5s ./hangs`.
package hangs

import "sync"

// Queue hands items to a consumer that is never started.
type Queue struct {
	items chan string
	wg    sync.WaitGroup
}

// NewQueue returns a queue with an unbuffered channel.
func NewQueue() *Queue {
	return &Queue{items: make(chan string)}
}

// PublishAsync publishes in the background; Flush waits for it.
func (q *Queue) PublishAsync(item string) {
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		q.items <- item // nobody receives: blocks forever
	}()
}

// Flush waits until every published item was taken: forever.
func (q *Queue) Flush() {
	q.wg.Wait()
}
