package testmain

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestJanitorStarts(t *testing.T) {
	j := StartJanitor(time.Hour)
	if j == nil {
		t.Fatal("nil janitor")
	}
	t.Log("janitor started")
}

func TestNotify(t *testing.T) {
	Notify("alice") // result ignored
}

func TestNothingToSeeHere(t *testing.T) {}
