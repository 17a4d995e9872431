//! A generated population (the scenario's `[population]` table): accounts
//! drawn with the run's seed, each from its own stream, survivors only, all opened as one command,
//! then each funded and given its position in one batch.
//! Split from `setup.rs`, which builds the rest of the world.

use crate::scenario::{Population, Scenario};
use crate::venue_ops::{base_units, engine, list_market};
use levamp_core::{Base, Price, Quote, Ratio, Round};
use levamp_engine::venue::{AccountId, Command, Event, TradeOrder, Venue};
use levamp_engine::{scope_health, Account, Holding, MarginMode, MarketId, Position, Scope};
use levamp_io::json::InputError;
use levamp_io::Preset;
use levamp_market::{normal, uniform};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::ops::Range;

/// The order that imports position `p` of `account` at its entry price
/// (no fee, no counterparty: the market account takes the other side).
pub(crate) fn import_order(
    account: AccountId,
    market: MarketId,
    p: &Position,
    entry: Price,
) -> TradeOrder {
    TradeOrder {
        account,
        market,
        size: p.size,
        price: entry,
        fee_rate: Ratio::ZERO,
        counterparty: None,
        counterparty_fee_rate: Ratio::ZERO,
        margin_mode: Some(p.mode),
        isolated_margin: (p.mode == MarginMode::Isolated).then_some(p.isolated_margin),
        leverage: p.leverage,
    }
}

/// A generated population (seeded by the run's seed): survivors only —
/// accounts already liquidatable at the start price are redrawn.
pub(crate) fn generate(
    venue: &mut Venue,
    s: &Scenario,
    preset: &Preset,
    p: &Population,
    start: Price,
    t0: i64,
) -> Result<MarketId, InputError> {
    let name = if p.market.is_empty() {
        s.market.clone().unwrap_or_default()
    } else {
        p.market.clone()
    };
    if name.is_empty() {
        return Err(InputError {
            at: "population.market".into(),
            message: "required: the market the population trades".into(),
        });
    }
    let market = list_market(venue, preset, &name, "population.market")?;
    let key = venue.markets()[market as usize].price;
    venue
        .execute(&Command::Price {
            key,
            price: start,
            ts: t0,
            confidence: None,
        })
        .map_err(engine("price.start"))?;
    // One ChaCha stream per account (common random numbers, see `draw`).
    let streams = ChaCha8Rng::seed_from_u64(s.run.seed ^ 0x005E_ED0F_ACC0_u64);
    // The draws read the market and its price only, which opening and
    // importing accounts do not change: they read them from this copy (no
    // accounts yet, so a small one), and the next batch is drawn on another
    // core while the venue imports this one.
    let reference = venue.clone();
    let draws = Draws {
        streams: &streams,
        p,
        venue: &reference,
        market,
        s0: start.to_f64_lossy(),
    };
    let mut events = Vec::new();
    venue.reserve_accounts(p.accounts);
    // Every account opened as one command (the name map built once from
    // the sorted names), then each drawn, funded and given its position.
    let names = (0..p.accounts)
        .into_par_iter()
        .with_min_len(4096)
        .map(account_name)
        .collect();
    let first = venue.accounts().len() as AccountId;
    venue
        .execute_into(&Command::OpenAccounts { names }, &mut events)
        .map_err(engine("population"))?;
    let opened = |e: &Event| matches!(e, Event::AccountsOpened { first: f, .. } if *f == first);
    if p.accounts > 0 && !events.first().is_some_and(opened) {
        return Err(InputError {
            at: "population".into(),
            message: "the venue did not open the accounts under the next ids".into(),
        });
    }
    // Funded and given their positions in batches: one commit (so one
    // re-index pass, spread over the cores) per batch.
    let batch = |from: usize| from.min(p.accounts)..(from + BATCH).min(p.accounts);
    let mut drawn = draws.batch(batch(0));
    let mut commands = Vec::new();
    let mut starts = Vec::new();
    for from in (0..p.accounts).step_by(BATCH) {
        commands.clear();
        starts.clear();
        for ((i, (position, collateral)), account) in
            batch(from).zip(drawn?).zip(first + from as AccountId..)
        {
            starts.push((i, commands.len()));
            generated_commands(venue, account, collateral, market, &position, &mut commands)
                .map_err(|e| InputError {
                    at: format!("population account {i}"),
                    ..e
                })?;
        }
        let name = |i: usize| format!("population account {i}");
        let next = batch(from + BATCH);
        let (imported, next) = rayon::join(
            || import_batch(venue, &commands, &starts, &mut events, &name, "population"),
            || draws.batch(next),
        );
        imported?;
        drawn = next;
    }
    debug_assert!(
        reference.markets() == venue.markets() && reference.prices() == venue.prices(),
        "the draws' copy of the venue differs from the venue in what they read"
    );
    Ok(market)
}

/// `acct{i}`, generated account `i`'s name, written digit by digit (a
/// million `format!` calls are a visible share of the set-up).
fn account_name(i: usize) -> String {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = i;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let mut name = String::with_capacity(4 + digits.len() - at);
    name.push_str("acct");
    name.extend(digits[at..].iter().map(|&d| char::from(d)));
    name
}

/// Accounts (generated or imported) funded and given their positions per commit.
pub(crate) const BATCH: usize = 4096;

/// Runs a batch of accounts' commands (`starts`: each account's number and
/// first command) as one command list. When it fails, nothing of it stays,
/// and the accounts are run one by one to name the first that fails — the
/// error they would give issued one by one, placed at `name(account)`
/// (at `whole` if none fails alone).
pub(crate) fn import_batch(
    venue: &mut Venue,
    commands: &[Command],
    starts: &[(usize, usize)],
    events: &mut Vec<Event>,
    name: &dyn Fn(usize) -> String,
    whole: &str,
) -> Result<(), InputError> {
    events.clear();
    let Err(batch_error) = venue.execute_all(commands, events) else {
        return Ok(());
    };
    for (n, &(i, from)) in starts.iter().enumerate() {
        let to = starts.get(n + 1).map_or(commands.len(), |s| s.1);
        events.clear();
        venue
            .execute_all(&commands[from..to], events)
            .map_err(|e| InputError {
                at: name(i),
                message: e.to_string(),
            })?;
    }
    Err(InputError {
        at: whole.into(),
        message: batch_error.to_string(),
    })
}

/// What drawing an account reads: the population's streams and parameters,
/// and a venue holding its market at the start price.
struct Draws<'a> {
    streams: &'a ChaCha8Rng,
    p: &'a Population,
    venue: &'a Venue,
    market: MarketId,
    s0: f64,
}

impl Draws<'_> {
    /// Accounts `range` drawn (on the cores rayon has; each from its own
    /// stream, so the result does not depend on how they are shared out):
    /// their positions and collateral, in order, or the first one's error.
    fn batch(&self, range: Range<usize>) -> Result<Vec<(Position, Quote)>, InputError> {
        range
            .into_par_iter()
            .map_init(candidate(self.venue), |acc, i| {
                let mut rng = self.streams.clone();
                rng.set_stream(i as u64);
                draw(&mut rng, self.p, acc, self.venue, self.market, self.s0)
            })
            .collect::<Vec<_>>()
            .into_iter()
            .collect()
    }
}

/// The candidate account a draw checks for health (its lists reused from
/// draw to draw).
fn candidate(venue: &Venue) -> impl Fn() -> Account + '_ {
    move || Account {
        collateral: vec![Holding {
            asset: venue.quote(),
            amount: Base::ZERO,
        }],
        ..Account::default()
    }
}

/// Draws one account: a survivor — a candidate liquidatable at the start
/// price is redrawn (up to 20 tries). `acc` is the candidate checked for
/// health (its lists reused from draw to draw).
///
/// `rng` is this account's own stream (stream `i` of the population's
/// seed), redraws included, so account `i` depends only on the seed, `i` and
/// the parameters: scenarios that differ in one key (`recommend`'s
/// candidates) keep every account that key does not touch (common random
/// numbers; test `a_higher_leverage_cap_changes_only_the_capped_accounts`).
fn draw(
    rng: &mut ChaCha8Rng,
    p: &Population,
    acc: &mut Account,
    venue: &Venue,
    market: MarketId,
    s0: f64,
) -> Result<(Position, Quote), InputError> {
    let fail = |e: levamp_core::MathError| InputError {
        at: "population".into(),
        message: e.to_string(),
    };
    let mut tries = 0;
    loop {
        tries += 1;
        let long = uniform(rng) < p.long_share;
        let isolated = uniform(rng) < p.isolated_share;
        let leverage = (p.leverage_median * (p.leverage_sigma * normal(rng)).exp())
            .clamp(p.leverage_min, p.leverage_max);
        let notional = (p.notional_min * (1.0 - uniform(rng)).powf(-1.0 / p.notional_alpha))
            .min(p.notional_max);
        let entry = s0 * (1.0 + p.entry_dispersion * (2.0 * uniform(rng) - 1.0));
        let entry = Price::from_f64(entry, Round::Floor).map_err(fail)?;
        let size = base_units(notional / entry.to_f64_lossy()).map_err(fail)?;
        let size = if long {
            size
        } else {
            size.checked_neg().map_err(fail)?
        };
        let cost = size.value_at(entry, Round::Ceil).map_err(fail)?;
        // Margin is a requirement: rounded up.
        let margin = Quote::from_f64(notional / leverage, Round::Ceil).map_err(fail)?;
        let mode = if isolated {
            MarginMode::Isolated
        } else {
            MarginMode::Cross
        };
        let pos = Position {
            market,
            size,
            cost,
            mode,
            isolated_margin: if isolated { margin } else { Quote::ZERO },
            leverage: Some(
                Ratio::from_f64(leverage, Round::Floor)
                    .map_err(fail)?
                    .max(Ratio::ONE),
            ),
        };
        let collateral = if isolated { Quote::ZERO } else { margin };
        acc.collateral[0].amount = Base::from_raw(collateral.raw());
        acc.positions.clear();
        acc.positions.push(pos.clone());
        let healthy = !scope_health(acc, Scope::of(acc, 0), &venue.context())
            .map_err(fail)?
            .liquidatable();
        if healthy || tries >= 20 {
            return Ok((pos, collateral));
        }
    }
}

/// The commands that fund a generated (opened) account and import its
/// position — the collateral, then (isolated) the position's margin, as
/// `open_funded` and `import_position` deposit them — appended to `commands`.
fn generated_commands(
    venue: &Venue,
    account: AccountId,
    collateral: Quote,
    market: MarketId,
    p: &Position,
    commands: &mut Vec<Command>,
) -> Result<(), InputError> {
    let entry = p.entry_price().map_err(|e| InputError {
        at: String::new(),
        message: e.to_string(),
    })?;
    let isolated_margin = match p.mode {
        MarginMode::Isolated => p.isolated_margin,
        MarginMode::Cross => Quote::ZERO,
    };
    for amount in [collateral, isolated_margin] {
        if amount.is_positive() {
            commands.push(Command::Deposit {
                account,
                asset: venue.quote(),
                amount: Base::from_raw(amount.raw()),
            });
        }
    }
    commands.push(Command::ImportPosition(import_order(
        account, market, p, entry,
    )));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::account_name;

    #[test]
    fn account_names_are_the_formatted_ones() {
        for i in [0, 1, 9, 10, 99, 100, 12_345, 999_999, 1_000_000, usize::MAX] {
            assert_eq!(account_name(i), format!("acct{i}"));
        }
    }
}
