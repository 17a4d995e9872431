//! Scripted runs: one JSON command per line (docs/scripts.md), resolved
//! against a venue preset and executed on the engine's `Venue`.
//!
//! Names are resolved on first use: `deposit` opens an account; a market or
//! asset the preset defines is listed the first time a command names it; an
//! asset nobody defined is listed plain (priced under its own name). Every
//! error names the line and the field: `line 7: size: must not be 0`.

use crate::definitions::{parse_asset, parse_market, parse_rules, ASSET_KEYS, MARKET_KEYS};
use crate::json::{child, did_you_mean, err, node_string, string, InputError};
use crate::preset::Preset;
use crate::scan::Node;
use levamp_core::{Base, Price, Quote, Ratio};
use levamp_engine::venue::{
    AccountId, Command, Event, TradeOrder, Venue, VenueError, MARKET_ACCOUNT_NAME,
};
use levamp_engine::{AssetId, MarketId, PriceId};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// What to do when a line fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnError {
    Skip,
    Stop,
}

/// A scripted run in progress: the venue, its event log (starting with
/// `VenueOpened`) and the lines that were skipped. After [`Run::script`]
/// `events` is the whole log; while [`Run::stream`] runs it holds only the
/// events not yet handed to the sink (and is empty when it returns).
pub struct Run {
    pub venue: Venue,
    pub preset: Preset,
    pub events: Vec<Event>,
    pub skipped: Vec<InputError>,
    started: bool,
}

const TYPES: &[&str] = &[
    "venue",
    "market",
    "asset",
    "deposit",
    "withdraw",
    "price",
    "trade",
    "isolated_margin",
    "leverage",
    "funding",
    "supply",
    "withdraw_supply",
    "borrow",
    "repay",
    "advance",
    "liquidate",
    "liquidation_call",
];

impl Run {
    /// A fresh venue with the preset's rules and quote asset.
    pub fn new(preset: Preset) -> Run {
        let venue = Venue::new(preset.rules.clone(), &preset.quote);
        let events = vec![venue.opening_event()];
        Run {
            venue,
            preset,
            events,
            skipped: Vec::new(),
            started: false,
        }
    }

    /// Runs a whole script held in memory, keeping the whole event log in
    /// `events`; with `OnError::Stop` the first bad line is the error.
    pub fn script(text: &str, preset: Preset, on_error: OnError) -> Result<Run, InputError> {
        let mut log = Vec::new();
        let mut run = Run::stream(text.lines().map(Ok), preset, on_error, |e| {
            log.push(e);
            Ok::<(), InputError>(())
        })?;
        run.events = log;
        Ok(run)
    }

    /// Runs a script line by line, handing every event to `sink` in order as
    /// soon as its line has applied, so memory does not grow with the log.
    ///
    /// `lines` yields the script's lines (without their line ends); an error
    /// from it (unreadable input) or from `sink` ends the run whatever
    /// `on_error` says. With `OnError::Stop` the first bad line is the error.
    /// The opening `VenueOpened` is handed over once the first command has
    /// been read, since a leading `venue` line replaces it.
    pub fn stream<S, E>(
        lines: impl IntoIterator<Item = Result<S, E>>,
        preset: Preset,
        on_error: OnError,
        mut sink: impl FnMut(Event) -> Result<(), E>,
    ) -> Result<Run, E>
    where
        S: AsRef<str>,
        E: From<InputError>,
    {
        let mut run = Run::new(preset);
        for (i, line) in lines.into_iter().enumerate() {
            let line = line?;
            let line = line.as_ref();
            if line.trim().is_empty() || line.trim_start().starts_with("//") {
                continue;
            }
            if let Err(e) = run.line(i + 1, line) {
                match on_error {
                    OnError::Stop => return Err(e.into()),
                    OnError::Skip => run.skipped.push(e),
                }
            }
            if run.started {
                run.events.drain(..).try_for_each(&mut sink)?;
            }
        }
        run.events.drain(..).try_for_each(&mut sink)?;
        Ok(run)
    }

    /// Parses and executes one line; on error nothing changed.
    pub fn line(&mut self, line_no: usize, text: &str) -> Result<(), InputError> {
        let at = format!("line {line_no}");
        let node = crate::scan::parse(text)
            .map_err(|bad| in_line(&at, crate::scan::syntax_error(text, bad)))?;
        let Node::Object(entries) = &node else {
            return err(&at, format!("expected an object, found {}", node.kind()));
        };
        let kind =
            node_string(node.get("type").unwrap_or(&Node::Null), "").map_err(|e| InputError {
                at: format!("{at}: type"),
                ..e
            })?;
        if !TYPES.contains(&kind) {
            let hint = did_you_mean(kind, TYPES.iter().copied())
                .map(|s| format!(" (did you mean {}?)", crate::json::quote(s)))
                .unwrap_or_default();
            return err(
                &format!("{at}: type"),
                format!("unknown command {}{hint}", crate::json::quote(kind)),
            );
        }
        let first = !self.started;
        self.started = true;
        let mut cx = Line {
            run: self,
            at: at.clone(),
            entries,
            commands: Vec::new(),
        };
        cx.build(kind, first)?;
        let commands = std::mem::take(&mut cx.commands);
        // A line's commands apply together or not at all.
        self.venue
            .execute_all(&commands, &mut self.events)
            .or_else(|e| err(&at, engine_message(&e)))
    }
}

/// A JSON error of one line, placed on that line: `line 7 column 12: …`
/// for syntax, `line 7: size: duplicate key` for a path.
pub(crate) fn in_line(line: &str, e: InputError) -> InputError {
    let at = match e.at.strip_prefix("line 1 ") {
        Some(column) => format!("{line} {column}"),
        None if e.at.is_empty() => line.to_string(),
        None => format!("{line}: {}", e.at),
    };
    InputError { at, ..e }
}

/// An engine error as a user sentence.
fn engine_message(e: &VenueError) -> String {
    e.to_string()
}

/// One line being turned into engine commands.
struct Line<'a> {
    run: &'a mut Run,
    at: String,
    /// The line's object, its keys in document order (each once).
    entries: &'a [(Cow<'a, str>, Node<'a>)],
    commands: Vec<Command>,
}

impl<'a> Line<'a> {
    fn account(&mut self, key: &str, open: bool) -> Result<AccountId, InputError> {
        // Known names need no copy.
        if let Some(id) = self.run.venue.account_id(self.text(key)?) {
            return Ok(id);
        }
        let name = self.name(key)?;
        if open {
            let id = self.run.venue.accounts().len() as AccountId + self.pending_accounts();
            self.commands.push(Command::OpenAccount { name });
            return Ok(id);
        }
        let hint = did_you_mean(&name, self.run.venue.account_names())
            .map(|s| format!("; did you mean {}?", crate::json::quote(s)))
            .unwrap_or_default();
        err(
            &self.field(key),
            format!(
                "unknown account {} (accounts are opened by a deposit){hint}",
                crate::json::quote(&name)
            ),
        )
    }

    fn pending_accounts(&self) -> u32 {
        self.commands
            .iter()
            .filter(|c| matches!(c, Command::OpenAccount { .. }))
            .count() as u32
    }

    fn market(&mut self, key: &str) -> Result<MarketId, InputError> {
        // Known names need no copy.
        if let Some(id) = self.run.venue.market_id(self.text(key)?) {
            return Ok(id);
        }
        let name = self.name(key)?;
        let Some((fields, def_at)) = self.run.preset.markets.get(&name).cloned() else {
            let known: Vec<&str> = self
                .run
                .venue
                .market_names()
                .chain(self.run.preset.markets.keys().map(String::as_str))
                .collect();
            let hint = did_you_mean(&name, known.into_iter())
                .map(|s| format!("; did you mean {}?", crate::json::quote(s)))
                .unwrap_or_default();
            return err(&self.field(key), format!("unknown market {} (define it with a \"market\" line or choose a --venue preset that has it){hint}", crate::json::quote(&name)));
        };
        self.list_market(&name, &fields, &def_at)?;
        Ok(self.run.venue.markets().len() as MarketId)
    }

    fn list_market(
        &mut self,
        name: &str,
        fields: &Map<String, Value>,
        at: &str,
    ) -> Result<(), InputError> {
        let spec = parse_market(name, fields, at, 0)?;
        let base = string(
            fields.get("base").unwrap_or(&Value::Null),
            &child(at, "base"),
        )?
        .to_string();
        self.commands.push(Command::ListMarket { spec, base });
        Ok(())
    }

    fn asset(&mut self, key: &str) -> Result<AssetId, InputError> {
        // Known names need no copy.
        if let Some(id) = self.run.venue.asset_id(self.text(key)?) {
            return Ok(id);
        }
        let name = self.name(key)?;
        let (fields, def_at) = self
            .run
            .preset
            .assets
            .get(&name)
            .cloned()
            .unwrap_or_else(|| (Map::new(), self.field(key)));
        let id = self.run.venue.assets().len() as AssetId
            + self
                .commands
                .iter()
                .filter(|c| matches!(c, Command::ListAsset { .. }))
                .count() as AssetId;
        self.list_asset(&name, &fields, &def_at)?;
        Ok(id)
    }

    fn list_asset(
        &mut self,
        name: &str,
        fields: &Map<String, Value>,
        at: &str,
    ) -> Result<(), InputError> {
        let spec = parse_asset(name, fields, at, 0)?;
        let price_key = match fields.get("price_key") {
            Some(v) => string(v, &child(at, "price_key"))?.to_string(),
            None => name.to_string(),
        };
        self.commands.push(Command::ListAsset {
            spec: Box::new(spec),
            price_key,
        });
        Ok(())
    }

    fn price_key(&mut self, key: &str) -> Result<PriceId, InputError> {
        // Known names need no copy.
        if let Some(id) = self.run.venue.price_id(self.text(key)?) {
            return Ok(id);
        }
        let name = self.name(key)?;
        self.commands.push(Command::AddPriceKey { name });
        Ok(self.run.venue.prices().len() as PriceId)
    }

    fn build(&mut self, kind: &str, first: bool) -> Result<(), InputError> {
        match kind {
            "venue" => self.venue_line(first)?,
            "market" => self.market_line()?,
            "asset" => self.asset_line()?,
            "deposit" | "withdraw" => {
                self.keys(&["type", "account", "asset", "amount", "ts"])?;
                let account = self.account("account", kind == "deposit")?;
                let asset = self.asset("asset")?;
                let amount = self.positive("amount")?;
                self.advance_if_ts()?;
                self.commands.push(match kind {
                    "deposit" => Command::Deposit {
                        account,
                        asset,
                        amount,
                    },
                    _ => Command::Withdraw {
                        account,
                        asset,
                        amount,
                    },
                });
            }
            "price" => {
                self.keys(&["type", "asset", "price", "ts", "confidence"])?;
                let key = self.price_key("asset")?;
                let raw = self.raw("price")?;
                if raw <= 0 {
                    return err(&self.field("price"), "must be > 0");
                }
                let ts = match self.lookup("ts").is_some() {
                    true => self.ts("ts")?,
                    false => self.run.venue.now(),
                };
                let confidence = self.ratio("confidence")?;
                self.commands.push(Command::Price {
                    key,
                    price: Price::from_raw(raw),
                    ts,
                    confidence,
                });
            }
            "trade" => self.trade_line()?,
            "isolated_margin" => {
                self.keys(&["type", "account", "market", "amount"])?;
                let account = self.account("account", false)?;
                let market = self.market("market")?;
                let amount = Quote::from_raw(self.raw("amount")?);
                self.commands.push(Command::IsolatedMargin {
                    account,
                    market,
                    amount,
                });
            }
            "leverage" => {
                self.keys(&["type", "account", "market", "leverage"])?;
                let account = self.account("account", false)?;
                let market = self.market("market")?;
                let leverage = Ratio::from_raw(self.raw("leverage")?);
                self.commands.push(Command::SetLeverage {
                    account,
                    market,
                    leverage,
                });
            }
            "funding" => {
                self.keys(&["type", "market", "rate", "premium", "ts"])?;
                let market = self.market("market")?;
                let ts = self.ts("ts")?;
                let (rate, premium) = (self.ratio("rate")?, self.ratio("premium")?);
                self.commands.push(Command::Funding {
                    market,
                    ts,
                    rate,
                    premium,
                });
            }
            "supply" | "borrow" => {
                self.keys(&["type", "account", "asset", "amount", "ts"])?;
                let account = self.account("account", false)?;
                let asset = self.asset("asset")?;
                let amount = self.positive("amount")?;
                self.advance_if_ts()?;
                self.commands.push(match kind {
                    "supply" => Command::Supply {
                        account,
                        asset,
                        amount,
                    },
                    _ => Command::Borrow {
                        account,
                        asset,
                        amount,
                    },
                });
            }
            "repay" | "withdraw_supply" => {
                self.keys(&["type", "account", "asset", "amount", "ts"])?;
                let account = self.account("account", false)?;
                let asset = self.asset("asset")?;
                let amount = self.amount_or_max("amount")?;
                self.advance_if_ts()?;
                self.commands.push(match kind {
                    "repay" => Command::Repay {
                        account,
                        asset,
                        amount,
                    },
                    _ => Command::WithdrawSupply {
                        account,
                        asset,
                        amount,
                    },
                });
            }
            "advance" => {
                self.keys(&["type", "ts"])?;
                let ts = self.ts("ts")?;
                self.commands.push(Command::Advance { ts });
            }
            "liquidate" => {
                self.keys(&["type", "liquidator", "account", "market"])?;
                let liquidator = match self.text("liquidator")? {
                    MARKET_ACCOUNT_NAME => levamp_engine::venue::MARKET_ACCOUNT,
                    _ => self.account("liquidator", false)?,
                };
                let account = self.account("account", false)?;
                let market = match self.lookup("market") {
                    None | Some(Node::Null) => None,
                    Some(_) => Some(self.market("market")?),
                };
                self.commands.push(Command::Liquidate {
                    liquidator,
                    account,
                    market,
                });
            }
            "liquidation_call" => {
                self.keys(&[
                    "type",
                    "liquidator",
                    "account",
                    "collateral_asset",
                    "debt_asset",
                    "debt_to_cover",
                ])?;
                let liquidator = self.account("liquidator", false)?;
                let account = self.account("account", false)?;
                let collateral_asset = self.asset("collateral_asset")?;
                let debt_asset = self.asset("debt_asset")?;
                let debt_to_cover = self.amount_or_max("debt_to_cover")?;
                self.commands.push(Command::LiquidationCall {
                    liquidator,
                    account,
                    collateral_asset,
                    debt_asset,
                    debt_to_cover,
                });
            }
            _ => unreachable_kind(kind)?,
        }
        Ok(())
    }

    /// `venue`: a fresh venue from the preset (first line only).
    fn venue_line(&mut self, first: bool) -> Result<(), InputError> {
        self.keys(&["type", "quote", "rules"])?;
        if !first {
            return err(&self.field("type"), "\"venue\" must be the first line");
        }
        let preset = self.run.preset.clone();
        let rules = match self.lookup("rules") {
            Some(r) => parse_rules(&preset.name, &r.to_value(), &self.field("rules"))?,
            None => preset.rules.clone(),
        };
        let quote = match self.lookup("quote") {
            Some(_) => self.name("quote")?,
            None => preset.quote.clone(),
        };
        // A fresh venue; lines skipped before this one stay reported.
        let skipped = std::mem::take(&mut self.run.skipped);
        *self.run = Run::new(Preset {
            rules,
            quote,
            ..preset
        });
        self.run.skipped = skipped;
        self.run.started = true;
        Ok(())
    }

    /// `market`: lists (or re-lists) a market; fields override the preset's key by key.
    fn market_line(&mut self) -> Result<(), InputError> {
        let mut fields = self.value_map();
        fields.remove("type");
        let name = self.name("market")?;
        fields.remove("market");
        let mut allowed = MARKET_KEYS.to_vec();
        allowed.extend(["type", "market"]);
        self.keys(&allowed)?;
        // Fields given here override the preset's, key by key.
        let mut merged = self
            .run
            .preset
            .markets
            .get(&name)
            .map(|(f, _)| f.clone())
            .unwrap_or_default();
        merged.extend(fields);
        let at = self.at.clone();
        self.list_market(&name, &merged, &at)?;
        Ok(())
    }

    /// `asset`: lists an asset.
    fn asset_line(&mut self) -> Result<(), InputError> {
        let mut allowed = ASSET_KEYS.to_vec();
        allowed.extend(["type", "asset"]);
        self.keys(&allowed)?;
        let name = self.name("asset")?;
        if self.run.venue.asset_id(&name).is_some() {
            return err(
                &self.field("asset"),
                format!(
                    "asset {} is already listed (list assets before using them)",
                    crate::json::quote(&name)
                ),
            );
        }
        let mut merged = self
            .run
            .preset
            .assets
            .get(&name)
            .map(|(f, _)| f.clone())
            .unwrap_or_default();
        let mut fields = self.value_map();
        fields.remove("type");
        fields.remove("asset");
        merged.extend(fields);
        let at = self.at.clone();
        self.list_asset(&name, &merged, &at)?;
        Ok(())
    }

    /// `trade`: a fill at a price between an account and a counterparty (or the market).
    fn trade_line(&mut self) -> Result<(), InputError> {
        self.keys(&[
            "type",
            "account",
            "market",
            "size",
            "price",
            "fee_rate",
            "margin_mode",
            "isolated_margin",
            "leverage",
            "counterparty",
            "counterparty_fee_rate",
            "ts",
        ])?;
        let account = self.account("account", false)?;
        let market = self.market("market")?;
        let counterparty = match self.lookup("counterparty") {
            None | Some(Node::Null) => None,
            Some(_) if self.text("counterparty")? == MARKET_ACCOUNT_NAME => None,
            Some(_) => Some(self.account("counterparty", false)?),
        };
        let size = Base::from_raw(self.raw("size")?);
        let price = Price::from_raw(self.raw("price")?);
        self.advance_if_ts()?;
        self.commands.push(Command::Trade(TradeOrder {
            account,
            market,
            size,
            price,
            fee_rate: self.ratio("fee_rate")?.unwrap_or(Ratio::ZERO),
            counterparty,
            counterparty_fee_rate: self.ratio("counterparty_fee_rate")?.unwrap_or(Ratio::ZERO),
            margin_mode: self.mode("margin_mode")?,
            isolated_margin: self.opt_raw("isolated_margin")?.map(Quote::from_raw),
            leverage: self.ratio("leverage")?,
        }));
        Ok(())
    }
    /// An optional `ts` on a command moves time (and accrues pools) first.
    fn advance_if_ts(&mut self) -> Result<(), InputError> {
        if self.lookup("ts").is_some() {
            let ts = self.ts("ts")?;
            self.commands.push(Command::Advance { ts });
        }
        Ok(())
    }
}

fn unreachable_kind(kind: &str) -> Result<(), InputError> {
    err(
        "type",
        format!("unhandled command {}", crate::json::quote(kind)),
    )
}

mod fields;
#[cfg(test)]
mod tests;
