// Package killedafterleak: a subtest's only failure is an allowed leak; then
// its parent test's process is killed with SIGKILL (what an OOM kill looks
// like). TestAfter never runs.
package killedafterleak

func blockKilled(ch chan struct{}) { <-ch }

// StartLeak leaks one goroutine blocked forever on a channel receive.
func StartLeak() { go blockKilled(make(chan struct{})) }
