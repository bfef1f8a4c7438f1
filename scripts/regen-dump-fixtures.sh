#!/usr/bin/env bash
# Regenerate the captured goroutine dumps under tests/fixtures/dumps/go<MAJOR.MINOR>/
# from the leaking HTTP service in testdata/dumpservice (issue 15).
#
# For every Go toolchain in GO_TOOLCHAINS (values for GOTOOLCHAIN) it builds the
# service, starts it on 127.0.0.1:0, waits for its "listening on http://…" line
# and writes:
#
#   before.debug2.txt, before.debug1.txt, before.debug0.pb.gz
#                          /debug/pprof/goroutine?debug=2 / ?debug=1 / ?debug=0
#                          right after start, before any load
#   after.debug2.txt, after.debug1.txt, after.debug0.pb.gz
#                          the same after N sequential curl requests to each of
#                          /leak/timeout /leak/ticker /leak/client /clean and a
#                          short sleep (SETTLE) so the timeout work is blocked
#   after.stack.txt        /stack (runtime.Stack(buf, true)), same instance
#   after.goroutineleak.debug1.txt, .debug2.txt, .debug0.pb.gz
#                          /debug/pprof/goroutineleak?debug=1 / 2 / 0. Go 1.27:
#                          the same instance, after all the other "after" dumps.
#                          Go 1.26: a second binary built with
#                          GOEXPERIMENT=goroutineleakprofile, given the same load.
#   sigquit.txt            stderr of an instance run with GOTRACEBACK=all, given
#                          SIGQUIT_N requests to each leak endpoint, then kill -QUIT
#
# and tests/fixtures/dumps/README.md (how produced, go versions, counts). The
# fixtures of a toolchain are written to a temporary directory and moved into
# place only when complete, so the script is idempotent.
#
# Paths: like scripts/regen-fixtures.sh, the module is built in place
# (/work/main/testdata/dumpservice in the original checkout) without -trimpath,
# so stack traces carry that checkout's absolute paths and the toolchain's GOROOT
# (/usr/local/go for the local go1.26, the module cache's
# golang.org/toolchain@…go1.27.3… for go1.27.3). Nothing is rewritten.
# -buildvcs=false is added to GOFLAGS so the binary does not depend on git state.
#
# Environment overrides:
#   GO_TOOLCHAINS  default "go1.26.8 go1.27.3"
#   N              requests per endpoint for the before/after dumps (default 25)
#   SIGQUIT_N      requests per leak endpoint before SIGQUIT (default 3)
#   SETTLE         seconds to wait after the load (default 1)
#   LEAKGATE_DUMPSERVICE_BIN  where the service binaries are built (default
#                  ${XDG_CACHE_HOME:-$HOME/.cache}/leakgate-dumpservice); a fixed
#                  path, because the debug=0 protos record the binary's path in
#                  their mappings
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MOD="$ROOT/testdata/dumpservice"
OUT="$ROOT/tests/fixtures/dumps"

GO_TOOLCHAINS="${GO_TOOLCHAINS:-go1.26.8 go1.27.3}"
N="${N:-25}"
SIGQUIT_N="${SIGQUIT_N:-3}"
SETTLE="${SETTLE:-1}"
ENDPOINTS=(/leak/timeout /leak/ticker /leak/client /clean)
LEAK_ENDPOINTS=(/leak/timeout /leak/ticker /leak/client)
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-buildvcs=false"

BIN_DIR="${LEAKGATE_DUMPSERVICE_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/leakgate-dumpservice}"
mkdir -p "$BIN_DIR"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/leakgate-dumps.XXXXXX")"
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

log() { printf '==> %s\n' "$*" >&2; }

# start_service NAME BIN [ENV=VALUE...]: start BIN in the background with the
# given environment, stdout to $TMP/NAME.out, stderr to $TMP/NAME.err; wait for
# the listening line; set SVC_PID and SVC_URL.
start_service() {
	local name="$1" bin="$2"
	shift 2
	env "$@" "$bin" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	SVC_PID=$!
	PIDS+=("$SVC_PID")
	local i line=""
	for i in $(seq 1 100); do
		line="$(head -n 1 "$TMP/$name.out" 2>/dev/null || true)"
		[[ "$line" == "listening on http://"* ]] && break
		if ! kill -0 "$SVC_PID" 2>/dev/null; then
			echo "service $name exited before listening:" >&2
			cat "$TMP/$name.err" >&2
			exit 1
		fi
		sleep 0.1
	done
	if [[ "$line" != "listening on http://127.0.0.1:"* ]]; then
		echo "service $name printed no listening line" >&2
		exit 1
	fi
	SVC_URL="${line#listening on }"
}

stop_service() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# get URLPATH OUTFILE: fetch, fail on a non-200 answer.
get() {
	curl -sS --fail --max-time 30 -o "$2" "$SVC_URL$1"
}

# load COUNT ENDPOINT...: COUNT sequential requests to each endpoint; each
# answer's status must be the expected one.
load() {
	local count="$1" ep code want i
	shift
	for ep in "$@"; do
		case "$ep" in
		/leak/timeout | /clean) want=504 ;; # the handler gives up waiting (/clean: its work still exits)
		*) want=200 ;;
		esac
		for i in $(seq 1 "$count"); do
			code="$(curl -sS --max-time 30 -o /dev/null -w '%{http_code}' "$SVC_URL$ep")"
			if [[ "$code" != "$want" ]]; then
				echo "$ep answered $code, want $want" >&2
				exit 1
			fi
		done
	done
}

# count_goroutines FILE FUNC: debug=2 goroutine blocks whose stack (not the
# created-by line) contains a frame FUNC(…).
count_goroutines() {
	awk -v f="$2(" '
		/^goroutine / { inblk = 1; hit = 0; next }
		/^$/ { if (inblk && hit) n++; inblk = 0; next }
		inblk && /^created by / { next }
		inblk && index($0, f) == 1 { hit = 1 }
		END { if (inblk && hit) n++; print n + 0 }
	' "$1"
}

# Functions counted in the README tables (the top user-visible frame of each group).
COUNTED=(main.leakTimeoutWork main.leakTickerLoop 'net/http.(*persistConn).readLoop' 'net/http.(*persistConn).writeLoop' 'net/http.(*conn).serve' main.cleanTimeoutWork)

README="$TMP/README.md"
{
	echo "# Captured goroutine dumps of a running service (generated)"
	echo
	echo "Generated by \`scripts/regen-dump-fixtures.sh\` on $(date -u +%Y-%m-%dT%H:%M:%SZ); rerun the script rather than editing these."
	echo "The observations at the end of this file are hand-written from these captures; the script keeps them across reruns."
	echo
	echo "Source: the Go module \`example.com/leakgate/dumpservice\` in \`testdata/dumpservice\`, built in place at \`$MOD\`"
	echo "with \`go build\` (no \`-trimpath\`, \`GOFLAGS=$GOFLAGS\`), so stack traces carry that checkout's absolute paths and"
	echo "the toolchain's GOROOT; nothing is rewritten. Binaries: \`$BIN_DIR/dumpservice-<go1.NN>[-goroutineleak]\`"
	echo "(that path is in the debug=0 protos' mappings). Host: $(uname -sm), $(nproc) CPUs."
	echo
	echo "Load: \`N=$N\` sequential \`curl\` requests to each of \`${ENDPOINTS[*]}\` (in that order) between the"
	echo "\`before\` and \`after\` dumps, then \`sleep $SETTLE\`. \`/leak/timeout\` and \`/clean\` answer 504 (the handler stops waiting after 10ms; /clean's work still exits), the others 200."
	echo "\`sigquit.txt\`: a fresh instance with \`GOTRACEBACK=all\`, \`$SIGQUIT_N\` requests to each of \`${LEAK_ENDPOINTS[*]}\`,"
	echo "\`sleep $SETTLE\`, \`kill -QUIT\`; its stderr."
	echo
} >"$README"

for tc in $GO_TOOLCHAINS; do
	export GOTOOLCHAIN="$tc"
	tc_full="$(cd "$MOD" && go version)"
	short="$(sed -E 's/^(go[0-9]+\.[0-9]+).*/\1/' <<<"$tc")"
	dir="$TMP/$short"
	mkdir -p "$dir"
	log "$short ($tc_full)"

	bin="$BIN_DIR/dumpservice-$short"
	(cd "$MOD" && go build -o "$bin" .)
	leakbin="$bin"
	leaknote="the same instance as the other \`after\` dumps, after them"
	if [[ "$short" == "go1.26" ]]; then
		leakbin="$BIN_DIR/dumpservice-$short-goroutineleak"
		(cd "$MOD" && GOEXPERIMENT=goroutineleakprofile go build -o "$leakbin" .)
		leaknote="a second binary built with \`GOEXPERIMENT=goroutineleakprofile\`, fresh instance, same load"
	fi

	# ---- before / after
	start_service "$short" "$bin"
	pid="$SVC_PID"
	get '/debug/pprof/goroutine?debug=2' "$dir/before.debug2.txt"
	get '/debug/pprof/goroutine?debug=1' "$dir/before.debug1.txt"
	get '/debug/pprof/goroutine?debug=0' "$dir/before.debug0.pb.gz"
	load "$N" "${ENDPOINTS[@]}"
	sleep "$SETTLE"
	get '/debug/pprof/goroutine?debug=2' "$dir/after.debug2.txt"
	get '/debug/pprof/goroutine?debug=1' "$dir/after.debug1.txt"
	get '/debug/pprof/goroutine?debug=0' "$dir/after.debug0.pb.gz"
	get '/stack' "$dir/after.stack.txt"
	if [[ "$leakbin" != "$bin" ]]; then
		# Go 1.26 without the experiment: the profile does not exist.
		code="$(curl -sS -o /dev/null -w '%{http_code}' "$SVC_URL/debug/pprof/goroutineleak?debug=1")"
		if [[ "$code" != 404 ]]; then
			echo "$short without GOEXPERIMENT: goroutineleak answered $code, want 404" >&2
			exit 1
		fi
		stop_service "$pid"
		start_service "$short-goroutineleak" "$leakbin"
		pid="$SVC_PID"
		load "$N" "${ENDPOINTS[@]}"
		sleep "$SETTLE"
	fi
	get '/debug/pprof/goroutineleak?debug=1' "$dir/after.goroutineleak.debug1.txt"
	get '/debug/pprof/goroutineleak?debug=2' "$dir/after.goroutineleak.debug2.txt"
	get '/debug/pprof/goroutineleak?debug=0' "$dir/after.goroutineleak.debug0.pb.gz"
	stop_service "$pid"

	# ---- SIGQUIT crash dump
	start_service "$short-sigquit" "$bin" GOTRACEBACK=all
	pid="$SVC_PID"
	load "$SIGQUIT_N" "${LEAK_ENDPOINTS[@]}"
	sleep "$SETTLE"
	kill -QUIT "$pid"
	set +e
	wait "$pid"
	quit_rc=$?
	set -e
	cp "$TMP/$short-sigquit.err" "$dir/sigquit.txt"

	# ---- sanity checks
	for f in "$dir"/*.pb.gz; do
		gzip -t "$f"
	done
	for f in "$dir"/*; do
		size=$(stat -c %s "$f")
		if ((size > 1000000)); then
			echo "$f is $size bytes, over 1 MB" >&2
			exit 1
		fi
	done
	grep -q '^SIGQUIT: quit' "$dir/sigquit.txt" || { echo "$short: sigquit.txt has no SIGQUIT header" >&2; exit 1; }
	for fn in main.leakTimeoutWork main.leakTickerLoop; do
		got="$(count_goroutines "$dir/after.debug2.txt" "$fn")"
		if ((got != N)); then
			echo "$short: after.debug2.txt has $got goroutines in $fn, want $N" >&2
			exit 1
		fi
	done
	got="$(count_goroutines "$dir/after.debug2.txt" main.cleanTimeoutWork)"
	if ((got != 0)); then
		echo "$short: after.debug2.txt has $got goroutines in main.cleanTimeoutWork, want 0" >&2
		exit 1
	fi

	# ---- README section
	{
		echo "## \`$short/\`"
		echo
		echo "- \`go version\`: \`$tc_full\` (\`GOTOOLCHAIN=$tc\`; go.mod says \`go $(cd "$MOD" && go list -m -f '{{.GoVersion}}')\`)"
		echo "- goroutineleak dumps: $leaknote"
		echo "- SIGQUIT instance exit status: $quit_rc"
		echo
		echo "Goroutines per stack (debug=2 blocks with a frame of the function; \`total\` = all \`goroutine\` headers):"
		echo
		echo "| function | before.debug2 | after.debug2 | after.stack | after.goroutineleak.debug2 (\`(leaked)\`) | sigquit |"
		echo "|---|---|---|---|---|---|"
		for fn in "${COUNTED[@]}"; do
			lk="$(awk -v f="$fn(" '
				/^goroutine / { leaked = index($0, "(leaked)") > 0; next }
				leaked && index($0, f) == 1 { n++ ; leaked = 0 }
				END { print n + 0 }' "$dir/after.goroutineleak.debug2.txt")"
			echo "| \`$fn\` | $(count_goroutines "$dir/before.debug2.txt" "$fn") | $(count_goroutines "$dir/after.debug2.txt" "$fn") | $(count_goroutines "$dir/after.stack.txt" "$fn") | $(count_goroutines "$dir/after.goroutineleak.debug2.txt" "$fn") ($lk) | $(count_goroutines "$dir/sigquit.txt" "$fn") |"
		done
		echo "| total | $(grep -c '^goroutine ' "$dir/before.debug2.txt") | $(grep -c '^goroutine ' "$dir/after.debug2.txt") | $(grep -c '^goroutine ' "$dir/after.stack.txt") | $(grep -c '^goroutine ' "$dir/after.goroutineleak.debug2.txt") ($(grep -c '^goroutine .*(leaked)' "$dir/after.goroutineleak.debug2.txt" || true)) | $(grep -c '^goroutine ' "$dir/sigquit.txt") |"
		echo
		echo "Header lines: \`$(head -n 1 "$dir/before.debug1.txt")\` → \`$(head -n 1 "$dir/after.debug1.txt")\`; \`$(head -n 1 "$dir/after.goroutineleak.debug1.txt")\`."
		echo
		echo "Sizes (bytes):"
		echo
		echo '```'
		(cd "$dir" && for f in *; do printf '%8d  %s\n' "$(stat -c %s "$f")" "$f"; done)
		echo '```'
		echo
	} >>"$README"
done
unset GOTOOLCHAIN

# Hand-written observations: everything from the marker line on in the
# existing README is kept as it is (re-check it against the new captures).
MARKER='<!-- observations: hand-written, kept by regen-dump-fixtures.sh -->'
if [[ -f "$OUT/README.md" ]] && grep -qxF "$MARKER" "$OUT/README.md"; then
	sed -n "\|^$MARKER\$|,\$p" "$OUT/README.md" >>"$README"
else
	printf '%s\n\n## Observations\n\n(none recorded yet)\n' "$MARKER" >>"$README"
fi

# Move into place: only the directories this script owns.
mkdir -p "$OUT"
for tc in $GO_TOOLCHAINS; do
	short="$(sed -E 's/^(go[0-9]+\.[0-9]+).*/\1/' <<<"$tc")"
	rm -rf "${OUT:?}/$short"
	mv "$TMP/$short" "$OUT/$short"
done
cp "$README" "$OUT/README.md"
log "done:"
du -sh "$OUT"/go1.* >&2
