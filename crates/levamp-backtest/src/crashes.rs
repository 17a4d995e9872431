//! The crash survival table (issue #12, "checks against the real world"):
//! static isolated longs at several leverages, a 1× carry and the hedger
//! ([`crate::hedger`], [`HEDGER`]) on the carry's inventory, opened at
//! 00:00 UTC on each known crash day and held to the end of that day
//! (24 hourly steps, `[day, day + 24 h)`), through the same venue run as
//! `levamp backtest`.
//!
//! The history of a market is read and checked once ([`History::load`]);
//! each cell only cuts its one-day window.

use crate::data::{self, Funding, Series, Window};
use crate::hedger::Hedger;
use crate::run::{self, Outcome};
use crate::strategy::{self, Kind, Strategy};
use crate::time::{self, HOUR};
use levamp_core::{Base, Price, Quote, SCALE};
use levamp_engine::MarginMode;
use levamp_io::json::InputError;
use std::fmt::Write as _;
use std::path::Path;

/// The known crash days (UTC), as named in issue #12.
pub const CRASH_DAYS: [&str; 5] = [
    "2020-03-12T00:00:00Z",
    "2021-05-19T00:00:00Z",
    "2022-06-13T00:00:00Z",
    "2022-11-09T00:00:00Z",
    "2025-10-10T00:00:00Z",
];

/// The static long leverages of the table (notional ÷ capital at the open).
pub const LEVERAGES: [u32; 5] = [2, 5, 10, 20, 50];

/// Quote deposited by every cell.
pub const CAPITAL: i64 = 1_000;

/// Taker fee on every fill (Binance USDⓈ-M's base taker rate).
pub const FEE_RATE: &str = "0.0004";

/// The hedger of the table (its inventory is the carry's spot leg): delta
/// band 5 %, margin ratio kept in [0.01, 0.04], de-risk (half of both legs)
/// when the liquidation price comes within 3 σ of a day (σ̂ from the day's
/// own hourly closes) or the funding paid over 24 h exceeds 0.1 % of notional.
pub const HEDGER: Hedger = Hedger {
    inventory: Base::ZERO,
    delta_band: 0.05,
    margin_band: (0.01, 0.04),
    funding_window_hours: 24,
    max_funding_cost: Some(0.001),
    min_liquidation_sigmas: Some(3.0),
    sigma_horizon_hours: 24.0,
    derisk_fraction: 0.5,
};

/// Perp sizes are rounded down to this many base units (0.001).
const LOT: i128 = SCALE / 1_000;

/// A market's checked hourly history, loaded once and cut per window.
pub struct History {
    template: Strategy,
    perp: Series,
    spot: Series,
    mark: Series,
    funding: Funding,
}

impl History {
    /// Reads and checks the shipped history of `market` (BTCUSDT, ETHUSDT).
    pub fn load(market: &str) -> Result<History, InputError> {
        let text = format!(
            "name = \"crash\"\n[data]\nmarket = \"{market}\"\n\
             start = \"{}\"\nend = \"2020-03-13T00:00:00Z\"\n\
             [venue]\npreset = \"binance-usdm\"\n[strategy]\nkind = \"directional\"\n\
             size = 0.001\ncapital = {CAPITAL}\nmargin_mode = \"isolated\"\nfee_rate = {FEE_RATE}\n",
            CRASH_DAYS[0]
        );
        let template = strategy::parse(&text, "crash", Path::new("."))?;
        let s = &template;
        let bars =
            |src: &data::Source| data::parse_bars(&src.name(), &src.text()?, s.max_gap_hours);
        let f = &s.sources.funding;
        Ok(History {
            perp: bars(&s.sources.perp)?,
            spot: bars(&s.sources.spot)?,
            mark: bars(&s.sources.mark)?,
            funding: data::parse_funding(&f.name(), &f.text()?, 8 * HOUR, s.max_gap_hours)?,
            template,
        })
    }

    /// The market's name.
    pub fn market(&self) -> &str {
        &self.template.market
    }

    /// The strategy the history was loaded for (a template to clone).
    pub fn strategy(&self) -> &Strategy {
        &self.template
    }

    /// The whole checked funding series.
    pub fn funding(&self) -> &Funding {
        &self.funding
    }

    /// `[first, end)`: the hours every hourly series covers.
    pub fn span(&self) -> (i64, i64) {
        let series = [&self.perp, &self.spot, &self.mark];
        let first = series.iter().map(|s| s.bars[0].time).max().unwrap_or(0);
        let last = series.iter().map(|s| s.bars[s.bars.len() - 1].time).min();
        (first, last.unwrap_or(0) + HOUR)
    }

    /// The aligned series of `[start, end)` (see [`Window::cut`]).
    pub fn window(&self, start: i64, end: i64) -> Result<Window, InputError> {
        Window::cut(
            &self.perp,
            &self.spot,
            &self.mark,
            &self.funding,
            start,
            end,
        )
    }
}

/// What happened to one position on one day.
#[derive(Clone, Debug, PartialEq)]
pub enum Fate {
    /// Still open at the end of the day.
    Survived,
    /// First liquidated at this time (Unix seconds; the intrahour stamp).
    Liquidated(i64),
    /// Not opened: the venue refused the leverage (the tier maximum).
    Refused(String),
}

/// One position of a row.
#[derive(Clone, Debug)]
pub struct Cell {
    /// Static long leverage, or `None` for the 1× carry.
    pub leverage: Option<u32>,
    pub fate: Fate,
    /// Largest peak-to-trough fall of equity at hourly closes, as a fraction.
    pub max_drawdown: f64,
    /// The hedger's actions that day (0 for the static positions).
    pub actions: usize,
}

/// One crash day of one market.
#[derive(Clone, Debug)]
pub struct Row {
    pub market: String,
    /// The day's 00:00 UTC.
    pub day: i64,
    /// Mark open at 00:00 and the day's lowest mark.
    pub open: Price,
    pub low: Price,
    /// The longs in [`LEVERAGES`] order, then the carry, then the hedger.
    pub cells: Vec<Cell>,
}

/// `floor(lev × CAPITAL ÷ price)` rounded down to the lot (sizing, not accounting).
fn size_for(lev: i128, price: Price) -> Base {
    let raw = lev * CAPITAL as i128 * SCALE * SCALE / price.raw();
    Base::from_raw(raw - raw % LOT)
}

fn cell(w: &Window, s: Strategy, leverage: Option<u32>) -> Result<Cell, InputError> {
    let out: Outcome = match run::run(&s, w) {
        Ok(o) => o,
        Err(e) if e.at == "strategy.size" && e.message.contains("maximum") => {
            return Ok(Cell {
                leverage,
                fate: Fate::Refused(e.message),
                max_drawdown: 0.0,
                actions: 0,
            })
        }
        Err(e) => return Err(e),
    };
    let m = crate::metrics::summary(&out).map_err(|e| InputError {
        at: "crash".into(),
        message: e.to_string(),
    })?;
    let fate = match out.liquidations.first() {
        Some(l) => Fate::Liquidated(l.time),
        None => Fate::Survived,
    };
    Ok(Cell {
        leverage,
        fate,
        max_drawdown: m.max_drawdown,
        actions: out.actions.len(),
    })
}

/// Runs every position of the table on the day starting at `day` (00:00 UTC).
pub fn row(h: &History, day: i64) -> Result<Row, InputError> {
    let w = h.window(day, day + 24 * HOUR)?;
    let open = w.perp[0].open;
    let mut s = h.template.clone();
    s.start = day;
    s.end = day + 24 * HOUR;
    s.capital = Quote::from_int(CAPITAL);
    s.margin_mode = MarginMode::Isolated;
    let mut cells = Vec::new();
    for lev in LEVERAGES {
        let mut d = s.clone();
        d.kind = Kind::Directional;
        d.perp_size = size_for(lev as i128, open);
        cells.push(cell(&w, d, Some(lev))?);
    }
    // 1× carry: half the capital buys spot, half is the short perp's margin.
    let mut c = s.clone();
    c.kind = Kind::Carry;
    let half = Base::from_raw(size_for(1, open).raw() / 2 / LOT * LOT);
    c.perp_size = Base::from_raw(-half.raw());
    let mut hedged = c.clone();
    cells.push(cell(&w, c, None)?);
    // The hedger on the carry's inventory and split of the deposit.
    hedged.kind = Kind::Hedger;
    hedged.hedger = Some(Hedger {
        inventory: half,
        ..HEDGER
    });
    cells.push(cell(&w, hedged, None)?);
    let low = w
        .mark
        .iter()
        .map(|b| b.low)
        .min_by_key(|p| p.raw())
        .unwrap_or(open);
    Ok(Row {
        market: h.market().to_string(),
        day,
        open: w.mark[0].open,
        low,
        cells,
    })
}

/// Every crash day of [`CRASH_DAYS`] for `h`'s market.
pub fn rows(h: &History) -> Result<Vec<Row>, InputError> {
    CRASH_DAYS
        .iter()
        .map(|d| row(h, time::parse(d).expect("a valid constant")))
        .collect()
}

/// The table as markdown: one line per market and day; a cell is
/// `ok −d%` (survived, drawdown at hourly closes), `liq HHh` (first
/// liquidated in the hour starting HH:00 UTC) or `refused`.
pub fn markdown(rows: &[Row]) -> String {
    let mut t = String::from("| market | day (UTC) | mark open → day low |");
    for l in LEVERAGES {
        let _ = write!(t, " {l}× long |");
    }
    t.push_str(" 1× carry | hedger |\n|---|---|---|");
    for _ in 0..=LEVERAGES.len() + 1 {
        t.push_str("---|");
    }
    t.push('\n');
    for r in rows {
        let fall = 1.0 - r.low.to_f64_lossy() / r.open.to_f64_lossy();
        let _ = write!(
            t,
            "| {} | {} | {:.2} → {:.2} (−{:.1}%) |",
            r.market,
            &time::format(r.day)[..10],
            r.open.to_f64_lossy(),
            r.low.to_f64_lossy(),
            fall * 100.0
        );
        for c in &r.cells {
            let text = match &c.fate {
                Fate::Survived if c.actions > 0 => {
                    format!("ok −{:.1}%, {} actions", c.max_drawdown * 100.0, c.actions)
                }
                Fate::Survived => format!("ok −{:.1}%", c.max_drawdown * 100.0),
                Fate::Liquidated(at) => format!("**liq {}h**", &time::format(*at)[11..13]),
                Fate::Refused(_) => "refused".to_string(),
            };
            let _ = write!(t, " {text} |");
        }
        t.push('\n');
    }
    t
}
