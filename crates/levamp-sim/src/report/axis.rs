//! Numbers, times and axis ticks for the report: round 1-2-5 ticks,
//! whole-number ticks for counts, UTC clock ticks for time axes.

/// Human number: 1.23M, 45.6k, 0.0123.
pub fn human(x: f64) -> String {
    let a = x.abs();
    if a >= 1e9 {
        format!("{:.2}B", x / 1e9)
    } else if a >= 1e6 {
        format!("{:.2}M", x / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", x / 1e3)
    } else if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else if a == 0.0 {
        "0".into()
    } else {
        format!("{x:.4}")
    }
}

/// A whole number with thousands separators: 10977 → "10,977".
pub fn count(n: f64) -> String {
    let digits = format!("{}", n.round().abs() as u64);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n.round() < 0.0 {
        out.insert(0, '-');
    }
    out
}

/// A duration: "45 s", "12 min", "5.5 h".
pub fn duration(seconds: f64) -> String {
    if seconds < 120.0 {
        format!("{seconds:.0} s")
    } else if seconds < 7200.0 {
        format!("{:.0} min", seconds / 60.0)
    } else {
        format!("{:.1} h", seconds / 3600.0)
    }
}

/// A ratio as a percentage: 0.1712 → "17.1 %".
pub fn percent(x: f64) -> String {
    if x != 0.0 && x.abs() < 0.001 {
        format!("{:.2} %", x * 100.0)
    } else {
        format!("{:.1} %", x * 100.0)
    }
}

/// A tick label for a tick step `step`: as many decimals as the step
/// needs, with k/M/B suffixes for large round values.
pub fn tick_label(v: f64, step: f64) -> String {
    let a = step.abs();
    let m = v.abs().max(a);
    let (div, suffix) = if m >= 1e9 {
        (1e9, "B")
    } else if m >= 1e6 {
        (1e6, "M")
    } else if m >= 1e4 {
        (1e3, "k")
    } else {
        (1.0, "")
    };
    let step = a / div;
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10() - 1e-9).ceil().max(0.0) as usize
    };
    let x = v / div;
    if x == 0.0 {
        return "0".into();
    }
    format!("{x:.decimals$}{suffix}")
}

/// Round ticks covering `lo ..= hi`: about `target` of them at a step of
/// 1, 2 or 5 × 10ⁿ, the first at or below `lo`, the last at or above `hi`.
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5, lo + 0.5)
    };
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    ticks_at(lo, hi, step)
}

/// Ticks for a count: as [`nice_ticks`] but the step is a whole number (≥ 1).
pub fn integer_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let t = nice_ticks(lo, hi, target);
    let step = match t.as_slice() {
        [a, b, ..] => b - a,
        _ => 1.0,
    };
    if step >= 1.0 {
        t
    } else {
        ticks_at(lo.floor(), hi.ceil().max(lo.floor() + 1.0), 1.0)
    }
}

/// Multiples of `step` from the last at or below `lo` to the first at or above `hi`.
fn ticks_at(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let first = (lo / step + 1e-9).floor() as i64;
    let last = (hi / step - 1e-9).ceil() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

/// Clock ticks for a time axis from `t0` to `t1` (Unix seconds): a round
/// interval (1 min … 1 day) giving at most `max` ticks, aligned to UTC.
pub fn time_ticks(t0: i64, t1: i64, max: usize) -> Vec<i64> {
    const STEPS: &[i64] = &[
        60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
    ];
    let span = (t1 - t0).max(1);
    let step = STEPS
        .iter()
        .copied()
        .find(|s| span / s < max as i64)
        .unwrap_or(86400 * (span / 86400 / max as i64 + 1));
    let first = t0.div_euclid(step) * step + if t0.rem_euclid(step) == 0 { 0 } else { step };
    (0..)
        .map(|i| first + i * step)
        .take_while(|t| *t <= t1)
        .collect()
}

/// (year, month, day, hour, minute) of a Unix time in UTC (the civil
/// calendar, H. Hinnant's `civil_from_days`).
fn civil(ts: i64) -> (i64, u32, u32, u32, u32) {
    let days = ts.div_euclid(86400);
    let secs = ts.rem_euclid(86400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, (secs / 3600) as u32, (secs % 3600 / 60) as u32)
}

/// `HH:MM` (UTC).
pub fn utc_clock(ts: i64) -> String {
    let (_, _, _, h, mi) = civil(ts);
    format!("{h:02}:{mi:02}")
}

/// `YYYY-MM-DD` (UTC).
pub fn utc_date(ts: i64) -> String {
    let (y, m, d, _, _) = civil(ts);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DD HH:MM` (UTC).
pub fn utc_time(ts: i64) -> String {
    format!("{} {}", utc_date(ts), utc_clock(ts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(t: &[f64]) -> Vec<f64> {
        t.windows(2).map(|w| w[1] - w[0]).collect()
    }

    #[test]
    fn ticks_are_round_1_2_5_steps_covering_the_data() {
        // The insurance fund falling from 5.4 M to 4.8 M: 0.1 M steps.
        let t = nice_ticks(4.8e6, 5.4e6, 5);
        assert_eq!(t.first(), Some(&4.8e6));
        assert_eq!(t.last(), Some(&5.4e6));
        assert!(steps(&t).iter().all(|s| (s - 0.2e6).abs() < 1e-3), "{t:?}");
        // A price axis 104,560 … 121,728: 5,000 steps from 100k to 125k.
        let t = nice_ticks(104_560.0, 121_728.0, 5);
        assert_eq!(t, vec![100e3, 105e3, 110e3, 115e3, 120e3, 125e3]);
        assert_eq!(nice_ticks(0.0, 0.07, 4), vec![0.0, 0.02, 0.04, 0.06, 0.08]);
        for (lo, hi) in [(0.0, 1.0), (3.0, 977.0), (-12.0, 40.0), (1e-4, 3e-4)] {
            let t = nice_ticks(lo, hi, 5);
            let s = steps(&t)[0];
            let mantissa = s / 10f64.powf(s.log10().floor());
            assert!(
                [1.0, 2.0, 5.0].iter().any(|m| (m - mantissa).abs() < 1e-6),
                "{lo}..{hi}: step {s}"
            );
            assert!(t[0] <= lo && *t.last().unwrap() >= hi, "{lo}..{hi}: {t:?}");
            assert!(t.len() <= 12, "{t:?}");
        }
    }

    #[test]
    fn counts_get_whole_number_ticks() {
        // Rounds 1 … 4 would get 0.5 steps (4.75-like labels) as reals.
        assert_eq!(nice_ticks(0.0, 4.0, 8)[1], 0.5);
        let t = integer_ticks(0.0, 4.0, 8);
        assert_eq!(t, vec![0.0, 1.0, 2.0, 3.0, 4.0]);
        let t = integer_ticks(0.0, 17.0, 5);
        assert!(t.iter().all(|v| v.fract() == 0.0), "{t:?}");
        assert_eq!(tick_label(5.0, 1.0), "5");
        assert_eq!(tick_label(0.04, 0.02), "0.04");
        assert_eq!(tick_label(5.2e6, 0.2e6), "5.2M");
        assert_eq!(tick_label(110e3, 5e3), "110k");
        assert_eq!(tick_label(0.0, 1e8), "0");
        assert_eq!(count(10977.0), "10,977");
        assert_eq!(count(999.0), "999");
        assert_eq!(count(1_234_567.0), "1,234,567");
    }

    #[test]
    fn utc_clock_ticks() {
        let t0 = 1_760_054_400; // 2025-10-10 00:00 UTC
        assert_eq!(utc_time(t0), "2025-10-10 00:00");
        assert_eq!(utc_time(t0 + 1439 * 60), "2025-10-10 23:59");
        assert_eq!(utc_date(0), "1970-01-01");
        let t = time_ticks(t0, t0 + 1439 * 60, 9);
        assert_eq!(t.len(), 8, "every 3 h");
        assert_eq!(utc_clock(t[1]), "03:00");
        let t = time_ticks(t0 + 90, t0 + 3600, 7);
        assert_eq!(utc_clock(t[0]), "00:10");
    }
}
