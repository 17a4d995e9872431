//! `write_state` streams the same bytes as serialising `state_json`.

use levamp_io::{state_json, write_state, OnError, Preset, Run};

fn check(script: &str, venue: &str) {
    let run = Run::script(script, Preset::load(venue).unwrap(), OnError::Stop).unwrap();
    let whole = serde_json::to_string(&state_json(&run.venue).unwrap()).unwrap();
    let mut streamed = Vec::new();
    write_state(&run.venue, &mut streamed).unwrap();
    assert_eq!(String::from_utf8(streamed).unwrap(), whole);
    // Something to compare: accounts, prices and (for the lending venue) pools.
    assert!(whole.contains("\"accounts\":[{"), "{whole}");
}

#[test]
fn streamed_state_equals_the_value() {
    check(
        include_str!("../../../examples/perp-cascade.jsonl"),
        "generic",
    );
    check(
        include_str!("../../../examples/aave-liquidation.jsonl"),
        "aave-v3",
    );
    let aave = Run::script(
        include_str!("../../../examples/aave-liquidation.jsonl"),
        Preset::load("aave-v3").unwrap(),
        OnError::Stop,
    )
    .unwrap();
    let state = state_json(&aave.venue).unwrap();
    assert!(!state["pools"].as_object().unwrap().is_empty());
}

#[test]
fn an_empty_venue_streams_too() {
    check("", "generic");
}
