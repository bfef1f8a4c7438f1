package testify

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"example.com/leakgate/assertlibs/fixture"
)

func TestAssertTrue(t *testing.T) {
	fixture.Require(t)
	assert.True(t, false, "statsd reporter should support tagging")
}

func TestRequireNoError(t *testing.T) {
	fixture.Require(t)
	err := errors.New("dial tcp 127.0.0.1:8125: connect: connection refused")
	require.NoError(t, err, "connecting to %s", "statsd")
}

func TestNotEqual(t *testing.T) {
	fixture.Require(t)
	assert.Equal(t, 1, 2)
}

func TestNotEqualStructs(t *testing.T) {
	fixture.Require(t)
	type point struct{ X, Y int }
	assert.Equal(t, point{1, 2}, point{1, 3}, "moved point")
}

// TestChattyRequire logs through a helper first, like tests of go.uber.org/fx.
func TestChattyRequire(t *testing.T) {
	fixture.Require(t)
	Lifecycle(t)
	require.Len(t, []string{"a"}, 2, "two hooks should have run")
}
