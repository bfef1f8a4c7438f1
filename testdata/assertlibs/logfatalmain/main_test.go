// Package logfatalmain: log.Fatal in TestMain, before any test runs.
package logfatalmain

import (
	"log"
	"os"
	"testing"

	"example.com/leakgate/assertlibs/fixture"
)

func TestMain(m *testing.M) {
	if fixture.Enabled() {
		log.Fatal("setup: DATABASE_URL is not set")
	}
	os.Exit(m.Run())
}

func TestNeverRuns(t *testing.T) {}
