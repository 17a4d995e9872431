//! The lending side of a simulation (docs/scenarios.md, "Lending"): a
//! snapshot's borrowers are imported into the venue's Aave-style pools, and
//! a keeper liquidates every borrower whose health factor falls below 1 with
//! `liquidationCall`, then sells the seized collateral to the market — the
//! lending half of a cascade.

use crate::venue_ops::{engine, open_funded};
use levamp_core::MathError;
use levamp_core::{Base, Ratio, Round};
use levamp_engine::venue::{AccountId, Command, Event, Venue, VenueError};
use levamp_engine::{health_factor, Account, AssetId, PriceId};
use levamp_io::json::InputError;
use levamp_io::Snapshot;
use std::collections::BTreeSet;

/// Who supplies the borrowed assets at the start.
pub const LENDERS: &str = "lenders";
/// Who liquidates borrowers.
pub const KEEPER: &str = "keeper";

/// The borrowers and their keeper.
#[derive(Clone, Debug, Default)]
pub struct Book {
    pub keeper: AccountId,
    pub borrowers: Vec<AccountId>,
    /// Σ debt at the start, by asset (the keeper's float).
    totals: Vec<(AssetId, Base)>,
}

/// What the keeper did on a path.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LendingStats {
    /// `liquidationCall`s executed.
    pub liquidations: usize,
    /// Value of the debt repaid (quote).
    pub debt_repaid: f64,
    /// Value of the collateral seized, at the oracle price (quote).
    pub collateral_seized: f64,
    /// Value of debt written off as pool deficit (Aave v3.3) (quote).
    pub deficit: f64,
    /// `liquidationCall`s the venue refused by its rules (e.g. the keeper's
    /// balance); arithmetic errors fail the path instead.
    pub refused: usize,
}

fn math(at: &str) -> impl Fn(levamp_core::MathError) -> InputError + '_ {
    move |e| InputError {
        at: at.to_string(),
        message: e.to_string(),
    }
}

/// The venue's asset named like snapshot asset `index`, with its lending pool.
fn pooled(
    venue: &Venue,
    snap: &Snapshot,
    index: u32,
    at: &str,
    role: &str,
) -> Result<AssetId, InputError> {
    let name = &snap.assets[index as usize].name;
    match venue.asset_id(name) {
        Some(id) if venue.pools()[id as usize].is_some() => Ok(id),
        _ => Err(InputError {
            at: format!("{at}.{name}"),
            message: format!(
                "{role} {name} has no lending pool: give it one under [assets.{name}] rate_model = {{optimal_utilization, base, slope1, slope2}} (the aave-v3 preset has them)"
            ),
        }),
    }
}

/// Sets the pools up for a snapshot's borrowers: a lenders' account supplies
/// `Σ borrows ÷ utilization` of each borrowed asset. `None` when nobody borrows.
pub fn lend(
    venue: &mut Venue,
    snap: &Snapshot,
    utilization: f64,
    file: &str,
) -> Result<Option<Book>, InputError> {
    let mut totals: Vec<(AssetId, Base)> = Vec::new();
    for (i, acc) in snap.accounts.iter().enumerate() {
        if acc.borrows.is_empty() {
            continue;
        }
        let at = format!("{file}: accounts[{i}].borrows");
        for h in &acc.borrows {
            let asset = pooled(venue, snap, h.asset, &at, "borrowed asset")?;
            match totals.iter_mut().find(|(a, _)| *a == asset) {
                Some((_, t)) => *t = t.checked_add(h.amount).map_err(math(&at))?,
                None => totals.push((asset, h.amount)),
            }
        }
    }
    if totals.is_empty() {
        return Ok(None);
    }
    let at = "lending.utilization";
    // Rounded down: the lenders supply at least borrows ÷ utilization.
    let utilization = Ratio::from_f64(utilization, Round::Floor).map_err(math(at))?;
    let lenders = open_funded(venue, LENDERS, &[], file)?;
    for &(asset, total) in &totals {
        let amount = total
            .div_ratio(utilization, Round::Ceil)
            .map_err(math(at))?;
        for c in [
            Command::Deposit {
                account: lenders,
                asset,
                amount,
            },
            Command::Supply {
                account: lenders,
                asset,
                amount,
            },
        ] {
            venue.execute(&c).map_err(engine(at))?;
        }
    }
    Ok(Some(Book {
        keeper: 0,
        borrowers: Vec::new(),
        totals,
    }))
}

impl Book {
    /// Supplies a borrower's collateral (every asset with a liquidation
    /// threshold) to its pool and records its debts. Accounts without
    /// borrows are left alone.
    pub fn import_borrower(
        &mut self,
        venue: &mut Venue,
        id: AccountId,
        acc: &Account,
        snap: &Snapshot,
        at: &str,
    ) -> Result<(), InputError> {
        if acc.borrows.is_empty() {
            return Ok(());
        }
        let coll_at = format!("{at}.collateral");
        for h in &acc.collateral {
            let spec = &snap.assets[h.asset as usize];
            if spec.liquidation_threshold.is_zero() || !h.amount.is_positive() {
                continue;
            }
            let asset = pooled(venue, snap, h.asset, &coll_at, "collateral")?;
            venue
                .execute(&Command::Supply {
                    account: id,
                    asset,
                    amount: h.amount,
                })
                .map_err(engine(&format!("{coll_at}.{}", spec.name)))?;
        }
        let debt_at = format!("{at}.borrows");
        for h in &acc.borrows {
            let asset = pooled(venue, snap, h.asset, &debt_at, "borrowed asset")?;
            if h.amount.is_positive() {
                venue
                    .execute(&Command::ImportBorrow {
                        account: id,
                        asset,
                        amount: h.amount,
                    })
                    .map_err(engine(&format!(
                        "{debt_at}.{}",
                        snap.assets[h.asset as usize].name
                    )))?;
            }
        }
        self.borrowers.push(id);
        Ok(())
    }

    /// Opens the keeper with twice the start's debt of every borrowed asset:
    /// enough to repay all of it, interest included.
    pub fn open_keeper(&mut self, venue: &mut Venue, file: &str) -> Result<(), InputError> {
        let mut float = Vec::new();
        for &(asset, total) in &self.totals {
            float.push((asset, total.checked_add(total).map_err(math(file))?));
        }
        self.keeper = open_funded(venue, KEEPER, &float, file)?;
        Ok(())
    }

    /// Each borrower's liquidation price on price key `key` (the level at which
    /// its health factor reaches 1, every other price fixed), for the report.
    pub fn liquidation_prices(&self, venue: &Venue, key: PriceId) -> Result<Vec<f64>, MathError> {
        let mut out = Vec::new();
        for &id in &self.borrowers {
            if let Trigger::Below(p) = Exposure::of(venue, id, key)? {
                out.push(p);
            }
        }
        Ok(out)
    }
}

/// Where a borrower's health factor crosses 1 as the price of one key moves,
/// every other price fixed: `HF(p) = (A + B·p) ÷ (D + E·p)` with `A`, `D` the
/// weighted collateral and the debt not priced by the key and `B`, `E` the
/// units that are. A float estimate (a screen, never the decision).
struct Exposure;

enum Trigger {
    /// Liquidatable below this price.
    Below(f64),
    /// Never liquidatable by this key's moves alone (no debt, or safe at any price).
    Never,
    /// Liquidatable above a price, or regardless of it: check on every pass.
    Always,
}

impl Exposure {
    fn of(venue: &Venue, id: AccountId, key: PriceId) -> Result<Trigger, MathError> {
        let ctx = venue.context();
        let acc = &venue.accounts()[id as usize];
        let (mut a, mut b, mut d, mut e) = (0.0, 0.0, 0.0, 0.0);
        for item in ctx.lending_collateral(acc) {
            let (asset, amount) = item?;
            let w = amount.to_f64_lossy() * asset.liquidation_threshold.to_f64_lossy();
            match asset.price == key {
                true => b += w,
                false => a += w * ctx.prices[asset.price as usize].to_f64_lossy(),
            }
        }
        for item in ctx.debts(acc) {
            let (asset, amount) = item?;
            match asset.price == key {
                true => e += amount.to_f64_lossy(),
                false => {
                    d += amount.to_f64_lossy() * ctx.prices[asset.price as usize].to_f64_lossy()
                }
            }
        }
        Ok(if d + e <= 0.0 {
            Trigger::Never
        } else if b > e {
            match d > a {
                true => Trigger::Below((d - a) / (b - e)),
                false => Trigger::Never,
            }
        } else {
            Trigger::Always
        })
    }
}

/// How far above the price a trigger still gets an exact check: covers the
/// float estimate and interest accrued between refreshes.
const SCREEN: f64 = 1e-3;

/// A per-path screen over the borrowers, so a keeper pass checks exactly only
/// those whose trigger is within [`SCREEN`] of the price (plus those that must
/// always be checked), not every borrower. A liquidated borrower's trigger is
/// recomputed at once; all of them are when a borrow index has grown by a
/// quarter of the screen since they were built (interest raises them). With
/// `exact = false` (other prices move too) every borrower is checked.
pub struct Screen {
    key: PriceId,
    exact: bool,
    /// (trigger as ordered bits, account): liquidatable below the trigger.
    below: BTreeSet<(u64, AccountId)>,
    /// Each borrower's entry in `below`, by account id.
    entry: Vec<Option<u64>>,
    always: BTreeSet<AccountId>,
    built_at: Vec<f64>,
    /// Reused buffers of a keeper pass: candidates, calls, touched borrowers.
    candidates: Vec<AccountId>,
    calls: Vec<Command>,
    touched: Vec<AccountId>,
}

fn borrow_indices(venue: &Venue) -> Vec<f64> {
    venue
        .indices()
        .iter()
        .map(|i| i.borrow_index.raw() as f64)
        .collect()
}

/// A non-negative float as bits that sort like it.
fn bits(p: f64) -> u64 {
    p.max(0.0).to_bits()
}

impl Screen {
    pub fn new(venue: &Venue, book: &Book, key: PriceId, exact: bool) -> Result<Screen, MathError> {
        let mut s = Screen {
            key,
            exact,
            below: BTreeSet::new(),
            entry: vec![None; venue.accounts().len()],
            always: BTreeSet::new(),
            built_at: Vec::new(),
            candidates: Vec::new(),
            calls: Vec::new(),
            touched: Vec::new(),
        };
        s.build(venue, book)?;
        Ok(s)
    }

    fn build(&mut self, venue: &Venue, book: &Book) -> Result<(), MathError> {
        self.below.clear();
        self.always.clear();
        self.entry.iter_mut().for_each(|e| *e = None);
        for &id in &book.borrowers {
            self.place(venue, id)?;
        }
        self.built_at = borrow_indices(venue);
        Ok(())
    }

    /// (Re)computes one borrower's place in the screen.
    fn place(&mut self, venue: &Venue, id: AccountId) -> Result<(), MathError> {
        if let Some(old) = self.entry[id as usize].take() {
            self.below.remove(&(old, id));
        }
        self.always.remove(&id);
        if !self.exact {
            self.always.insert(id);
            return Ok(());
        }
        match Exposure::of(venue, id, self.key)? {
            Trigger::Below(p) => {
                self.below.insert((bits(p), id));
                self.entry[id as usize] = Some(bits(p));
            }
            Trigger::Always => {
                self.always.insert(id);
            }
            Trigger::Never => {}
        }
        Ok(())
    }

    /// The borrowers to check exactly at the key's current price, in id
    /// order, into `self.candidates`.
    fn candidates(&mut self, venue: &Venue, book: &Book) -> Result<(), MathError> {
        let grown = borrow_indices(venue)
            .iter()
            .zip(&self.built_at)
            .any(|(now, then)| *then > 0.0 && now / then - 1.0 > SCREEN / 4.0);
        if grown {
            self.build(venue, book)?;
        }
        let floor = venue.prices()[self.key as usize].to_f64_lossy() * (1.0 - SCREEN);
        let out = &mut self.candidates;
        out.clear();
        out.extend(
            self.below
                .range((bits(floor), 0)..)
                .map(|(_, id)| *id)
                .chain(self.always.iter().copied()),
        );
        out.sort_unstable();
        Ok(())
    }
}

/// The largest holding by value among `items` (asset, amount), if any.
fn largest(venue: &Venue, items: impl Iterator<Item = (AssetId, Base)>) -> Option<AssetId> {
    items
        .filter(|(_, amount)| amount.is_positive())
        .map(|(asset, amount)| {
            let price = venue.prices()[venue.assets()[asset as usize].price as usize];
            (asset, amount.to_f64_lossy() * price.to_f64_lossy())
        })
        .max_by(|x, y| x.1.total_cmp(&y.1))
        .map(|(asset, _)| asset)
}

/// One keeper pass: every borrower whose health factor is below 1 gets one
/// `liquidationCall` (as much as the close factor allows) on its largest
/// collateral and largest debt. Returns what the keeper sells to the market
/// (units by the collateral's price key, appended to `sold`) and the seized
/// value; events in `events`.
pub fn keep(
    venue: &mut Venue,
    book: &Book,
    screen: &mut Screen,
    stats: &mut LendingStats,
    liquidated: &mut crate::marks::Marks,
    events: &mut Vec<Event>,
    sold: &mut Vec<(PriceId, Base)>,
) -> Result<f64, VenueError> {
    screen.candidates(venue, book)?;
    let ctx = venue.context();
    let mut calls = std::mem::take(&mut screen.calls);
    calls.clear();
    for &id in &screen.candidates {
        let acc = &venue.accounts()[id as usize];
        if !matches!(health_factor(acc, &ctx)?, Some(hf) if hf < Ratio::ONE) {
            continue;
        }
        let mut supplied = Vec::new();
        for h in &acc.supplied {
            if !venue.assets()[h.asset as usize]
                .liquidation_threshold
                .is_zero()
            {
                supplied.push((h.asset, ctx.supplied_amount(h)?));
            }
        }
        let mut borrowed = Vec::new();
        for h in &acc.borrows {
            borrowed.push((h.asset, ctx.debt_amount(h)?));
        }
        let collateral = largest(venue, supplied.into_iter());
        let debt = largest(venue, borrowed.into_iter());
        if let (Some(collateral_asset), Some(debt_asset)) = (collateral, debt) {
            calls.push(Command::LiquidationCall {
                liquidator: book.keeper,
                account: id,
                collateral_asset,
                debt_asset,
                debt_to_cover: None,
            });
        }
    }
    let mut value = 0.0;
    let mut touched = std::mem::take(&mut screen.touched);
    touched.clear();
    for call in &calls {
        let from = events.len();
        let done = venue.execute_into(call, events);
        if !crate::agents::attempt(done, &mut stats.refused)? {
            continue;
        }
        for e in &events[from..] {
            let price_of = |asset: AssetId| {
                venue.prices()[venue.assets()[asset as usize].price as usize].to_f64_lossy()
            };
            match e {
                Event::LendingLiquidated {
                    account,
                    debt_asset,
                    debt_repaid,
                    collateral_asset,
                    collateral_seized,
                    protocol_fee,
                    ..
                } => {
                    stats.liquidations += 1;
                    liquidated.venue(*account);
                    touched.push(*account);
                    stats.debt_repaid += debt_repaid.to_f64_lossy() * price_of(*debt_asset);
                    let seized = collateral_seized.to_f64_lossy() * price_of(*collateral_asset);
                    stats.collateral_seized += seized;
                    value += seized;
                    // The keeper sells what it received (the protocol keeps its fee).
                    let key = venue.assets()[*collateral_asset as usize].price;
                    let received = collateral_seized.checked_sub(*protocol_fee)?;
                    sold.push((key, received));
                }
                Event::DeficitRecorded { asset, amount, .. } => {
                    stats.deficit += amount.to_f64_lossy() * price_of(*asset);
                }
                _ => {}
            }
        }
    }
    for &id in &touched {
        screen.place(venue, id)?;
    }
    (screen.calls, screen.touched) = (calls, touched);
    Ok(value)
}
