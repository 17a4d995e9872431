//! Liquidation price: the mark of a position's market at which its margin
//! scope (the cross pool, or the isolated position) becomes liquidatable,
//! every other price fixed.
//!
//! Within one set of tiers, `equity(p) − maintenance(p)` is linear in `p`, so
//! the root has a closed form (Binance's published formula is this root for
//! one position; Hyperliquid's `price − side × margin_available / size /
//! (1 − l × side)` is the same root). Tiers change with notional, so the
//! solver re-solves with the tiers at the root until they agree, then walks
//! to the exact boundary of the *rounded* predicate used by
//! [`crate::account_health`]: for a loss on a fall (net long) the result is
//! the highest price at which the scope is liquidatable, for a loss on a rise
//! (net short) the lowest. One tick (1e-12) on the safe side it is not.
//!
//! `None` when no positive price of this market alone changes the outcome:
//! the scope is never liquidatable (e.g. a fully collateralised 1× long), or
//! liquidatable at every price.
//!
//! There is no price cap: the search runs from one tick up to the largest
//! price at which the scope's margin is still representable (its values fit
//! the `i128` fixed point; the search gallops by doubling, so it reaches that
//! edge in about 127 steps). A boundary beyond that edge is also `None` — no
//! liquidation price within the representable range — since no oracle price
//! there can be valued either.

use crate::margin::{scope_margin, Requirements, Scope, ScopeMargin};
use crate::model::{Account, MarginContext, PriceId, PriceView};
use levamp_core::{mul_div, MathError, Price, Quote, Ratio, Round, SCALE};

/// Liquidation price of `account.positions[position]`; see the module docs.
pub fn liquidation_price(
    account: &Account,
    position: usize,
    ctx: &MarginContext<'_>,
) -> Result<Option<Price>, MathError> {
    let scope = Scope::of(account, position);
    let total = scope_margin(
        account,
        ctx,
        scope,
        now(ctx),
        None,
        Requirements::Maintenance,
    )?;
    solve_position(account, position, ctx, total)
}

/// Liquidation prices of every position of `account` into `out` (one slot
/// per position), sharing the cross scope's totals. Allocation-free.
pub fn liquidation_prices(
    account: &Account,
    ctx: &MarginContext<'_>,
    out: &mut [Option<Price>],
) -> Result<(), MathError> {
    let cross = scope_margin(
        account,
        ctx,
        Scope::Cross,
        now(ctx),
        None,
        Requirements::Maintenance,
    )?;
    for (i, slot) in out.iter_mut().enumerate().take(account.positions.len()) {
        let total = match Scope::of(account, i) {
            Scope::Cross => cross,
            scope => scope_margin(
                account,
                ctx,
                scope,
                now(ctx),
                None,
                Requirements::Maintenance,
            )?,
        };
        *slot = solve_position(account, i, ctx, total)?;
    }
    Ok(())
}

fn now<'a>(ctx: &MarginContext<'a>) -> PriceView<'a> {
    PriceView {
        prices: ctx.prices,
        replaced: None,
    }
}

/// The boundary for one position, given its scope's totals at current prices.
fn solve_position(
    account: &Account,
    position: usize,
    ctx: &MarginContext<'_>,
    total: ScopeMargin,
) -> Result<Option<Price>, MathError> {
    let scope = Scope::of(account, position);
    let id = ctx.markets[account.positions[position].market as usize].price;
    let side = account.positions[position].size.raw().signum();
    Ok(scope_boundary(account, scope, id, ctx, total, side)?.map(|(p, _)| p))
}

/// Which side of a boundary price is liquidatable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    /// Liquidatable at and below the price (the scope loses when it falls).
    Below,
    /// Liquidatable at and above the price.
    Above,
}

/// The price of key `id` at which `scope` (whose totals at current prices
/// are `total`, possibly with equity lowered by the caller) becomes
/// liquidatable, every other price fixed; `side` (sign of the exposure)
/// breaks ties when the linear form overflows. See the module docs.
pub fn scope_boundary(
    account: &Account,
    scope: Scope,
    id: PriceId,
    ctx: &MarginContext<'_>,
    total: ScopeMargin,
    side: i128,
) -> Result<Option<(Price, Side)>, MathError> {
    // The scope's items that move with this price, valued at `p` (or now).
    let moving_at = |p: Option<i128>| {
        let view = PriceView {
            prices: ctx.prices,
            replaced: p.map(|p| (id, Price::from_raw(p))),
        };
        scope_margin(
            account,
            ctx,
            scope,
            view,
            Some(id),
            Requirements::Maintenance,
        )
    };
    // The part of the scope that does not move with this price, exact.
    let rest = total.checked_sub(&moving_at(None)?)?;
    let liquidatable_at = |p: i128| -> Result<bool, MathError> {
        Ok(rest.checked_add(&moving_at(Some(p))?)?.liquidatable())
    };
    let mark = ctx.prices[id as usize].raw();
    let Some((slope, guess, converged, _)) = solve(account, ctx, scope, id, mark, rest, side)
    else {
        return Ok(None);
    };
    // Within the rounding bound of the closed form (see `scope_trigger`)
    // when the tiers settled: the search starts from that bracket.
    let radius = match converged {
        true => Some(rounding_bound(account, slope)?),
        false => None,
    };
    if slope > 0 {
        Ok(last_true_near(&liquidatable_at, guess, radius)?
            .map(|p| (Price::from_raw(p), Side::Below)))
    } else {
        // Liquidatable from P up: P − 1 is the last price where it is not.
        let p = last_true_near(
            &|p| liquidatable_at(p).map(|b| !b),
            guess.saturating_sub(1),
            radius,
        )?;
        Ok(p.map(|p| (Price::from_raw(p + 1), Side::Above)))
    }
}

/// How far (in ticks) the closed-form root can be from the boundary of the
/// rounded predicate: two raw quote units per item that is rounded on its
/// own, plus two, over the slope (at 24 decimals) of the form AT THE ROOT,
/// plus one. (The slope at the mark was used until a hedge-mode account
/// whose long and short nearly cancel showed the difference: at the mark
/// its tiers' rates left a steep net slope, at the root a higher tier's
/// rate left a flat one, so the bound came out 12 ticks short; test
/// `fast_trigger_holds_for_a_nearly_hedged_market`.)
fn rounding_bound(account: &Account, slope: i128) -> Result<i128, MathError> {
    let items = account.positions.len()
        + account.collateral.len()
        + account.supplied.len()
        + account.borrows.len();
    let error = (2 * items as i128 + 2)
        .checked_mul(SCALE * SCALE)
        .ok_or(MathError::Overflow)?;
    Ok(error / slope.checked_abs().ok_or(MathError::Overflow)? + 1)
}

/// The slope's sign at the current mark (which side is the losing side) and
/// the root of the linear form, re-solved with the tiers at each root until
/// it stops moving (at most 8 rounds), and the slope of the form at that
/// root. `None` when the slope is zero: no
/// price of this market changes the outcome. If the form overflows, the
/// guess falls back to the mark, the losing side to the position's side,
/// and the search does the work.
fn solve(
    account: &Account,
    ctx: &MarginContext<'_>,
    scope: Scope,
    id: PriceId,
    mark: i128,
    rest: ScopeMargin,
    side: i128,
) -> Option<(i128, i128, bool, i128)> {
    let form = |at| {
        linear_form(
            account,
            ctx,
            scope,
            id,
            at,
            rest.equity,
            rest.maintenance_margin,
        )
    };
    let Some((slope, constant)) = form(mark) else {
        return Some((side, mark, false, side));
    };
    if slope == 0 {
        return None;
    }
    let (mut slope_at, mut constant_at) = (slope, constant);
    let mut at = mark;
    let mut converged = false;
    for _ in 0..8 {
        let Some(root) = constant_at
            .checked_neg()
            .and_then(|c| root_guess(c, slope_at))
        else {
            break;
        };
        let root = root.max(1);
        if root == at {
            converged = true;
            break;
        }
        // The form depends on the price only through the tiers: the same
        // tiers at the root give the same form, whose root it is (checked
        // without building the form again).
        if same_tiers(account, ctx, scope, id, at, root) {
            at = root;
            converged = true;
            break;
        }
        at = root;
        match form(at) {
            // The same tiers at the root: the same form, whose root it is.
            Some(f) if f == (slope_at, constant_at) => {
                converged = true;
                break;
            }
            Some((s, c)) if s != 0 => (slope_at, constant_at) = (s, c),
            _ => break,
        }
    }
    Some((slope, at, converged, slope_at))
}

/// Like [`scope_boundary`] but from the closed form alone, moved toward the
/// current price by a bound on the rounding of the exact predicate (two raw
/// quote units per moving item, plus two): never on the unsafe side of the
/// exact boundary, and a few ticks closer. Falls back to the exact search when
/// the tiers did not settle. Used for the liquidation index, where a trigger
/// only has to be conservative.
pub fn scope_trigger(
    account: &Account,
    scope: Scope,
    id: PriceId,
    ctx: &MarginContext<'_>,
    total: ScopeMargin,
    side: i128,
) -> Result<Option<(Price, Side)>, MathError> {
    let now = PriceView {
        prices: ctx.prices,
        replaced: None,
    };
    let moving = scope_margin(
        account,
        ctx,
        scope,
        now,
        Some(id),
        Requirements::Maintenance,
    )?;
    let rest = total.checked_sub(&moving)?;
    scope_trigger_from_rest(account, scope, id, ctx, total, rest, side)
}

/// [`scope_trigger`] given `rest`, the part of the scope's totals that does
/// not move with price `id` (`total` less the items valued at `id`), for a
/// caller that knows it without valuing the moving items again (the
/// liquidation index's single-key scopes, `venue/reindex.rs`).
pub fn scope_trigger_from_rest(
    account: &Account,
    scope: Scope,
    id: PriceId,
    ctx: &MarginContext<'_>,
    total: ScopeMargin,
    rest: ScopeMargin,
    side: i128,
) -> Result<Option<(Price, Side)>, MathError> {
    let mark = ctx.prices[id as usize].raw();
    let Some((slope, root, converged, slope_at_root)) =
        solve(account, ctx, scope, id, mark, rest, side)
    else {
        return Ok(None);
    };
    if !converged {
        return scope_boundary(account, scope, id, ctx, total, side);
    }
    let margin = rounding_bound(account, slope_at_root)?;
    Ok(Some(match slope > 0 {
        true => (Price::from_raw(root.saturating_add(margin)), Side::Below),
        false => (
            Price::from_raw(root.saturating_sub(margin).max(1)),
            Side::Above,
        ),
    }))
}

/// `⌊n · SCALE / d⌋` (toward zero) for the root's first guess, by long
/// division in `i128`: the product `n · SCALE` does not fit in `i128` for
/// realistic accounts, and a 256-bit division is not needed for a guess the
/// search then corrects. One step of 10^12 after the integer part when the
/// remainder's product fits, otherwise two of 10^6. `None` when `|d|` is too
/// large for the steps.
fn root_guess(n: i128, d: i128) -> Option<i128> {
    const STEP: i128 = 1_000_000;
    if d == 0 || d.checked_abs()? > i128::MAX / STEP {
        return None;
    }
    let (mut q, mut r) = (n.checked_div(d)?, n % d);
    // One step of 10^12 when the remainder's product fits (positions up to
    // ~170 base units): one division instead of two.
    if let Some(scaled) = r.checked_mul(SCALE) {
        return q.checked_mul(SCALE)?.checked_add(scaled / d);
    }
    for _ in 0..2 {
        let scaled = r * STEP;
        q = q.checked_mul(STEP)?.checked_add(scaled / d)?;
        r = scaled % d;
    }
    Some(q)
}

/// Whether every position of `scope` priced by `id` is in the same tier at
/// prices `a` and `b`: then [`linear_form`] is the same at both (it depends
/// on the price only through the tiers).
fn same_tiers(
    account: &Account,
    ctx: &MarginContext<'_>,
    scope: Scope,
    id: PriceId,
    a: i128,
    b: i128,
) -> bool {
    let same = |pos: &crate::Position| {
        let market = &ctx.markets[pos.market as usize];
        let s = pos.size.raw();
        market.price != id || std::ptr::eq(tier_at(s, market, a), tier_at(s, market, b))
    };
    match scope {
        Scope::Isolated(i) => same(&account.positions[i]),
        Scope::Cross => account
            .positions
            .iter()
            .filter(|p| p.mode == crate::MarginMode::Cross)
            .all(same),
    }
}

fn tier_at(size: i128, market: &crate::Market, price: i128) -> &crate::Tier {
    let notional = mul_div(size.abs(), price, SCALE, Round::Ceil).unwrap_or(i128::MAX);
    market.tier(Quote::from_raw(notional))
}

/// `equity(p) − maintenance(p) = slope·p + constant` with the tiers in force
/// at price `at`, both at 24 decimals (`p` at 12). Unrounded: the search
/// that follows corrects the last ticks against the rounded predicate.
fn linear_form(
    account: &Account,
    ctx: &MarginContext<'_>,
    scope: Scope,
    id: PriceId,
    at: i128,
    rest_equity: Quote,
    rest_maintenance: Quote,
) -> Option<(i128, i128)> {
    let mut slope: i128 = 0;
    let mut constant = rest_equity
        .raw()
        .checked_sub(rest_maintenance.raw())?
        .checked_mul(SCALE)?;
    let mut add_position = |pos: &crate::Position| -> Option<()> {
        let market = &ctx.markets[pos.market as usize];
        if market.price != id {
            return Some(());
        }
        let s = pos.size.raw();
        let tier = tier_at(s, market, at);
        // The size premium depends on the size only: still linear in p.
        let rate = match ctx.size_premium.is_zero() {
            true => tier.maintenance_margin_rate,
            false => crate::size_premium::size_premium_rate(
                pos.size,
                ctx.size_premium,
                tier.maintenance_margin_rate,
            )
            .ok()?,
        };
        // s·p − cost − (|s|·p·r − a)
        slope = slope
            .checked_add(s.checked_mul(SCALE)?)?
            .checked_sub(s.abs().checked_mul(rate.raw())?)?;
        constant = constant
            .checked_sub(pos.cost.raw().checked_mul(SCALE)?)?
            .checked_add(tier.maintenance_amount.raw().checked_mul(SCALE)?)?;
        Some(())
    };
    match scope {
        Scope::Isolated(i) => add_position(&account.positions[i])?,
        Scope::Cross => {
            for pos in account
                .positions
                .iter()
                .filter(|p| p.mode == crate::MarginMode::Cross)
            {
                add_position(pos)?;
            }
            for item in ctx.collateral(account) {
                let (asset, amount) = item.ok()?;
                if asset.price == id {
                    let weight = Ratio::ONE.raw() - asset.haircut.raw();
                    slope = slope.checked_add(amount.raw().checked_mul(weight)?)?;
                }
            }
            for item in ctx.debts(account) {
                let (asset, amount) = item.ok()?;
                if asset.price == id {
                    slope = slope.checked_sub(amount.raw().checked_mul(SCALE)?)?;
                }
            }
        }
    }
    Some((slope, constant))
}

/// Where a predicate stands at a price: true, false, or beyond the
/// representable range (its evaluation overflowed).
#[derive(Clone, Copy, PartialEq, Eq)]
enum At {
    True,
    False,
    Beyond,
}

/// [`last_true`], bisecting `[guess − radius, guess + radius]` directly when
/// the predicate is true at its low end and false at its high end (a
/// monotone predicate's one boundary is then inside it, the same one the
/// gallop finds); otherwise the gallop from the guess.
fn last_true_near(
    pred: &dyn Fn(i128) -> Result<bool, MathError>,
    guess: i128,
    radius: Option<i128>,
) -> Result<Option<i128>, MathError> {
    if let Some(r) = radius {
        let lo = guess.saturating_sub(r).max(1);
        let hi = guess.saturating_add(r);
        let truth = |p: i128| match pred(p) {
            Ok(b) => Ok(Some(b)),
            Err(MathError::Overflow) => Ok(None),
            Err(e) => Err(e),
        };
        if lo < hi && truth(lo)? == Some(true) && truth(hi)? == Some(false) {
            let (mut lo, mut hi) = (lo, hi);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                match truth(mid)? {
                    Some(true) => lo = mid,
                    Some(false) => hi = mid,
                    // Unrepresentable inside the bracket: leave it to the gallop.
                    None => return last_true(pred, guess),
                }
            }
            return Ok(Some(lo));
        }
    }
    last_true(pred, guess)
}

/// For a predicate true on `[1, P]` and false above `P` up to the edge of
/// the representable range (where evaluating it overflows), finds `P`
/// starting from a guess: gallops away from the guess, then bisects. `None`
/// if it is false at 1, or still true at the edge (no boundary within the
/// representable range).
fn last_true(
    pred: &dyn Fn(i128) -> Result<bool, MathError>,
    guess: i128,
) -> Result<Option<i128>, MathError> {
    let at = |p: i128| match pred(p) {
        Ok(true) => Ok(At::True),
        Ok(false) => Ok(At::False),
        Err(MathError::Overflow) => Ok(At::Beyond),
        Err(e) => Err(e),
    };
    let guess = guess.max(1);
    let (mut lo, mut hi);
    if at(guess)? == At::True {
        lo = guess;
        let mut step = 1i128;
        loop {
            if lo == i128::MAX {
                return Ok(None);
            }
            let next = lo.saturating_add(step);
            if at(next)? != At::True {
                hi = next;
                break;
            }
            lo = next;
            step = step.saturating_mul(2);
        }
    } else {
        hi = guess;
        let mut step = 1i128;
        loop {
            if hi == 1 {
                return Ok(None);
            }
            let next = hi.saturating_sub(step).max(1);
            if at(next)? == At::True {
                lo = next;
                break;
            }
            hi = next;
            step = step.saturating_mul(2);
        }
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if at(mid)? == At::True {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    // The first price past `lo` could not be valued: the boundary is the
    // edge of the representable range, not a liquidation price.
    match at(hi)? {
        At::Beyond => Ok(None),
        _ => Ok(Some(lo)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The long division is `n · SCALE / d` rounded toward zero exactly, on
    /// both of its paths (remainder × 10^12 fits, or not), as the 256-bit
    /// `mul_div` computes it.
    #[test]
    fn root_guess_is_the_exact_quotient_toward_zero() {
        let mut x: u128 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |bits: u32| {
            x = x
                .wrapping_mul(0x5851_F42D_4C95_7F2D)
                .wrapping_add(1442695040888963407);
            (x >> (128 - bits)) as i128
        };
        for i in 0..20_000 {
            let n = next(100 + (i % 26) as u32) - (1 << (99 + (i % 26) as u32));
            let d = next(60 + (i % 45) as u32) + 1;
            let d = if i % 3 == 0 { -d } else { d };
            let round = match (n < 0) != (d < 0) {
                true => Round::Ceil,
                false => Round::Floor,
            };
            let exact = mul_div(n, SCALE, d, round).ok();
            assert_eq!(root_guess(n, d), exact, "{n} · 10^12 / {d}");
        }
    }
}
