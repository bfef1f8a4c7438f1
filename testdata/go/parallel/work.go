// Package parallel uses goleak.VerifyNone inside parallel tests and
// subtests, which goleak does not support: a check also sees the goroutines
// of sibling tests that are still running, and the testing framework's own
// goroutines waiting for parallel subtests.
package parallel

import "time"

// Watch starts a goroutine that waits for a value that never comes.
func Watch(updates <-chan string) {
	go func() {
		for u := range updates {
			_ = u
		}
	}()
}

// Crunch simulates slow work in the calling goroutine.
func Crunch(d time.Duration) int {
	time.Sleep(d)
	return int(d / time.Millisecond)
}
