// Package failfast: run with -failfast. TestA's only failure is an allowed
// leak, and -failfast then stops the run: TestB never runs.
package failfast

func blockFailfast(ch chan struct{}) { <-ch }

// StartLeak leaks one goroutine blocked forever on a channel receive.
func StartLeak() { go blockFailfast(make(chan struct{})) }
