package hostile

import (
	"testing"

	"go.uber.org/goleak"
)

func TestHostile(t *testing.T) {
	t.Run("::error::pwned %0A <script>alert(1)</script>|`x`]]>", func(t *testing.T) {
		defer goleak.VerifyNone(t)
		t.Log("::error file=hostile.go,line=1::injected annotation")
		t.Log("##[error]injected legacy command")
		t.Log("::stop-commands::guess")
		t.Log("section_end:1700000000:step_script")
		Park()
	})
}

func TestHostileOutput(t *testing.T) {
	t.Log("  ::warning title=x::indented command")
	t.Errorf("| broken | table |\n<script>alert(2)</script>\n```\n::error::indented continuation line\n]]> %%0A ##[error]y <!-- <details>\nsection_start:1700000000:evil[collapsed=true]")
}
