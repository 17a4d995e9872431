//! The hedger (`kind = "hedger"`) and the carry flip (`flip_after_hours`)
//! on hand-built histories: the delta band, the margin top-up that saves a
//! hedge the un-managed carry loses, de-risking, key checks, and the flip.

use levamp_backtest::run::Outcome;
use levamp_backtest::strategy::{parse, Strategy};
use levamp_backtest::{backtest, time};
use levamp_io::json::InputError;
use std::path::{Path, PathBuf};

/// Hour 0 of the hand-built history: 2020-01-01T00:00Z.
const T0: i64 = 1_577_836_800;

/// Writes perp = spot = mark candles with closes `closes` (open = the
/// previous close) and funding `rate(k)` at every 8th hour `k` into a fresh
/// folder.
fn history(tag: &str, closes: &[f64], rate: impl Fn(usize) -> f64) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("levamp-hedger-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut bars = String::from("open_time_utc,open,high,low,close\n");
    let mut funding = String::from("funding_time_utc,funding_rate\n");
    for (i, &c) in closes.iter().enumerate() {
        let t = T0 + i as i64 * time::HOUR;
        let o = if i == 0 { c } else { closes[i - 1] };
        let (h, l) = (o.max(c), o.min(c));
        bars.push_str(&format!(
            "{},{o:.2},{h:.2},{l:.2},{c:.2}\n",
            time::format(t)
        ));
        if i % 8 == 0 {
            funding.push_str(&format!("{},{}\n", time::format(t), rate(i)));
        }
    }
    for f in ["perp", "spot", "mark"] {
        std::fs::write(dir.join(format!("{f}.csv")), &bars).unwrap();
    }
    std::fs::write(dir.join("funding.csv"), funding).unwrap();
    dir
}

fn own(dir: &Path, hours: usize, body: &str) -> Result<Strategy, InputError> {
    let text = format!(
        "name = \"t\"\n[data]\nmarket = \"BTCUSDT\"\nstart = \"{}\"\nend = \"{}\"\n\
         perp = \"perp.csv\"\nspot = \"spot.csv\"\nmark = \"mark.csv\"\nfunding = \"funding.csv\"\n\
         [venue]\npreset = \"binance-usdm\"\n[strategy]\n{body}",
        time::format(T0),
        time::format(T0 + hours as i64 * time::HOUR),
    );
    parse(&text, "t", dir)
}

/// 100 → 250 in 1 % steps, then flat: a short hedge's margin melts.
fn rally() -> Vec<f64> {
    let mut p = 100.0;
    let mut v = Vec::new();
    for _ in 0..200 {
        v.push((p * 100.0f64).round() / 100.0);
        if p < 250.0 {
            p *= 1.01;
        }
    }
    v
}

const HEDGER: &str = "kind = \"hedger\"\ninventory = 10\ncapital = 2000\nfee_rate = 0.0004\n\
    delta_band = 0.05\nmargin_band = [0.02, 0.1]\n";

/// Spot held after each hour: Σ spot fills up to and including that hour.
fn spot_held(o: &Outcome, t: i64) -> f64 {
    o.trades
        .iter()
        .filter(|f| f.leg == "spot" && f.time <= t)
        .map(|f| f.size.to_f64_lossy())
        .sum()
}

/// The un-managed hedge (a static carry of the same inventory and capital)
/// is liquidated in the rally; the hedger tops its margin up from the spot
/// leg when the margin ratio leaves the band and is never liquidated.
#[test]
fn margin_top_up_prevents_the_liquidation_of_the_unmanaged_hedge() {
    let dir = history("topup", &rally(), |_| 0.0);
    let carry = own(
        &dir,
        200,
        "kind = \"carry\"\nsize = 10\ncapital = 2000\nfee_rate = 0.0004\n",
    )
    .unwrap();
    let unmanaged = backtest(&carry).unwrap();
    assert!(!unmanaged.liquidations.is_empty(), "the carry survived");
    let s = own(&dir, 200, HEDGER).unwrap();
    let out = backtest(&s).unwrap();
    assert!(out.liquidations.is_empty(), "{:?}", out.liquidations);
    let top_ups: Vec<_> = out.trades.iter().filter(|f| f.reason == "top_up").collect();
    assert!(!top_ups.is_empty());
    // A top-up sells spot, at the hour's spot open, with the fee.
    assert!(top_ups
        .iter()
        .all(|f| f.leg == "spot" && f.size.is_negative()));
    assert!(top_ups.iter().all(|f| f.fee.is_positive()));
    // The first top-up comes only once the ratio has crossed the band's top.
    let first = top_ups[0].time;
    let before = out.hours.iter().rfind(|h| h.time < first).unwrap();
    assert!(before.margin_ratio.unwrap().to_f64_lossy() > 0.1);
    for h in out.hours.iter().filter(|h| h.time < first - time::HOUR) {
        assert!(h.margin_ratio.unwrap().to_f64_lossy() <= 0.1, "{h:?}");
    }
}

/// Selling spot for margin leaves the hedge too big: the hedger buys perp
/// back whenever |spot + perp| leaves the band, so after every hour the
/// delta is within 5 % of the inventory.
#[test]
fn delta_stays_within_the_band() {
    let dir = history("delta", &rally(), |_| 0.0);
    let s = own(&dir, 200, HEDGER).unwrap();
    let out = backtest(&s).unwrap();
    assert!(out.trades.iter().any(|f| f.reason == "rehedge"));
    for h in &out.hours {
        let spot = spot_held(&out, h.time);
        let delta = spot + h.position.to_f64_lossy();
        assert!(delta.abs() <= 0.05 * spot + 1e-9, "{h:?}: spot {spot}");
    }
    // Re-hedges are perp fills with the taker fee.
    for f in out.trades.iter().filter(|f| f.reason == "rehedge") {
        assert_eq!(f.leg, "perp");
        assert!(f.fee.is_positive());
    }
}

/// Funding turns against the short for two days: with a 24 h window the
/// hedger's funding cost crosses `max_funding_cost` and it cuts both legs
/// by `derisk_fraction` once (at the crossing, not every hour).
#[test]
fn funding_cost_above_the_threshold_cuts_both_legs_once() {
    let flat = vec![100.0; 120];
    let dir = history("derisk", &flat, |k| {
        if (40..88).contains(&k) {
            -0.001
        } else {
            0.0001
        }
    });
    // A wide margin band: no top-up or draw-back on the flat path.
    let body = "kind = \"hedger\"\ninventory = 10\ncapital = 2000\nfee_rate = 0.0004\n\
        delta_band = 0.05\nmargin_band = [0.001, 0.5]\n\
        funding_window_hours = 24\nmax_funding_cost = 0.002\nderisk_fraction = 0.5\n";
    let out = backtest(&own(&dir, 120, body).unwrap()).unwrap();
    let cuts: Vec<_> = out
        .trades
        .iter()
        .filter(|f| f.reason == "derisk_funding")
        .collect();
    assert_eq!(cuts.len(), 2, "{cuts:?}"); // one spot sale, one perp buy-back
    assert!(cuts.iter().all(|f| f.time == T0 + 56 * time::HOUR));
    let last = out.hours.last().unwrap();
    assert!(
        (last.position.to_f64_lossy() + 5.0).abs() < 1e-9,
        "{last:?}"
    );
    assert!((spot_held(&out, last.time) - 5.0).abs() < 1e-9);
}

/// Every hedger key is checked and named.
#[test]
fn bad_hedger_keys_are_named() {
    let dir = history("keys", &[100.0; 10], |_| 0.0);
    let at = |body: &str| own(&dir, 10, body).unwrap_err().at;
    let base = "kind = \"hedger\"\ninventory = 1\ncapital = 1000\n";
    assert_eq!(
        at(&format!("{base}margin_band = [0.02, 0.1]\n")),
        "strategy.delta_band"
    );
    assert_eq!(
        at(&format!("{base}delta_band = 0.05\n")),
        "strategy.margin_band"
    );
    let ok = format!("{base}delta_band = 0.05\nmargin_band = [0.02, 0.1]\n");
    assert!(own(&dir, 10, &ok).is_ok());
    for (extra, key) in [
        (
            "delta_band = 0.05\nmargin_band = [0.02, 0.1]\nsize = 1\n",
            "strategy.size",
        ),
        (
            "delta_band = 1.5\nmargin_band = [0.02, 0.1]\n",
            "strategy.delta_band",
        ),
        (
            "delta_band = 0.05\nmargin_band = [0.1, 0.02]\n",
            "strategy.margin_band",
        ),
        (
            "delta_band = 0.05\nmargin_band = [0.1]\n",
            "strategy.margin_band",
        ),
        (
            "delta_band = 0.05\nmargin_band = \"x\"\n",
            "strategy.margin_band",
        ),
        (
            "delta_band = 0.05\nmargin_band = [0.02, 0.1]\nmax_funding_cost = -1\n",
            "strategy.max_funding_cost",
        ),
        (
            "delta_band = 0.05\nmargin_band = [0.02, 0.1]\nfunding_window_hours = 0\n",
            "strategy.funding_window_hours",
        ),
        (
            "delta_band = 0.05\nmargin_band = [0.02, 0.1]\nmin_liquidation_sigmas = 0\n",
            "strategy.min_liquidation_sigmas",
        ),
        (
            "delta_band = 0.05\nmargin_band = [0.02, 0.1]\nsigma_horizon_hours = 0.5\n",
            "strategy.sigma_horizon_hours",
        ),
        (
            "delta_band = 0.05\nmargin_band = [0.02, 0.1]\nderisk_fraction = 0\n",
            "strategy.derisk_fraction",
        ),
        (
            "delta_band = 0.05\nmargin_band = [0.02, 0.1]\nflip_after_hours = 24\n",
            "strategy.flip_after_hours",
        ),
        (
            "delta_band = 0.05\nmargin_band = [0.02, 0.1]\ndelta_bnd = 1\n",
            "strategy.delta_bnd",
        ),
    ] {
        assert_eq!(at(&format!("{base}{extra}")), key, "{extra}");
    }
    let no_inventory =
        "kind = \"hedger\"\ncapital = 1000\ndelta_band = 0.05\nmargin_band = [0.02, 0.1]\n";
    assert_eq!(at(no_inventory), "strategy.inventory");
    // Hedger keys on a carry are unknown there.
    let carry = "kind = \"carry\"\nsize = 1\ncapital = 1000\ndelta_band = 0.05\n";
    assert_eq!(at(carry), "strategy.delta_band");
}

/// Funding negative for 48 h (from hour 40 to 88), then positive: with
/// `flip_after_hours = 24` the carry is closed at the first hour that has
/// seen 24 h of negative settlements and reopened 24 h into the positive run.
#[test]
fn carry_flip_closes_after_n_negative_hours_and_reopens_after_n_positive() {
    let flat = vec![100.0; 160];
    let dir = history("flip", &flat, |k| {
        if (40..88).contains(&k) {
            -0.001
        } else {
            0.0001
        }
    });
    let body =
        "kind = \"carry\"\nsize = 10\ncapital = 2000\nfee_rate = 0.0004\nflip_after_hours = 24\n";
    let out = backtest(&own(&dir, 160, body).unwrap()).unwrap();
    let at = |reason: &str| -> Vec<(i64, &'static str)> {
        out.trades
            .iter()
            .filter(|f| f.reason == reason)
            .map(|f| ((f.time - T0) / time::HOUR, f.leg))
            .collect()
    };
    // Negative settlements at hours 40, 48, …, 80: 24 h after the first.
    assert_eq!(at("flip_close"), vec![(64, "perp"), (64, "spot")]);
    // Positive again from hour 88: 24 h later.
    assert_eq!(at("flip_reopen"), vec![(112, "spot"), (112, "perp")]);
    for h in &out.hours {
        let k = (h.time - T0) / time::HOUR;
        let flat = (64..112).contains(&k);
        assert_eq!(h.position.is_zero(), flat, "hour {k}");
    }
    // While closed it neither pays nor receives funding (the settlement at
    // hour 64 comes before the close, the one at 112 before the reopen).
    for st in &out.settlements {
        let k = (st.time - T0) / time::HOUR;
        assert_eq!(
            st.payment.is_zero(),
            (65..=112).contains(&k),
            "settlement at hour {k}"
        );
    }
    // Without the key the carry holds through (and pays).
    let held = backtest(
        &own(
            &dir,
            160,
            "kind = \"carry\"\nsize = 10\ncapital = 2000\nfee_rate = 0.0004\n",
        )
        .unwrap(),
    )
    .unwrap();
    assert!(held.funding_pnl < out.funding_pnl);
}
