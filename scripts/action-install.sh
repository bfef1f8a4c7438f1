#!/usr/bin/env bash
# Installs leakgate for the GitHub Action (action.yml's install step).
#
# Order: the `leakgate-bin` input; a leakgate of the wanted version on PATH
# or already in the install directory (a cache hit); the release archive
# for this runner's target, checked against its published SHA-256; and,
# only when the release has no such archive (HTTP 404), a build of the
# action's own source with `cargo build --locked --release`. leakgate is not
# on crates.io: this never runs `cargo install`.
#
# Environment:
#   INPUT_VERSION              wanted version (empty: the action's Cargo.toml)
#   INPUT_LEAKGATE_BIN         a binary to use instead of installing one
#   GITHUB_ACTION_PATH         the action's checkout (default: this script's parent)
#   GITHUB_OUTPUT              `bin=PATH` is appended here when set
#   RUNNER_OS, RUNNER_ARCH     runner platform (default: uname)
#   LEAKGATE_TARGET            target triple, instead of the one mapped from the platform
#   LEAKGATE_RELEASE_BASE_URL  where releases live (default
#                              https://github.com/leakgate/leakgate/releases/download);
#                              an https:// or file:// URL, or a local directory,
#                              holding vVERSION/ARCHIVE and vVERSION/ARCHIVE.sha256
#   LEAKGATE_INSTALL_DIR       where the binary goes (default ~/.leakgate/VERSION/TARGET/bin)
#   LEAKGATE_TARGET_DIR        cargo's target directory for the fallback build
#                              (default ACTION_PATH/target)
#   LEAKGATE_BUILD_CMD         the fallback build command, run with bash -c
#                              (default: cargo build --locked --release); it must
#                              leave the binary at $CARGO_TARGET_DIR/release/leakgate
#
# Exit status: 0 installed; 1 could not install (checksum mismatch, download
# error, failed build); 2 bad input.
set -euo pipefail

err() {
  echo "::error title=leakgate install::$*"
  exit 1
}

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
action_path="${GITHUB_ACTION_PATH:-$(dirname "$script_dir")}"
source_version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$action_path/Cargo.toml" | head -n 1)"
want="${INPUT_VERSION:-}"
want="${want:-$source_version}"
want="${want#v}"
if [[ -z "$want" ]]; then
  echo "::error title=leakgate install::no version given and none in $action_path/Cargo.toml"
  exit 2
fi

# The version of a binary as "leakgate X.Y.Z": the first two words of its
# --version line (a build may add its commit and date after them).
version_of() {
  { "$1" --version 2>/dev/null || true; } | awk 'NR == 1 { print $1 " " $2 }'
}

finish() {
  local bin="$1" got
  got="$(version_of "$bin")"
  if [[ "$got" != "leakgate $want" ]]; then
    err "$bin reports '${got:-nothing}', expected 'leakgate $want'"
  fi
  echo "$got"
  if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
    echo "bin=$bin" >> "$GITHUB_OUTPUT"
  fi
  exit 0
}

if [[ -n "${INPUT_LEAKGATE_BIN:-}" ]]; then
  if [[ ! -f "$INPUT_LEAKGATE_BIN" || ! -x "$INPUT_LEAKGATE_BIN" ]]; then
    echo "::error title=leakgate::leakgate-bin is not an executable file"
    exit 2
  fi
  "$INPUT_LEAKGATE_BIN" --version
  if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
    echo "bin=$INPUT_LEAKGATE_BIN" >> "$GITHUB_OUTPUT"
  fi
  exit 0
fi

if command -v leakgate >/dev/null 2>&1 && [[ "$(version_of leakgate)" == "leakgate $want" ]]; then
  bin="$(command -v leakgate)"
  echo "leakgate $want is already installed at $bin"
  finish "$bin"
fi

# The runner's target triple.
os="${RUNNER_OS:-$(uname -s)}"
arch="${RUNNER_ARCH:-$(uname -m)}"
case "$arch" in
  X64 | x86_64 | amd64) arch=x86_64 ;;
  ARM64 | aarch64 | arm64) arch=aarch64 ;;
esac
exe=""
if [[ -n "${LEAKGATE_TARGET:-}" ]]; then
  target="$LEAKGATE_TARGET"
  [[ "$target" == *windows* ]] && exe=".exe"
else
  case "$os:$arch" in
    Linux:x86_64) target=x86_64-unknown-linux-musl ;;
    Linux:aarch64) target=aarch64-unknown-linux-musl ;;
    macOS:x86_64 | Darwin:x86_64) target=x86_64-apple-darwin ;;
    macOS:aarch64 | Darwin:aarch64) target=aarch64-apple-darwin ;;
    # Windows on Arm runs the x86_64 build under emulation.
    Windows:* | MINGW*:* | MSYS*:* | CYGWIN*:*) target=x86_64-pc-windows-msvc; exe=".exe" ;;
    *) target="" ;;
  esac
fi

install_dir="${LEAKGATE_INSTALL_DIR:-$HOME/.leakgate/$want/${target:-source}/bin}"
installed="$install_dir/leakgate$exe"
if [[ -x "$installed" && "$(version_of "$installed")" == "leakgate $want" ]]; then
  echo "leakgate $want is already installed at $installed"
  finish "$installed"
fi

# fetch URL DEST: 0 fetched, 4 not there (HTTP 404, no such file), 1 other failure.
fetch() {
  local url="$1" dest="$2" code
  case "$url" in
    http://* | https://*)
      if ! code="$(curl -sSL --retry 3 --retry-delay 2 -o "$dest" -w '%{http_code}' "$url")"; then
        echo "download of $url failed (curl: ${code:-no response})" >&2
        return 1
      fi
      case "$code" in
        2??) return 0 ;;
        404) return 4 ;;
        *)
          echo "download of $url failed: HTTP $code" >&2
          return 1
          ;;
      esac
      ;;
    *)
      local file="${url#file://}"
      [[ -f "$file" ]] || return 4
      cp "$file" "$dest"
      ;;
  esac
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  else
    err "neither sha256sum nor shasum is installed: cannot check the release archive"
  fi
}

build_from_source() {
  local why="$1"
  if [[ "$want" != "$source_version" ]]; then
    err "$why, and this action's source is leakgate $source_version, not $want: use the action at tag v$want, or a version that has a release"
  fi
  echo "::notice title=leakgate install::$why; building leakgate $want from the action's source"
  export CARGO_TARGET_DIR="${LEAKGATE_TARGET_DIR:-$action_path/target}"
  local cmd="${LEAKGATE_BUILD_CMD:-}"
  if [[ -z "$cmd" ]]; then
    command -v cargo >/dev/null 2>&1 ||
      err "$why, and there is no cargo on this runner to build leakgate from source (install Rust 1.89+, e.g. with dtolnay/rust-toolchain)"
    cmd="cargo build --locked --release --manifest-path \"$action_path/Cargo.toml\""
  fi
  (cd "$action_path" && bash -c "$cmd") || err "building leakgate $want from source failed"
  local built="$CARGO_TARGET_DIR/release/leakgate$exe"
  [[ -x "$built" ]] || err "the build left no binary at $built"
  mkdir -p "$install_dir"
  cp "$built" "$installed"
  chmod +x "$installed"
  finish "$installed"
}

if [[ -z "$target" ]]; then
  build_from_source "no release binary for $os/$arch"
fi

base="${LEAKGATE_RELEASE_BASE_URL:-https://github.com/leakgate/leakgate/releases/download}"
base="${base%/}"
if [[ "$exe" == ".exe" ]]; then ext=zip; else ext=tar.gz; fi
archive="leakgate-v$want-$target.$ext"
url="$base/v$want/$archive"

tmp="$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/leakgate-install.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

status=0
fetch "$url" "$tmp/$archive" || status=$?
if [[ "$status" -eq 4 ]]; then
  build_from_source "no release archive $archive for v$want"
elif [[ "$status" -ne 0 ]]; then
  err "could not download $url"
fi
status=0
fetch "$url.sha256" "$tmp/$archive.sha256" || status=$?
if [[ "$status" -ne 0 ]]; then
  err "release v$want has $archive but its SHA-256 file could not be downloaded ($url.sha256): refusing an unchecked binary"
fi

expected="$(tr -d '\r' < "$tmp/$archive.sha256" | awk 'NR == 1 { print tolower($1) }')"
actual="$(sha256_of "$tmp/$archive")"
if [[ ! "$expected" =~ ^[0-9a-f]{64}$ ]]; then
  err "$archive.sha256 holds no SHA-256: refusing an unchecked binary"
fi
if [[ "$expected" != "$actual" ]]; then
  err "$archive does not match its published SHA-256 (got $actual, expected $expected): refusing to install it"
fi
echo "$archive: SHA-256 $actual verified"

mkdir -p "$tmp/x"
if [[ "$ext" == zip ]]; then
  if command -v unzip >/dev/null 2>&1; then
    unzip -q "$tmp/$archive" -d "$tmp/x"
  else
    tar -xf "$tmp/$archive" -C "$tmp/x"
  fi
else
  tar -xzf "$tmp/$archive" -C "$tmp/x"
fi
found="$(find "$tmp/x" -type f -name "leakgate$exe" | head -n 1)"
[[ -n "$found" ]] || err "$archive holds no leakgate$exe"
mkdir -p "$install_dir"
cp "$found" "$installed"
chmod +x "$installed"
finish "$installed"
