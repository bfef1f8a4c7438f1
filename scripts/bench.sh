#!/usr/bin/env bash
# Throughput and peak memory of `leakgate check` on large generated runs,
# side by side with the peers (gotestsum, go-junit-report, tparse) and the
# floor (`wc -l`, `cat`) on the same files. See BENCHMARKS.md.
#
#   scripts/bench.sh                 # everything (1 GB input included)
#   SIZES=small scripts/bench.sh     # 100 MB go test -json only, and the small-file check
#   RUNS=5 PEER_RUNS=3 BENCH_DIR=/tmp/leakgate-bench scripts/bench.sh
#
# Needs: cargo, go (to install the peers from the module proxy), hyperfine,
# GNU time (/usr/bin/time). Inputs are generated into $BENCH_DIR (never into
# the repository) from tests/fixtures by examples/gen_bench_input.rs.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/leakgate-bench}
RUNS=${RUNS:-5}
PEER_RUNS=${PEER_RUNS:-3}
SIZES=${SIZES:-all}
FIXTURES=${FIXTURES:-$ROOT/tests/fixtures/go1.26-goleak1.3.0}
mkdir -p "$BENCH_DIR/bin" "$BENCH_DIR/out"

need() { command -v "$1" >/dev/null || { echo "bench.sh: $1 is required ($2)" >&2; exit 2; }; }
need hyperfine "apt-get install hyperfine"
need go "https://go.dev/dl/"
[ -x /usr/bin/time ] || { echo "bench.sh: GNU time is required (apt-get install time)" >&2; exit 2; }

echo "== build" >&2
(cd "$ROOT" && cargo build --release --quiet --bin leakgate --example gen_bench_input)
LEAKGATE=$ROOT/target/release/leakgate
GEN=$ROOT/target/release/examples/gen_bench_input

echo "== peers (go install from the module proxy)" >&2
export GOBIN=$BENCH_DIR/bin
[ -x "$GOBIN/gotestsum" ] || go install gotest.tools/gotestsum@v1.13.0
[ -x "$GOBIN/go-junit-report" ] || go install github.com/jstemmer/go-junit-report/v2@v2.1.0
[ -x "$GOBIN/tparse" ] || go install github.com/mfridman/tparse@latest
GOTESTSUM=$GOBIN/gotestsum
GOJUNIT=$GOBIN/go-junit-report
TPARSE=$GOBIN/tparse

gen() { # name format size packages
  local f=$BENCH_DIR/$1
  if [ ! -s "$f" ]; then
    echo "== generate $1" >&2
    "$GEN" --format "$2" --size "$3" --packages "$4" --fixtures "$FIXTURES" --out "$f"
  fi
  echo "$f"
}

RESULTS=$BENCH_DIR/results.md
: >"$RESULTS"
say() { echo "$*" | tee -a "$RESULTS"; }

# median seconds of a command (hyperfine, no shell), runs
median() {
  local runs=$1; shift
  local json=$BENCH_DIR/out/hf.json
  hyperfine --style none --warmup 1 --runs "$runs" -N -i --export-json "$json" "$*" >/dev/null 2>&1
  python3 -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$json"
}

# peak RSS in MiB of one run (shell command)
peak() {
  /usr/bin/time -f '%M' -o "$BENCH_DIR/out/rss" bash -c "$*" >/dev/null 2>&1 || true
  tail -n1 "$BENCH_DIR/out/rss" | awk '{printf "%.1f", $1/1024}'
}

row() { # label runs file command...
  local label=$1 runs=$2 file=$3; shift 3
  local bytes t mbs rss
  bytes=$(stat -c %s "$file")
  t=$(median "$runs" "$@")
  mbs=$(awk -v b="$bytes" -v t="$t" 'BEGIN{printf "%.0f", b/1e6/t}')
  rss=$(peak "$* >/dev/null")
  say "| $label | $t | $mbs | $rss |"
  eval "T_${label//[^a-zA-Z0-9]/_}=$t"
}

table() { # title file
  say ""
  say "### $1 ($(awk -v b="$(stat -c %s "$2")" 'BEGIN{printf "%.0f MB", b/1e6}'), $(wc -l <"$2") lines)"
  say ""
  say "| tool | median s | MB/s | peak RSS MiB |"
  say "|---|---:|---:|---:|"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", a/b}'; }

say "# leakgate benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
say ""
say "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)."
say "leakgate $(git -C "$ROOT" rev-parse --short HEAD); runs: leakgate/floor $RUNS, peers $PEER_RUNS (medians); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)."

json_inputs=("$(gen run-100M.json json 100M 1000)")
[ "$SIZES" = all ] && json_inputs+=("$(gen run-1G.json json 1G 10000)")

for f in "${json_inputs[@]}"; do
  table "go test -json" "$f"
  row leakgate "$RUNS" "$f" "$LEAKGATE" check --report json "$f"
  row "wc -l" "$RUNS" "$f" wc -l "$f"
  row cat "$RUNS" "$f" cat "$f"
  row gotestsum "$PEER_RUNS" "$f" "$GOTESTSUM" --format standard-quiet --junitfile "$BENCH_DIR/out/gotestsum.xml" --raw-command -- cat "$f"
  row go-junit-report "$PEER_RUNS" "$f" "$GOJUNIT" -parser gojson -in "$f" -out "$BENCH_DIR/out/gojunit.xml"
  row tparse "$PEER_RUNS" "$f" "$TPARSE" -file "$f"
  fastest_peer=$(printf '%s\n' "$T_gotestsum" "$T_go_junit_report" "$T_tparse" | sort -g | head -1)
  say ""
  say "leakgate: $(ratio "$T_leakgate" "$T_wc__l")× the time of \`wc -l\`, $(ratio "$T_leakgate" "$T_cat")× \`cat\`; $(ratio "$fastest_peer" "$T_leakgate")× faster than the fastest peer (gotestsum $(ratio "$T_gotestsum" "$T_leakgate")×, go-junit-report $(ratio "$T_go_junit_report" "$T_leakgate")×, tparse $(ratio "$T_tparse" "$T_leakgate")×)."
done

if [ "$SIZES" = all ]; then
  f=$(gen run-300M.xml junit 300M 10000)
  table "JUnit XML (gotestsum's)" "$f"
  row leakgate "$RUNS" "$f" "$LEAKGATE" check --report json "$f"
  row "wc -l" "$RUNS" "$f" wc -l "$f"
  row cat "$RUNS" "$f" cat "$f"
  say ""
  say "No peer reads JUnit back; leakgate: $(ratio "$T_leakgate" "$T_wc__l")× \`wc -l\`."

  f=$(gen run-300M.txt text 300M 10000)
  table "go test -v text" "$f"
  row leakgate "$RUNS" "$f" "$LEAKGATE" check --report json "$f"
  row "wc -l" "$RUNS" "$f" wc -l "$f"
  row cat "$RUNS" "$f" cat "$f"
  row go-junit-report "$PEER_RUNS" "$f" "$GOJUNIT" -in "$f" -out "$BENCH_DIR/out/gojunit-text.xml"
  say ""
  say "leakgate: $(ratio "$T_leakgate" "$T_wc__l")× \`wc -l\`; $(ratio "$T_go_junit_report" "$T_leakgate")× faster than go-junit-report (text parser)."
fi

small=$FIXTURES/all.json
say ""
say "### A small file ($(stat -c %s "$small") bytes, the fixture all.json)"
say ""
say "| tool | median ms |"
say "|---|---:|"
say "| leakgate check | $(awk -v t="$(median 30 "$LEAKGATE" check "$small")" 'BEGIN{printf "%.1f", t*1000}') |"
say "| leakgate check --report json | $(awk -v t="$(median 30 "$LEAKGATE" check --report json "$small")" 'BEGIN{printf "%.1f", t*1000}') |"
echo "results: $RESULTS" >&2
