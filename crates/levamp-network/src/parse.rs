//! NETWORK.toml → [`Network`], exactly and strictly.
//!
//! Numbers are read from their source text (never through `f64`): `20.0`,
//! `17`, `1_000.5`, `1e3` and the string `"0.1"` are all exact decimals at
//! 12 places. Unknown keys, wrong types, duplicate node ids, obligations
//! naming unknown nodes or a node to itself, a second obligation for the
//! same pair, negative amounts, shocks below −1 or naming unknown nodes,
//! and default costs outside [0, 1] are errors `:LINE: key: message` (the
//! caller puts the file name in front, see [`parse_file`]).

use crate::model::{DefaultCosts, Network, Node, Obligation, Seniority};
use crate::parse_holdings::{RawHolding, RawSellOrder};
use crate::parse_venue::RawVenue;
use levamp_core::{parse_raw, Quote, Ratio};
use levamp_io::json::{did_you_mean, quote};
use levamp_io::InputError;
use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

const TOP: &[&str] = &[
    "name",
    "seniority",
    "default_costs",
    "node",
    "obligation",
    "shock",
    "asset",
    "token",
];
const NODE: &[&str] = &[
    "id",
    "external_assets",
    "external_liabilities",
    "alpha",
    "beta",
    "holdings",
    "capital_ratio",
    "sell_order",
    "venue",
    "venue_follows",
    "venue_scale",
];
const OBLIGATION: &[&str] = &["from", "to", "amount"];
const COSTS: &[&str] = &["alpha", "beta"];
const SHOCK: &[&str] = &["external_assets", "prices"];

/// Parses a network file; errors are `PATH:LINE: key: message`. Without a
/// `name` key the name is the file name without its extension.
pub fn parse_file(path: &Path, text: &str) -> Result<Network, InputError> {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("network");
    parse(text, stem).map_err(|e| InputError {
        at: format!("{}{}", path.display(), e.at),
        message: e.message,
    })
}

/// Parses network text; `name` is the default name. Errors carry
/// `:LINE: key` in `at` (or `:LINE` for malformed TOML).
pub fn parse(text: &str, name: &str) -> Result<Network, InputError> {
    let root = DeTable::parse(text).map_err(|e| InputError {
        at: format!(":{}", e.span().map_or(1, |s| line_of(text, s.start))),
        message: format!(
            "malformed TOML: {}",
            levamp_io::json::clip(e.message(), 200)
        ),
    })?;
    Reader { text }.network(root.get_ref(), name)
}

/// The 1-based line of byte `offset`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

pub(crate) type Value<'i> = Spanned<DeValue<'i>>;

/// The nodes, with each node's holdings and venue keys as written (resolved
/// once assets and tokens are known).
type ParsedNodes = (
    Vec<Node>,
    Vec<Vec<RawHolding>>,
    Vec<RawSellOrder>,
    Vec<RawVenue>,
);

pub(crate) struct Reader<'t> {
    pub(crate) text: &'t str,
}

impl Reader<'_> {
    pub(crate) fn fail<T>(
        &self,
        span: Range<usize>,
        key: &str,
        message: impl Into<String>,
    ) -> Result<T, InputError> {
        Err(InputError {
            at: format!(":{}: {key}", line_of(self.text, span.start)),
            message: message.into(),
        })
    }

    /// The entries of a table, refusing keys not in `allowed`.
    pub(crate) fn entries<'a, 'i>(
        &self,
        table: &'a DeTable<'i>,
        at: &str,
        allowed: &[&str],
    ) -> Result<Vec<(&'a str, &'a Value<'i>)>, InputError> {
        let mut out = Vec::with_capacity(table.len());
        for (k, v) in table.iter() {
            let key = k.get_ref().as_ref();
            if !allowed.contains(&key) {
                let hint = did_you_mean(key, allowed.iter().copied())
                    .map(|s| format!(" (did you mean {s:?}?)"))
                    .unwrap_or_default();
                return self.fail(
                    k.span(),
                    &join(at, key),
                    format!("unknown key{hint}; allowed: {}", allowed.join(", ")),
                );
            }
            out.push((key, v));
        }
        Ok(out)
    }

    pub(crate) fn table<'a, 'i>(
        &self,
        v: &'a Value<'i>,
        at: &str,
    ) -> Result<&'a DeTable<'i>, InputError> {
        match v.get_ref() {
            DeValue::Table(t) => Ok(t),
            _ => self.fail(v.span(), at, "must be a table"),
        }
    }

    pub(crate) fn string<'a>(&self, v: &'a Value<'_>, at: &str) -> Result<&'a str, InputError> {
        match v.get_ref() {
            DeValue::String(s) => Ok(s.as_ref()),
            _ => self.fail(v.span(), at, "must be a string"),
        }
    }

    /// An exact decimal: a TOML integer, float or decimal string.
    pub(crate) fn decimal(&self, v: &Value<'_>, at: &str) -> Result<i128, InputError> {
        let text = match v.get_ref() {
            DeValue::Integer(i) if i.radix() == 10 => i.as_str().replace('_', ""),
            DeValue::Float(f) => f.as_str().replace('_', ""),
            DeValue::String(s) => s.to_string(),
            _ => return self.fail(v.span(), at, "must be a decimal number"),
        };
        parse_raw(&text).or_else(|e| self.fail(v.span(), at, e.to_string()))
    }

    pub(crate) fn amount(&self, v: &Value<'_>, at: &str) -> Result<Quote, InputError> {
        let raw = self.decimal(v, at)?;
        if raw < 0 {
            return self.fail(
                v.span(),
                at,
                format!("must be ≥ 0, got {}", Quote::from_raw(raw)),
            );
        }
        Ok(Quote::from_raw(raw))
    }

    /// A relative change (a shock): ≥ −1.
    pub(crate) fn relative_change(&self, v: &Value<'_>, at: &str) -> Result<Ratio, InputError> {
        let shock = Ratio::from_raw(self.decimal(v, at)?);
        if shock < Ratio::from_int(-1) {
            return self.fail(
                v.span(),
                at,
                format!("a relative change must be ≥ −1 (−100 %), got {shock}"),
            );
        }
        Ok(shock)
    }

    pub(crate) fn fraction(&self, v: &Value<'_>, at: &str) -> Result<Ratio, InputError> {
        let r = Ratio::from_raw(self.decimal(v, at)?);
        if r.is_negative() || r > Ratio::ONE {
            return self.fail(v.span(), at, format!("must be between 0 and 1, got {r}"));
        }
        Ok(r)
    }

    fn network(&self, root: &DeTable<'_>, default_name: &str) -> Result<Network, InputError> {
        let mut name = default_name.to_string();
        let mut seniority = Seniority::PariPassu;
        let mut costs = DefaultCosts::NONE;
        let (mut nodes_v, mut obligations_v, mut shock_v) = (None, None, None);
        let (mut assets_v, mut tokens_v) = (None, None);
        for (key, v) in self.entries(root, "", TOP)? {
            match key {
                "name" => name = self.string(v, key)?.to_string(),
                "seniority" => {
                    seniority = match self.string(v, key)? {
                        "pari_passu" => Seniority::PariPassu,
                        "external_senior" => Seniority::ExternalSenior,
                        other => {
                            return self.fail(
                                v.span(),
                                key,
                                format!(
                                    "must be \"pari_passu\" or \"external_senior\", found {}",
                                    quote(other)
                                ),
                            )
                        }
                    }
                }
                "default_costs" => costs = self.costs(self.table(v, key)?, key, costs)?,
                "node" => nodes_v = Some(v),
                "obligation" => obligations_v = Some(v),
                "asset" => assets_v = Some(v),
                "token" => tokens_v = Some(v),
                _ => shock_v = Some(v),
            }
        }
        let Some(nodes_v) = nodes_v else {
            return self.fail(0..0, "node", "a network needs at least one [[node]]");
        };
        let (mut nodes, raw_holdings, raw_orders, raw_venues) = self.nodes(nodes_v, costs)?;
        let ids: Vec<String> = nodes.iter().map(|n| n.id.clone()).collect();
        let index: HashMap<&str, usize> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i))
            .collect();
        let mut obligations = match obligations_v {
            Some(v) => self.obligations(v, &index, &nodes)?,
            None => Vec::new(),
        };
        let mut assets = match assets_v {
            Some(v) => self.assets(v)?,
            None => Vec::new(),
        };
        let tokens = match tokens_v {
            Some(v) => self.tokens(v, &index, &nodes, &assets)?,
            None => Vec::new(),
        };
        if let Some(v) = shock_v {
            self.shock(v, &index, &mut nodes, &mut assets)?;
        }
        self.holdings(raw_holdings, &mut nodes, &assets, &tokens, &mut obligations)?;
        self.sell_orders(raw_orders, &mut nodes, &assets)?;
        self.venues(raw_venues, &mut nodes, &assets)?;
        Ok(Network {
            name,
            seniority,
            nodes,
            obligations,
            assets,
            tokens,
        })
    }

    fn costs(
        &self,
        t: &DeTable<'_>,
        at: &str,
        mut costs: DefaultCosts,
    ) -> Result<DefaultCosts, InputError> {
        for (key, v) in self.entries(t, at, COSTS)? {
            let fraction = self.fraction(v, &join(at, key))?;
            match key {
                "alpha" => costs.alpha = fraction,
                _ => costs.beta = fraction,
            }
        }
        Ok(costs)
    }

    pub(crate) fn array<'a, 'i>(
        &self,
        v: &'a Value<'i>,
        at: &str,
    ) -> Result<&'a [Value<'i>], InputError> {
        match v.get_ref() {
            DeValue::Array(a) => Ok(a),
            _ => self.fail(
                v.span(),
                at,
                format!("must be an array of tables ([[{at}]])"),
            ),
        }
    }

    fn nodes(&self, v: &Value<'_>, costs: DefaultCosts) -> Result<ParsedNodes, InputError> {
        let mut nodes: Vec<Node> = Vec::new();
        let mut all_holdings = Vec::new();
        let mut orders = Vec::new();
        let mut venues = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, item) in self.array(v, "node")?.iter().enumerate() {
            let at = format!("node[{i}]");
            let t = self.table(item, &at)?;
            let (mut id, mut assets, mut liabilities) = (None, None, None);
            let mut own = costs;
            let (mut holdings, mut capital_ratio) = (Vec::new(), None);
            let mut venue = RawVenue::default();
            let mut order = RawSellOrder::default();
            for (key, v) in self.entries(t, &at, NODE)? {
                let key_at = join(&at, key);
                match key {
                    "id" => id = Some((self.string(v, &key_at)?, v.span())),
                    "external_assets" => assets = Some(self.amount(v, &key_at)?),
                    "external_liabilities" => liabilities = Some(self.amount(v, &key_at)?),
                    "alpha" => own.alpha = self.fraction(v, &key_at)?,
                    "beta" => own.beta = self.fraction(v, &key_at)?,
                    "holdings" => holdings = self.raw_holdings(v, &key_at)?,
                    "sell_order" => order = self.raw_sell_order(v, &key_at)?,
                    "venue" | "venue_follows" | "venue_scale" => {
                        self.venue_key(&mut venue, key, v, &key_at)?
                    }
                    _ => capital_ratio = Some(self.capital_ratio(v, &key_at)?),
                }
            }
            let Some((id, span)) = id else {
                return self.fail(item.span(), &join(&at, "id"), "missing");
            };
            if id.is_empty() {
                return self.fail(span, &join(&at, "id"), "must not be empty");
            }
            let line = line_of(self.text, span.start);
            if let Some(first) = seen.insert(id.to_string(), line) {
                return self.fail(
                    span,
                    &join(&at, "id"),
                    format!("duplicate node id {} (first at line {first})", quote(id)),
                );
            }
            nodes.push(Node {
                id: id.to_string(),
                external_assets: assets.unwrap_or(Quote::ZERO),
                external_liabilities: liabilities.unwrap_or(Quote::ZERO),
                shock: Ratio::ZERO,
                default_costs: own,
                holdings: Vec::new(),
                capital_ratio,
                sell_order: Vec::new(),
                venue: None,
            });
            all_holdings.push(holdings);
            orders.push(order);
            venues.push(venue);
        }
        if nodes.is_empty() {
            return self.fail(v.span(), "node", "a network needs at least one [[node]]");
        }
        Ok((nodes, all_holdings, orders, venues))
    }

    pub(crate) fn node_ref(
        &self,
        v: &Value<'_>,
        at: &str,
        index: &HashMap<&str, usize>,
        nodes: &[Node],
    ) -> Result<usize, InputError> {
        let id = self.string(v, at)?;
        match index.get(id) {
            Some(&i) => Ok(i),
            None => {
                let hint = did_you_mean(id, nodes.iter().map(|n| n.id.as_str()))
                    .map(|s| format!(" (did you mean {s:?}?)"))
                    .unwrap_or_default();
                self.fail(v.span(), at, format!("unknown node id {}{hint}", quote(id)))
            }
        }
    }

    fn obligations(
        &self,
        v: &Value<'_>,
        index: &HashMap<&str, usize>,
        nodes: &[Node],
    ) -> Result<Vec<Obligation>, InputError> {
        let mut out = Vec::new();
        let mut seen: HashMap<(usize, usize), usize> = HashMap::new();
        for (i, item) in self.array(v, "obligation")?.iter().enumerate() {
            let at = format!("obligation[{i}]");
            let t = self.table(item, &at)?;
            let (mut from, mut to, mut amount) = (None, None, None);
            for (key, v) in self.entries(t, &at, OBLIGATION)? {
                let key_at = join(&at, key);
                match key {
                    "from" => from = Some((self.node_ref(v, &key_at, index, nodes)?, v.span())),
                    "to" => to = Some((self.node_ref(v, &key_at, index, nodes)?, v.span())),
                    _ => amount = Some(self.amount(v, &key_at)?),
                }
            }
            let missing = |key: &str| self.fail(item.span(), &join(&at, key), "missing");
            let Some((debtor, span)) = from else {
                return missing("from");
            };
            let Some((creditor, to_span)) = to else {
                return missing("to");
            };
            let Some(amount) = amount else {
                return missing("amount");
            };
            if debtor == creditor {
                return self.fail(
                    to_span,
                    &join(&at, "to"),
                    format!("a node cannot owe itself ({})", quote(&nodes[debtor].id)),
                );
            }
            let line = line_of(self.text, span.start);
            if let Some(first) = seen.insert((debtor, creditor), line) {
                return self.fail(
                    span,
                    &at,
                    format!(
                        "a second obligation from {} to {} (first at line {first}); write their sum once",
                        quote(&nodes[debtor].id),
                        quote(&nodes[creditor].id)
                    ),
                );
            }
            if amount.is_positive() {
                out.push(Obligation {
                    debtor,
                    creditor,
                    amount,
                });
            }
        }
        Ok(out)
    }

    fn shock(
        &self,
        v: &Value<'_>,
        index: &HashMap<&str, usize>,
        nodes: &mut [Node],
        assets: &mut [crate::model::Asset],
    ) -> Result<(), InputError> {
        let t = self.table(v, "shock")?;
        for (key, v) in self.entries(t, "shock", SHOCK)? {
            let at = join("shock", key);
            if key == "prices" {
                self.price_shock(v, &at, assets)?;
                continue;
            }
            let targets = self.table(v, &at)?;
            for (k, change) in targets.iter() {
                let id = k.get_ref().as_ref();
                let key_at = join(&at, id);
                let Some(&i) = index.get(id) else {
                    let hint = did_you_mean(id, nodes.iter().map(|n| n.id.as_str()))
                        .map(|s| format!(" (did you mean {s:?}?)"))
                        .unwrap_or_default();
                    return self.fail(
                        k.span(),
                        &key_at,
                        format!("unknown node id {}{hint}", quote(id)),
                    );
                };
                nodes[i].shock = self.relative_change(change, &key_at)?;
            }
        }
        Ok(())
    }
}

/// `parent.key` (or `key` at the top).
pub(crate) fn join(parent: &str, key: &str) -> String {
    levamp_io::json::child(parent, key)
}
