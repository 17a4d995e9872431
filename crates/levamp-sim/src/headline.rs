//! The run's headline: a plain-text paragraph with units that says what
//! happened — what moved the price, how far the market fell beyond the
//! outside price, who was liquidated, the insurance fund, ADL, bad debt and
//! when the first liquidation came. The report shows it at the top and the
//! terminal summary prints it.

use crate::report::axis::{count, duration, human, percent, utc_time};
use crate::run::PathMetrics;
use crate::scenario::{PriceModel, Scenario};
use crate::setup::World;
use crate::summary::Stat;

/// What drives the price, in words.
fn price_driver(s: &Scenario) -> String {
    match &s.price {
        PriceModel::Replay { csv, column } => format!(
            "a replay of recorded prices ({}, column {column})",
            csv.file_name()
                .map_or_else(|| csv.display().to_string(), |f| f.to_string_lossy().into()),
        ),
        PriceModel::Shock { shock, steps, .. } => format!(
            "a scripted shock of {} over {steps} step(s)",
            percent(shock.to_f64_lossy())
        ),
        PriceModel::Gbm { sigma, .. } => {
            format!(
                "a geometric Brownian motion ({} a year volatility)",
                percent(*sigma)
            )
        }
        PriceModel::Jump {
            sigma,
            intensity,
            jump_mean,
            ..
        } => format!(
            "a jump-diffusion ({} a year volatility, {intensity} jumps a year of {} on average)",
            percent(*sigma),
            percent(*jump_mean)
        ),
        PriceModel::Garch { .. } => "a GARCH(1,1) volatility model".into(),
    }
}

/// The time of step `step`: UTC when the scenario has a start time, else
/// minutes (or hours) after the start.
pub fn when(world: &World, dt_s: i64, step: usize) -> String {
    let offset = step as i64 * dt_s;
    match world.start_time {
        Some(t) => format!("{} UTC", utc_time(t + offset)),
        None if offset < 7200 => format!("{} min after the start", offset / 60),
        None => format!("{:.1} h after the start", offset as f64 / 3600.0),
    }
}

/// [`when`] after "at" when it is a clock time, as is when it is an
/// offset ("at 21:20 UTC", "5 min after the start").
fn at(world: &World, dt_s: i64, step: usize) -> String {
    match world.start_time {
        Some(_) => format!("at {}", when(world, dt_s, step)),
        None => when(world, dt_s, step),
    }
}

/// The headline paragraph (plain text, no markup).
pub fn headline(s: &Scenario, world: &World, paths: &[PathMetrics]) -> String {
    let quote = world.venue.asset_name(world.venue.quote());
    let q = |x: f64| format!("{} {quote}", human(x));
    let start = world.start.to_f64_lossy();
    let fund0 = world.venue.funds()[world.venue.quote() as usize]
        .insurance_fund
        .to_f64_lossy();
    let open = world.open_notional.0 + world.open_notional.1;
    let share = |part: f64, whole: f64| match whole > 0.0 {
        true => percent(part / whole),
        false => "n/a".into(),
    };
    let market = world
        .market
        .map(|m| world.venue.markets()[m as usize].name.clone())
        .unwrap_or_else(|| world.venue.price_keys()[world.key as usize].clone());
    let mut out = format!(
        "{market} on {}: the price follows {}, from {}.",
        s.preset,
        price_driver(s),
        q(start)
    );
    match paths {
        [] => out.push_str(" No path ran."),
        [p] => out.push_str(&one_path(s, world, p, &q, &share, fund0, open)),
        _ => out.push_str(&many_paths(s, world, paths, &q, &share, fund0, open)),
    }
    out
}

/// The sentences for a single path.
fn one_path(
    s: &Scenario,
    world: &World,
    p: &PathMetrics,
    q: &dyn Fn(f64) -> String,
    share: &dyn Fn(f64, f64) -> String,
    fund0: f64,
    open: f64,
) -> String {
    let start = world.start.to_f64_lossy();
    let series = p.series.as_deref().unwrap_or(&[]);
    let low = series.iter().min_by(|a, b| a.price.total_cmp(&b.price));
    let exo_low = series
        .iter()
        .map(|r| r.exogenous)
        .fold(f64::INFINITY, f64::min)
        .min(start);
    let mut out = String::new();
    let low_at = low.map_or(String::new(), |r| {
        format!(" {}", at(world, s.run.dt_s, r.step))
    });
    if exo_low.is_finite() && exo_low < start {
        out.push_str(&format!(
            " The outside price fell {} to {}; the market fell {} to {}{low_at}, {:.2}× the outside fall (cascade amplification).",
            percent(1.0 - exo_low / start),
            q(exo_low),
            percent(1.0 - p.min_price / start),
            q(p.min_price),
            p.cascade_amplification
        ));
    } else {
        out.push_str(&format!(
            " The market's low was {}{low_at} ({} below the start).",
            q(p.min_price),
            percent(1.0 - p.min_price / start)
        ));
    }
    out.push_str(&format!(
        " Liquidated: {} (long {}, short {}), {} of {} accounts ({}), {} of open interest.",
        q(p.liquidated_notional),
        q(p.liquidated_long),
        q(p.liquidated_short),
        count(p.accounts_liquidated as f64),
        count(world.accounts as f64),
        share(p.accounts_liquidated as f64, world.accounts as f64),
        share(p.liquidated_notional, open),
    ));
    let end = series.last().map_or(fund0, |r| r.insurance_fund);
    if fund0 == 0.0 && end == 0.0 {
        out.push_str(" No insurance fund.");
    } else {
        out.push_str(&format!(
            " Insurance fund: {} → {} (lowest {}).",
            q(fund0),
            q(end),
            q(fund0 - p.insurance_fund_drawdown)
        ));
    }
    out.push_str(&match p.adl_count {
        0 => " No auto-deleveraging.".to_string(),
        n => format!(
            " Auto-deleveraging: {} fill(s), {}.",
            count(n as f64),
            q(p.adl_notional)
        ),
    });
    out.push_str(&match p.bad_debt > 0.0 {
        true => format!(" Bad debt: {}.", q(p.bad_debt)),
        false => " No bad debt.".to_string(),
    });
    out.push_str(&match p.time_to_first_liquidation {
        Some(t) => format!(
            " First liquidation {} (step {t}).",
            at(world, s.run.dt_s, t)
        ),
        None => " No liquidation.".to_string(),
    });
    out
}

/// The sentences for a Monte-Carlo run: medians with the tail.
fn many_paths(
    s: &Scenario,
    world: &World,
    paths: &[PathMetrics],
    q: &dyn Fn(f64) -> String,
    share: &dyn Fn(f64, f64) -> String,
    fund0: f64,
    open: f64,
) -> String {
    let n = paths.len() as f64;
    let stat = |f: &dyn Fn(&PathMetrics) -> f64| Stat::of(paths.iter().map(f));
    let prob = |f: &dyn Fn(&PathMetrics) -> bool| {
        percent(paths.iter().filter(|p| f(p)).count() as f64 / n)
    };
    let start = world.start.to_f64_lossy();
    let low = stat(&|p| p.min_price);
    let amp = stat(&|p| p.cascade_amplification);
    let liq = stat(&|p| p.liquidated_notional);
    let long = stat(&|p| p.liquidated_long);
    let short = stat(&|p| p.liquidated_short);
    let accounts = stat(&|p| p.accounts_liquidated as f64);
    let fund = stat(&|p| p.insurance_fund_drawdown);
    let bad = stat(&|p| p.bad_debt);
    let first = Stat::of(
        paths
            .iter()
            .filter_map(|p| p.time_to_first_liquidation.map(|t| t as f64)),
    );
    let any_first = paths.iter().any(|p| p.time_to_first_liquidation.is_some());
    let mut out = format!(
        " Over {} paths: the market's low is {} in the median ({} below the start) and {} in the worst 5 % (p5); cascade amplification {:.2}× median, {:.2}× p95.",
        paths.len(),
        q(low.p50),
        percent(1.0 - low.p50 / start),
        q(low.p5),
        amp.p50,
        amp.p95
    );
    out.push_str(&format!(
        " Liquidated: {} median (long {}, short {}), {} p95; {} accounts median ({}), {} of open interest.",
        q(liq.p50),
        q(long.p50),
        q(short.p50),
        q(liq.p95),
        count(accounts.p50),
        share(accounts.p50, world.accounts as f64),
        share(liq.p50, open),
    ));
    out.push_str(&format!(
        " Insurance fund {}: falls {} median, {} p95; exhausted on {} of paths.",
        q(fund0),
        q(fund.p50),
        q(fund.p95),
        prob(&|p| p.insurance_fund_depleted)
    ));
    out.push_str(&format!(
        " Auto-deleveraging on {} of paths; bad debt on {} (worst {}).",
        prob(&|p| p.adl_count > 0),
        prob(&|p| p.bad_debt > 0.0),
        q(bad.max)
    ));
    if any_first {
        out.push_str(&format!(
            " First liquidation after {} median (on {} of paths).",
            duration(first.p50 * s.run.dt_s as f64),
            prob(&|p| p.time_to_first_liquidation.is_some())
        ));
    } else {
        out.push_str(" No liquidation on any path.");
    }
    out
}
