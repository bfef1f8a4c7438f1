// Package clean starts goroutines and always waits for them: no leaks.
package clean

import (
	"context"
	"strings"

	"golang.org/x/sync/errgroup"
)

// UpperAll upper-cases every input concurrently and waits for all of them.
func UpperAll(ctx context.Context, in []string) ([]string, error) {
	out := make([]string, len(in))
	g, ctx := errgroup.WithContext(ctx)
	for i, s := range in {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			out[i] = strings.ToUpper(s)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// Worker exits when its context is cancelled; Stop waits for it.
type Worker struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// StartWorker starts a worker that runs until Stop.
func StartWorker() *Worker {
	ctx, cancel := context.WithCancel(context.Background())
	w := &Worker{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		<-ctx.Done()
	}()
	return w
}

// Stop cancels the worker and waits for it to exit.
func (w *Worker) Stop() {
	w.cancel()
	<-w.done
}
