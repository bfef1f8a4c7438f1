// Package logfatal: log.Fatal inside a test ends the test binary.
package logfatal

import (
	"log"
	"testing"

	"example.com/leakgate/assertlibs/fixture"
)

func TestLogFatal(t *testing.T) {
	fixture.Require(t)
	t.Logf("opening the database")
	log.Fatal("open db: no such file or directory")
}

func TestAfter(t *testing.T) {}
