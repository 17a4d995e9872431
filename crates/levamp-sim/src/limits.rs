//! Upper limits on what a scenario may ask for (docs/scenarios.md,
//! "Limits"): the sizes whose cost cannot be streamed away. A path's series
//! is downsampled ([`crate::series`]), so `steps` costs time, not memory;
//! but every path's metrics are held and written (`metrics.json`,
//! `paths.csv`: one row per path), and every path works on its own copy of
//! the venue (memory ∝ accounts × threads). Each limit is a constant here:
//! raise it and rebuild if the machine has the room.

use levamp_io::json::InputError;

/// Most steps in one path (`run.steps`): about a minute of work per path on
/// a small population; a longer horizon is better served by a larger `dt_s`.
pub const MAX_STEPS: usize = 10_000_000;
/// Most paths in one run (`run.paths`): `metrics.json` is built in memory
/// with one object per path (≈1.5 kB written, a few kB held, plus at most
/// [`crate::series::FAN_POINTS`] prices for the fan: ≤ 4 kB).
pub const MAX_PATHS: usize = 100_000;
/// Most accounts in the venue (population or snapshot, agents included):
/// each simulation thread holds a copy of the venue (restored between paths).
pub const MAX_ACCOUNTS: usize = 1_000_000;
/// Most paths that keep a time series (`run.series_paths`); each keeps at
/// most [`crate::series::MAX_POINTS`] records.
pub const MAX_SERIES_PATHS: usize = 1_000;

/// Checks `value` of `key` against `limit`; the error names both and how
/// to raise the limit.
pub fn check(key: &str, value: usize, limit: usize, hint: &str) -> Result<(), InputError> {
    if value <= limit {
        return Ok(());
    }
    Err(InputError {
        at: key.to_string(),
        message: format!(
            "{value} is above the limit of {limit} ({hint}; the limit is a constant in crates/levamp-sim/src/limits.rs: raise it and rebuild if the machine has the room)"
        ),
    })
}
