// Package fiftyworkers leaks a whole pool of identical workers at once.
package fiftyworkers

// Pool is a fixed set of workers reading from Jobs.
type Pool struct {
	Jobs    chan func()
	workers int
}

// NewPool starts n workers. They exit only when Jobs is closed, and
// nothing ever closes it.
func NewPool(n int) *Pool {
	p := &Pool{Jobs: make(chan func()), workers: n}
	for i := 0; i < n; i++ {
		go worker(p.Jobs)
	}
	return p
}

func worker(jobs <-chan func()) {
	for job := range jobs {
		job()
	}
}
