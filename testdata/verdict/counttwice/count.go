// Package counttwice: run with -count=2. TestTwice leaks (allowed) on its
// first run in the process and fails a plain assertion on its second.
package counttwice

func blockFirstRun(ch chan struct{}) { <-ch }

// StartLeak leaks one goroutine blocked forever on a channel receive.
func StartLeak() { go blockFirstRun(make(chan struct{})) }
