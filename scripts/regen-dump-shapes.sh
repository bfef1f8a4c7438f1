#!/usr/bin/env bash
# Regenerate tests/fixtures/dumps/shapes/<go>/ from testdata/dumpshapes: the
# goroutine dump shapes a net/http/pprof service does not show (cgo
# callbacks and a finalizer without `created by`, a goroutine blocked in C,
# SIGQUIT and panic crash dumps under GOTRACEBACK=all, system and crash, a
# runtime.Stack buffer too small). Needs Go and a C compiler (cgo).
#
#   scripts/regen-dump-shapes.sh
#   GO_TOOLCHAINS="go1.26.8 go1.27.3" scripts/regen-dump-shapes.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GO_TOOLCHAINS="${GO_TOOLCHAINS:-go1.26.8 go1.27.3}"
export CGO_ENABLED=1 GOFLAGS="${GOFLAGS:+$GOFLAGS }-buildvcs=false"
for tc in $GO_TOOLCHAINS; do
  v=$(GOTOOLCHAIN=$tc go env GOVERSION)
  short=$(echo "$v" | sed -E 's/^(go[0-9]+\.[0-9]+).*/\1/')
  out="$ROOT/tests/fixtures/dumps/shapes/$short"
  tmp=$(mktemp -d)
  bin="$tmp/dumpshapes"
  (cd "$ROOT/testdata/dumpshapes" && GOTOOLCHAIN=$tc go build -o "$bin" .)
  "$bin" stack >"$tmp/stack.txt"
  "$bin" stackbuf >"$tmp/stackbuf.txt"
  for level in all system crash; do
    # The crash dumps go to standard error; the process dies of them.
    GOTRACEBACK=$level "$bin" quit 2>"$tmp/quit-$level.txt" || true
    GOTRACEBACK=$level "$bin" panic 2>"$tmp/panic-$level.txt" || true
  done
  echo "$v" >"$tmp/GOVERSION"
  rm -f "$bin"
  mkdir -p "$(dirname "$out")"
  rm -rf "$out"
  mv "$tmp" "$out"
  echo "wrote $out ($v)"
done
