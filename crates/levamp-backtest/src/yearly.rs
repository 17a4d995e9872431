//! Funding carry per calendar year (issue #12, "checks against the real
//! world"): the funding statistics of each year of a market's funding
//! series and the realised return of a 1× carry over the same year, run
//! through the exact venue like `levamp backtest`.
//!
//! * Funding statistics use every settlement of the year in the funding
//!   series: Σ rate (exact), mean rate = Σ ÷ n, **annualised funding =
//!   mean rate × 3 × 365** (three 8-hour settlements a day, as the issue
//!   defines it), share of settlements with rate < 0.
//! * The carry is a fixed long spot + short perp of equal size, opened at the
//!   first hour of the year that every hourly series covers (2019: the mark
//!   series starts 2019-12-23T11:00Z) and valued at the year's last hour
//!   (no closing fees, nothing rebalanced — the run's model). Its size is
//!   half of [`CAPITAL`] at the spot open, rounded down to 0.001 base: the
//!   other half is the isolated perp margin, so the perp leg is at 1×
//!   leverage (a little over, after fees). A short held at 1× is liquidated
//!   when the price about doubles, so the table also runs the carry
//!   **rolled monthly** ([`rolled`]): closed at each month's end and
//!   reopened at 1× with the equity left, closing fees charged.

use crate::crashes::History;
use crate::metrics;
use crate::run::{self, Outcome};
use crate::strategy::Kind;
use crate::time;
use levamp_core::{Base, MathError, Price, Quote, Ratio, Round, SCALE};
use levamp_engine::MarginMode;
use levamp_io::json::InputError;
use std::fmt::Write as _;

/// Quote deposited by each yearly carry.
pub const CAPITAL: i64 = 100_000;

/// The fee rates the table runs: Binance USDⓈ-M's base taker rate, and none.
pub const FEE_RATES: [&str; 2] = ["0.0004", "0"];

/// Settlements per year at Binance's 8-hour interval: 3 a day × 365 days.
pub const SETTLEMENTS_PER_YEAR: f64 = 3.0 * 365.0;

/// Carry sizes are rounded down to this many base units (0.001).
const LOT: i128 = SCALE / 1_000;

/// One calendar year of a funding series.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FundingYear {
    pub year: i64,
    /// First and last settlement of the year in the data.
    pub first: i64,
    pub last: i64,
    pub settlements: usize,
    /// Σ rate over the year's settlements (exact).
    pub sum_rate: Ratio,
    /// Settlements with a rate < 0.
    pub negative: usize,
}

impl FundingYear {
    /// Mean rate per settlement (Σ ÷ n; a statistic, as a float).
    pub fn mean_rate(&self) -> f64 {
        self.sum_rate.to_f64_lossy() / self.settlements as f64
    }

    /// Annualised funding = mean rate × 3 × 365.
    pub fn annualized(&self) -> f64 {
        self.mean_rate() * SETTLEMENTS_PER_YEAR
    }

    /// Share of the year's settlements with a negative rate.
    pub fn negative_share(&self) -> f64 {
        self.negative as f64 / self.settlements as f64
    }
}

/// Groups `rows` (sorted settlements: time, rate) by calendar year (UTC).
pub fn funding_years(rows: &[(i64, Ratio)]) -> Result<Vec<FundingYear>, MathError> {
    let mut years: Vec<FundingYear> = Vec::new();
    for &(t, rate) in rows {
        let year = time::year_of(t);
        match years.last_mut() {
            Some(y) if y.year == year => {
                y.last = t;
                y.settlements += 1;
                y.sum_rate = y.sum_rate.checked_add(rate)?;
                y.negative += usize::from(rate.is_negative());
            }
            _ => years.push(FundingYear {
                year,
                first: t,
                last: t,
                settlements: 1,
                sum_rate: rate,
                negative: usize::from(rate.is_negative()),
            }),
        }
    }
    Ok(years)
}

/// What one 1× carry made over one year at one fee rate.
#[derive(Clone, Debug)]
pub struct CarryRun {
    pub fee_rate: Ratio,
    /// Final equity ÷ starting capital − 1 over the window (not annualised).
    pub total_return: f64,
    /// Σ funding ÷ capital of each leg of the run (monthly for a rolled carry).
    pub funding_yield: f64,
    pub funding_pnl: Quote,
    pub basis_pnl: Quote,
    /// Trading fees, both legs (a rolled carry's closing fills included).
    pub fees: Quote,
    /// Time of the first liquidation of the perp leg, if any.
    pub liquidated: Option<i64>,
}

/// One calendar year of a market: funding statistics and the carries.
#[derive(Clone, Debug)]
pub struct Year {
    pub market: String,
    pub funding: FundingYear,
    /// The carry's window `[start, end)`, `None` when no hour of the year
    /// is covered by every hourly series.
    pub window: Option<(i64, i64)>,
    /// The static carry opened at the window's start and held to its end,
    /// at the first of [`FEE_RATES`].
    pub held: Option<CarryRun>,
    /// The monthly-rolled carry ([`rolled`]), one per [`FEE_RATES`] entry.
    pub rolled: Vec<CarryRun>,
}

fn math(e: MathError) -> InputError {
    InputError {
        at: "yearly".into(),
        message: e.to_string(),
    }
}

/// One 1× carry run: the spot size and the venue's outcome.
pub struct Leg {
    pub size: Base,
    pub outcome: Outcome,
    /// The perp close of the last hour.
    pub last_perp: Price,
}

/// The 1× carry of `capital` over `[start, end)` at `fee_rate`: spot size
/// `floor(capital ÷ 2 ÷ spot open)` to 0.001 (sizing, not accounting), the
/// rest of `capital` the isolated perp margin.
pub fn carry(
    h: &History,
    start: i64,
    end: i64,
    fee_rate: Ratio,
    capital: Quote,
) -> Result<Leg, InputError> {
    let w = h.window(start, end)?;
    let mut s = h.strategy().clone();
    s.start = start;
    s.end = end;
    s.kind = Kind::Carry;
    s.capital = capital;
    s.margin_mode = MarginMode::Isolated;
    s.fee_rate = fee_rate;
    let raw = capital.raw() * SCALE / 2 / w.spot[0].open.raw();
    let size = Base::from_raw(raw - raw % LOT);
    s.perp_size = size.checked_neg().map_err(math)?;
    let outcome = run::run(&s, &w)?;
    Ok(Leg {
        size,
        outcome,
        last_perp: w.perp[w.perp.len() - 1].close,
    })
}

/// The static carry of [`CAPITAL`] held over `[start, end)`.
pub fn held(h: &History, start: i64, end: i64, fee_rate: Ratio) -> Result<CarryRun, InputError> {
    let leg = carry(h, start, end, fee_rate, Quote::from_int(CAPITAL))?;
    let m = metrics::summary(&leg.outcome).map_err(math)?;
    Ok(CarryRun {
        fee_rate,
        total_return: m.total_return,
        funding_yield: m.funding_pnl.to_f64_lossy() / CAPITAL as f64,
        funding_pnl: m.funding_pnl,
        basis_pnl: m.basis_pnl,
        fees: m.fees,
        liquidated: leg.outcome.liquidations.first().map(|l| l.time),
    })
}

/// The first hour of each calendar month in `[start, end)`, with `start`.
fn month_starts(start: i64, end: i64) -> Vec<i64> {
    let mut out = vec![start];
    let (y0, y1) = (time::year_of(start), time::year_of(end - 1));
    for y in y0..=y1 {
        for m in 1..=12 {
            let t = time::parse(&format!("{y:04}-{m:02}-01T00:00:00Z")).expect("a valid date");
            if t > start && t < end {
                out.push(t);
            }
        }
    }
    out
}

/// A 1× carry rolled monthly: opened at `start` with [`CAPITAL`], closed at
/// the end of each calendar month (closing fills at the last hour's perp and
/// spot close, taker `fee_rate`, rounded up) and reopened at 1× with the
/// equity left — what keeping a carry at 1× costs, where the held carry's
/// short is liquidated once the price about doubles.
pub fn rolled(h: &History, start: i64, end: i64, fee_rate: Ratio) -> Result<CarryRun, InputError> {
    let mut capital = Quote::from_int(CAPITAL);
    let mut run = CarryRun {
        fee_rate,
        total_return: 0.0,
        funding_yield: 0.0,
        funding_pnl: Quote::ZERO,
        basis_pnl: Quote::ZERO,
        fees: Quote::ZERO,
        liquidated: None,
    };
    let starts = month_starts(start, end);
    for (i, &a) in starts.iter().enumerate() {
        let b = starts.get(i + 1).copied().unwrap_or(end);
        let leg = carry(h, a, b, fee_rate, capital)?;
        let o = &leg.outcome;
        let last = o.hours.last().ok_or_else(|| math(MathError::Overflow))?;
        // Closing fills: sell the spot leg, buy back the perp (what is left of it).
        let spot_fee = leg.size.value_at(last.spot, Round::Ceil).map_err(math)?;
        let perp_fee = last
            .position
            .checked_abs()
            .and_then(|p| p.value_at(leg.last_perp, Round::Ceil))
            .map_err(math)?;
        let closing = spot_fee
            .checked_add(perp_fee)
            .and_then(|n| n.mul_ratio(fee_rate, Round::Ceil))
            .map_err(math)?;
        let equity = last.equity.checked_sub(closing).map_err(math)?;
        let m = metrics::summary(o).map_err(math)?;
        run.funding_yield += o.funding_pnl.to_f64_lossy() / capital.to_f64_lossy();
        let add = |x: Quote, y: Quote| x.checked_add(y).map_err(math);
        run.funding_pnl = add(run.funding_pnl, o.funding_pnl)?;
        run.basis_pnl = add(run.basis_pnl, m.basis_pnl)?;
        run.fees = add(add(run.fees, o.fees)?, closing)?;
        run.liquidated = run.liquidated.or(o.liquidations.first().map(|l| l.time));
        capital = equity;
        if !capital.is_positive() {
            break;
        }
    }
    run.total_return = capital.to_f64_lossy() / CAPITAL as f64 - 1.0;
    Ok(run)
}

/// Every calendar year of `h`'s funding series, with the held carry and
/// the monthly-rolled carry over the part of the year all hourly series
/// cover.
pub fn years(h: &History) -> Result<Vec<Year>, InputError> {
    let (first, end) = h.span();
    let fee_rates = FEE_RATES
        .iter()
        .map(|r| {
            r.parse::<Ratio>().map_err(|e| InputError {
                at: "yearly".into(),
                message: format!("{e}"),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::new();
    for f in funding_years(&h.funding().rows).map_err(math)? {
        let start = time::year_start(f.year).max(first);
        let stop = time::year_start(f.year + 1).min(end);
        let mut year = Year {
            market: h.market().to_string(),
            funding: f,
            window: None,
            held: None,
            rolled: Vec::new(),
        };
        if start < stop {
            year.window = Some((start, stop));
            year.held = Some(held(h, start, stop, fee_rates[0])?);
            for &rate in &fee_rates {
                year.rolled.push(rolled(h, start, stop, rate)?);
            }
        }
        out.push(year);
    }
    Ok(out)
}

fn pct(x: f64) -> String {
    format!("{:.2}%", x * 100.0).replace('-', "−")
}

fn with_liquidation(r: &CarryRun) -> String {
    let liq = r
        .liquidated
        .map(|at| format!(" (**liq {}**)", &time::format(at)[5..10]))
        .unwrap_or_default();
    format!("{}{liq}", pct(r.total_return))
}

/// The table as markdown, one line per market and year.
pub fn markdown(years: &[Year]) -> String {
    let mut t = String::from(
        "| market | year | settlements | mean rate / 8 h | annualised funding | negative | carry window (UTC) | held 1× carry, fee 0.0004 | rolled 1× carry, fee 0.0004 | rolled, fee 0 | rolled: funding ÷ capital |\n\
         |---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for y in years {
        let f = &y.funding;
        let _ = write!(
            t,
            "| {} | {} | {} | {:.4}% | {} | {:.1}% |",
            y.market,
            f.year,
            f.settlements,
            f.mean_rate() * 100.0,
            pct(f.annualized()),
            f.negative_share() * 100.0
        );
        let (Some((start, end)), Some(held)) = (y.window, &y.held) else {
            t.push_str(" — | — | — | — | — |\n");
            continue;
        };
        let _ = write!(
            t,
            " {} → {} | {} |",
            &time::format(start)[5..13].replace('T', " "),
            &time::format(end)[5..13].replace('T', " "),
            with_liquidation(held)
        );
        for r in &y.rolled {
            let _ = write!(t, " {} |", with_liquidation(r));
        }
        if let Some(r) = y.rolled.first() {
            let _ = write!(t, " {} |", pct(r.funding_yield));
        }
        t.push('\n');
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Ratio {
        s.parse().unwrap()
    }

    #[test]
    fn funding_years_split_at_new_year_and_count_negatives() {
        let y20 = time::parse("2020-12-31T16:00:00Z").unwrap();
        let rows = [
            (y20 - 8 * time::HOUR, r("0.0001")),
            (y20, r("-0.0003")),
            (y20 + 8 * time::HOUR, r("0.0002")),
            (y20 + 16 * time::HOUR, r("-0.0001")),
        ];
        let ys = funding_years(&rows).unwrap();
        assert_eq!(ys.len(), 2);
        assert_eq!(
            (ys[0].year, ys[0].settlements, ys[0].negative),
            (2020, 2, 1)
        );
        assert_eq!(ys[0].sum_rate, r("-0.0002"));
        assert_eq!(
            (ys[1].year, ys[1].settlements, ys[1].negative),
            (2021, 2, 1)
        );
        assert_eq!(ys[1].first, y20 + 8 * time::HOUR);
        assert_eq!(ys[1].sum_rate, r("0.0001"));
        // 0.0001 ÷ 2 × 1095 = 0.05475
        assert!((ys[1].annualized() - 0.05475).abs() < 1e-12);
        assert!((ys[1].negative_share() - 0.5).abs() < 1e-12);
    }
}
