//! The fills and transfers an agent makes after the opening: a perp fill
//! at the hour's perp open through the venue (taker fee), a spot sale or
//! purchase at the hour's spot open (the spot leg is held outside the
//! venue; fee rounded up), and quote moved between the venue wallet, an
//! isolated position's margin and the spot leg. Every amount is exact:
//! what the strategy receives rounds down, what it pays rounds up.

use crate::run::{math, own_fills, Book, Outcome, Trade};
use crate::strategy::Strategy;
use levamp_core::{Base, Price, Quote, Ratio, Round, SCALE};
use levamp_engine::venue::{Command, TradeOrder};
use levamp_engine::MarginMode;
use levamp_io::json::InputError;

/// Agents trade spot in multiples of this (10⁻⁶ base units).
pub const SPOT_LOT: i128 = SCALE / 1_000_000;

/// `x` base units rounded toward zero to the spot lot (a model's size).
pub fn spot_lots(x: f64) -> Result<Base, InputError> {
    let raw = Base::from_f64(x, Round::Floor)
        .map_err(math("strategy"))?
        .raw();
    Ok(Base::from_raw(raw - raw.rem_euclid(SPOT_LOT)))
}

/// A perp fill of `size` at `price` with the strategy's fee; a growing
/// isolated position takes the whole quote wallet into its margin.
/// Returns `false` (nothing changed) when the venue refuses it (the
/// initial margin), the error otherwise.
pub(crate) fn perp(
    book: &mut Book,
    s: &Strategy,
    size: Base,
    price: Price,
    t: i64,
    reason: &'static str,
    out: &mut Outcome,
) -> Result<bool, InputError> {
    let held = book.position();
    let after = held.checked_add(size).map_err(math("strategy"))?;
    let grows = after.checked_abs().map_err(math("strategy"))?
        > held.checked_abs().map_err(math("strategy"))?;
    let order = TradeOrder {
        account: book.account,
        market: book.market,
        size,
        price,
        fee_rate: s.fee_rate,
        counterparty: None,
        counterparty_fee_rate: Ratio::ZERO,
        margin_mode: Some(s.margin_mode),
        isolated_margin: match (s.margin_mode, grows) {
            (MarginMode::Isolated, true) => Some(wallet(book)),
            _ => None,
        },
        leverage: None,
    };
    if book.exec(&Command::Trade(order), "strategy").is_err() {
        return Ok(false);
    }
    let fees = own_fills(book, out, t, reason);
    out.fees = out.fees.checked_add(fees).map_err(math("strategy"))?;
    Ok(true)
}

/// Sells `size` (> 0) of the spot leg at `price` and deposits the proceeds
/// net of the fee into the venue wallet; returns them.
#[allow(clippy::too_many_arguments)]
pub(crate) fn sell_spot(
    book: &mut Book,
    s: &Strategy,
    spot: &mut Base,
    size: Base,
    price: Price,
    t: i64,
    reason: &'static str,
    out: &mut Outcome,
) -> Result<Quote, InputError> {
    let m = math("strategy");
    let gross = size.value_at(price, Round::Floor).map_err(&m)?;
    let fee = gross.mul_ratio(s.fee_rate, Round::Ceil).map_err(&m)?;
    let net = gross.checked_sub(fee).map_err(&m)?;
    *spot = spot.checked_sub(size).map_err(&m)?;
    record_spot(out, t, size.checked_neg().map_err(&m)?, price, fee, reason)?;
    if net.is_positive() {
        let c = Command::Deposit {
            account: book.account,
            asset: book.venue.quote(),
            amount: Base::from_raw(net.raw()),
        };
        book.exec(&c, "strategy")?;
    }
    Ok(net)
}

/// Buys `size` (> 0) of spot at `price`, paid from the venue wallet (cost
/// and fee rounded up). Returns `false` (nothing changed) when the venue
/// refuses the withdrawal.
#[allow(clippy::too_many_arguments)]
pub(crate) fn buy_spot(
    book: &mut Book,
    s: &Strategy,
    spot: &mut Base,
    size: Base,
    price: Price,
    t: i64,
    reason: &'static str,
    out: &mut Outcome,
) -> Result<bool, InputError> {
    let m = math("strategy");
    let cost = size.value_at(price, Round::Ceil).map_err(&m)?;
    let fee = cost.mul_ratio(s.fee_rate, Round::Ceil).map_err(&m)?;
    let c = Command::Withdraw {
        account: book.account,
        asset: book.venue.quote(),
        amount: Base::from_raw(cost.checked_add(fee).map_err(&m)?.raw()),
    };
    if book.exec(&c, "strategy").is_err() {
        return Ok(false);
    }
    *spot = spot.checked_add(size).map_err(&m)?;
    record_spot(out, t, size, price, fee, reason)?;
    Ok(true)
}

fn record_spot(
    out: &mut Outcome,
    time: i64,
    size: Base,
    price: Price,
    fee: Quote,
    reason: &'static str,
) -> Result<(), InputError> {
    out.fees = out.fees.checked_add(fee).map_err(math("strategy"))?;
    out.trades.push(Trade {
        time,
        leg: "spot",
        size,
        price,
        fee,
        liquidation: false,
        reason,
    });
    Ok(())
}

/// Moves `amount` of quote from the wallet into (+) or out of (−) the
/// isolated position's margin (nothing under cross margin: the wallet is
/// the margin). Returns `false` (nothing changed) when the venue refuses.
pub(crate) fn isolated_margin(
    book: &mut Book,
    s: &Strategy,
    amount: Quote,
) -> Result<bool, InputError> {
    if s.margin_mode == MarginMode::Cross || amount.is_zero() || book.position().is_zero() {
        return Ok(true);
    }
    let c = Command::IsolatedMargin {
        account: book.account,
        market: book.market,
        amount,
    };
    Ok(book.exec(&c, "strategy").is_ok())
}

/// The account's quote wallet (≥ 0).
pub(crate) fn wallet(book: &Book) -> Quote {
    let quote = book.venue.quote();
    book.venue.accounts()[book.account as usize]
        .collateral
        .iter()
        .find(|h| h.asset == quote)
        .map_or(Quote::ZERO, |h| Quote::from_raw(h.amount.raw().max(0)))
}
