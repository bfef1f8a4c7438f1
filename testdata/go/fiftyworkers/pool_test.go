package fiftyworkers

import (
	"sync"
	"testing"

	"go.uber.org/goleak"
)

func TestFiftyWorkersLeaked(t *testing.T) {
	defer goleak.VerifyNone(t)

	p := NewPool(50)
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		p.Jobs <- wg.Done
	}
	wg.Wait()
	// Forgot: close(p.Jobs)
}
