package testifyfind

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestWatchLeaks(t *testing.T) {
	Watch()
	require.NoError(t, goleak.Find())
}

// TestAfterWatch runs after the failing test: its start shows that
// -failfast was off, so the leak is the only failure of the run.
func TestAfterWatch(t *testing.T) {}
