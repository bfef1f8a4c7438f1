//! Stamps the version line with the commit it was built from.
//!
//! Sets `LEAKGATE_VERSION_LINE` to `X.Y.Z (COMMIT DATE)`: COMMIT is the
//! short hash of HEAD, DATE its committer date. Without git, or outside a
//! git checkout of this crate (a crates.io or tarball build), it is
//! `X.Y.Z`. `leakgate --version` and the man pages show it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let line = match git_stamp(&manifest_dir) {
        Some((commit, date)) => format!("{version} ({commit} {date})"),
        None => version,
    };
    println!("cargo:rustc-env=LEAKGATE_VERSION_LINE={line}");
}

/// The short commit and its date, when this crate is a git checkout.
fn git_stamp(dir: &Path) -> Option<(String, String)> {
    // Only this crate's own checkout: an unpacked tarball inside some
    // other repository must not take that repository's commit.
    if !dir.join(".git").exists() {
        return None;
    }
    watch_refs(dir);
    let commit = git(dir, &["rev-parse", "--short=12", "HEAD"])?;
    let date = git(dir, &["log", "-1", "--format=%cs"])?;
    let hex = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex(&commit) && !date.is_empty()).then_some((commit, date))
}

/// Reruns this script when HEAD moves: HEAD itself, the branch it names,
/// and packed-refs (where a branch's ref lives once packed).
fn watch_refs(dir: &Path) {
    let Some(git_dir) = git(dir, &["rev-parse", "--absolute-git-dir"]) else {
        return;
    };
    let git_dir = PathBuf::from(git_dir);
    let head = git_dir.join("HEAD");
    watch(&head);
    // A linked worktree keeps its branches in the common directory.
    let common = git(
        dir,
        &["rev-parse", "--path-format=absolute", "--git-common-dir"],
    )
    .map(PathBuf::from)
    .unwrap_or_else(|| git_dir.clone());
    if let Ok(text) = std::fs::read_to_string(&head) {
        if let Some(name) = text.trim().strip_prefix("ref: ") {
            // A packed branch has no file yet: watch the directory its
            // file will be written to.
            let mut path = common.join(name);
            while !path.exists() && path.pop() {}
            watch(&path);
        }
    }
    watch(&common.join("packed-refs"));
}

/// Cargo reruns a script on every build while a watched path is missing,
/// so only existing paths are watched.
fn watch(path: &Path) {
    if path.exists() {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?;
    Some(s.trim().to_string())
}
