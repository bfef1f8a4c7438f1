// Package assertfail has one ordinary failing assertion and one leak, so a
// tool must tell a goleak failure from a plain test failure.
package assertfail

// Add is wrong on purpose.
func Add(a, b int) int { return a + b + 1 }

// Background starts a goroutine that waits for a result nobody sends.
func Background() chan<- int {
	results := make(chan int)
	go func() {
		<-results
	}()
	return results
}
