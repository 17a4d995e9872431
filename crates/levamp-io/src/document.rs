//! A snapshot read in place: the top level and the catalogue are parsed
//! once, the `accounts` array is only cut into its elements, and accounts
//! are then read (and evaluated) one at a time, in ranges that may run in
//! parallel, each with its own [`Reader`]. Memory stays the text plus one
//! account per reader.
//!
//! Errors come out as the whole-document parse would give them: a syntax
//! error or duplicate key anywhere first (the first in the text), then the
//! top level and catalogue, then the first bad account in document order
//! (a bad field, or an id seen before), then the first account that fails
//! to evaluate.

use crate::accounts::parse_account;
use crate::catalog::Catalog;
use crate::json::{self, child, index, InputError};
use crate::preset::Preset;
use crate::report::{evaluate_account, AccountReport};
use crate::scan::{self, Bad, Node, Scanner};
use crate::walk;
use levamp_core::Price;
use levamp_engine::{Account, MarginContext};
use std::borrow::Cow;
use std::collections::HashSet;
use std::ops::Range;

/// Nesting of an account: inside the root object and the `accounts` array.
const ACCOUNT_DEPTH: usize = 2;

/// A snapshot's text with its top level read and its accounts located.
pub struct Document<'a> {
    text: &'a str,
    catalog: Catalog,
    /// Byte range of each element of `accounts` (whitespace included).
    accounts: Vec<(usize, usize)>,
}

/// What the top level gives for `accounts`.
enum AccountsValue<'a> {
    Missing,
    Elements(Vec<(usize, usize)>),
    Other(Node<'a>),
}

/// Reads the root: every entry but an `accounts` array is parsed; that
/// array is only split into its elements.
fn read_root(text: &str) -> Result<(Node<'_>, AccountsValue<'_>), Bad> {
    let mut s = Scanner::new(text, 0, text.len());
    if s.peek() != Some(b'{') {
        let root = s.value(0)?;
        s.end()?;
        return Ok((root, AccountsValue::Missing));
    }
    s.expect(b'{')?;
    let mut entries = Vec::new();
    let mut keys = HashSet::new();
    let mut accounts = AccountsValue::Missing;
    if s.peek() == Some(b'}') {
        s.expect(b'}')?;
    } else {
        loop {
            let key = s.key()?;
            if !keys.insert(key.clone()) {
                return Err(Bad { at: s.pos() });
            }
            if key == "accounts" && s.peek() == Some(b'[') {
                let (elements, end) = scan::split_array(text, s.pos())?;
                s = Scanner::new(text, end, text.len());
                accounts = AccountsValue::Elements(elements);
                entries.push((key, Node::Null));
            } else {
                let value = s.value(1)?;
                if key == "accounts" {
                    accounts = AccountsValue::Other(value.clone());
                }
                entries.push((key, value));
            }
            match s.peek() {
                Some(b',') => s.expect(b',')?,
                Some(b'}') => {
                    s.expect(b'}')?;
                    break;
                }
                _ => return Err(Bad { at: s.pos() }),
            }
        }
    }
    s.end()?;
    Ok((Node::Object(entries), accounts))
}

impl<'a> Document<'a> {
    /// Reads the top level of snapshot `text` over `preset`: syntax,
    /// `quote`, `prices`, `markets`, `assets`, and where each account is.
    pub fn open(text: &'a str, preset: &Preset) -> Result<Document<'a>, InputError> {
        let (root, accounts) = read_root(text).map_err(|bad| scan::syntax_error(text, bad))?;
        let (elements, other) = match accounts {
            AccountsValue::Elements(e) => (Some(e), None),
            AccountsValue::Other(v) => (None, Some(v)),
            AccountsValue::Missing => (None, None),
        };
        // A syntax error inside the accounts comes before any other error.
        let top = |e: InputError| -> InputError {
            for &(start, end) in elements.iter().flatten() {
                if let Err(bad) = scan::parse_range(text, start, end, ACCOUNT_DEPTH) {
                    return scan::syntax_error(text, bad);
                }
            }
            e
        };
        let entries = walk::object(&root, "").map_err(top)?;
        walk::known_keys(
            entries,
            "",
            &[
                "quote",
                "prices",
                "markets",
                "assets",
                "emode_categories",
                "accounts",
            ],
        )
        .map_err(top)?;
        let header: serde_json::Map<String, serde_json::Value> = entries
            .iter()
            .filter(|(k, _)| k != "accounts")
            .map(|(k, v)| (k.to_string(), v.to_value()))
            .collect();
        let catalog = Catalog::new(&header, preset).map_err(top)?;
        if let Some(v) = other {
            // Not an array (an array is split, not parsed): the error.
            walk::array(&v, "accounts").map_err(top)?;
        }
        let accounts = match elements {
            None => return json::err("accounts", "required (an array of accounts)").map_err(top),
            Some(e) => e,
        };
        Ok(Document {
            text,
            catalog,
            accounts,
        })
    }

    /// The number of accounts.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// No accounts.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// A reader with its own copy of the catalogue.
    pub fn reader(&self) -> Reader {
        Reader {
            catalog: self.catalog.clone(),
            venue_prices: Vec::new(),
        }
    }

    /// Reads accounts `range` in order with `reader`, handing each to
    /// `each` (which may evaluate it; its error counts as an evaluation
    /// error). After the first bad account only syntax is checked; after the
    /// first evaluation error accounts are still read but not handed on.
    pub fn read(
        &self,
        reader: &mut Reader,
        range: Range<usize>,
        mut each: impl FnMut(usize, Account, &Reader) -> Result<(), InputError>,
    ) -> Outcome<'a> {
        let mut out = Outcome {
            start: range.start,
            syntax: None,
            bad_account: None,
            evaluation: None,
            ids: Vec::with_capacity(range.len()),
        };
        for i in range {
            let (start, end) = self.accounts[i];
            let node = match scan::parse_range(self.text, start, end, ACCOUNT_DEPTH) {
                Ok(node) => node,
                Err(bad) => {
                    out.syntax = Some(bad);
                    break;
                }
            };
            if out.bad_account.is_some() {
                continue;
            }
            match parse_account(
                &node,
                &walk::At::Index(&walk::At::Text("accounts"), i),
                &mut reader.catalog,
            ) {
                Err(e) => out.bad_account = Some(e),
                Ok((account, venue_prices)) => {
                    reader.venue_prices = venue_prices;
                    out.ids.push(match node.get("id") {
                        Some(Node::String(id)) => id.clone(),
                        _ => Cow::Owned(account.id.clone()),
                    });
                    if out.evaluation.is_none() {
                        out.evaluation = each(i, account, reader).err();
                    }
                }
            }
        }
        out
    }

    /// The first error of the outcomes of consecutive ranges covering the
    /// accounts, as the whole-document parse reports it.
    pub fn first_error(&self, outcomes: Vec<Outcome<'a>>) -> Result<(), InputError> {
        if let Some(bad) = outcomes.iter().find_map(|o| o.syntax) {
            return Err(scan::syntax_error(self.text, bad));
        }
        let mut evaluation = None;
        let mut ids = HashSet::with_capacity(self.accounts.len());
        for o in outcomes {
            let start = o.start;
            for (k, id) in o.ids.into_iter().enumerate() {
                if let Some(id) = ids.replace(id) {
                    return json::err(
                        &child(&index("accounts", start + k), "id"),
                        format!("duplicate account id {}", json::quote(&id)),
                    );
                }
            }
            if let Some(e) = o.bad_account {
                return Err(e);
            }
            evaluation = evaluation.or(o.evaluation);
        }
        evaluation.map_or(Ok(()), Err)
    }
}

/// What reading a range of accounts found.
pub struct Outcome<'a> {
    start: usize,
    syntax: Option<Bad>,
    bad_account: Option<InputError>,
    evaluation: Option<InputError>,
    /// Ids of the accounts read before the first bad one, from `start` on.
    ids: Vec<Cow<'a, str>>,
}

/// Resolves the accounts of one range against its own catalogue (market
/// and asset ids follow first use within the range) and evaluates them.
pub struct Reader {
    pub(crate) catalog: Catalog,
    /// `venue_liquidation_price` of each position of the account last read.
    pub(crate) venue_prices: Vec<Option<Price>>,
}

impl Reader {
    /// The engine's view of the markets, assets and prices met so far.
    pub fn context(&self) -> MarginContext<'_> {
        MarginContext {
            markets: &self.catalog.markets,
            assets: &self.catalog.assets,
            prices: self.catalog.prices(),
            indices: &[],
            lending_collateral: levamp_engine::LendingCollateral::WalletAndSupplied,
            emode_categories: &self.catalog.emode_categories,
            size_premium: levamp_core::Ratio::ZERO,
        }
    }

    /// Evaluates `account`, account `i` of the snapshot, the account this
    /// reader read last (whose venue liquidation prices it holds).
    pub fn evaluate(&self, account: &Account, i: usize) -> Result<AccountReport, InputError> {
        evaluate_account(account, &self.context(), i, &self.venue_prices)
    }
}
