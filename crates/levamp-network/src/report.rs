//! The result of a clearing as JSON (`levamp contagion --format json` and
//! `result.json`): keys in the documented order (docs/contagion.md), money
//! and ratios as exact JSON numbers.

use crate::cascade::Cascade;
use crate::clearing::Clearing;
use crate::model::{Held, Network, Seniority, TokenKind};
use levamp_core::MathError;
use levamp_io::json::number;
use serde_json::{json, Map, Value};

/// `{"name", "seniority", "nodes": [{"id", "total_obligations", "payment",
/// "equity", "defaulted", "recovery_rate", "external_assets", "receipts",
/// "interbank_paid"}], "defaults", "rounds", "total_shortfall"}`.
pub fn result_json(net: &Network, c: &Clearing) -> Result<Value, MathError> {
    let exact = |x: &dyn std::fmt::Display| number(x.to_string());
    let mut nodes = Vec::with_capacity(net.nodes.len());
    for (i, node) in net.nodes.iter().enumerate() {
        let mut o = Map::new();
        o.insert("id".into(), Value::String(node.id.clone()));
        o.insert("total_obligations".into(), exact(&c.total_obligations[i]));
        o.insert("payment".into(), exact(&c.payments[i]));
        o.insert("equity".into(), exact(&c.equity(i)?));
        o.insert("defaulted".into(), Value::Bool(c.defaulted[i]));
        o.insert("recovery_rate".into(), exact(&c.recovery_rate(i)?));
        o.insert("external_assets".into(), exact(&c.external_assets[i]));
        o.insert("receipts".into(), exact(&c.receipts[i]));
        o.insert("interbank_paid".into(), exact(&c.interbank_paid[i]));
        nodes.push(Value::Object(o));
    }
    let seniority = match net.seniority {
        Seniority::PariPassu => "pari_passu",
        Seniority::ExternalSenior => "external_senior",
    };
    Ok(json!({
        "name": net.name,
        "seniority": seniority,
        "nodes": nodes,
        "defaults": c.defaulted.iter().filter(|&&d| d).count(),
        "rounds": c.rounds,
        "total_shortfall": exact(&c.total_shortfall()?),
    }))
}

/// [`result_json`] of the cascade's final clearing, plus (additive keys)
/// per node `"losses": {"shock", "prices", "tokens", "obligations",
/// "venue"}`,
/// `"baseline_equity"` and `"units_sold": {ASSET: units}`, and at the top
/// `"assets": [{"id", "initial_price", "shocked_price", "price",
/// "units_sold"}]`, `"tokens": [{"id", "issuer", "kind", "value"}]`,
/// `"cascade_rounds"` and `"cascade": [{"round", "prices": {ASSET: price},
/// "defaults", "sellers", "shortfall"}]`.
pub fn cascade_json(net: &Network, c: &Cascade) -> Result<Value, MathError> {
    let exact = |x: &dyn std::fmt::Display| number(x.to_string());
    let mut out = result_json(net, &c.clearing)?;
    let Some(nodes) = out["nodes"].as_array_mut() else {
        unreachable!("result_json has nodes")
    };
    for (i, o) in nodes.iter_mut().enumerate() {
        let l = c.losses[i];
        let o = o.as_object_mut().expect("a node is an object");
        o.insert(
            "losses".into(),
            json!({
                "shock": exact(&l.shock),
                "prices": exact(&l.prices),
                "tokens": exact(&l.tokens),
                "obligations": exact(&l.obligations),
                "venue": exact(&l.venue),
            }),
        );
        o.insert("baseline_equity".into(), exact(&c.baseline_equity[i]));
        let mut sold = Map::new();
        for (k, h) in net.nodes[i].holdings.iter().enumerate() {
            if let Held::Asset(a) = h.of {
                sold.insert(net.assets[a].id.clone(), exact(&c.sold[i][k]));
            }
        }
        o.insert("units_sold".into(), Value::Object(sold));
    }
    let assets: Vec<Value> = net
        .assets
        .iter()
        .enumerate()
        .map(|(a, asset)| {
            json!({
                "id": asset.id,
                "initial_price": exact(&asset.price),
                "shocked_price": exact(&c.shocked_prices[a]),
                "price": exact(&c.prices[a]),
                "units_sold": exact(&c.units_sold[a]),
            })
        })
        .collect();
    let tokens: Vec<Value> = net
        .tokens
        .iter()
        .enumerate()
        .map(|(t, token)| {
            json!({
                "id": token.id,
                "issuer": net.nodes[token.issuer].id,
                "kind": match token.kind { TokenKind::Equity => "equity", TokenKind::Debt { .. } => "debt" },
                "value": exact(&c.token_values[t]),
            })
        })
        .collect();
    let rounds: Vec<Value> = c
        .history
        .iter()
        .enumerate()
        .map(|(k, r)| {
            let prices: Map<String, Value> = net
                .assets
                .iter()
                .zip(&r.prices)
                .map(|(a, p)| (a.id.clone(), exact(p)))
                .collect();
            json!({
                "round": k,
                "prices": prices,
                "defaults": r.defaults,
                "sellers": r.sellers,
                "shortfall": exact(&r.shortfall),
            })
        })
        .collect();
    let top = out.as_object_mut().expect("the result is an object");
    top.insert("assets".into(), Value::Array(assets));
    top.insert("tokens".into(), Value::Array(tokens));
    top.insert("cascade_rounds".into(), json!(c.rounds()));
    top.insert("cascade".into(), Value::Array(rounds));
    Ok(out)
}
