//! "Who got liquidated": breakdowns by leverage band, side, margin mode,
//! position size and venue family, a chart by leverage band, and the table
//! of the largest liquidations, over the paths that keep a series.

use super::axis::{count, human, percent, utc_clock};
use super::chart::{Plot, Scale};
use super::esc;
use super::map::BAND_COLORS;
use crate::headline::when;
use crate::liquidations::{Breakdown, Liquidation};
use crate::run::PathMetrics;
use crate::scenario::Scenario;
use crate::setup::World;
use std::fmt::Write;

/// Rows in the table of the largest liquidations.
pub const TABLE_ROWS: usize = 25;

/// Human titles of the breakdown dimensions.
fn dimension_title(dim: &str) -> &'static str {
    match dim {
        "leverage" => "Leverage (chosen)",
        "side" => "Side",
        "margin_mode" => "Margin mode",
        "position_size" => "Notional closed",
        _ => "Venue family",
    }
}

/// The section's HTML (empty when no path keeps a series).
pub fn section(s: &Scenario, world: &World, paths: &[PathMetrics], quote: &str) -> String {
    let kept: Vec<&PathMetrics> = paths.iter().filter(|p| p.liquidations.is_some()).collect();
    if kept.is_empty() {
        return String::new();
    }
    let mut total = Breakdown::default();
    for p in &kept {
        if let Some(l) = &p.liquidations {
            total.merge(&l.breakdown);
        }
    }
    let mut out = String::from("<h2 id=\"who\">Who got liquidated</h2>");
    let scope = match kept.len() {
        1 => "on the path shown".to_string(),
        n => format!("summed over the {n} paths that keep a series"),
    };
    let _ = write!(
        out,
        "<p>{} accounts liquidated {scope} (an account's partial liquidations count once, \
         their notional and loss summed). Leverage is the position's chosen leverage; \
         notional is the value closed ({quote}); loss is the realised loss of the closed \
         part against its entry plus fees and the liquidation penalty ({quote}); price, \
         time and round are those of its first liquidation.</p>",
        count(total.count() as f64)
    );
    if total.count() == 0 {
        return out;
    }
    out.push_str(&leverage_chart(&total, quote));
    out.push_str("<div class=\"grid2\">");
    for (dim, rows) in total.tables() {
        let notional: f64 = rows.iter().map(|r| r.1.notional).sum();
        let _ = write!(
            out,
            "<table class=\"breakdown\"><tr><th>{}</th><th>accounts</th><th>notional ({quote})</th><th>share</th></tr>",
            dimension_title(dim)
        );
        for (band, b) in rows.iter().filter(|r| r.1.count > 0) {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(band),
                count(b.count as f64),
                human(b.notional),
                percent(b.notional / notional.max(f64::MIN_POSITIVE))
            );
        }
        out.push_str("</table>");
    }
    out.push_str("</div>");
    out.push_str(&largest(s, world, &kept, quote));
    out
}

/// Liquidated notional by leverage band, as bars.
fn leverage_chart(total: &Breakdown, quote: &str) -> String {
    let rows = &total.tables()[0].1;
    let max = rows.iter().map(|r| r.1.notional).fold(0.0, f64::max);
    let x = Scale {
        lo: 0.0,
        hi: rows.len() as f64,
        ticks: rows
            .iter()
            .enumerate()
            .map(|(i, r)| (i as f64 + 0.5, r.0.to_string()))
            .collect(),
        label: "leverage band (chosen leverage)".into(),
        log: false,
    };
    let mut p = Plot::new(
        "Liquidated notional by leverage band",
        x,
        Scale::from_zero(max, &format!("liquidated notional ({quote})"), false),
    );
    for (i, (_, b)) in rows.iter().enumerate() {
        if b.notional > 0.0 {
            p.rect(
                i as f64 + 0.15,
                i as f64 + 0.85,
                0.0,
                b.notional,
                BAND_COLORS[i],
            );
        }
    }
    p.finish()
}

/// The time of `step` for the table: the UTC clock when the run lasts at
/// most a day (the date is on the time axes), else [`when`].
fn time(s: &Scenario, world: &World, step: usize) -> String {
    match world.start_time {
        Some(t0) if s.run.steps as i64 * s.run.dt_s <= 86_400 => {
            utc_clock(t0 + step as i64 * s.run.dt_s)
        }
        _ => when(world, s.run.dt_s, step),
    }
}

/// The table of the largest liquidated accounts.
fn largest(s: &Scenario, world: &World, kept: &[&PathMetrics], quote: &str) -> String {
    let mut all: Vec<(usize, &Liquidation)> = kept
        .iter()
        .filter_map(|p| p.liquidations.as_ref().map(|l| (p.path, l)))
        .flat_map(|(path, l)| l.records.iter().map(move |r| (path, r)))
        .collect();
    all.sort_by(|a, b| b.1.notional.total_cmp(&a.1.notional).then(a.0.cmp(&b.0)));
    let many = kept.len() > 1;
    let mut out = format!(
        "<h3>Largest liquidated accounts</h3><table id=\"largest\"><tr><th>account</th>{}<th>side</th><th>mode</th><th>leverage</th><th>notional ({quote})</th><th>price ({quote})</th><th>{}</th><th>round</th><th>loss ({quote})</th><th>liquidations</th></tr>",
        if many { "<th>path</th>" } else { "" },
        match world.start_time {
            Some(_) => "time (UTC)",
            None => "time",
        }
    );
    for (path, r) in all.iter().take(TABLE_ROWS) {
        let mode = match r.mode {
            Some(m) => format!("{m:?}").to_lowercase(),
            None => r.family.name().into(),
        };
        let _ = write!(
            out,
            "<tr><td>{}</td>{}<td>{}</td><td>{mode}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.account),
            if many { format!("<td>{path}</td>") } else { String::new() },
            if r.long { "long" } else { "short" },
            r.leverage.map_or("–".into(), |l| format!("{l:.1}×")),
            human(r.notional),
            human(r.price),
            esc(&time(s, world, r.step)),
            r.round,
            human(r.loss),
            r.events
        );
    }
    out.push_str("</table>");
    out
}
