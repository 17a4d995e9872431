//! A stream of commands with the accounts of the commands ahead read into
//! cache while the current one runs ([`Venue::execute_stream`]), and the
//! same for the accounts an oracle update crossed, while they are
//! liquidated one after another.
//!
//! On a venue larger than the cache, a fill between two random accounts
//! spends about half its time waiting for memory: each account's record,
//! then the position and collateral lists and the index slot it points to.
//! Issued [`AHEAD`] commands early, in two stages (the records first, the
//! lists they point to half-way), those loads overlap with the work of the
//! commands in between. Prefetches are hints: they change nothing, so a
//! stream's outcome is exactly that of [`Venue::execute_into`] in a loop.

use super::{AccountId, Command, Event, Venue, VenueError};

/// How many commands ahead the records are fetched (the lists they point to
/// are fetched half as far ahead). Measured on the `venue` bench at 100 k
/// accounts: 4 to 16 do about as well; 2 hides less.
const AHEAD: usize = 8;

/// Asks the CPU to bring the cache line at `p` into all cache levels.
#[inline(always)]
fn hint<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint: it never faults, whatever the address,
    // and changes no memory (SSE, which it needs, is in the x86_64 baseline).
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p as *const i8)
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Stands for "no account" (out of every venue's range: its fetches do nothing).
const NONE: AccountId = AccountId::MAX;

/// The accounts whose records a command reads first.
fn accounts(command: &Command) -> [AccountId; 2] {
    match command {
        Command::Trade(o) | Command::ImportPosition(o) => {
            [o.account, o.counterparty.unwrap_or(NONE)]
        }
        Command::Deposit { account, .. }
        | Command::Withdraw { account, .. }
        | Command::IsolatedMargin { account, .. }
        | Command::SetLeverage { account, .. }
        | Command::Supply { account, .. }
        | Command::WithdrawSupply { account, .. }
        | Command::Borrow { account, .. }
        | Command::ImportBorrow { account, .. }
        | Command::Repay { account, .. } => [*account, NONE],
        Command::Liquidate {
            liquidator,
            account,
            ..
        }
        | Command::LiquidationCall {
            liquidator,
            account,
            ..
        } => [*account, *liquidator],
        _ => [NONE; 2],
    }
}

impl Venue {
    /// Executes `commands` in order, each as its own command exactly as
    /// [`Venue::execute_into`] would (a refused one changes nothing and the
    /// stream goes on), and hands `each` the command's position, its
    /// outcome and its events. `events` is the buffer they are built in
    /// (cleared before each command). Stops at the first error `each`
    /// returns, after that command.
    ///
    /// Faster than the loop on a venue that does not fit in cache: while a
    /// command runs, the accounts of the commands ahead are fetched.
    pub fn execute_stream<E>(
        &mut self,
        commands: &[Command],
        events: &mut Vec<Event>,
        mut each: impl FnMut(usize, Result<(), VenueError>, &[Event]) -> Result<(), E>,
    ) -> Result<(), E> {
        // The accounts of commands i + 1 … i + AHEAD, by position mod AHEAD:
        // fetched records first, their lists when half-way there.
        let mut ahead = [[NONE; 2]; AHEAD];
        for (j, command) in commands.iter().enumerate().take(AHEAD) {
            ahead[j] = accounts(command);
            self.fetch_records(ahead[j]);
        }
        for (i, command) in commands.iter().enumerate() {
            ahead[i % AHEAD] = commands.get(i + AHEAD).map_or([NONE; 2], accounts);
            self.fetch_records(ahead[i % AHEAD]);
            self.fetch_lists(ahead[(i + AHEAD / 2) % AHEAD]);
            events.clear();
            let outcome = self.execute_into(command, events);
            each(i, outcome, events)?;
        }
        Ok(())
    }

    /// While `accounts[i]` is being worked on (a list of accounts an oracle
    /// update crossed): the records of the one [`AHEAD`] places on and the
    /// lists of the one half as far.
    pub(crate) fn fetch_ahead(&self, accounts: &[AccountId], i: usize) {
        if let Some(&far) = accounts.get(i + AHEAD) {
            self.fetch_records([far, NONE]);
        }
        if let Some(&near) = accounts.get(i + AHEAD / 2) {
            self.fetch_lists([near, NONE]);
        }
    }

    /// Stage 1: the accounts' records and index slots.
    fn fetch_records(&self, accounts: [AccountId; 2]) {
        for a in accounts {
            if let Some(account) = self.accounts.get(a as usize) {
                let p = (account as *const crate::model::Account).cast::<u8>();
                hint(p);
                // A record spans two lines (128 bytes, not aligned to them).
                hint(p.wrapping_add(std::mem::size_of::<crate::model::Account>() - 1));
            }
            if let Some(slot) = self.index.slot(a) {
                hint(std::ptr::from_ref(slot));
            }
        }
    }

    /// Stage 2, once the records are in: the lists they point to.
    fn fetch_lists(&self, accounts: [AccountId; 2]) {
        for a in accounts {
            if let Some(account) = self.accounts.get(a as usize) {
                hint(account.positions.as_ptr());
                hint(account.collateral.as_ptr());
            }
            if let Some((_, entries)) = self.index.slot(a) {
                hint(entries.as_ptr());
            }
        }
    }
}
