package teardown

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	code := m.Run()
	_ = code
	fmt.Fprintln(os.Stderr, "teardown: database still open")
	os.Exit(1)
}

func TestLeaks(t *testing.T) {
	defer goleak.VerifyNone(t)
	StartLeak()
}

func TestPasses(t *testing.T) {}
