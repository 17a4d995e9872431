//! JSON views of a venue: the `state` and `conservation` objects of
//! `levamp run` / `levamp replay`, and event lines (JSON Lines).

use crate::json::{number, parse_json, serde_message, InputError};
use crate::script::in_line;
use levamp_core::{Base, Ratio, Round};
use levamp_engine::account_health;
use levamp_engine::venue::{Event, Venue, VenueError};
use serde_json::{json, Map, Value};

fn num<T: ToString>(v: T) -> Value {
    number(v.to_string())
}

fn by_asset(venue: &Venue, pick: impl Fn(usize) -> Base) -> Value {
    let mut m = Map::new();
    for (i, a) in venue.assets().iter().enumerate() {
        let v = pick(i);
        if !v.is_zero() {
            m.insert(a.name.clone(), num(v));
        }
    }
    Value::Object(m)
}

fn state_error(e: levamp_core::MathError) -> InputError {
    InputError {
        at: "state".into(),
        message: e.to_string(),
    }
}

/// The `state` object.
pub fn state_json(venue: &Venue) -> Result<Value, InputError> {
    let ctx = venue.context();
    let accounts: Vec<Value> = (0..venue.accounts().len())
        .map(|i| account_json(venue, &ctx, i))
        .collect::<Result<_, _>>()?;
    let mut state = state_head(venue);
    state.insert("accounts".into(), Value::Array(accounts));
    state.extend(state_totals(venue)?);
    Ok(Value::Object(state))
}

/// [`state_json`] written to `w` an account at a time (the same bytes as
/// serialising it), so memory does not grow with the number of accounts.
pub fn write_state(venue: &Venue, w: &mut dyn std::io::Write) -> Result<(), StateWriteError> {
    let tail = state_totals(venue)?;
    w.write_all(b"{")?;
    for (key, value) in &state_head(venue) {
        serde_json::to_writer(&mut *w, key)?;
        w.write_all(b":")?;
        serde_json::to_writer(&mut *w, value)?;
        w.write_all(b",")?;
    }
    w.write_all(b"\"accounts\":[")?;
    let ctx = venue.context();
    for i in 0..venue.accounts().len() {
        if i > 0 {
            w.write_all(b",")?;
        }
        serde_json::to_writer(&mut *w, &account_json(venue, &ctx, i)?)?;
    }
    w.write_all(b"]")?;
    for (key, value) in &tail {
        w.write_all(b",")?;
        serde_json::to_writer(&mut *w, key)?;
        w.write_all(b":")?;
        serde_json::to_writer(&mut *w, value)?;
    }
    w.write_all(b"}")?;
    Ok(())
}

/// Why [`write_state`] failed: the state (an overflow) or the writer.
#[derive(Debug)]
pub enum StateWriteError {
    State(InputError),
    Io(std::io::Error),
}

impl std::fmt::Display for StateWriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StateWriteError::State(e) => e.fmt(f),
            StateWriteError::Io(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for StateWriteError {}

impl From<InputError> for StateWriteError {
    fn from(e: InputError) -> StateWriteError {
        StateWriteError::State(e)
    }
}

impl From<std::io::Error> for StateWriteError {
    fn from(e: std::io::Error) -> StateWriteError {
        StateWriteError::Io(e)
    }
}

impl From<serde_json::Error> for StateWriteError {
    fn from(e: serde_json::Error) -> StateWriteError {
        StateWriteError::Io(e.into())
    }
}

/// The state's entries before `accounts`: `time`, `prices`.
fn state_head(venue: &Venue) -> Map<String, Value> {
    let prices = venue.price_keys().iter().zip(venue.prices());
    let prices = prices.filter(|(_, p)| p.is_positive());
    let mut head = Map::new();
    head.insert("time".into(), Value::from(venue.now()));
    let prices = prices.map(|(k, p)| (k.clone(), num(*p))).collect();
    head.insert("prices".into(), Value::Object(prices));
    head
}

/// Account `i` of the `state` object.
pub fn account_json(
    venue: &Venue,
    ctx: &levamp_engine::MarginContext<'_>,
    i: usize,
) -> Result<Value, InputError> {
    let fail = state_error;
    let acc = &venue.accounts()[i];
    let id = i as u32;
    let health = account_health(acc, ctx).map_err(fail)?;
    let mut balances = Map::new();
    for h in &acc.collateral {
        balances.insert(venue.asset_name(h.asset), num(h.amount));
    }
    let mut supplied = Map::new();
    for h in &acc.supplied {
        supplied.insert(
            venue.asset_name(h.asset),
            num(venue.supplied(id, h.asset).map_err(fail)?),
        );
    }
    let mut debts = Map::new();
    for h in &acc.borrows {
        debts.insert(
            venue.asset_name(h.asset),
            num(venue.debt(id, h.asset).map_err(fail)?),
        );
    }
    let mut positions = Vec::new();
    for p in &acc.positions {
        let market = &venue.markets()[p.market as usize];
        let mark = venue.prices()[market.price as usize];
        let upnl = p
            .size
            .value_at(mark, Round::Floor)
            .and_then(|v| v.checked_sub(p.cost))
            .map_err(fail)?;
        let entry_price = match p.size.is_zero() {
            true => Value::Null,
            false => num(p.entry_price().map_err(fail)?),
        };
        let mode = match p.mode {
            levamp_engine::MarginMode::Cross => "cross",
            levamp_engine::MarginMode::Isolated => "isolated",
        };
        positions.push(Value::Object(object([
            ("market", Value::from(market.name.as_str())),
            ("size", num(p.size)),
            ("entry_price", entry_price),
            ("margin_mode", Value::from(mode)),
            ("isolated_margin", num(p.isolated_margin)),
            ("unrealized_pnl", num(upnl)),
        ])));
    }
    Ok(Value::Object(object([
        ("id", Value::from(acc.id.as_str())),
        ("balances", Value::Object(balances)),
        ("supplied", Value::Object(supplied)),
        ("debts", Value::Object(debts)),
        ("positions", Value::Array(positions)),
        (
            "health_factor",
            health.health_factor.map_or(Value::Null, num),
        ),
        ("equity", num(health.equity)),
        ("maintenance_margin", num(health.maintenance_margin)),
        ("liquidatable", Value::Bool(health.liquidatable)),
    ])))
}

/// An object of these entries, in this order (values moved in, where
/// `json!` would copy a `Value` by serialising it).
fn object<const N: usize>(entries: [(&str, Value); N]) -> Map<String, Value> {
    entries
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// The state's entries after `accounts`: the funds and the pools.
pub fn state_totals(venue: &Venue) -> Result<Map<String, Value>, InputError> {
    let fail = state_error;
    let mut pools = Map::new();
    for (i, pool) in venue.pools().iter().enumerate() {
        let Some(pool) = pool else { continue };
        let index = venue.indices()[i];
        let supplied = index
            .liquidity_index
            .scale_up(pool.scaled_supply, Round::Floor)
            .map_err(fail)?;
        let borrowed = index
            .borrow_index
            .scale_up(pool.scaled_debt, Round::Ceil)
            .map_err(fail)?;
        let total = pool.cash.checked_add(borrowed).map_err(fail)?;
        let utilization = if total.is_zero() {
            Ratio::ZERO
        } else {
            borrowed.ratio_to(total, Round::Floor).map_err(fail)?
        };
        pools.insert(
            venue.asset_name(i as u32),
            json!({
                "total_supplied": num(supplied),
                "total_borrowed": num(borrowed),
                "cash": num(pool.cash),
                "utilization": num(utilization),
                "borrow_rate": num(pool.borrow_rate),
                "supply_rate": num(pool.supply_rate),
                "liquidity_index": num(index.liquidity_index),
                "borrow_index": num(index.borrow_index),
                "treasury": num(index.liquidity_index.scale_up(pool.treasury_scaled, Round::Floor).map_err(fail)?),
                "deficit": num(pool.deficit),
            }),
        );
    }
    let funds = venue.funds();
    Ok(object([
        (
            "insurance_fund",
            by_asset(venue, |i| funds[i].insurance_fund),
        ),
        ("fees", by_asset(venue, |i| funds[i].fees)),
        ("bad_debt", by_asset(venue, |i| funds[i].bad_debt)),
        (
            "funding_residual",
            by_asset(venue, |i| funds[i].funding_residual),
        ),
        ("pools", Value::Object(pools)),
    ]))
}

/// The `conservation` object: `ok` and each asset's ledger.
pub fn conservation_json(venue: &Venue) -> Result<Value, InputError> {
    let c = venue.conservation().map_err(|e| InputError {
        at: "conservation".into(),
        message: e.to_string(),
    })?;
    let mut assets = Map::new();
    for a in &c.assets {
        assets.insert(
            venue.asset_name(a.asset),
            json!({
                "wallets": num(a.wallets),
                "cost_basis": num(a.cost_basis),
                "pool_cash": num(a.pool_cash),
                "insurance_fund": num(a.insurance_fund),
                "fees": num(a.fees),
                "funding_residual": num(a.funding_residual),
                "bad_debt": num(a.bad_debt),
                "net_deposits": num(a.net_deposits),
                "difference": num(a.difference),
            }),
        );
    }
    let oi: Vec<Value> = c
        .open_interest_mismatch
        .iter()
        .map(|(m, l, s)| json!({"market": venue.markets()[*m as usize].name, "long": num(*l), "short": num(*s)}))
        .collect();
    Ok(json!({
        "ok": c.ok,
        "rule": "per asset: wallets − perp cost basis + pool cash + insurance fund + fees + funding residual − bad debt = deposits − withdrawals; long = short open interest per market",
        "assets": assets,
        "open_interest_mismatch": oi,
    }))
}

/// Parses an event log (JSON Lines); errors name the line.
pub fn parse_events(text: &str) -> Result<Vec<Event>, InputError> {
    log_lines(text).map(|r| r.map(|(_, e)| e)).collect()
}

/// The events of a log with their line numbers, parsed one by one. Keys
/// appear once per object (`line 4: buyer.size: duplicate key`).
fn log_lines(text: &str) -> impl Iterator<Item = Result<(usize, Event), InputError>> + '_ {
    let lines = text.lines().enumerate();
    lines
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            let at = format!("line {}", i + 1);
            let value = parse_json(line).map_err(|e| in_line(&at, e))?;
            let event = serde_json::from_value(value).map_err(|e| InputError {
                at,
                message: format!("not an event: {}", serde_message(&e)),
            })?;
            Ok((i + 1, event))
        })
}

/// An engine refusal of the event on `line`: `line 5: account: account 9
/// does not exist (3 listed)`.
fn refused(line: usize, e: VenueError) -> InputError {
    match e {
        VenueError::Corrupt { at, reason } => InputError {
            at: format!("line {line}: {at}"),
            message: reason,
        },
        other => InputError {
            at: format!("line {line}"),
            message: other.to_string(),
        },
    }
}

/// Replays an event log line by line: each event is checked against the
/// state before it is applied (ids in range, time not going back, …), so a
/// corrupt or reordered log is an error naming the line and the field.
/// Returns the venue and the number of events.
pub fn replay_log(text: &str) -> Result<(Venue, usize), InputError> {
    let mut lines = log_lines(text);
    let first = lines.next().transpose()?;
    let line = first.as_ref().map_or(1, |(n, _)| *n);
    let mut venue = Venue::open_log(first.as_ref().map(|(_, e)| e)).map_err(|_| InputError {
        at: format!("line {line}"),
        message: "an event log starts with a venue_opened event".into(),
    })?;
    let mut count = 1;
    for item in lines {
        let (line, event) = item?;
        venue.replay_event(&event).map_err(|e| refused(line, e))?;
        count += 1;
    }
    Ok((venue, count))
}

/// What `levamp replay` reads: a saved state ([`save_state`], compact or
/// pretty-printed) or an event log (JSON Lines), told apart by the first
/// key of the first object (`rules` for a state, `type` for an event).
/// Returns the venue and the number of events (0 for a state).
pub fn load_venue(text: &str) -> Result<(Venue, usize), InputError> {
    match is_state(text) {
        true => Ok((load_state(text)?, 0)),
        false => replay_log(text),
    }
}

fn is_state(text: &str) -> bool {
    match first_key(text) {
        Some("rules") => true,
        Some("type") => false,
        // Neither: a log's first line is a whole JSON value, a state's is not.
        _ => {
            let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            first.trim() == "{" || parse_json(first).is_err()
        }
    }
}

/// The first key of the object `text` starts with, if it is a plain string.
fn first_key(text: &str) -> Option<&str> {
    let rest = text.trim_start().strip_prefix('{')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    rest.find(['"', '\\']).map(|end| &rest[..end])
}

/// The whole venue state as JSON (exact decimals as strings), to be read
/// back with [`load_state`].
pub fn save_state(venue: &Venue) -> Result<String, InputError> {
    serde_json::to_string(venue).map_err(|e| InputError {
        at: String::new(),
        message: format!("cannot write the state as JSON: {e}"),
    })
}

/// Reads a state written by [`save_state`], checks it ([`Venue::validate`]:
/// ids in range, vectors the right length, tiers well formed, names
/// consistent; duplicate keys refused) and rebuilds its liquidation index.
pub fn load_state(text: &str) -> Result<Venue, InputError> {
    let value = parse_json(text)?;
    let mut venue: Venue = serde_json::from_value(value).map_err(|e| InputError {
        at: String::new(),
        message: format!("not a levamp state: {}", serde_message(&e)),
    })?;
    venue.validate().map_err(|e| match e {
        VenueError::Corrupt { at, reason } => InputError {
            at,
            message: reason,
        },
        other => InputError {
            at: String::new(),
            message: format!("not a valid levamp state: {other}"),
        },
    })?;
    venue.rebuild_index();
    Ok(venue)
}
