//! The hourly loop: the strategy's positions through the exact venue
//! (`levamp_engine::venue::Venue`), one hour at a time.
//!
//! Each hour `t` of the window, in this order:
//! 1. oracle update to the mark `open` at `t`;
//! 2. at a funding time of the data, one settlement at the data's rate
//!    (`Command::Funding` with `rate`): every position pays or receives
//!    `rate × size × mark`, `mark` the open of the mark hour starting at the
//!    settlement (longs pay when the rate is > 0; magnitudes rounded in the
//!    venue's favour: a payer's up, a receiver's down);
//! 3. in the first hour only, after the settlement: the fills at the perp
//!    `open` (taker `fee_rate`), the spot leg bought at the spot `open`;
//! 4. while a position is open, an oracle update to the hour's adverse mark
//!    extreme (`low` for a long, `high` for a short) at `t + 30 min`: the
//!    venue liquidates on the mark as Binance does, intrahour;
//! 5. an oracle update to the mark `close` at `t + 59 min 59 s`, and the
//!    hour's record (equity, legs, margin ratio, liquidation price).
//!
//! The spot leg is held outside the venue, or, with `spot_collateral`
//! (carry, cross margin), deposited into the venue account as collateral of
//! the market's base asset, priced by the market's price key (the mark) and
//! counted by the venue's cross margin at value × (1 − haircut). Either way
//! the record values it at `size × spot close` and the perp leg without it.
//! Nothing is closed at the end: the last hour values the legs at the mark
//! and the spot close.

pub(crate) use crate::book::Book;
use crate::data::{Gap, Window};
use crate::flip::Flip;
use crate::hedger::{self, Action, Open};
use crate::rebalance::{self, Resize};
use crate::sizing::Estimator;
use crate::strategy::{Kind, Strategy};
use levamp_core::{Base, MathError, Price, Quote, Ratio, Round};
use levamp_engine::venue::{Command, Event, TradeOrder};
use levamp_engine::{account_health, liquidation_price, MarginContext, MarginMode};
use levamp_io::json::InputError;

/// One hour's record (at the hour's close).
#[derive(Clone, Debug)]
pub struct Hour {
    pub time: i64,
    pub mark: Price,
    pub spot: Price,
    /// Perp position after the hour (signed base units).
    pub position: Base,
    /// The venue account's equity: wallet + margin + unrealised PnL at the mark.
    pub perp_value: Quote,
    /// Spot leg held after the hour (base units).
    pub spot_position: Base,
    /// `spot size × spot close` (rounded down).
    pub spot_value: Quote,
    pub equity: Quote,
    /// Maintenance margin ÷ equity (≥ 1: liquidation), when equity > 0 and a position is open.
    pub margin_ratio: Option<Ratio>,
    pub liquidation_price: Option<Price>,
}

/// One fill of the strategy.
#[derive(Clone, Debug)]
pub struct Trade {
    pub time: i64,
    pub leg: &'static str,
    /// Signed size (+ bought).
    pub size: Base,
    pub price: Price,
    pub fee: Quote,
    /// A liquidation fill by the venue.
    pub liquidation: bool,
    /// Why: `open`, `rebalance`, `liquidation`, or the hedger's or flip's
    /// action (see [`Action`]).
    pub reason: &'static str,
}

/// One funding settlement as the strategy saw it.
#[derive(Clone, Debug)]
pub struct Settlement {
    pub time: i64,
    pub rate: Ratio,
    pub mark: Price,
    pub position: Base,
    /// Signed: > 0 received.
    pub payment: Quote,
}

/// A liquidation of the strategy's perp position.
#[derive(Clone, Debug)]
pub struct Liquidation {
    pub time: i64,
    /// The mark that triggered it.
    pub mark: Price,
    pub size: Base,
    pub price: Price,
    pub penalty: Quote,
}

/// Everything a run produced.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub capital: Quote,
    pub hours: Vec<Hour>,
    pub trades: Vec<Trade>,
    pub settlements: Vec<Settlement>,
    pub liquidations: Vec<Liquidation>,
    /// Σ settlement payments (signed, exact).
    pub funding_pnl: Quote,
    /// Σ trading fees, both legs (exact).
    pub fees: Quote,
    pub gaps: Vec<Gap>,
    /// Rebalances that traded (dynamic sizing).
    pub resizes: Vec<Resize>,
    /// Rebalances whose target the venue's tier maximum cut.
    pub clamps: usize,
    /// The hedger's or the carry flip's actions, in order.
    pub actions: Vec<Action>,
}

pub(crate) fn math(at: &'static str) -> impl Fn(MathError) -> InputError {
    move |e| InputError {
        at: at.into(),
        message: e.to_string(),
    }
}

/// Checks the opening leverage against the venue's tier maximum and
/// returns (perp notional, perp fee), both rounded up.
fn check_leverage(
    book: &Book,
    s: &Strategy,
    price: Price,
    margin: Quote,
) -> Result<(Quote, Quote), InputError> {
    let at = match s.leverage {
        Some(_) => "strategy.leverage",
        None => "strategy.size",
    };
    let m = math(at);
    let notional = s
        .perp_size
        .checked_abs()
        .map_err(&m)?
        .value_at(price, Round::Ceil)
        .map_err(&m)?;
    let fee = notional.mul_ratio(s.fee_rate, Round::Ceil).map_err(&m)?;
    let market = &book.venue.markets()[book.market as usize];
    let max = market.tier(notional).max_leverage;
    let left = margin.checked_sub(fee).map_err(&m)?;
    // notional ≤ margin × max leverage (the margin after the opening fee).
    let allowed = match left.is_positive() {
        true => left.mul_ratio(max, Round::Floor).map_err(&m)?,
        false => Quote::ZERO,
    };
    if notional > allowed {
        let leverage = match left.is_positive() {
            true => format!("{:.2}×", notional.to_f64_lossy() / left.to_f64_lossy()),
            false => "unbounded".into(),
        };
        return Err(InputError {
            at: at.into(),
            message: format!(
                "leverage {leverage} (perp notional {notional} at {price} over margin {left} after fees) is above {}'s maximum {}× at that notional",
                market.name, max
            ),
        });
    }
    Ok((notional, fee))
}

/// Runs `s` over `w`.
pub fn run(s: &Strategy, w: &Window) -> Result<Outcome, InputError> {
    let sized;
    let s = match s.leverage {
        Some(leverage) => {
            let mut copy = s.clone();
            copy.perp_size = crate::leverage::perp_size(s, leverage, w)?;
            sized = copy;
            &sized
        }
        None => s,
    };
    let mut book = Book::open(s)?;
    let n = w.hours.len();
    let mut out = Outcome {
        capital: s.capital,
        hours: Vec::with_capacity(n),
        trades: Vec::new(),
        settlements: Vec::with_capacity(n / 8 + 1),
        liquidations: Vec::new(),
        funding_pnl: Quote::ZERO,
        fees: Quote::ZERO,
        gaps: w.gaps.clone(),
        resizes: Vec::new(),
        clamps: 0,
        actions: Vec::new(),
    };
    let dynamic = s.sizing.is_dynamic();
    let mut est = Estimator::new(&s.sizing.model);
    // A window shared by variants may carry more warm-up than this one asks.
    let warmup = &w.warmup[w
        .warmup
        .len()
        .saturating_sub(s.sizing.warmup_hours as usize)..];
    for b in warmup {
        est.observe(b.close.to_f64_lossy());
    }
    let mut spot_size = match s.kind {
        Kind::Carry | Kind::Hedger => s.perp_size.checked_neg().map_err(math("strategy.size"))?,
        Kind::Directional => Base::ZERO,
    };
    // An agent acts at the open of every hour.
    let agent = s.hedger.is_some() || s.flip_after_hours.is_some();
    let mut flip = match s.flip_after_hours {
        Some(hours) => {
            let cost = spot_size.value_at(w.spot[0].open, Round::Ceil);
            let cost = cost.map_err(math("strategy.size"))?.to_f64_lossy();
            Some(Flip::new(hours, cost / s.capital.to_f64_lossy()))
        }
        None => None,
    };
    let mut hedger_state = hedger::State::default();
    let mut funding = w.funding.iter().peekable();
    // The liquidation price after the last hour (`None`: none or unknown).
    let mut liquidation = Boundary::Flat;
    for i in 0..n {
        let t = w.hours[i];
        let mark = w.mark[i];
        let settles = funding.peek().is_some_and(|f| f.0 <= t);
        let trades = i == 0 || agent || (dynamic && i as i64 % s.sizing.rebalance_hours == 0);
        // The open matters for a settlement, a fill, or a liquidation at the
        // open; otherwise the hour's adverse extreme (never better than the
        // open) comes next and the state is the same without it.
        refresh(&mut book, &mut liquidation)?;
        if settles || trades || at_risk(book.position(), mark.open, liquidation) {
            book.price(mark.open, t)?;
            record_liquidations(&book, &mut out, t, mark.open);
        }
        while let Some(&&(ft, rate)) = funding.peek() {
            if ft > t {
                break;
            }
            funding.next();
            if let Some(f) = flip.as_mut() {
                f.observe(ft, rate);
            }
            if i == 0 {
                continue; // Settled before the position opens.
            }
            settle(&mut book, &mut out, ft, rate, mark.open)?;
        }
        if dynamic {
            if i == 0 {
                rebalance::deposit(&mut book, s)?;
            }
            if i as i64 % s.sizing.rebalance_hours == 0 {
                let perp = w.perp[i].open;
                rebalance::rebalance(&mut book, s, &est, perp, mark.open, t, &mut out)?;
            }
        } else if i == 0 {
            open(&mut book, s, w, spot_size, &mut out)?;
        } else if agent {
            let o = Open {
                t,
                perp: w.perp[i].open,
                spot: w.spot[i].open,
                mark: mark.open,
            };
            if let Some(h) = &s.hedger {
                let f = &w.funding;
                hedger::act(
                    &mut book,
                    s,
                    h,
                    &mut hedger_state,
                    &mut spot_size,
                    &o,
                    f,
                    &est,
                    &mut out,
                )?;
            }
            if let Some(f) = flip.as_mut() {
                f.step(&mut book, s, &mut spot_size, &o, &mut out)?;
            }
        }
        let held = book.position();
        if !held.is_zero() {
            let adverse = if held.is_positive() {
                mark.low
            } else {
                mark.high
            };
            // Skipped when even the extreme leaves the position safe: the
            // close update comes next and the state is the same without it.
            refresh(&mut book, &mut liquidation)?;
            if at_risk(held, adverse, liquidation) {
                book.price(adverse, t + 1800)?;
                record_liquidations(&book, &mut out, t + 1800, adverse);
            }
        }
        // The close update only when it may liquidate: otherwise the record
        // values the account at the close without it (the same numbers).
        refresh(&mut book, &mut liquidation)?;
        if at_risk(book.position(), mark.close, liquidation) {
            book.price(mark.close, t + 3599)?;
            record_liquidations(&book, &mut out, t + 3599, mark.close);
        }
        refresh(&mut book, &mut liquidation)?;
        out.hours.push(hour(
            &book,
            t,
            mark.close,
            w.spot[i].close,
            spot_size,
            liquidation.price(),
        )?);
        // The hour has ended: only now may the estimator see its close.
        est.observe(w.perp[i].close.to_f64_lossy());
    }
    check_conservation(&book)?;
    Ok(out)
}

/// The venue's own conservation check after the run (every asset, the
/// spot collateral included): a broken ledger is an error, never a result.
fn check_conservation(book: &Book) -> Result<(), InputError> {
    let c = book.venue.conservation().map_err(math("strategy"))?;
    match c.ok {
        true => Ok(()),
        false => Err(InputError {
            at: "strategy".into(),
            message: format!("the venue's ledger does not balance after the run: {c:?}"),
        }),
    }
}

/// One settlement at `rate` with the oracle at `mark`.
fn settle(
    book: &mut Book,
    out: &mut Outcome,
    ts: i64,
    rate: Ratio,
    mark: Price,
) -> Result<(), InputError> {
    let position = book.position();
    let c = Command::Funding {
        market: book.market,
        ts,
        rate: Some(rate),
        premium: None,
    };
    book.exec(&c, "data.funding")?;
    let mut payment = Quote::ZERO;
    for e in &book.events {
        if let Event::FundingPaid {
            account, amount, ..
        } = e
        {
            if *account == book.account {
                payment = payment.checked_add(*amount).map_err(math("data.funding"))?;
            }
        }
    }
    out.funding_pnl = out
        .funding_pnl
        .checked_add(payment)
        .map_err(math("data.funding"))?;
    out.settlements.push(Settlement {
        time: ts,
        rate,
        mark,
        position,
        payment,
    });
    Ok(())
}

/// The opening fills at the first hour's opens.
fn open(
    book: &mut Book,
    s: &Strategy,
    w: &Window,
    spot_size: Base,
    out: &mut Outcome,
) -> Result<(), InputError> {
    let t = w.hours[0];
    let cap = math("strategy.capital");
    let (spot_cost, spot_fee) = match spot_size.is_positive() {
        true => {
            let cost = spot_size
                .value_at(w.spot[0].open, Round::Ceil)
                .map_err(&cap)?;
            (cost, cost.mul_ratio(s.fee_rate, Round::Ceil).map_err(&cap)?)
        }
        false => (Quote::ZERO, Quote::ZERO),
    };
    let margin = s
        .capital
        .checked_sub(spot_cost)
        .and_then(|m| m.checked_sub(spot_fee))
        .map_err(&cap)?;
    if !margin.is_positive() {
        return Err(InputError {
            at: "strategy.capital".into(),
            message: format!(
                "{} does not cover the spot leg ({spot_size} at {} plus fee = {})",
                s.capital,
                w.spot[0].open,
                spot_cost.checked_add(spot_fee).map_err(&cap)?
            ),
        });
    }
    let price = w.perp[0].open;
    // Spot collateral backs the perp as the venue counts it at the mark.
    let collateral_value = match (book.collateral, s.spot_collateral) {
        (Some(_), Some(haircut)) => spot_size
            .value_at(w.mark[0].open, Round::Floor)
            .and_then(|v| v.mul_ratio(Ratio::ONE.checked_sub(haircut)?, Round::Floor))
            .map_err(&cap)?,
        _ => Quote::ZERO,
    };
    let backing = margin.checked_add(collateral_value).map_err(&cap)?;
    let (_, perp_fee) = check_leverage(book, s, price, backing)?;
    let quote = book.venue.quote();
    let deposit = Command::Deposit {
        account: book.account,
        asset: quote,
        amount: Base::from_raw(margin.raw()),
    };
    book.exec(&deposit, "strategy.capital")?;
    if let Some(asset) = book.collateral {
        let c = Command::Deposit {
            account: book.account,
            asset,
            amount: spot_size,
        };
        book.exec(&c, "strategy.spot_collateral")?;
    }
    let isolated = s.margin_mode == MarginMode::Isolated;
    let order = TradeOrder {
        account: book.account,
        market: book.market,
        size: s.perp_size,
        price,
        fee_rate: s.fee_rate,
        counterparty: None,
        counterparty_fee_rate: Ratio::ZERO,
        margin_mode: Some(s.margin_mode),
        isolated_margin: match isolated {
            true => Some(margin.checked_sub(perp_fee).map_err(&cap)?),
            false => None,
        },
        leverage: None,
    };
    book.exec(&Command::Trade(order), "strategy.size")?;
    let fee = own_fills(book, out, t, "open");
    if spot_size.is_positive() {
        out.trades.push(Trade {
            time: t,
            leg: "spot",
            size: spot_size,
            price: w.spot[0].open,
            fee: spot_fee,
            liquidation: false,
            reason: "open",
        });
    }
    out.fees = fee.checked_add(spot_fee).map_err(&cap)?;
    Ok(())
}

/// Records the strategy's fills among the last command's events (a
/// liquidation fill's reason is `liquidation`); returns their fees.
pub(crate) fn own_fills(book: &Book, out: &mut Outcome, t: i64, reason: &'static str) -> Quote {
    let mut fees = Quote::ZERO;
    for e in &book.events {
        if let Event::TradeFilled {
            price,
            buyer,
            seller,
            liquidation,
            ..
        } = e
        {
            for side in [buyer, seller] {
                if side.account == book.account {
                    fees = Quote::from_raw(fees.raw().saturating_add(side.fee.raw()));
                    out.trades.push(Trade {
                        time: t,
                        leg: "perp",
                        size: side.size,
                        price: *price,
                        fee: side.fee,
                        liquidation: *liquidation,
                        reason: if *liquidation { "liquidation" } else { reason },
                    });
                }
            }
        }
    }
    fees
}

fn record_liquidations(book: &Book, out: &mut Outcome, t: i64, mark: Price) {
    for e in &book.events {
        if let Event::Liquidated {
            account,
            size,
            price,
            penalty,
            ..
        } = e
        {
            if *account == book.account {
                out.liquidations.push(Liquidation {
                    time: t,
                    mark,
                    size: *size,
                    price: *price,
                    penalty: *penalty,
                });
            }
        }
    }
    own_fills(book, out, t, "liquidation");
}

/// Where the position's margin scope becomes liquidatable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Boundary {
    /// No position.
    Flat,
    /// At this mark or beyond (lower for a long, higher for a short).
    At(Price),
    /// At no positive mark.
    Never,
    /// At every mark.
    Always,
}

impl Boundary {
    fn price(self) -> Option<Price> {
        match self {
            Boundary::At(p) => Some(p),
            _ => None,
        }
    }
}

/// Whether a position of `held` is liquidatable with the mark at `price`
/// (exactly: the venue's liquidation price is the boundary of its own
/// predicate).
fn at_risk(held: Base, price: Price, liquidation: Boundary) -> bool {
    match liquidation {
        Boundary::Flat | Boundary::Never => false,
        Boundary::Always => true,
        Boundary::At(lp) if held.is_positive() => price <= lp,
        Boundary::At(lp) => price >= lp,
    }
}

/// Recomputes `liquidation` if the account changed since.
fn refresh(book: &mut Book, liquidation: &mut Boundary) -> Result<(), InputError> {
    if std::mem::take(&mut book.changed) {
        *liquidation = position_liquidation_price(book)?;
    }
    Ok(())
}

/// The exact liquidation price of the strategy's perp position. It depends
/// on the position, its margin and the wallet, not on the mark (the venue
/// solves for the mark), so it is computed only after a change.
fn position_liquidation_price(book: &Book) -> Result<Boundary, InputError> {
    let m = math("strategy");
    let ctx = book.venue.context();
    let account = &book.venue.accounts()[book.account as usize];
    let index = account
        .positions
        .iter()
        .position(|p| p.market == book.market && !p.size.is_zero());
    let Some(i) = index else {
        return Ok(Boundary::Flat);
    };
    Ok(match liquidation_price(account, i, &ctx).map_err(&m)? {
        Some(p) => Boundary::At(p),
        // No price changes the outcome: whatever it is at this mark.
        None => match account_health(account, &ctx).map_err(&m)?.liquidatable {
            true => Boundary::Always,
            false => Boundary::Never,
        },
    })
}

/// The hour's record at the close.
fn hour(
    book: &Book,
    time: i64,
    mark: Price,
    spot: Price,
    spot_size: Base,
    liquidation_price: Option<Price>,
) -> Result<Hour, InputError> {
    let m = math("strategy");
    // The venue's context with the market's price at the close (the venue's
    // own oracle is there unless an update that could change nothing was
    // skipped).
    let mut prices = book.venue.context().prices.to_vec();
    prices[book.key as usize] = mark;
    let ctx = MarginContext {
        prices: &prices,
        ..book.venue.context()
    };
    let account = &book.venue.accounts()[book.account as usize];
    let health = account_health(account, &ctx).map_err(&m)?;
    // Spot held as collateral is the spot leg: valued once, at the spot
    // close, and taken out of the account's equity (where it counts at the
    // mark after the haircut, exactly as the venue's cross margin counts it).
    let (spot_size, counted) = match book.collateral {
        Some(asset) => {
            let held = account
                .collateral
                .iter()
                .find(|h| h.asset == asset)
                .map_or(Base::ZERO, |h| h.amount);
            let a = &book.venue.assets()[asset as usize];
            let counted = held
                .value_at(prices[a.price as usize], Round::Floor)
                .and_then(|v| v.mul_ratio(Ratio::ONE.checked_sub(a.haircut)?, Round::Floor))
                .map_err(&m)?;
            (held, counted)
        }
        None => (spot_size, Quote::ZERO),
    };
    let perp_value = health.equity.checked_sub(counted).map_err(&m)?;
    let spot_value = spot_size.value_at(spot, Round::Floor).map_err(&m)?;
    let index = account
        .positions
        .iter()
        .position(|p| p.market == book.market && !p.size.is_zero());
    Ok(Hour {
        time,
        mark,
        spot,
        spot_position: spot_size,
        position: index.map_or(Base::ZERO, |i| account.positions[i].size),
        perp_value,
        spot_value,
        equity: perp_value.checked_add(spot_value).map_err(&m)?,
        margin_ratio: index.and(health.margin_ratio),
        liquidation_price,
    })
}
