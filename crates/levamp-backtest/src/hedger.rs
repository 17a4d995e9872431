//! The hedger (`kind = "hedger"`): an autonomous agent that holds a spot
//! inventory, short-hedges it with the perp and manages the hedge hour by
//! hour through the exact venue.
//!
//! At the first hour it buys `inventory` spot and shorts the same size of
//! perp, with the rest of `capital` as the perp margin (as a carry). Then at
//! the open of every later hour, after a settlement at that hour, in this
//! order (each an exact fill or transfer through the venue, fees paid):
//! 1. **margin** — the margin ratio r = maintenance ÷ equity of the perp
//!    account at the mark open. r > hi: *top up* — sell spot (at the spot
//!    open, fee) for the quote that brings r to the band's middle
//!    m = (lo + hi) ÷ 2, deposit it and move it into the isolated margin;
//!    r < lo: *draw back* — move the excess over m out of the margin and
//!    buy spot with it;
//! 2. **de-risk** — when the funding cost over the last
//!    `funding_window_hours` (Σ rate × side of the settlements in
//!    `(t − window, t]`, a fraction of notional; > 0 paid) rises above
//!    `max_funding_cost`, or the liquidation distance |mark − liquidation
//!    price| ÷ mark falls below `min_liquidation_sigmas` × σ̂ × √h
//!    (σ̂ the hourly EWMA σ of perp closes, λ = 0.94, h =
//!    `sigma_horizon_hours`): cut **both** the inventory and the hedge by
//!    `derisk_fraction` (sell spot, buy back perp; the spot proceeds go to
//!    the margin), so the book stays delta-neutral. It acts when a
//!    condition *crosses* its threshold (false at the previous hour, true
//!    now), not every hour it holds (a later draw-back may grow the book
//!    again: the margin freed buys spot, which the re-hedge then shorts);
//! 3. **re-hedge** — delta = spot + perp (base units); when
//!    |delta| > `delta_band` × spot, trade the perp by −delta.
//!
//! After a liquidation of the perp the agent stops (the strategy did not
//! survive; the spot leg stays). Actions the venue refuses (an initial
//! margin check) are skipped and counted as `refused`.

use crate::legs::{self, spot_lots};
use crate::run::{math, Book, Outcome};
use crate::sizing::{number, required, whole, Estimator};
use crate::strategy::{fail, Strategy, Table};
use levamp_core::{Base, Price, Ratio, Round};
use levamp_engine::{account_health, liquidation_price};
use levamp_io::json::InputError;

/// `[strategy]` keys of a hedger besides kind, capital, margin_mode, fee_rate.
pub const KEYS: &[&str] = &[
    "inventory",
    "delta_band",
    "margin_band",
    "funding_window_hours",
    "max_funding_cost",
    "min_liquidation_sigmas",
    "sigma_horizon_hours",
    "derisk_fraction",
];

/// The hedger's checked settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hedger {
    /// Spot bought at the start (base units, > 0).
    pub inventory: Base,
    /// Re-hedge when |spot + perp| > `delta_band` × spot.
    pub delta_band: f64,
    /// `[lo, hi]` of the margin ratio (maintenance ÷ equity).
    pub margin_band: (f64, f64),
    pub funding_window_hours: i64,
    /// De-risk above this funding cost over the window (`None`: never).
    pub max_funding_cost: Option<f64>,
    /// De-risk below this many σ of the horizon to liquidation (`None`: never).
    pub min_liquidation_sigmas: Option<f64>,
    pub sigma_horizon_hours: f64,
    /// Share of both legs a de-risk cuts.
    pub derisk_fraction: f64,
}

/// Reads the hedger's keys of `[strategy]` (the table's keys are checked).
pub(crate) fn parse(t: &Table) -> Result<Hedger, InputError> {
    let inventory = t.decimal("inventory")?.ok_or_else(|| InputError {
        at: "strategy.inventory".into(),
        message: "required (spot base units bought at the start)".into(),
    })?;
    if inventory <= 0 {
        return fail("strategy.inventory", "must be > 0 (base units)");
    }
    let delta_band = required(t, "delta_band", |x| (0.0..1.0).contains(&x), "in [0, 1)")?;
    let band = match t.map.get("margin_band") {
        None => {
            return fail(
                "strategy.margin_band",
                "required ([lo, hi], 0 < lo < hi < 1)",
            )
        }
        Some(v) => v
            .as_array()
            .map(|a| a.iter().map(toml_number).collect::<Vec<_>>()),
    };
    let margin_band = match band.as_deref() {
        Some(&[Some(lo), Some(hi)]) if 0.0 < lo && lo < hi && hi < 1.0 => (lo, hi),
        _ => {
            return fail(
                "strategy.margin_band",
                "must be [lo, hi] with 0 < lo < hi < 1 (maintenance margin ÷ equity)",
            )
        }
    };
    let optional = |key: &str, ok: fn(f64) -> bool, expected: &str| match t.map.contains_key(key) {
        true => required(t, key, ok, expected).map(Some),
        false => Ok(None),
    };
    Ok(Hedger {
        inventory: Base::from_raw(inventory),
        delta_band,
        margin_band,
        funding_window_hours: whole(t, "funding_window_hours", 72, 1)?,
        max_funding_cost: optional(
            "max_funding_cost",
            |x| x >= 0.0,
            "≥ 0 (a fraction of notional)",
        )?,
        min_liquidation_sigmas: optional("min_liquidation_sigmas", |x| x > 0.0, "> 0")?,
        sigma_horizon_hours: number(t, "sigma_horizon_hours", 24.0, |x| x >= 1.0, "≥ 1")?,
        derisk_fraction: number(
            t,
            "derisk_fraction",
            0.5,
            |x| x > 0.0 && x <= 1.0,
            "in (0, 1]",
        )?,
    })
}

fn toml_number(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) if f.is_finite() => Some(*f),
        _ => None,
    }
}

/// What the agent remembers between hours.
#[derive(Clone, Debug, Default)]
pub struct State {
    funding_hot: bool,
    distance_hot: bool,
}

/// One action of an agent (a hedger's, or a carry flip).
#[derive(Clone, Debug)]
pub struct Action {
    pub time: i64,
    /// `top_up`, `draw_back`, `derisk_funding`, `derisk_liquidation`,
    /// `rehedge`, `refused`, `flip_close`, `flip_reopen`.
    pub reason: &'static str,
}

/// The hour's prices at its open.
pub(crate) struct Open {
    pub t: i64,
    pub perp: Price,
    pub spot: Price,
    pub mark: Price,
}

/// The hedger's decisions at the open of hour `o.t` (see the module doc).
#[allow(clippy::too_many_arguments)]
pub(crate) fn act(
    book: &mut Book,
    s: &Strategy,
    h: &Hedger,
    state: &mut State,
    spot: &mut Base,
    o: &Open,
    funding: &[(i64, Ratio)],
    est: &Estimator,
    out: &mut Outcome,
) -> Result<(), InputError> {
    if !out.liquidations.is_empty() || book.position().is_zero() {
        return Ok(());
    }
    margin(book, s, h, spot, o, out)?;
    derisk(book, s, h, state, spot, o, funding, est, out)?;
    rehedge(book, s, h, spot, o, out)
}

fn push(out: &mut Outcome, time: i64, reason: &'static str) {
    out.actions.push(Action { time, reason });
}

/// Step 1: keeps the margin ratio within the band (spot ↔ margin).
fn margin(
    book: &mut Book,
    s: &Strategy,
    h: &Hedger,
    spot: &mut Base,
    o: &Open,
    out: &mut Outcome,
) -> Result<(), InputError> {
    let m = math("strategy");
    let ctx = book.venue.context();
    let health = account_health(&book.venue.accounts()[book.account as usize], &ctx).map_err(&m)?;
    let (Some(r), true) = (health.margin_ratio, health.equity.is_positive()) else {
        return Ok(());
    };
    let (lo, hi) = h.margin_band;
    let r = r.to_f64_lossy();
    let mid = (lo + hi) / 2.0;
    let equity = health.equity.to_f64_lossy();
    let target = health.maintenance_margin.to_f64_lossy() / mid;
    let (spot_p, fee) = (o.spot.to_f64_lossy(), s.fee_rate.to_f64_lossy());
    if r > hi && spot.is_positive() {
        // Sell enough spot that the proceeds net of the fee cover the gap.
        let want = (target - equity) / (spot_p * (1.0 - fee));
        let lot = Base::from_raw(legs::SPOT_LOT);
        let size = spot_lots(want)?.checked_add(lot).map_err(&m)?.min(*spot);
        let net = legs::sell_spot(book, s, spot, size, o.spot, o.t, "top_up", out)?;
        match legs::isolated_margin(book, s, net)? {
            true => push(out, o.t, "top_up"),
            false => push(out, o.t, "refused"),
        }
    } else if r < lo {
        let size = spot_lots((equity - target) / (spot_p * (1.0 + fee)))?;
        if !size.is_positive() {
            return Ok(());
        }
        let cost = size.value_at(o.spot, Round::Ceil).map_err(&m)?;
        let cost = cost
            .checked_add(cost.mul_ratio(s.fee_rate, Round::Ceil).map_err(&m)?)
            .map_err(&m)?;
        let out_of_margin = cost.checked_neg().map_err(&m)?;
        if !legs::isolated_margin(book, s, out_of_margin)? {
            push(out, o.t, "refused");
            return Ok(());
        }
        match legs::buy_spot(book, s, spot, size, o.spot, o.t, "draw_back", out)? {
            true => push(out, o.t, "draw_back"),
            false => {
                // Put the margin back where it was.
                legs::isolated_margin(book, s, cost)?;
                push(out, o.t, "refused");
            }
        }
    }
    Ok(())
}

/// Step 2: cuts both legs when a threshold is crossed.
#[allow(clippy::too_many_arguments)]
fn derisk(
    book: &mut Book,
    s: &Strategy,
    h: &Hedger,
    state: &mut State,
    spot: &mut Base,
    o: &Open,
    funding: &[(i64, Ratio)],
    est: &Estimator,
    out: &mut Outcome,
) -> Result<(), InputError> {
    let held = book.position();
    let side = if held.is_positive() { 1.0 } else { -1.0 };
    let from = o.t - h.funding_window_hours * crate::time::HOUR;
    let cost: f64 = funding
        .iter()
        .filter(|(ft, _)| *ft > from && *ft <= o.t)
        .map(|(_, r)| side * r.to_f64_lossy())
        .sum();
    let funding_hot = h.max_funding_cost.is_some_and(|max| cost > max);
    let distance_hot = match (h.min_liquidation_sigmas, est.hourly_vol()) {
        (Some(k), Some(vol)) if vol > 0.0 => {
            let d = distance(book, o.mark)?;
            d.is_some_and(|d| d < k * vol * h.sigma_horizon_hours.sqrt())
        }
        _ => false,
    };
    let reason = match (
        funding_hot && !state.funding_hot,
        distance_hot && !state.distance_hot,
    ) {
        (true, _) => Some("derisk_funding"),
        (false, true) => Some("derisk_liquidation"),
        _ => None,
    };
    state.funding_hot = funding_hot;
    state.distance_hot = distance_hot;
    let Some(reason) = reason else {
        return Ok(());
    };
    let m = math("strategy");
    let sell = spot_lots(spot.to_f64_lossy() * h.derisk_fraction)?.min(*spot);
    let cut = Base::from_f64(held.to_f64_lossy().abs() * h.derisk_fraction, Round::Floor)
        .map_err(&m)?
        .min(held.checked_abs().map_err(&m)?);
    if sell.is_positive() {
        let net = legs::sell_spot(book, s, spot, sell, o.spot, o.t, reason, out)?;
        legs::isolated_margin(book, s, net)?;
    }
    let buy_back = match held.is_positive() {
        true => cut.checked_neg().map_err(&m)?,
        false => cut,
    };
    if !buy_back.is_zero() {
        legs::perp(book, s, buy_back, o.perp, o.t, reason, out)?;
    }
    push(out, o.t, reason);
    Ok(())
}

/// |mark − liquidation price| ÷ mark of the perp position (`None`: no price).
fn distance(book: &Book, mark: Price) -> Result<Option<f64>, InputError> {
    let ctx = book.venue.context();
    let account = &book.venue.accounts()[book.account as usize];
    let Some(i) = account
        .positions
        .iter()
        .position(|p| p.market == book.market && !p.size.is_zero())
    else {
        return Ok(None);
    };
    let lp = liquidation_price(account, i, &ctx).map_err(math("strategy"))?;
    let m = mark.to_f64_lossy();
    Ok(lp.map(|p| (m - p.to_f64_lossy()).abs() / m))
}

/// Step 3: trades the perp back to −spot when the delta leaves the band.
fn rehedge(
    book: &mut Book,
    s: &Strategy,
    h: &Hedger,
    spot: &mut Base,
    o: &Open,
    out: &mut Outcome,
) -> Result<(), InputError> {
    let m = math("strategy");
    let delta = spot.checked_add(book.position()).map_err(&m)?;
    let band = spot.to_f64_lossy() * h.delta_band;
    if delta.is_zero() || delta.checked_abs().map_err(&m)?.to_f64_lossy() <= band {
        return Ok(());
    }
    let size = delta.checked_neg().map_err(&m)?;
    match legs::perp(book, s, size, o.perp, o.t, "rehedge", out)? {
        true => push(out, o.t, "rehedge"),
        false => push(out, o.t, "refused"),
    }
    Ok(())
}
