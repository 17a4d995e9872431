//! Pooled vs segmented backstops in the simulator (issue #13 §2): the
//! split of `[venue] insurance_fund` over markets, the seeding of the
//! venue, and the per-segment and contagion metrics (docs/scenarios.md,
//! "Backstop metrics").
//!
//! The split: `[venue] insurance_fund_by_market` when given (every name a
//! listed market), otherwise in proportion to each market's open interest
//! at the start (long notional at the start prices): market `m` gets
//! `⌊total × oi_m ÷ Σ oi⌋`, and the remainder of the floors goes to the
//! first market (lowest market id) with open interest. Under a pooled
//! backstop the split seeds nothing (the fund is one) but still weighs
//! each market's share of the capital for the contagion share.

use crate::scenario::Scenario;
use levamp_core::{mul_div, Base, Round};
use levamp_engine::venue::{AccountId, Backstop, Command, Event, Venue};
use levamp_engine::MarketId;
use levamp_io::json::InputError;
use std::collections::BTreeMap;

/// A segment: a perp market with open interest or its own fund at the start.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    pub market: MarketId,
    pub name: String,
    /// Its share of the total insurance capital (exact).
    pub fund: Base,
    /// `fund ÷ total` (f64, for the contagion weights; 1 with one segment).
    pub weight: f64,
}

/// Open long notional of every market at the current prices (quote, floor).
fn open_interest(venue: &Venue) -> Result<Vec<Base>, InputError> {
    let mut oi = vec![Base::ZERO; venue.markets().len()];
    for acc in venue.accounts().iter().skip(1) {
        for p in &acc.positions {
            if p.size.is_positive() {
                let price = venue.prices()[venue.markets()[p.market as usize].price as usize];
                let v = p.size.value_at(price, Round::Floor).map_err(math)?;
                let slot = &mut oi[p.market as usize];
                *slot = slot.checked_add(Base::from_raw(v.raw())).map_err(math)?;
            }
        }
    }
    Ok(oi)
}

fn math(e: levamp_core::MathError) -> InputError {
    InputError {
        at: "venue.insurance_fund".into(),
        message: e.to_string(),
    }
}

/// The segments of the venue and their share of `s.insurance_fund` (see
/// the module docs). Errors name `venue.insurance_fund_by_market.NAME` for
/// a market the venue does not list.
pub fn split(venue: &Venue, s: &Scenario) -> Result<Vec<Segment>, InputError> {
    let total = s.insurance_fund;
    let oi = open_interest(venue)?;
    let mut shares: BTreeMap<MarketId, Base> = BTreeMap::new();
    if s.insurance_fund_by_market.is_empty() {
        let sum = oi
            .iter()
            .try_fold(Base::ZERO, |a, x| a.checked_add(*x))
            .map_err(math)?;
        let mut given = Base::ZERO;
        for (m, x) in oi.iter().enumerate() {
            if x.is_positive() {
                let share = Base::from_raw(
                    mul_div(total.raw(), x.raw(), sum.raw(), Round::Floor).map_err(math)?,
                );
                given = given.checked_add(share).map_err(math)?;
                shares.insert(m as MarketId, share);
            }
        }
        let left = total.checked_sub(given).map_err(math)?;
        match shares.values_mut().next() {
            Some(first) => *first = first.checked_add(left).map_err(math)?,
            // No open interest: the first listed market holds it all.
            None if !venue.markets().is_empty() => {
                shares.insert(0, total);
            }
            None => {}
        }
    } else {
        for (name, amount) in &s.insurance_fund_by_market {
            let Some(m) = venue.market_id(name) else {
                let hint = levamp_io::did_you_mean(name, venue.market_names())
                    .map(|n| format!("; did you mean {}?", levamp_io::json::quote(n)))
                    .unwrap_or_default();
                return Err(InputError {
                    at: format!("venue.insurance_fund_by_market.{name}"),
                    message: format!("unknown market {}{hint}", levamp_io::json::quote(name)),
                });
            };
            shares.insert(m, *amount);
        }
        for (m, x) in oi.iter().enumerate() {
            if x.is_positive() {
                shares.entry(m as MarketId).or_insert(Base::ZERO);
            }
        }
    }
    let t = total.to_f64_lossy();
    Ok(shares
        .into_iter()
        .map(|(market, fund)| Segment {
            market,
            name: venue.markets()[market as usize].name.clone(),
            fund,
            weight: match t > 0.0 {
                true => fund.to_f64_lossy() / t,
                false => 0.0,
            },
        })
        .collect())
}

/// The commands that seed the venue's insurance: one pooled seed, or one
/// per segment with a positive share under a segmented backstop.
pub fn seeds(venue: &Venue, s: &Scenario, segments: &[Segment]) -> Vec<Command> {
    if s.insurance_fund.is_zero() {
        return Vec::new();
    }
    match venue.rules().backstop {
        Backstop::Pooled => vec![Command::SeedInsurance {
            amount: s.insurance_fund,
        }],
        Backstop::Segmented => segments
            .iter()
            .filter(|g| g.fund.is_positive())
            .map(|g| Command::SeedMarketInsurance {
                market: g.market,
                amount: g.fund,
            })
            .collect(),
    }
}

/// One segment's results on a path (quote, f64: metrics, not accounting).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SegmentStats {
    /// The market's name.
    pub market: String,
    pub liquidated_notional: f64,
    /// Bad debt written off for liquidations in this market.
    pub bad_debt: f64,
    /// The fund that backs the market (its own, or the pooled one).
    pub fund_start: f64,
    pub fund_end: f64,
    pub fund_lowest: f64,
    /// The fund could not cover a deficit in this market (ADL, socialised
    /// loss or bad debt followed a liquidation here).
    pub fund_exhausted: bool,
    /// `fund_end` exact: the step's conversion is made only when it moved.
    fund_end_raw: Base,
}

/// A path's backstop metrics.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BackstopStats {
    /// By segment, in market-id order.
    pub segments: Vec<SegmentStats>,
    /// Σ losses: fund draws + ADL haircuts + socialised charges + bad debt.
    pub losses: f64,
    /// The part of `losses` borne by other markets' participants or funds.
    pub contagion: f64,
}

/// The market of each liquidated account's last liquidation on a path
/// (where its deficit arose): a slot per account, reset through the list
/// of those set, so a worker reuses it from path to path without
/// allocating per liquidation.
#[derive(Clone, Debug, Default)]
pub struct LastMarket {
    market: Vec<Option<MarketId>>,
    touched: Vec<AccountId>,
}

impl LastMarket {
    /// Notes that `account` was just liquidated in `market`.
    pub fn set(&mut self, account: AccountId, market: MarketId) {
        let i = account as usize;
        if i >= self.market.len() {
            self.market.resize(i + 1, None);
        }
        if self.market[i].is_none() {
            self.touched.push(account);
        }
        self.market[i] = Some(market);
    }

    /// The market of `account`'s last liquidation on the path.
    pub fn get(&self, account: AccountId) -> Option<MarketId> {
        self.market.get(account as usize).copied().flatten()
    }

    /// Forgets every account set since the last reset (a path's start).
    pub fn reset(&mut self) {
        for a in self.touched.drain(..) {
            self.market[a as usize] = None;
        }
    }
}

impl BackstopStats {
    /// The stats at a path's start.
    pub fn start(venue: &Venue, segments: &[Segment]) -> BackstopStats {
        let segments = segments
            .iter()
            .map(|g| {
                let raw = fund(venue, g.market);
                let f = raw.to_f64_lossy();
                SegmentStats {
                    market: g.name.clone(),
                    fund_start: f,
                    fund_end: f,
                    fund_lowest: f,
                    fund_end_raw: raw,
                    ..Default::default()
                }
            })
            .collect();
        BackstopStats {
            segments,
            ..Default::default()
        }
    }

    /// `losses ÷ contagion` share (0 when nothing was lost).
    pub fn contagion_share(&self) -> f64 {
        match self.losses > 0.0 {
            true => self.contagion / self.losses,
            false => 0.0,
        }
    }

    /// Tallies a cascade round's events (see docs/scenarios.md for each
    /// loss's attribution); `last_market` follows where each liquidated
    /// account's deficit arose over the path.
    pub fn tally(
        &mut self,
        events: &[Event],
        venue: &Venue,
        segments: &[Segment],
        last_market: &mut LastMarket,
    ) {
        let at = |m: MarketId| segments.iter().position(|g| g.market == m);
        let pooled = venue.rules().backstop == Backstop::Pooled;
        // A fund that could not cover a deficit arising in `m`: the pooled
        // one backs every segment.
        let exhaust = |stats: &mut Vec<SegmentStats>, m: Option<MarketId>| {
            for (i, s) in stats.iter_mut().enumerate() {
                if pooled || Some(segments[i].market) == m {
                    s.fund_exhausted = true;
                }
            }
        };
        let weight = |m: Option<MarketId>| m.and_then(&at).map_or(0.0, |i| segments[i].weight);
        for e in events {
            match e {
                Event::TradeFilled {
                    market,
                    value,
                    liquidation: true,
                    ..
                } => {
                    if let Some(i) = at(*market) {
                        self.segments[i].liquidated_notional += value.to_f64_lossy();
                    }
                }
                Event::Liquidated {
                    account, market, ..
                } => {
                    last_market.set(*account, *market);
                }
                Event::InsuranceFundChanged {
                    account,
                    amount,
                    fund,
                    fund_after,
                    asset,
                    ..
                } if *asset == venue.quote() => {
                    let arose = last_market.get(*account);
                    let a = amount.to_f64_lossy();
                    self.losses += a;
                    // The pooled fund is every market's capital: the other
                    // markets' share of it paid.
                    if fund.is_none() {
                        self.contagion += (1.0 - weight(arose)) * a;
                    }
                    let backed = |i: usize| fund.is_none() || *fund == Some(segments[i].market);
                    let after = fund_after.to_f64_lossy();
                    for i in 0..segments.len() {
                        if backed(i) {
                            let s = &mut self.segments[i];
                            s.fund_lowest = s.fund_lowest.min(after);
                            s.fund_exhausted |= after <= 0.0;
                        }
                    }
                }
                Event::BadDebt {
                    account,
                    amount,
                    asset,
                    ..
                } if *asset == venue.quote() => {
                    let arose = last_market.get(*account);
                    let a = amount.to_f64_lossy();
                    self.losses += a;
                    self.contagion += (1.0 - weight(arose)) * a;
                    if let Some(i) = arose.and_then(at) {
                        self.segments[i].bad_debt += a;
                    }
                    exhaust(&mut self.segments, arose);
                }
                Event::SocializedLoss {
                    account, charges, ..
                } => {
                    let arose = last_market.get(*account);
                    for (who, c) in charges {
                        let c = c.to_f64_lossy();
                        self.losses += c;
                        let inside = arose.is_some_and(|m| venue.position(*who, m).is_some());
                        if !inside {
                            self.contagion += c;
                        }
                    }
                    exhaust(&mut self.segments, arose);
                }
                Event::Deleveraged {
                    market,
                    size,
                    price,
                    ..
                } => {
                    let mark = venue.prices()[venue.markets()[*market as usize].price as usize];
                    self.losses +=
                        size.to_f64_lossy() * (mark.to_f64_lossy() - price.to_f64_lossy()).abs();
                    exhaust(&mut self.segments, Some(*market));
                }
                _ => {}
            }
        }
    }

    /// What [`BackstopStats::tally`] does for a pooled fund's draw of `a`
    /// leaving `after` (`outside`: the share of the capital other markets
    /// hold).
    pub(crate) fn fund_draw(&mut self, outside: f64, a: f64, after: f64) {
        self.losses += a;
        self.contagion += outside * a;
        for s in self.segments.iter_mut() {
            s.fund_lowest = s.fund_lowest.min(after);
            s.fund_exhausted |= after <= 0.0;
        }
    }

    /// What [`BackstopStats::tally`] does for bad debt `a` arising in
    /// `segment` under a pooled fund.
    pub(crate) fn bad_debt(&mut self, segment: Option<usize>, outside: f64, a: f64) {
        self.losses += a;
        self.contagion += outside * a;
        if let Some(i) = segment {
            self.segments[i].bad_debt += a;
        }
        for s in self.segments.iter_mut() {
            s.fund_exhausted = true;
        }
    }

    /// Notes every segment's fund after a step (its lowest point and end).
    pub fn step(&mut self, venue: &Venue, segments: &[Segment]) {
        for (s, g) in self.segments.iter_mut().zip(segments) {
            s.note_fund(fund(venue, g.market));
        }
    }

    /// [`BackstopStats::step`] when one pooled fund, `raw` now, backs every segment.
    pub(crate) fn step_pooled(&mut self, raw: Base) {
        for s in self.segments.iter_mut() {
            s.note_fund(raw);
        }
    }
}

impl SegmentStats {
    /// The segment's fund after a step, `raw`: its lowest point and end.
    fn note_fund(&mut self, raw: Base) {
        // A calm step moves no fund: nothing to convert or compare.
        if raw != self.fund_end_raw {
            self.fund_end_raw = raw;
            self.fund_end = raw.to_f64_lossy();
            self.fund_lowest = self.fund_lowest.min(self.fund_end);
        }
    }
}

/// The fund backing `market` now.
fn fund(venue: &Venue, market: MarketId) -> Base {
    let funds = &venue.funds()[venue.quote() as usize];
    match venue.rules().backstop {
        Backstop::Pooled => funds.insurance_fund,
        Backstop::Segmented => funds
            .insurance_fund_by_market
            .get(&market)
            .copied()
            .unwrap_or(Base::ZERO),
    }
}

/// A path's backstop metrics as JSON (metrics.json `paths[i].backstop`).
pub fn path_json(b: &BackstopStats) -> serde_json::Value {
    let segments: serde_json::Map<String, serde_json::Value> = b
        .segments
        .iter()
        .map(|s| {
            (
                s.market.clone(),
                serde_json::json!({
                    "liquidated_notional": s.liquidated_notional,
                    "bad_debt": s.bad_debt,
                    "insurance_fund_start": s.fund_start,
                    "insurance_fund_end": s.fund_end,
                    "insurance_fund_lowest": s.fund_lowest,
                    "fund_exhausted": s.fund_exhausted,
                }),
            )
        })
        .collect();
    serde_json::json!({
        "segments": segments,
        "losses": b.losses,
        "contagion_losses": b.contagion,
        "contagion_share": b.contagion_share(),
    })
}

/// The backstop summary over paths (metrics.json `summary.backstop`):
/// per segment, statistics of each metric and the probability its fund
/// was exhausted; the contagion share's distribution over paths, and
/// `contagion_share_overall = Σ contagion ÷ Σ losses` over all paths.
pub fn summary_json(paths: &[&BackstopStats]) -> serde_json::Value {
    use crate::summary::Stat;
    let n = paths.len().max(1) as f64;
    let mut segments = serde_json::Map::new();
    if let Some(first) = paths.first() {
        for (i, s) in first.segments.iter().enumerate() {
            let of = |f: &dyn Fn(&SegmentStats) -> f64| {
                Stat::of(paths.iter().map(|p| f(&p.segments[i]))).json()
            };
            segments.insert(
                s.market.clone(),
                serde_json::json!({
                    "liquidated_notional": of(&|s| s.liquidated_notional),
                    "bad_debt": of(&|s| s.bad_debt),
                    "insurance_fund_start": s.fund_start,
                    "insurance_fund_end": of(&|s| s.fund_end),
                    "insurance_fund_lowest": of(&|s| s.fund_lowest),
                    "fund_exhaustion_probability":
                        paths.iter().filter(|p| p.segments[i].fund_exhausted).count() as f64 / n,
                }),
            );
        }
    }
    let losses: f64 = paths.iter().map(|p| p.losses).sum();
    let contagion: f64 = paths.iter().map(|p| p.contagion).sum();
    serde_json::json!({
        "segments": segments,
        "contagion_share": Stat::of(paths.iter().map(|p| p.contagion_share())).json(),
        "contagion_share_overall": if losses > 0.0 { contagion / losses } else { 0.0 },
        "losses": Stat::of(paths.iter().map(|p| p.losses)).json(),
    })
}
