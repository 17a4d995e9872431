//! Corrupt event logs and states never panic: real logs and states (from
//! the shipped examples) with changed ids, swapped lines, truncated arrays
//! and duplicated keys either load or return an error.

use levamp_io::{conservation_json, load_venue, save_state, state_json, OnError, Preset, Run};
use proptest::prelude::*;
use serde_json::Value;
use std::sync::OnceLock;

/// (event log, saved state) of each example script.
fn examples() -> &'static [(String, String)] {
    static CACHE: OnceLock<Vec<(String, String)>> = OnceLock::new();
    CACHE.get_or_init(|| {
        ["perp-cascade.jsonl", "aave-liquidation.jsonl"]
            .iter()
            .map(|name| {
                let path = format!("{}/../../examples/{name}", env!("CARGO_MANIFEST_DIR"));
                let script = std::fs::read_to_string(path).unwrap();
                let venue = if name.starts_with("aave") {
                    "aave-v3"
                } else {
                    "generic"
                };
                let run = Run::script(&script, Preset::load(venue).unwrap(), OnError::Stop)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                let log: Vec<String> = run
                    .events
                    .iter()
                    .map(|e| serde_json::to_string(e).unwrap())
                    .collect();
                (log.join("\n"), save_state(&run.venue).unwrap())
            })
            .collect()
    })
}

/// Loads `text` as `levamp replay` does and renders the result.
fn load_and_render(text: &str) {
    if let Ok((venue, _)) = load_venue(text) {
        let _ = state_json(&venue);
        let _ = conservation_json(&venue);
    }
}

/// Replaces digits at some positions (ids, amounts, times) by others.
fn change_digits(text: &str, edits: &[(usize, u8)]) -> String {
    let digits: Vec<usize> = text
        .bytes()
        .enumerate()
        .filter(|(_, b)| b.is_ascii_digit())
        .map(|(i, _)| i)
        .collect();
    let mut bytes = text.as_bytes().to_vec();
    for &(pos, d) in edits {
        bytes[digits[pos % digits.len()]] = b'0' + d % 10;
    }
    String::from_utf8(bytes).unwrap()
}

/// Repeats one key of the text: `"k": v` becomes `"k":0,"k": v`.
fn duplicate_key(text: &str, at: usize) -> String {
    let ends: Vec<usize> = text.match_indices("\":").map(|(i, _)| i).collect();
    if ends.is_empty() {
        return text.to_string();
    }
    let end = ends[at % ends.len()];
    let Some(start) = text[..end].rfind('"') else {
        return text.to_string();
    };
    let key = &text[start..=end];
    format!("{}{key}:0,{}", &text[..start], &text[start..])
}

/// Truncates the `which`-th non-empty array of a JSON value to `keep` items.
fn truncate_array(v: &mut Value, which: &mut usize, keep: usize) -> bool {
    match v {
        Value::Array(a) if !a.is_empty() => {
            if *which == 0 {
                a.truncate(keep.min(a.len() - 1));
                return true;
            }
            *which -= 1;
            a.iter_mut().any(|x| truncate_array(x, which, keep))
        }
        Value::Array(_) => false,
        Value::Object(m) => m.values_mut().any(|x| truncate_array(x, which, keep)),
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn logs_replay_or_fail_cleanly(
        which in 0..2usize,
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        swap in prop::option::of((any::<usize>(), any::<usize>())),
        dup in prop::option::of(any::<usize>()),
        arrays in prop::option::of((any::<usize>(), 0..3usize)),
    ) {
        let (log, _) = &examples()[which];
        let mut lines: Vec<String> = log.lines().map(str::to_string).collect();
        if let Some((a, b)) = swap {
            let n = lines.len();
            lines.swap(a % n, b % n);
        }
        if let Some((at, keep)) = arrays {
            let i = at % lines.len();
            let mut v: Value = serde_json::from_str(&lines[i]).unwrap();
            let mut k = at / lines.len() % 4;
            truncate_array(&mut v, &mut k, keep);
            lines[i] = v.to_string();
        }
        let mut text = lines.join("\n");
        if let Some(at) = dup {
            text = duplicate_key(&text, at);
        }
        load_and_render(&change_digits(&text, &edits));
    }

    #[test]
    fn states_load_or_fail_cleanly(
        which in 0..2usize,
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        dup in prop::option::of(any::<usize>()),
        arrays in prop::option::of((any::<usize>(), 0..3usize)),
        pretty in any::<bool>(),
    ) {
        let (_, state) = &examples()[which];
        let mut v: Value = serde_json::from_str(state).unwrap();
        if let Some((at, keep)) = arrays {
            let mut k = at % 64;
            truncate_array(&mut v, &mut k, keep);
        }
        let mut text = match pretty {
            true => serde_json::to_string_pretty(&v).unwrap(),
            false => v.to_string(),
        };
        if let Some(at) = dup {
            text = duplicate_key(&text, at);
        }
        load_and_render(&change_digits(&text, &edits));
    }
}

#[test]
fn unmutated_examples_load() {
    for (log, state) in examples() {
        let (from_log, events) = load_venue(log).unwrap();
        assert_eq!(events, log.lines().count());
        let (from_state, _) = load_venue(state).unwrap();
        assert_eq!(
            state_json(&from_log).unwrap(),
            state_json(&from_state).unwrap()
        );
    }
}
