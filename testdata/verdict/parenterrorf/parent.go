// Package parenterrorf: a parent test fails on its own (t.Errorf) and has a
// subtest whose only failure is an allowed leak.
package parenterrorf

func blockParentSub(ch chan struct{}) { <-ch }

// StartLeak leaks one goroutine blocked forever on a channel receive.
func StartLeak() { go blockParentSub(make(chan struct{})) }
