//! The one input-size limit of every file levamp reads whole (snapshots,
//! event logs, states, scenarios, price CSVs): `LEVAMP_MAX_INPUT_BYTES`
//! bytes, 2 GiB unless set. A file over it is refused before it is read, a
//! stream (a FIFO, `/dev/zero`) is cut at the limit; either way the error
//! names the limit and how to raise it. See docs/io-safety.md.

use crate::json::InputError;
use std::io::Read;
use std::path::Path;

/// The environment variable that sets the input limit in bytes.
pub const LIMIT_VAR: &str = "LEVAMP_MAX_INPUT_BYTES";
/// The input limit when [`LIMIT_VAR`] is not set: 2 GiB.
pub const DEFAULT_LIMIT: u64 = 2 << 30;

/// The input limit: [`LIMIT_VAR`] if set (a whole number > 0), else [`DEFAULT_LIMIT`].
pub fn limit() -> Result<u64, InputError> {
    let bad = |m: &str| InputError {
        at: LIMIT_VAR.to_string(),
        message: m.to_string(),
    };
    match std::env::var(LIMIT_VAR) {
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT_LIMIT),
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(bad(&format!(
                "must be a whole number of bytes > 0, found {}",
                crate::json::quote(&v)
            ))),
        },
        Err(_) => Err(bad("not valid UTF-8")),
    }
}

/// The message for an input over `limit` (`what`: "larger", "longer").
pub fn too_large(what: &str, limit: u64) -> String {
    format!("{what} than the input limit of {limit} bytes (set {LIMIT_VAR} to raise it)")
}

/// The one message for a file that cannot be opened or read: `cannot read
/// PATH: reason`, with `PATH` made absolute (resolved against the current
/// directory) so the user sees which file was meant.
pub fn cannot_read(path: &Path, reason: impl std::fmt::Display) -> String {
    let resolved = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    format!("cannot read {}: {reason}", resolved.display())
}

/// Reads the file at `path` whole as UTF-8 text, up to the input limit;
/// errors name the file.
pub fn read_file(path: &Path) -> Result<String, InputError> {
    let at = path.display().to_string();
    let fail = |message: String| InputError {
        at: at.clone(),
        message,
    };
    let limit = limit()?;
    let unreadable = |e: std::io::Error| InputError {
        at: String::new(),
        message: cannot_read(path, e),
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    if let Ok(m) = file.metadata() {
        if m.is_file() && m.len() > limit {
            return Err(fail(too_large("larger", limit)));
        }
    }
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > limit {
        return Err(fail(too_large("larger", limit)));
    }
    String::from_utf8(bytes).map_err(|e| {
        fail(format!(
            "not UTF-8 (invalid byte at byte {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_over_the_limit_is_refused_with_the_limit_named() {
        let p = std::env::temp_dir().join(format!("levamp-limit-{}", std::process::id()));
        std::fs::write(&p, vec![b'x'; 64]).unwrap();
        // The default limit reads it; over-limit reads are covered end to end
        // (tests/ of levamp-cli and levamp-sim set the variable per process).
        assert_eq!(read_file(&p).unwrap().len(), 64);
        assert!(too_large("larger", 10).contains(LIMIT_VAR));
        std::fs::remove_file(&p).unwrap();
    }
}
