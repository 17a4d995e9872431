//! Opening many accounts as one command ([`super::Command::OpenAccounts`],
//! a generated population) and one event ([`Event::AccountsOpened`]). The
//! names are sorted once and the name map is built from (or fed in) the
//! sorted run instead of by a million scattered inserts, each a walk of a
//! large tree comparing strings behind pointers. The state equals opening
//! the accounts one by one, in order (only the lists' spare room differs).

use super::event::Event;
use super::state::{Appended, Undo, Venue};
use super::{AccountId, VenueError};
use crate::model::Account;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// Names a task copies at least, where the copies are spread over the
/// cores (most of opening a million accounts is allocating their strings).
const PAR_MIN: usize = 4096;

/// Why a list of names cannot be opened.
pub(crate) enum Refused {
    /// The ids would pass `AccountId::MAX` (how many accounts there would be).
    TooMany(usize),
    /// The first name, in list order, that is taken or given earlier.
    Taken(String),
}

impl Refused {
    /// As a command's error.
    fn command_error(self) -> VenueError {
        match self {
            Refused::TooMany(n) => VenueError::Invalid {
                field: "names",
                reason: format!(
                    "{n} accounts would pass the limit of {} account ids",
                    AccountId::MAX
                ),
            },
            Refused::Taken(name) => VenueError::Exists {
                what: format!("account {name}"),
            },
        }
    }

    /// As a logged event's error.
    pub(crate) fn corrupt(self) -> VenueError {
        let reason = match self {
            Refused::TooMany(n) => format!("{n} accounts pass the limit of account ids"),
            Refused::Taken(name) => format!("account name {name:?} already taken or repeated"),
        };
        VenueError::Corrupt {
            at: "names".into(),
            reason,
        }
    }
}

/// A name's first 16 bytes, zero-padded, as a big-endian number: keys
/// order as the names do wherever they differ (bytes in the first 16, the
/// shorter name first when one is a prefix of the other, unless the longer
/// continues with zero bytes); equal keys are told apart by the names.
fn prefix_key(name: &str) -> u128 {
    let mut bytes = [0u8; 16];
    let n = name.len().min(16);
    bytes[..n].copy_from_slice(&name.as_bytes()[..n]);
    u128::from_be_bytes(bytes)
}

impl Venue {
    /// Opens an account per name, in order (see the module docs): one
    /// `AccountsOpened` event. Refused as a whole when a name is taken or
    /// given twice; the error names the first name that opening them one by
    /// one would have refused.
    pub(crate) fn open_accounts(
        &mut self,
        names: &[String],
        ev: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        if names.is_empty() {
            return Ok(());
        }
        let sorted = self
            .sorted_new_names(names)
            .map_err(Refused::command_error)?;
        let event = Event::AccountsOpened {
            first: self.accounts.len() as AccountId,
            names: names.par_iter().with_min_len(PAR_MIN).cloned().collect(),
        };
        // What `apply` does for the event, without sorting the names again.
        self.push_accounts(names, sorted);
        ev.push(event);
        Ok(())
    }

    /// Applies `AccountsOpened`: checks it fits (the next id, new distinct
    /// names), then opens the accounts.
    pub(crate) fn apply_accounts_opened(
        &mut self,
        first: AccountId,
        names: &[String],
    ) -> Result<(), VenueError> {
        if first as usize != self.accounts.len() {
            return Err(VenueError::Replay(format!(
                "accounts_opened: account {first} out of order: the next account is {}",
                self.accounts.len()
            )));
        }
        let sorted = self.sorted_new_names(names).map_err(Refused::corrupt)?;
        self.push_accounts(names, sorted);
        Ok(())
    }

    /// The names with their new ids, sorted by name, when every name is
    /// new and given once.
    pub(crate) fn sorted_new_names(
        &self,
        names: &[String],
    ) -> Result<Vec<(String, AccountId)>, Refused> {
        let first = self.accounts.len();
        if AccountId::try_from(first + names.len()).is_err() {
            return Err(Refused::TooMany(first + names.len()));
        }
        // Sorted by a 16-byte prefix key first (no string compare for
        // names that differ there, e.g. "acct123" and "acct124"), then
        // the names themselves; each cloned once, in sorted order.
        let mut order: Vec<(u128, u32)> = names
            .iter()
            .zip(0u32..)
            .map(|(n, i)| (prefix_key(n), i))
            .collect();
        order.par_sort_unstable_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| names[a.1 as usize].cmp(&names[b.1 as usize]))
        });
        let entries: Vec<(String, AccountId)> = order
            .into_par_iter()
            .with_min_len(PAR_MIN)
            .map(|(_, i)| (names[i as usize].clone(), first as AccountId + i))
            .collect();
        let existing = &self.names.accounts;
        let repeated = entries.windows(2).any(|w| w[0].0 == w[1].0);
        let taken = match existing.len() <= entries.len() {
            // Few names held: each looked up in the sorted run.
            true => existing
                .keys()
                .any(|k| entries.binary_search_by(|e| e.0.cmp(k)).is_ok()),
            false => entries.iter().any(|e| existing.contains_key(&e.0)),
        };
        if repeated || taken {
            // The first refused in list order (rare: a slower pass).
            let mut seen = BTreeSet::new();
            let name = names
                .iter()
                .find(|n| existing.contains_key(*n) || !seen.insert(n.as_str()))
                .map_or_else(String::new, String::clone);
            return Err(Refused::Taken(name));
        }
        Ok(entries)
    }

    /// Opens the accounts (`sorted`: their names and ids, checked and sorted
    /// by name), undone together by one record (one per account would leave
    /// the undo list with room for a million records after the commit).
    fn push_accounts(&mut self, names: &[String], sorted: Vec<(String, AccountId)>) {
        // `sorted_new_names` checked that the ids fit an `AccountId`.
        self.undo
            .push(Undo::Appended(Appended::Accounts(names.len() as u32)));
        // Room for one holding and one position, a generated trader's: a
        // first push would make room for four (a million such accounts
        // would hold some 400 MB of empty slots). Built on every core (the
        // allocations are most of the cost), in order.
        self.accounts
            .par_extend(names.par_iter().with_min_len(PAR_MIN).map(|name| Account {
                id: name.clone(),
                collateral: Vec::with_capacity(1),
                positions: Vec::with_capacity(1),
                ..Account::default()
            }));
        let map = &mut self.names.accounts;
        match map.len() <= sorted.len() {
            // Built in bulk from the sorted run, then merged (linear in both).
            true => {
                let mut added: BTreeMap<String, AccountId> = sorted.into_iter().collect();
                map.append(&mut added);
            }
            // A few into many: inserted in order, each next to the last (a
            // merge would rebuild the whole map).
            false => map.extend(sorted),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Command, VenueRules};
    use super::*;
    use levamp_core::Base;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("acct{i}")).collect()
    }

    /// Opening a million accounts must not leave a million undo records
    /// (≈ 110 MB) behind: the undo list keeps its room after a commit.
    #[test]
    fn opening_many_keeps_one_undo_record() {
        let mut v = Venue::new(VenueRules::generic(), "USDT");
        v.execute(&Command::OpenAccounts {
            names: names(10_000),
        })
        .unwrap();
        assert_eq!(v.accounts.len(), 10_001);
        assert!(v.undo.capacity() < 64, "{}", v.undo.capacity());
    }

    /// The prefix-key sort orders names as the strings order.
    #[test]
    fn names_sort_as_strings_do() {
        let long = "x".repeat(16);
        let mut names: Vec<String> = [
            "b", "a", "a\0", "a\0b", "ab", "acct10", "acct9", "acct100", "é", "z\u{7f}",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        names.extend([
            format!("{long}b"),
            format!("{long}a"),
            long.clone(),
            format!("{long}\0"),
        ]);
        let v = Venue::new(VenueRules::generic(), "USDT");
        let Ok(sorted) = v.sorted_new_names(&names) else {
            panic!("refused");
        };
        let mut expected: Vec<(String, AccountId)> = names.iter().cloned().zip(1..).collect();
        expected.sort();
        assert_eq!(sorted, expected);
    }

    /// A batch that fails after opening accounts leaves none of them.
    #[test]
    fn a_failed_batch_closes_the_accounts_again() {
        let fresh = Venue::new(VenueRules::generic(), "USDT");
        let mut v = fresh.clone();
        v.execute(&Command::OpenAccount { name: "a".into() })
            .unwrap();
        let before = v.clone();
        let commands = [
            Command::OpenAccounts { names: names(300) },
            Command::Deposit {
                account: 5,
                asset: 0,
                amount: Base::from_raw(7),
            },
            Command::Deposit {
                account: 9_999,
                asset: 0,
                amount: Base::from_raw(1),
            },
        ];
        let mut events = Vec::new();
        assert!(v.execute_all(&commands, &mut events).is_err());
        assert!(events.is_empty());
        assert!(v == before);
        assert_eq!(v.account_names().count(), 2);
        // And the names are free again.
        v.execute_all(&commands[..2], &mut events).unwrap();
        assert_eq!(v.accounts.len(), 302);
    }
}
