// Package raceleak: a test with a data race (run with -race) that also
// leaks a goroutine allowed by the policy.
package raceleak

import "sync"

func blockRace(ch chan struct{}) { <-ch }

// StartLeak leaks one goroutine blocked forever on a channel receive.
func StartLeak() { go blockRace(make(chan struct{})) }

// Racy writes one variable from two goroutines without synchronisation.
func Racy() int {
	var n int
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); n = 1 }()
	go func() { defer wg.Done(); n = 2 }()
	wg.Wait()
	return n
}
