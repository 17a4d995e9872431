use super::*;

const SCRIPT: &str = "{\"type\":\"deposit\",\"account\":\"a\",\"asset\":\"USDT\",\"amount\":5}\n{\"type\":\"deposit\",\"account\":\"b\",\"asset\":\"USDT\",\"amount\":7}\n";

/// Streaming hands over the same log, in the same order, as a whole run.
#[test]
fn stream_hands_over_the_whole_log_in_order() {
    let preset = Preset::load("generic").unwrap();
    let whole = Run::script(SCRIPT, preset.clone(), OnError::Stop).unwrap();
    let mut streamed = Vec::new();
    let run = Run::stream(SCRIPT.lines().map(Ok), preset, OnError::Stop, |e| {
        streamed.push(e);
        Ok::<(), InputError>(())
    })
    .unwrap();
    assert!(run.events.is_empty());
    assert_eq!(streamed, whole.events);
    assert!(matches!(streamed[0], Event::VenueOpened { .. }));
}

/// A skipped first line does not hand over the opening event that a
/// following `venue` line replaces: the log has one `VenueOpened`.
#[test]
fn a_venue_line_after_a_skipped_line_opens_the_log_once() {
    let text = format!("not json\n{{\"type\":\"venue\",\"quote\":\"USDC\"}}\n{SCRIPT}");
    let mut log = Vec::new();
    let run = Run::stream(
        text.lines().map(Ok),
        Preset::load("generic").unwrap(),
        OnError::Skip,
        |e| {
            log.push(e);
            Ok::<(), InputError>(())
        },
    )
    .unwrap();
    assert_eq!(run.skipped.len(), 1);
    let opened = log
        .iter()
        .filter(|e| matches!(e, Event::VenueOpened { .. }))
        .count();
    assert_eq!(opened, 1, "{log:?}");
    assert!(Venue::replay(&log).is_ok());
}
