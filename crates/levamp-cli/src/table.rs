//! Human-readable table of `levamp margin` results. Values are the exact
//! results cut (not rounded) to a few decimals for reading; use
//! `--format json` for the full precision. Every string from the input
//! (ids, market and asset names) is printed through [`escape`].

use levamp_io::AccountReport;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;

/// `text` with its control characters (C0, DEL, C1) and bidirectional
/// overrides written as escapes (`\n`, `\t`, `\r`, `\x1b`, `\u{202e}`), so
/// a name cannot move the cursor, recolour or reorder the terminal.
pub fn escape(text: &str) -> Cow<'_, str> {
    let unsafe_char =
        |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if unsafe_char(c) && (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if unsafe_char(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `text` (canonical decimal) cut to at most `dp` decimals.
fn cut(text: String, dp: usize) -> String {
    match text.find('.') {
        Some(i) if text.len() > i + 1 + dp => {
            let s = &text[..i + 1 + dp];
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        }
        _ => text,
    }
}

fn opt<T: ToString>(v: Option<T>, dp: usize) -> String {
    v.map_or_else(|| "-".to_string(), |x| cut(x.to_string(), dp))
}

fn percent<T: ToString>(v: Option<T>) -> String {
    // Ratio × 100 by shifting the decimal point two places: exact.
    v.map_or_else(
        || "-".to_string(),
        |x| {
            let s = x.to_string();
            let (neg, s) = s
                .strip_prefix('-')
                .map_or((false, s.as_str()), |r| (true, r));
            let (int, frac) = s.split_once('.').unwrap_or((s, ""));
            let frac = format!("{frac:0<2}");
            let joined = format!("{}{}.{}", int, &frac[..2], &frac[2..]);
            let trimmed = joined.trim_start_matches('0');
            let body = if trimmed.starts_with('.') || trimmed.is_empty() {
                format!("0{trimmed}")
            } else {
                trimmed.to_string()
            };
            format!(
                "{}{}%",
                if neg { "-" } else { "" },
                cut(body.trim_end_matches('.').to_string(), 2)
            )
        },
    )
}

/// The table's heading line.
pub fn header(out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<14} {:>16} {:>14} {:>14} {:>9} {:>8} {:>14} {:>8}  status",
        "account", "equity", "maint.margin", "init.margin", "m.ratio", "HF", "free coll.", "lev.",
    )
}

/// One account's block: its line, then its positions underneath.
pub fn account(r: &AccountReport, out: &mut dyn Write) -> std::io::Result<()> {
    {
        let h = &r.health;
        writeln!(
            out,
            "{:<14} {:>16} {:>14} {:>14} {:>9} {:>8} {:>14} {:>8}  {}",
            escape(&r.id),
            cut(h.equity.to_string(), 2),
            cut(h.maintenance_margin.to_string(), 2),
            cut(h.initial_margin.to_string(), 2),
            percent(h.margin_ratio),
            opt(h.health_factor, 3),
            cut(h.free_collateral.to_string(), 2),
            opt(h.leverage, 2),
            if h.liquidatable { "LIQUIDATABLE" } else { "ok" }
        )?;
        for p in &r.positions {
            let mode = match p.mode {
                levamp_engine::MarginMode::Cross => "cross",
                levamp_engine::MarginMode::Isolated => "isolated",
            };
            write!(
                out,
                "  {:<12} {:<8} notional {:>14}  uPnL {:>13}  maint. {:>12}  liq. price {}",
                escape(&p.market),
                mode,
                cut(p.margin.notional.to_string(), 2),
                cut(p.margin.unrealized_pnl.to_string(), 2),
                cut(p.margin.maintenance_margin.to_string(), 2),
                opt(p.liquidation_price, 4),
            )?;
            if let Some(venue) = p.venue_liquidation_price {
                write!(out, "  venue {}", opt(Some(venue), 4))?;
                if let Some(diff) = p.difference() {
                    let relative = diff.ratio_to(venue, levamp_core::Round::Floor).ok();
                    write!(out, " (diff {}, {})", opt(Some(diff), 4), percent(relative))?;
                }
            }
            writeln!(out)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_and_percents_exactly() {
        assert_eq!(cut("1153.260049".into(), 2), "1153.26");
        assert_eq!(cut("-0.009".into(), 2), "-0");
        assert_eq!(cut("12".into(), 2), "12");
        assert_eq!(percent(Some("0.0512345")), "5.12%");
        assert_eq!(percent(Some("1.5")), "150%");
        assert_eq!(percent(Some("0.001")), "0.1%");
        assert_eq!(percent(None::<&str>), "-");
    }

    #[test]
    fn escapes_control_characters_only() {
        assert_eq!(escape("a1"), "a1");
        assert_eq!(escape("über-€"), "über-€");
        assert_eq!(escape("a\u{1b}[31m\n\0\t"), "a\\x1b[31m\\n\\x00\\t");
        assert_eq!(escape("\u{9b}x\u{202e}"), "\\x9bx\\u{202e}");
    }
}
