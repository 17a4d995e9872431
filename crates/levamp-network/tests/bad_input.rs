//! Bad NETWORK.toml: one error naming the line and the key, never a panic.

use levamp_network::parse;

const BASE: &str = r#"name = "t"
[[node]]
id = "A"
external_assets = 20.0
external_liabilities = 17.0
[[node]]
id = "B"
external_assets = 20.0
"#;

fn error(extra: &str) -> String {
    match parse(&format!("{BASE}{extra}"), "t") {
        Ok(_) => panic!("accepted: {extra}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn each_mistake_is_named_with_its_line() {
    let cases: &[(&str, &str)] = &[
        ("[[obligation]]\nfrom = \"A\"\nto = \"C\"\namount = 1\n", ":11: obligation[0].to: unknown node id \"C\""),
        ("[[obligation]]\nfrom = \"A\"\nto = \"A\"\namount = 1\n", ":11: obligation[0].to: a node cannot owe itself"),
        ("[[obligation]]\nfrom = \"A\"\nto = \"B\"\namount = -1\n", ":12: obligation[0].amount: must be ≥ 0"),
        ("[[obligation]]\nfrom = \"A\"\nto = \"B\"\n", ":9: obligation[0].amount: missing"),
        ("[[obligation]]\nfrom = \"A\"\nto = \"B\"\namount = 1\n[[obligation]]\nfrom = \"A\"\nto = \"B\"\namount = 2\n",
         ":14: obligation[1]: a second obligation from \"A\" to \"B\" (first at line 10)"),
        ("[[node]]\nid = \"A\"\n", ":10: node[2].id: duplicate node id \"A\" (first at line 3)"),
        ("[shock]\nexternal_assets = { C = -0.1 }\n", ":10: shock.external_assets.C: unknown node id \"C\""),
        ("[shock]\nexternal_assets = { A = -1.5 }\n", ":10: shock.external_assets.A: a relative change must be ≥ −1"),
        ("[shock]\nexternal_asset = { A = -0.1 }\n", ":10: shock.external_asset: unknown key (did you mean \"external_assets\"?)"),
        ("[default_costs]\nalpha = 1.5\n", ":10: default_costs.alpha: must be between 0 and 1"),
        ("[[node]]\nid = \"C\"\nbeta = -0.1\n", ":11: node[2].beta: must be between 0 and 1"),
        ("[[node]]\nid = \"C\"\nexternal_assets = \"x\"\n", ":11: node[2].external_assets: not a decimal number"),
        ("[[node]]\nid = \"C\"\nexternal_assets = 0.0000000000001\n", ":11: node[2].external_assets: 0.0000000000001 has more than 12 decimal places"),
        ("[[node]]\nid = \"C\"\nexternal_liabilities = -3\n", ":11: node[2].external_liabilities: must be ≥ 0"),
        ("seniorty = 1\n", ":9: node[1].seniorty: unknown key; allowed: id,"),
        ("[[obligation]]\nfrom = \"A\"\nto = \n", ":11: malformed TOML"),
    ];
    for (extra, expected) in cases {
        let e = error(extra);
        assert!(
            e.starts_with(expected),
            "{extra:?}\n got: {e}\nwant: {expected}…"
        );
        assert!(!e.contains('\n'), "one line: {e}");
    }
}

#[test]
fn top_level_mistakes() {
    for (head, expected) in [
        (
            "seniorty = \"pari_passu\"\n",
            ":1: seniorty: unknown key (did you mean \"seniority\"?)",
        ),
        (
            "seniority = \"junior\"\n",
            ":1: seniority: must be \"pari_passu\" or \"external_senior\"",
        ),
    ] {
        let e = parse(&format!("{head}{BASE}"), "t")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with(expected), "got: {e}\nwant: {expected}…");
    }
}

#[test]
fn no_nodes_is_an_error() {
    let e = parse("name = \"x\"\n", "x").unwrap_err().to_string();
    assert!(
        e.contains("node: a network needs at least one [[node]]"),
        "{e}"
    );
}

#[test]
fn numbers_are_exact_in_every_spelling() {
    let net = parse(
        "[[node]]\nid = \"A\"\nexternal_assets = 1_000.1\nexternal_liabilities = \"0.3\"\n[[node]]\nid = \"B\"\nexternal_assets = 1e2\n",
        "n",
    )
    .unwrap();
    assert_eq!(net.name, "n");
    assert_eq!(net.nodes[0].external_assets.to_string(), "1000.1");
    assert_eq!(net.nodes[0].external_liabilities.to_string(), "0.3");
    assert_eq!(net.nodes[1].external_assets.to_string(), "100");
}
