//! Accounts from a `levamp margin` snapshot (`[accounts] snapshot`): its
//! markets, assets, prices and accounts imported into the world's venue in
//! batches, the errors naming the snapshot's JSON path.

use crate::scenario::Scenario;
use crate::setup::named;
use crate::sources::Sources;
use crate::venue_ops::engine;
use levamp_core::Base;
use levamp_engine::venue::{AccountId, Command, Venue};
use levamp_engine::{Asset, MarginMode, MarketId, Position};
use levamp_io::json::InputError;
use levamp_io::{Preset, Snapshot};

/// Imports a snapshot: its markets, assets, prices and accounts. Returns the
/// main market (`None` when no account holds a perp position) and the
/// lending book when accounts borrow.
pub(crate) fn import_snapshot(
    venue: &mut Venue,
    s: &Scenario,
    preset: &Preset,
    sources: &Sources,
    path: &std::path::Path,
    t0: i64,
) -> Result<(Option<MarketId>, Option<crate::lending::Book>), InputError> {
    let text = sources.read(path).map_err(named("accounts.snapshot"))?;
    let file = path.display().to_string();
    let snap = Snapshot::parse(&text, preset).map_err(|e| InputError {
        at: format!("{file}: {}", e.at),
        message: e.message,
    })?;
    for (i, m) in snap.markets.iter().enumerate() {
        let base = snap.price_keys[m.price as usize].clone();
        venue
            .execute(&Command::ListMarket {
                spec: m.clone(),
                base,
            })
            .map_err(engine(&format!("{file}: markets.{}", snap.markets[i].name)))?;
    }
    for a in &snap.assets {
        if venue.asset_id(&a.name).is_none() {
            let key = snap.price_keys[a.price as usize].clone();
            venue
                .execute(&Command::ListAsset {
                    // The venue lists no e-mode categories (yet): no member ids.
                    spec: Box::new(Asset {
                        emode: None,
                        ..a.clone()
                    }),
                    price_key: key,
                })
                .map_err(engine(&file))?;
        }
    }
    for (k, p) in snap.price_keys.iter().zip(&snap.prices) {
        if let Some(id) = venue.price_id(k) {
            if id != venue.assets()[venue.quote() as usize].price {
                venue
                    .execute(&Command::Price {
                        key: id,
                        price: *p,
                        ts: t0,
                        confidence: None,
                    })
                    .map_err(engine(&format!("{file}: prices.{k}")))?;
            }
        }
    }
    let main = match (&s.market, snap.markets.len()) {
        (Some(m), _) => Some(venue.market_id(m).ok_or_else(|| InputError {
            at: "venue.market".into(),
            message: format!(
                "market {} is not in the snapshot",
                levamp_io::json::quote(m)
            ),
        })?),
        (None, 1) => Some(0),
        (None, 0) => None,
        (None, _) => return Err(InputError {
            at: "venue.market".into(),
            message:
                "required: the snapshot has several markets; name the one the price model drives"
                    .into(),
        }),
    };
    let mut book = crate::lending::lend(venue, &snap, s.lending.utilization, &file)?;
    // Accounts are opened, funded and given their positions in batches, one
    // commit each (a borrower's batch is itself: its loans follow at once).
    let name = |i: usize| format!("{file}: accounts[{i}]");
    let (mut commands, mut starts, mut events) = (Vec::new(), Vec::new(), Vec::new());
    let mut next = venue.accounts().len() as AccountId;
    // Without borrowers every account is opened as one command (the name
    // map built once from the sorted names); should that be refused (a name
    // taken), they are opened one by one, which names the account.
    let opened = book.is_none()
        && venue
            .execute_into(
                &Command::OpenAccounts {
                    names: snap.accounts.iter().map(|a| a.id.clone()).collect(),
                },
                &mut events,
            )
            .is_ok();
    for (i, acc) in snap.accounts.iter().enumerate() {
        let from = commands.len();
        let queued = account_commands(venue, &snap, acc, next, opened, &mut commands);
        if from < commands.len() {
            starts.push((i, from));
        }
        if let Err(e) = queued {
            // What this account issued before the error runs first, as it did
            // one command at a time.
            crate::population::import_batch(venue, &commands, &starts, &mut events, &name, &file)?;
            return Err(InputError {
                at: format!("{}{}", name(i), e.at),
                message: e.message,
            });
        }
        next = next.saturating_add(1);
        if starts.len() == crate::population::BATCH
            || book.is_some()
            || i + 1 == snap.accounts.len()
        {
            crate::population::import_batch(venue, &commands, &starts, &mut events, &name, &file)?;
            commands.clear();
            starts.clear();
            if !opened && venue.accounts().len() != next as usize {
                return Err(InputError {
                    at: name(i),
                    message: "the venue did not open the accounts under the next ids".into(),
                });
            }
        }
        if let Some(book) = book.as_mut() {
            book.import_borrower(venue, next - 1, acc, &snap, &name(i))?;
        }
    }
    if let Some(book) = book.as_mut() {
        book.open_keeper(venue, &file)?;
    }
    Ok((main, book))
}

/// The commands that open snapshot account `acc` as account `id` (unless
/// it is `opened` already), deposit
/// its collateral and, per position, its isolated margin and the position
/// at its entry price — what `open_funded` and `import_position` issue, in
/// their order — appended to `commands`. An error's `at` is relative to the
/// account's path; the commands issued before it stay in `commands`.
fn account_commands(
    venue: &Venue,
    snap: &Snapshot,
    acc: &levamp_engine::Account,
    id: AccountId,
    opened: bool,
    commands: &mut Vec<Command>,
) -> Result<(), InputError> {
    if acc.emode.is_some() {
        // The margin model has e-mode; the venue has no command for it yet.
        return Err(InputError {
            at: ".emode".into(),
            message: "e-mode accounts can be evaluated (levamp margin) but not yet simulated; remove \"emode\" to simulate with the reserves' own parameters".into(),
        });
    }
    if !opened {
        commands.push(Command::OpenAccount {
            name: acc.id.clone(),
        });
    }
    for h in acc.collateral.iter().filter(|h| h.amount.is_positive()) {
        let name = &snap.assets[h.asset as usize].name;
        commands.push(Command::Deposit {
            account: id,
            asset: venue.asset_id(name).unwrap_or(venue.quote()),
            amount: h.amount,
        });
    }
    for p in &acc.positions {
        let market = venue
            .market_id(&snap.markets[p.market as usize].name)
            .unwrap_or(0);
        let entry = p.entry_price().map_err(|e| InputError {
            at: String::new(),
            message: e.to_string(),
        })?;
        if p.mode == MarginMode::Isolated && p.isolated_margin.is_positive() {
            commands.push(Command::Deposit {
                account: id,
                asset: venue.quote(),
                amount: Base::from_raw(p.isolated_margin.raw()),
            });
        }
        commands.push(Command::ImportPosition(crate::population::import_order(
            id, market, p, entry,
        )));
    }
    Ok(())
}

/// Deposits an isolated position's margin and imports it at its entry price.
pub(crate) fn import_position(
    venue: &mut Venue,
    id: AccountId,
    market: MarketId,
    p: &Position,
    at: &str,
) -> Result<(), InputError> {
    let entry = p.entry_price().map_err(|e| InputError {
        at: at.into(),
        message: e.to_string(),
    })?;
    if p.mode == MarginMode::Isolated && p.isolated_margin.is_positive() {
        venue
            .execute(&Command::Deposit {
                account: id,
                asset: venue.quote(),
                amount: Base::from_raw(p.isolated_margin.raw()),
            })
            .map_err(engine(at))?;
    }
    let order = crate::population::import_order(id, market, p, entry);
    venue
        .execute(&Command::ImportPosition(order))
        .map(|_| ())
        .map_err(engine(at))
}
