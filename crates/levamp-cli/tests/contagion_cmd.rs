//! `levamp contagion`: the JSON contract on the example, bad input
//! (exit 2, one line with FILE:LINE and the key), and `--out`.

mod common;
use common::levamp;
use serde_json::Value;

const THREE_BANKS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../networks/three-banks.toml"
);

#[test]
fn three_banks_json_is_the_contract() {
    let (code, out, err) = levamp(&["contagion", THREE_BANKS, "--format", "json"], "");
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    // Worked by hand in docs/contagion.md.
    let expected = serde_json::json!([
        {"id": "A", "total_obligations": 21, "payment": 18, "equity": -3,
         "defaulted": true, "recovery_rate": 0.857142857142},
        {"id": "B", "total_obligations": 18, "payment": 18, "equity": 3.428571428571,
         "defaulted": false, "recovery_rate": 1},
    ]);
    for (node, want) in v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .zip(expected.as_array().unwrap())
    {
        for (key, value) in want.as_object().unwrap() {
            assert_eq!(
                node[key].to_string(),
                value.to_string(),
                "{key} of {}",
                node["id"]
            );
        }
    }
    assert_eq!(v["rounds"], 1);
    assert_eq!(v["total_shortfall"].to_string(), "3");
    assert_eq!(v["name"], "three-banks");
}

#[test]
fn table_names_the_defaulted_node() {
    let (code, out, err) = levamp(&["contagion", THREE_BANKS, "--format", "table"], "");
    assert_eq!(code, 0, "{err}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("A ") && l.contains("default")),
        "{out}"
    );
    assert!(out.contains("1 of 2 nodes default"), "{out}");
}

#[test]
fn bad_network_is_one_line_with_file_line_and_key() {
    let dir = std::env::temp_dir().join(format!("levamp-contagion-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.toml");
    let text = std::fs::read_to_string(THREE_BANKS)
        .unwrap()
        .replace("to = \"B\"", "to = \"Z\"");
    std::fs::write(&file, text).unwrap();
    let out_dir = dir.join("out");
    let (code, out, err) = levamp(
        &[
            "contagion",
            file.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    let want = format!(
        "error: {}:18: obligation[0].to: unknown node id \"Z\"",
        file.display()
    );
    assert!(err.starts_with(&want), "{err}");
    assert!(!out_dir.exists(), "nothing written for a bad network");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn out_writes_a_result_folder() {
    let dir = std::env::temp_dir().join(format!("levamp-contagion-out-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (code, _, err) = levamp(
        &[
            "contagion",
            THREE_BANKS,
            "--format",
            "json",
            "--out",
            dir.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    let folder = dir.join("three-banks");
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("result.json")).unwrap())
            .unwrap();
    assert_eq!(v["rounds"], 1);
    assert!(folder.join(".levamp-result").is_file());
    assert!(folder.join("network.toml").is_file());
    // Run again: levamp replaces its own result.
    let (code, _, err) = levamp(
        &["contagion", THREE_BANKS, "--out", dir.to_str().unwrap()],
        "",
    );
    assert_eq!(code, 0, "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unsafe_name_with_out_names_the_line() {
    let dir = std::env::temp_dir().join(format!("levamp-contagion-name-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("n.toml");
    std::fs::write(
        &file,
        "# a comment\nname = \"../x\"\n[[node]]\nid = \"A\"\n",
    )
    .unwrap();
    let out_dir = dir.join("out");
    let (code, _, err) = levamp(
        &[
            "contagion",
            file.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, 2);
    let want = format!(
        "error: {}:2: name: \"../x\" is not a safe run name",
        file.display()
    );
    assert!(err.starts_with(&want), "{err}");
    assert!(!out_dir.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

const FIRE_SALE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../networks/fire-sale-two-banks.toml"
);

#[test]
fn fire_sale_json_adds_prices_rounds_and_channels() {
    let (code, out, err) = levamp(&["contagion", FIRE_SALE, "--format", "json"], "");
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    // The contract keys are still there.
    for key in ["nodes", "rounds", "total_shortfall"] {
        assert!(v.get(key).is_some(), "{key}");
    }
    let x = &v["assets"][0];
    assert_eq!(x["id"], "X");
    assert!(x["price"].as_f64().unwrap() < 1.0, "{x}");
    assert!(x["units_sold"].as_f64().unwrap() > 0.0, "{x}");
    assert!(v["cascade_rounds"].as_u64().unwrap() >= 2, "{v}");
    let b = &v["nodes"][1];
    assert_eq!(b["losses"]["shock"], 0);
    assert!(b["losses"]["prices"].as_f64().unwrap() > 0.0, "{b}");
    assert!(b["units_sold"]["X"].as_f64().unwrap() > 0.0, "{b}");
}

#[test]
fn out_writes_a_self_contained_report() {
    let dir = std::env::temp_dir().join(format!("levamp-contagion-html-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (code, _, err) = levamp(
        &[
            "contagion",
            FIRE_SALE,
            "--format",
            "json",
            "--out",
            dir.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(dir.join("fire-sale-two-banks/report.html")).unwrap();
    assert!(html.contains("<svg"), "no drawing");
    assert!(html.contains("Rounds of the cascade"));
    assert!(html.contains("Losses by channel"));
    assert!(html.contains("Losses by node"));
    assert!(
        !html.contains("http://") || !html.contains("src=\"http"),
        "fetches nothing"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_token_that_is_its_own_only_backing_is_exit_2_with_its_line() {
    let dir = std::env::temp_dir().join(format!("levamp-contagion-cycle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("cycle.toml");
    std::fs::write(
        &file,
        "[[token]]\nid = \"a\"\nissuer = \"A\"\nkind = \"equity\"\nsupply = 10\n\
         [[token]]\nid = \"b\"\nissuer = \"B\"\nkind = \"equity\"\nsupply = 10\n\
         [[node]]\nid = \"A\"\nholdings = { b = 10 }\n[[node]]\nid = \"B\"\nholdings = { a = 10 }\n",
    )
    .unwrap();
    let out_dir = dir.join("out");
    let (code, out, err) = levamp(
        &[
            "contagion",
            file.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    let want = format!("error: {}:13: node[0].holdings.b: ", file.display());
    assert!(err.starts_with(&want), "{err}");
    assert!(!out_dir.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn table_lists_the_cascade_rounds() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../networks/fire-sale-two-banks.toml"
    );
    let (code, out, err) = levamp(&["contagion", file, "--format", "table"], "");
    assert_eq!(code, 0, "{err}");
    // The existing lines stay.
    assert!(out.contains("0 of 2 nodes default"), "{out}");
    assert!(out.contains("26 cascade round(s)"), "{out}");
    // Then one row a round: the first at the shocked prices; one bank
    // has sold by the second, both by the third.
    let header = out
        .lines()
        .position(|l| l.starts_with("round") && l.contains("new sellers"))
        .unwrap_or_else(|| panic!("no rounds table:\n{out}"));
    let rows: Vec<&str> = out.lines().skip(header + 1).collect();
    assert_eq!(rows.len(), 27, "{out}");
    let first: Vec<&str> = rows[0].split_whitespace().collect();
    assert_eq!(first[..5], ["0", "0", "0", "0", "0"], "{out}");
    assert!(rows[0].contains("X=1"), "{out}");
    let second: Vec<&str> = rows[1].split_whitespace().collect();
    assert_eq!(second[..2], ["1", "0"], "{out}");
    assert_eq!(second[3..5], ["1", "1"], "{out}");
    assert!(rows[1].contains("X=0.996"), "{out}");
    let third: Vec<&str> = rows[2].split_whitespace().collect();
    assert_eq!(third[3..5], ["2", "1"], "{out}");
    assert!(rows[26].contains("X=0.993479818109"), "{out}");
}

#[test]
fn table_has_no_rounds_without_a_cascade() {
    let (code, out, err) = levamp(&["contagion", THREE_BANKS, "--format", "table"], "");
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("new sellers"), "{out}");
}
