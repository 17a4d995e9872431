//! Fire sales and token valuation solved jointly with clearing: the
//! cascade (Cifuentes, Shin & Ferrucci 2005, with the Eisenberg–Noe
//! clearing of [`crate::clear`]; docs/contagion.md has the proof).
//!
//! A node's external assets are its (shocked) cash plus its marketable
//! holdings at the current prices plus its equity tokens at their current
//! value. One round: clear the payments with those external assets; give
//! every equity token the value `⌊max(equity of its issuer, 0) ÷ supply⌋`;
//! every node with a `capital_ratio` `r*` and equity `E` keeps at most
//! `⌊E ÷ r*⌋` of marketable holdings (all sold if `E ≤ 0`), selling the rest
//! from the assets of its `sell_order` first, each until exhausted, then
//! pro rata across the others (the units kept rounded down, so the units
//! sold round up); each asset's price becomes its impact model's price at
//! the aggregate units sold. Sales execute at the final price, so a sale
//! turns units into cash of equal marked value and only the constraint and
//! the prices see it.
//!
//! The iteration starts at the top — shocked prices, no sales, token values
//! at full payment — and every quantity moves one way only: prices and
//! token values never rise, units sold never fall (each update takes the
//! min / max with the previous value). It stops after the first round that
//! changes no token value and no node's units sold: prices are then
//! unchanged too, and the last clearing is the result. The state is a
//! vector of integers that moves monotonically inside a bounded box, so
//! the iteration ends.

use crate::clearing::{clear, Clearing, ClearingError};
use crate::impact::price_after;
use crate::liabilities::Liabilities;
use crate::model::{Held, Network, TokenKind};
use crate::tokens::equity_per_unit;
use crate::venue::{update_losses, NoVenues, VenueRunner};
use levamp_core::{mul_div, Base, MathError, Price, Quote, Round};

/// Cascade rounds allowed before giving up (each is one clearing).
pub const MAX_ROUNDS: usize = 100_000;

/// Rounds of the starting token valuation allowed before giving up.
const MAX_TOKEN_ROUNDS: usize = 1_000_000;

/// What a node lost, by channel; `baseline − shock − prices − tokens −
/// obligations` is its final equity, where `baseline` is its equity with
/// no shock, unshocked prices, full payments and the starting token values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Losses {
    /// The exogenous shock: to cash and to the prices of its holdings.
    pub shock: Quote,
    /// Fire sales: its marketable holdings marked from the shocked prices
    /// down to the final prices.
    pub prices: Quote,
    /// Its equity tokens marked from their starting value to their final
    /// value.
    pub tokens: Quote,
    /// What its debtors did not pay: `Σ_j L_ji − r_i`.
    pub obligations: Quote,
    /// A venue node's scenario loss deducted from its external assets
    /// (the running maximum, capped at what it had; 0 for other nodes).
    pub venue: Quote,
}

/// One round of the cascade as it started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoundRecord {
    /// Asset prices the round cleared with.
    pub prices: Vec<Price>,
    /// Nodes in default after its clearing.
    pub defaults: usize,
    /// Nodes that had sold something.
    pub sellers: usize,
    /// `Σ (p̄ − p)` of its clearing.
    pub shortfall: Quote,
}

/// The joint fixed point of payments, prices and token values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cascade {
    /// The final clearing (its `external_assets` are cash + holdings at the
    /// final prices and token values).
    pub clearing: Clearing,
    /// Asset prices after the shock, before any sale.
    pub shocked_prices: Vec<Price>,
    /// Final asset prices.
    pub prices: Vec<Price>,
    /// Units of each asset sold in total.
    pub units_sold: Vec<Base>,
    /// Units each node sold, aligned with its `holdings` (0 for tokens).
    pub sold: Vec<Vec<Base>>,
    /// Value of one unit of each token: equity per share, or recovery
    /// rate × face for a debt token (rounded down).
    pub token_values: Vec<Price>,
    /// Each node's losses by channel.
    pub losses: Vec<Losses>,
    /// Each node's `baseline` equity (see [`Losses`]).
    pub baseline_equity: Vec<Quote>,
    /// Rounds of the cascade, the first at the shocked prices: one more
    /// than the rounds that changed sales or token values.
    pub history: Vec<RoundRecord>,
}

impl Cascade {
    /// Rounds that changed sales, prices or token values (0: none did).
    pub fn rounds(&self) -> usize {
        self.history.len() - 1
    }
}

fn overflow(what: &str) -> impl Fn(MathError) -> ClearingError + '_ {
    move |_| ClearingError::Overflow {
        what: what.to_string(),
    }
}

/// Runs the cascade of `net` (module documentation); a venue node is an
/// error here (use [`cascade_with`]).
pub fn cascade(net: &Network) -> Result<Cascade, ClearingError> {
    cascade_with(net, &mut NoVenues)
}

/// Runs the cascade of `net` with `runner` supplying the losses of its
/// venue nodes (`crate::venue`): each round, before clearing, every venue
/// node's loss at the current price of the asset it follows raises its
/// running maximum, which is deducted from its external assets.
pub fn cascade_with(net: &Network, runner: &mut dyn VenueRunner) -> Result<Cascade, ClearingError> {
    let n = net.nodes.len();
    let cash = net
        .shocked_external_assets()
        .map_err(overflow("shocked external assets"))?;
    let shocked_prices = net
        .assets
        .iter()
        .map(|a| a.shocked_price())
        .collect::<Result<Vec<_>, _>>()
        .map_err(overflow("shocked prices"))?;
    let liab = Liabilities::of(net).map_err(overflow("total obligations"))?;
    let owed_to = owed_to(net)?;
    let start_values = starting_token_values(net, &cash, &shocked_prices, &liab, &owed_to)?;
    let mut prices = shocked_prices.clone();
    let mut values = start_values.clone();
    let mut sold: Vec<Vec<Base>> = net
        .nodes
        .iter()
        .map(|node| vec![Base::ZERO; node.holdings.len()])
        .collect();
    let mut history = Vec::new();
    let mut venue_loss = vec![Quote::ZERO; n];
    loop {
        update_losses(net, &prices, runner, &mut venue_loss)?;
        let assets = external_assets(net, &cash, &prices, &values, &venue_loss)?;
        let c = clear(net, &assets)?;
        history.push(RoundRecord {
            prices: prices.clone(),
            defaults: c.defaulted.iter().filter(|&&d| d).count(),
            sellers: sold
                .iter()
                .filter(|s| s.iter().any(|u| u.is_positive()))
                .count(),
            shortfall: c.total_shortfall().map_err(overflow("shortfall"))?,
        });
        let equity: Vec<Quote> = (0..n)
            .map(|i| c.equity(i))
            .collect::<Result<_, _>>()
            .map_err(overflow("equity"))?;
        let mut changed = false;
        for (t, token) in net.tokens.iter().enumerate() {
            if token.kind == TokenKind::Equity {
                let v = equity_per_unit(equity[token.issuer], token.supply)
                    .map_err(overflow("token value"))?;
                if v < values[t] {
                    values[t] = v;
                    changed = true;
                }
            }
        }
        for (i, node) in net.nodes.iter().enumerate() {
            if let Some(r) = node.capital_ratio {
                let target = sales(net, i, &prices, equity[i], r)?;
                for (k, units) in target.into_iter().enumerate() {
                    if units > sold[i][k] {
                        sold[i][k] = units;
                        changed = true;
                    }
                }
            }
        }
        if !changed {
            return finish(
                net,
                c,
                FinishInput {
                    cash,
                    shocked_prices,
                    prices,
                    sold,
                    start_values,
                    values,
                    owed_to,
                    history,
                },
            );
        }
        let units_sold = aggregate(net, &sold)?;
        for (a, asset) in net.assets.iter().enumerate() {
            let p = price_after(shocked_prices[a], &asset.impact, units_sold[a])
                .map_err(overflow("price impact"))?;
            prices[a] = prices[a].min(p);
        }
        if history.len() > MAX_ROUNDS {
            return Err(ClearingError::NotSettled {
                what: "fire sales".into(),
                rounds: MAX_ROUNDS,
            });
        }
    }
}

/// `Σ_j L_ji`: what node `i` is owed by other nodes.
fn owed_to(net: &Network) -> Result<Vec<Quote>, ClearingError> {
    let mut owed = vec![Quote::ZERO; net.nodes.len()];
    for o in &net.obligations {
        owed[o.creditor] = owed[o.creditor]
            .checked_add(o.amount)
            .map_err(overflow("receivables"))?;
    }
    Ok(owed)
}

/// The value of node `i`'s holdings: assets at `prices`, equity tokens at
/// `values`, each rounded down. Returns (assets, tokens).
fn holdings_value(
    net: &Network,
    i: usize,
    prices: &[Price],
    values: &[Price],
) -> Result<(Quote, Quote), ClearingError> {
    let (mut assets, mut tokens) = (Quote::ZERO, Quote::ZERO);
    for h in &net.nodes[i].holdings {
        let (sum, price) = match h.of {
            Held::Asset(a) => (&mut assets, prices[a]),
            Held::Token(t) => (&mut tokens, values[t]),
        };
        let v = h
            .units
            .value_at(price, Round::Floor)
            .map_err(overflow("holdings value"))?;
        *sum = sum.checked_add(v).map_err(overflow("holdings value"))?;
    }
    Ok((assets, tokens))
}

/// Every node's external assets: cash + holdings − its venue loss, never
/// below 0.
fn external_assets(
    net: &Network,
    cash: &[Quote],
    prices: &[Price],
    values: &[Price],
    venue_loss: &[Quote],
) -> Result<Vec<Quote>, ClearingError> {
    (0..net.nodes.len())
        .map(|i| {
            let (a, t) = holdings_value(net, i, prices, values)?;
            let gross = cash[i]
                .checked_add(a)
                .and_then(|x| x.checked_add(t))
                .map_err(overflow("external assets"))?;
            gross
                .checked_sub(venue_loss[i].min(gross))
                .map_err(overflow("external assets"))
        })
        .collect()
}

/// Equity-token values when everyone pays in full at the shocked prices:
/// the least fixed point of `v_t = ⌊max(E_issuer(v), 0) ÷ supply⌋`, by
/// iteration up from 0 (monotone; it ends because a cycle of holdings
/// always leaks a share to outside owners, which parsing checks). Every
/// cascade quantity is at or below this point, so the descent starts
/// above its fixed point.
fn starting_token_values(
    net: &Network,
    cash: &[Quote],
    prices: &[Price],
    liab: &Liabilities,
    owed_to: &[Quote],
) -> Result<Vec<Price>, ClearingError> {
    let mut values = vec![Price::ZERO; net.tokens.len()];
    if net.tokens.iter().all(|t| t.kind != TokenKind::Equity) {
        return Ok(values);
    }
    for _ in 0..MAX_TOKEN_ROUNDS {
        let mut changed = false;
        for (t, token) in net.tokens.iter().enumerate() {
            if token.kind != TokenKind::Equity {
                continue;
            }
            let i = token.issuer;
            let (a, h) = holdings_value(net, i, prices, &values)?;
            let equity = cash[i]
                .checked_add(a)
                .and_then(|x| x.checked_add(h))
                .and_then(|x| x.checked_add(owed_to[i]))
                .and_then(|x| x.checked_sub(Quote::from_raw(liab.total[i])))
                .map_err(overflow("equity"))?;
            let v = equity_per_unit(equity, token.supply).map_err(overflow("token value"))?;
            if v > values[t] {
                values[t] = v;
                changed = true;
            }
        }
        if !changed {
            return Ok(values);
        }
    }
    Err(ClearingError::NotSettled {
        what: "token valuation".into(),
        rounds: MAX_TOKEN_ROUNDS,
    })
}

/// The units node `i` must have sold, by holding, for `equity ≥ r* ×
/// value kept` at `prices`: none if it already holds, all if `equity ≤ 0`,
/// otherwise it keeps value `A = ⌊E ÷ r*⌋` of its marketable holdings. It
/// sells its `sell_order` first, each asset until exhausted, then the rest
/// pro rata, so it keeps in the reverse order: of the assets not listed
/// (worth `U`) it keeps `⌊units × min(A, U) ÷ U⌋` of each; what is left of
/// `A` keeps, from the last listed asset back, `⌊left ÷ price⌋` units (at
/// most all of them), each deducting its value rounded up. Units kept round
/// down, so units sold round up, and the value kept never exceeds `A`.
fn sales(
    net: &Network,
    i: usize,
    prices: &[Price],
    equity: Quote,
    r: levamp_core::Ratio,
) -> Result<Vec<Base>, ClearingError> {
    let node = &net.nodes[i];
    let mut sold = vec![Base::ZERO; node.holdings.len()];
    let (value, _) = holdings_value_assets_only(net, i, prices)?;
    let allowed = match equity.is_positive() {
        true => equity
            .div_ratio(r, Round::Floor)
            .map_err(overflow("capital ratio"))?,
        false => Quote::ZERO,
    };
    if allowed >= value {
        return Ok(sold);
    }
    let pro_rata = |a: usize| !node.sell_order.contains(&a);
    let mut group = Quote::ZERO;
    for h in &node.holdings {
        if let Held::Asset(a) = h.of {
            if pro_rata(a) {
                let v = h
                    .units
                    .value_at(prices[a], Round::Floor)
                    .map_err(overflow("holdings value"))?;
                group = group.checked_add(v).map_err(overflow("holdings value"))?;
            }
        }
    }
    let kept_in_group = allowed.min(group);
    for (k, h) in node.holdings.iter().enumerate() {
        if let Held::Asset(a) = h.of {
            if pro_rata(a) && kept_in_group < group {
                let kept = mul_div(
                    h.units.raw(),
                    kept_in_group.raw(),
                    group.raw(),
                    Round::Floor,
                )
                .map_err(overflow("units kept"))?;
                sold[k] = Base::from_raw(h.units.raw() - kept);
            }
        }
    }
    let mut left = allowed
        .checked_sub(kept_in_group)
        .map_err(overflow("units kept"))?;
    for &a in node.sell_order.iter().rev() {
        for (k, h) in node.holdings.iter().enumerate() {
            if h.of != Held::Asset(a) {
                continue;
            }
            let kept = left
                .base_at(prices[a], Round::Floor)
                .map_err(overflow("units kept"))?
                .min(h.units);
            sold[k] = h.units.checked_sub(kept).map_err(overflow("units sold"))?;
            let spent = kept
                .value_at(prices[a], Round::Ceil)
                .map_err(overflow("units kept"))?;
            left = left
                .checked_sub(spent.min(left))
                .map_err(overflow("units kept"))?;
        }
    }
    Ok(sold)
}

/// The value of node `i`'s marketable holdings at `prices` (rounded down
/// unit by unit), paired with zero.
fn holdings_value_assets_only(
    net: &Network,
    i: usize,
    prices: &[Price],
) -> Result<(Quote, Quote), ClearingError> {
    let mut assets = Quote::ZERO;
    for h in &net.nodes[i].holdings {
        if let Held::Asset(a) = h.of {
            let v = h
                .units
                .value_at(prices[a], Round::Floor)
                .map_err(overflow("holdings value"))?;
            assets = assets.checked_add(v).map_err(overflow("holdings value"))?;
        }
    }
    Ok((assets, Quote::ZERO))
}

/// Units of each asset sold by all nodes.
fn aggregate(net: &Network, sold: &[Vec<Base>]) -> Result<Vec<Base>, ClearingError> {
    let mut total = vec![Base::ZERO; net.assets.len()];
    for (node, s) in net.nodes.iter().zip(sold) {
        for (h, units) in node.holdings.iter().zip(s) {
            if let Held::Asset(a) = h.of {
                total[a] = total[a]
                    .checked_add(*units)
                    .map_err(overflow("units sold"))?;
            }
        }
    }
    Ok(total)
}

struct FinishInput {
    cash: Vec<Quote>,
    shocked_prices: Vec<Price>,
    prices: Vec<Price>,
    sold: Vec<Vec<Base>>,
    start_values: Vec<Price>,
    values: Vec<Price>,
    owed_to: Vec<Quote>,
    history: Vec<RoundRecord>,
}

fn finish(net: &Network, c: Clearing, f: FinishInput) -> Result<Cascade, ClearingError> {
    let n = net.nodes.len();
    let unshocked: Vec<Price> = net.assets.iter().map(|a| a.price).collect();
    let mut losses = Vec::with_capacity(n);
    let mut baseline_equity = Vec::with_capacity(n);
    let add = |a: Quote, b: Quote| a.checked_add(b).map_err(overflow("losses"));
    let sub = |a: Quote, b: Quote| a.checked_sub(b).map_err(overflow("losses"));
    for i in 0..n {
        let node = &net.nodes[i];
        let (at_start, _) = holdings_value_assets_only(net, i, &unshocked)?;
        let (at_shock, _) = holdings_value_assets_only(net, i, &f.shocked_prices)?;
        let (at_end, _) = holdings_value_assets_only(net, i, &f.prices)?;
        let (_, tokens_start) = holdings_value(net, i, &f.prices, &f.start_values)?;
        let (_, tokens_end) = holdings_value(net, i, &f.prices, &f.values)?;
        // What the venue loss took: the gross external assets less those
        // the final clearing used.
        let gross = add(add(f.cash[i], at_end)?, tokens_end)?;
        let venue = sub(gross, c.external_assets[i])?;
        let shock = add(
            sub(node.external_assets, f.cash[i])?,
            sub(at_start, at_shock)?,
        )?;
        let l = Losses {
            shock,
            prices: sub(at_shock, at_end)?,
            tokens: sub(tokens_start, tokens_end)?,
            obligations: sub(f.owed_to[i], c.receipts[i])?,
            venue,
        };
        let baseline = add(
            add(add(node.external_assets, at_start)?, tokens_start)?,
            f.owed_to[i],
        )
        .and_then(|x| sub(x, c.total_obligations[i]))?;
        losses.push(l);
        baseline_equity.push(baseline);
    }
    let mut token_values = f.values;
    for (t, token) in net.tokens.iter().enumerate() {
        if let TokenKind::Debt { face } = token.kind {
            let rate = c
                .recovery_rate(token.issuer)
                .map_err(overflow("recovery rate"))?;
            token_values[t] = face
                .mul_ratio(rate, Round::Floor)
                .map_err(overflow("token value"))?;
        }
    }
    Ok(Cascade {
        units_sold: aggregate(net, &f.sold)?,
        clearing: c,
        shocked_prices: f.shocked_prices,
        prices: f.prices,
        sold: f.sold,
        token_values,
        losses,
        baseline_equity,
        history: f.history,
    })
}
