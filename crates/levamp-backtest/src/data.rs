//! Market history: hourly perp, spot and mark candles and 8-hourly funding
//! rates, read from CSV with checks. The Binance BTCUSDT and ETHUSDT files
//! of `data/binance/` (GPL-3.0, see its SOURCE.md) are embedded gzip-compressed;
//! `[data]` may name the user's own CSVs with the same columns instead.
//!
//! Every row is checked where it enters: times strictly increasing (an
//! earlier or equal time is "unsorted" or "duplicate"), candles on the hour,
//! prices > 0 and exact (read as decimals, never floats), gaps recorded and
//! refused beyond `max_gap_hours`. Errors are `FILE:LINE: field: reason`.

use crate::time::{self, HOUR};
use levamp_core::{Price, Ratio};
use levamp_io::json::InputError;
use std::io::Read;
use std::path::{Path, PathBuf};

/// One hourly candle, `[time, time + 1 h)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bar {
    pub time: i64,
    pub open: Price,
    pub high: Price,
    pub low: Price,
    pub close: Price,
}

/// A hole in a series: `missing` steps are absent after the row at `after`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gap {
    pub file: String,
    pub after: i64,
    /// Missing hours (candles) or missing settlements (funding).
    pub missing: i64,
}

/// An hourly candle series as read from one file.
#[derive(Clone, Debug)]
pub struct Series {
    /// The file (for messages).
    pub file: String,
    pub bars: Vec<Bar>,
    pub gaps: Vec<Gap>,
}

/// A funding-rate series: (settlement time, rate per interval).
#[derive(Clone, Debug)]
pub struct Funding {
    pub file: String,
    pub rows: Vec<(i64, Ratio)>,
    pub gaps: Vec<Gap>,
}

/// Where a series comes from.
#[derive(Clone, Debug)]
pub enum Source {
    /// A gzip-compressed file shipped in the binary, under its repository path.
    Shipped(&'static str, &'static [u8]),
    /// A file on disk (`.gz` is decompressed).
    File(PathBuf),
}

/// The four sources of one market.
#[derive(Clone, Debug)]
pub struct Sources {
    pub perp: Source,
    pub spot: Source,
    pub mark: Source,
    pub funding: Source,
}

macro_rules! shipped {
    ($file:literal) => {
        Source::Shipped(
            concat!("data/binance/", $file),
            include_bytes!(concat!("../../../data/binance/", $file)),
        )
    };
}

/// Markets whose history is shipped.
pub const SHIPPED_MARKETS: &[&str] = &["BTCUSDT", "ETHUSDT"];

/// The shipped sources of `market`, if it is one of [`SHIPPED_MARKETS`].
pub fn shipped(market: &str) -> Option<Sources> {
    match market {
        "BTCUSDT" => Some(Sources {
            perp: shipped!("BTCUSDT_perp_1h.csv.gz"),
            spot: shipped!("BTCUSDT_spot_1h.csv.gz"),
            mark: shipped!("BTCUSDT_mark_1h.csv.gz"),
            funding: shipped!("BTCUSDT_funding_8h.csv.gz"),
        }),
        "ETHUSDT" => Some(Sources {
            perp: shipped!("ETHUSDT_perp_1h.csv.gz"),
            spot: shipped!("ETHUSDT_spot_1h.csv.gz"),
            mark: shipped!("ETHUSDT_mark_1h.csv.gz"),
            funding: shipped!("ETHUSDT_funding_8h.csv.gz"),
        }),
        _ => None,
    }
}

/// Largest compressed or plain CSV read from disk.
const MAX_FILE_BYTES: u64 = 512 << 20;

impl Source {
    /// The name used in messages.
    pub fn name(&self) -> String {
        match self {
            Source::Shipped(name, _) => name.to_string(),
            Source::File(p) => p.display().to_string(),
        }
    }

    /// The file's text (decompressed).
    pub fn text(&self) -> Result<String, InputError> {
        let fail = |m: String| InputError {
            at: self.name(),
            message: m,
        };
        let bytes = match self {
            Source::Shipped(_, b) => return gunzip(b).map_err(fail),
            Source::File(p) => read_limited(p).map_err(fail)?,
        };
        match self {
            Source::File(p) if p.extension().is_some_and(|e| e == "gz") => {
                gunzip(&bytes).map_err(fail)
            }
            _ => String::from_utf8(bytes).map_err(|_| fail("not UTF-8 text".into())),
        }
    }
}

fn read_limited(p: &Path) -> Result<Vec<u8>, String> {
    let f = std::fs::File::open(p).map_err(|e| format!("cannot read: {e}"))?;
    let mut bytes = Vec::new();
    f.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!("larger than {} MiB", MAX_FILE_BYTES >> 20));
    }
    Ok(bytes)
}

fn gunzip(bytes: &[u8]) -> Result<String, String> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .take(4 * MAX_FILE_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot decompress: {e}"))?;
    Ok(text)
}

/// A place in a file: `FILE:LINE: field`.
fn at(file: &str, line: usize, field: &str) -> String {
    format!("{file}:{line}: {field}")
}

/// Checks the header line against `columns` (a trailing `volume` allowed).
fn header(file: &str, text: &str, columns: &[&str]) -> Result<(), InputError> {
    let first = text.lines().next().unwrap_or("").trim_end_matches('\r');
    let names: Vec<&str> = first.split(',').map(str::trim).collect();
    let ok = names.len() >= columns.len()
        && names[..columns.len()] == *columns
        && (names.len() == columns.len()
            || (names.len() == columns.len() + 1 && names[columns.len()] == "volume"));
    match ok {
        true => Ok(()),
        false => Err(InputError {
            at: at(file, 1, "header"),
            message: format!(
                "expected the columns {} (and optionally volume), found {first:?}",
                columns.join(",")
            ),
        }),
    }
}

/// Checks that `time` follows `last` (strictly), recording a gap of more
/// than one `step` (seconds); a gap longer than `max_gap_hours` is refused.
fn follow(
    file: &str,
    line: usize,
    field: &str,
    last: Option<i64>,
    time: i64,
    (step, max_gap_hours): (i64, i64),
    gaps: &mut Vec<Gap>,
) -> Result<(), InputError> {
    let Some(last) = last else { return Ok(()) };
    let fail = |m: String| InputError {
        at: at(file, line, field),
        message: m,
    };
    if time == last {
        return Err(fail(format!("duplicate time {}", time::format(time))));
    }
    if time < last {
        return Err(fail(format!(
            "unsorted: {} comes after {}",
            time::format(time),
            time::format(last)
        )));
    }
    if time - last > step {
        let hours = (time - last - step) / HOUR;
        if hours > max_gap_hours {
            return Err(fail(format!(
                "gap of {hours} h after {} (more than [data] max_gap_hours = {max_gap_hours})",
                time::format(last)
            )));
        }
        gaps.push(Gap {
            file: file.to_string(),
            after: last,
            missing: (time - last) / step - 1,
        });
    }
    Ok(())
}

/// The data rows of a CSV after its header: (1-based line number, row
/// without its line ending), blank rows skipped.
fn data_rows(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .skip(1)
        .map(|(i, row)| (i + 1, row.trim_end_matches('\r')))
        .filter(|(_, row)| !row.is_empty())
}

/// Reads an hourly candle CSV (`open_time_utc,open,high,low,close[,volume]`).
pub fn parse_bars(file: &str, text: &str, max_gap_hours: i64) -> Result<Series, InputError> {
    const COLUMNS: [&str; 5] = ["open_time_utc", "open", "high", "low", "close"];
    header(file, text, &COLUMNS)?;
    let mut bars: Vec<Bar> = Vec::with_capacity(text.len() / 48);
    let mut gaps = Vec::new();
    for (line, row) in data_rows(text) {
        let mut cells = row.split(',');
        let mut cell = |name: &str| {
            cells.next().ok_or_else(|| InputError {
                at: at(file, line, name),
                message: "missing".into(),
            })
        };
        let time_text = cell(COLUMNS[0])?;
        let time = time::parse(time_text).map_err(|m| InputError {
            at: at(file, line, COLUMNS[0]),
            message: m,
        })?;
        if time % HOUR != 0 {
            return Err(InputError {
                at: at(file, line, COLUMNS[0]),
                message: format!("{time_text} is not on the hour"),
            });
        }
        let mut price = |name: &str| -> Result<Price, InputError> {
            let text = cell(name)?;
            let fail = |m: String| InputError {
                at: at(file, line, name),
                message: m,
            };
            let p: Price = text.trim().parse().map_err(|e| fail(format!("{e}")))?;
            match p.is_positive() {
                true => Ok(p),
                false => Err(fail(format!("price must be > 0, found {}", text.trim()))),
            }
        };
        let (open, high, low, close) = (
            price("open")?,
            price("high")?,
            price("low")?,
            price("close")?,
        );
        follow(
            file,
            line,
            COLUMNS[0],
            bars.last().map(|b| b.time),
            time,
            (HOUR, max_gap_hours),
            &mut gaps,
        )?;
        bars.push(Bar {
            time,
            open,
            high,
            low,
            close,
        });
    }
    if bars.is_empty() {
        return Err(InputError {
            at: at(file, 2, "open_time_utc"),
            message: "no rows".into(),
        });
    }
    Ok(Series {
        file: file.to_string(),
        bars,
        gaps,
    })
}

/// Reads a funding CSV (`funding_time_utc,funding_rate`); settlements are
/// `interval_s` apart, a longer step is a gap.
pub fn parse_funding(
    file: &str,
    text: &str,
    interval_s: i64,
    max_gap_hours: i64,
) -> Result<Funding, InputError> {
    const COLUMNS: [&str; 2] = ["funding_time_utc", "funding_rate"];
    header(file, text, &COLUMNS)?;
    let mut rows: Vec<(i64, Ratio)> = Vec::with_capacity(text.len() / 30);
    let mut gaps = Vec::new();
    for (line, row) in data_rows(text) {
        let mut cells = row.split(',');
        let (Some(t), Some(r), None) = (cells.next(), cells.next(), cells.next()) else {
            return Err(InputError {
                at: at(file, line, "funding_rate"),
                message: "expected two cells: funding_time_utc,funding_rate".into(),
            });
        };
        let fail = |field: &str, m: String| InputError {
            at: at(file, line, field),
            message: m,
        };
        let time = time::parse(t).map_err(|m| fail(COLUMNS[0], m))?;
        if time % interval_s != 0 {
            return Err(fail(
                COLUMNS[0],
                format!(
                    "{t} is not a funding time (a multiple of {} h)",
                    interval_s / HOUR
                ),
            ));
        }
        let rate: Ratio = r
            .trim()
            .parse()
            .map_err(|e| fail(COLUMNS[1], format!("{e}")))?;
        if rate.checked_abs().map_or(true, |a| a >= Ratio::ONE) {
            return Err(fail(
                COLUMNS[1],
                format!("must be between -1 and 1, found {r}"),
            ));
        }
        let last = rows.last().map(|x| x.0);
        follow(
            file,
            line,
            COLUMNS[0],
            last,
            time,
            (interval_s, max_gap_hours),
            &mut gaps,
        )?;
        rows.push((time, rate));
    }
    if rows.is_empty() {
        return Err(InputError {
            at: at(file, 2, "funding_time_utc"),
            message: "no rows".into(),
        });
    }
    Ok(Funding {
        file: file.to_string(),
        rows,
        gaps,
    })
}

/// The hourly series of a window, aligned hour by hour.
#[derive(Clone, Debug)]
pub struct Window {
    /// Hour starts, `start ≤ t < end`, every hour.
    pub hours: Vec<i64>,
    pub perp: Vec<Bar>,
    pub spot: Vec<Bar>,
    pub mark: Vec<Bar>,
    /// Settlements inside the window: (time, rate).
    pub funding: Vec<(i64, Ratio)>,
    /// Gaps inside the window (forward-filled: the hour repeats the last close).
    pub gaps: Vec<Gap>,
    /// Perp candles of the hours just before `start` that warm a sizing
    /// estimator up (empty unless [`Window::with_warmup`]).
    pub warmup: Vec<Bar>,
}

/// The candle of every hour of `[start, end)` from `s`; a missing hour (a
/// gap within the limit) is a flat candle at the previous close. `key` names
/// the window's bound for errors.
fn align(s: &Series, start: i64, end: i64, what: &str) -> Result<Vec<Bar>, InputError> {
    let first = s.bars[0].time;
    let last = s.bars[s.bars.len() - 1].time;
    if start < first {
        return Err(InputError {
            at: "data.start".into(),
            message: format!(
                "{} is before the {what} series starts ({}, {})",
                time::format(start),
                time::format(first),
                s.file
            ),
        });
    }
    if end > last + HOUR {
        return Err(InputError {
            at: "data.end".into(),
            message: format!(
                "{} is after the {what} series ends ({} is its last hour, {})",
                time::format(end),
                time::format(last),
                s.file
            ),
        });
    }
    let mut i = s.bars.partition_point(|b| b.time <= start) - 1;
    let mut out = Vec::with_capacity(((end - start) / HOUR) as usize);
    let mut t = start;
    while t < end {
        while i + 1 < s.bars.len() && s.bars[i + 1].time <= t {
            i += 1;
        }
        let b = s.bars[i];
        out.push(match b.time == t {
            true => b,
            false => Bar {
                time: t,
                open: b.close,
                high: b.close,
                low: b.close,
                close: b.close,
            },
        });
        t += HOUR;
    }
    Ok(out)
}

impl Window {
    /// Cuts `[start, end)` out of the series (the window must lie within
    /// every series).
    pub fn cut(
        perp: &Series,
        spot: &Series,
        mark: &Series,
        funding: &Funding,
        start: i64,
        end: i64,
    ) -> Result<Window, InputError> {
        let hours: Vec<i64> = (0..(end - start) / HOUR)
            .map(|k| start + k * HOUR)
            .collect();
        let funding_rows: Vec<(i64, Ratio)> = funding
            .rows
            .iter()
            .copied()
            .filter(|(t, _)| (start..end).contains(t))
            .collect();
        let f0 = funding.rows[0].0;
        if start < f0 {
            return Err(InputError {
                at: "data.start".into(),
                message: format!(
                    "{} is before the funding series starts ({}, {})",
                    time::format(start),
                    time::format(f0),
                    funding.file
                ),
            });
        }
        let gaps = [&perp.gaps, &spot.gaps, &mark.gaps, &funding.gaps]
            .into_iter()
            .flatten()
            .filter(|g| (start..end).contains(&g.after))
            .cloned()
            .collect();
        Ok(Window {
            perp: align(perp, start, end, "perp")?,
            spot: align(spot, start, end, "spot")?,
            mark: align(mark, start, end, "mark")?,
            hours,
            funding: funding_rows,
            gaps,
            warmup: Vec::new(),
        })
    }

    /// Adds the `hours` perp candles before the window's first hour
    /// (`start` is the window's start; the error names `sizing.warmup_hours`).
    pub fn with_warmup(
        mut self,
        perp: &Series,
        start: i64,
        hours: i64,
    ) -> Result<Window, InputError> {
        if hours == 0 {
            return Ok(self);
        }
        let from = start - hours * HOUR;
        if from < perp.bars[0].time {
            return Err(InputError {
                at: "sizing.warmup_hours".into(),
                message: format!(
                    "{hours} h of perp history before data.start are needed from {}, but the perp series starts {} ({})",
                    time::format(from),
                    time::format(perp.bars[0].time),
                    perp.file
                ),
            });
        }
        self.warmup = align(perp, from, start, "perp")?;
        Ok(self)
    }
}

#[cfg(test)]
mod tests;
