# Sourced by the scripts that regenerate captured Go test outputs: the
# peers they feed the captures to, and how they run a command whose
# failure is expected.
#
#   GOTESTSUM_VERSION        default v1.13.0
#   GO_JUNIT_REPORT_VERSION  default v2.1.0
#   LEAKGATE_TOOLS_DIR       where the tools are installed (default
#                            ${XDG_CACHE_HOME:-$HOME/.cache}/leakgate-fixture-tools)
#
# After install_fixture_tools: GOTESTSUM and GOJUNIT name the binaries.

GOTESTSUM_VERSION="${GOTESTSUM_VERSION:-v1.13.0}"
GO_JUNIT_REPORT_VERSION="${GO_JUNIT_REPORT_VERSION:-v2.1.0}"
TOOLS="${LEAKGATE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/leakgate-fixture-tools}"

log() { printf '==> %s\n' "$*" >&2; }

# run_capture OUTFILE STDERRFILE CMD... : run CMD, stdout to OUTFILE, stderr to
# STDERRFILE ("-" = same as stdout); never fails; sets RC.
run_capture() {
	local out="$1" err="$2"
	shift 2
	set +e
	if [[ "$err" == "-" ]]; then
		"$@" >"$out" 2>&1
	else
		"$@" >"$out" 2>"$err"
	fi
	RC=$?
	set -e
}

# install_fixture_tools WORKDIR: gotestsum and go-junit-report at their
# versions into $TOOLS (built outside any module, with the local Go).
install_fixture_tools() {
	log "installing gotestsum $GOTESTSUM_VERSION and go-junit-report $GO_JUNIT_REPORT_VERSION into $TOOLS"
	mkdir -p "$TOOLS"
	(cd "$1" && GOBIN="$TOOLS" GOTOOLCHAIN=local go install "gotest.tools/gotestsum@$GOTESTSUM_VERSION")
	(cd "$1" && GOBIN="$TOOLS" GOTOOLCHAIN=local go install "github.com/jstemmer/go-junit-report/v2@$GO_JUNIT_REPORT_VERSION")
	GOTESTSUM="$TOOLS/gotestsum"
	GOJUNIT="$TOOLS/go-junit-report"
}
