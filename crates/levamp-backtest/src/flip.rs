//! The carry flip (`[strategy] flip_after_hours = N`, carry only): when
//! funding has been negative for N hours the carry is closed, and it is
//! reopened when funding has been positive for N hours.
//!
//! "Negative for N hours": the settlements since the first of the current
//! run of negative rates are all negative and the hour is at least N hours
//! after that first one (a zero rate ends both runs). Checked at the open of
//! every hour, after a settlement at that hour (which the carry still pays
//! or receives).
//!
//! * **close**: buy the perp short back at the perp open, sell the spot leg
//!   at the spot open (fees); the proceeds stay as quote in the venue
//!   wallet, so the strategy is flat and earns nothing while closed.
//! * **reopen**: buy spot with the same share of equity the opening spot
//!   leg took of `capital` (size ÷ spot open, rounded down to 10⁻⁶), and
//!   short the same size with the rest of the wallet as margin.
//!
//! It does not flip to the reverse trade (short spot, long perp): that
//! needs a spot borrow and its interest, which the backtest does not model.

use crate::hedger::{Action, Open};
use crate::legs::{self, spot_lots};
use crate::run::{math, Book, Outcome};
use crate::strategy::Strategy;
use crate::time::HOUR;
use levamp_core::{Base, Ratio};

use levamp_io::json::InputError;

/// The flip's memory of the funding runs.
#[derive(Clone, Debug)]
pub struct Flip {
    after: i64,
    negative_since: Option<i64>,
    positive_since: Option<i64>,
    closed: bool,
    /// The opening spot leg's cost ÷ capital.
    spot_share: f64,
}

impl Flip {
    /// A flip after `hours` for a carry whose opening spot leg cost
    /// `spot_share` of its capital.
    pub fn new(hours: i64, spot_share: f64) -> Flip {
        Flip {
            after: hours * HOUR,
            negative_since: None,
            positive_since: None,
            closed: false,
            spot_share,
        }
    }

    /// Takes in the settlement at `t`.
    pub fn observe(&mut self, t: i64, rate: Ratio) {
        if rate.is_negative() {
            self.positive_since = None;
            self.negative_since.get_or_insert(t);
        } else if rate.is_positive() {
            self.negative_since = None;
            self.positive_since.get_or_insert(t);
        } else {
            self.negative_since = None;
            self.positive_since = None;
        }
    }

    /// Closes or reopens the carry at the open of hour `o.t`.
    pub(crate) fn step(
        &mut self,
        book: &mut Book,
        s: &Strategy,
        spot: &mut Base,
        o: &Open,
        out: &mut Outcome,
    ) -> Result<(), InputError> {
        if !out.liquidations.is_empty() {
            return Ok(());
        }
        let m = math("strategy.flip_after_hours");
        let lasted = |since: Option<i64>| since.is_some_and(|t0| o.t - t0 >= self.after);
        if !self.closed && lasted(self.negative_since) {
            let held = book.position();
            if !held.is_zero() {
                let back = held.checked_neg().map_err(&m)?;
                legs::perp(book, s, back, o.perp, o.t, "flip_close", out)?;
            }
            if spot.is_positive() {
                let all = *spot;
                legs::sell_spot(book, s, spot, all, o.spot, o.t, "flip_close", out)?;
            }
            self.closed = true;
            out.actions.push(Action {
                time: o.t,
                reason: "flip_close",
            });
        } else if self.closed && lasted(self.positive_since) {
            let equity = legs::wallet(book).to_f64_lossy();
            let size = spot_lots(self.spot_share * equity / o.spot.to_f64_lossy())?;
            self.closed = false;
            if !size.is_positive()
                || !legs::buy_spot(book, s, spot, size, o.spot, o.t, "flip_reopen", out)?
            {
                out.actions.push(Action {
                    time: o.t,
                    reason: "refused",
                });
                return Ok(());
            }
            let short = size.checked_neg().map_err(&m)?;
            let reason = match legs::perp(book, s, short, o.perp, o.t, "flip_reopen", out)? {
                true => "flip_reopen",
                false => "refused",
            };
            out.actions.push(Action { time: o.t, reason });
        }
        Ok(())
    }
}
