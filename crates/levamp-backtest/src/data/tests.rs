use super::*;

const HEAD: &str = "open_time_utc,open,high,low,close\n";

fn bars(rows: &str) -> Result<Series, InputError> {
    parse_bars("p.csv", &format!("{HEAD}{rows}"), 6)
}

fn message(r: Result<Series, InputError>) -> String {
    r.unwrap_err().to_string()
}

#[test]
fn reads_exact_prices() {
    let s = bars("2020-03-12T00:00:00Z,7911.43,7925.0,7700.1,7800.5\n").unwrap();
    assert_eq!(s.bars[0].open, "7911.43".parse().unwrap());
    assert_eq!(s.bars[0].time, 1_583_971_200);
}

#[test]
fn unsorted_duplicate_gap_and_negative_rows_name_file_and_line() {
    let a = "2020-03-12T01:00:00Z,1,1,1,1\n";
    let b = "2020-03-12T00:00:00Z,1,1,1,1\n";
    assert_eq!(
        message(bars(&format!("{a}{b}"))),
        "p.csv:3: open_time_utc: unsorted: 2020-03-12T00:00:00Z comes after 2020-03-12T01:00:00Z"
    );
    assert_eq!(
        message(bars(&format!("{a}{a}"))),
        "p.csv:3: open_time_utc: duplicate time 2020-03-12T01:00:00Z"
    );
    let later = "2020-03-12T09:00:00Z,1,1,1,1\n";
    assert_eq!(
        message(bars(&format!("{a}{later}"))),
        "p.csv:3: open_time_utc: gap of 7 h after 2020-03-12T01:00:00Z (more than [data] max_gap_hours = 6)"
    );
    assert_eq!(
        message(bars("2020-03-12T00:00:00Z,1,1,-2.5,1\n")),
        "p.csv:2: low: price must be > 0, found -2.5"
    );
    assert_eq!(
        message(bars("2020-03-12T00:30:00Z,1,1,1,1\n")),
        "p.csv:2: open_time_utc: 2020-03-12T00:30:00Z is not on the hour"
    );
}

#[test]
fn gaps_within_the_limit_are_recorded_and_forward_filled() {
    let s = bars("2020-03-12T00:00:00Z,1,1,1,1\n2020-03-12T03:00:00Z,2,2,2,2\n").unwrap();
    assert_eq!(s.gaps.len(), 1);
    assert_eq!(s.gaps[0].missing, 2);
    let aligned = align(&s, 1_583_971_200, 1_583_971_200 + 4 * HOUR, "perp").unwrap();
    assert_eq!(aligned.len(), 4);
    assert_eq!(aligned[1].open, Price::ONE);
    assert_eq!(aligned[3].open, Price::from_int(2));
}

#[test]
fn window_outside_the_data_names_the_key() {
    let s = bars("2020-03-12T00:00:00Z,1,1,1,1\n").unwrap();
    let e = align(&s, 1_583_971_200 - HOUR, 1_583_971_200 + HOUR, "mark").unwrap_err();
    assert_eq!(e.at, "data.start");
    let e = align(&s, 1_583_971_200, 1_583_971_200 + 2 * HOUR, "mark").unwrap_err();
    assert_eq!(e.at, "data.end");
}

#[test]
fn funding_rows_are_checked() {
    let head = "funding_time_utc,funding_rate\n";
    let f = parse_funding(
        "f.csv",
        &format!("{head}2020-03-12T00:00:00Z,4.037e-05\n"),
        28_800,
        6,
    )
    .unwrap();
    assert_eq!(f.rows[0].1, "0.00004037".parse().unwrap());
    let e = parse_funding(
        "f.csv",
        &format!("{head}2020-03-12T04:00:00Z,0.0001\n"),
        28_800,
        6,
    );
    assert_eq!(e.unwrap_err().at, "f.csv:2: funding_time_utc");
    let e = parse_funding(
        "f.csv",
        &format!("{head}2020-03-12T00:00:00Z,1.5\n"),
        28_800,
        6,
    );
    assert_eq!(e.unwrap_err().at, "f.csv:2: funding_rate");
}

#[test]
fn shipped_history_loads_clean() {
    let src = shipped("BTCUSDT").unwrap();
    let mark = parse_bars(&src.mark.name(), &src.mark.text().unwrap(), 6).unwrap();
    assert_eq!(mark.bars.len(), 56_084);
    assert!(mark.gaps.is_empty());
    let spot = parse_bars(&src.spot.name(), &src.spot.text().unwrap(), 6).unwrap();
    assert_eq!(spot.gaps.len(), 17);
    assert_eq!(spot.gaps.iter().map(|g| g.missing).sum::<i64>(), 36);
}
