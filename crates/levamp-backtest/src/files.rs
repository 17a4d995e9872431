//! The CSV files of a run: `equity.csv` (hourly), `trades.csv`,
//! `funding.csv`. Amounts are exact decimals; empty cells mean "none".

use crate::run::Outcome;
use crate::time;
use std::io::{self, Write};

/// `equity.csv`: one row per hour at its close.
pub fn equity_csv(o: &Outcome, w: &mut dyn Write) -> io::Result<()> {
    writeln!(
        w,
        "time,equity,perp_value,spot_value,position,mark,spot,margin_ratio,liquidation_price,spot_position"
    )?;
    for h in &o.hours {
        writeln!(
            w,
            "{},{},{},{},{},{},{},{},{},{}",
            time::format(h.time),
            h.equity,
            h.perp_value,
            h.spot_value,
            h.position,
            h.mark,
            h.spot,
            h.margin_ratio.map(|r| r.to_string()).unwrap_or_default(),
            h.liquidation_price
                .map(|p| p.to_string())
                .unwrap_or_default(),
            h.spot_position,
        )?;
    }
    Ok(())
}

/// `trades.csv`: every fill of the strategy, liquidations included; `reason`
/// is `open`, `rebalance` (a dynamic resize), `liquidation`, or the
/// hedger's or carry flip's action (`top_up`, `draw_back`, `rehedge`,
/// `derisk_funding`, `derisk_liquidation`, `flip_close`, `flip_reopen`).
pub fn trades_csv(o: &Outcome, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "time,leg,size,price,fee,liquidation,reason")?;
    for t in &o.trades {
        writeln!(
            w,
            "{},{},{},{},{},{},{}",
            time::format(t.time),
            t.leg,
            t.size,
            t.price,
            t.fee,
            t.liquidation,
            t.reason
        )?;
    }
    Ok(())
}

/// `funding.csv`: every settlement while the strategy held the perp.
pub fn funding_csv(o: &Outcome, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "time,rate,mark,position,payment")?;
    for s in &o.settlements {
        writeln!(
            w,
            "{},{},{},{},{}",
            time::format(s.time),
            s.rate,
            s.mark,
            s.position,
            s.payment
        )?;
    }
    Ok(())
}
