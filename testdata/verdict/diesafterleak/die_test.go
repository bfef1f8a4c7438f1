package diesafterleak

import (
	"log"
	"testing"

	"go.uber.org/goleak"
)

func TestParent(t *testing.T) {
	t.Run("leaky", func(t *testing.T) {
		defer goleak.VerifyNone(t)
		StartLeak()
	})
	log.Fatal("parent gave up")
}

// Never runs: log.Fatal above ends the test binary.
func TestAfter(t *testing.T) {}
