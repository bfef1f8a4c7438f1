// Package synctestallowed leaves a goroutine blocked inside a
// testing/synctest bubble (the leak the policy allows). The runtime's
// "deadlock: main bubble goroutine has exited but blocked goroutines remain"
// panic ends the test binary, so TestAfter never runs.
package synctestallowed

// Watcher waits for events forever.
type Watcher struct{ events chan string }

// StartWatcher starts the watching goroutine.
func StartWatcher() *Watcher {
	w := &Watcher{events: make(chan string)}
	go w.watchInBubble()
	return w
}

func (w *Watcher) watchInBubble() {
	for range w.events {
	}
}
