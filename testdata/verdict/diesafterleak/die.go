// Package diesafterleak: a subtest's only failure is an allowed leak; then
// its parent calls log.Fatal, which ends the test binary (os.Exit(1)) in
// the middle of the parent test. TestAfter never runs.
package diesafterleak

func blockDies(ch chan struct{}) { <-ch }

// StartLeak leaks one goroutine blocked forever on a channel receive.
func StartLeak() { go blockDies(make(chan struct{})) }
