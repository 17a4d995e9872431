//! `levamp recommend`: the extreme value of one scenario key (the largest
//! leverage, the smallest margin, …) whose risk metric still meets a
//! target, searched on common random numbers (docs/recommend.md).
//!
//! The candidates live on a decimal [`Grid`] (the key's precision); each is
//! evaluated on the same paths (the caller runs `levamp sim`'s paths with
//! the override) and judged by the upper end of its 95 % bootstrap interval
//! for `<=`/`<` (the lower end for `>=`/`>`), so the answer is
//! conservative. The search evaluates both ends first (the direction is
//! found, not assumed), then bisects between the end that meets the target
//! and the end that does not, down to the tolerance. A reversal of the
//! metric between two neighbouring evaluated points whose paired difference
//! interval ([`crate::ci::difference_interval`]) excludes 0 stops the
//! search: the metric is not monotone on the range. Sampling noise between
//! close values is not a reversal.

use crate::ci::{self, difference_interval, interval, Statistic};
use serde_json::{json, Value};

/// Most decimals a candidate value may have (the fixed-point scale).
const MAX_DECIMALS: u32 = 12;

/// How a target compares its metric with its value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Comparison {
    Le,
    Lt,
    Ge,
    Gt,
}

impl Comparison {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Le => "<=",
            Comparison::Lt => "<",
            Comparison::Ge => ">=",
            Comparison::Gt => ">",
        }
    }

    /// +1 when a larger metric is worse (`<=`, `<`), −1 otherwise.
    fn worse(self) -> f64 {
        match self {
            Comparison::Le | Comparison::Lt => 1.0,
            Comparison::Ge | Comparison::Gt => -1.0,
        }
    }
}

/// `METRIC<=VALUE` (or `<`, `>=`, `>`).
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub metric: Statistic,
    pub comparison: Comparison,
    pub value: f64,
}

impl Target {
    /// Parses `METRIC<=VALUE`; an unknown metric's error suggests a name or
    /// lists them all.
    pub fn parse(text: &str) -> Result<Target, String> {
        let malformed = || {
            format!(
                "--target: expected METRIC<=VALUE (or <, >=, >), found {}",
                levamp_io::json::quote(text)
            )
        };
        let ops = [
            ("<=", Comparison::Le),
            (">=", Comparison::Ge),
            ("<", Comparison::Lt),
            (">", Comparison::Gt),
        ];
        let (at, op, comparison) = ops
            .iter()
            .filter_map(|&(op, c)| text.find(op).map(|i| (i, op, c)))
            .min_by_key(|&(i, op, _)| (i, std::cmp::Reverse(op.len())))
            .ok_or_else(malformed)?;
        let (name, value) = (text[..at].trim(), text[at + op.len()..].trim());
        let value: f64 = value.parse().map_err(|_| malformed())?;
        if name.is_empty() || !value.is_finite() {
            return Err(malformed());
        }
        let metric = Statistic::parse(name).map_err(|e| match e.contains("did you mean") {
            true => format!("--target: {e}"),
            false => format!("--target: {e}; metrics: {}", ci::names().join(", ")),
        })?;
        Ok(Target {
            metric,
            comparison,
            value,
        })
    }

    /// Whether an estimate with interval `ci` meets the target at the
    /// interval's unfavourable end (the conservative reading).
    pub fn meets(&self, ci: [f64; 2]) -> bool {
        match self.comparison {
            Comparison::Le => ci[1] <= self.value,
            Comparison::Lt => ci[1] < self.value,
            Comparison::Ge => ci[0] >= self.value,
            Comparison::Gt => ci[0] > self.value,
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}{}{}",
            self.metric.name,
            self.comparison.symbol(),
            self.value
        )
    }
}

/// The candidate values: `lo..=hi` in steps of `10^-decimals`, held as
/// whole units of that step (exact decimals, no float).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Grid {
    pub lo: i128,
    pub hi: i128,
    pub decimals: u32,
}

/// Decimals of plain decimal text (`-1.250` → 3); `None` if not one.
pub fn decimals(text: &str) -> Option<u32> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let ok = !int.is_empty() && int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit());
    ok.then_some(frac.len() as u32)
}

impl Grid {
    /// The grid of `LO..HI` at the precision of the most decimals among
    /// `LO`, `HI` and `extra` (the key's value in the scenario, the
    /// tolerance).
    pub fn parse(range: &str, extra: &[&str]) -> Result<Grid, String> {
        let bad = |why: &str| format!("--range: {why}, found {}", levamp_io::json::quote(range));
        let (lo, hi) = range
            .split_once("..")
            .ok_or_else(|| bad("expected LO..HI"))?;
        let (lo, hi) = (lo.trim(), hi.trim());
        let d = [lo, hi]
            .iter()
            .map(|t| decimals(t).ok_or_else(|| bad("LO and HI must be decimal numbers")))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .chain(extra.iter().filter_map(|t| decimals(t)))
            .max()
            .unwrap_or(0);
        if d > MAX_DECIMALS {
            return Err(bad(&format!("at most {MAX_DECIMALS} decimals")));
        }
        let units = |t: &str| units(t, d).ok_or_else(|| bad("a bound is too large"));
        let grid = Grid {
            lo: units(lo)?,
            hi: units(hi)?,
            decimals: d,
        };
        if grid.lo >= grid.hi {
            return Err(bad("LO must be below HI"));
        }
        Ok(grid)
    }

    /// The exact decimal text of `units` steps.
    pub fn text(&self, units: i128) -> String {
        let scale = 10i128.pow(self.decimals);
        let sign = if units < 0 { "-" } else { "" };
        let (int, frac) = (units.abs() / scale, units.abs() % scale);
        match self.decimals {
            0 => format!("{sign}{int}"),
            d => format!("{sign}{int}.{frac:0width$}", width = d as usize),
        }
    }

    /// `units` as a float (for charts and metric arithmetic only).
    pub fn value(&self, units: i128) -> f64 {
        units as f64 / 10f64.powi(self.decimals as i32)
    }

    /// The tolerance `text` in steps (at least one), or 1 % of the range.
    pub fn tolerance(&self, text: Option<&str>) -> Result<i128, String> {
        let Some(t) = text else {
            return Ok(((self.hi - self.lo) / 100).max(1));
        };
        match units(t, self.decimals) {
            Some(u) if u > 0 => Ok(u),
            _ => Err(format!(
                "--tolerance: expected a positive decimal number, found {}",
                levamp_io::json::quote(t)
            )),
        }
    }
}

/// Decimal `text` in steps of `10^-d` (text with at most `d` decimals).
fn units(text: &str, d: u32) -> Option<i128> {
    let places = decimals(text)?;
    let digits: String = text.chars().filter(|c| *c != '.').collect();
    let n: i128 = digits.parse().ok()?;
    n.checked_mul(10i128.checked_pow(d.checked_sub(places)?)?)
}

/// One evaluated candidate.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluated {
    /// The candidate, in grid steps.
    pub units: i128,
    pub estimate: f64,
    pub ci: [f64; 2],
    /// The statistic's per-path values (for paired differences).
    pub values: Vec<f64>,
}

/// How a search ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// `safe` (an index into the evaluations) meets the target; `beyond`,
    /// one search step further, does not.
    Recommended { safe: usize, beyond: usize },
    /// Both ends meet the target: widen the range.
    AllMeet,
    /// Neither end meets it.
    NoneMeet,
    /// The metric gets significantly better from `a` to `b` (evaluation
    /// indices, `b` further from the end that meets the target) although
    /// it gets worse from end to end; `difference` is the paired interval
    /// of metric(b) − metric(a).
    NotMonotone {
        a: usize,
        b: usize,
        difference: [f64; 2],
    },
}

/// A finished search.
#[derive(Clone, Debug)]
pub struct Recommendation {
    pub grid: Grid,
    pub target: Target,
    /// In evaluation order: LO, HI, then the bisection's points.
    pub evaluations: Vec<Evaluated>,
    pub outcome: Outcome,
}

/// How a search runs besides its grid and target.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// The search resolution, in grid steps (at least one).
    pub tolerance: i128,
    /// Seeds the bootstrap (the same for every candidate, so the resamples
    /// are paired).
    pub seed: u64,
    /// Interior points evaluated evenly over the range before the
    /// bisection (`--scan N`; 0: none).
    pub scan: usize,
}

/// Searches `grid` for the extreme value meeting `target`. `eval` returns
/// the target statistic's per-path values of one candidate (its exact
/// decimal text), always on the same paths.
///
/// LO and HI first (the direction), then the `settings.scan` interior
/// points (every neighbouring pair checked for a reversal; the bisection
/// starts from the first scanned point, from the safe end, that fails),
/// then the bisection down to the tolerance, each new point checked
/// against the bracket's ends, and last the **neighbour check**: the point
/// one search step past the answer on its safe side must not be
/// significantly worse than the answer. Bisection only sees the points it
/// lands on, so a sawtooth can hand it a lucky point (a fund size that
/// happens to leave no bad debt between two that do); the neighbour, or a
/// scanned point, shows the tooth.
pub fn search<E>(
    grid: Grid,
    target: &Target,
    settings: Settings,
    mut eval: impl FnMut(&str) -> Result<Vec<f64>, E>,
) -> Result<Recommendation, E> {
    let Settings { seed, scan, .. } = settings;
    let stat = &target.metric;
    let mut point = |units: i128| -> Result<Evaluated, E> {
        let values = eval(&grid.text(units))?;
        Ok(Evaluated {
            units,
            estimate: stat.estimate(&values),
            ci: interval(&values, stat.aggregate, seed),
            values,
        })
    };
    let mut evaluations = vec![point(grid.lo)?, point(grid.hi)?];
    let done = |evaluations, outcome| {
        Ok(Recommendation {
            grid,
            target: target.clone(),
            evaluations,
            outcome,
        })
    };
    let (lo_ok, hi_ok) = (
        target.meets(evaluations[0].ci),
        target.meets(evaluations[1].ci),
    );
    let (mut safe, mut beyond) = match (lo_ok, hi_ok) {
        (true, true) => return done(evaluations, Outcome::AllMeet),
        (false, false) => return done(evaluations, Outcome::NoneMeet),
        (true, false) => (0, 1),
        (false, true) => (1, 0),
    };
    // Toward the failing end: +1 when it is HI.
    let toward_failing: i128 = if lo_ok { 1 } else { -1 };
    // The metric gets significantly better from evaluation `a` to `b`
    // (`b` nearer the failing end): the paired difference interval.
    let reversal = |evaluations: &[Evaluated], a: usize, b: usize| {
        let (pa, pb) = (&evaluations[a], &evaluations[b]);
        let d = difference_interval(&pb.values, &pa.values, stat.aggregate, seed);
        let better = match target.comparison.worse() > 0.0 {
            true => d[1] < 0.0,
            false => d[0] > 0.0,
        };
        better.then_some(Outcome::NotMonotone {
            a,
            b,
            difference: d,
        })
    };
    if scan > 0 {
        let span = grid.hi - grid.lo;
        for k in 1..=scan as i128 {
            let u = grid.lo + span * k / (scan as i128 + 1);
            if evaluations.iter().all(|e| e.units != u) {
                evaluations.push(point(u)?);
            }
        }
        // From the safe end to the failing end.
        let mut order: Vec<usize> = (0..evaluations.len()).collect();
        order.sort_by_key(|&i| evaluations[i].units * toward_failing);
        for w in order.windows(2) {
            if let Some(outcome) = reversal(&evaluations, w[0], w[1]) {
                return done(evaluations, outcome);
            }
        }
        // The first point that fails and the one before it (the safe end
        // meets and sorts first; the failing end fails, so there is one;
        // were there none, the ends stay the bracket).
        if let Some(w) = order
            .windows(2)
            .find(|w| !target.meets(evaluations[w[1]].ci))
        {
            (safe, beyond) = (w[0], w[1]);
        }
    }
    let tolerance = settings.tolerance.max(1);
    while (evaluations[beyond].units - evaluations[safe].units).abs() > tolerance {
        let (s, b) = (evaluations[safe].units, evaluations[beyond].units);
        let mid = s + (b - s) / 2;
        evaluations.push(point(mid)?);
        let m = evaluations.len() - 1;
        for (a, b) in [(safe, m), (m, beyond)] {
            if let Some(outcome) = reversal(&evaluations, a, b) {
                return done(evaluations, outcome);
            }
        }
        match target.meets(evaluations[m].ci) {
            true => safe = m,
            false => beyond = m,
        }
    }
    // The neighbour check, one search step past the answer on its safe side.
    let s = evaluations[safe].units;
    let (lo, hi) = (grid.lo.min(grid.hi), grid.hi.max(grid.lo));
    let neighbour = (s - toward_failing * tolerance).clamp(lo, hi);
    if neighbour != s {
        let n = match evaluations.iter().position(|e| e.units == neighbour) {
            Some(n) => n,
            None => {
                evaluations.push(point(neighbour)?);
                evaluations.len() - 1
            }
        };
        if let Some(outcome) = reversal(&evaluations, n, safe) {
            return done(evaluations, outcome);
        }
    }
    done(evaluations, Outcome::Recommended { safe, beyond })
}

impl Recommendation {
    /// The recommended point, if any.
    pub fn recommended(&self) -> Option<&Evaluated> {
        match self.outcome {
            Outcome::Recommended { safe, .. } => Some(&self.evaluations[safe]),
            _ => None,
        }
    }

    /// Paths that would narrow the recommendation's interval to the metric's
    /// change over one search step (interval width ∝ 1/√paths); `None`
    /// without a recommendation or when the step does not move the metric.
    pub fn paths_for_tolerance(&self, paths: usize) -> Option<usize> {
        let Outcome::Recommended { safe, beyond } = self.outcome else {
            return None;
        };
        let (s, b) = (&self.evaluations[safe], &self.evaluations[beyond]);
        let step = (b.estimate - s.estimate).abs();
        let width = s.ci[1] - s.ci[0];
        if step == 0.0 || !step.is_finite() {
            return None;
        }
        let n = paths as f64 * (width / step).powi(2);
        Some((n.ceil() as usize).max(1))
    }

    /// The one-line explanation of an outcome without a recommendation.
    pub fn refusal(&self, param: &str) -> Option<String> {
        let at = |i: usize| {
            let e = &self.evaluations[i];
            format!(
                "{} at {param} = {} (95 % CI [{}, {}])",
                e.estimate,
                self.grid.text(e.units),
                e.ci[0],
                e.ci[1]
            )
        };
        let t = &self.target;
        Some(match &self.outcome {
            Outcome::Recommended { .. } => return None,
            Outcome::AllMeet => format!(
                "the whole range meets {t}: {} is {} and {}; widen --range",
                t.metric.name,
                at(0),
                at(1)
            ),
            Outcome::NoneMeet => format!(
                "no value of the range meets {t}: {} is {} and {}",
                t.metric.name,
                at(0),
                at(1)
            ),
            Outcome::NotMonotone { a, b, difference } => format!(
                "{} is not monotone in {param} on the range: {} but {} (paired difference \
                 95 % CI [{}, {}] excludes 0); narrow --range",
                t.metric.name,
                at(*a),
                at(*b),
                difference[0],
                difference[1]
            ),
        })
    }

    /// The `--format json` document (docs/recommend.md).
    pub fn json(&self, param: &str, paths: usize, seed: u64) -> Value {
        let number = |u: i128| levamp_io::json::number(self.grid.text(u));
        let best = self.recommended();
        let mut doc = json!({
            "param": param,
            "value": best.map(|e| number(e.units)),
            "target": self.target.to_string(),
            "metric": self.target.metric.name,
            "estimate": best.map(|e| e.estimate),
            "ci": best.map(|e| e.ci),
            "evaluations": self.evaluations.iter().map(|e| json!({
                "value": number(e.units),
                "estimate": e.estimate,
                "ci": e.ci,
            })).collect::<Vec<_>>(),
        });
        doc["paths"] = json!(paths);
        doc["seed"] = json!(seed);
        if best.is_none() {
            doc["refusal"] = json!(self.refusal(param));
        }
        doc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(t: &str) -> Target {
        Target::parse(t).unwrap()
    }

    /// Tolerance one step, bootstrap seed 3, `scan` scanned points.
    fn settings(scan: usize) -> Settings {
        Settings {
            tolerance: 1,
            seed: 3,
            scan,
        }
    }

    /// A metric rising with the candidate: path `p` of candidate `x` is
    /// `x + noise_p` (the same noise for every candidate, as on common
    /// random numbers).
    fn rising(text: &str) -> Result<Vec<f64>, ()> {
        let x: f64 = text.parse().unwrap();
        Ok((0..50).map(|p| x + (p % 7) as f64 * 0.1).collect())
    }

    #[test]
    fn targets_parse_and_bad_ones_say_why() {
        let t = target(" bad_debt_var_99 <= 1e6");
        assert_eq!(
            (t.metric.name.as_str(), t.comparison, t.value),
            ("bad_debt_var_99", Comparison::Le, 1e6)
        );
        assert_eq!(target("bad_debt>2").comparison, Comparison::Gt);
        assert_eq!(target("bad_debt>=2").comparison, Comparison::Ge);
        assert_eq!(target("bad_debt<2").comparison, Comparison::Lt);
        for bad in ["bad_debt", "bad_debt<=x", "<=3", "bad_debt<=inf"] {
            assert!(Target::parse(bad)
                .unwrap_err()
                .starts_with("--target: expected"));
        }
        assert!(Target::parse("bad_debt_var99<=1")
            .unwrap_err()
            .contains("did you mean \"bad_debt_var_99\""));
        assert!(Target::parse("zzzzzz<=1")
            .unwrap_err()
            .contains("metrics: bad_debt_var_95, "));
    }

    #[test]
    fn grids_take_the_finest_precision_and_reject_bad_ranges() {
        let g = Grid::parse("1..50", &["20"]).unwrap();
        assert_eq!((g.lo, g.hi, g.decimals), (1, 50, 0));
        assert_eq!(g.tolerance(None).unwrap(), 1);
        let g = Grid::parse("0.001..0.05", &["0.005", "0.0001"]).unwrap();
        assert_eq!((g.lo, g.hi, g.decimals), (10, 500, 4));
        assert_eq!(g.text(25), "0.0025");
        assert_eq!(g.tolerance(Some("0.001")).unwrap(), 10);
        assert!(g.tolerance(Some("0.00001")).is_err());
        assert_eq!(Grid::parse("-1.5..2", &[]).unwrap().text(-15), "-1.5");
        for bad in ["5..5", "6..5", "1-5", "a..5", "1..1e3"] {
            assert!(Grid::parse(bad, &[]).unwrap_err().starts_with("--range: "));
        }
    }

    #[test]
    fn bisection_finds_the_last_value_whose_upper_bound_meets() {
        // Path values x + {0, .1, …, .6}: the upper end of the mean's interval
        // is a little above x + 0.3, so x <= 6.6 is met up to about 6.2.
        let r = search(
            Grid::parse("0..20", &[]).unwrap(),
            &target("bad_debt<=6.6"),
            settings(0),
            rising,
        )
        .unwrap();
        let Outcome::Recommended { safe, beyond } = r.outcome else {
            panic!("{:?}", r.outcome)
        };
        let (s, b) = (&r.evaluations[safe], &r.evaluations[beyond]);
        assert_eq!((s.units, b.units), (6, 7));
        assert!(s.ci[1] <= 6.6 && b.ci[1] > 6.6);
        assert!(r.evaluations.len() <= 2 + 5, "bisection, not a scan");
        // The direction is found: `>=` on the same metric picks the other side.
        let r = search(
            Grid::parse("0..20", &[]).unwrap(),
            &target("bad_debt>=6.6"),
            settings(0),
            rising,
        )
        .unwrap();
        let best = r.recommended().unwrap();
        assert_eq!(best.units, 7);
    }

    #[test]
    fn ends_that_both_or_neither_meet_are_said() {
        let g = Grid::parse("0..20", &[]).unwrap();
        let r = search(g, &target("bad_debt<=100"), settings(0), rising).unwrap();
        assert_eq!(r.outcome, Outcome::AllMeet);
        assert!(r
            .refusal("k")
            .unwrap()
            .starts_with("the whole range meets bad_debt<=100"));
        let r = search(g, &target("bad_debt<=-1"), settings(0), rising).unwrap();
        assert_eq!(r.outcome, Outcome::NoneMeet);
        assert!(r.json("k", 50, 3)["value"].is_null());
    }

    #[test]
    fn a_significant_reversal_refuses_and_noise_does_not() {
        // A tent: rising to 10 then falling, but the end at 20 (value 2) fails
        // `<= 1` and 0 meets it; the midpoint 10 is far above both.
        let tent = |text: &str| -> Result<Vec<f64>, ()> {
            let x: f64 = text.parse().unwrap();
            let y = if x <= 10.0 { x } else { 22.0 - x } * 0.1;
            Ok((0..50).map(|p| y + (p % 7) as f64 * 0.01).collect())
        };
        let g = Grid::parse("0..20", &[]).unwrap();
        let r = search(g, &target("bad_debt<=0.15"), settings(0), tent).unwrap();
        assert!(
            matches!(r.outcome, Outcome::NotMonotone { .. }),
            "{:?}",
            r.outcome
        );
        assert!(r.refusal("k").unwrap().contains("is not monotone in k"));
        // A plateau (equal on both sides, a zero-width difference) is no reversal.
        let step = |text: &str| -> Result<Vec<f64>, ()> {
            let x: f64 = text.parse().unwrap();
            let y = if x <= 13.0 { 0.0 } else { 1.0 };
            Ok((0..50).map(|p| y + (p % 7) as f64 * 0.01).collect())
        };
        let r = search(g, &target("bad_debt<=0.5"), settings(0), step).unwrap();
        assert_eq!(r.recommended().unwrap().units, 13);
        assert!(r.recommended().is_some(), "{:?}", r.outcome);
    }

    /// Teeth: the metric is 0 from 16 up and on `teeth`, 1 elsewhere
    /// (the same small noise on every candidate).
    fn sawtooth(teeth: &'static [i32]) -> impl Fn(&str) -> Result<Vec<f64>, ()> {
        move |text: &str| {
            let x: i32 = text.parse().unwrap();
            let y = if x >= 16 || teeth.contains(&x) {
                0.0
            } else {
                1.0
            };
            Ok((0..50).map(|p| y + (p % 7) as f64 * 0.01).collect())
        }
    }

    #[test]
    fn the_neighbour_past_a_lucky_point_refuses_it() {
        // Bisection 0..20 lands on 10, a one-step tooth, and narrows to it.
        let g = Grid::parse("0..20", &[]).unwrap();
        let r = search(g, &target("bad_debt<=0.5"), settings(0), sawtooth(&[10])).unwrap();
        let Outcome::NotMonotone { a, b, difference } = r.outcome else {
            panic!("{:?}", r.outcome)
        };
        assert_eq!((r.evaluations[a].units, r.evaluations[b].units), (11, 10));
        assert!(difference[1] < 0.0);
        let why = r.refusal("k").unwrap();
        assert!(
            why.contains("at k = 11") && why.contains("at k = 10"),
            "{why}"
        );
    }

    #[test]
    fn a_scan_sees_a_tooth_wider_than_one_step() {
        // The tooth 9..=11 hides from the neighbour check (9 and 10 agree)…
        let g = Grid::parse("0..20", &[]).unwrap();
        let teeth = || sawtooth(&[9, 10, 11]);
        let r = search(g, &target("bad_debt<=0.5"), settings(0), teeth()).unwrap();
        assert_eq!(r.recommended().map(|e| e.units), Some(9));
        // …but not from a scan of 5, 10 and 15: 15 is worse than 10.
        let r = search(g, &target("bad_debt<=0.5"), settings(3), teeth()).unwrap();
        let Outcome::NotMonotone { a, b, .. } = r.outcome else {
            panic!("{:?}", r.outcome)
        };
        assert_eq!((r.evaluations[a].units, r.evaluations[b].units), (15, 10));
        // A scan of a monotone metric brackets the bisection: same answer.
        let plain = search(g, &target("bad_debt<=0.5"), settings(0), sawtooth(&[])).unwrap();
        let scanned = search(g, &target("bad_debt<=0.5"), settings(3), sawtooth(&[])).unwrap();
        assert_eq!(plain.recommended().unwrap().units, 16);
        assert_eq!(scanned.recommended().unwrap().units, 16);
    }
}
