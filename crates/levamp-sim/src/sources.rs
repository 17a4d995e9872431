//! Files a scenario reads (snapshots, price CSVs), from disk or from the
//! copies embedded in the binary (the default scenario). CSV price series
//! are checked: positive numbers, sorted timestamps, no gaps.

use levamp_core::Price;
use levamp_io::json::InputError;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where files come from.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    embedded: BTreeMap<PathBuf, Cow<'static, str>>,
}

impl Sources {
    /// Files on disk only.
    pub fn disk() -> Sources {
        Sources::default()
    }

    /// Adds an embedded file answering for `path`.
    pub fn with(mut self, path: impl Into<PathBuf>, text: &'static str) -> Sources {
        self.embedded.insert(path.into(), Cow::Borrowed(text));
        self
    }

    /// Adds a copy of a file answering for `path` (a file shipped to a
    /// machine that does not have it: the Python package's Ray sweeps).
    pub fn with_text(mut self, path: impl Into<PathBuf>, text: String) -> Sources {
        self.embedded.insert(path.into(), Cow::Owned(text));
        self
    }

    /// A file's text.
    pub fn read(&self, path: &Path) -> Result<String, InputError> {
        if let Some(t) = self.embedded.get(path) {
            return Ok(t.to_string());
        }
        levamp_io::input_limit::read_file(path)
    }

    /// The values of `column` in a CSV price series, checked: every value a
    /// decimal > 0; if a time column (`open_time`, `timestamp`, `time`) holds
    /// integers, strictly increasing with a constant step (no gaps).
    pub fn csv_column(&self, path: &Path, column: &str) -> Result<Vec<Price>, InputError> {
        self.csv_series(path, column).map(|(prices, _)| prices)
    }

    /// [`Sources::csv_column`] and the first row's time as Unix seconds, when
    /// the series has an integer time column (milliseconds, as Binance
    /// exports, when above 10¹¹).
    pub fn csv_series(
        &self,
        path: &Path,
        column: &str,
    ) -> Result<(Vec<Price>, Option<i64>), InputError> {
        let text = self.read(path)?;
        let file = path.display().to_string();
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((_, header)) = lines.next() else {
            return Err(InputError {
                at: file,
                message: "empty CSV".into(),
            });
        };
        let names: Vec<&str> = header.split(',').map(str::trim).collect();
        let Some(col) = names.iter().position(|n| *n == column) else {
            let hint = levamp_io::did_you_mean(column, names.iter().copied())
                .map(|s| format!("; did you mean {}?", levamp_io::json::quote(s)))
                .unwrap_or_default();
            return Err(InputError {
                at: format!("{file}:1"),
                message: format!(
                    "no column {} (columns: {}){hint}",
                    levamp_io::json::quote(column),
                    names.join(", ")
                ),
            });
        };
        let time = names
            .iter()
            .position(|n| matches!(*n, "open_time" | "timestamp" | "time"));
        let mut out = Vec::new();
        let (mut last_t, mut step): (Option<i128>, Option<i128>) = (None, None);
        let mut first_t: Option<i128> = None;
        for (i, line) in lines {
            let at = format!("{file}:{}", i + 1);
            let cells: Vec<&str> = line.split(',').map(str::trim).collect();
            let cell = cells.get(col).ok_or_else(|| InputError {
                at: at.clone(),
                message: format!("{column}: missing (the row has {} fields)", cells.len()),
            })?;
            let raw = levamp_core::parse_raw(cell).map_err(|e| InputError {
                at: at.clone(),
                message: format!("{column}: {e}"),
            })?;
            if raw <= 0 {
                return Err(InputError {
                    at,
                    message: format!("{column}: must be > 0, found {cell}"),
                });
            }
            out.push(Price::from_raw(raw));
            if let Some(t) = time
                .and_then(|c| cells.get(c))
                .and_then(|c| c.parse::<i128>().ok())
            {
                if let Some(prev) = last_t {
                    let d = t - prev;
                    if d <= 0 {
                        return Err(InputError {
                            at,
                            message: format!(
                                "{}: not sorted ({t} after {prev})",
                                names[time.unwrap_or(0)]
                            ),
                        });
                    }
                    match step {
                        None => step = Some(d),
                        Some(s) if s != d => {
                            return Err(InputError {
                                at,
                                message: format!(
                                    "{}: gap: {d} after the previous row, the series steps by {s}",
                                    names[time.unwrap_or(0)]
                                ),
                            })
                        }
                        _ => {}
                    }
                }
                last_t = Some(t);
                first_t.get_or_insert(t);
            }
        }
        if out.len() < 2 {
            return Err(InputError {
                at: file,
                message: "needs at least two prices".into(),
            });
        }
        let start = first_t.map(|t| if t > 100_000_000_000 { t / 1000 } else { t });
        Ok((out, start.and_then(|t| i64::try_from(t).ok())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(csv: &'static str) -> Result<Vec<Price>, InputError> {
        Sources::disk()
            .with("p.csv", csv)
            .csv_column(Path::new("p.csv"), "close")
    }

    #[test]
    fn csv_errors_name_file_line_and_field() {
        assert_eq!(
            check("open_time,close\n0,1\n60,2\n120,3\n").unwrap(),
            vec![Price::from_int(1), Price::from_int(2), Price::from_int(3)]
        );
        assert_eq!(
            check("open_time,close\n0,1\n60,-2\n")
                .unwrap_err()
                .to_string(),
            "p.csv:3: close: must be > 0, found -2"
        );
        assert_eq!(
            check("open_time,close\n0,1\n60,2\n30,3\n")
                .unwrap_err()
                .to_string(),
            "p.csv:4: open_time: not sorted (30 after 60)"
        );
        assert_eq!(
            check("open_time,close\n0,1\n60,2\n180,3\n")
                .unwrap_err()
                .to_string(),
            "p.csv:4: open_time: gap: 120 after the previous row, the series steps by 60"
        );
        assert!(check("open_time,clos\n0,1\n")
            .unwrap_err()
            .to_string()
            .contains("did you mean \"clos\""));
        assert!(check("open_time,close\n0,abc\n60,1\n")
            .unwrap_err()
            .to_string()
            .starts_with("p.csv:2: close: not a decimal"));
    }
}
