//! The command line's own documentation: shell completions, man pages and
//! the version line, all generated from the clap definitions in `main.rs`.

use std::process::Stdio;

use crate::common::{leakgate, root};

const SHELLS: [&str; 5] = ["bash", "zsh", "fish", "powershell", "elvish"];

fn stdout_of(args: &[&str]) -> String {
    let out = leakgate().args(args).output().expect("leakgate runs");
    assert!(
        out.status.success(),
        "leakgate {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

#[test]
fn completions_for_every_shell_name_commands_and_options() {
    for shell in SHELLS {
        let script = stdout_of(&["completions", shell]);
        assert!(!script.trim().is_empty(), "{shell}: empty script");
        assert!(script.contains("check"), "{shell}: no `check`");
        // fish names long options without their dashes: `-l report`.
        let report = if shell == "fish" {
            "-l report"
        } else {
            "--report"
        };
        assert!(script.contains(report), "{shell}: no `{report}`");
        assert!(script.contains("leakgate"), "{shell}: no `leakgate`");
    }
}

#[test]
fn bash_completion_is_valid_bash() {
    let script = stdout_of(&["completions", "bash"]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leakgate.bash");
    std::fs::write(&path, script).unwrap();
    let status = std::process::Command::new("bash")
        .arg("-n")
        .arg(&path)
        .stdin(Stdio::null())
        .status()
        .expect("bash runs");
    assert!(status.success(), "bash -n rejected the completion script");
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let out = leakgate().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

/// The first line that is not clap_mangen's `.ie`/`.el` string preamble.
fn title_line(page: &str) -> &str {
    page.lines()
        .find(|l| !l.starts_with(".ie") && !l.starts_with(".el"))
        .unwrap_or("")
}

#[test]
fn man_page_is_roff_naming_the_commands() {
    let page = stdout_of(&["man"]);
    assert!(
        title_line(&page).starts_with(".TH leakgate 1"),
        "{}",
        &page[..page.len().min(300)]
    );
    for command in ["check", "run", "baseline", "completions", "man"] {
        assert!(page.contains(command), "no `{command}` in the man page");
    }
}

#[test]
fn man_out_dir_writes_a_page_per_command() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("man1");
    let out = leakgate()
        .args(["man", "--out-dir"])
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    for name in [
        "leakgate.1",
        "leakgate-check.1",
        "leakgate-run.1",
        "leakgate-config-check.1",
        "leakgate-hook-install.1",
    ] {
        let page =
            std::fs::read_to_string(out_dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(title_line(&page).starts_with(".TH "), "{name}");
    }
    let check = std::fs::read_to_string(out_dir.join("leakgate-check.1")).unwrap();
    assert!(check.contains("report"), "{check}");
}

/// `COMMIT DATE` of a `(COMMIT DATE)` stamp: a 12-digit hex commit and
/// its date.
fn assert_stamp(stamp: &str, context: &str) {
    let (commit, date) = stamp
        .split_once(' ')
        .unwrap_or_else(|| panic!("no COMMIT DATE in {context:?}"));
    assert_eq!(commit.len(), 12, "{context}");
    assert!(commit.bytes().all(|b| b.is_ascii_hexdigit()), "{context}");
    assert!(date.parse::<jiff::civil::Date>().is_ok(), "{context}");
}

/// `--version` begins `leakgate X.Y.Z` (the action's install script and
/// the GitLab template compare that), X.Y.Z being Cargo.toml's version;
/// anything after it is a ` (COMMIT DATE)` stamp.
#[test]
fn version_line_names_the_cargo_toml_version() {
    let cargo_toml = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let declared = cargo_toml
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("a version in Cargo.toml");
    let out = stdout_of(&["--version"]);
    let line = out.trim_end();
    assert_eq!(line.lines().count(), 1, "{line}");
    let prefix = format!("leakgate {declared}");
    let rest = line
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{line:?} does not begin {prefix:?}"));
    if !rest.is_empty() {
        let stamp = rest
            .strip_prefix(" (")
            .and_then(|r| r.strip_suffix(')'))
            .unwrap_or_else(|| panic!("{line:?}"));
        assert_stamp(stamp, line);
    }
    assert_eq!(stdout_of(&["-V"]), out);
}

/// The man page's title line names the build: in a git checkout the
/// commit and its date (build.rs), else the version alone.
#[test]
fn man_page_names_the_commit_it_was_built_from() {
    let page = stdout_of(&["man"]);
    let title = title_line(&page).to_string();
    let version = format!("\"leakgate {}", env!("CARGO_PKG_VERSION"));
    let (_, rest) = title
        .split_once(&version)
        .unwrap_or_else(|| panic!("{title:?}"));
    if root().join(".git").exists() {
        let stamp = rest
            .strip_prefix(" (")
            .and_then(|r| r.split_once(')'))
            .map(|(s, _)| s)
            .unwrap_or_else(|| panic!("no (COMMIT DATE) in {title:?}"));
        assert_stamp(stamp, &title);
    } else {
        assert!(rest.starts_with('"'), "{title}");
    }
}
