//! levamp-backtest: strategies on real market history through the exact
//! levamp venue.
//!
//! A strategy file ([`strategy`]) names a market, a window and a venue
//! preset; [`data`] loads the hourly perp, spot and mark candles and the
//! funding rates with checks (the Binance BTCUSDT and ETHUSDT history is
//! shipped); [`run`] drives the venue engine hour by hour — oracle updates,
//! funding settlements at the historical rates, fills with fees, mark-price
//! liquidation — and [`metrics`] and [`files`] turn the outcome into
//! `metrics.json`, the CSVs and `report.html`. A directional position can
//! be sized dynamically ([`sizing`], traded by [`rebalance`]), and
//! [`compare`] runs variants side by side over one loaded [`History`]. Money stays fixed-point from
//! the data to the ledger; floats appear only in ratios of the summary and
//! in the chart.

pub(crate) mod book;
pub mod compare;
pub mod crashes;
pub mod data;
pub mod files;
pub mod flip;
pub mod hedger;
pub mod legs;
pub mod leverage;
pub mod metrics;
pub mod rebalance;
pub mod regime;
pub mod report;
pub mod run;
pub mod sizing;
pub mod strategy;
pub mod time;
pub mod yearly;

use levamp_io::json::InputError;

/// Loads the history of `s`'s window and runs it.
pub fn backtest(s: &strategy::Strategy) -> Result<run::Outcome, InputError> {
    let w = load_window(s)?;
    run::run(s, &w)
}

/// Reads and checks the four series and cuts the strategy's window.
pub fn load_window(s: &strategy::Strategy) -> Result<data::Window, InputError> {
    History::load(s)?.window(s, s.sizing.warmup_hours)
}

/// The four checked series of a strategy's market, read once and shared by
/// every variant that runs over them.
#[derive(Clone, Debug)]
pub struct History {
    pub perp: data::Series,
    pub spot: data::Series,
    pub mark: data::Series,
    pub funding: data::Funding,
}

impl History {
    /// Reads and checks `s`'s sources (the four files in parallel).
    pub fn load(s: &strategy::Strategy) -> Result<History, InputError> {
        let bars =
            |src: &data::Source| data::parse_bars(&src.name(), &src.text()?, s.max_gap_hours);
        let funding = || {
            let f = &s.sources.funding;
            data::parse_funding(&f.name(), &f.text()?, 8 * time::HOUR, s.max_gap_hours)
        };
        let ((perp, spot), (mark, funding)) = rayon::join(
            || rayon::join(|| bars(&s.sources.perp), || bars(&s.sources.spot)),
            || rayon::join(|| bars(&s.sources.mark), funding),
        );
        // Errors in the order perp, spot, mark, funding (deterministic).
        Ok(History {
            perp: perp?,
            spot: spot?,
            mark: mark?,
            funding: funding?,
        })
    }

    /// `s`'s window with `warmup_hours` perp candles before it.
    pub fn window(
        &self,
        s: &strategy::Strategy,
        warmup_hours: i64,
    ) -> Result<data::Window, InputError> {
        data::Window::cut(
            &self.perp,
            &self.spot,
            &self.mark,
            &self.funding,
            s.start,
            s.end,
        )?
        .with_warmup(&self.perp, s.start, warmup_hours)
    }
}
