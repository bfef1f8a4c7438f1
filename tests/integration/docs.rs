//! The documentation cannot drift from the tool: every example in
//! `README.md` and `docs/*.md` written as a ```text block whose first line
//! is `$ leakgate ARGS` (a comment after `#` is dropped) is run from the
//! repository root with the bundled inputs, and the block's other lines
//! must be what it prints (the terminal report, on standard error, and
//! standard output, without colour). A block whose comment says `the first
//! lines` shows the beginning of the output.

use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const BIN: &str = env!("CARGO_BIN_EXE_leakgate");

struct Example {
    file: PathBuf,
    line: usize,
    args: Vec<String>,
    shown: String,
    prefix: bool,
}

fn examples() -> Vec<Example> {
    let mut files = vec![Path::new(ROOT).join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(Path::new(ROOT).join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            if lines[i] == "```text" && i + 1 < lines.len() {
                if let Some(cmd) = lines[i + 1].strip_prefix("$ leakgate ") {
                    let prefix = cmd
                        .split_once(" #")
                        .is_some_and(|(_, c)| c.contains("the first lines"));
                    let cmd = cmd.split(" #").next().unwrap().trim();
                    let end = (i + 2..lines.len())
                        .find(|&j| lines[j].starts_with("```"))
                        .expect("closed block");
                    let mut shown = lines[i + 2..end].join("\n");
                    shown.push('\n');
                    out.push(Example {
                        file: file.clone(),
                        line: i + 2,
                        args: shlex::split(cmd).expect("shell words"),
                        shown,
                        prefix,
                    });
                    i = end;
                }
            }
            i += 1;
        }
    }
    out
}

#[test]
fn every_shown_command_prints_what_the_docs_show() {
    let all = examples();
    assert!(!all.is_empty(), "the README shows at least one run");
    for ex in all {
        let run = Command::new(BIN)
            .args(&ex.args)
            .current_dir(ROOT)
            .env("NO_COLOR", "1")
            .env_remove("GITHUB_ACTIONS")
            .env_remove("GITLAB_CI")
            .env_remove("CI")
            .env_remove("GITHUB_WORKSPACE")
            .env_remove("CI_PROJECT_DIR")
            .output()
            .unwrap();
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&run.stderr),
            String::from_utf8_lossy(&run.stdout)
        );
        if ex.prefix {
            assert!(
                printed.starts_with(&ex.shown),
                "{}:{}: `leakgate {}` does not begin as the docs show:\n{printed}",
                ex.file.display(),
                ex.line,
                ex.args.join(" ")
            );
            continue;
        }
        assert_eq!(
            printed,
            ex.shown,
            "{}:{}: `leakgate {}` prints something else than the docs show",
            ex.file.display(),
            ex.line,
            ex.args.join(" ")
        );
    }
}
