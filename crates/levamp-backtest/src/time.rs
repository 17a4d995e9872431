//! UTC timestamps as the data and the strategy files write them:
//! `YYYY-MM-DDTHH:MM:SSZ` ⇄ Unix seconds (proleptic Gregorian calendar,
//! Howard Hinnant's `days_from_civil` / `civil_from_days`).

/// Seconds in an hour: the step of the hourly series.
pub const HOUR: i64 = 3600;

/// Parses `YYYY-MM-DDTHH:MM:SSZ` exactly (nothing else accepted).
pub fn parse(text: &str) -> Result<i64, String> {
    let b = text.as_bytes();
    let bad = || format!("{text:?} is not a UTC time written YYYY-MM-DDTHH:MM:SSZ");
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Result<i64, String> {
        let s = &text[r];
        match s.bytes().all(|c| c.is_ascii_digit()) {
            true => s.parse().map_err(|_| bad()),
            false => Err(bad()),
        }
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if d < 1 || d > days_in_month || hh > 23 || mm > 59 || ss > 59 {
        return Err(bad());
    }
    Ok(days_from_civil(y, m, d) * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format(t: i64) -> String {
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The calendar year (UTC) of Unix seconds `t`.
pub fn year_of(t: i64) -> i64 {
    civil_from_days(t.div_euclid(86_400)).0
}

/// 00:00:00 UTC on 1 January of `year`, in Unix seconds.
pub fn year_start(year: i64) -> i64 {
    days_from_civil(year, 1, 1) * 86_400
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_known_times() {
        // 2020-03-12T00:00:00Z = 1583971200 (date -d).
        assert_eq!(parse("2020-03-12T00:00:00Z"), Ok(1_583_971_200));
        assert_eq!(format(1_583_971_200), "2020-03-12T00:00:00Z");
        assert_eq!(
            parse("2024-02-29T23:59:59Z").map(format).unwrap(),
            "2024-02-29T23:59:59Z"
        );
        assert!(parse("2023-02-29T00:00:00Z").is_err());
        assert!(parse("2020-03-12 00:00:00").is_err());
        assert_eq!(year_start(2021), 1_609_459_200);
        assert_eq!(year_of(1_609_459_199), 2020);
        assert_eq!(year_of(1_609_459_200), 2021);
    }
}
