//! The venue state machine: commands in, events out.
//!
//! [`Venue::execute`] validates a [`Command`], computes its events from the
//! state and applies each through `Venue::apply` (the only code that
//! mutates state, but for the calm oracle update's shortcut in
//! `venue/update.rs`, which sets what its events would). A refused command — bad input, insufficient margin,
//! overflow — is rolled back: state and log are as before. [`Venue::replay`]
//! rebuilds a bit-identical state from a log. [`Venue::execute_stream`]
//! runs many commands one by one with the accounts of the commands ahead
//! prefetched (`venue/prefetch.rs`). Formulas and sources:
//! docs/mechanisms.md.

mod adl_impact;
mod backstop;
mod bankruptcy;
mod bulk;
mod checkpoint;
mod conservation;
mod continuity;
mod dynamic_margin;
mod error;
mod event;
mod funding;
mod index;
mod lending;
mod liquidation;
mod oracle;
mod perp;
mod prefetch;
mod reindex;
mod rules;
mod state;
mod undo;
mod update;
mod validate;

pub use adl_impact::{adl_impact, AdlImpact};
pub use bankruptcy::adl_ranking;
pub use conservation::{AssetLedger, Conservation};
pub use dynamic_margin::{raised_tiers, MarginRate, Volatility};
pub use error::VenueError;
pub use event::{Event, Fill};
pub use funding::{drift_funding_per_base, dydx_funding_clamp, funding_payment, funding_rate};
pub use index::LiquidationIndex;
pub use lending::{compounded_interest, linear_interest, rates, PoolRates};
pub use oracle::{OracleConfig, OracleFeed, OracleUpdate};
pub use perp::{fill_side, TradeOrder};
pub use rules::{
    AdlPolicy, AfterInsurance, Backstop, DynamicMargin, FundingFormula, FundingRules,
    LendingLiquidationRules, LiquidationRules, LiquidationStep, VenueRules,
};
pub use state::{Funds, Pool, Venue, MARKET_ACCOUNT, MARKET_ACCOUNT_NAME};

use crate::model::{Asset, AssetId, Market, MarketId, PriceId};

/// Index into [`Venue::accounts`].
pub type AccountId = u32;
use levamp_core::{Base, Price, Quote, Ratio};

/// Something a user (or agent, or script) asks the venue to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Boxed (as `ListAsset`'s spec): rare, and the largest variant sets
    /// every command's size.
    SetRules(Box<VenueRules>),
    /// Lists a market (or replaces its parameters); `base` is the price key of its mark.
    ListMarket {
        spec: Market,
        base: String,
    },
    /// Lists an asset; `price_key` prices it.
    ListAsset {
        spec: Box<Asset>,
        price_key: String,
    },
    OpenAccount {
        name: String,
    },
    /// Opens an account per name, as one command: the events (and state) of
    /// one `OpenAccount` per name in order, checked and applied in bulk (a
    /// generated population opens a million at once); refused as a whole
    /// when a name is taken or repeated.
    OpenAccounts {
        names: Vec<String>,
    },
    /// Seeds the insurance fund with `amount` of the quote asset (counted as a deposit).
    SeedInsurance {
        amount: Base,
    },
    /// Seeds one market's own insurance fund (`backstop = segmented` only)
    /// with `amount` of the quote asset (counted as a deposit).
    SeedMarketInsurance {
        market: MarketId,
        amount: Base,
    },
    /// Registers a price key (e.g. `"ETH"`) so oracle updates can use it.
    AddPriceKey {
        name: String,
    },
    Deposit {
        account: AccountId,
        asset: AssetId,
        amount: Base,
    },
    /// Refused if it breaks the initial margin or the loan-to-value limit.
    Withdraw {
        account: AccountId,
        asset: AssetId,
        amount: Base,
    },
    /// An oracle update; liquidation checks follow when the rules say so.
    Price {
        key: PriceId,
        price: Price,
        ts: i64,
        confidence: Option<Ratio>,
    },
    Trade(TradeOrder),
    /// Imports a position as it stands (a snapshot or a generated population):
    /// a fill like `Trade` without the initial-margin checks.
    ImportPosition(TradeOrder),
    /// Moves quote into (+) or out of (−) an isolated position's margin.
    IsolatedMargin {
        account: AccountId,
        market: MarketId,
        amount: Quote,
    },
    SetLeverage {
        account: AccountId,
        market: MarketId,
        leverage: Ratio,
    },
    /// Settles one funding payment: at `rate`, or by the venue's formula
    /// from `premium` (or mark vs index) when `rate` is `None`.
    Funding {
        market: MarketId,
        ts: i64,
        rate: Option<Ratio>,
        premium: Option<Ratio>,
    },
    Supply {
        account: AccountId,
        asset: AssetId,
        amount: Base,
    },
    /// `None`: everything.
    WithdrawSupply {
        account: AccountId,
        asset: AssetId,
        amount: Option<Base>,
    },
    Borrow {
        account: AccountId,
        asset: AssetId,
        amount: Base,
    },
    /// A debt taken before the venue's history starts (simulation set-up):
    /// borrowed without the LTV check, and the tokens leave the venue at once
    /// (they were spent), so only the debt remains.
    ImportBorrow {
        account: AccountId,
        asset: AssetId,
        amount: Base,
    },
    /// `None`: the whole debt.
    Repay {
        account: AccountId,
        asset: AssetId,
        amount: Option<Base>,
    },
    /// Moves time forward, accruing every pool's interest.
    Advance {
        ts: i64,
    },
    /// Liquidates an account's perp scope (the one holding `market`, or the
    /// cross scope); `liquidator` takes the positions at the mark and earns
    /// its share of the penalty.
    Liquidate {
        liquidator: AccountId,
        account: AccountId,
        market: Option<MarketId>,
    },
    /// Aave `liquidationCall`; `debt_to_cover: None` = as much as allowed.
    LiquidationCall {
        liquidator: AccountId,
        account: AccountId,
        collateral_asset: AssetId,
        debt_asset: AssetId,
        debt_to_cover: Option<Base>,
    },
}

impl Venue {
    /// Executes one command: its events, already applied. On error nothing
    /// changed.
    pub fn execute(&mut self, command: &Command) -> Result<Vec<Event>, VenueError> {
        let mut events = Vec::new();
        self.execute_into(command, &mut events)?;
        Ok(events)
    }

    /// As [`Venue::execute`], appending to `events` (left as it was on error).
    pub fn execute_into(
        &mut self,
        command: &Command,
        events: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        // The most common command has a path of its own (venue/update.rs).
        if let Command::Price {
            key,
            price,
            ts,
            confidence,
        } = *command
        {
            return self.oracle_command(key, price, ts, confidence, events, false);
        }
        self.atomic(events, |v, ev| v.dispatch(command, ev))
    }

    /// An oracle update, as [`Venue::execute_into`] of [`Command::Price`]
    /// but quiet: an update that crosses no liquidation trigger (and moves
    /// no dynamic margin rate) changes the same state and records no event
    /// — its `TimeAdvanced` and `OracleUpdated` are left out. Any other
    /// update records exactly the events of the general path. For a caller
    /// that keeps no log (the simulator): a log with updates left out does
    /// not replay to the same venue.
    pub fn update_price_into(
        &mut self,
        key: PriceId,
        price: Price,
        ts: i64,
        confidence: Option<Ratio>,
        events: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        self.oracle_command(key, price, ts, confidence, events, true)
    }

    /// Runs `f` as one command: committed on success; on error rolled back
    /// with `events` left as it was.
    pub(crate) fn atomic(
        &mut self,
        events: &mut Vec<Event>,
        f: impl FnOnce(&mut Venue, &mut Vec<Event>) -> Result<(), VenueError>,
    ) -> Result<(), VenueError> {
        let start = events.len();
        let result = f(self, events);
        self.end(result, events, start)
    }

    /// Ends a command with `result`: committed on success; on error rolled
    /// back with `events` cut back to `start` (its length before the command).
    pub(crate) fn end(
        &mut self,
        result: Result<(), VenueError>,
        events: &mut Vec<Event>,
        start: usize,
    ) -> Result<(), VenueError> {
        match result {
            Ok(()) => {
                self.commit();
                Ok(())
            }
            Err(e) => {
                self.rollback();
                events.truncate(start);
                Err(e)
            }
        }
    }

    /// Executes several commands as one: all of them, or (on the first
    /// error) none.
    pub fn execute_all(
        &mut self,
        commands: &[Command],
        events: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        let start = events.len();
        for c in commands {
            if let Err(e) = self.dispatch(c, events) {
                self.rollback();
                events.truncate(start);
                return Err(e);
            }
        }
        self.commit();
        Ok(())
    }

    /// Applies an event and records it.
    pub(crate) fn emit(&mut self, events: &mut Vec<Event>, event: Event) -> Result<(), VenueError> {
        self.apply(&event)?;
        events.push(event);
        Ok(())
    }

    fn dispatch(&mut self, command: &Command, ev: &mut Vec<Event>) -> Result<(), VenueError> {
        match command {
            Command::SetRules(rules) => {
                self.check_backstop_change(rules)?;
                if let Some(d) = &rules.dynamic_margin {
                    d.validate()?;
                }
                if rules.imf_factor.is_negative() {
                    return Err(VenueError::Invalid {
                        field: "imf_factor",
                        reason: format!("must be ≥ 0, got {}", rules.imf_factor),
                    });
                }
                self.emit(
                    ev,
                    Event::RulesChanged {
                        rules: rules.clone(),
                    },
                )
            }
            Command::ListMarket { spec, base } => self.list_market(spec, base, ev),
            Command::ListAsset { spec, price_key } => self.list_asset(spec, price_key, ev),
            Command::AddPriceKey { name } => self.ensure_price_key(name, ev).map(|_| ()),
            Command::SeedInsurance { amount } => self.seed_insurance(None, *amount, ev),
            Command::SeedMarketInsurance { market, amount } => {
                self.seed_insurance(Some(*market), *amount, ev)
            }
            Command::OpenAccount { name } => {
                if self.account_id(name).is_some() {
                    return Err(VenueError::Exists {
                        what: format!("account {name}"),
                    });
                }
                let account = self.accounts.len() as AccountId;
                self.emit(
                    ev,
                    Event::AccountOpened {
                        account,
                        name: name.clone(),
                    },
                )
            }
            Command::OpenAccounts { names } => self.open_accounts(names, ev),
            Command::Deposit {
                account,
                asset,
                amount,
            } => {
                self.check_account(*account)?;
                self.check_asset(*asset)?;
                positive(*amount, "amount")?;
                self.emit(
                    ev,
                    Event::Deposited {
                        account: *account,
                        asset: *asset,
                        amount: *amount,
                    },
                )
            }
            Command::Withdraw {
                account,
                asset,
                amount,
            } => self.withdraw(*account, *asset, *amount, ev),
            Command::Price {
                key,
                price,
                ts,
                confidence,
            } => self.oracle_update(*key, *price, *ts, *confidence, ev, false),
            Command::Trade(order) => self.trade(order, true, ev),
            Command::ImportPosition(order) => self.trade(order, false, ev),
            Command::IsolatedMargin {
                account,
                market,
                amount,
            } => self.isolated_margin(*account, *market, *amount, ev),
            Command::SetLeverage {
                account,
                market,
                leverage,
            } => self.set_leverage(*account, *market, *leverage, ev),
            Command::Funding {
                market,
                ts,
                rate,
                premium,
            } => self.funding(*market, *ts, *rate, *premium, ev),
            Command::Supply {
                account,
                asset,
                amount,
            } => self.supply(*account, *asset, *amount, ev),
            Command::WithdrawSupply {
                account,
                asset,
                amount,
            } => self.withdraw_supply(*account, *asset, *amount, ev),
            Command::Borrow {
                account,
                asset,
                amount,
            } => self.borrow(*account, *asset, *amount, true, ev),
            Command::ImportBorrow {
                account,
                asset,
                amount,
            } => {
                self.borrow(*account, *asset, *amount, false, ev)?;
                let (account, asset, amount) = (*account, *asset, *amount);
                self.emit(
                    ev,
                    Event::Withdrawn {
                        account,
                        asset,
                        amount,
                    },
                )
            }
            Command::Repay {
                account,
                asset,
                amount,
            } => self.repay(*account, *asset, *amount, ev),
            Command::Advance { ts } => {
                self.advance_to(*ts, ev)?;
                for asset in 0..self.assets.len() as AssetId {
                    if self.pools[asset as usize].is_some() {
                        self.accrue(asset, ev)?;
                    }
                }
                Ok(())
            }
            Command::Liquidate {
                liquidator,
                account,
                market,
            } => self.liquidate_command(*liquidator, *account, *market, ev),
            Command::LiquidationCall {
                liquidator,
                account,
                collateral_asset,
                debt_asset,
                debt_to_cover,
            } => self.liquidation_call(
                *liquidator,
                *account,
                *collateral_asset,
                *debt_asset,
                *debt_to_cover,
                ev,
            ),
        }
    }

    /// Rebuilds a venue from its event log (the first event must be
    /// `VenueOpened`). The result equals the venue that wrote the log. Each
    /// event is checked before it is applied ([`Venue::check_event`]), so a
    /// corrupt log is an error naming the event, never a panic.
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> Result<Venue, VenueError> {
        let mut it = events.into_iter();
        let mut venue = Venue::open_log(it.next())?;
        for (i, e) in it.enumerate() {
            venue
                .replay_event(e)
                .map_err(|err| VenueError::Replay(format!("event {}: {err}", i + 2)))?;
        }
        Ok(venue)
    }

    /// The venue a log's first event opens (it must be `VenueOpened`).
    pub fn open_log(first: Option<&Event>) -> Result<Venue, VenueError> {
        match first {
            Some(Event::VenueOpened { rules, quote }) => Ok(Venue::new((**rules).clone(), quote)),
            _ => Err(VenueError::Replay(
                "the first event must be venue_opened".into(),
            )),
        }
    }

    /// Checks and applies one logged event; on error nothing changed.
    pub fn replay_event(&mut self, event: &Event) -> Result<(), VenueError> {
        self.check_event(event)?;
        match self.apply(event) {
            Ok(()) => {
                self.commit();
                Ok(())
            }
            Err(e) => {
                self.rollback();
                Err(e)
            }
        }
    }

    /// The `VenueOpened` event that starts this venue's log.
    pub fn opening_event(&self) -> Event {
        Event::VenueOpened {
            rules: Box::new(self.rules.clone()),
            quote: self.asset_name(self.quote),
        }
    }

    fn list_market(
        &mut self,
        spec: &Market,
        base: &str,
        ev: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        if spec.tiers.is_empty() {
            return Err(VenueError::Invalid {
                field: "tiers",
                reason: "needs at least one tier".into(),
            });
        }
        if spec.funding_interval_s <= 0 {
            return Err(VenueError::Invalid {
                field: "funding_interval_s",
                reason: "must be > 0".into(),
            });
        }
        let price = self.ensure_price_key(base, ev)?;
        let market = self
            .market_id(&spec.name)
            .unwrap_or(self.markets.len() as MarketId);
        let spec = Market {
            price,
            ..spec.clone()
        };
        self.emit(ev, Event::MarketListed { market, spec })
    }

    fn list_asset(
        &mut self,
        spec: &Asset,
        price_key: &str,
        ev: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        if self.asset_id(&spec.name).is_some() {
            return Err(VenueError::Exists {
                what: format!("asset {}", spec.name),
            });
        }
        let price = self.ensure_price_key(price_key, ev)?;
        let asset = self.assets.len() as AssetId;
        self.emit(
            ev,
            Event::AssetListed {
                asset,
                spec: Box::new(Asset {
                    price,
                    ..spec.clone()
                }),
            },
        )
    }

    pub(crate) fn ensure_price_key(
        &mut self,
        key: &str,
        ev: &mut Vec<Event>,
    ) -> Result<PriceId, VenueError> {
        if let Some(id) = self.price_id(key) {
            return Ok(id);
        }
        let id = self.prices.len() as PriceId;
        self.emit(
            ev,
            Event::PriceKeyAdded {
                key: id,
                name: key.to_string(),
            },
        )?;
        Ok(id)
    }

    pub(crate) fn check_account(&self, account: AccountId) -> Result<(), VenueError> {
        match (account as usize) < self.accounts.len() {
            true => Ok(()),
            false => Err(VenueError::Unknown {
                kind: "account",
                name: format!("#{account}"),
            }),
        }
    }
    pub(crate) fn check_asset(&self, asset: AssetId) -> Result<(), VenueError> {
        match (asset as usize) < self.assets.len() {
            true => Ok(()),
            false => Err(VenueError::Unknown {
                kind: "asset",
                name: format!("#{asset}"),
            }),
        }
    }
    pub(crate) fn check_market(&self, market: MarketId) -> Result<(), VenueError> {
        match (market as usize) < self.markets.len() {
            true => Ok(()),
            false => Err(VenueError::Unknown {
                kind: "market",
                name: format!("#{market}"),
            }),
        }
    }

    /// Moves the clock to `ts` (refusing to go back).
    pub(crate) fn advance_to(&mut self, ts: i64, ev: &mut Vec<Event>) -> Result<(), VenueError> {
        if ts < self.now {
            return Err(VenueError::TimeWentBackwards { now: self.now, ts });
        }
        if ts > self.now {
            self.emit(ev, Event::TimeAdvanced { ts })?;
        }
        Ok(())
    }
}

/// Refuses amounts ≤ 0.
pub(crate) fn positive(amount: Base, field: &'static str) -> Result<(), VenueError> {
    match amount.is_positive() {
        true => Ok(()),
        false => Err(VenueError::Invalid {
            field,
            reason: format!("must be > 0, got {amount}"),
        }),
    }
}
