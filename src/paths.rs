//! Where source files are: the repository root, and how a file printed in
//! a stack maps to a path relative to it.
//!
//! A stack prints the absolute path the compiler saw (`/home/runner/work/r/r/pkg/f.go`)
//! or, under `-trimpath`, a module path (`example.com/m/pkg/f.go`). Logs
//! often come from another machine than the one judging them. So a file is
//! resolved, in order:
//!
//! 1. relative to the root when it lies inside it;
//! 2. through the `go.mod` files under the root: a module path prefix maps
//!    to the module's directory (`-trimpath` builds);
//! 3. through the function's import path: the package's directory inside a
//!    module under the root, plus the file's base name (logs from CI);
//! 4. for a function of package `main`, whose import path the stack does
//!    not give: the longest tail of the printed path that names a file
//!    under the root (`/app/cmd/server/main.go`, built in a container, is
//!    `cmd/server/main.go`). Only the main module holds package `main`,
//!    so the tail cannot be a dependency's or the standard library's file.
//!
//! A file that resolves to nothing is not "in the repository" and keeps
//! its printed form, with `/` for `\`. Resolved paths never leave the
//! root (`..` is refused).
//!
//! Windows paths (`C:/a/r/pkg/f.go` as Go prints them, `C:\a\r\pkg\f.go`
//! as other tools and pastes do) compare with `/` for `\`, and their
//! drive and names without regard to ASCII case, as the file system does;
//! a root canonicalized to `\\?\C:\…` loses the verbatim prefix. Paths in
//! reports use `/` on every platform.

use std::path::{Component, Path, PathBuf};

/// How deep the `go.mod` search descends below the root.
pub const MAX_GOMOD_DEPTH: usize = 8;
/// How many `go.mod` files are read at most.
pub const MAX_GOMODS: usize = 2_000;

/// The repository root and the Go modules under it.
#[derive(Debug, Clone, Default)]
pub struct Repo {
    root: PathBuf,
    root_str: String,
    /// (module path, directory relative to the root with `/`), longest
    /// module path first; looked for on first use (most paths resolve by
    /// the root alone, and walking a large repository costs milliseconds).
    modules: std::sync::OnceLock<Vec<(String, String)>>,
}

pub use crate::findings::SourceRef;

impl Repo {
    /// A repository rooted at `root`; the `go.mod` files below it are read
    /// when a path first needs them.
    pub fn discover(root: &Path) -> Repo {
        let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let root_str = plain(&root.to_string_lossy()).replace('\\', "/");
        Repo {
            root,
            root_str,
            modules: std::sync::OnceLock::new(),
        }
    }

    /// A repository with no files (resolution by root prefix only).
    pub fn bare(root: &str) -> Repo {
        Repo {
            root: PathBuf::from(root),
            root_str: plain(root)
                .replace('\\', "/")
                .trim_end_matches('/')
                .to_string(),
            modules: std::sync::OnceLock::from(Vec::new()),
        }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The Go modules found: (module path, directory relative to root).
    pub fn modules(&self) -> &[(String, String)] {
        self.modules.get_or_init(|| {
            let mut modules = Vec::new();
            find_gomods(&self.root, &self.root, 0, &mut modules);
            modules
                .sort_by(|a: &(String, String), b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
            modules
        })
    }

    /// Resolves a stack frame's position; a frame printed without its
    /// position line resolves to an empty, not-in-repository file.
    pub fn resolve_frame(&self, f: &crate::stack::Frame) -> SourceRef {
        if f.file.is_empty() {
            SourceRef {
                file: String::new(),
                line: f.line,
                in_repo: false,
            }
        } else {
            self.resolve(&f.file, f.line, Some(&f.function))
        }
    }

    /// Resolves `file` (as printed in a stack) at `line`; `function` is the
    /// frame's function, used when the path itself does not resolve.
    pub fn resolve(&self, file: &str, line: u32, function: Option<&str>) -> SourceRef {
        let norm = file.replace('\\', "/");
        let found = self
            .by_root(&norm)
            .or_else(|| self.by_module_path(&norm))
            .or_else(|| function.and_then(|f| self.by_function(&norm, f)))
            .or_else(|| function.and_then(|f| self.by_main_tail(&norm, f)));
        match found {
            Some(rel) => SourceRef {
                file: rel,
                line,
                in_repo: true,
            },
            None => SourceRef {
                file: norm,
                line,
                in_repo: false,
            },
        }
    }

    fn by_root(&self, file: &str) -> Option<String> {
        if self.root_str.is_empty() {
            return None;
        }
        let rest = if is_drive_path(&self.root_str) {
            let n = self.root_str.len();
            let head = file.get(..n)?;
            if !head.eq_ignore_ascii_case(&self.root_str) {
                return None;
            }
            &file[n..]
        } else {
            file.strip_prefix(&self.root_str)?
        };
        safe_relative(rest.strip_prefix('/')?)
    }

    fn by_module_path(&self, file: &str) -> Option<String> {
        if file.starts_with('/') || is_drive_path(file) {
            return None;
        }
        for (module, dir) in self.modules() {
            if let Some(rest) = file
                .strip_prefix(module.as_str())
                .and_then(|r| r.strip_prefix('/'))
            {
                return safe_relative(&join(dir, rest));
            }
        }
        None
    }

    fn by_main_tail(&self, file: &str, function: &str) -> Option<String> {
        if crate::stack::function_package(function) != "main"
            || self.root_str.is_empty()
            || !file.ends_with(".go")
        {
            return None;
        }
        // `C:/a/r/cmd/x/main.go` → `a/r/cmd/x/main.go`, `r/cmd/x/main.go`, …
        let path = if is_drive_path(file) {
            &file[2..]
        } else {
            file
        };
        let mut tail = path.trim_start_matches('/');
        loop {
            if let Some(rel) = safe_relative(tail) {
                if self.root.join(&rel).is_file() {
                    return Some(rel);
                }
            }
            tail = &tail[tail.find('/')? + 1..];
        }
    }

    fn by_function(&self, file: &str, function: &str) -> Option<String> {
        let pkg = crate::stack::function_package(function);
        let pkg = pkg.strip_suffix("_test").unwrap_or(pkg);
        let base = file.rsplit('/').next()?;
        for (module, dir) in self.modules() {
            let sub = if pkg == module {
                Some("")
            } else {
                pkg.strip_prefix(module.as_str())
                    .and_then(|r| r.strip_prefix('/'))
            };
            if let Some(sub) = sub {
                let rel = join(dir, &join(sub, base));
                let rel = safe_relative(&rel)?;
                if self.root.join(&rel).is_file() {
                    return Some(rel);
                }
                return None;
            }
        }
        None
    }
}

/// Whether `p` starts with a Windows drive (`C:`).
fn is_drive_path(p: &str) -> bool {
    let b = p.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

/// `p` without the verbatim prefix `canonicalize` gives on Windows
/// (`\\\\?\\C:\\r` is `C:\\r`, `\\\\?\\UNC\\host\\share` is `\\\\host\\share`).
fn plain(p: &str) -> String {
    if let Some(unc) = p.strip_prefix(r"\\?\UNC\") {
        format!(r"\\{unc}")
    } else if let Some(rest) = p.strip_prefix(r"\\?\").filter(|r| is_drive_path(r)) {
        rest.to_string()
    } else {
        p.to_string()
    }
}

fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}/{b}"),
    }
}

/// A relative path with no `..`, no root and no drive, or `None`.
fn safe_relative(p: &str) -> Option<String> {
    let path = Path::new(p);
    if p.is_empty()
        || path
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return None;
    }
    Some(p.trim_start_matches("./").to_string())
}

fn find_gomods(root: &Path, dir: &Path, depth: usize, out: &mut Vec<(String, String)>) {
    if depth > MAX_GOMOD_DEPTH || out.len() >= MAX_GOMODS {
        return;
    }
    if let Ok(text) = std::fs::read_to_string(dir.join("go.mod")) {
        if let Some(module) = module_path(&text) {
            let rel = dir
                .strip_prefix(root)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            out.push((module, rel));
        }
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut subdirs: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            !(name.starts_with('.')
                || name == "vendor"
                || name == "node_modules"
                || name == "target")
        })
        .collect();
    subdirs.sort();
    for sub in subdirs {
        find_gomods(root, &sub, depth + 1, out);
    }
}

/// The module path declared by a `go.mod` file.
pub fn module_path(gomod: &str) -> Option<String> {
    for line in gomod.lines() {
        let line = line.split("//").next().unwrap_or("").trim();
        if let Some(rest) = line.strip_prefix("module") {
            let m = rest.trim().trim_matches('"');
            if !m.is_empty() {
                return Some(m.to_string());
            }
        }
    }
    None
}

/// The default root: `GITHUB_WORKSPACE`, `CI_PROJECT_DIR`, the git work
/// tree the current directory is in (the nearest directory above it with a
/// `.git` directory or file, as `git rev-parse --show-toplevel` finds it
/// without starting a process: that alone took longer than reading a
/// small input), else the current directory.
pub fn default_root() -> PathBuf {
    for var in ["GITHUB_WORKSPACE", "CI_PROJECT_DIR"] {
        if let Some(v) = std::env::var_os(var) {
            if !v.is_empty() {
                return PathBuf::from(v);
            }
        }
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    git_work_tree(&cwd).unwrap_or(cwd)
}

/// The nearest directory at or above `dir` that holds `.git`.
fn git_work_tree(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_tree_is_the_nearest_dot_git() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path().join("repo");
        std::fs::create_dir_all(top.join("a/b")).unwrap();
        assert_eq!(
            git_work_tree(&top.join("a/b")),
            None.or(git_work_tree(dir.path()))
        );
        // A worktree or submodule has a `.git` file.
        std::fs::write(top.join(".git"), "gitdir: elsewhere\n").unwrap();
        assert_eq!(git_work_tree(&top.join("a/b")), Some(top.clone()));
        std::fs::create_dir(top.join("a/.git")).unwrap();
        assert_eq!(git_work_tree(&top.join("a/b")), Some(top.join("a")));
    }

    #[test]
    fn resolves_by_root_module_and_function() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("svc/worker")).unwrap();
        std::fs::write(
            root.join("svc/go.mod"),
            "module example.com/svc // c\n\ngo 1.22\n",
        )
        .unwrap();
        std::fs::write(root.join("svc/worker/pool.go"), "package worker\n").unwrap();
        let repo = Repo::discover(root);
        assert_eq!(
            repo.modules(),
            &[("example.com/svc".to_string(), "svc".to_string())]
        );
        let abs = format!("{}/svc/worker/pool.go", repo.root().display());
        let r = repo.resolve(&abs, 12, None);
        assert_eq!((r.file.as_str(), r.in_repo), ("svc/worker/pool.go", true));
        let r = repo.resolve("example.com/svc/worker/pool.go", 3, None);
        assert_eq!(r.file, "svc/worker/pool.go");
        let r = repo.resolve(
            "/home/runner/work/x/x/svc/worker/pool.go",
            3,
            Some("example.com/svc/worker.(*Pool).run"),
        );
        assert_eq!((r.file.as_str(), r.in_repo), ("svc/worker/pool.go", true));
        let r = repo.resolve("/usr/lib/go/src/time/sleep.go", 3, Some("time.Sleep"));
        assert!(!r.in_repo);
    }

    #[test]
    fn windows_paths_map_to_repository_paths() {
        // What Go prints on a Windows runner: the drive, then `/`.
        let repo = Repo::bare("D:/a/svc/svc");
        let r = repo.resolve("D:/a/svc/svc/worker/pool.go", 12, None);
        assert_eq!((r.file.as_str(), r.in_repo), ("worker/pool.go", true));
        // Backslashes (pastes, other tools) and another case of the drive.
        let r = repo.resolve(r"d:\a\svc\svc\worker\pool.go", 12, None);
        assert_eq!((r.file.as_str(), r.in_repo), ("worker/pool.go", true));
        assert!(!repo.resolve("D:/a/svc/svcx/pool.go", 1, None).in_repo);
        assert!(!repo.resolve(r"D:\a\svc\svc\..\x.go", 1, None).in_repo);
        // A root given with backslashes, or canonicalized with `\\?\`.
        for root in [r"C:\src\svc", r"\\?\C:\src\svc"] {
            let repo = Repo::bare(root);
            let r = repo.resolve("C:/src/svc/main.go", 3, None);
            assert_eq!((r.file.as_str(), r.in_repo), ("main.go", true), "{root}");
        }
        // Outside the repository: as printed, with `/`.
        let r = repo.resolve(r"C:\Program Files\Go\src\time\sleep.go", 3, None);
        assert_eq!(r.file, "C:/Program Files/Go/src/time/sleep.go");
        assert!(!r.in_repo);
        assert_eq!(plain(r"\\?\UNC\host\share\r"), r"\\host\share\r");
    }

    #[test]
    fn windows_logs_judged_elsewhere_resolve_by_package() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("worker")).unwrap();
        std::fs::write(root.join("go.mod"), "module example.com/svc\n").unwrap();
        std::fs::write(root.join("worker/pool.go"), "package worker\n").unwrap();
        let repo = Repo::discover(root);
        let r = repo.resolve(
            "C:/Users/runneradmin/work/svc/svc/worker/pool.go",
            7,
            Some("example.com/svc/worker.(*Pool).run"),
        );
        assert_eq!((r.file.as_str(), r.in_repo), ("worker/pool.go", true));
        let r = repo.resolve(
            r"C:\Users\runneradmin\work\svc\svc\worker\pool.go",
            7,
            Some("example.com/svc/worker.(*Pool).run"),
        );
        assert_eq!((r.file.as_str(), r.in_repo), ("worker/pool.go", true));
    }

    #[test]
    fn package_main_built_elsewhere_resolves_by_the_longest_tail() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("cmd/server")).unwrap();
        std::fs::write(root.join("cmd/server/main.go"), "package main\n").unwrap();
        std::fs::write(root.join("main.go"), "package main\n").unwrap();
        let repo = Repo::discover(root);
        // A service built in a container at /app, or in another checkout.
        let r = repo.resolve("/app/cmd/server/main.go", 9, Some("main.serve.func1"));
        assert_eq!((r.file.as_str(), r.in_repo), ("cmd/server/main.go", true));
        let r = repo.resolve("/src/main.go", 9, Some("main.main"));
        assert_eq!((r.file.as_str(), r.in_repo), ("main.go", true));
        let r = repo.resolve(r"C:\b\cmd\server\main.go", 9, Some("main.(*T).run"));
        assert_eq!((r.file.as_str(), r.in_repo), ("cmd/server/main.go", true));
        // Only package main: a dependency's or the runtime's file of the
        // same name is not the repository's.
        let r = repo.resolve("/go/pkg/mod/x.io/y@v1/main.go", 9, Some("x.io/y.run"));
        assert!(!r.in_repo);
        let r = repo.resolve("/app/cmd/other/run.go", 9, Some("main.run"));
        assert!(!r.in_repo);
    }

    #[test]
    fn never_escapes_the_root() {
        let repo = Repo::bare("/repo");
        assert!(!repo.resolve("/repo/../etc/passwd", 1, None).in_repo);
        assert!(repo.resolve("/repo/a/b.go", 1, None).in_repo);
        assert!(!repo.resolve("/repox/a.go", 1, None).in_repo);
    }
}
