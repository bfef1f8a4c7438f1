//! Runs the composite action in `action.yml` without GitHub: its steps in
//! order, each with `bash --noprofile --norc -eo pipefail` as the runner
//! does for `shell: bash`, in a made-up runner environment
//! (`GITHUB_ACTION_PATH`, `GITHUB_WORKSPACE`, `GITHUB_OUTPUT` and
//! `GITHUB_STEP_SUMMARY` fresh per step, `RUNNER_TEMP`, inputs), against
//! captured Go test output. Only `uses:` steps (the cargo cache) are
//! skipped. The binary under test is put first on `PATH`, so the install
//! step finds a matching version and does not run `cargo install`.
//!
//! `${{ … }}` expressions are evaluated for the few forms the action
//! uses (`inputs.*`, `steps.*.outputs.*`, `github.action_path`); any other
//! expression fails the test, so the action cannot grow one this test
//! does not understand.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const BIN: &str = env!("CARGO_BIN_EXE_leakgate");

#[derive(Deserialize)]
struct Action {
    inputs: BTreeMap<String, InputDef>,
    outputs: BTreeMap<String, OutputDef>,
    runs: Runs,
}

#[derive(Deserialize)]
struct InputDef {
    #[serde(default)]
    default: Option<String>,
}

#[derive(Deserialize)]
struct OutputDef {
    value: String,
}

#[derive(Deserialize)]
struct Runs {
    using: String,
    steps: Vec<Step>,
}

#[derive(Deserialize)]
struct Step {
    name: Option<String>,
    id: Option<String>,
    uses: Option<String>,
    shell: Option<String>,
    run: Option<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(rename = "working-directory")]
    working_directory: Option<String>,
}

struct Run {
    outputs: BTreeMap<String, String>,
    stdout: String,
    stderr: String,
    summary: String,
    exit: Option<i32>,
    temp: tempfile::TempDir,
}

fn parse_outputs(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((k, delim)) = line.split_once("<<") {
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delim {
                    break;
                }
                value.push(l);
            }
            out.insert(k.to_string(), value.join("\n"));
        } else if let Some((k, v)) = line.split_once('=') {
            out.insert(k.to_string(), v.to_string());
        }
    }
    out
}

fn eval(
    text: &str,
    inputs: &BTreeMap<String, String>,
    steps: &BTreeMap<String, BTreeMap<String, String>>,
) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("${{") {
        out.push_str(&rest[..i]);
        let end = rest[i..].find("}}").expect("unclosed expression") + i;
        let expr = rest[i + 3..end].trim();
        let value = if let Some(name) = expr.strip_prefix("inputs.") {
            inputs
                .get(name)
                .unwrap_or_else(|| panic!("unknown input {name}"))
                .clone()
        } else if let Some(path) = expr.strip_prefix("steps.") {
            let (id, output) = path.split_once(".outputs.").expect("steps.ID.outputs.NAME");
            steps
                .get(id)
                .and_then(|o| o.get(output))
                .cloned()
                .unwrap_or_default()
        } else if expr == "github.action_path" {
            ROOT.to_string()
        } else {
            panic!("expression the test does not know: {expr}");
        };
        out.push_str(&value);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

fn run_action(given: &[(&str, String)]) -> Run {
    let action: Action = serde_saphyr::from_str(
        &std::fs::read_to_string(Path::new(ROOT).join("action.yml")).expect("action.yml"),
    )
    .expect("action.yml parses");
    assert_eq!(action.runs.using, "composite");
    let mut inputs: BTreeMap<String, String> = action
        .inputs
        .iter()
        .map(|(k, v)| (k.clone(), v.default.clone().unwrap_or_default()))
        .collect();
    for (k, v) in given {
        assert!(inputs.contains_key(*k), "action.yml has no input {k}");
        inputs.insert((*k).to_string(), v.clone());
    }
    let temp = tempfile::tempdir().expect("tempdir");
    let runner_temp = temp.path().join("runner-temp");
    let home = temp.path().join("home");
    std::fs::create_dir_all(&runner_temp).expect("mkdir");
    std::fs::create_dir_all(&home).expect("mkdir");
    let bin_dir = PathBuf::from(BIN).parent().expect("bin dir").to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );

    let mut steps: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let (mut stdout, mut stderr, mut summary) = (String::new(), String::new(), String::new());
    let mut exit = Some(0);
    let mut ran = 0;
    for (n, step) in action.runs.steps.iter().enumerate() {
        if step.uses.is_some() {
            continue;
        }
        let script = step
            .run
            .as_deref()
            .expect("a step runs a script or uses an action");
        assert_eq!(
            step.shell.as_deref(),
            Some("bash"),
            "composite steps need shell: bash"
        );
        let output_file = temp.path().join(format!("output-{n}"));
        let summary_file = temp.path().join(format!("summary-{n}"));
        std::fs::write(&output_file, "").expect("touch");
        std::fs::write(&summary_file, "").expect("touch");
        let script_file = temp.path().join(format!("step-{n}.sh"));
        std::fs::write(&script_file, eval(script, &inputs, &steps)).expect("script");
        let dir = step
            .working_directory
            .as_deref()
            .map_or_else(|| ".".to_string(), |d| eval(d, &inputs, &steps));
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script_file)
            .current_dir(Path::new(ROOT).join(dir))
            .env_clear()
            .env("PATH", &path)
            .env("HOME", &home)
            .env("CI", "true")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_ACTION_PATH", ROOT)
            .env("GITHUB_WORKSPACE", ROOT)
            .env("GITHUB_OUTPUT", &output_file)
            .env("GITHUB_STEP_SUMMARY", &summary_file)
            .env("GITHUB_REPOSITORY", "leakgate/leakgate")
            .env("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
            .env("GITHUB_SERVER_URL", "https://github.com")
            .env("RUNNER_TEMP", &runner_temp);
        for (k, v) in &step.env {
            cmd.env(k, eval(v, &inputs, &steps));
        }
        let out = cmd.output().expect("bash");
        ran += 1;
        stdout.push_str(&String::from_utf8_lossy(&out.stdout));
        stderr.push_str(&String::from_utf8_lossy(&out.stderr));
        summary.push_str(&std::fs::read_to_string(&summary_file).expect("summary"));
        let outputs = parse_outputs(&std::fs::read_to_string(&output_file).expect("outputs"));
        if let Some(id) = &step.id {
            steps.insert(id.clone(), outputs);
        }
        exit = out.status.code();
        if !out.status.success() {
            eprintln!("step {:?} exited with {exit:?}", step.name);
            break;
        }
    }
    assert_eq!(ran, 2, "install and check steps should run");
    let outputs = action
        .outputs
        .iter()
        .map(|(k, o)| (k.clone(), eval(&o.value, &inputs, &steps)))
        .collect();
    Run {
        outputs,
        stdout,
        stderr,
        summary,
        exit,
        temp,
    }
}

#[test]
fn action_runs_a_command_and_reports_the_leak() {
    let r = run_action(&[("run", "cat tests/fixtures/hostile/hostile.json".to_string())]);
    assert!(r.outputs["report"].starts_with(&r.temp.path().display().to_string()));
    assert_eq!(r.exit, Some(1), "stderr:\n{}", r.stderr);
    assert_eq!(r.outputs["verdict"], "fail");
    assert_eq!(r.outputs["new"], "1");
    assert_eq!(r.outputs["allowed"], "0");
    assert_eq!(r.outputs["flaky"], "0");
    let report = &r.outputs["report"];
    assert!(report.ends_with("/leakgate-report.json"), "{report}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report).expect("JSON report")).expect("json");
    assert_eq!(json["verdict"], "fail");
    // The version check found the binary under test on PATH.
    assert!(r.stdout.contains(&format!(
        "leakgate {} is already installed",
        env!("CARGO_PKG_VERSION")
    )));
    // Annotations: one error at the leak's origin, and the other failure.
    let errors: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error"))
        .collect();
    assert_eq!(errors.len(), 2, "{}", r.stdout);
    assert!(errors[0].starts_with(
        "::error file=testdata/go/hostile/hostile.go,line=12,title=Goroutine leak in "
    ));
    // Test output never reaches the log unguarded: the raw -json is not
    // echoed, and the terminal report is inside a stop-commands block.
    assert!(!r.stdout.contains("##[error]"), "{}", r.stdout);
    let guard = r.stderr.lines().next().expect("terminal report");
    let token = guard.strip_prefix("::stop-commands::").expect("guarded");
    assert!(r.stderr.contains(&format!("\n::{token}::\n")));
    // The job summary.
    assert!(
        r.summary.starts_with("## ❌ leakgate: fail"),
        "{}",
        r.summary
    );
    assert!(r.summary.contains("(https://github.com/leakgate/leakgate/blob/0123456789abcdef0123456789abcdef01234567/testdata/go/hostile/hostile.go#L12)"));
}

#[test]
fn action_judges_shard_files_together() {
    let temp = tempfile::tempdir().expect("tempdir");
    let junit = temp.path().join("leakgate.xml");
    let sarif = temp.path().join("leakgate.sarif");
    let r = run_action(&[
        (
            "files",
            "tests/fixtures/go1.26-goleak1.3.0/hangs.json tests/fixtures/go1.26-goleak1.3.0/all.json".to_string(),
        ),
        ("reports", format!("junit={} sarif={}", junit.display(), sarif.display())),
        ("max-annotations", "5".to_string()),
    ]);
    assert_eq!(r.exit, Some(1), "stderr:\n{}", r.stderr);
    assert_eq!(r.outputs["verdict"], "fail");
    assert!(r.outputs["new"].parse::<usize>().expect("number") > 10);
    assert_eq!(
        r.stdout
            .lines()
            .filter(|l| l.starts_with("::error"))
            .count(),
        5
    );
    assert!(r
        .stdout
        .lines()
        .any(|l| l.starts_with("::error title=") && l.contains("more not shown as annotations")));
    assert!(junit.exists() && sarif.exists());
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&r.outputs["report"]).expect("JSON report"))
            .expect("json");
    assert_eq!(json["inputs"].as_array().expect("inputs").len(), 2);
}

#[test]
fn action_refuses_without_input() {
    let r = run_action(&[]);
    assert_eq!(r.exit, Some(2));
    assert!(r
        .stdout
        .contains("::error title=leakgate::give run (a command) or files to check"));
}

#[test]
fn example_workflows_parse_and_use_the_action() {
    for f in [
        "examples/github/leakgate.yml",
        "examples/github/sharded.yml",
        "examples/gitlab/.gitlab-ci.yml",
    ] {
        let text = std::fs::read_to_string(Path::new(ROOT).join(f)).expect(f);
        let doc: serde_json::Value =
            serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(doc.is_object(), "{f}");
    }
    let sharded: serde_json::Value = serde_saphyr::from_str(
        &std::fs::read_to_string(Path::new(ROOT).join("examples/github/sharded.yml"))
            .expect("sharded"),
    )
    .expect("yaml");
    let steps = sharded["jobs"]["leakgate"]["steps"]
        .as_array()
        .expect("steps");
    assert!(steps.iter().any(|s| s["uses"]
        .as_str()
        .is_some_and(|u| u.starts_with("leakgate/leakgate@"))
        && s["with"]["files"] == "shards/*.json"));
    let gitlab: serde_json::Value = serde_saphyr::from_str(
        &std::fs::read_to_string(Path::new(ROOT).join("examples/gitlab/.gitlab-ci.yml"))
            .expect("gitlab"),
    )
    .expect("yaml");
    assert_eq!(gitlab[".leakgate"]["artifacts"]["when"], "always");
    assert_eq!(
        gitlab[".leakgate"]["artifacts"]["reports"]["codequality"],
        "gl-code-quality-report.json"
    );
}

/// This machine's release target, as `scripts/action-install.sh` maps it.
fn host_target() -> &'static str {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => "x86_64-unknown-linux-musl",
        ("linux", "aarch64") => "aarch64-unknown-linux-musl",
        ("macos", "x86_64") => "x86_64-apple-darwin",
        ("macos", "aarch64") => "aarch64-apple-darwin",
        (os, arch) => panic!("no release target for {os}/{arch}"),
    }
}

/// A release directory laid out like GitHub's download URLs
/// (`vVERSION/ARCHIVE` and `vVERSION/ARCHIVE.sha256`), holding the binary
/// under test in an archive for this machine's target.
struct LocalRelease {
    dir: tempfile::TempDir,
    archive: PathBuf,
}

impl LocalRelease {
    fn new(tamper: bool) -> LocalRelease {
        let dir = tempfile::tempdir().expect("tempdir");
        let version = env!("CARGO_PKG_VERSION");
        let stem = format!("leakgate-v{version}-{}", host_target());
        let staging = dir.path().join("staging").join(&stem);
        std::fs::create_dir_all(&staging).expect("mkdir");
        std::fs::copy(BIN, staging.join("leakgate")).expect("copy binary");
        let releases = dir.path().join("releases").join(format!("v{version}"));
        std::fs::create_dir_all(&releases).expect("mkdir");
        let name = format!("{stem}.tar.gz");
        let archive = releases.join(&name);
        let ok = Command::new("tar")
            .arg("-czf")
            .arg(&archive)
            .arg("-C")
            .arg(dir.path().join("staging"))
            .arg(&stem)
            .status()
            .expect("tar");
        assert!(ok.success());
        // coreutils' sha256sum, or macOS's shasum.
        let sum = Command::new("sha256sum")
            .arg(&name)
            .current_dir(&releases)
            .output()
            .or_else(|_| {
                Command::new("shasum")
                    .args(["-a", "256"])
                    .arg(&name)
                    .current_dir(&releases)
                    .output()
            })
            .expect("sha256sum or shasum");
        assert!(sum.status.success());
        std::fs::write(releases.join(format!("{name}.sha256")), &sum.stdout).expect("sha256");
        if tamper {
            let mut bytes = std::fs::read(&archive).expect("archive");
            let n = bytes.len();
            bytes[n / 2] ^= 0xff;
            std::fs::write(&archive, bytes).expect("tamper");
        }
        LocalRelease { dir, archive }
    }

    fn base(&self) -> PathBuf {
        self.dir.path().join("releases")
    }

    fn install_dir(&self) -> PathBuf {
        self.dir.path().join("install")
    }

    /// Runs the install script with a PATH that has no leakgate on it.
    fn install(&self, base: &str, extra: &[(&str, String)]) -> std::process::Output {
        let output = self.dir.path().join("github-output");
        std::fs::write(&output, "").expect("touch");
        let mut cmd = Command::new("bash");
        cmd.arg(Path::new(ROOT).join("scripts/action-install.sh"))
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("HOME", self.dir.path())
            .env("GITHUB_ACTION_PATH", ROOT)
            .env("GITHUB_OUTPUT", &output)
            .env("RUNNER_TEMP", self.dir.path())
            .env("LEAKGATE_RELEASE_BASE_URL", base)
            .env("LEAKGATE_INSTALL_DIR", self.install_dir())
            .env("LEAKGATE_TARGET_DIR", self.dir.path().join("target"));
        for (k, v) in extra {
            cmd.env(k, v);
        }
        cmd.output().expect("bash")
    }

    fn outputs(&self) -> BTreeMap<String, String> {
        parse_outputs(
            &std::fs::read_to_string(self.dir.path().join("github-output")).expect("outputs"),
        )
    }
}

#[test]
fn install_script_parses() {
    let out = Command::new("bash")
        .arg("-n")
        .arg(Path::new(ROOT).join("scripts/action-install.sh"))
        .output()
        .expect("bash");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn install_downloads_and_checks_the_release_archive() {
    let release = LocalRelease::new(false);
    // A local directory and a file:// URL both stand for the release host.
    for base in [
        release.base().display().to_string(),
        format!("file://{}", release.base().display()),
    ] {
        let _ = std::fs::remove_dir_all(release.install_dir());
        let out = release.install(&base, &[]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("SHA-256"), "{stdout}");
        assert!(stdout.contains("verified"), "{stdout}");
        let installed = release.install_dir().join("leakgate");
        assert_eq!(
            release.outputs()["bin"],
            installed.display().to_string(),
            "{stdout}"
        );
        let run = Command::new(&installed)
            .arg("--version")
            .output()
            .expect("installed binary runs");
        assert!(run.status.success());
        // "leakgate X.Y.Z", perhaps followed by the build's commit and date.
        let version = String::from_utf8_lossy(&run.stdout).to_string();
        assert_eq!(
            version.split_whitespace().take(2).collect::<Vec<_>>(),
            ["leakgate", env!("CARGO_PKG_VERSION")],
            "{version}"
        );
    }
    // A second run finds the installed binary (a cache hit) and downloads nothing.
    let out = release.install("/nonexistent", &[]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("is already installed"));
}

#[test]
fn install_refuses_a_tampered_archive() {
    let release = LocalRelease::new(true);
    let out = release.install(&release.base().display().to_string(), &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let name = release.archive.file_name().unwrap().to_string_lossy();
    assert!(
        stdout.contains(&format!(
            "::error title=leakgate install::{name} does not match its published SHA-256"
        )),
        "{stdout}"
    );
    assert!(!release.install_dir().join("leakgate").exists());
    assert!(!release.outputs().contains_key("bin"));
}

#[test]
fn install_refuses_an_archive_without_its_checksum() {
    let release = LocalRelease::new(false);
    let mut sum = release.archive.clone().into_os_string();
    sum.push(".sha256");
    std::fs::remove_file(sum).expect("rm");
    let out = release.install(&release.base().display().to_string(), &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("refusing an unchecked binary"), "{stdout}");
    assert!(!release.install_dir().join("leakgate").exists());
}

#[test]
fn install_builds_from_source_when_the_release_has_no_archive() {
    let release = LocalRelease::new(false);
    let empty = release.dir.path().join("no-releases");
    std::fs::create_dir_all(&empty).expect("mkdir");
    let marker = release.dir.path().join("built");
    // Stands for `cargo build --locked --release`: leaves the binary under
    // test where cargo would.
    let build = format!(
        "touch '{}' && mkdir -p \"$CARGO_TARGET_DIR/release\" && cp '{BIN}' \"$CARGO_TARGET_DIR/release/leakgate\"",
        marker.display()
    );
    let out = release.install(
        &empty.display().to_string(),
        &[("LEAKGATE_BUILD_CMD", build.clone())],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(marker.exists(), "the fallback build ran");
    assert!(
        stdout.contains("::notice title=leakgate install::no release archive"),
        "{stdout}"
    );
    assert!(release.install_dir().join("leakgate").exists());
    assert!(release.dir.path().join("target/release/leakgate").exists());

    // Another version than the action's source has nothing to build from.
    std::fs::remove_file(&marker).expect("rm");
    let out = release.install(
        &empty.display().to_string(),
        &[
            ("LEAKGATE_BUILD_CMD", build),
            ("INPUT_VERSION", "v0.0.0-none".to_string()),
            (
                "LEAKGATE_INSTALL_DIR",
                release.dir.path().join("other").display().to_string(),
            ),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(!marker.exists());
    assert!(
        stdout.contains("no release archive leakgate-v0.0.0-none-"),
        "{stdout}"
    );
}

#[test]
fn action_installs_with_the_script_and_caches_without_hash_files() {
    let text = std::fs::read_to_string(Path::new(ROOT).join("action.yml")).expect("action.yml");
    assert!(
        !text.contains("cargo install"),
        "leakgate is not on crates.io"
    );
    let action: serde_json::Value = serde_saphyr::from_str(&text).expect("yaml");
    let steps = action["runs"]["steps"].as_array().expect("steps");
    let cache = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/cache@"))
        })
        .expect("cache step");
    let key = cache["with"]["key"].as_str().expect("key");
    assert!(
        key.contains("github.action_ref") && key.contains("runner.arch"),
        "{key}"
    );
    // hashFiles only sees the workspace, not the action's checkout.
    assert!(!key.contains("hashFiles"), "{key}");
    let install = steps
        .iter()
        .find(|s| s["id"] == "install")
        .expect("install");
    assert!(install["run"]
        .as_str()
        .expect("run")
        .contains("scripts/action-install.sh"));
}
