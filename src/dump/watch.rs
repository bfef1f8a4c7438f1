//! `leakgate watch`: samples a service's goroutine dump repeatedly and
//! reports the groups that grow steadily across the samples, not a single
//! spike. Memory: the first and the last dump, and one count per group per
//! sample (at most [`MAX_SAMPLES`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rustc_hash::FxHashMap;

use super::diff::{self, Diff, DumpSettings, GroupVerdict};
use super::{Dump, DumpError, GroupKey};

/// Samples kept at most (`--for` / `--every`).
pub const MAX_SAMPLES: usize = 10_000;

/// The counts of every group across samples.
#[derive(Debug, Default)]
pub struct Series {
    /// Samples taken.
    pub samples: usize,
    counts: FxHashMap<GroupKey, Vec<u64>>,
    first: Option<Dump>,
    last: Option<Dump>,
}

impl Series {
    /// Adds one sample.
    pub fn add(&mut self, dump: Dump) {
        let n = self.samples;
        for g in &dump.groups {
            let key = series_key(&dump, &g.key);
            let v = self.counts.entry(key).or_insert_with(|| vec![0; n]);
            v.resize(n, 0);
            v.push(g.count);
        }
        self.samples += 1;
        for v in self.counts.values_mut() {
            v.resize(self.samples, 0);
        }
        if self.first.is_none() {
            self.first = Some(dump);
        } else {
            self.last = Some(dump);
        }
    }

    /// The counts of one group, one per sample.
    pub fn of(&self, key: &GroupKey) -> &[u64] {
        self.counts.get(key).map_or(&[], Vec::as_slice)
    }

    /// The first and last samples compared; a group fails only when it
    /// also grew steadily ([`steady`]).
    pub fn judge(self, settings: DumpSettings) -> Option<Diff> {
        let first = self.first?;
        let last = match self.last {
            Some(l) => l,
            None => first.clone(),
        };
        let entry_only = !(first.format.has_creators() && last.format.has_creators());
        let mut d = diff::diff(first, last, settings);
        for g in &mut d.groups {
            let key = if entry_only {
                g.group.key.entry_only()
            } else {
                g.group.key.clone()
            };
            let counts = self.counts.get(&key).cloned().unwrap_or_default();
            if matches!(g.verdict, GroupVerdict::Fails(_))
                && g.group.leaked == 0
                && !steady(&counts)
            {
                g.verdict = GroupVerdict::Passes;
            }
            if let GroupVerdict::Fails(why) = &mut g.verdict {
                if g.group.leaked == 0 {
                    why.push_str(&format!(
                        ", growing in {} of {} samples",
                        rises(&counts),
                        counts.len().saturating_sub(1)
                    ));
                }
            }
            g.samples = counts;
        }
        Some(d)
    }
}

fn series_key(dump: &Dump, key: &GroupKey) -> GroupKey {
    if dump.format.has_creators() {
        key.clone()
    } else {
        key.entry_only()
    }
}

fn rises(counts: &[u64]) -> usize {
    counts.windows(2).filter(|w| w[1] > w[0]).count()
}

/// Steady growth: at least three samples, a rise in at least half of the
/// steps (at least two), and the last sample at the maximum of the second
/// half (it did not fall back). A single jump that then stays flat, or a
/// spike that recedes, is not steady.
pub fn steady(counts: &[u64]) -> bool {
    if counts.len() < MIN_SAMPLES {
        return false;
    }
    let steps = counts.len() - 1;
    let up = rises(counts);
    let second_half = &counts[counts.len() / 2..];
    let last = counts[counts.len() - 1];
    up >= 2 && up * 2 >= steps && second_half.iter().all(|&c| c <= last) && last > counts[0]
}

/// Fewest samples that can show steady growth ([`steady`]).
pub const MIN_SAMPLES: usize = 3;

/// How many samples `every` for `total` takes: one at the start, one per
/// `every` after it, at most [`MAX_SAMPLES`].
pub fn samples(every: Duration, total: Duration) -> usize {
    ((total.as_secs_f64() / every.as_secs_f64().max(0.001)).floor() as usize)
        .saturating_add(1)
        .min(MAX_SAMPLES)
}

/// Takes samples with `sample` every `every` for `total`, or until
/// `interrupt` is set; calls `progress` after each. A sample that fails is
/// the error (fail closed), with the samples taken so far kept in `series`.
pub fn watch(
    every: Duration,
    total: Duration,
    interrupt: &AtomicBool,
    series: &mut Series,
    mut sample: impl FnMut() -> Result<Dump, DumpError>,
    mut progress: impl FnMut(&Series, &Dump),
) -> Result<(), DumpError> {
    let start = Instant::now();
    let wanted = samples(every, total);
    for i in 0..wanted {
        if interrupt.load(Ordering::SeqCst) {
            break;
        }
        let dump = sample()?;
        series.add(dump);
        if let Some(d) = series.last.as_ref().or(series.first.as_ref()) {
            progress(series, d);
        }
        if i + 1 == wanted {
            break;
        }
        let next = start + every * (i as u32 + 1);
        while Instant::now() < next {
            if interrupt.load(Ordering::SeqCst) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50).min(next - Instant::now()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_growth_not_spikes() {
        assert!(steady(&[10, 20, 30, 40]));
        assert!(steady(&[10, 12, 12, 15, 15, 19]));
        // One jump, then flat.
        assert!(!steady(&[10, 50, 50, 50, 50]));
        // A spike that recedes.
        assert!(!steady(&[10, 20, 80, 15, 12]));
        // Too few samples.
        assert!(!steady(&[1, 100]));
        assert!(!steady(&[5, 5, 5, 5]));
    }

    #[test]
    fn samples_at_the_start_and_every_period_after() {
        let s = Duration::from_secs;
        assert_eq!(samples(s(10), s(300)), 31);
        assert_eq!(samples(s(10), s(25)), 3);
        assert_eq!(samples(s(10), s(19)), 2);
        assert_eq!(samples(s(10), s(1)), 1);
        assert_eq!(samples(Duration::from_millis(1), s(1_000_000)), MAX_SAMPLES);
    }
}
