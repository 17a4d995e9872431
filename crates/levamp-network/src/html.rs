//! `report.html`: a self-contained page (inline SVG and CSS, no script,
//! nothing fetched) with the network drawn on a circle — nodes in file
//! order, red in default, orange if they sold in the fire sale, green
//! otherwise, their area proportional to their losses — the rounds of the
//! cascade, and losses by node and by channel. Drawing coordinates are
//! `f64`; every number printed is the exact decimal of the result.

use crate::cascade::{Cascade, Losses};
use crate::model::{Network, TokenKind};
use levamp_core::{MathError, Quote};
use std::fmt::Write;

/// Nodes listed in the losses table (the largest losses first).
const MAX_ROWS: usize = 200;
/// Obligations drawn (the largest first).
const MAX_EDGES: usize = 2_000;
/// Rounds listed from the start (and a fifth as many at the end).
const MAX_ROUNDS_SHOWN: usize = 50;
/// Nodes labelled in the drawing.
const MAX_LABELS: usize = 60;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn total(l: &Losses) -> Result<Quote, MathError> {
    l.shock
        .checked_add(l.prices)?
        .checked_add(l.tokens)?
        .checked_add(l.obligations)?
        .checked_add(l.venue)
}

/// The page for `net` and its cascade `c`.
pub fn report_html(net: &Network, c: &Cascade) -> Result<String, MathError> {
    let n = net.nodes.len();
    let totals: Vec<Quote> = c.losses.iter().map(total).collect::<Result<_, _>>()?;
    let defaults = c.clearing.defaulted.iter().filter(|&&d| d).count();
    let sellers: Vec<bool> = c
        .sold
        .iter()
        .map(|s| s.iter().any(|u| u.is_positive()))
        .collect();
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>levamp contagion: {name}</title>\
         <style>body{{font-family:sans-serif;max-width:1000px;margin:auto}}\
         td,th{{padding:2px 8px;text-align:right}}td:first-child,th:first-child{{text-align:left}}\
         table{{border-collapse:collapse}}tr:nth-child(even){{background:#f4f4f4}}</style></head><body>\n\
         <h1>levamp contagion: {name}</h1>\n<p>{defaults} of {n} nodes default; {fd} fictitious-default round(s) in the final clearing; \
         {cr} cascade round(s) of fire sales and token revaluation; total shortfall {shortfall}.</p>\n",
        name = escape(&net.name),
        fd = c.clearing.rounds,
        cr = c.rounds(),
        shortfall = c.clearing.total_shortfall()?,
    );
    h.push_str(&drawing(net, c, &totals, &sellers));
    h.push_str(&channels(c)?);
    h.push_str(&rounds(net, c));
    h.push_str(&node_table(net, c, &totals, &sellers)?);
    h.push_str(&markets(net, c));
    h.push_str("</body></html>\n");
    Ok(h)
}

fn colour(defaulted: bool, sold: bool) -> &'static str {
    match (defaulted, sold) {
        (true, _) => "#d62728",
        (false, true) => "#ff7f0e",
        _ => "#2ca02c",
    }
}

fn drawing(net: &Network, c: &Cascade, totals: &[Quote], sellers: &[bool]) -> String {
    let n = net.nodes.len();
    let (size, centre) = (640.0, 320.0);
    let ring = if n == 1 { 0.0 } else { 250.0 };
    let at = |i: usize| {
        let angle = std::f64::consts::TAU * i as f64 / n as f64 - std::f64::consts::FRAC_PI_2;
        (centre + ring * angle.cos(), centre + ring * angle.sin())
    };
    let max_loss = totals.iter().map(|q| q.to_f64_lossy()).fold(0.0, f64::max);
    let max_radius = (900.0 / n as f64).clamp(3.0, 28.0);
    let radius = |i: usize| {
        let share = match max_loss > 0.0 {
            true => totals[i].to_f64_lossy().max(0.0) / max_loss,
            false => 0.0,
        };
        2.0 + (max_radius - 2.0) * share.sqrt()
    };
    let mut svg = format!(
        "<h2>Network</h2>\n<p>Obligations as lines between debtor and creditor (red when the debtor defaults); nodes \
         <span style=\"color:#d62728\">in default</span>, <span style=\"color:#ff7f0e\">selling</span> or \
         <span style=\"color:#2ca02c\">solvent</span>, their area proportional to their losses.</p>\n\
         <svg viewBox=\"0 0 {size} {size}\" width=\"{size}\" height=\"{size}\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"11\">\n"
    );
    let mut order: Vec<usize> = (0..net.obligations.len()).collect();
    order.sort_by(|&a, &b| {
        net.obligations[b]
            .amount
            .cmp(&net.obligations[a].amount)
            .then(a.cmp(&b))
    });
    let max_amount = order
        .first()
        .map_or(1.0, |&e| net.obligations[e].amount.to_f64_lossy());
    for &e in order.iter().take(MAX_EDGES) {
        let o = &net.obligations[e];
        let ((x1, y1), (x2, y2)) = (at(o.debtor), at(o.creditor));
        let width = 0.3 + 2.5 * (o.amount.to_f64_lossy() / max_amount).sqrt();
        let stroke = if c.clearing.defaulted[o.debtor] {
            "#d62728"
        } else {
            "#999"
        };
        let _ = writeln!(
            svg,
            "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"{stroke}\" stroke-width=\"{width:.2}\" stroke-opacity=\"0.5\"/>"
        );
    }
    for (i, node) in net.nodes.iter().enumerate() {
        let (x, y) = at(i);
        let _ = writeln!(
            svg,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r:.1}\" fill=\"{fill}\"><title>{id}: losses {loss}</title></circle>",
            r = radius(i),
            fill = colour(c.clearing.defaulted[i], sellers[i]),
            id = escape(&node.id),
            loss = totals[i],
        );
        if n <= MAX_LABELS {
            let _ = writeln!(
                svg,
                "<text x=\"{x:.1}\" y=\"{ty:.1}\" text-anchor=\"middle\">{id}</text>",
                ty = y - radius(i) - 3.0,
                id = escape(&node.id)
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

fn channels(c: &Cascade) -> Result<String, MathError> {
    let mut sums = [Quote::ZERO; 5];
    for l in &c.losses {
        for (s, x) in sums
            .iter_mut()
            .zip([l.shock, l.prices, l.tokens, l.obligations, l.venue])
        {
            *s = s.checked_add(x)?;
        }
    }
    let names = [
        "shock",
        "prices (fire sales)",
        "tokens",
        "obligations (defaults)",
        "venue (bad debt)",
    ];
    let max = sums.iter().map(|q| q.to_f64_lossy()).fold(0.0, f64::max);
    let mut h = String::from("<h2>Losses by channel</h2>\n<svg width=\"640\" height=\"136\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"12\">\n");
    for (k, (name, sum)) in names.iter().zip(&sums).enumerate() {
        let w = match max > 0.0 {
            true => 380.0 * sum.to_f64_lossy().max(0.0) / max,
            false => 0.0,
        };
        let y = 5 + 26 * k;
        let _ = writeln!(
            h,
            "<text x=\"0\" y=\"{ty}\">{name}</text><rect x=\"160\" y=\"{y}\" width=\"{w:.1}\" height=\"18\" fill=\"#1f77b4\"/><text x=\"{tx:.1}\" y=\"{ty}\">{sum}</text>",
            ty = y + 14,
            tx = 166.0 + w,
        );
    }
    h.push_str("</svg>\n");
    Ok(h)
}

fn rounds(net: &Network, c: &Cascade) -> String {
    let shown = net.assets.len().min(10);
    let mut h = String::from(
        "<h2>Rounds of the cascade</h2>\n<p>Round 0 clears at the shocked prices; each later round follows the sales and token values of the one before.</p>\n<table><tr><th>round</th>",
    );
    for a in &net.assets[..shown] {
        let _ = write!(h, "<th>{}</th>", escape(&a.id));
    }
    h.push_str("<th>defaults</th><th>sellers</th><th>shortfall</th></tr>\n");
    let last = c.history.len();
    for (k, r) in c.history.iter().enumerate() {
        if k >= MAX_ROUNDS_SHOWN && k + MAX_ROUNDS_SHOWN / 5 < last {
            if k == MAX_ROUNDS_SHOWN {
                let _ = writeln!(h, "<tr><td>…</td></tr>");
            }
            continue;
        }
        let _ = write!(h, "<tr><td>{k}</td>");
        for p in &r.prices[..shown] {
            let _ = write!(h, "<td>{p}</td>");
        }
        let _ = writeln!(
            h,
            "<td>{}</td><td>{}</td><td>{}</td></tr>",
            r.defaults, r.sellers, r.shortfall
        );
    }
    h.push_str("</table>\n");
    h
}

fn node_table(
    net: &Network,
    c: &Cascade,
    totals: &[Quote],
    sellers: &[bool],
) -> Result<String, MathError> {
    let mut order: Vec<usize> = (0..net.nodes.len()).collect();
    order.sort_by(|&a, &b| totals[b].cmp(&totals[a]).then(a.cmp(&b)));
    let mut h = String::from("<h2>Losses by node</h2>\n");
    if order.len() > MAX_ROWS {
        let _ = writeln!(
            h,
            "<p>The {MAX_ROWS} largest of {} (result.json has them all).</p>",
            order.len()
        );
    }
    h.push_str("<table><tr><th>node</th><th>status</th><th>equity</th><th>shock</th><th>prices</th><th>tokens</th><th>obligations</th><th>venue</th><th>total</th><th>recovery</th></tr>\n");
    for &i in order.iter().take(MAX_ROWS) {
        let l = c.losses[i];
        let status = match (c.clearing.defaulted[i], sellers[i]) {
            (true, _) => "default",
            (false, true) => "sold",
            _ => "solvent",
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td style=\"color:{}\">{status}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&net.nodes[i].id),
            colour(c.clearing.defaulted[i], sellers[i]),
            c.clearing.equity(i)?,
            l.shock,
            l.prices,
            l.tokens,
            l.obligations,
            l.venue,
            totals[i],
            c.clearing.recovery_rate(i)?,
        );
    }
    h.push_str("</table>\n");
    Ok(h)
}

fn markets(net: &Network, c: &Cascade) -> String {
    let mut h = String::new();
    if !net.assets.is_empty() {
        h.push_str("<h2>Assets</h2>\n<table><tr><th>asset</th><th>price</th><th>after the shock</th><th>final</th><th>units sold</th></tr>\n");
        for (a, asset) in net.assets.iter().enumerate() {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&asset.id),
                asset.price,
                c.shocked_prices[a],
                c.prices[a],
                c.units_sold[a]
            );
        }
        h.push_str("</table>\n");
    }
    if !net.tokens.is_empty() {
        h.push_str("<h2>Tokens</h2>\n<table><tr><th>token</th><th>issuer</th><th>kind</th><th>value per unit</th></tr>\n");
        for (t, token) in net.tokens.iter().enumerate() {
            let kind = match token.kind {
                TokenKind::Equity => "equity".to_string(),
                TokenKind::Debt { face } => format!("debt (face {face})"),
            };
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{kind}</td><td>{}</td></tr>",
                escape(&token.id),
                escape(&net.nodes[token.issuer].id),
                c.token_values[t]
            );
        }
        h.push_str("</table>\n");
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_escaped() {
        assert_eq!(escape("<a&\"b\">"), "&lt;a&amp;&quot;b&quot;&gt;");
    }
}
