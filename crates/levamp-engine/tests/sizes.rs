//! The size of a command and of an event: a stream of commands and every
//! event log are arrays of them, so the rare large variants (rules, market
//! and asset specs) are boxed and the common ones set the size.

use levamp_engine::venue::{Command, Event, Fill, TradeOrder};
use std::mem::size_of;

#[test]
fn a_command_is_no_larger_than_a_trade_order() {
    // A trade order (the largest common payload) and the enum's tag.
    assert!(
        size_of::<Command>() <= size_of::<TradeOrder>() + 16,
        "Command is {} bytes, TradeOrder {}",
        size_of::<Command>(),
        size_of::<TradeOrder>()
    );
}

#[test]
fn an_event_is_no_larger_than_a_fill_event() {
    // `TradeFilled` (two sides, a price and a value) is the largest common event.
    let trade_filled = 2 * size_of::<Fill>() + 64;
    assert!(
        size_of::<Event>() <= trade_filled,
        "Event is {} bytes, a fill's two sides {}",
        size_of::<Event>(),
        2 * size_of::<Fill>()
    );
}
