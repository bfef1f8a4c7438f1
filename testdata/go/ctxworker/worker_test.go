package ctxworker

import (
	"context"
	"testing"

	"go.uber.org/goleak"
)

func TestWorkerContextNeverCancelled(t *testing.T) {
	defer goleak.VerifyNone(t)

	// The caller never cancels this context, so the worker never exits.
	w := Start(context.Background())
	w.In <- 1
	w.In <- 2
}

func TestLabeledWorker(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	w := StartLabeled(context.Background(), "ingest-1")
	w.In <- 1
}

func TestErrgroupNeverWaited(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	StartGroup(context.Background(), 2)
}
