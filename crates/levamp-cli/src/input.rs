//! Reading input files with a size limit: a snapshot or event log is read
//! whole, up to `LEVAMP_MAX_INPUT_BYTES` (default 2 GiB); a script is read
//! line by line and only a single line is bounded by that limit. Input must
//! be UTF-8. Errors name the file (or line) and the limit.

use anyhow::{bail, Result};
use levamp_io::InputError;
use std::io::{BufRead, BufReader, Read};

use levamp_io::input_limit::{cannot_read, too_large};
use std::path::Path;

/// The input limit (see [`levamp_io::input_limit`]).
pub fn limit() -> Result<u64> {
    Ok(levamp_io::input_limit::limit()?)
}

/// Opens `file` (`-` or nothing: standard input): the reader and the name
/// errors use.
fn open(file: Option<&str>) -> Result<(Box<dyn Read>, String)> {
    match file {
        None | Some("-") => match crate::capture::take_stdin() {
            Some(text) => Ok((Box::new(std::io::Cursor::new(text)), "<stdin>".to_string())),
            None => Ok((Box::new(std::io::stdin()), "<stdin>".to_string())),
        },
        Some(path) => {
            let f = std::fs::File::open(path)
                .map_err(|e| anyhow::anyhow!(cannot_read(Path::new(path), e)))?;
            Ok((Box::new(f), path.to_string()))
        }
    }
}

/// Reads `file` (`-` or nothing: standard input) whole, up to the input
/// limit: (text, name for messages).
pub fn read_input(file: Option<&str>) -> Result<(String, String)> {
    let limit = limit()?;
    let (reader, name) = open(file)?;
    if let Some(size) = file
        .filter(|f| *f != "-")
        .and_then(|f| std::fs::metadata(f).ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
    {
        if size > limit {
            bail!("{name}: {}", too_large("larger", limit));
        }
    }
    let mut bytes = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| match file.filter(|f| *f != "-") {
            Some(f) => anyhow::anyhow!(cannot_read(Path::new(f), e)),
            None => anyhow::anyhow!("cannot read {name}: {e}"),
        })?;
    if bytes.len() as u64 > limit {
        bail!("{name}: {}", too_large("larger", limit));
    }
    let text = utf8(bytes).map_err(|m| anyhow::anyhow!("{name}: {m}"))?;
    Ok((text, name))
}

fn utf8(bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 (invalid byte at byte {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// The lines of `file` (`-`: standard input), read as they are needed, each
/// without its line end; a line longer than the input limit, invalid UTF-8
/// or a read error ends them with an error naming the line.
pub fn lines(file: &str) -> Result<impl Iterator<Item = Result<String, InputError>>> {
    let limit = limit()?;
    let (reader, _) = open(Some(file))?;
    let path = (file != "-").then(|| std::path::PathBuf::from(file));
    let mut reader = BufReader::with_capacity(1 << 16, reader);
    let mut line_no = 0usize;
    let mut done = false;
    Ok(std::iter::from_fn(move || {
        if done {
            return None;
        }
        line_no += 1;
        let at = format!("line {line_no}");
        let fail = |message: String| {
            Some(Err(InputError {
                at: at.clone(),
                message,
            }))
        };
        let mut buf = Vec::new();
        let read = (&mut reader)
            .take(limit.saturating_add(1))
            .read_until(b'\n', &mut buf);
        match read {
            Err(e) => {
                done = true;
                return fail(match &path {
                    None => format!("cannot read <stdin>: {e}"),
                    Some(path) => cannot_read(path, e),
                });
            }
            Ok(0) => return None,
            Ok(_) => {}
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
        } else if buf.len() as u64 > limit {
            done = true;
            return fail(too_large("longer", limit));
        }
        match utf8(buf) {
            Ok(text) => Some(Ok(text)),
            Err(m) => {
                done = true;
                fail(m)
            }
        }
    }))
}
