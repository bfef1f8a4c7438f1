package pool

// startReaper is where the leaked goroutine is created.
func startReaper(p *Pool) {
	go p.reap()
}

// reap waits for a signal to trim idle resources. Nothing ever signals and
// nothing ever closes stop.
func (p *Pool) reap() {
	for {
		if !p.waitSignal() {
			return
		}
		p.trim()
	}
}

func (p *Pool) waitSignal() bool {
	select {
	case <-p.signal:
		return true
	case <-p.stop:
		return false
	}
}

func (p *Pool) trim() {
	if len(p.idle) > 1 {
		p.idle = p.idle[:len(p.idle)-1]
	}
}
