//! The GitLab template's install step (`templates/leakgate/template.yml`,
//! the job's `before_script`), run with bash as the runner would, with
//! `curl` replaced by a script that serves files from a local directory
//! laid out like a GitHub release: a release archive of the binary under
//! test and its SHA-256 file. A tampered archive is refused; a version
//! with no release, in an image without Rust, stops the job.

use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const BIN: &str = env!("CARGO_BIN_EXE_leakgate");

fn before_script() -> String {
    let text = std::fs::read_to_string(Path::new(ROOT).join("templates/leakgate/template.yml"))
        .expect("template");
    // The template is two YAML documents: the spec, then the job.
    let job_doc = text.split("\n---\n").nth(1).expect("job document");
    let job: serde_json::Value = serde_saphyr::from_str(job_doc).expect("job YAML");
    let job = job
        .as_object()
        .and_then(|o| o.values().next())
        .expect("one job");
    let steps = job["before_script"].as_array().expect("before_script");
    assert_eq!(steps.len(), 1);
    steps[0].as_str().unwrap().to_string()
}

fn version() -> String {
    let toml = std::fs::read_to_string(Path::new(ROOT).join("Cargo.toml")).unwrap();
    toml.lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .unwrap()
        .to_string()
}

struct Release {
    dir: tempfile::TempDir,
    version: String,
    archive: String,
}

impl Release {
    /// A release directory with the archive for this machine's target.
    fn new(tamper: bool) -> Release {
        let dir = tempfile::tempdir().unwrap();
        let version = version();
        let arch = match std::env::consts::ARCH {
            "x86_64" => "x86_64",
            "aarch64" => "aarch64",
            other => panic!("no release target for {other}"),
        };
        let stem = format!("leakgate-v{version}-{arch}-unknown-linux-musl");
        let staging = dir.path().join("staging").join(&stem);
        std::fs::create_dir_all(&staging).unwrap();
        std::fs::copy(BIN, staging.join("leakgate")).unwrap();
        let releases = dir.path().join("releases");
        std::fs::create_dir_all(&releases).unwrap();
        let archive = format!("{stem}.tar.gz");
        let ok = Command::new("tar")
            .args(["-czf"])
            .arg(releases.join(&archive))
            .arg("-C")
            .arg(dir.path().join("staging"))
            .arg(&stem)
            .status()
            .unwrap();
        assert!(ok.success());
        let sum = Command::new("sha256sum")
            .arg(&archive)
            .current_dir(&releases)
            .output()
            .unwrap();
        assert!(sum.status.success());
        std::fs::write(releases.join(format!("{archive}.sha256")), &sum.stdout).unwrap();
        if tamper {
            let mut bytes = std::fs::read(releases.join(&archive)).unwrap();
            let n = bytes.len();
            bytes[n / 2] ^= 0xff;
            std::fs::write(releases.join(&archive), bytes).unwrap();
        }
        // `curl -fsSL -o OUT URL`: the URL's last component, from the
        // release directory when it is the wanted version's.
        let fake = dir.path().join("fakebin");
        std::fs::create_dir_all(&fake).unwrap();
        let prefix = format!("https://github.com/leakgate/leakgate/releases/download/v{version}/");
        std::fs::write(
            fake.join("curl"),
            format!(
                "#!/bin/sh\nout=\"$3\"; url=\"$4\"\ncase \"$url\" in {prefix}*) f=\"{}/${{url##*/}}\" ;; *) exit 22 ;; esac\n[ -f \"$f\" ] || exit 22\ncp \"$f\" \"$out\"\n",
                releases.display()
            ),
        )
        .unwrap();
        // No cargo in this image.
        std::fs::write(fake.join("cargo"), "#!/bin/sh\nexit 127\n").unwrap();
        for f in ["curl", "cargo"] {
            let ok = Command::new("chmod")
                .arg("+x")
                .arg(fake.join(f))
                .status()
                .unwrap();
            assert!(ok.success());
        }
        Release {
            dir,
            version,
            archive,
        }
    }

    fn install(&self, version: &str) -> std::process::Output {
        let project = self.dir.path().join("project");
        std::fs::create_dir_all(&project).unwrap();
        let path = format!(
            "{}:{}",
            self.dir.path().join("fakebin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c"])
            .arg(before_script())
            .env("PATH", path)
            .env("CI_PROJECT_DIR", &project)
            .env("LEAKGATE_VERSION", version)
            .env("LEAKGATE_BIN", project.join(".leakgate/bin"))
            .current_dir(&project)
            .output()
            .unwrap()
    }

    fn installed(&self) -> std::path::PathBuf {
        self.dir.path().join("project/.leakgate/bin/leakgate")
    }
}

#[test]
fn the_release_archive_is_downloaded_and_checked() {
    let release = Release::new(false);
    let out = release.install(&release.version);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with(&format!("leakgate {}", release.version)),
        "{stdout}"
    );
    let run = Command::new(release.installed())
        .arg("--version")
        .output()
        .unwrap();
    assert!(run.status.success());
}

#[test]
fn a_tampered_archive_is_refused() {
    let release = Release::new(true);
    let out = release.install(&release.version);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{} does not match its published SHA-256",
            release.archive
        )),
        "{stderr}"
    );
    assert!(!release.installed().exists());
}

#[test]
fn no_release_and_no_rust_stops_the_job() {
    let release = Release::new(false);
    let out = release.install("0.0.0-none");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no release archive for v0.0.0-none") && stderr.contains("Rust 1.89+"),
        "{stderr}"
    );
}
