//! `Command::OpenAccounts`: many accounts opened as one command must leave
//! the venue (names, accounts, index) and the log exactly as opening them
//! one by one does; a duplicate name refuses the whole command.

use levamp_core::Base;
use levamp_engine::venue::*;
use proptest::prelude::*;

/// A venue with `existing` accounts opened one by one, one of them funded.
fn venue(existing: &[String]) -> Venue {
    let mut v = Venue::new(VenueRules::generic(), "USDT");
    for name in existing {
        v.execute(&Command::OpenAccount { name: name.clone() })
            .unwrap();
    }
    if !existing.is_empty() {
        v.execute(&Command::Deposit {
            account: 1,
            asset: 0,
            amount: Base::from_raw(5),
        })
        .unwrap();
    }
    v
}

fn names() -> impl Strategy<Value = Vec<String>> {
    // Short names from a small alphabet: prefixes of each other, and
    // (before the dedup) duplicates.
    prop::collection::vec("[ab1]{1,4}", 0..40).prop_map(|mut v| {
        let mut seen = std::collections::BTreeSet::new();
        v.retain(|n| seen.insert(n.clone()));
        v
    })
}

proptest! {
    #[test]
    fn bulk_open_equals_one_by_one(all in names(), split in 0usize..40) {
        let split = split.min(all.len());
        let (before, new) = all.split_at(split);
        let mut one_by_one = venue(before);
        for name in new {
            one_by_one.execute(&Command::OpenAccount { name: name.clone() }).unwrap();
        }
        let mut bulk = venue(before);
        let events = bulk.execute(&Command::OpenAccounts { names: new.to_vec() }).unwrap();
        prop_assert!(bulk == one_by_one);
        for (i, name) in new.iter().enumerate() {
            prop_assert_eq!(bulk.account_id(name), Some((split + 1 + i) as AccountId));
        }
        prop_assert!(bulk.account_names().eq(one_by_one.account_names()));
        // One event (none for no names), which replays to the same venue.
        let expected = match new.is_empty() {
            true => vec![],
            false => vec![Event::AccountsOpened { first: split as AccountId + 1, names: new.to_vec() }],
        };
        prop_assert_eq!(&events, &expected);
        let mut again = venue(before);
        for e in &events {
            again.replay_event(e).unwrap();
        }
        prop_assert!(again == bulk);
        // A corrupt copy (a name twice, or the wrong first id) is refused
        // and changes nothing.
        if let Some(name) = new.first() {
            let mut twice = new.to_vec();
            twice.push(name.clone());
            let untouched = venue(before);
            for bad in [
                Event::AccountsOpened { first: split as AccountId + 1, names: twice },
                Event::AccountsOpened { first: split as AccountId + 2, names: new.to_vec() },
            ] {
                let mut v = untouched.clone();
                prop_assert!(v.replay_event(&bad).is_err());
                prop_assert!(v == untouched);
            }
        }
    }

    #[test]
    fn a_duplicate_refuses_the_whole_command(all in names(), split in 0usize..40, pick in 0usize..40) {
        prop_assume!(!all.is_empty());
        let split = split.min(all.len() - 1);
        let (before, new) = all.split_at(split);
        // A name that is already there, or twice in the list.
        let dup = all[pick % (split + 1).min(all.len())].clone();
        let mut list = new.to_vec();
        list.insert(list.len() / 2, dup.clone());
        let mut bulk = venue(before);
        let untouched = bulk.clone();
        let err = bulk.execute(&Command::OpenAccounts { names: list }).unwrap_err();
        prop_assert!(matches!(err, VenueError::Exists { .. }), "{err}");
        prop_assert!(err.to_string().contains(&dup), "{err}");
        prop_assert!(bulk == untouched);
        prop_assert!(bulk.account_names().eq(untouched.account_names()));
    }
}

#[test]
fn bulk_opened_accounts_trade_like_any_other() {
    let mut v = venue(&[]);
    v.execute(&Command::OpenAccounts {
        names: vec!["b".into(), "a".into()],
    })
    .unwrap();
    assert_eq!(v.account_id("b"), Some(1));
    assert_eq!(v.account_id("a"), Some(2));
    assert_eq!(v.account_name(2), "a");
    v.execute(&Command::Deposit {
        account: 2,
        asset: 0,
        amount: Base::from_raw(7),
    })
    .unwrap();
    assert_eq!(v.wallet(2, 0), Base::from_raw(7));
    // An empty list opens nothing.
    assert!(v
        .execute(&Command::OpenAccounts { names: Vec::new() })
        .unwrap()
        .is_empty());
}
