// Package ctxworker leaks workers whose context is never cancelled: they wait
// in a select on ctx.Done() forever.
package ctxworker

import (
	"context"
	"runtime/pprof"

	"golang.org/x/sync/errgroup"
)

// Worker processes values sent on In until its context is cancelled.
type Worker struct {
	In   chan int
	seen int
}

// Start starts a worker bound to ctx. The worker only exits when ctx is
// cancelled.
func Start(ctx context.Context) *Worker {
	w := &Worker{In: make(chan int)}
	go w.run(ctx)
	return w
}

func (w *Worker) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case v := <-w.In:
			w.seen += v
		}
	}
}

// StartLabeled starts a worker like Start, with pprof labels attached to its
// goroutine (they show up in tracebacks with GODEBUG=tracebacklabels=1).
func StartLabeled(ctx context.Context, name string) *Worker {
	var w *Worker
	pprof.Do(ctx, pprof.Labels("worker", name), func(ctx context.Context) {
		w = Start(ctx)
	})
	return w
}

// StartGroup starts n watchers with an errgroup whose Wait is never called;
// each watcher waits for ctx to be cancelled. The `created by` line of these
// goroutines names errgroup, not this package.
func StartGroup(ctx context.Context, n int) *errgroup.Group {
	g, ctx := errgroup.WithContext(ctx)
	for i := 0; i < n; i++ {
		g.Go(func() error {
			<-ctx.Done()
			return ctx.Err()
		})
	}
	return g
}
