//! Variants side by side: `[[variant]]` expansion, the same-history check,
//! and a comparison's rows equal to the strategies run one by one.

use levamp_backtest::compare::{check_same_history, expand, load, run_all};
use levamp_backtest::sizing::Model;
use levamp_backtest::{backtest, metrics};
use std::path::Path;

const FILE: &str = "name = \"grid\"\n[data]\nmarket = \"BTCUSDT\"\nstart = \"2021-05-01T00:00:00Z\"\nend = \"2021-06-01T00:00:00Z\"\n\
    [venue]\npreset = \"binance-usdm\"\n[strategy]\nkind = \"directional\"\nsize = 1\ncapital = 100000\nfee_rate = 0.0004\n\
    [sizing]\nmodel = \"vol_target\"\ntarget_vol = 0.5\nrebalance_hours = 12\n";

#[test]
fn variants_override_keys_and_a_new_model_replaces_the_sizing_table() {
    let text = format!(
        "{FILE}[[variant]]\nname = \"a\"\n[[variant]]\nname = \"b\"\nsizing = {{ target_vol = 0.8 }}\nstrategy = {{ fee_rate = 0 }}\n\
         [[variant]]\nname = \"c\"\nsizing = {{ model = \"liquidation_buffer\", k = 2 }}\n"
    );
    let (variants, list) = expand(&text, "f", Path::new(".")).unwrap();
    assert!(variants);
    let names: Vec<&str> = list.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(
        list[0].sizing.model,
        Model::VolTarget {
            target_vol: 0.5,
            lambda: 0.94
        }
    );
    assert_eq!(
        list[1].sizing.model,
        Model::VolTarget {
            target_vol: 0.8,
            lambda: 0.94
        }
    );
    assert_eq!(list[1].sizing.rebalance_hours, 12);
    assert!(list[1].fee_rate.is_zero() && !list[0].fee_rate.is_zero());
    // "c" does not inherit target_vol (refused by liquidation_buffer) nor rebalance_hours.
    assert!(matches!(
        list[2].sizing.model,
        Model::LiquidationBuffer { .. }
    ));
    assert_eq!(list[2].sizing.rebalance_hours, 24);
    let (variants, list) = expand(FILE, "f", Path::new(".")).unwrap();
    assert!(!variants);
    assert_eq!(list[0].name, "grid");
}

#[test]
fn bad_variants_name_the_variant_and_key() {
    let cases = [
        (
            "[[variant]]\nsizing = { target_vol = 1 }\n",
            "variant[1].name",
        ),
        (
            "[[variant]]\nname = \"a\"\n[[variant]]\nname = \"a\"\n",
            "variant[2].name",
        ),
        (
            "[[variant]]\nname = \"a\"\ndata = { start = \"x\" }\n",
            "variant[1].data",
        ),
        (
            "[[variant]]\nname = \"a\"\nsizing = { k = 1 }\n",
            "variant[1].sizing.k",
        ),
        (
            "[[variant]]\nname = \"a\"\nstrategy = { size = 0 }\n",
            "variant[1].strategy.size",
        ),
        ("variant = []\n", "variant"),
    ];
    for (tail, key) in cases {
        let text = if tail.starts_with("variant =") {
            format!("{tail}{FILE}")
        } else {
            format!("{FILE}{tail}")
        };
        let e = expand(&text, "f", Path::new(".")).unwrap_err();
        assert_eq!(e.at, key, "{tail}: {}", e.message);
    }
    let other = FILE.replace("2021-06-01", "2021-07-01");
    let a = expand(FILE, "a", Path::new(".")).unwrap().1;
    let b = expand(&other, "b", Path::new(".")).unwrap().1;
    let both = [a[0].clone(), b[0].clone()];
    let e = check_same_history(&both, &["a.toml".into(), "b.toml".into()]).unwrap_err();
    assert_eq!(e.at, "b.toml: data.end");
}

/// Rows come back in the input order and each equals the strategy run on
/// its own (the shared window and warm-up change nothing).
#[test]
fn a_comparison_row_equals_the_strategy_run_alone() {
    let text = format!(
        "{FILE}[[variant]]\nname = \"short-warmup\"\nsizing = {{ warmup_hours = 48 }}\n\
         [[variant]]\nname = \"static\"\nsizing = {{ model = \"static\" }}\n\
         [[variant]]\nname = \"vt\"\n"
    );
    let list = expand(&text, "f", Path::new(".")).unwrap().1;
    let w = load(&list).unwrap();
    assert_eq!(w.warmup.len(), 720);
    let rows = run_all(&list, &w).unwrap();
    assert_eq!(rows.len(), 3);
    for (row, s) in rows.iter().zip(&list) {
        assert_eq!(row.name, s.name);
        let alone = metrics::summary(&backtest(s).unwrap()).unwrap();
        assert_eq!(row.summary.final_equity, alone.final_equity, "{}", s.name);
        assert_eq!(row.summary.fees, alone.fees, "{}", s.name);
    }
    assert_ne!(rows[0].summary.final_equity, rows[2].summary.final_equity);
}
