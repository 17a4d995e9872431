//! Why a command was refused. A refused command leaves the state and the
//! event log exactly as they were.

use levamp_core::{Base, MathError, Quote};

/// A refused command.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VenueError {
    #[error("unknown {kind} \"{name}\"")]
    Unknown { kind: &'static str, name: String },
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("{what} already exists")]
    Exists { what: String },
    #[error("account {account}: {asset} balance {available} is less than {requested}")]
    InsufficientBalance {
        account: String,
        asset: String,
        available: Base,
        requested: Base,
    },
    #[error("account {account}: needs {required} of margin, has {available} (initial margin)")]
    InsufficientMargin {
        account: String,
        required: Quote,
        available: Quote,
    },
    #[error(
        "account {account}: borrowing power {capacity} is below the debt {debt} (loan-to-value)"
    )]
    InsufficientCollateral {
        account: String,
        capacity: Quote,
        debt: Quote,
    },
    #[error("pool {asset}: only {available} available")]
    InsufficientLiquidity { asset: String, available: Base },
    #[error("account {account} is not liquidatable")]
    NotLiquidatable { account: String },
    #[error("timestamp {ts} is before the venue's time {now}")]
    TimeWentBackwards { now: i64, ts: i64 },
    #[error("price {key} is stale: last update at {updated}, now {now}")]
    StalePrice { key: String, updated: i64, now: i64 },
    #[error("market {market}: funding at {ts} is not a whole number of {interval}-second intervals after {last}")]
    FundingInterval {
        market: String,
        ts: i64,
        last: i64,
        interval: i64,
    },
    #[error("event log: {0}")]
    Replay(String),
    /// An event or a loaded state that does not fit the venue (an id out of
    /// range, a vector of the wrong length, time going back): a corrupt
    /// input, refused before it is applied. `at` names the field.
    #[error("{at}: {reason}")]
    Corrupt { at: String, reason: String },
    #[error("arithmetic overflow or division by zero ({0}); the amounts are out of range")]
    Math(#[from] MathError),
}
