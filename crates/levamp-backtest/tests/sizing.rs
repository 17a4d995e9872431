//! Dynamic sizing (`[sizing]`): vol targeting on hand-built bars, no
//! look-ahead, the liquidation buffer on the shipped history, tier clamps
//! and key checks.

use levamp_backtest::strategy::{parse, Strategy};
use levamp_backtest::{backtest, load_window, time};
use std::path::{Path, PathBuf};

/// Hour 0 of the hand-built history: 2020-01-01T00:00Z.
const T0: i64 = 1_577_836_800;

/// Writes perp = spot = mark candles with closes `closes` (open = the
/// previous close) and zero funding every 8 h into a fresh folder.
fn history(tag: &str, closes: &[f64]) -> PathBuf {
    let bars: Vec<(f64, f64)> = closes
        .iter()
        .enumerate()
        .map(|(i, &c)| (if i == 0 { c } else { closes[i - 1] }, c))
        .collect();
    history_bars(tag, &bars)
}

/// As [`history`] with each hour's (open, close) given (an open away from
/// the previous close is a gap).
fn history_bars(tag: &str, oc: &[(f64, f64)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("levamp-sizing-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut bars = String::from("open_time_utc,open,high,low,close\n");
    let mut funding = String::from("funding_time_utc,funding_rate\n");
    for (i, &(o, c)) in oc.iter().enumerate() {
        let t = T0 + i as i64 * time::HOUR;
        let (h, l) = (o.max(c), o.min(c));
        let (o, h, l, c) = (r2(o), r2(h), r2(l), r2(c));
        bars.push_str(&format!("{},{o},{h},{l},{c}\n", time::format(t)));
        if i % 8 == 0 {
            funding.push_str(&format!("{},0\n", time::format(t)));
        }
    }
    for f in ["perp", "spot", "mark"] {
        std::fs::write(dir.join(format!("{f}.csv")), &bars).unwrap();
    }
    std::fs::write(dir.join("funding.csv"), funding).unwrap();
    dir
}

/// Rounded to the cent (a CSV price has at most 12 decimals).
fn r2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn own(dir: &Path, start_hour: i64, end_hour: i64, body: &str) -> Strategy {
    let text = format!(
        "name = \"t\"\n[data]\nmarket = \"BTCUSDT\"\nstart = \"{}\"\nend = \"{}\"\n\
         perp = \"perp.csv\"\nspot = \"spot.csv\"\nmark = \"mark.csv\"\nfunding = \"funding.csv\"\n\
         [venue]\npreset = \"binance-usdm\"\n{body}",
        time::format(T0 + start_hour * time::HOUR),
        time::format(T0 + end_hour * time::HOUR),
    );
    parse(&text, "t", dir).unwrap()
}

/// Closes alternating 100 / `high` (returns ±(high/100 − 1)): the price
/// comes back to 100 every two hours, so a position held between even-hour
/// rebalances neither gains nor loses.
fn alternating(hours: usize, switch: usize, high1: f64, high2: f64) -> Vec<f64> {
    (0..hours)
        .map(|i| match (i % 2, i < switch) {
            (0, _) => 100.0,
            (_, true) => high1,
            (_, false) => high2,
        })
        .collect()
}

const VOL_TARGET: &str = "[strategy]\nkind = \"directional\"\nsize = 1\ncapital = 10000\nfee_rate = 0\n\
    [sizing]\nmodel = \"vol_target\"\ntarget_vol = 2.0\nrebalance_hours = 24\nband = 0\nwarmup_hours = 720\n";

/// Hourly returns of ±1 % then ±2 %: the EWMA σ̂ doubles (to 1.99×: the
/// down-moves are −0.99 % and −1.96 %), so the vol-targeted long halves.
#[test]
fn vol_target_halves_the_position_when_the_ewma_vol_doubles() {
    let dir = history("halves", &alternating(2000, 1200, 101.0, 102.0));
    let out = backtest(&own(&dir, 720, 2000, VOL_TARGET)).unwrap();
    assert!(out.liquidations.is_empty());
    let at = |hour: i64| {
        out.resizes
            .iter()
            .rfind(|r| r.time <= T0 + hour * time::HOUR)
            .unwrap()
    };
    let (before, after) = (at(1190), at(1990));
    let sigma = before.hourly_vol.unwrap();
    assert!((sigma - 0.00995).abs() < 1e-4, "σ̂ {sigma}");
    let ratio = after.hourly_vol.unwrap() / sigma;
    assert!((ratio - 1.99).abs() < 0.01, "σ̂ ratio {ratio}");
    let size_ratio = after.to.to_f64_lossy() / before.to.to_f64_lossy();
    assert!((size_ratio - 0.5).abs() < 0.01, "size ratio {size_ratio}");
    let lev = before.leverage;
    assert!((lev - 2.0 / (sigma * 8760f64.sqrt())).abs() < 1e-9, "{lev}");
    // Every resize is a row of trades.csv's data.
    let rebalances = out
        .trades
        .iter()
        .filter(|t| t.reason == "rebalance" || t.reason == "open")
        .count();
    assert_eq!(rebalances, out.resizes.len());
    assert!(out.resizes.len() > 5);
}

/// Changing a future bar changes no earlier decision: the resize at the
/// spiked hour itself (decided at its open) is the same.
#[test]
fn no_look_ahead_a_future_bar_does_not_change_earlier_sizes() {
    let mut closes: Vec<f64> = (0..1400)
        .map(|i| 100.0 * (1.0 + 0.01 * ((i * 7919) % 13) as f64 / 13.0) + (i / 50) as f64)
        .collect();
    let body = VOL_TARGET.replace("band = 0", "band = 0.0");
    let base = backtest(&own(&history("ahead-a", &closes), 720, 1400, &body)).unwrap();
    let spiked_hour = 720 + 24 * 10;
    closes[spiked_hour] *= 1.3;
    let spiked = backtest(&own(&history("ahead-b", &closes), 720, 1400, &body)).unwrap();
    let t = T0 + spiked_hour as i64 * time::HOUR;
    let decisions = |o: &levamp_backtest::run::Outcome, up_to: bool| -> Vec<(i64, String, u64)> {
        o.resizes
            .iter()
            .filter(|r| (r.time <= t) == up_to)
            .map(|r| (r.time, r.to.to_string(), r.leverage.to_bits()))
            .collect()
    };
    let (a, b) = (decisions(&base, true), decisions(&spiked, true));
    assert!(a.iter().any(|d| d.0 == t), "a resize at the spiked hour");
    assert_eq!(a, b);
    assert_ne!(decisions(&base, false), decisions(&spiked, false));
}

/// k σ-of-horizon: after every rebalance the exact liquidation price is at
/// least k × σ̂ × √h from the mark, with σ̂ recomputed here from the closes
/// (EWMA of hourly returns, λ = 0.94, warm-up included).
#[test]
fn liquidation_buffer_keeps_the_liquidation_price_k_sigma_away() {
    for (side, mode) in [(1, "isolated"), (-1, "cross")] {
        let text = format!(
            "name = \"t\"\n[data]\nmarket = \"BTCUSDT\"\nstart = \"2021-01-01T00:00:00Z\"\nend = \"2021-07-01T00:00:00Z\"\n\
             [venue]\npreset = \"binance-usdm\"\n[strategy]\nkind = \"directional\"\nsize = {side}\ncapital = 10000\n\
             margin_mode = \"{mode}\"\nfee_rate = 0.0004\n\
             [sizing]\nmodel = \"liquidation_buffer\"\nk = 3\nhorizon_hours = 24\nrebalance_hours = 8\nband = 0.05\n"
        );
        let s = parse(&text, "t", Path::new(".")).unwrap();
        let w = load_window(&s).unwrap();
        let out = backtest(&s).unwrap();
        assert!(out.resizes.len() > 20, "{} resizes", out.resizes.len());
        let closes: Vec<f64> = w
            .warmup
            .iter()
            .chain(&w.perp)
            .map(|b| b.close.to_f64_lossy())
            .collect();
        for r in &out.resizes {
            let known = w.warmup.len() + ((r.time - s.start) / time::HOUR) as usize;
            let mut var: Option<f64> = None;
            for k in 1..known {
                let x = closes[k] / closes[k - 1] - 1.0;
                var = Some(var.map_or(x * x, |v| 0.94 * v + 0.06 * x * x));
            }
            let sigma = var.unwrap().sqrt();
            assert!((sigma - r.hourly_vol.unwrap()).abs() < 1e-12);
            let mark = r.mark.to_f64_lossy();
            let liq = r.liquidation_price.expect("a position").to_f64_lossy();
            let distance = (mark - liq).abs() / mark;
            let need = 3.0 * sigma * 24f64.sqrt();
            assert!(
                distance >= need,
                "{mode} at {}: liquidation {liq} is {distance:.4} from mark {mark}, need {need:.4}",
                time::format(r.time)
            );
            assert_eq!(r.to.is_positive(), side > 0);
        }
    }
}

/// A vol target far above what the venue allows is cut to the tier
/// maximum, and the cuts are counted.
#[test]
fn leverage_is_clamped_to_the_tier_maximum_and_counted() {
    let text = "name = \"t\"\n[data]\nmarket = \"BTCUSDT\"\nstart = \"2021-01-01T00:00:00Z\"\nend = \"2021-02-01T00:00:00Z\"\n\
         [venue]\npreset = \"binance-usdm\"\n[strategy]\nkind = \"directional\"\nsize = 1\ncapital = 10000\nfee_rate = 0.0004\n\
         [sizing]\nmodel = \"vol_target\"\ntarget_vol = 1000\n";
    let out = backtest(&parse(text, "t", Path::new(".")).unwrap()).unwrap();
    assert!(out.clamps > 0);
    let first = &out.resizes[0];
    assert!(first.clamped);
    // BTCUSDT's tiers: 10,000 USDT at ~25× is a tier whose maximum is 25×.
    assert!(
        first.leverage <= 25.0 && first.leverage > 20.0,
        "{}",
        first.leverage
    );
    let capped = text.replace("target_vol = 1000", "target_vol = 1000\nmax_leverage = 3");
    let out = backtest(&parse(&capped, "t", Path::new(".")).unwrap()).unwrap();
    assert_eq!(out.clamps, 0);
    assert!(out.resizes.iter().all(|r| r.leverage <= 3.0));
}

#[test]
fn bad_sizing_keys_are_named() {
    let base = "[data]\nmarket = \"BTCUSDT\"\nstart = \"2021-01-01T00:00:00Z\"\nend = \"2021-02-01T00:00:00Z\"\n\
                [venue]\npreset = \"binance-usdm\"\n[strategy]\nkind = \"directional\"\nsize = 1\ncapital = 10000\n";
    let cases = [
        ("[sizing]\nmodel = \"martingale\"\n", "sizing.model"),
        ("[sizing]\ntarget_vol = 0.5\n", "sizing.model"),
        ("[sizing]\nmodel = \"vol_target\"\n", "sizing.target_vol"),
        (
            "[sizing]\nmodel = \"vol_target\"\ntarget_vol = -1\n",
            "sizing.target_vol",
        ),
        (
            "[sizing]\nmodel = \"vol_target\"\ntarget_vol = 0.5\nlambda = 1.5\n",
            "sizing.lambda",
        ),
        (
            "[sizing]\nmodel = \"vol_target\"\ntarget_vol = 0.5\nk = 2\n",
            "sizing.k",
        ),
        (
            "[sizing]\nmodel = \"kelly\"\nfraction = 2\n",
            "sizing.fraction",
        ),
        (
            "[sizing]\nmodel = \"kelly\"\nfraction = 0.5\nlookback_hours = 1\n",
            "sizing.lookback_hours",
        ),
        (
            "[sizing]\nmodel = \"liquidation_buffer\"\nk = 2\nhorizon_hours = \"1d\"\n",
            "sizing.horizon_hours",
        ),
        (
            "[sizing]\nmodel = \"liquidation_buffer\"\nk = 2\nrebalance_hours = 0\n",
            "sizing.rebalance_hours",
        ),
        (
            "[sizing]\nmodel = \"liquidation_buffer\"\nk = 2\nband = 1\n",
            "sizing.band",
        ),
        (
            "[sizing]\nmodel = \"liquidation_buffer\"\nk = 2\nstep = 0\n",
            "sizing.step",
        ),
        (
            "[sizing]\nmodel = \"liquidation_buffer\"\nk = 2\nmax_leverage = 0.5\n",
            "sizing.max_leverage",
        ),
        ("[sizing]\nmodel = \"static\"\nband = 0.1\n", "sizing.band"),
    ];
    for (sizing, key) in cases {
        let e = parse(&format!("{base}{sizing}"), "t", Path::new(".")).unwrap_err();
        assert_eq!(e.at, key, "{sizing}: {}", e.message);
    }
    let e = parse(&format!("sizing = 3\n{base}"), "t", Path::new(".")).unwrap_err();
    assert_eq!(e.at, "sizing");
    let carry = base.replace("directional", "carry")
        + "[sizing]\nmodel = \"vol_target\"\ntarget_vol = 0.5\n";
    assert_eq!(
        parse(&carry, "t", Path::new(".")).unwrap_err().at,
        "sizing.model"
    );
    // The warm-up must lie inside the perp history.
    let early = base
        .replace("2021-01-01", "2019-12-24")
        .replace("2021-02-01", "2020-01-01")
        + "[sizing]\nmodel = \"vol_target\"\ntarget_vol = 0.5\nwarmup_hours = 100000\n";
    let e = load_window(&parse(&early, "t", Path::new(".")).unwrap()).unwrap_err();
    assert_eq!(e.at, "sizing.warmup_hours", "{}", e.message);
}

/// A mark that opens below the liquidation price liquidates at the open
/// update, and that liquidation is recorded (it used to be applied but
/// left out of `liquidations` and trades.csv).
#[test]
fn a_liquidation_at_a_gapped_open_is_recorded() {
    let mut bars = vec![(100.0, 100.0); 40];
    bars[30] = (50.0, 50.0);
    for b in bars.iter_mut().skip(31) {
        *b = (50.0, 50.0);
    }
    let dir = history_bars("gap", &bars);
    let body = "[strategy]\nkind = \"directional\"\nsize = 9\ncapital = 100\nfee_rate = 0\n";
    let out = backtest(&own(&dir, 8, 40, body)).unwrap();
    let first = out.liquidations.first().expect("liquidated and recorded");
    assert_eq!(first.time, T0 + 30 * time::HOUR);
    assert_eq!(first.mark.to_f64_lossy(), 50.0);
    assert!(out.trades.iter().any(|t| t.reason == "liquidation"));
    assert!(out.hours.last().unwrap().position.is_zero());
}

/// The no-trade band never keeps a position beyond a hard limit: after a
/// 5 % fall the buffered long is above its liquidation-buffer leverage by
/// less than the (wide) band, and is cut back at the next check anyway.
#[test]
fn the_band_does_not_keep_a_position_beyond_the_buffer() {
    let closes: Vec<f64> = (0..1100)
        .map(|i| {
            let level = if i <= 1000 { 100.0 } else { 95.0 };
            level * if i % 2 == 0 { 1.0 } else { 1.01 }
        })
        .collect();
    let dir = history("band", &closes);
    let body = "[strategy]\nkind = \"directional\"\nsize = 1\ncapital = 10000\nfee_rate = 0\n\
        [sizing]\nmodel = \"liquidation_buffer\"\nk = 10\nhorizon_hours = 4\nrebalance_hours = 24\nband = 0.9\n";
    let out = backtest(&own(&dir, 720, 1100, body)).unwrap();
    assert!(out.liquidations.is_empty());
    assert_eq!(out.resizes[0].time, T0 + 720 * time::HOUR, "the open");
    let after: Vec<_> = out.resizes.iter().skip(1).collect();
    let first = after.first().expect("a cut after the fall");
    assert_eq!(first.time, T0 + 1008 * time::HOUR);
    assert!(first.to < first.from, "{} → {}", first.from, first.to);
    let cut = 1.0 - first.to.to_f64_lossy() / first.from.to_f64_lossy();
    assert!(cut < 0.9, "within the band: {cut}");
}
