//! An oracle update: checked, applied, and followed by the liquidations it
//! triggers. Most updates cross no liquidation trigger; as a command of its
//! own such a calm update changes the price and the clock directly — the
//! state applying its `TimeAdvanced` and `OracleUpdated` gives, the same
//! events recorded — with no undo records and no generic commit (nothing
//! after it can fail, nothing is re-indexed). An update that crosses a
//! trigger, or one inside [`Venue::execute_all`], takes the general path.

use super::error::VenueError;
use super::event::Event;
use super::state::Venue;
use super::undo::Undo;
use crate::model::PriceId;
use levamp_core::{Price, Ratio};

impl Venue {
    /// One oracle update as a whole command ([`Venue::execute_into`] of
    /// [`super::Command::Price`], or [`Venue::update_price_into`] when
    /// `quiet`): the events and state of [`Venue::oracle_update`] committed,
    /// or on error nothing changed and `ev` as it was.
    pub(crate) fn oracle_command(
        &mut self,
        key: PriceId,
        price: Price,
        ts: i64,
        confidence: Option<Ratio>,
        ev: &mut Vec<Event>,
        quiet: bool,
    ) -> Result<(), VenueError> {
        // A dynamic-margin rule measures every update (and may move a rate):
        // the general path.
        if self.rules.dynamic_margin.is_some() {
            return self.atomic(ev, |v, ev| {
                v.oracle_update(key, price, ts, confidence, ev, quiet)
            });
        }
        debug_assert!(
            self.undo.is_empty(),
            "a command starts with no undo records"
        );
        self.check_update(key, price, ts)?;
        // What applying `TimeAdvanced` (when the clock moves) and
        // `OracleUpdated` does, without the generic apply: the new price
        // and clock, and the index's note of the triggers crossed.
        let k = key as usize;
        let (now, old_price, old_ts) = (self.now, self.prices[k], self.price_ts[k]);
        let advanced = ts > now;
        self.now = ts;
        self.prices[k] = price;
        self.price_ts[k] = ts;
        self.index.note_update(key, price);
        let calm = self.index.last_crossed.is_empty();
        let start = ev.len();
        if !(quiet && calm) {
            // Built in place (a push copies the whole event from the stack).
            if advanced {
                ev.extend(std::iter::once_with(|| Event::TimeAdvanced { ts }));
            }
            ev.extend(std::iter::once_with(|| Event::OracleUpdated {
                key,
                price,
                ts,
                confidence,
            }));
        }
        if calm {
            // The commit of a calm update: its scan marks stay; prices and
            // clock need no re-index, and a checkpoint copies them back whole.
            self.index.commit_marks();
            return Ok(());
        }
        // Liquidations follow and may fail: the records that roll the
        // update back, as `set_now` and `set_price` keep them.
        if advanced {
            self.undo.push(Undo::Now(now));
        }
        self.undo.push(Undo::Price(key, old_price, old_ts));
        let result = self.after_update(key, ev);
        self.end(result, ev, start)
    }

    /// An oracle update inside a command (a batch of [`Venue::execute_all`]
    /// or the general path): applied through its events, then the
    /// liquidations it triggers. `quiet` leaves out the events of an update
    /// that crosses no trigger (and moves no dynamic margin rate); see
    /// [`Venue::update_price_into`].
    pub(crate) fn oracle_update(
        &mut self,
        key: PriceId,
        price: Price,
        ts: i64,
        confidence: Option<Ratio>,
        ev: &mut Vec<Event>,
        quiet: bool,
    ) -> Result<(), VenueError> {
        self.check_update(key, price, ts)?;
        // Built only where it is kept (a dropped event costs its drop).
        let update = || Event::OracleUpdated {
            key,
            price,
            ts,
            confidence,
        };
        if quiet && self.rules.dynamic_margin.is_none() {
            // What applying `TimeAdvanced` and `OracleUpdated` does (see
            // `Venue::apply`; no dynamic-margin rule to measure), without
            // building and keeping the events.
            let advanced = ts > self.now;
            if advanced {
                self.set_now(ts);
            }
            self.set_price(key, price, ts);
            self.index.note_update(key, price);
            // Crossing no trigger, the update is all that happens: nothing to record.
            if self.index.last_crossed.is_empty() {
                return Ok(());
            }
            if advanced {
                ev.push(Event::TimeAdvanced { ts });
            }
            ev.push(update());
        } else {
            self.advance_to(ts, ev)?;
            self.emit(ev, update())?;
        }
        self.after_update(key, ev)
    }

    /// Refuses an update of an unknown key, a price ≤ 0, a quote asset not
    /// at 1, or a time before the key's last update or the venue's clock.
    fn check_update(&self, key: PriceId, price: Price, ts: i64) -> Result<(), VenueError> {
        if key as usize >= self.prices.len() {
            return Err(VenueError::Unknown {
                kind: "price key",
                name: format!("#{key}"),
            });
        }
        if !price.is_positive() {
            return Err(VenueError::Invalid {
                field: "price",
                reason: format!("must be > 0, got {price}"),
            });
        }
        // The quote asset is the numeraire: its price is 1 by definition (model
        // a depeg with a separate collateral asset).
        if key == self.assets[self.quote as usize].price && price != Price::ONE {
            return Err(VenueError::Invalid {
                field: "price",
                reason: format!(
                    "the quote asset {} is priced at 1 by definition, got {price}",
                    self.asset_name(self.quote)
                ),
            });
        }
        let last = self.price_ts[key as usize];
        if ts < last {
            return Err(VenueError::TimeWentBackwards { now: last, ts });
        }
        if ts < self.now {
            return Err(VenueError::TimeWentBackwards { now: self.now, ts });
        }
        Ok(())
    }

    /// What follows an applied update of `key`: dynamic margin rates, then
    /// the liquidations of the accounts whose triggers it crossed (and of
    /// the holders of a market whose rate it moved).
    fn after_update(&mut self, key: PriceId, ev: &mut Vec<Event>) -> Result<(), VenueError> {
        let rate_changed = self.update_margin_rates(key, ev)?;
        if self.rules.liquidation.auto {
            self.liquidate_at_risk(ev)?;
            if rate_changed {
                self.liquidate_rate_changes(key, ev)?;
            }
        }
        Ok(())
    }
}
