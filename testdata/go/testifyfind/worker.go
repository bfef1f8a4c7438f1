// Package testifyfind leaks a goroutine and checks for it with
// require.NoError(t, goleak.Find()), so goleak's report is printed inside
// testify's aligned error block.
package testifyfind

// Watch starts a goroutine that waits for a value that never comes.
func Watch() chan<- int {
	ch := make(chan int)
	go func() {
		<-ch
	}()
	return ch
}
