// Package repeated: one leaked goroutine is reported again by every later
// test's VerifyNone (same goroutine id), and an httptest server that is never
// closed leaves several net/http goroutines. Every failure of this package is
// a leak the policy allows.
package repeated

func blockRepeated(ch chan struct{}) { <-ch }

// StartLeak leaks one goroutine blocked forever on a channel receive.
func StartLeak() { go blockRepeated(make(chan struct{})) }
