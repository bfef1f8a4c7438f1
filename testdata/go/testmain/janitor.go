// Package testmain uses goleak.VerifyTestMain: every test passes, and the
// leak is reported once for the whole package after the tests ran.
package testmain

import "time"

// Janitor periodically sweeps expired sessions.
type Janitor struct {
	sweeps int
	stop   chan struct{}
}

// StartJanitor starts the sweep loop. The returned Janitor has no Stop
// method, so the loop never ends.
func StartJanitor(every time.Duration) *Janitor {
	j := &Janitor{stop: make(chan struct{})}
	go j.loop(every)
	return j
}

func (j *Janitor) loop(every time.Duration) {
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			j.sweeps++
		case <-j.stop:
			return
		}
	}
}

// Notify sends a notification in the background; the result channel is
// never read.
func Notify(user string) <-chan error {
	errc := make(chan error)
	go func() {
		errc <- deliver(user)
	}()
	return errc
}

func deliver(user string) error {
	_ = user
	return nil
}
