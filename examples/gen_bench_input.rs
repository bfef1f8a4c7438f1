//! Builds large benchmark inputs out of the captured fixtures.
//!
//! Nothing here is typed by hand: every line written is a line of a real
//! `go test` run from `tests/fixtures/<go>-<goleak>/`, with its package
//! renamed (`example.com/leakgate/fixtures/x` → `example.com/mono/svc00042/x`)
//! and, for replicated passing tests, its test renamed
//! (`TestUpperAll` → `TestUpperAll_17`). A large run is made of:
//!
//! * many "clean" packages: the fixture package `clean`'s passing tests,
//!   replicated to `--tests-per-package` tests, with real passing-test log
//!   output (`janitor_test.go:19: janitor started` of package `testmain`)
//!   repeated to reach `--size`;
//! * every `--real-every`-th package one of the real fixture packages
//!   (leaks, assertion failures, panics, synctest, `VerifyTestMain`, …) with
//!   the same passing tests added, so a few hundred leak reports sit among a
//!   million passing tests;
//! * for `go test -json`, `--parallel` packages at a time interleaved line
//!   by line in random chunks, as `go test -json -p N` prints them.
//!
//! ```text
//! cargo run --release --example gen_bench_input -- --format json --size 1G --out /tmp/bench/run.json
//! cargo run --release --example gen_bench_input -- --format junit --size 300M --out /tmp/bench/run.xml
//! cargo run --release --example gen_bench_input -- --format text --size 300M --out /tmp/bench/run.txt
//! ```
//!
//! Without `--out` it writes to standard output (tests pipe it straight into
//! `leakgate`). Output is deterministic for a given seed.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use clap::{Parser, ValueEnum};

const PREFIX: &str = "example.com/leakgate/fixtures";

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Kind {
    /// `go test -json`, from `all.json`.
    Json,
    /// gotestsum JUnit XML, from `all.gotestsum.xml`.
    Junit,
    /// `go test -v` text, from `all.txt`.
    Text,
}

/// Builds a large benchmark input from the fixtures.
#[derive(Parser, Debug)]
struct Args {
    /// Which format to write.
    #[arg(long, value_enum)]
    format: Kind,
    /// Approximate size: bytes, or with a K, M or G suffix (powers of 1000).
    #[arg(long, default_value = "100M")]
    size: String,
    /// How many packages.
    #[arg(long, default_value_t = 10_000)]
    packages: usize,
    /// Passing tests per package (JSON and text; JUnit, which carries no
    /// passing output, adds tests until the size is reached).
    #[arg(long, default_value_t = 100)]
    tests_per_package: usize,
    /// Every N-th package is one of the real (mostly failing) packages.
    #[arg(long, default_value_t = 40)]
    real_every: usize,
    /// Packages interleaved at a time (`go test -json -p N`).
    #[arg(long, default_value_t = 4)]
    parallel: usize,
    /// The fixture directory to take lines from.
    #[arg(long, default_value = "tests/fixtures/go1.26-goleak1.3.0")]
    fixtures: PathBuf,
    /// Random seed (chunking of interleaved packages, log lines per test).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output file; standard output when not given.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// splitmix64: small, deterministic, good enough to vary chunk sizes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..=max`.
    fn upto(&mut self, max: usize) -> usize {
        (self.next() % (max as u64 + 1)) as usize
    }
}

fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, mult) = match s.chars().last() {
        Some('K' | 'k') => (&s[..s.len() - 1], 1_000),
        Some('M' | 'm') => (&s[..s.len() - 1], 1_000_000),
        Some('G' | 'g') => (&s[..s.len() - 1], 1_000_000_000),
        _ => (s, 1),
    };
    num.parse::<f64>()
        .map(|n| (n * mult as f64) as u64)
        .map_err(|e| format!("bad --size {s:?}: {e}"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let size = parse_size(&args.size)?;
    let out: Box<dyn Write> = match &args.out {
        Some(p) => Box::new(fs::File::create(p)?),
        None => Box::new(io::stdout().lock()),
    };
    let mut out = BufWriter::with_capacity(1 << 20, out);
    let result = match args.format {
        Kind::Json => json(&args, size, &mut out),
        Kind::Junit => junit(&args, size, &mut out),
        Kind::Text => text(&args, size, &mut out),
    };
    match result.and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        // `gen | head` and a reader that stopped early are fine.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e.into()),
    }
}

fn read_lines(args: &Args, name: &str) -> io::Result<Vec<String>> {
    let path = args.fixtures.join(name);
    let text = fs::read_to_string(&path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    Ok(text.lines().map(str::to_string).collect())
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

/// Package `i`'s name for a fixture package name.
fn rename_pkg(line: &str, i: usize) -> String {
    line.replace(PREFIX, &format!("example.com/mono/svc{i:05}"))
}

/// Replicated passing test `u` of a package.
fn rename_tests(line: &str, u: usize) -> String {
    line.replace("TestUpperAll", &format!("TestUpperAll_{u}"))
        .replace("TestWorkerStopped", &format!("TestWorkerStopped_{u}"))
}

fn is_real(args: &Args, i: usize) -> bool {
    args.real_every > 0 && i % args.real_every == args.real_every / 2
}

/// Adds `n` log lines at random over `units` tests.
fn spread(rng: &mut Rng, total: usize, units: usize) -> Vec<usize> {
    let mut v = vec![0; units];
    if units == 0 {
        return v;
    }
    let avg = total / units;
    let mut left = total;
    for slot in v.iter_mut() {
        let k = rng.upto(2 * avg).min(left);
        *slot = k;
        left -= k;
    }
    v[units - 1] += left;
    v
}

// ---------------------------------------------------------------- go test -json

struct JsonPkg {
    lines: Vec<String>,
    skip: bool,
}

fn json(args: &Args, size: u64, out: &mut dyn Write) -> io::Result<()> {
    let lines = read_lines(args, "all.json")?;
    let mut pkgs: Vec<(String, JsonPkg)> = Vec::new();
    for line in lines {
        let v: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| invalid(&format!("all.json: {e}")))?;
        let pkg = v["Package"].as_str().unwrap_or_default().to_string();
        let skip = v["Action"] == "skip" && v.get("Test").is_none();
        let idx = match pkgs.iter().position(|(p, _)| *p == pkg) {
            Some(i) => i,
            None => {
                pkgs.push((
                    pkg,
                    JsonPkg {
                        lines: Vec::new(),
                        skip: false,
                    },
                ));
                pkgs.len() - 1
            }
        };
        pkgs[idx].1.lines.push(line);
        pkgs[idx].1.skip |= skip;
    }
    let clean_idx = pkgs
        .iter()
        .position(|(p, _)| p.ends_with("/clean"))
        .ok_or_else(|| invalid("no package clean in all.json"))?;
    let (clean_name, clean) = pkgs.remove(clean_idx);
    let unit: Vec<&String> = clean
        .lines
        .iter()
        .filter(|l| l.contains("\"Test\":"))
        .collect();
    let log_after = unit
        .iter()
        .position(|l| l.contains("=== RUN   TestUpperAll"))
        .ok_or_else(|| invalid("no RUN line of TestUpperAll"))?;
    let log = pkgs
        .iter()
        .flat_map(|(_, p)| p.lines.iter())
        .find(|l| l.contains("janitor started"))
        .ok_or_else(|| invalid("no janitor log line"))?
        .replace("TestJanitorStarts", "TestUpperAll");
    let log_pkg = format!("\"Package\":\"{PREFIX}/testmain\"");
    let clean_pkg = format!("\"Package\":\"{clean_name}\"");
    let real = pkgs;
    let unit_tests = unit
        .iter()
        .filter(|l| l.contains("\"Action\":\"run\""))
        .count()
        .max(1);
    let units = args.tests_per_package.div_ceil(unit_tests);
    let unit_bytes: usize = unit.iter().map(|l| l.len() + 1).sum();
    let budget = (size / args.packages.max(1) as u64) as usize;
    let mut rng = Rng(args.seed);

    let build = |i: usize, rng: &mut Rng| -> Vec<String> {
        let (name, template, is_clean) = if is_real(args, i) {
            let (name, p) = &real[(i / args.real_every) % real.len()];
            (name.as_str(), p, false)
        } else {
            (clean_name.as_str(), &clean, true)
        };
        // The unit is package clean's and the log line package testmain's:
        // give them this package.
        let this_pkg = format!("\"Package\":\"{name}\"");
        let log = log.replace(&log_pkg, &this_pkg);
        let unit: Vec<String> = unit
            .iter()
            .map(|l| l.replace(&clean_pkg, &this_pkg))
            .collect();
        let mut v = Vec::new();
        let mut rest = template.lines.iter();
        if let Some(start) = rest.next() {
            v.push(rename_pkg(start, i));
        }
        let units = if template.skip { 0 } else { units };
        let rest: Vec<&String> = rest
            .filter(|l| !is_clean || !l.contains("\"Test\":"))
            .collect();
        let bare: usize = template.lines.iter().map(|l| l.len() + 1).sum::<usize>()
            + units * unit_bytes
            + units * 16;
        let logs = budget.saturating_sub(bare) / (log.len() + 8);
        let per_unit = spread(rng, if units == 0 { 0 } else { logs }, units);
        for (u, &n) in per_unit.iter().enumerate() {
            for (k, l) in unit.iter().enumerate() {
                v.push(rename_pkg(&rename_tests(l, u), i));
                if k == log_after {
                    let l = rename_pkg(&rename_tests(&log, u), i);
                    v.extend(std::iter::repeat_n(l, n));
                }
            }
        }
        v.extend(rest.into_iter().map(|l| rename_pkg(l, i)));
        v
    };

    let p = args.parallel.max(1);
    let mut i = 0;
    while i < args.packages {
        let group: Vec<Vec<String>> = (i..(i + p).min(args.packages))
            .map(|k| build(k, &mut rng))
            .collect();
        let mut cursors: Vec<(usize, &Vec<String>)> = group.iter().map(|g| (0, g)).collect();
        while !cursors.is_empty() {
            let c = rng.upto(cursors.len() - 1);
            let take = 1 + rng.upto(15);
            let (pos, lines) = &mut cursors[c];
            let end = (*pos + take).min(lines.len());
            for l in &lines[*pos..end] {
                out.write_all(l.as_bytes())?;
                out.write_all(b"\n")?;
            }
            *pos = end;
            if *pos == lines.len() {
                cursors.swap_remove(c);
            }
        }
        i += p;
    }
    Ok(())
}

// ---------------------------------------------------------------- JUnit

struct Totals {
    tests: usize,
    failures: usize,
}

fn junit(args: &Args, size: u64, out: &mut dyn Write) -> io::Result<()> {
    let lines = read_lines(args, "all.gotestsum.xml")?;
    let first = lines
        .iter()
        .position(|l| l.starts_with("\t<testsuite "))
        .ok_or_else(|| invalid("no <testsuite>"))?;
    let mut suites: Vec<Vec<String>> = Vec::new();
    let mut i = first;
    while i < lines.len() && lines[i].starts_with("\t<testsuite ") {
        let end = lines[i..]
            .iter()
            .position(|l| l == "\t</testsuite>")
            .ok_or_else(|| invalid("unclosed <testsuite>"))?;
        suites.push(lines[i..=i + end].to_vec());
        i += end + 1;
    }
    let head = &lines[..first];
    let tail = &lines[i..];
    let clean_idx = suites
        .iter()
        .position(|s| s[0].contains("/clean\""))
        .ok_or_else(|| invalid("no suite clean"))?;
    let clean = suites.remove(clean_idx);
    let unit: Vec<&String> = clean
        .iter()
        .filter(|l| l.starts_with("\t\t<testcase"))
        .collect();
    let unit_bytes: usize = unit.iter().map(|l| l.len() + 8).sum();
    let budget = (size / args.packages.max(1) as u64) as usize;

    let write = |out: &mut dyn Write, totals: Option<&Totals>| -> io::Result<Totals> {
        let mut t = Totals {
            tests: 0,
            failures: 0,
        };
        for l in head {
            let l = match (l.starts_with("<testsuites "), totals) {
                (true, Some(tot)) => format!(
                    "<testsuites tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"0.000000\">",
                    tot.tests, tot.failures
                ),
                _ => l.clone(),
            };
            writeln!(out, "{l}")?;
        }
        for i in 0..args.packages {
            let (suite, is_clean) = if is_real(args, i) {
                (&suites[(i / args.real_every) % suites.len()], false)
            } else {
                (&clean, true)
            };
            let (tests, failures) = suite_counts(&suite[0]);
            let bare: usize = suite.iter().map(|l| l.len() + 1).sum();
            let units = if tests == 0 {
                0
            } else {
                (budget.saturating_sub(bare) / unit_bytes).max(1)
            };
            let own = if is_clean { 0 } else { tests };
            let added = units * unit.len();
            t.tests += own + added;
            t.failures += failures;
            for l in suite {
                if l.starts_with("\t<testsuite ") {
                    let l = l.replacen(
                        &format!("tests=\"{tests}\""),
                        &format!("tests=\"{}\"", own + added),
                        1,
                    );
                    writeln!(out, "{}", rename_pkg(&l, i))?;
                } else if is_clean && l.starts_with("\t\t<testcase") {
                    // Replaced by the replicated units below.
                } else {
                    writeln!(out, "{}", rename_pkg(l, i))?;
                }
                if l == "\t\t</properties>" {
                    for u in 0..units {
                        for c in &unit {
                            writeln!(out, "{}", rename_pkg(&rename_tests(c, u), i))?;
                        }
                    }
                }
            }
        }
        for l in tail {
            writeln!(out, "{l}")?;
        }
        Ok(t)
    };
    let totals = write(&mut io::sink(), None)?;
    write(out, Some(&totals))?;
    Ok(())
}

fn suite_counts(open: &str) -> (usize, usize) {
    let attr = |name: &str| {
        open.split(&format!(" {name}=\""))
            .nth(1)
            .and_then(|r| r.split('"').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (attr("tests"), attr("failures"))
}

// ---------------------------------------------------------------- go test -v text

fn text(args: &Args, size: u64, out: &mut dyn Write) -> io::Result<()> {
    let lines = read_lines(args, "all.txt")?;
    let mut blocks: Vec<Vec<String>> = Vec::new();
    let mut cur = Vec::new();
    for l in &lines {
        cur.push(l.clone());
        if l.starts_with("ok  \t") || l.starts_with("FAIL\t") || l.starts_with("?   \t") {
            blocks.push(std::mem::take(&mut cur));
        }
    }
    let footer = cur;
    let clean_idx = blocks
        .iter()
        .position(|b| b.last().is_some_and(|l| l.contains("/clean\t")))
        .ok_or_else(|| invalid("no package clean in all.txt"))?;
    let clean = blocks.remove(clean_idx);
    let pass_at = clean
        .iter()
        .position(|l| l == "PASS")
        .ok_or_else(|| invalid("no PASS line"))?;
    let unit = &clean[..pass_at];
    let log_after = unit
        .iter()
        .position(|l| l.starts_with("=== RUN   TestUpperAll"))
        .ok_or_else(|| invalid("no RUN line of TestUpperAll"))?;
    let log = lines
        .iter()
        .find(|l| l.contains("janitor started"))
        .ok_or_else(|| invalid("no janitor log line"))?
        .clone();
    let unit_tests = unit
        .iter()
        .filter(|l| l.starts_with("=== RUN"))
        .count()
        .max(1);
    let units = args.tests_per_package.div_ceil(unit_tests);
    let unit_bytes: usize = unit.iter().map(|l| l.len() + 3).sum();
    let budget = (size / args.packages.max(1) as u64) as usize;
    let mut rng = Rng(args.seed);
    for i in 0..args.packages {
        let (block, is_clean) = if is_real(args, i) {
            (&blocks[(i / args.real_every) % blocks.len()], false)
        } else {
            (&clean, true)
        };
        let no_tests = block.len() == 1 && block[0].starts_with("?   \t");
        let units = if no_tests { 0 } else { units };
        let bare: usize = block.iter().map(|l| l.len() + 1).sum::<usize>() + units * unit_bytes;
        let logs = budget.saturating_sub(bare) / (log.len() + 1);
        let per_unit = spread(&mut rng, if units == 0 { 0 } else { logs }, units);
        for (u, &n) in per_unit.iter().enumerate() {
            for (k, l) in unit.iter().enumerate() {
                writeln!(out, "{}", rename_tests(l, u))?;
                if k == log_after {
                    for _ in 0..n {
                        writeln!(out, "{log}")?;
                    }
                }
            }
        }
        let rest = if is_clean {
            &block[pass_at..]
        } else {
            &block[..]
        };
        for l in rest {
            writeln!(out, "{}", rename_pkg(l, i))?;
        }
    }
    for l in footer {
        writeln!(out, "{l}")?;
    }
    Ok(())
}
