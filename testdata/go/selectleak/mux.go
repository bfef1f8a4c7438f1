// Package selectleak leaks goroutines parked in a select statement that has
// no ready case (and one in an empty `select {}`).
package selectleak

// Mux forwards values from two inputs to one output until quit is closed.
type Mux struct {
	A, B chan int
	Out  chan int
	quit chan struct{}
}

// NewMux starts the forwarding loop. Nobody ever sends on A or B and nobody
// closes quit, so the loop waits in its select forever.
func NewMux() *Mux {
	m := &Mux{
		A:    make(chan int),
		B:    make(chan int),
		Out:  make(chan int, 1),
		quit: make(chan struct{}),
	}
	go m.loop()
	return m
}

func (m *Mux) loop() {
	for {
		select {
		case v := <-m.A:
			m.Out <- v
		case v := <-m.B:
			m.Out <- v
		case <-m.quit:
			return
		}
	}
}

// Park starts a goroutine that blocks forever in an empty select.
func Park() {
	go func() {
		select {}
	}()
}
