//! The local pre-push check: `leakgate hook install | uninstall | run`.
//!
//! `install` writes a `pre-push` hook into the hooks directory git uses
//! (`core.hooksPath` when set, else `.git/hooks`), refusing to replace a
//! hook that leakgate did not write unless forced. The hook calls
//! `leakgate hook run`: the absolute path of the binary that installed it,
//! or, when that file no longer exists, `leakgate` on `PATH` (and when
//! neither exists it refuses the push, saying how to reinstall or skip).
//!
//! `leakgate hook run` judges what is pushed, never the working tree (the
//! judging is the binary's, `dispatch/hook.rs`); this module gives it what
//! git knows: the refs being pushed, read from standard input (git's
//! pre-push protocol) by [`parse_push_refs`]; the files the pushed commits
//! change ([`changed_files`]: against the remote's old tip, or, for a new
//! branch, the commits no remote-tracking branch has); the changed packages
//! and their dependents ([`packages_by_module`], [`with_dependents`]); and
//! temporary worktrees of pushed commits ([`Worktree`]: `git worktree add
//! --detach`, with hooks off, removed on drop; [`remove_stale_worktrees`]
//! removes those a killed run left).
//!
//! This module never prints.

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The line that marks a hook as leakgate's own.
pub const MARKER: &str = "# leakgate pre-push hook (installed by `leakgate hook install`)";

/// The prefix of the temporary directories that hold pushed trees.
const TEMP_PREFIX: &str = "leakgate-push-";
/// The lock reason of a pushed tree's worktree, followed by the pid.
const LOCK_REASON: &str = "leakgate pre-push, pid ";

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
        // Git exports it to some hooks; the worktree has an index of its own.
        .env_remove("GIT_INDEX_FILE")
        .stdin(Stdio::null())
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

/// `s` as one POSIX shell word.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The hook script: runs `leakgate` at the path it was installed from, or
/// the one on `PATH` when that path no longer exists.
pub fn hook_text(leakgate: &Path, config: Option<&Path>) -> String {
    let exe = sh_quote(&leakgate.to_string_lossy());
    let config = match config {
        Some(c) => format!(" --config {}", sh_quote(&c.to_string_lossy())),
        None => String::new(),
    };
    format!(
        "#!/bin/sh\n{MARKER}\n\
# Runs the goroutine-leak gate on the commits this push sends: each pushed tip\n\
# is checked out in a temporary worktree, and the Go packages the push changes\n\
# (and the packages that import them) are tested there.\n\
# Skip once with: git push --no-verify\n\
leakgate={exe}\n\
if [ ! -x \"$leakgate\" ]; then\n\
\tif command -v leakgate >/dev/null 2>&1; then\n\
\t\techo \"leakgate: $leakgate no longer exists; using leakgate from PATH ($(command -v leakgate))\" >&2\n\
\t\tleakgate=leakgate\n\
\telse\n\
\t\techo \"leakgate: the pre-push hook cannot run: $leakgate no longer exists and there is no leakgate on PATH; install leakgate and run 'leakgate hook install' again, or skip the check once with 'git push --no-verify'\" >&2\n\
\t\texit 1\n\
\tfi\n\
fi\n\
exec \"$leakgate\" hook run{config} \"$@\"\n"
    )
}

/// Installs the hook; returns its path. `config` is passed to `hook run`
/// as `--config` (relative: a file of each pushed tree).
pub fn install(
    dir: &Path,
    leakgate: &Path,
    config: Option<&Path>,
    force: bool,
) -> Result<PathBuf, HookError> {
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
    std::fs::write(&path, hook_text(leakgate, config)).map_err(io)?;
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

/// One line of git's pre-push input: a ref that is pushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedRef {
    /// The local ref (`refs/heads/x`, `HEAD`, ...), as git names it.
    pub local_ref: String,
    /// The commit (or tag) pushed.
    pub local_sha: String,
    /// The ref it updates on the remote.
    pub remote_ref: String,
    /// The remote's current value; all zeros for a new ref.
    pub remote_sha: String,
}

fn is_zero(sha: &str) -> bool {
    sha.bytes().all(|b| b == b'0')
}

/// A commit id abbreviated to 12 characters, as messages show it.
pub fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// Parses git's pre-push standard input: `<local ref> <local sha> <remote
/// ref> <remote sha>` per line. Deletions (an all-zero local sha) push
/// nothing and are left out.
pub fn parse_push_refs(input: &str) -> Vec<PushedRef> {
    input
        .lines()
        .filter_map(|l| {
            let parts: Vec<&str> = l.split_whitespace().collect();
            let [local_ref, local_sha, remote_ref, remote_sha] = parts.as_slice() else {
                return None;
            };
            if is_zero(local_sha) {
                return None;
            }
            Some(PushedRef {
                local_ref: local_ref.to_string(),
                local_sha: local_sha.to_string(),
                remote_ref: remote_ref.to_string(),
                remote_sha: remote_sha.to_string(),
            })
        })
        .collect()
}

/// Files changed by the commits a ref push sends (relative to the top
/// level): against the remote's old tip when this repository has it, else
/// (a new branch, or a remote tip never fetched) by every commit no
/// remote-tracking branch has.
pub fn changed_files(dir: &Path, pushed: &PushedRef) -> Result<BTreeSet<String>, HookError> {
    let local = pushed.local_sha.as_str();
    let remote = pushed.remote_sha.as_str();
    let known_remote =
        !is_zero(remote) && git(dir, &["cat-file", "-e", &format!("{remote}^{{commit}}")]).is_ok();
    let out = if known_remote {
        git(dir, &["diff", "--name-only", "--no-renames", remote, local])?
    } else {
        // `-m`: a merge's changes against each parent.
        git(
            dir,
            &[
                "log",
                "--name-only",
                "--no-renames",
                "-m",
                "--format=",
                local,
                "--not",
                "--remotes",
            ],
        )?
    };
    Ok(out
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect())
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
        let pkg = if f.ends_with("go.mod") || f.ends_with("go.sum") || !has_go_files(dir) {
            // A package that is gone cannot be listed, nor its dependents
            // found (which may now fail to build): the whole module.
            "./...".to_string()
        } else if rel.as_os_str().is_empty() {
            ".".to_string()
        } else {
            format!("./{}", rel.to_string_lossy())
        };
        out.entry(module.to_path_buf()).or_default().insert(pkg);
    }
    out
}

/// `go list -e` in `module`: its standard output, or an error when it
/// failed even so (packages with errors are listed, not left out: their
/// `go test` reports them).
fn go_list(module: &Path, args: &[&str]) -> Result<String, HookError> {
    let out = Command::new("go")
        .arg("list")
        .arg("-e")
        .args(args)
        .current_dir(module)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| HookError::Command(format!("cannot run go: {e}")))?;
    if !out.status.success() {
        return Err(HookError::Command(format!(
            "go list {} failed in {}: {}",
            args.join(" "),
            module.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).to_string())
}

fn has_go_files(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .map_while(Result::ok)
            .any(|e| e.file_name().to_string_lossy().ends_with(".go") && e.path().is_file())
    })
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
    let mut args = vec!["-f", "{{.ImportPath}}"];
    args.extend(changed.iter().map(String::as_str));
    let targets: BTreeSet<String> = go_list(module, &args)?
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let all = go_list(
        module,
        &["-f", "{{.ImportPath}}{{range .Deps}} {{.}}{{end}}", "./..."],
    )?;
    let mut result: BTreeSet<String> = targets.clone();
    for line in all.lines() {
        let mut words = line.split(' ');
        let Some(pkg) = words.next() else { continue };
        if words.any(|d| targets.contains(d)) {
            result.insert(pkg.to_string());
        }
    }
    Ok(result.into_iter().collect())
}

/// A pushed commit checked out in a temporary worktree, removed (with its
/// directory and git's record of it) when dropped.
#[derive(Debug)]
pub struct Worktree {
    /// Where git commands run (the repository pushed from).
    repo: PathBuf,
    /// The temporary directory holding the worktree.
    temp: Option<tempfile::TempDir>,
    /// The worktree's root.
    path: PathBuf,
}

impl Worktree {
    /// `git worktree add --detach` of `commit` (a commit id) in a new temporary
    /// directory, locked with this process's pid (so that a later run can
    /// tell it was left by a process that died). Hooks do not run for it.
    pub fn add(repo: &Path, commit: &str) -> Result<Worktree, HookError> {
        let temp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempdir()
            .map_err(|source| HookError::Io {
                path: std::env::temp_dir(),
                source,
            })?;
        let root = temp
            .path()
            .canonicalize()
            .unwrap_or_else(|_| temp.path().to_path_buf());
        let path = root.join(short(commit));
        let tree = Worktree {
            repo: repo.to_path_buf(),
            temp: Some(temp),
            path,
        };
        let reason = format!("{LOCK_REASON}{}", std::process::id());
        git(
            repo,
            &[
                "-c",
                "core.hooksPath=/dev/null",
                "worktree",
                "add",
                "--quiet",
                "--detach",
                "--lock",
                "--reason",
                &reason,
                &tree.path.to_string_lossy(),
                commit,
            ],
        )?;
        Ok(tree)
    }

    /// The worktree's root.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        remove_worktree(&self.repo, &self.path);
        if let Some(temp) = self.temp.take() {
            let _ = temp.close();
        }
        let _ = git(&self.repo, &["worktree", "prune"]);
    }
}

fn remove_worktree(repo: &Path, path: &Path) {
    // Twice forced: the worktree is locked, and may hold build output.
    let _ = git(
        repo,
        &[
            "worktree",
            "remove",
            "--force",
            "--force",
            &path.to_string_lossy(),
        ],
    );
}

/// Removes the worktrees a pre-push check left behind because it was
/// killed (their lock names a process that no longer exists); returns
/// their paths.
pub fn remove_stale_worktrees(repo: &Path) -> Vec<PathBuf> {
    let Ok(list) = git(repo, &["worktree", "list", "--porcelain"]) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    let mut current: Option<PathBuf> = None;
    for line in list.lines() {
        if let Some(p) = line.strip_prefix("worktree ") {
            current = Some(PathBuf::from(p));
        } else if let Some(reason) = line.strip_prefix("locked ") {
            let Some(pid) = reason
                .strip_prefix(LOCK_REASON)
                .and_then(|p| p.trim().parse::<i32>().ok())
            else {
                continue;
            };
            let Some(path) = current.take() else { continue };
            if crate::process::alive(pid) {
                continue;
            }
            remove_worktree(repo, &path);
            if let Some(parent) = path.parent().filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(TEMP_PREFIX))
            }) {
                let _ = std::fs::remove_dir_all(parent);
            }
            removed.push(path);
        }
    }
    if !removed.is_empty() {
        let _ = git(repo, &["worktree", "prune"]);
    }
    removed
}

/// The commit `rev` names (`rev^{commit}`), or none when it names none.
pub fn commit_of(dir: &Path, rev: &str) -> Option<String> {
    git(
        dir,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .ok()
}

/// Whether a changed file can change what `go test` does: Go source,
/// `go.mod`, `go.sum`.
pub fn is_go_file(f: &str) -> bool {
    f.ends_with(".go") || f == "go.mod" || f.ends_with("/go.mod") || f.ends_with("go.sum")
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
        assert_eq!(
            parse_push_refs(&input),
            vec![PushedRef {
                local_ref: "refs/heads/x".to_string(),
                local_sha: a,
                remote_ref: "refs/heads/x".to_string(),
                remote_sha: b,
            }]
        );
    }

    /// The script quotes the paths it was given, runs the installed
    /// binary while it exists, then `leakgate` on PATH, then refuses.
    #[cfg(unix)]
    #[test]
    fn hook_script_quotes_and_falls_back_to_path() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let fake = |path: &Path, name: &str| {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let script = format!(
                "#!/bin/sh\nprintf '{name}'; for a in \"$@\"; do printf ' [%s]' \"$a\"; done\n"
            );
            std::fs::write(path, script).unwrap();
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
        };
        let installed = dir.path().join("it's a dir/leakgate");
        fake(&installed, "installed");
        let on_path = dir.path().join("bin/leakgate");
        fake(&on_path, "on-path");
        let hook = dir.path().join("pre-push");
        let config = Path::new("ci/it's $HOME.yml");
        std::fs::write(&hook, hook_text(&installed, Some(config))).unwrap();
        let run = |path: &str| {
            let out = Command::new("sh")
                .arg(&hook)
                .args(["origin", "u r l"])
                .env("PATH", path)
                .output()
                .unwrap();
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).to_string(),
                String::from_utf8_lossy(&out.stderr).to_string(),
            )
        };
        let system = "/usr/bin:/bin";
        let with_bin = format!("{}:{system}", dir.path().join("bin").display());
        let args = "[hook] [run] [--config] [ci/it's $HOME.yml] [origin] [u r l]";
        assert_eq!(
            run(&with_bin),
            (Some(0), format!("installed {args}"), String::new())
        );
        std::fs::remove_file(&installed).unwrap();
        let (code, out, err) = run(&with_bin);
        assert_eq!((code, out), (Some(0), format!("on-path {args}")));
        assert!(err.contains("using leakgate from PATH"), "{err}");
        let (code, out, err) = run(system);
        assert_eq!((code, out.as_str()), (Some(1), ""));
        assert!(err.contains("no leakgate on PATH"), "{err}");
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
        std::fs::write(top.join("svc/main.go"), "package main\n").unwrap();
        std::fs::write(top.join("svc/worker/pool.go"), "package worker\n").unwrap();
        let m = packages_by_module(top, &files);
        assert_eq!(m.len(), 1);
        let pkgs: Vec<&String> = m[&top.join("svc")].iter().collect();
        assert_eq!(pkgs, vec![".", "./worker"]);
        // A package deleted (its directory gone, or left without Go files):
        // the whole module.
        std::fs::remove_file(top.join("svc/worker/pool.go")).unwrap();
        let m = packages_by_module(top, &files);
        let pkgs: Vec<&String> = m[&top.join("svc")].iter().collect();
        assert_eq!(pkgs, vec![".", "./..."]);
        std::fs::remove_dir(top.join("svc/worker")).unwrap();
        assert_eq!(packages_by_module(top, &files), m);
    }
}
