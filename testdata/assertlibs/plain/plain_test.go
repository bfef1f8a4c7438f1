// Package plain: the testing package's own t.Errorf and t.Fatal, and a go-cmp diff.
package plain

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"example.com/leakgate/assertlibs/fixture"
)

func TestErrorf(t *testing.T) {
	fixture.Require(t)
	t.Logf("checking the status")
	t.Errorf("status = %d, want %d", 500, 200)
}

func TestFatal(t *testing.T) {
	fixture.Require(t)
	t.Fatal("config file not found: /etc/app.yaml")
}

func TestMultiline(t *testing.T) {
	fixture.Require(t)
	t.Errorf("request failed\nmethod: GET\nurl: /healthz")
}

func TestCmpDiff(t *testing.T) {
	fixture.Require(t)
	want := []string{"a", "b", "c"}
	got := []string{"a", "x", "c"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Names() mismatch (-want +got):\n%s", diff)
	}
}
