#!/usr/bin/env bash
# Regenerate the captures of testdata/verdict/twoleaks under
# tests/fixtures/twoleaks/: one goleak.VerifyTestMain report that shows two
# distinct leaks (a reporter loop in select, two notifications in chan send),
# the case where one allow rule expired and the other did not.
#
# For each Go toolchain (GO_TOOLCHAINS) it writes
# tests/fixtures/twoleaks/<goX.Y>/ with
#
#   twoleaks.json            go test -json -count=1 ./twoleaks   (stderr discarded)
#   twoleaks.txt             go test -v -count=1 ./twoleaks 2>&1
#   twoleaks.gotestsum.xml   gotestsum --junitfile, fed twoleaks.json
#   twoleaks.gojunit.xml     go-junit-report -parser gojson < twoleaks.json
#
# go test fails on these (exit 1, expected and not fatal). The tools are
# installed by scripts/fixture-tools.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MOD="$ROOT/testdata/verdict"
OUT="$ROOT/tests/fixtures/twoleaks"
GO_TOOLCHAINS="${GO_TOOLCHAINS:-go1.26.8 go1.27.3}"
# shellcheck source=scripts/fixture-tools.sh
. "$ROOT/scripts/fixture-tools.sh"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/leakgate-twoleaks.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

install_fixture_tools "$TMP"

cd "$MOD"
for tc in $GO_TOOLCHAINS; do
	export GOTOOLCHAIN="$tc"
	short="$(sed -E 's/^(go[0-9]+\.[0-9]+).*/\1/' <<<"$tc")"
	dir="$OUT/$short"
	rm -rf "$dir"
	mkdir -p "$dir"
	# Build first, so that no "go: downloading" line is in the captures.
	go test -count=1 -exec true ./twoleaks >/dev/null
	go test -json -count=1 ./twoleaks >"$dir/twoleaks.json" 2>/dev/null || true
	go test -v -count=1 ./twoleaks >"$dir/twoleaks.txt" 2>&1 || true
	"$GOTESTSUM" --format standard-quiet --junitfile "$dir/twoleaks.gotestsum.xml" \
		--raw-command -- cat "$dir/twoleaks.json" >/dev/null 2>&1 || true
	"$GOJUNIT" -parser gojson -in "$dir/twoleaks.json" -out "$dir/twoleaks.gojunit.xml"
	echo "$short: $(go version)" >&2
done
