//! The backtest's venue: the preset's rules, the strategy's market and
//! account ([`Book`]), and the commands the run sends through it.

use crate::strategy::Strategy;
use levamp_core::{Base, Price, Ratio};
use levamp_engine::venue::{AccountId, Command, Event, Venue, VenueError};
use levamp_engine::{Asset, AssetId, MarketId, PriceId};
use levamp_io::json::InputError;
use levamp_io::Preset;

/// Account name of the strategy on the venue.
const ACCOUNT: &str = "strategy";

fn venue_error(at: &'static str) -> impl Fn(VenueError) -> InputError {
    move |e| InputError {
        at: at.into(),
        message: e.to_string(),
    }
}

/// The run's venue: the preset's rules and the strategy's market.
pub(crate) struct Book {
    pub(crate) venue: Venue,
    pub(crate) market: MarketId,
    pub(crate) key: PriceId,
    pub(crate) account: AccountId,
    /// The base asset the spot leg is deposited as (`spot_collateral`).
    pub(crate) collateral: Option<AssetId>,
    pub(crate) events: Vec<Event>,
    /// Set when a command changed the account other than through the
    /// oracle (a fill, a settlement, a liquidation, a deposit): the
    /// position's liquidation price, which does not depend on the mark,
    /// must then be computed again.
    pub(crate) changed: bool,
}

impl Book {
    pub(crate) fn open(s: &Strategy) -> Result<Book, InputError> {
        let preset = Preset::load(&s.preset).map_err(|e| InputError {
            at: "venue.preset".into(),
            message: e.message,
        })?;
        let mut venue = Venue::new(preset.rules.clone(), &preset.quote);
        let Some((fields, def_at)) = preset.markets.get(&s.market) else {
            let hint =
                levamp_io::did_you_mean(&s.market, preset.markets.keys().map(String::as_str))
                    .map(|m| format!("; did you mean {m:?}?"))
                    .unwrap_or_default();
            return Err(InputError {
                at: "data.market".into(),
                message: format!(
                    "unknown market {:?}: preset {} does not list it{hint}",
                    s.market, s.preset
                ),
            });
        };
        let spec = levamp_io::definitions::parse_market(&s.market, fields, def_at, 0)?;
        let base = levamp_io::json::string(
            fields.get("base").unwrap_or(&serde_json::Value::Null),
            &format!("{def_at}.base"),
        )?
        .to_string();
        venue
            .execute(&Command::ListMarket {
                spec,
                base: base.clone(),
            })
            .map_err(venue_error("data.market"))?;
        let market = (venue.markets().len() - 1) as MarketId;
        let key = venue.markets()[market as usize].price;
        let collateral = match s.spot_collateral {
            Some(haircut) => Some(list_collateral(&mut venue, &base, haircut)?),
            None => None,
        };
        venue
            .execute(&Command::OpenAccount {
                name: ACCOUNT.into(),
            })
            .map_err(venue_error("strategy"))?;
        let account = venue.account_id(ACCOUNT).ok_or_else(|| InputError {
            at: "strategy".into(),
            message: "the venue opened no account".into(),
        })?;
        Ok(Book {
            venue,
            market,
            key,
            account,
            collateral,
            events: Vec::with_capacity(16),
            changed: true,
        })
    }

    /// Executes `c`; its events are in `self.events` until the next command.
    pub(crate) fn exec(&mut self, c: &Command, at: &'static str) -> Result<(), InputError> {
        self.events.clear();
        self.venue
            .execute_into(c, &mut self.events)
            .map_err(venue_error(at))?;
        let oracle_only =
            |e: &Event| matches!(e, Event::OracleUpdated { .. } | Event::TimeAdvanced { .. });
        if !self.events.iter().all(oracle_only) {
            self.changed = true;
        }
        Ok(())
    }

    pub(crate) fn price(&mut self, price: Price, ts: i64) -> Result<(), InputError> {
        let c = Command::Price {
            key: self.key,
            price,
            ts,
            confidence: None,
        };
        self.exec(&c, "data.mark")
    }

    pub(crate) fn position(&self) -> Base {
        self.venue
            .position(self.account, self.market)
            .map_or(Base::ZERO, |p| p.size)
    }
}

/// Lists the market's base asset (priced by the market's own price key, the
/// mark) as perp collateral counted at value × (1 − `haircut`); it lends
/// nothing (no pool, no loan-to-value).
fn list_collateral(venue: &mut Venue, base: &str, haircut: Ratio) -> Result<AssetId, InputError> {
    let spec = Asset {
        name: base.to_string(),
        price: 0, // set by the venue from `price_key`
        haircut,
        ltv: Ratio::ZERO,
        liquidation_threshold: Ratio::ZERO,
        liquidation_bonus: Ratio::ZERO,
        liquidation_protocol_fee: Ratio::ZERO,
        pool: None,
        emode: None,
    };
    let c = Command::ListAsset {
        spec: Box::new(spec),
        price_key: base.to_string(),
    };
    venue
        .execute(&c)
        .map_err(venue_error("strategy.spot_collateral"))?;
    venue.asset_id(base).ok_or_else(|| InputError {
        at: "strategy.spot_collateral".into(),
        message: format!("the venue listed no asset {base}"),
    })
}
