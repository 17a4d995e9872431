//! Who was liquidated on a path (report and metrics.json, key
//! `liquidations`): one record per liquidation, read from the engine's
//! events, on the paths that keep a series (`run.series_paths`) only — the
//! other paths pay one `Option` check per round.
//!
//! A perp liquidation is the `TradeFilled { liquidation: true }` fills that
//! close the scope followed by its `Liquidated` event; a lending one is a
//! `LendingLiquidated` event. An account's liquidations on a path (partial
//! liquidations) merge into one record per venue family; each path keeps
//! the [`MAX_RECORDS`] largest by notional and a [`Breakdown`] of all
//! (counting accounts).
//!
//! Definitions (report statistics, f64; money stays exact in the engine):
//! - *leverage*: the position's chosen leverage (the `leverage` its fills
//!   carry, as the trader set it), not notional ÷ equity, which tends to
//!   infinity at the liquidation point; unknown for lending positions and
//!   for positions imported without one;
//! - *notional*: the value of the closing fills (quote); for lending, the
//!   value of the collateral seized;
//! - *loss*: the realised loss of the closed part against its entry, plus
//!   fees and the liquidation penalty (quote; a bankrupt position's loss
//!   beyond its margin was borne by the insurance fund, ADL or bad debt);
//!   for lending, the seized collateral's value less the debt repaid (the
//!   liquidation bonus the borrower paid).

use levamp_engine::venue::{AccountId, Event, Venue, MARKET_ACCOUNT};
use levamp_engine::MarginMode;
use serde_json::{json, Value};

/// Most records a path keeps (the largest by notional).
pub const MAX_RECORDS: usize = 1_000;

/// The venue family a liquidation happened in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Perp,
    Lending,
}

impl Family {
    /// `"perp"` or `"lending"`.
    pub fn name(self) -> &'static str {
        match self {
            Family::Perp => "perp",
            Family::Lending => "lending",
        }
    }
}

/// One liquidated account (per venue family): its liquidations on the
/// path merged — notional and loss summed, the rest from the first.
#[derive(Clone, Debug, PartialEq)]
pub struct Liquidation {
    /// The account's name (resolved at the path's end).
    pub account: String,
    pub id: AccountId,
    pub family: Family,
    /// The liquidated position was long (lending: always, the collateral).
    pub long: bool,
    /// Cross or isolated (`None`: a lending position).
    pub mode: Option<MarginMode>,
    /// The position's chosen leverage (× ; `None`: unknown).
    pub leverage: Option<f64>,
    /// Notional closed (quote).
    pub notional: f64,
    /// Price of the first closing fill (lending: the collateral's price).
    pub price: f64,
    pub step: usize,
    /// Cascade round within the step (1 = the round of the exogenous move).
    pub round: usize,
    /// Equity lost, incl. fees and penalty (quote).
    pub loss: f64,
    /// Liquidations merged (partial liquidations of one account).
    pub events: u32,
}

impl Liquidation {
    /// Adds a later liquidation of the same account.
    fn merge(&mut self, later: &Liquidation) {
        self.notional += later.notional;
        self.loss += later.loss;
        self.events += later.events;
    }
}

/// Count (of liquidated accounts) and notional in one band.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Bucket {
    pub count: u64,
    pub notional: f64,
}

impl Bucket {
    fn add(&mut self, notional: f64) {
        self.count += 1;
        self.notional += notional;
    }
    fn merge(&mut self, o: &Bucket) {
        self.count += o.count;
        self.notional += o.notional;
    }
}

/// Leverage bands: upper bounds (×, inclusive) and labels; a last band
/// holds the unknown.
pub const LEVERAGE_BANDS: &[(f64, &str)] = &[
    (5.0, "≤ 5×"),
    (10.0, "5–10×"),
    (25.0, "10–25×"),
    (50.0, "25–50×"),
    (100.0, "50–100×"),
    (f64::INFINITY, "> 100×"),
];
/// The label of the unknown-leverage band.
pub const UNKNOWN_LEVERAGE: &str = "unknown";

/// Position-size bands by notional closed: upper bounds (quote, exclusive) and labels.
pub const SIZE_BANDS: &[(f64, &str)] = &[
    (1e4, "< 10k"),
    (1e5, "10k–100k"),
    (1e6, "100k–1M"),
    (1e7, "1M–10M"),
    (f64::INFINITY, "≥ 10M"),
];

/// The index of `leverage`'s band in [`LEVERAGE_BANDS`]
/// (`LEVERAGE_BANDS.len()`: unknown).
pub fn leverage_band(leverage: Option<f64>) -> usize {
    match leverage {
        Some(l) if l.is_finite() => LEVERAGE_BANDS
            .iter()
            .position(|(hi, _)| l <= *hi)
            .unwrap_or(LEVERAGE_BANDS.len() - 1),
        _ => LEVERAGE_BANDS.len(),
    }
}

/// The index of `notional`'s band in [`SIZE_BANDS`].
pub fn size_band(notional: f64) -> usize {
    SIZE_BANDS
        .iter()
        .position(|(hi, _)| notional < *hi)
        .unwrap_or(SIZE_BANDS.len() - 1)
}

/// Counts (of liquidated accounts) and notional of liquidations by
/// leverage band, side, margin mode, position-size band and venue family.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Breakdown {
    /// [`LEVERAGE_BANDS`], then unknown.
    pub leverage: [Bucket; 7],
    /// Long, short.
    pub side: [Bucket; 2],
    /// Cross, isolated, none (lending).
    pub mode: [Bucket; 3],
    /// [`SIZE_BANDS`].
    pub size: [Bucket; 5],
    /// Perp, lending.
    pub family: [Bucket; 2],
}

impl Breakdown {
    /// Counts one liquidation.
    pub fn add(&mut self, l: &Liquidation) {
        let n = l.notional;
        self.leverage[leverage_band(l.leverage)].add(n);
        self.side[usize::from(!l.long)].add(n);
        let mode = match l.mode {
            Some(MarginMode::Cross) => 0,
            Some(MarginMode::Isolated) => 1,
            None => 2,
        };
        self.mode[mode].add(n);
        self.size[size_band(n)].add(n);
        self.family[usize::from(l.family == Family::Lending)].add(n);
    }

    /// Adds another breakdown's counts.
    pub fn merge(&mut self, o: &Breakdown) {
        let pairs = self
            .leverage
            .iter_mut()
            .zip(&o.leverage)
            .chain(self.side.iter_mut().zip(&o.side))
            .chain(self.mode.iter_mut().zip(&o.mode))
            .chain(self.size.iter_mut().zip(&o.size))
            .chain(self.family.iter_mut().zip(&o.family));
        for (a, b) in pairs {
            a.merge(b);
        }
    }

    /// Records counted (liquidated accounts, per family).
    pub fn count(&self) -> u64 {
        self.side.iter().map(|b| b.count).sum()
    }

    /// The breakdowns as labelled tables: (dimension, [(band, bucket)]).
    pub fn tables(&self) -> Vec<(&'static str, Vec<(&'static str, Bucket)>)> {
        let lev = LEVERAGE_BANDS
            .iter()
            .map(|b| b.1)
            .chain([UNKNOWN_LEVERAGE])
            .zip(self.leverage)
            .collect();
        let size = SIZE_BANDS.iter().map(|b| b.1).zip(self.size).collect();
        vec![
            ("leverage", lev),
            (
                "side",
                ["long", "short"].into_iter().zip(self.side).collect(),
            ),
            (
                "margin_mode",
                ["cross", "isolated", "none (lending)"]
                    .into_iter()
                    .zip(self.mode)
                    .collect(),
            ),
            ("position_size", size),
            (
                "family",
                ["perp", "lending"].into_iter().zip(self.family).collect(),
            ),
        ]
    }

    /// `{dimension: [{band, count, notional}]}` for metrics.json.
    pub fn json(&self) -> Value {
        let mut o = serde_json::Map::new();
        for (dim, rows) in self.tables() {
            let rows: Vec<Value> = rows
                .iter()
                .map(|(band, b)| json!({"band": band, "count": b.count, "notional": b.notional}))
                .collect();
            o.insert(dim.into(), Value::Array(rows));
        }
        Value::Object(o)
    }
}

/// A path's liquidated accounts: the largest records and the breakdown of all.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Liquidations {
    /// At most [`MAX_RECORDS`], largest notional first.
    pub records: Vec<Liquidation>,
    pub breakdown: Breakdown,
}

/// Largest notional first; ties by step, round, account (deterministic).
fn by_size(a: &Liquidation, b: &Liquidation) -> std::cmp::Ordering {
    b.notional
        .total_cmp(&a.notional)
        .then(a.step.cmp(&b.step))
        .then(a.round.cmp(&b.round))
        .then(a.id.cmp(&b.id))
}

/// One closing fill waiting for its `Liquidated` event.
#[derive(Clone, Copy, Debug)]
struct Pending {
    id: AccountId,
    long: bool,
    mode: MarginMode,
    leverage: Option<f64>,
    notional: f64,
    price: f64,
    loss: f64,
}

/// Collects a path's liquidations from its events: one record per
/// liquidated account and family (at most one per account of the world).
#[derive(Clone, Debug, Default)]
pub struct Log {
    pending: Vec<Pending>,
    records: Vec<Liquidation>,
    /// Where each account's record is, by family (perp, lending);
    /// [`NO_RECORD`] for none yet. A slot per account up to the highest
    /// liquidated: no hashing per liquidation.
    index: Vec<[usize; 2]>,
}

/// An account without a record (yet) in a family.
const NO_RECORD: usize = usize::MAX;

impl Log {
    /// Reads one event of step `step`, cascade round `round`.
    pub fn event(&mut self, e: &Event, venue: &Venue, step: usize, round: usize) {
        match e {
            Event::TradeFilled {
                price,
                value,
                buyer,
                seller,
                liquidation: true,
                ..
            } => {
                for side in [buyer, seller] {
                    if side.account != MARKET_ACCOUNT {
                        self.pending.push(Pending {
                            id: side.account,
                            // A liquidated long sells.
                            long: side.size.is_negative(),
                            mode: side.mode,
                            leverage: side.leverage.map(|l| l.to_f64_lossy()),
                            notional: value.to_f64_lossy(),
                            price: price.to_f64_lossy(),
                            loss: side.fee.to_f64_lossy() - side.realized_pnl.to_f64_lossy(),
                        });
                    }
                }
            }
            Event::Liquidated {
                account,
                size,
                price,
                penalty,
                ..
            } => {
                let mut fills = self.pending.iter().filter(|p| p.id == *account);
                let first = fills.next().copied();
                let (notional, loss) = first
                    .iter()
                    .chain(fills)
                    .fold((0.0, 0.0), |(n, l), p| (n + p.notional, l + p.loss));
                let record = Liquidation {
                    account: String::new(),
                    id: *account,
                    family: Family::Perp,
                    long: first.is_none_or(|f| f.long),
                    mode: Some(first.map_or(MarginMode::Cross, |f| f.mode)),
                    leverage: first.and_then(|f| f.leverage),
                    // Closed by auto-deleveraging only: the event's size at its price.
                    notional: match first {
                        Some(_) => notional,
                        None => size.to_f64_lossy().abs() * price.to_f64_lossy(),
                    },
                    price: first.map_or(price.to_f64_lossy(), |f| f.price),
                    step,
                    round,
                    loss: loss + penalty.to_f64_lossy(),
                    events: 1,
                };
                self.pending.clear();
                self.push(record);
            }
            Event::LendingLiquidated {
                account,
                debt_asset,
                debt_repaid,
                collateral_asset,
                collateral_seized,
                ..
            } => {
                let price_of = |asset: levamp_engine::AssetId| {
                    venue.prices()[venue.assets()[asset as usize].price as usize].to_f64_lossy()
                };
                let seized = collateral_seized.to_f64_lossy() * price_of(*collateral_asset);
                let repaid = debt_repaid.to_f64_lossy() * price_of(*debt_asset);
                self.push(Liquidation {
                    account: String::new(),
                    id: *account,
                    family: Family::Lending,
                    long: true,
                    mode: None,
                    leverage: None,
                    notional: seized,
                    price: price_of(*collateral_asset),
                    step,
                    round,
                    loss: seized - repaid,
                    events: 1,
                });
            }
            _ => {}
        }
    }

    fn push(&mut self, l: Liquidation) {
        let (a, family) = (l.id as usize, usize::from(l.family == Family::Lending));
        if a >= self.index.len() {
            self.index.resize(a + 1, [NO_RECORD; 2]);
        }
        match self.index[a][family] {
            NO_RECORD => {
                self.index[a][family] = self.records.len();
                self.records.push(l);
            }
            i => self.records[i].merge(&l),
        }
    }

    /// The path's liquidated accounts: the breakdown of all, the
    /// [`MAX_RECORDS`] largest with their names resolved on `venue`.
    pub fn finish(mut self, venue: &Venue) -> Liquidations {
        let mut breakdown = Breakdown::default();
        for r in &self.records {
            breakdown.add(r);
        }
        self.records.sort_by(by_size);
        self.records.truncate(MAX_RECORDS);
        for r in &mut self.records {
            r.account = venue.account_name(r.id);
        }
        Liquidations {
            records: self.records,
            breakdown,
        }
    }
}

/// The `liquidations` object of metrics.json: the breakdowns summed over
/// the paths that keep a series, and their `largest` records (at most
/// `largest`, with the path).
pub fn liquidations_json(paths: &[crate::run::PathMetrics], largest: usize) -> Value {
    let kept: Vec<_> = paths
        .iter()
        .filter_map(|p| p.liquidations.as_ref().map(|l| (p.path, l)))
        .collect();
    let mut total = Breakdown::default();
    for (_, l) in &kept {
        total.merge(&l.breakdown);
    }
    let mut all: Vec<(usize, &Liquidation)> = kept
        .iter()
        .flat_map(|(p, l)| l.records.iter().map(move |r| (*p, r)))
        .collect();
    all.sort_by(|a, b| by_size(a.1, b.1).then(a.0.cmp(&b.0)));
    let rows: Vec<Value> = all
        .iter()
        .take(largest)
        .map(|(p, r)| {
            json!({
                "path": p,
                "account": r.account,
                "family": r.family.name(),
                "side": if r.long { "long" } else { "short" },
                "margin_mode": r.mode.map(|m| format!("{m:?}").to_lowercase()),
                "leverage": r.leverage,
                "notional": r.notional,
                "price": r.price,
                "step": r.step,
                "round": r.round,
                "loss": r.loss,
                "liquidations": r.events,
            })
        })
        .collect();
    json!({
        "paths": kept.len(),
        "count": total.count(),
        "leverage_is": "the position's chosen leverage",
        "breakdown": total.json(),
        "largest": rows,
    })
}

#[cfg(test)]
mod tests;
