// Package teardown: TestMain runs the tests, then reports a teardown error
// on stderr and exits 1 whatever the tests did. One test leaks a goroutine
// allowed by the policy, another passes.
package teardown

func blockTeardown(ch chan struct{}) { <-ch }

// StartLeak leaks one goroutine blocked forever on a channel receive.
func StartLeak() { go blockTeardown(make(chan struct{})) }
