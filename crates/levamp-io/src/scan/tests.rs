//! The scanner must accept exactly what the strict parser accepts, and
//! build the same values.

use super::*;
use proptest::prelude::*;

/// Same verdict as `crate::strict`, and the same value when valid.
fn agrees(text: &str) {
    let strict = crate::strict::from_str(text);
    match (parse(text), strict) {
        (Ok(node), Ok(value)) => {
            assert_eq!(node.to_value(), value, "{text:?}");
            assert_eq!(node.to_value().to_string(), value.to_string(), "{text:?}");
        }
        (Err(_), Err(_)) => {}
        (Ok(_), Err(_)) => panic!("scanner accepts what serde_json refuses: {text:?}"),
        (Err(b), Ok(_)) => panic!(
            "scanner refuses (at {}) what serde_json accepts: {text:?}",
            b.at
        ),
    }
}

#[test]
fn agrees_on_edge_cases() {
    for text in [
        "",
        " ",
        "0",
        "-0",
        "01",
        "1.",
        ".5",
        "-",
        "1e",
        "1e+",
        "1E+5",
        "1e-20",
        "-12.50e3",
        "123456789012345678901234567890.5",
        "1e99999999999",
        "[1,]",
        "[,]",
        "[]",
        "[ ]",
        "{}",
        "{\"a\":1,}",
        "{\"a\" 1}",
        "{1:2}",
        "{\"a\":1,\"a\":2}",
        "{\"a\":1,\"b\":{\"a\":2}}",
        "\"\\u0041\\n\\\"\"",
        "\"\\ud83d\\ude00\"",
        "\"\\ud83d\"",
        "\"\\ude00\"",
        "\"\\ud83dx\"",
        "\"\\u00e9\"",
        "\"a\tb\"",
        "\"a\u{1}b\"",
        "\"\\x\"",
        "\"\\u12\"",
        "\"é€😀\"",
        "\"abc",
        "true",
        "tru",
        "nul",
        "null x",
        "NaN",
        "[1 2]",
        "{\"a\":1 \"b\":2}",
        "\u{feff}{}",
        "[\"a\\\"]\",1]",
        " \n\t\r[1]\r\n",
    ] {
        agrees(text);
    }
    let dupes: String = (0..40).map(|i| format!("\"k{i}\":{i},")).collect();
    agrees(&format!("{{{dupes}\"k39\":0}}"));
    agrees(&format!("{{{dupes}\"k40\":0}}"));
}

#[test]
fn nesting_limit_is_serde_jsons() {
    for depth in [126, 127, 128, 129] {
        agrees(&format!("{}{}", "[".repeat(depth), "]".repeat(depth)));
        agrees(&format!(
            "{}1{}",
            "{\"a\":".repeat(depth),
            "}".repeat(depth)
        ));
    }
}

#[test]
fn split_array_finds_the_elements() {
    let text = r#"{"a": [ {"x": "],\"["}, [1, 2] , 3 ], "b": 1}"#;
    let start = text.find('[').unwrap();
    let (ranges, end) = split_array(text, start).unwrap();
    let parts: Vec<&str> = ranges.iter().map(|&(a, b)| text[a..b].trim()).collect();
    assert_eq!(parts, [r#"{"x": "],\"["}"#, "[1, 2]", "3"]);
    assert_eq!(&text[end..], r#", "b": 1}"#);
    assert_eq!(split_array("[ ]", 0).unwrap().0, []);
    assert!(split_array("[1, 2", 0).is_err());
}

fn token() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "{", "}", "[", "]", ",", ":", "\"a\"", "\"b\"", "\"a", "\\", "\\u", "d83d", "0", "1", "-",
        ".", "e", "5", "+", "true", "null", " ", "\n", "\"", "\"\\n\"", "é", "\u{1}",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]
    #[test]
    fn agrees_on_token_soup(tokens in prop::collection::vec(token(), 0..24)) {
        agrees(&tokens.concat());
    }

    #[test]
    fn agrees_on_mutated_documents(cut in 0usize..200, insert in token()) {
        let good = r#"{"quote":"USDT","prices":{"ETH":2000.5},"accounts":[{"id":"a\u00e9","collateral":{"USDT":1e3},"positions":[{"market":"ETHUSDT","size":-1.5,"entry_price":1500}]},{"id":"b"}]}"#;
        let mut text = good.to_string();
        let at = cut.min(text.len());
        if text.is_char_boundary(at) {
            text.insert_str(at, insert);
            agrees(&text);
            text.replace_range(at..at + insert.len(), "");
            if at < text.len() && text.is_char_boundary(at + 1) {
                text.remove(at);
                agrees(&text);
            }
        }
    }
}
