// Package subtestgate: a parent test runs its next subtest only if the
// first one passed (if !t.Run(...) { return }). The first subtest's only
// failure is an allowed leak, so the second never runs.
package subtestgate

func blockGate(ch chan struct{}) { <-ch }

// StartLeak leaks one goroutine blocked forever on a channel receive.
func StartLeak() { go blockGate(make(chan struct{})) }
