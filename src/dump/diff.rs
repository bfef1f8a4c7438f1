//! Two dumps compared group by group, and the gate: a group the policy
//! does not allow fails when it grew by more than both thresholds, and a
//! goroutine proven leaked (the goroutineleak profile, ` (leaked)`) fails
//! unless allowed.

use rustc_hash::FxHashMap;

use super::{Dump, DumpError, Group, GroupKey};

pub use crate::config::DumpSettings;

/// How a group changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Only in the second dump.
    Appeared,
    /// More goroutines.
    Grew,
    /// Fewer.
    Shrank,
    /// Only in the first.
    Vanished,
    /// As many.
    Same,
}

impl Change {
    /// The word reports use.
    pub fn name(self) -> &'static str {
        match self {
            Change::Appeared => "appeared",
            Change::Grew => "grew",
            Change::Shrank => "shrank",
            Change::Vanished => "vanished",
            Change::Same => "unchanged",
        }
    }
}

/// What the gate says of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupVerdict {
    /// Fails the gate, and why.
    Fails(String),
    /// Would fail, but the policy allows it (rule ids).
    Allowed(Vec<String>),
    /// Within the thresholds.
    Passes,
}

/// One group in both dumps.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupDiff {
    /// The group as the second dump has it (or the first, if it vanished).
    pub group: Group,
    /// Goroutines in the first dump.
    pub before: u64,
    /// In the second.
    pub after: u64,
    /// How it changed (`None`: one dump).
    pub change: Option<Change>,
    /// The gate.
    pub verdict: GroupVerdict,
    /// Its count in each sample (`leakgate watch`; empty otherwise).
    pub samples: Vec<u64>,
}

/// Two dumps compared.
#[derive(Debug, Clone, PartialEq)]
pub struct Diff {
    /// The first dump's name, format and total (`None`: one dump, as
    /// `leakgate dump` shows it).
    pub before: Option<(String, super::DumpFormat, u64)>,
    /// The second's.
    pub after: (String, super::DumpFormat, u64),
    /// Groups keyed by entry function only: one of the dumps has no
    /// creators (a count profile), so `go` statements cannot be told apart.
    pub by_entry_only: bool,
    /// The thresholds used.
    pub settings: DumpSettings,
    /// Every group of either dump: failing first, then by growth.
    pub groups: Vec<GroupDiff>,
    /// Why the samples stop short of what was asked (`watch` interrupted,
    /// or a sample that could not be taken): not a pass, whatever the
    /// groups say.
    pub stopped: Option<String>,
}

impl Diff {
    /// The gate passed: no failing group, and nothing stopped short.
    pub fn passed(&self) -> bool {
        self.failing() == 0 && self.stopped.is_none()
    }

    /// Groups that fail the gate.
    pub fn failing(&self) -> usize {
        self.groups
            .iter()
            .filter(|g| matches!(g.verdict, GroupVerdict::Fails(_)))
            .count()
    }
}

fn rekey(dump: Dump, entry_only: bool) -> FxHashMap<GroupKey, Group> {
    let mut out: FxHashMap<GroupKey, Group> = FxHashMap::default();
    for g in dump.groups {
        let key = if entry_only {
            g.key.entry_only()
        } else {
            g.key.clone()
        };
        match out.get_mut(&key) {
            Some(into) => merge(into, g),
            None => {
                let mut g = g;
                g.key = key.clone();
                out.insert(key, g);
            }
        }
    }
    out
}

/// Adds `g`'s goroutines to `into` (same entry function, another creator).
fn merge(into: &mut Group, g: Group) {
    into.count += g.count;
    into.leaked += g.leaked;
    into.allowed += g.allowed;
    for r in g.rules {
        if !into.rules.contains(&r) {
            into.rules.push(r);
        }
    }
    for (s, n) in g.states {
        match into.states.iter_mut().find(|(t, _)| *t == s) {
            Some((_, m)) => *m += n,
            None => into.states.push((s, n)),
        }
    }
    into.states
        .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    for s in g.stacks {
        if into.stacks.len() < super::MAX_STACKS_PER_GROUP {
            into.stacks.push(s);
        } else {
            into.other_stacks += s.count;
        }
    }
    into.other_stacks += g.other_stacks;
    into.stacks.sort_by_key(|s| std::cmp::Reverse(s.count));
    if into.origin.is_none() {
        into.origin = g.origin;
        into.created_by = g.created_by;
    }
}

/// The proven-leaked goroutines of a group fail the gate unless allowed.
fn leaked_verdict(g: &Group) -> Option<GroupVerdict> {
    (g.leaked > 0).then(|| {
        if g.is_allowed() {
            GroupVerdict::Allowed(g.rules.clone())
        } else {
            GroupVerdict::Fails(format!(
                "{} goroutine{} proven leaked by the runtime (goroutineleak profile)",
                g.leaked,
                if g.leaked == 1 { "" } else { "s" }
            ))
        }
    })
}

/// One dump on its own, as `leakgate dump` shows it: only goroutines
/// proven leaked fail.
pub fn single(dump: Dump) -> Diff {
    let head = (dump.name.clone(), dump.format, dump.total);
    let mut groups: Vec<GroupDiff> = dump
        .groups
        .into_iter()
        .map(|g| GroupDiff {
            before: 0,
            after: g.count,
            change: None,
            verdict: leaked_verdict(&g).unwrap_or(GroupVerdict::Passes),
            samples: Vec::new(),
            group: g,
        })
        .collect();
    groups.sort_by(|x, y| {
        let fails = |d: &GroupDiff| matches!(d.verdict, GroupVerdict::Fails(_));
        fails(y)
            .cmp(&fails(x))
            .then_with(|| y.after.cmp(&x.after))
            .then_with(|| x.group.key.cmp(&y.group.key))
    });
    Diff {
        before: None,
        after: head,
        by_entry_only: !dump.format.has_creators(),
        settings: DumpSettings::default(),
        groups,
        stopped: None,
    }
}

/// Whether two dumps compare: all goroutines against the proven-leaked
/// ones would make every group seem to vanish or appear.
pub fn comparable(before: &Dump, after: &Dump) -> Result<(), DumpError> {
    if before.leak_profile == after.leak_profile {
        return Ok(());
    }
    let (leak, all) = if before.leak_profile {
        (before, after)
    } else {
        (after, before)
    };
    Err(DumpError::Incomparable {
        leak: leak.name.clone(),
        all: all.name.clone(),
    })
}

/// Compares two dumps.
pub fn diff(before: Dump, after: Dump, settings: DumpSettings) -> Diff {
    let entry_only = !(before.format.has_creators() && after.format.has_creators());
    diff_grouped(before, after, settings, entry_only)
}

/// Compares two dumps, grouped by entry function alone when `entry_only`
/// (also forced where a sample between them had no creators).
pub fn diff_grouped(before: Dump, after: Dump, settings: DumpSettings, entry_only: bool) -> Diff {
    let entry_only = entry_only || !(before.format.has_creators() && after.format.has_creators());
    let head_before = (before.name.clone(), before.format, before.total);
    let head_after = (after.name.clone(), after.format, after.total);
    let mut b = rekey(before, entry_only);
    let a = rekey(after, entry_only);
    let mut groups = Vec::new();
    for (key, g) in a {
        let before_count = b.remove(&key).map_or(0, |g| g.count);
        let after_count = g.count;
        let change = Some(if before_count == 0 {
            Change::Appeared
        } else if after_count > before_count {
            Change::Grew
        } else if after_count < before_count {
            Change::Shrank
        } else {
            Change::Same
        });
        let verdict = leaked_verdict(&g).unwrap_or_else(|| {
            if settings.exceeded(before_count, after_count) {
                if g.is_allowed() {
                    GroupVerdict::Allowed(g.rules.clone())
                } else {
                    GroupVerdict::Fails(format!(
                        "grew by {} (from {before_count} to {after_count}), more than {} goroutines{}",
                        after_count - before_count,
                        settings.grow_by,
                        if before_count == 0 {
                            String::new()
                        } else {
                            format!(" and {}%", settings.grow_percent)
                        }
                    ))
                }
            } else {
                GroupVerdict::Passes
            }
        });
        groups.push(GroupDiff {
            group: g,
            before: before_count,
            after: after_count,
            change,
            verdict,
            samples: Vec::new(),
        });
    }
    for (_, g) in b {
        groups.push(GroupDiff {
            before: g.count,
            after: 0,
            change: Some(Change::Vanished),
            verdict: GroupVerdict::Passes,
            samples: Vec::new(),
            group: g,
        });
    }
    groups.sort_by(|x, y| {
        let fails = |d: &GroupDiff| matches!(d.verdict, GroupVerdict::Fails(_));
        fails(y)
            .cmp(&fails(x))
            .then_with(|| {
                let growth = |d: &GroupDiff| d.after as i128 - d.before as i128;
                growth(y).cmp(&growth(x))
            })
            .then_with(|| y.after.cmp(&x.after))
            .then_with(|| x.group.key.cmp(&y.group.key))
    });
    Diff {
        before: Some(head_before),
        after: head_after,
        by_entry_only: entry_only,
        settings,
        groups,
        stopped: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_goroutineleak_profile_does_not_compare_with_a_goroutine_profile() {
        let read = |f: &str| {
            let path = format!(
                "{}/tests/fixtures/dumps/go1.27/{f}",
                env!("CARGO_MANIFEST_DIR")
            );
            let file = std::fs::File::open(path).unwrap();
            crate::dump::read(f, file, &crate::paths::Repo::default(), &Default::default()).unwrap()
        };
        let all = read("after.debug1.txt");
        let leak = read("after.goroutineleak.debug1.txt");
        assert!(comparable(&all, &all).is_ok() && comparable(&leak, &leak).is_ok());
        for (b, a) in [(&all, &leak), (&leak, &all)] {
            match comparable(b, a) {
                Err(DumpError::Incomparable { leak, all }) => {
                    assert_eq!(leak, "after.goroutineleak.debug1.txt");
                    assert_eq!(all, "after.debug1.txt");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn both_thresholds_must_be_exceeded() {
        let s = DumpSettings {
            grow_by: 5,
            grow_percent: 10,
        };
        assert!(!s.exceeded(0, 5));
        assert!(s.exceeded(0, 6));
        // 100 → 106: 6 more, but only 6%.
        assert!(!s.exceeded(100, 106));
        assert!(s.exceeded(100, 111));
        assert!(!s.exceeded(10, 3));
        let mut t = s;
        t.update(Some(0), Some(0));
        assert!(t.exceeded(7, 8));
        assert!(!t.exceeded(8, 8));
    }
}
