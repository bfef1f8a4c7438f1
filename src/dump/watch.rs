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
    /// By group key, for samples that all name creators.
    counts: FxHashMap<GroupKey, Vec<u64>>,
    /// By entry function alone (summed over creators), for every sample:
    /// used when one of them was a count profile.
    by_entry: FxHashMap<GroupKey, Vec<u64>>,
    /// A sample had no creators (debug=1 or debug=0).
    some_without_creators: bool,
    first: Option<Dump>,
    last: Option<Dump>,
}

fn push(map: &mut FxHashMap<GroupKey, Vec<u64>>, key: GroupKey, n: usize, count: u64) {
    let v = map.entry(key).or_insert_with(|| vec![0; n]);
    v.resize(n + 1, 0);
    v[n] += count;
}

impl Series {
    /// Adds one sample.
    pub fn add(&mut self, dump: Dump) {
        let n = self.samples;
        if !dump.format.has_creators() {
            self.some_without_creators = true;
        }
        for g in &dump.groups {
            if !self.some_without_creators {
                push(&mut self.counts, g.key.clone(), n, g.count);
            }
            push(&mut self.by_entry, g.key.entry_only(), n, g.count);
        }
        if self.some_without_creators {
            // Never read again.
            self.counts.clear();
        }
        self.samples += 1;
        for v in self.counts.values_mut().chain(self.by_entry.values_mut()) {
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
        let (map, key) = if self.some_without_creators {
            (&self.by_entry, key.entry_only())
        } else {
            (&self.counts, key.clone())
        };
        map.get(&key).map_or(&[], Vec::as_slice)
    }

    /// The first and last samples compared; a group fails only when it
    /// also grew steadily ([`steady`]).
    pub fn judge(self, settings: DumpSettings) -> Option<Diff> {
        let first = self.first?;
        let last = match self.last {
            Some(l) => l,
            None => first.clone(),
        };
        let entry_only = self.some_without_creators;
        let mut d = diff::diff_grouped(first, last, settings, entry_only);
        for g in &mut d.groups {
            let (map, key) = if entry_only {
                (&self.by_entry, g.group.key.entry_only())
            } else {
                (&self.counts, g.group.key.clone())
            };
            let counts = map.get(&key).cloned().unwrap_or_default();
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

fn rises(counts: &[u64]) -> usize {
    counts.windows(2).filter(|w| w[1] > w[0]).count()
}

/// Steady growth: at least three samples, a rise in at least half of the
/// steps (at least two), and a floor that rose (every sample of the last
/// third above every sample of the first third). A single jump that then
/// stays flat, or a spike that recedes, is not steady; a base that grows
/// under goroutines that come and go is.
pub fn steady(counts: &[u64]) -> bool {
    if counts.len() < MIN_SAMPLES {
        return false;
    }
    let steps = counts.len() - 1;
    let up = rises(counts);
    // The floor rose: the lowest of the last third is above the highest
    // of the first third, so goroutines that come and go around a
    // growing base still count, and a spike that recedes does not.
    let third = counts.len().div_ceil(3);
    let early = counts[..third].iter().copied().max().unwrap_or(0);
    let late = counts[counts.len() - third..]
        .iter()
        .copied()
        .min()
        .unwrap_or(0);
    up >= 2 && up * 2 >= steps && late > early
}

/// Fewest samples that can show steady growth ([`steady`]).
pub const MIN_SAMPLES: usize = 3;

/// How many samples `every` for `total` takes: one at the start, one per
/// `every` after it (a watch of more than [`MAX_SAMPLES`] is refused).
pub fn samples(every: Duration, total: Duration) -> usize {
    ((total.as_secs_f64() / every.as_secs_f64().max(0.001)).floor() as usize).saturating_add(1)
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
    let wanted = samples(every, total).min(MAX_SAMPLES);
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
    fn a_series_of_mixed_formats_is_kept_by_entry_function() {
        let read = |f: &str| {
            let path = format!(
                "{}/tests/fixtures/dumps/go1.27/{f}",
                env!("CARGO_MANIFEST_DIR")
            );
            let file = std::fs::File::open(path).unwrap();
            crate::dump::read(f, file, &crate::paths::Repo::default(), &Default::default()).unwrap()
        };
        let mut series = Series::default();
        series.add(read("before.debug2.txt"));
        series.add(read("after.debug1.txt"));
        series.add(read("after.debug2.txt"));
        let d = series.judge(DumpSettings::default()).unwrap();
        assert!(d.by_entry_only);
        let ticker = d
            .groups
            .iter()
            .find(|g| g.group.key.entry == "main.leakTickerLoop")
            .unwrap();
        assert_eq!(ticker.samples, vec![0, 25, 25]);
    }

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
        // A leaking base under short-lived goroutines: its last sample
        // dips, its floor still rose (a real service's series).
        assert!(steady(&[0, 30, 60, 90, 100, 110, 120, 125, 130, 130, 110]));
        // Up and back down to where it was.
        assert!(!steady(&[10, 20, 30, 40, 30, 20, 10]));
    }

    #[test]
    fn samples_at_the_start_and_every_period_after() {
        let s = Duration::from_secs;
        assert_eq!(samples(s(10), s(300)), 31);
        assert_eq!(samples(s(10), s(25)), 3);
        assert_eq!(samples(s(10), s(19)), 2);
        assert_eq!(samples(s(10), s(1)), 1);
        assert_eq!(
            samples(Duration::from_millis(1), s(1_000_000)),
            1_000_000_001
        );
    }
}
