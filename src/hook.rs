//! The local pre-push check: `leakgate hook install | uninstall | run`.
//!
//! `install` writes a `pre-push` hook into the hooks directory git uses
//! (`core.hooksPath` when set, else `.git/hooks`), refusing to replace a
//! hook that leakgate did not write unless forced. The hook calls
//! `leakgate hook run`, which reads the refs being pushed from standard
//! input (git's pre-push protocol), finds the Go packages whose files
//! changed in the pushed commits, adds the packages in the same module that
//! import them, runs `go test -json` on those, and judges the output like
//! `check`. A non-zero exit refuses the push.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The line that marks a hook as leakgate's own.
pub const MARKER: &str = "# leakgate pre-push hook (installed by `leakgate hook install`)";

/// What went wrong with a hook operation.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum HookError {
    /// Not inside a git work tree.
    #[error("not inside a git repository: {0}")]
    NotARepo(String),
    /// A hook leakgate did not write is in the way.
    #[error("{0} exists and was not written by leakgate; use --force to replace it")]
    #[diagnostic(help("or call `leakgate hook run` from your own hook"))]
    Foreign(PathBuf),
    /// A command failed.
    #[error("{0}")]
    Command(String),
    /// File system error.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

fn git(dir: &Path, args: &[&str]) -> Result<String, HookError> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| HookError::Command(format!("cannot run git: {e}")))?;
    if !out.status.success() {
        return Err(HookError::Command(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
}

/// The directory git runs hooks from, for the repository at `dir`.
pub fn hooks_dir(dir: &Path) -> Result<PathBuf, HookError> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])
        .map_err(|e| HookError::NotARepo(e.to_string()))?;
    let top = PathBuf::from(top);
    match git(&top, &["config", "--get", "core.hooksPath"]) {
        Ok(p) if !p.is_empty() => {
            let p = PathBuf::from(p);
            Ok(if p.is_absolute() { p } else { top.join(p) })
        }
        _ => {
            let common = git(&top, &["rev-parse", "--git-common-dir"])?;
            let common = PathBuf::from(common);
            let common = if common.is_absolute() {
                common
            } else {
                top.join(common)
            };
            Ok(common.join("hooks"))
        }
    }
}

fn hook_text(leakgate: &Path) -> String {
    format!(
        "#!/bin/sh\n{MARKER}\n# Runs the goroutine-leak gate on the Go packages this push changes.\n\
# Skip once with: git push --no-verify\nexec \"{}\" hook run \"$@\"\n",
        leakgate.display()
    )
}

/// Installs the hook; returns its path.
pub fn install(dir: &Path, leakgate: &Path, force: bool) -> Result<PathBuf, HookError> {
    let hooks = hooks_dir(dir)?;
    std::fs::create_dir_all(&hooks).map_err(|source| HookError::Io {
        path: hooks.clone(),
        source,
    })?;
    let path = hooks.join("pre-push");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        if !existing.contains(MARKER) && !force {
            return Err(HookError::Foreign(path));
        }
    }
    let io = |source| HookError::Io {
        path: path.clone(),
        source,
    };
    std::fs::write(&path, hook_text(leakgate)).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).map_err(io)?;
    }
    Ok(path)
}

/// Removes the hook if leakgate wrote it; returns whether one was removed.
pub fn uninstall(dir: &Path) -> Result<bool, HookError> {
    let path = hooks_dir(dir)?.join("pre-push");
    match std::fs::read_to_string(&path) {
        Ok(text) if text.contains(MARKER) => {
            std::fs::remove_file(&path).map_err(|source| HookError::Io { path, source })?;
            Ok(true)
        }
        Ok(_) => Err(HookError::Foreign(path)),
        Err(_) => Ok(false),
    }
}

/// Parses git's pre-push standard input: `<local ref> <local sha> <remote
/// ref> <remote sha>` per line. Returns (local sha, remote sha) pairs for
/// refs that are pushed (not deleted).
pub fn parse_push_refs(input: &str) -> Vec<(String, String)> {
    input
        .lines()
        .filter_map(|l| {
            let parts: Vec<&str> = l.split_whitespace().collect();
            if parts.len() != 4 || parts[1].bytes().all(|b| b == b'0') {
                return None;
            }
            Some((parts[1].to_string(), parts[3].to_string()))
        })
        .collect()
}

/// Files changed by the pushed commits (relative to the top level).
pub fn changed_files(top: &Path, refs: &[(String, String)]) -> Result<BTreeSet<String>, HookError> {
    let mut files = BTreeSet::new();
    for (local, remote) in refs {
        let range = if remote.bytes().all(|b| b == b'0') {
            // A new branch: what it has that no remote branch has.
            let out = git(top, &["rev-list", local, "--not", "--remotes"])?;
            let mut files_of_new = BTreeSet::new();
            for commit in out.lines() {
                for f in git(
                    top,
                    &[
                        "diff-tree",
                        "--no-commit-id",
                        "--name-only",
                        "-r",
                        "--root",
                        commit,
                    ],
                )?
                .lines()
                {
                    files_of_new.insert(f.to_string());
                }
            }
            files.extend(files_of_new);
            continue;
        } else {
            format!("{remote}..{local}")
        };
        for f in git(top, &["diff", "--name-only", &range])?.lines() {
            files.insert(f.to_string());
        }
    }
    Ok(files)
}

/// Groups changed `.go` files (and `go.mod`/`go.sum`) by the Go module they
/// belong to: module directory (relative to `top`) → package directories
/// relative to it.
pub fn packages_by_module(
    top: &Path,
    files: &BTreeSet<String>,
) -> BTreeMap<PathBuf, BTreeSet<String>> {
    let mut out: BTreeMap<PathBuf, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let is_go =
            f.ends_with(".go") || f.ends_with("/go.mod") || f == "go.mod" || f.ends_with("go.sum");
        if !is_go {
            continue;
        }
        let path = top.join(f);
        let Some(dir) = path.parent() else { continue };
        // The nearest go.mod at or above the file's directory.
        let mut module = Some(dir);
        while let Some(m) = module {
            if m.join("go.mod").is_file() {
                break;
            }
            if m == top {
                module = None;
                break;
            }
            module = m.parent();
        }
        let Some(module) = module else { continue };
        let rel = dir.strip_prefix(module).unwrap_or(Path::new(""));
        let pkg = if f.ends_with("go.mod") || f.ends_with("go.sum") {
            "./...".to_string()
        } else if rel.as_os_str().is_empty() {
            ".".to_string()
        } else {
            format!("./{}", rel.to_string_lossy())
        };
        // A deleted directory is not a package any more.
        if pkg != "./..." && !dir.is_dir() {
            continue;
        }
        out.entry(module.to_path_buf()).or_default().insert(pkg);
    }
    out
}

/// The packages of the module at `module` that are `changed` or import one
/// of them (directly or not), as import paths.
pub fn with_dependents(
    module: &Path,
    changed: &BTreeSet<String>,
) -> Result<Vec<String>, HookError> {
    if changed.contains("./...") {
        return Ok(vec!["./...".to_string()]);
    }
    let args: Vec<&str> = ["list", "-f", "{{.ImportPath}}"]
        .into_iter()
        .chain(changed.iter().map(String::as_str))
        .collect();
    let out = Command::new("go")
        .args(&args)
        .current_dir(module)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| HookError::Command(format!("cannot run go: {e}")))?;
    let targets: BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    let all = Command::new("go")
        .args([
            "list",
            "-f",
            "{{.ImportPath}}{{range .Deps}} {{.}}{{end}}",
            "./...",
        ])
        .current_dir(module)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| HookError::Command(format!("cannot run go: {e}")))?;
    let mut result: BTreeSet<String> = targets.clone();
    for line in String::from_utf8_lossy(&all.stdout).lines() {
        let mut words = line.split(' ');
        let Some(pkg) = words.next() else { continue };
        if words.any(|d| targets.contains(d)) {
            result.insert(pkg.to_string());
        }
    }
    Ok(result.into_iter().collect())
}

/// Runs `go test -json -count=1 <packages>` in `module` and returns a
/// reader of its output (stderr goes to ours).
pub fn go_test(
    module: &Path,
    packages: &[String],
) -> Result<(std::process::Child, impl Read), HookError> {
    let mut child = Command::new("go")
        .args(["test", "-json", "-count=1"])
        .args(packages)
        .current_dir(module)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| HookError::Command(format!("cannot run go test: {e}")))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| HookError::Command("no stdout from go test".to_string()))?;
    Ok((child, std::io::BufReader::new(stdout)))
}

/// Reads git's pre-push input from `stdin`.
pub fn read_push_input(stdin: impl BufRead) -> String {
    let mut s = String::new();
    for line in stdin.lines().map_while(Result::ok) {
        s.push_str(&line);
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_refs() {
        let z = "0".repeat(40);
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let input =
            format!("refs/heads/x {a} refs/heads/x {b}\nrefs/heads/gone {z} refs/heads/gone {b}\n");
        assert_eq!(parse_push_refs(&input), vec![(a, b)]);
    }

    #[test]
    fn packages_grouped_by_module() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path();
        std::fs::create_dir_all(top.join("svc/worker")).unwrap();
        std::fs::write(top.join("svc/go.mod"), "module ex.com/svc\n").unwrap();
        let files: BTreeSet<String> = [
            "svc/worker/pool.go",
            "svc/main.go",
            "README.md",
            "other/x.go",
        ]
        .into_iter()
        .map(str::to_string)
        .collect();
        let m = packages_by_module(top, &files);
        assert_eq!(m.len(), 1);
        let pkgs: Vec<&String> = m[&top.join("svc")].iter().collect();
        assert_eq!(pkgs, vec![".", "./worker"]);
    }
}
