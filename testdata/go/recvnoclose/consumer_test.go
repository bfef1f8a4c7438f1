package recvnoclose

import (
	"testing"

	"go.uber.org/goleak"
)

func TestConsumerNeverClosed(t *testing.T) {
	defer goleak.VerifyNone(t)

	jobs := make(chan int)
	var totals Totals
	StartConsumer(jobs, &totals)
	for i := 1; i <= 3; i++ {
		jobs <- i
	}
	// Forgot: close(jobs)
}

// TestInnocentBystander starts nothing, but goleak checks every goroutine of
// the test process, so it also reports the consumer leaked by the test above.
func TestInnocentBystander(t *testing.T) {
	defer goleak.VerifyNone(t)
}
