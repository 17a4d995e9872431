//! A path's recorded time series, bounded whatever the number of steps
//! (docs/scenarios.md, "Series"): at most [`MAX_POINTS`] records per path,
//! so memory, `series.csv` and `report.html` stay bounded.
//!
//! Up to [`MAX_POINTS`] steps every step is kept as it is. Beyond that the
//! steps are cut into buckets of `k = ⌈steps ÷ (MAX_POINTS ÷ 2)⌉` consecutive
//! steps and each bucket keeps (at most) two records, in step order: the
//! step with the lowest market price and the one with the highest — so a
//! crash or a spike shows in the charts however short it was. The bucket's
//! liquidated notional and cascade rounds are summed onto the first of the
//! two (the other carries zero), so the series' totals equal the path's.
//! Prices, the insurance fund and bad debt are those of the kept steps.

use crate::run::StepRecord;

/// Most records one path keeps.
pub const MAX_POINTS: usize = 2_000;

/// Steps per bucket for a path of `steps` steps (1: every step kept).
pub fn bucket_steps(steps: usize) -> usize {
    if steps <= MAX_POINTS {
        1
    } else {
        steps.div_ceil(MAX_POINTS / 2)
    }
}

/// Most buckets of the Monte-Carlo price fan ([`crate::fan`]): every path
/// keeps its market price at the close of each, so the fan costs at most
/// `paths × FAN_POINTS × 8` bytes (100,000 paths: 400 MB at the limit,
/// 200 paths: 0.8 MB).
pub const FAN_POINTS: usize = 500;

/// Steps per fan bucket for a path of `steps` steps (1: every step):
/// `⌈steps ÷ FAN_POINTS⌉`, so a path has at most [`FAN_POINTS`] buckets.
/// Bucket `b` (0-based) closes at step `min((b + 1) × k, steps)`.
pub fn fan_bucket_steps(steps: usize) -> usize {
    steps.div_ceil(FAN_POINTS).max(1)
}

/// The steps that close the fan's buckets, in order (the last is `steps`).
pub fn fan_close_steps(steps: usize) -> impl Iterator<Item = usize> {
    let k = fan_bucket_steps(steps);
    (1..=steps.div_ceil(k)).map(move |b| (b * k).min(steps))
}

/// Records a path's steps into at most [`MAX_POINTS`] records.
#[derive(Clone, Debug)]
pub struct Recorder {
    bucket: usize,
    kept: Vec<StepRecord>,
    low: Option<StepRecord>,
    high: Option<StepRecord>,
    in_bucket: usize,
    notional: f64,
    rounds: usize,
}

impl Recorder {
    /// A recorder for a path of `steps` steps.
    pub fn new(steps: usize) -> Recorder {
        Recorder {
            bucket: bucket_steps(steps),
            kept: Vec::with_capacity(steps.min(MAX_POINTS)),
            low: None,
            high: None,
            in_bucket: 0,
            notional: 0.0,
            rounds: 0,
        }
    }

    /// Records one step (steps come in order).
    pub fn push(&mut self, r: StepRecord) {
        if self.bucket == 1 {
            self.kept.push(r);
            return;
        }
        self.notional += r.liquidated_notional;
        self.rounds += r.rounds;
        if !matches!(&self.high, Some(h) if r.price <= h.price) {
            self.high = Some(r.clone());
        }
        if !matches!(&self.low, Some(l) if r.price >= l.price) {
            self.low = Some(r);
        }
        self.in_bucket += 1;
        if self.in_bucket == self.bucket {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let (low, high) = (self.low.take(), self.high.take());
        let mut pair: Vec<StepRecord> = match (low, high) {
            (Some(l), Some(h)) if l.step == h.step => vec![l],
            (Some(l), Some(h)) if l.step < h.step => vec![l, h],
            (Some(l), Some(h)) => vec![h, l],
            (l, h) => l.into_iter().chain(h).collect(),
        };
        for (i, r) in pair.iter_mut().enumerate() {
            (r.liquidated_notional, r.rounds) = match i {
                0 => (self.notional, self.rounds),
                _ => (0.0, 0),
            };
        }
        self.kept.extend(pair);
        (self.in_bucket, self.notional, self.rounds) = (0, 0.0, 0);
    }

    /// The kept records, in step order.
    pub fn finish(mut self) -> Vec<StepRecord> {
        if self.in_bucket > 0 {
            self.flush();
        }
        self.kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(step: usize, price: f64, liquidated: f64) -> StepRecord {
        StepRecord {
            step,
            exogenous: price,
            price,
            oracle: price,
            liquidated_notional: liquidated,
            rounds: usize::from(liquidated > 0.0),
            insurance_fund: 0.0,
            bad_debt: 0.0,
        }
    }

    #[test]
    fn fan_buckets_close_on_the_grid_and_at_the_last_step() {
        assert_eq!(fan_close_steps(3).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(fan_close_steps(500).count(), 500);
        // 1,001 steps: buckets of 3 steps, the last one a single step.
        let closes: Vec<usize> = fan_close_steps(1_001).collect();
        assert_eq!(closes.len(), 334);
        assert_eq!(&closes[..2], [3, 6]);
        assert_eq!(&closes[332..], [999, 1_001]);
        assert!(fan_close_steps(10_000_000).count() <= FAN_POINTS);
        assert_eq!(fan_close_steps(0).count(), 0);
    }

    #[test]
    fn short_paths_keep_every_step() {
        let mut r = Recorder::new(3);
        for s in 1..=3 {
            r.push(record(s, s as f64, 1.0));
        }
        assert_eq!(
            r.finish(),
            (1..=3)
                .map(|s| record(s, s as f64, 1.0))
                .collect::<Vec<_>>()
        );
    }

    /// 200,001 steps of a slow rise with a one-step crash to 1 at step 123,457
    /// and liquidations at every 7th step: at most 2,000 records, the crash
    /// and the peak kept, the liquidated total and the rounds preserved.
    #[test]
    fn long_paths_are_bounded_and_keep_extremes_and_totals() {
        let steps = 200_001;
        let mut r = Recorder::new(steps);
        let (mut notional, mut rounds) = (0.0, 0);
        for s in 1..=steps {
            let price = if s == 123_457 { 1.0 } else { 100.0 + s as f64 };
            let liq = if s % 7 == 0 { 1.0 } else { 0.0 };
            notional += liq;
            rounds += usize::from(liq > 0.0);
            r.push(record(s, price, liq));
        }
        let kept = r.finish();
        assert!(kept.len() <= MAX_POINTS, "{} records", kept.len());
        assert!(kept.windows(2).all(|w| w[0].step < w[1].step));
        assert!(kept.iter().any(|k| k.step == 123_457 && k.price == 1.0));
        assert_eq!(kept.last().map(|k| k.step), Some(steps));
        assert_eq!(
            kept.iter().map(|k| k.liquidated_notional).sum::<f64>(),
            notional
        );
        assert_eq!(kept.iter().map(|k| k.rounds).sum::<usize>(), rounds);
    }
}
