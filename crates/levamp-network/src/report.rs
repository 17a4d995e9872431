//! The result of a clearing as JSON (`levamp contagion --format json` and
//! `result.json`): keys in the documented order (docs/contagion.md), money
//! and ratios as exact JSON numbers.

use crate::clearing::Clearing;
use crate::model::{Network, Seniority};
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
