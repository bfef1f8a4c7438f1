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
