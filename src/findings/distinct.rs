//! Distinct leaks: the unit of every decision.
//!
//! A leak report (one goleak report, one synctest bubble) is evidence: it
//! shows goroutines. The goroutines of every report that share a
//! fingerprint (the same `go` statement and blocking place, see
//! [`super::fingerprint`]) are one [`DistinctLeak`], keyed by a
//! [`LeakKey`]: that is what the policy allows, retries rerun, and the
//! verdict judges. A goroutine id that several reports of one test binary
//! list (goleak lists a leaked goroutine in every check after the test that
//! started it) counts once.

use rustc_hash::{FxHashMap, FxHashSet};

use super::{Findings, Leak, LeakedGoroutine, NodeKey};
use crate::findings::SourceRef;

/// The key of a distinct leak: the fingerprint its goroutines share.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LeakKey(pub String);

impl LeakKey {
    /// The key of the distinct leak a goroutine belongs to.
    pub fn of(g: &LeakedGoroutine) -> LeakKey {
        LeakKey(g.fingerprint.clone())
    }

    /// The fingerprint.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A test (or a package's `TestMain`, `test: None`) whose report listed a
/// leak.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reporter {
    /// Package import path.
    pub package: Option<String>,
    /// Test, `None` for a package-level (`VerifyTestMain`) report.
    pub test: Option<String>,
}

impl Reporter {
    /// The reporter of a leak report.
    pub fn of(leak: &Leak) -> Reporter {
        Reporter {
            package: leak.package.clone(),
            test: leak.test.clone(),
        }
    }
}

/// What one node's reports showed of a distinct leak.
#[derive(Debug, Clone, PartialEq)]
pub struct Sighting {
    /// The node whose reports listed it.
    pub node: NodeKey,
    /// Goroutines of this leak its reports listed.
    pub goroutines: usize,
    /// Whether every one of them was first reported by another test of
    /// the same binary (goleak's check lists them again).
    pub again: bool,
    /// One of them, as listed here (its goroutine id, state and frames as
    /// this node's report printed them).
    pub example: LeakedGoroutine,
    /// Its leak check (`VerifyNone`), resolved.
    pub verify_at: Option<SourceRef>,
}

/// A leak as a person thinks of it: goroutines of one fingerprint, across
/// every report and test that listed them.
#[derive(Debug, Clone, PartialEq)]
pub struct DistinctLeak {
    /// Its key.
    pub key: LeakKey,
    /// The first goroutine seen with it.
    pub example: LeakedGoroutine,
    /// Distinct goroutines with this fingerprint: a goroutine that several
    /// reports of one test binary list (same goroutine id) counts once.
    pub goroutines: usize,
    /// How many times reports listed them.
    pub sightings: usize,
    /// Largest number in a single report (fifty workers: 50).
    pub max_in_report: usize,
    /// Every report that first listed one of them, in order.
    pub reporters: Vec<Reporter>,
    /// Reports that only listed goroutines reported earlier by another
    /// test of the same binary.
    pub seen_again: Vec<Reporter>,
    /// Per node whose reports listed it, in order of first report.
    pub nodes: Vec<Sighting>,
    /// Whether every instance is a test-harness goroutine.
    pub harness: bool,
}

impl DistinctLeak {
    /// Where a person should look: the `go` statement (or first frame) in
    /// the repository, else the leak check of a test that first reported
    /// it, when that is in the repository.
    pub fn place(&self) -> Option<&SourceRef> {
        self.example.anchor().or_else(|| {
            self.nodes
                .iter()
                .filter(|s| !s.again)
                .find_map(|s| s.verify_at.as_ref().filter(|v| v.in_repo))
        })
    }

    /// What a node's reports showed of it.
    pub fn sighting(&self, node: &NodeKey) -> Option<&Sighting> {
        self.nodes.iter().find(|s| s.node == *node)
    }
}

/// Groups the goroutines of every leak report into distinct leaks, in
/// order of first sighting.
pub fn distinct_leaks(findings: &Findings) -> Vec<DistinctLeak> {
    let mut index: FxHashMap<&str, usize> = FxHashMap::default();
    let mut out: Vec<DistinctLeak> = Vec::new();
    // Goroutines already counted: (input, package run, goroutine id).
    let mut counted: FxHashSet<(usize, u32, u64)> = FxHashSet::default();
    for leak in &findings.leaks {
        let who = Reporter::of(leak);
        let mut in_report: FxHashMap<usize, (usize, bool)> = FxHashMap::default();
        for g in &leak.goroutines {
            let i = *index.entry(g.fingerprint.as_str()).or_insert_with(|| {
                out.push(DistinctLeak {
                    key: LeakKey::of(g),
                    example: g.clone(),
                    goroutines: 0,
                    sightings: 0,
                    max_in_report: 0,
                    reporters: Vec::new(),
                    seen_again: Vec::new(),
                    nodes: Vec::new(),
                    harness: true,
                });
                out.len() - 1
            });
            let d = &mut out[i];
            d.sightings += 1;
            let id = g.goroutine.id;
            let first_time = id == 0 || counted.insert((leak.node.input, leak.node.run, id));
            let e = in_report.entry(i).or_insert((0, true));
            e.0 += 1;
            if first_time {
                e.1 = false;
                d.goroutines += 1;
                if !d.reporters.contains(&who) {
                    d.reporters.push(who.clone());
                }
                d.seen_again.retain(|w| *w != who);
            } else if !d.reporters.contains(&who) && !d.seen_again.contains(&who) {
                d.seen_again.push(who.clone());
            }
            d.harness &= g.harness.is_some();
            match d.nodes.iter_mut().find(|s| s.node == leak.node) {
                Some(s) => s.goroutines += 1,
                None => d.nodes.push(Sighting {
                    node: leak.node.clone(),
                    goroutines: 1,
                    again: true,
                    example: g.clone(),
                    verify_at: leak.verify_at.clone(),
                }),
            }
        }
        for (i, (n, again)) in in_report {
            let d = &mut out[i];
            d.max_in_report = d.max_in_report.max(n);
            if !again {
                if let Some(s) = d.nodes.iter_mut().find(|s| s.node == leak.node) {
                    s.again = false;
                }
            }
        }
    }
    out
}
