//! `capital + leverage` instead of `size` (carry and directional): the perp
//! leg is sized at the first perp open so that its notional is `leverage ×`
//! the capital left for its margin, then rounded down to [`PERP_LOT`].
//!
//! The capital left for the margin is `capital − spot cost − spot fee −
//! perp fee` (a directional position has no spot leg), all at the first
//! hour's opens. With perp open `P`, spot open `S`, fee rate `f` and
//! leverage `L`, `size × P = L × (capital − size × S × (1 + f) − size × P ×
//! f)` gives
//!
//! `size = L × capital ÷ (P × (1 + L f) + L × S × (1 + f))` (carry; the
//! `S` term is absent for a directional position),
//!
//! rounded down: the numerator down, the denominator up, then to the lot,
//! so the opening leverage is never above `L` and one more lot would be.
//! Worked example (the test): BTC 2021-01-01, capital 10,000, `L = 3`,
//! `f = 0.0004`: 30,000 ÷ (P × 1.0012), about 1.03 BTC.

use crate::data::Window;
use crate::run::math;
use crate::strategy::{Kind, Strategy};
use levamp_core::{Base, Ratio, Round, SCALE};
use levamp_io::json::InputError;

/// The perp lot: Binance USDⓈ-M BTCUSDT and ETHUSDT trade in steps of
/// 0.001 base (exchangeInfo `LOT_SIZE.stepSize`); the venue preset lists
/// no lot, so the backtest rounds to this one.
pub const PERP_LOT: i128 = SCALE / 1_000;

/// The signed perp size `s.leverage` asks for at the first hour's opens
/// (carry: short; directional: the leverage's sign).
pub fn perp_size(s: &Strategy, leverage: Ratio, w: &Window) -> Result<Base, InputError> {
    let m = math("strategy.leverage");
    let (perp, spot) = (w.perp[0].open, w.spot[0].open);
    let l = leverage.checked_abs().map_err(&m)?;
    let one_plus = |r: Ratio| Ratio::ONE.checked_add(r);
    // P × (1 + L f), rounded up.
    let mut per_unit = perp
        .mul_ratio(
            one_plus(l.mul_ratio(s.fee_rate, Round::Ceil).map_err(&m)?).map_err(&m)?,
            Round::Ceil,
        )
        .map_err(&m)?;
    if s.kind == Kind::Carry {
        // + L × S × (1 + f), rounded up.
        let spot_term = spot
            .mul_ratio(one_plus(s.fee_rate).map_err(&m)?, Round::Ceil)
            .and_then(|x| x.mul_ratio(l, Round::Ceil))
            .map_err(&m)?;
        per_unit = per_unit.checked_add(spot_term).map_err(&m)?;
    }
    let notional = s.capital.mul_ratio(l, Round::Floor).map_err(&m)?;
    let raw = notional.base_at(per_unit, Round::Floor).map_err(&m)?.raw();
    let size = raw - raw.rem_euclid(PERP_LOT);
    if size == 0 {
        return Err(InputError {
            at: "strategy.leverage".into(),
            message: format!(
                "capital {} × leverage {leverage} buys less than one lot (0.001) at {perp}",
                s.capital
            ),
        });
    }
    Ok(match s.kind == Kind::Carry || leverage.is_negative() {
        true => Base::from_raw(-size),
        false => Base::from_raw(size),
    })
}
