//! The fire-sale and token part of NETWORK.toml: `[[asset]]`, `[[token]]`,
//! each node's `holdings`, `capital_ratio` and `sell_order`, `[shock]
//! prices`; debt-token
//! holdings become obligations, and a cycle of equity tokens held entirely
//! inside the cycle (its own only backing) is refused.

use crate::model::{Asset, Held, Holding, Impact, Node, Obligation, Token, TokenKind};
use crate::parse::{join, Reader, Value};
use levamp_core::{Base, Price, Quote, Ratio, Round};
use levamp_io::json::{did_you_mean, quote};
use levamp_io::InputError;
use std::collections::HashMap;
use std::ops::Range;
use toml::de::DeValue;

const ASSET: &[&str] = &[
    "id",
    "price",
    "impact",
    "lambda",
    "depth",
    "y",
    "daily_sigma",
    "daily_volume",
];
const TOKEN: &[&str] = &["id", "issuer", "kind", "supply", "face"];

/// A holding as written: the id it names, where, and the units.
pub(crate) struct RawHolding {
    id: String,
    span: Range<usize>,
    units: Base,
}

/// A `sell_order` as written: the asset ids and where each is.
#[derive(Default)]
pub(crate) struct RawSellOrder(Vec<(String, Range<usize>)>);

impl Reader<'_> {
    /// `sell_order = ["ID", …]`: an array of strings (resolved by
    /// [`Reader::sell_orders`] once assets and holdings are known).
    pub(crate) fn raw_sell_order(
        &self,
        v: &Value<'_>,
        at: &str,
    ) -> Result<RawSellOrder, InputError> {
        let wrong = || self.fail(v.span(), at, "must be an array of asset ids");
        let DeValue::Array(items) = v.get_ref() else {
            return wrong();
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items.iter() {
            let DeValue::String(id) = item.get_ref() else {
                return wrong();
            };
            out.push((id.to_string(), item.span()));
        }
        Ok(RawSellOrder(out))
    }

    /// Resolves each node's `sell_order` to asset indices: every id must
    /// name an asset, once, that the node holds.
    pub(crate) fn sell_orders(
        &self,
        raw: Vec<RawSellOrder>,
        nodes: &mut [Node],
        assets: &[Asset],
    ) -> Result<(), InputError> {
        for (i, RawSellOrder(ids)) in raw.into_iter().enumerate() {
            let at = format!("node[{i}].sell_order");
            let mut order: Vec<usize> = Vec::with_capacity(ids.len());
            for (id, span) in ids {
                let Some(a) = assets.iter().position(|a| a.id == id) else {
                    let hint = did_you_mean(&id, assets.iter().map(|a| a.id.as_str()))
                        .map(|s| format!(" (did you mean {s:?}?)"))
                        .unwrap_or_default();
                    return self.fail(span, &at, format!("unknown asset id {}{hint}", quote(&id)));
                };
                if order.contains(&a) {
                    return self.fail(span, &at, format!("asset {} listed twice", quote(&id)));
                }
                if !nodes[i].holdings.iter().any(|h| h.of == Held::Asset(a)) {
                    return self.fail(
                        span,
                        &at,
                        format!(
                            "node {} does not hold asset {}",
                            quote(&nodes[i].id),
                            quote(&id)
                        ),
                    );
                }
                order.push(a);
            }
            nodes[i].sell_order = order;
        }
        Ok(())
    }

    /// `holdings = { ID = units, … }`: units ≥ 0 (0 is dropped).
    pub(crate) fn raw_holdings(
        &self,
        v: &Value<'_>,
        at: &str,
    ) -> Result<Vec<RawHolding>, InputError> {
        let t = self.table(v, at)?;
        let mut out = Vec::new();
        for (k, units) in t.iter() {
            let id = k.get_ref().as_ref();
            let key_at = join(at, id);
            let units = Base::from_raw(self.amount(units, &key_at)?.raw());
            if units.is_positive() {
                out.push(RawHolding {
                    id: id.to_string(),
                    span: k.span(),
                    units,
                });
            }
        }
        Ok(out)
    }

    /// A minimum capital ratio in (0, 1].
    pub(crate) fn capital_ratio(&self, v: &Value<'_>, at: &str) -> Result<Ratio, InputError> {
        let r = self.fraction(v, at)?;
        if r.is_zero() {
            return self.fail(v.span(), at, "must be above 0 (omit it for no constraint)");
        }
        Ok(r)
    }

    fn positive(&self, v: &Value<'_>, at: &str) -> Result<i128, InputError> {
        let raw = self.amount(v, at)?.raw();
        if raw == 0 {
            return self.fail(v.span(), at, "must be > 0");
        }
        Ok(raw)
    }

    /// `[[asset]]`: id, price, and the impact model's parameters.
    pub(crate) fn assets(&self, v: &Value<'_>) -> Result<Vec<Asset>, InputError> {
        let mut out: Vec<Asset> = Vec::new();
        for (i, item) in self.array(v, "asset")?.iter().enumerate() {
            let at = format!("asset[{i}]");
            let t = self.table(item, &at)?;
            let mut id = None;
            let mut price = None;
            let mut model = ("linear", item.span());
            let mut params: HashMap<&str, (i128, Range<usize>)> = HashMap::new();
            for (key, v) in self.entries(t, &at, ASSET)? {
                let key_at = join(&at, key);
                match key {
                    "id" => id = Some((self.string(v, &key_at)?, v.span())),
                    "price" => price = Some(Price::from_raw(self.positive(v, &key_at)?)),
                    "impact" => model = (self.string(v, &key_at)?, v.span()),
                    _ => {
                        params.insert(key, (self.positive(v, &key_at)?, v.span()));
                    }
                }
            }
            let Some((id, id_span)) = id else {
                return self.fail(item.span(), &join(&at, "id"), "missing");
            };
            self.fresh_id(id, id_span, &join(&at, "id"), &out, &[])?;
            let Some(price) = price else {
                return self.fail(item.span(), &join(&at, "price"), "missing");
            };
            let impact = self.impact(model, &params, &at, item.span(), price)?;
            out.push(Asset {
                id: id.to_string(),
                price,
                shock: Ratio::ZERO,
                impact,
            });
        }
        Ok(out)
    }

    fn impact(
        &self,
        (model, span): (&str, Range<usize>),
        params: &HashMap<&str, (i128, Range<usize>)>,
        at: &str,
        item: Range<usize>,
        price: Price,
    ) -> Result<Impact, InputError> {
        let (wanted, forbidden): (&[&str], &[&str]) = match model {
            "linear" => (&[], &["y", "daily_sigma", "daily_volume"]),
            "sqrt" => (&["y", "daily_sigma", "daily_volume"], &["lambda", "depth"]),
            other => {
                return self.fail(
                    span,
                    &join(at, "impact"),
                    format!("must be \"linear\" or \"sqrt\", found {}", quote(other)),
                )
            }
        };
        if let Some(k) = forbidden.iter().find(|k| params.contains_key(**k)) {
            return self.fail(
                params[k].1.clone(),
                &join(at, k),
                format!("not a parameter of impact = \"{model}\""),
            );
        }
        if let Some(k) = wanted.iter().find(|k| !params.contains_key(**k)) {
            return self.fail(
                item,
                &join(at, k),
                format!("missing (impact = \"{model}\")"),
            );
        }
        if model == "sqrt" {
            return Ok(Impact::Sqrt {
                y: Ratio::from_raw(params["y"].0),
                daily_sigma: Ratio::from_raw(params["daily_sigma"].0),
                daily_volume: Base::from_raw(params["daily_volume"].0),
            });
        }
        let lambda = match (params.get("lambda"), params.get("depth")) {
            (Some(_), Some((_, s))) => {
                return self.fail(
                    s.clone(),
                    &join(at, "depth"),
                    "give lambda or depth, not both",
                )
            }
            (Some((l, _)), None) => Price::from_raw(*l),
            // Selling `depth` units takes the price to zero: λ = p / depth,
            // rounded up (a steeper fall is the conservative side).
            (None, Some((d, s))) => match Quote::from_raw(price.raw())
                .per_unit(Base::from_raw(*d), Round::Ceil)
            {
                Ok(l) => l,
                Err(_) => return self.fail(s.clone(), &join(at, "depth"), "out of range"),
            },
            (None, None) => {
                return self.fail(
                    item,
                    &join(at, "lambda"),
                    "missing: give lambda (price drop per unit sold) or depth (units that take the price to zero)",
                )
            }
        };
        Ok(Impact::Linear { lambda })
    }

    /// An id not used by an earlier asset or token.
    fn fresh_id(
        &self,
        id: &str,
        span: Range<usize>,
        at: &str,
        assets: &[Asset],
        tokens: &[Token],
    ) -> Result<(), InputError> {
        if id.is_empty() {
            return self.fail(span, at, "must not be empty");
        }
        if assets.iter().any(|a| a.id == id) || tokens.iter().any(|t| t.id == id) {
            return self.fail(
                span,
                at,
                format!("duplicate asset or token id {}", quote(id)),
            );
        }
        Ok(())
    }

    /// `[[token]]`: id, issuer, kind (`equity` / `debt`), supply, face.
    pub(crate) fn tokens(
        &self,
        v: &Value<'_>,
        index: &HashMap<&str, usize>,
        nodes: &[Node],
        assets: &[Asset],
    ) -> Result<Vec<Token>, InputError> {
        let mut out: Vec<Token> = Vec::new();
        for (i, item) in self.array(v, "token")?.iter().enumerate() {
            let at = format!("token[{i}]");
            let t = self.table(item, &at)?;
            let (mut id, mut issuer, mut kind, mut supply, mut face) =
                (None, None, None, None, None);
            for (key, v) in self.entries(t, &at, TOKEN)? {
                let key_at = join(&at, key);
                match key {
                    "id" => id = Some((self.string(v, &key_at)?, v.span())),
                    "issuer" => issuer = Some(self.node_ref(v, &key_at, index, nodes)?),
                    "kind" => kind = Some((self.string(v, &key_at)?, v.span())),
                    "supply" => supply = Some(Base::from_raw(self.positive(v, &key_at)?)),
                    _ => face = Some((Price::from_raw(self.positive(v, &key_at)?), v.span())),
                }
            }
            let missing = |key: &str| self.fail(item.span(), &join(&at, key), "missing");
            let Some((id, id_span)) = id else {
                return missing("id");
            };
            self.fresh_id(id, id_span.clone(), &join(&at, "id"), assets, &out)?;
            let Some(issuer) = issuer else {
                return missing("issuer");
            };
            let Some(supply) = supply else {
                return missing("supply");
            };
            let kind = match kind {
                Some(("debt", _)) => TokenKind::Debt {
                    face: face.map_or(Price::ONE, |f| f.0),
                },
                Some(("equity", _)) => {
                    if let Some((_, span)) = face {
                        return self.fail(
                            span,
                            &join(&at, "face"),
                            "only a debt token has a face value",
                        );
                    }
                    if out
                        .iter()
                        .any(|t| t.issuer == issuer && t.kind == TokenKind::Equity)
                    {
                        return self.fail(
                            id_span,
                            &join(&at, "kind"),
                            format!(
                                "{} already issues an equity token",
                                quote(&nodes[issuer].id)
                            ),
                        );
                    }
                    TokenKind::Equity
                }
                Some((other, span)) => {
                    return self.fail(
                        span,
                        &join(&at, "kind"),
                        format!("must be \"equity\" or \"debt\", found {}", quote(other)),
                    )
                }
                None => return missing("kind"),
            };
            out.push(Token {
                id: id.to_string(),
                issuer,
                kind,
                supply,
            });
        }
        Ok(out)
    }

    /// `[shock] prices = { ASSET = change }`.
    pub(crate) fn price_shock(
        &self,
        v: &Value<'_>,
        at: &str,
        assets: &mut [Asset],
    ) -> Result<(), InputError> {
        for (k, change) in self.table(v, at)?.iter() {
            let id = k.get_ref().as_ref();
            let key_at = join(at, id);
            let Some(a) = assets.iter_mut().find(|a| a.id == id) else {
                return self.fail(k.span(), &key_at, format!("unknown asset id {}", quote(id)));
            };
            a.shock = self.relative_change(change, &key_at)?;
        }
        Ok(())
    }

    /// Resolves each node's holdings: assets and equity tokens stay
    /// holdings, a debt token becomes an obligation of its issuer to the
    /// holder (`units × face`, rounded up), and the supply not held in the
    /// network is added to the issuer's external liabilities.
    pub(crate) fn holdings(
        &self,
        raw: Vec<Vec<RawHolding>>,
        nodes: &mut [Node],
        assets: &[Asset],
        tokens: &[Token],
        obligations: &mut Vec<Obligation>,
    ) -> Result<(), InputError> {
        let mut held = vec![Base::ZERO; tokens.len()];
        let mut pairs: HashMap<(usize, usize), usize> = obligations
            .iter()
            .enumerate()
            .map(|(k, o)| ((o.debtor, o.creditor), k))
            .collect();
        // (holder, issuer) → where an equity-token holding was written.
        let mut equity_edges: Vec<(usize, usize, Range<usize>)> = Vec::new();
        for (i, list) in raw.into_iter().enumerate() {
            for h in list {
                let at = format!("node[{i}].holdings.{}", h.id);
                let of = if let Some(a) = assets.iter().position(|a| a.id == h.id) {
                    Held::Asset(a)
                } else if let Some(t) = tokens.iter().position(|t| t.id == h.id) {
                    Held::Token(t)
                } else {
                    let ids = assets.iter().map(|a| a.id.as_str());
                    let hint = did_you_mean(&h.id, ids.chain(tokens.iter().map(|t| t.id.as_str())))
                        .map(|s| format!(" (did you mean {s:?}?)"))
                        .unwrap_or_default();
                    return self.fail(
                        h.span,
                        &at,
                        format!("unknown asset or token id {}{hint}", quote(&h.id)),
                    );
                };
                if let Held::Token(t) = of {
                    let token = &tokens[t];
                    if token.issuer == i {
                        return self.fail(
                            h.span,
                            &at,
                            "a node cannot hold its own token (it would be its own backing)",
                        );
                    }
                    held[t] = held[t]
                        .checked_add(h.units)
                        .map_err(|_| self.overflow(&h.span, &at))?;
                    if held[t] > token.supply {
                        return self.fail(
                            h.span,
                            &at,
                            format!(
                                "the network holds {} of token {} but its supply is {}",
                                held[t],
                                quote(&token.id),
                                token.supply
                            ),
                        );
                    }
                    if let TokenKind::Debt { face } = token.kind {
                        let owed = h
                            .units
                            .value_at(face, Round::Ceil)
                            .map_err(|_| self.overflow(&h.span, &at))?;
                        add_obligation(obligations, &mut pairs, token.issuer, i, owed)
                            .map_err(|_| self.overflow(&h.span, &at))?;
                        continue;
                    }
                    equity_edges.push((i, token.issuer, h.span.clone()));
                }
                nodes[i].holdings.push(Holding { of, units: h.units });
            }
        }
        for (t, token) in tokens.iter().enumerate() {
            if let TokenKind::Debt { face } = token.kind {
                let outside = token
                    .supply
                    .checked_sub(held[t])
                    .and_then(|u| u.value_at(face, Round::Ceil));
                let issuer = &mut nodes[token.issuer];
                match outside.and_then(|o| issuer.external_liabilities.checked_add(o)) {
                    Ok(x) => issuer.external_liabilities = x,
                    Err(_) => {
                        return self.fail(
                            0..0,
                            &format!("token[{t}].supply"),
                            "arithmetic overflow",
                        )
                    }
                }
            }
        }
        self.no_closed_cycle(&equity_edges, nodes, tokens)
    }

    fn overflow(&self, span: &Range<usize>, at: &str) -> InputError {
        self.fail::<()>(span.clone(), at, "arithmetic overflow")
            .unwrap_err()
    }

    /// Refuses a cycle of equity holdings whose every member's equity token
    /// is held entirely by members of the cycle: its value has no outside
    /// anchor (the holdings matrix has spectral radius 1 there, so the
    /// valuation is either 0 or does not converge). Any other holdings
    /// cycle leaks a share to outside owners and converges geometrically.
    fn no_closed_cycle(
        &self,
        edges: &[(usize, usize, Range<usize>)],
        nodes: &[Node],
        tokens: &[Token],
    ) -> Result<(), InputError> {
        let n = nodes.len();
        let mut out_edges = vec![Vec::new(); n];
        for (holder, issuer, _) in edges {
            out_edges[*holder].push(*issuer);
        }
        let component = crate::tokens::components(&out_edges);
        let mut size = vec![0usize; n];
        for &c in &component {
            size[c] += 1;
        }
        // Units of each issuer's equity token held inside its component.
        let mut inside = vec![Base::ZERO; n];
        let equity_of: HashMap<usize, usize> = tokens
            .iter()
            .enumerate()
            .filter(|(_, t)| t.kind == TokenKind::Equity)
            .map(|(k, t)| (t.issuer, k))
            .collect();
        for (holder, issuer, _) in edges {
            if component[*holder] == component[*issuer] {
                let t = equity_of[issuer];
                let units = nodes[*holder]
                    .holdings
                    .iter()
                    .filter(|h| h.of == Held::Token(t))
                    .fold(Base::ZERO, |a, h| Base::from_raw(a.raw() + h.units.raw()));
                inside[*issuer] = Base::from_raw(inside[*issuer].raw() + units.raw());
            }
        }
        for (holder, issuer, span) in edges {
            let c = component[*issuer];
            if component[*holder] != c || size[c] < 2 {
                continue;
            }
            let members: Vec<usize> = (0..n).filter(|&i| component[i] == c).collect();
            let closed = members.iter().all(|&m| {
                equity_of
                    .get(&m)
                    .is_some_and(|&t| inside[m] == tokens[t].supply)
            });
            if closed {
                let ids: Vec<String> = members.iter().map(|&m| quote(&nodes[m].id)).collect();
                return self.fail(
                    span.clone(),
                    &format!("node[{holder}].holdings.{}", tokens[equity_of[issuer]].id),
                    format!(
                        "the equity tokens of {} are held entirely by each other: a cycle that is its own only backing has no value to converge to; let an outside owner hold part of one",
                        ids.join(", ")
                    ),
                );
            }
        }
        Ok(())
    }
}

/// Adds `amount` to the obligation `debtor → creditor` (creating it).
fn add_obligation(
    obligations: &mut Vec<Obligation>,
    pairs: &mut HashMap<(usize, usize), usize>,
    debtor: usize,
    creditor: usize,
    amount: Quote,
) -> Result<(), levamp_core::MathError> {
    match pairs.get(&(debtor, creditor)) {
        Some(&k) => obligations[k].amount = obligations[k].amount.checked_add(amount)?,
        None => {
            pairs.insert((debtor, creditor), obligations.len());
            obligations.push(Obligation {
                debtor,
                creditor,
                amount,
            });
        }
    }
    Ok(())
}
