//! The liquidation map, as traders read liquidation heatmaps: for each
//! price level, the cumulative notional a move from the start price to that
//! level would liquidate (longs below the start, shorts above), stacked by
//! the positions' leverage band, from the liquidation prices at the start.

use super::axis::human;
use super::chart::{Plot, Scale};
use crate::liquidations::{leverage_band, LEVERAGE_BANDS, UNKNOWN_LEVERAGE};
use crate::setup::{AtRisk, World};

/// Colours of the leverage bands, low to high, then unknown.
pub const BAND_COLORS: [&str; 7] = [
    "#f6d8a8", "#f2b36d", "#e8843c", "#d4502a", "#a8261c", "#5e0d0d", "#9aa3ad",
];

/// Price levels of the map.
const LEVELS: usize = 48;

/// Cumulative notional by level and band: `levels[i][band]` for the level
/// whose far edge (from the start) is `edges[i]`.
pub fn cumulative(at_risk: &[AtRisk], start: f64, edges: &[f64]) -> Vec<[f64; 7]> {
    edges
        .iter()
        .map(|&edge| {
            let mut bands = [0.0; 7];
            for a in at_risk {
                let reached = match a.long {
                    true => a.price <= start && a.price >= edge && edge <= start,
                    false => a.price >= start && a.price <= edge && edge >= start,
                };
                if reached {
                    bands[leverage_band(a.leverage)] += a.notional;
                }
            }
            bands
        })
        .collect()
}

/// The map's chart: `low` and `outside_low` are path 0's market and
/// outside lows (drawn as rules), `quote` the quote asset's name.
pub fn liquidation_map(world: &World, low: f64, outside_low: f64, quote: &str) -> String {
    let start = world.start.to_f64_lossy();
    let lo = (low.min(outside_low).min(start) * 0.96).min(start * 0.85);
    let hi = start * 1.15;
    let y = Scale::ticked(lo, hi, &format!("price ({quote})"), false);
    let height = (hi - lo) / LEVELS as f64;
    // Each level's far edge from the start: its bottom below, its top above.
    let bottoms: Vec<f64> = (0..LEVELS).map(|i| lo + i as f64 * height).collect();
    let edges: Vec<f64> = bottoms
        .iter()
        .map(|b| if b + height <= start { *b } else { b + height })
        .collect();
    let levels = cumulative(&world.at_risk, start, &edges);
    let max = levels
        .iter()
        .map(|l| l.iter().sum::<f64>())
        .fold(0.0, f64::max);
    let x = Scale::from_zero(
        max,
        &format!("cumulative notional liquidated on a move to the price ({quote})"),
        false,
    );
    let mut p = Plot::new(
        "Liquidation map: notional liquidated by a move from the start to each price, by leverage",
        x,
        y,
    );
    for (bottom, bands) in bottoms.iter().zip(&levels) {
        let mut left = 0.0;
        for (band, v) in bands.iter().enumerate().filter(|b| *b.1 > 0.0) {
            p.rect(
                left,
                left + v,
                *bottom,
                bottom + height * 0.92,
                BAND_COLORS[band],
            );
            left += v;
        }
    }
    p.hrule(start, "#1f4e99", &format!("start {}", human(start)));
    if outside_low < start {
        p.hrule(
            outside_low,
            "#777777",
            &format!("outside low {}", human(outside_low)),
        );
    }
    p.hrule(low, "#c0392b", &format!("market low {}", human(low)));
    for (band, label) in LEVERAGE_BANDS
        .iter()
        .map(|b| b.1)
        .chain([UNKNOWN_LEVERAGE])
        .enumerate()
    {
        if levels.iter().any(|l| l[band] > 0.0) {
            p.legend(label, BAND_COLORS[band], false, true);
        }
    }
    p.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notional_accumulates_away_from_the_start_by_band() {
        let at = |price, long, notional, leverage| AtRisk {
            price,
            long,
            notional,
            leverage,
        };
        let book = [
            at(95.0, true, 10.0, Some(20.0)),
            at(90.0, true, 5.0, Some(3.0)),
            at(80.0, true, 1.0, None),
            at(110.0, false, 7.0, Some(60.0)),
        ];
        let levels = cumulative(&book, 100.0, &[99.0, 92.0, 85.0, 70.0, 105.0, 120.0]);
        let total = |l: &[f64; 7]| l.iter().sum::<f64>();
        let totals: Vec<f64> = levels.iter().map(total).collect();
        assert_eq!(totals, vec![0.0, 10.0, 15.0, 16.0, 0.0, 7.0]);
        // 20× is the 10–25× band (2), 3× the ≤ 5× band (0), unknown last.
        assert_eq!(levels[3], [5.0, 0.0, 10.0, 0.0, 0.0, 0.0, 1.0]);
        assert_eq!(levels[5][4], 7.0);
    }
}
