//! Output paths, input limits and terminal escaping (issue #9 items 2, 11
//! and 13): special files stay special, symlinks are followed, a failed run
//! leaves nothing behind, inputs stop at a named limit, and ids reach the
//! terminal escaped.

mod common;
use common::{levamp, levamp_with};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

/// A fresh, empty directory for one test.
fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("levamp-io-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const SCRIPT: &str = r#"{"type":"market","market":"ETHUSDT","base":"ETH","tiers":[{"max_notional":null,"maintenance_margin_rate":0.005,"max_leverage":100}]}
{"type":"price","asset":"ETH","price":2000,"ts":100}
{"type":"deposit","account":"a1","asset":"USDT","amount":1000}
"#;

fn script(d: &Path, text: &str) -> PathBuf {
    let p = d.join("script.jsonl");
    std::fs::write(&p, text).unwrap();
    p
}

fn mkfifo(p: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(p)
        .status()
        .unwrap()
        .success();
    assert!(ok, "mkfifo");
}

#[test]
fn events_to_a_fifo_stay_a_fifo_and_get_the_data() {
    let d = dir("fifo");
    let sc = script(&d, SCRIPT);
    let fifo = d.join("events.fifo");
    mkfifo(&fifo);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let (code, _, err) = levamp(
        &["run", s(&sc), "--format", "json", "--events", s(&fifo)],
        "",
    );
    assert_eq!(code, 0, "{err}");
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(kind.is_fifo(), "the FIFO was replaced: {kind:?}");
    let data = reader.join().unwrap();
    assert_eq!(data.lines().count(), 7, "{data}");
    assert!(data.contains("\"deposited\""), "{data}");
    let names: Vec<_> = std::fs::read_dir(&d).unwrap().collect();
    assert_eq!(names.len(), 2, "no temporary files: {names:?}");
}

#[test]
fn state_out_to_a_fifo_stays_a_fifo() {
    let d = dir("fifo-state");
    let sc = script(&d, SCRIPT);
    let fifo = d.join("state.fifo");
    mkfifo(&fifo);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let (code, _, err) = levamp(
        &["run", s(&sc), "--format", "json", "--state-out", s(&fifo)],
        "",
    );
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
    assert!(reader.join().unwrap().starts_with("{\"rules\""));
}

#[test]
fn events_through_a_symlink_write_the_target_and_keep_the_link() {
    let d = dir("symlink");
    let sc = script(&d, SCRIPT);
    std::fs::create_dir(d.join("real")).unwrap();
    let target = d.join("real").join("events.jsonl");
    std::fs::write(&target, "old\n").unwrap();
    let link = d.join("events.jsonl");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let (code, _, err) = levamp(
        &["run", s(&sc), "--format", "json", "--events", s(&link)],
        "",
    );
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let written = std::fs::read_to_string(&target).unwrap();
    assert_eq!(written.lines().count(), 7, "{written}");
    assert!(!written.contains("old"));
    // The log replays.
    let (code, _, err) = levamp(&["replay", s(&link), "--format", "json"], "");
    assert_eq!(code, 0, "{err}");
    for sub in [&d, &d.join("real")] {
        for e in std::fs::read_dir(sub).unwrap() {
            let name = e.unwrap().file_name().into_string().unwrap();
            assert!(!name.ends_with(".tmp"), "left behind: {name}");
        }
    }
}

/// A run that fails late (after events were written) leaves neither the
/// events file nor the state file nor any temporary file, and an earlier
/// events file at that path is left as it was.
#[test]
fn a_failed_run_leaves_no_output_and_no_temporary_files() {
    let d = dir("failed");
    let bad = format!(
        "{SCRIPT}{}\n",
        r#"{"type":"withdraw","account":"a1","asset":"USDT","amount":5000}"#
    );
    let sc = script(&d, &bad);
    let events = d.join("events.jsonl");
    let state = d.join("state.json");
    let (code, out, err) = levamp(
        &[
            "run",
            s(&sc),
            "--format",
            "json",
            "--on-error",
            "stop",
            "--events",
            s(&events),
            "--state-out",
            s(&state),
        ],
        "",
    );
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    let names: Vec<String> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["script.jsonl"], "left behind");
    // An existing events file survives a failed run untouched.
    std::fs::write(&events, "previous\n").unwrap();
    let (code, _, _) = levamp(&["run", s(&sc), "--events", s(&events)], "");
    assert_eq!(code, 2);
    assert_eq!(std::fs::read_to_string(&events).unwrap(), "previous\n");
}

/// Streaming the JSON document keeps its exact shape and key order.
#[test]
fn streamed_json_output_keeps_the_contract() {
    let d = dir("stream");
    let sc = script(&d, SCRIPT);
    let (code, out, err) = levamp(&["run", s(&sc), "--format", "json"], "");
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("{\"events\":[{"), "{out}");
    assert!(out.ends_with("\"skipped\":[]}\n"), "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["events"].as_array().unwrap().len(), 6);
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["events", "state", "conservation", "skipped"]);
}

const GOOD: &str = r#"{"quote": "USDT", "prices": {"ETH": 2000},
  "markets": {"ETHUSDT": {"base": "ETH", "tiers": [{"max_notional": null, "maintenance_margin_rate": 0.005, "max_leverage": 100}]}},
  "accounts": [{"id": "a1", "collateral": {"USDT": 1000},
    "positions": [{"market": "ETHUSDT", "size": 1.5, "entry_price": 1500}]}]}"#;

#[test]
fn oversized_input_names_the_limit() {
    let limit = [("LEVAMP_MAX_INPUT_BYTES", "100")];
    let (code, out, err) = levamp_with(
        &["margin", "--format", "json"],
        GOOD.as_bytes(),
        None,
        &limit,
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("<stdin>")
            && err.contains("100 bytes")
            && err.contains("LEVAMP_MAX_INPUT_BYTES"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    // Under the limit it runs.
    let big = [("LEVAMP_MAX_INPUT_BYTES", "100000")];
    let (code, _, err) = levamp_with(&["margin", "--format", "json"], GOOD.as_bytes(), None, &big);
    assert_eq!(code, 0, "{err}");
    // A bad limit is named.
    let bad = [("LEVAMP_MAX_INPUT_BYTES", "lots")];
    let (code, _, err) = levamp_with(&["margin", "--format", "json"], GOOD.as_bytes(), None, &bad);
    assert_eq!(code, 2);
    assert!(err.contains("LEVAMP_MAX_INPUT_BYTES"), "{err}");
}

#[test]
fn endless_input_stops_at_the_limit() {
    let limit = [("LEVAMP_MAX_INPUT_BYTES", "1000000")];
    let (code, _, err) = levamp_with(&["margin", "/dev/zero"], b"", None, &limit);
    assert_eq!(code, 2);
    assert!(
        err.contains("/dev/zero") && err.contains("1000000 bytes"),
        "{err}"
    );
    // A script line is bounded by the same limit.
    let (code, _, err) = levamp_with(&["run", "/dev/zero"], b"", None, &limit);
    assert_eq!(code, 2);
    assert!(err.contains("LEVAMP_MAX_INPUT_BYTES"), "{err}");
}

#[test]
fn non_utf8_input_is_a_clean_error() {
    let mut bytes = GOOD.as_bytes().to_vec();
    bytes.insert(10, 0xff);
    let (code, out, err) = levamp_with(&["margin", "--format", "json"], &bytes, None, &[]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("UTF-8") && err.contains("byte 10"), "{err}");
    let d = dir("utf8");
    let sc = d.join("script.jsonl");
    let mut text = SCRIPT.as_bytes().to_vec();
    text.extend(b"{\"type\":\"advance\",\"ts\":\xff}\n");
    std::fs::write(&sc, text).unwrap();
    let (code, _, err) = levamp(&["run", s(&sc)], "");
    assert_eq!(code, 2);
    assert!(err.contains("line 4") && err.contains("UTF-8"), "{err}");
}

const EVIL: &str = "a\\u001b[31mred\\nnext\\u0000";

#[test]
fn margin_table_escapes_control_characters_in_ids() {
    let input = GOOD.replace("\"a1\"", &format!("\"{EVIL}\""));
    let (code, out, err) = levamp(&["margin", "--format", "table"], &input);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains('\u{1b}') && !out.contains('\0'), "{out:?}");
    assert!(out.contains("a\\x1b[31mred\\nnext\\x00"), "{out}");
    assert_eq!(out.lines().count(), 3, "{out}");
}

#[test]
fn run_table_and_errors_escape_control_characters() {
    let d = dir("escape");
    let sc = script(&d, &SCRIPT.replace("\"a1\"", &format!("\"{EVIL}\"")));
    let (code, out, err) = levamp(&["run", s(&sc), "--format", "table"], "");
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains('\u{1b}') && !out.contains('\0'), "{out:?}");
    assert!(out.contains("a\\x1b[31mred\\nnext\\x00"), "{out}");
    // An id in an error message reaches stderr escaped, on one line.
    let bad = format!(
        "{SCRIPT}{{\"type\":\"withdraw\",\"account\":\"{EVIL}\",\"asset\":\"USDT\",\"amount\":1}}\n"
    );
    let sc = script(&d, &bad);
    let (code, _, err) = levamp(&["run", s(&sc)], "");
    assert_eq!(code, 2);
    assert!(!err.contains('\u{1b}'), "{err:?}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

/// Scenario files and the data they name (snapshots, price CSVs) are read
/// under the same limit as every other input.
#[test]
fn scenario_and_data_files_are_read_under_the_input_limit() {
    let dir = std::env::temp_dir().join(format!("levamp-limit-sim-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = dir.join("tiny.toml");
    let toml = "[run]\nsteps = 2\n[venue]\npreset = \"generic\"\n[accounts]\nsnapshot = \"a.json\"\n[price]\nmodel = \"shock\"\nstart = 1500\nshock = -0.1\n";
    std::fs::write(&scenario, toml).unwrap();
    // The snapshot is padded well past the scenario's size.
    std::fs::write(dir.join("a.json"), format!("{GOOD}{}", " ".repeat(4096))).unwrap();
    let out = dir.join("out");
    let run = |limit: &str| {
        levamp_with(
            &[
                "sim",
                scenario.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--quiet",
            ],
            b"",
            None,
            &[("LEVAMP_MAX_INPUT_BYTES", limit)],
        )
    };
    let (code, _, err) = run("1000000");
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run("50");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("tiny.toml") && err.contains("LEVAMP_MAX_INPUT_BYTES"),
        "{err}"
    );
    let (code, _, err) = run(&toml.len().to_string());
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("a.json") && err.contains("LEVAMP_MAX_INPUT_BYTES"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
