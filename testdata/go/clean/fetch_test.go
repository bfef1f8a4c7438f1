package clean

import (
	"context"
	"testing"

	"go.uber.org/goleak"
)

func TestUpperAll(t *testing.T) {
	defer goleak.VerifyNone(t)

	got, err := UpperAll(context.Background(), []string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	if got[2] != "C" {
		t.Fatalf("got %q", got)
	}
}

func TestWorkerStopped(t *testing.T) {
	for _, name := range []string{"stop/immediately", "stop after use"} {
		t.Run(name, func(t *testing.T) {
			defer goleak.VerifyNone(t)

			w := StartWorker()
			w.Stop()
		})
	}
}
