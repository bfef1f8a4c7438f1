package raceleak

import (
	"testing"

	"go.uber.org/goleak"
)

func TestRaceAndLeak(t *testing.T) {
	defer goleak.VerifyNone(t)
	StartLeak()
	if n := Racy(); n == 0 {
		t.Errorf("Racy() = 0")
	}
}

func TestNoRace(t *testing.T) {}
