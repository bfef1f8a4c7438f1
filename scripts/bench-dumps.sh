#!/usr/bin/env bash
# Time and peak memory of `leakgate dump` and `leakgate diff` on 100,000-
# goroutine dumps (debug=2 tracebacks and debug=0 profile.proto), next to
# `go tool pprof -top` and `-top -diff_base` on the same dumps in proto form,
# and the floor (`wc -l`). See BENCHMARKS.md, issue 15.
#
#   scripts/bench-dumps.sh
#   N=100000 EXTRA=5000 RUNS=5 BENCH_DIR=/tmp/leakgate-bench-dumps scripts/bench-dumps.sh
#
# Needs: cargo, go, hyperfine, GNU time (/usr/bin/time). The dumps are
# written into $BENCH_DIR (never into the repository) by the generator in
# testdata/dumpbench: before (N goroutines in 14 groups) and after (the same
# plus EXTRA more in each of two groups, the ones `diff` must fail on).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/leakgate-bench-dumps}
RUNS=${RUNS:-5}
N=${N:-100000}
EXTRA=${EXTRA:-5000}
mkdir -p "$BENCH_DIR/bin" "$BENCH_DIR/out"

need() { command -v "$1" >/dev/null || { echo "bench-dumps.sh: $1 is required ($2)" >&2; exit 2; }; }
need hyperfine "apt-get install hyperfine"
need go "https://go.dev/dl/"
need cargo "https://rustup.rs"
[ -x /usr/bin/time ] || { echo "bench-dumps.sh: GNU time is required (apt-get install time)" >&2; exit 2; }

echo "== build" >&2
(cd "$ROOT" && cargo build --release --quiet --bin leakgate)
LEAKGATE=$ROOT/target/release/leakgate
(cd "$ROOT/testdata/dumpbench" && go build -o "$BENCH_DIR/bin/dumpbench" .)
# pprof itself, not `go tool pprof` (which adds the go command's start-up)
PPROF=$(go env GOTOOLDIR)/pprof
[ -x "$PPROF" ] || PPROF="go tool pprof"

B=$BENCH_DIR/before
A=$BENCH_DIR/after
if [ ! -s "$B.pb.gz" ] || [ ! -s "$B.debug2.txt" ]; then
  echo "== generate before (n=$N)" >&2
  "$BENCH_DIR/bin/dumpbench" -n "$N" -out "$B"
fi
if [ ! -s "$A.pb.gz" ] || [ ! -s "$A.debug2.txt" ]; then
  echo "== generate after (n=$N extra=$EXTRA)" >&2
  "$BENCH_DIR/bin/dumpbench" -n "$N" -extra "$EXTRA" -out "$A"
fi

RESULTS=$BENCH_DIR/results.md
: >"$RESULTS"
say() { echo "$*" | tee -a "$RESULTS"; }

# median seconds of a command (hyperfine, no shell; -i: diff exits 1 when the gate fails)
median() {
  local json=$BENCH_DIR/out/hf.json
  hyperfine --style none --warmup 1 --runs "$RUNS" -N -i --export-json "$json" "$*" >/dev/null 2>&1
  python3 -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$json"
}

# peak RSS in MiB of one run (shell command)
peak() {
  /usr/bin/time -f '%M' -o "$BENCH_DIR/out/rss" bash -c "$*" >/dev/null 2>&1 || true
  tail -n1 "$BENCH_DIR/out/rss" | awk '{printf "%.1f", $1/1024}'
}

size() { # files... → "21.6 MiB" or "21.6 + 23.5 MiB" (KiB below 1 MiB)
  local s="" f b
  for f in "$@"; do
    b=$(stat -c %s "$f")
    s+=${s:+ + }$(awk -v b="$b" 'BEGIN{ if (b < 1048576) printf "%.1f KiB", b/1024; else printf "%.1f MiB", b/1048576 }')
  done
  echo "$s"
}

row() { # label "input files" command...
  local label=$1 files=$2; shift 2
  local t rss
  t=$(median "$@")
  rss=$(peak "$* >/dev/null")
  # shellcheck disable=SC2086
  say "| $label | $t | $rss | $(size $files) |"
}

say "# leakgate goroutine-dump benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
say ""
say "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); $(go version | cut -d' ' -f3)."
say "leakgate $(git -C "$ROOT" rev-parse --short HEAD); $RUNS runs each (medians); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)."
say ""
say "Inputs: before $(grep -c '^goroutine ' "$B.debug2.txt") goroutines ($(wc -l <"$B.debug2.txt") lines, $(size "$B.debug2.txt") debug=2, $(size "$B.pb.gz") debug=0), after $(grep -c '^goroutine ' "$A.debug2.txt") ($(size "$A.debug2.txt") debug=2, $(size "$A.pb.gz") debug=0)."
say ""
say "| tool | median s | peak RSS MiB | input size |"
say "|---|---:|---:|---:|"
row "\`leakgate dump\` debug=2, \`--report json\`" "$B.debug2.txt" "$LEAKGATE" dump "$B.debug2.txt" --report json
row "\`leakgate dump\` debug=2, terminal" "$B.debug2.txt" "$LEAKGATE" dump "$B.debug2.txt"
row "\`leakgate dump\` debug=0 (proto)" "$B.pb.gz" "$LEAKGATE" dump "$B.pb.gz"
row "\`go tool pprof -top\` (proto)" "$B.pb.gz" $PPROF -top "$B.pb.gz"
row "\`leakgate diff\` debug=2" "$B.debug2.txt $A.debug2.txt" "$LEAKGATE" diff "$B.debug2.txt" "$A.debug2.txt"
row "\`leakgate diff\` debug=0 (proto)" "$B.pb.gz $A.pb.gz" "$LEAKGATE" diff "$B.pb.gz" "$A.pb.gz"
row "\`go tool pprof -top -diff_base\` (proto)" "$B.pb.gz $A.pb.gz" $PPROF -top -diff_base "$B.pb.gz" "$A.pb.gz"
row "\`wc -l\` debug=2 (floor)" "$B.debug2.txt" wc -l "$B.debug2.txt"

# What the gate said, for a look (exit 1 expected: two groups grew by EXTRA)
for fmt in debug2.txt pb.gz; do
  rc=0
  "$LEAKGATE" diff "$B.$fmt" "$A.$fmt" >"$BENCH_DIR/out/diff-$fmt.out" 2>&1 || rc=$?
  say ""
  say "\`leakgate diff\` on $fmt: exit $rc (output in $BENCH_DIR/out/diff-$fmt.out)."
done
echo "results: $RESULTS" >&2
