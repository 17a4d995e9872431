//! Market impact and liquidity: how the market price answers a net flow of
//! forced sales (liquidations of longs) or purchases (liquidations of shorts).
//!
//! Each model sees a step begin (`begin_step`: between-step dynamics, e.g.
//! AMM arbitrage or order-book replenishment) and then any number of net
//! flows within the step (`apply`). `Linear` is exact fixed-point; the
//! others compute in `f64` and round the resulting price down to 12 decimals
//! (at least one tick); a model price that is NaN or ∞ is an error.

use levamp_core::{mul_div, Base, MathError, Price, Round, SCALE};

/// A liquidity model.
pub trait ImpactModel: Send {
    /// Start of a step: `price` is the market price after the exogenous
    /// move, `exogenous` the outside reference price; returns the market
    /// price the step starts from.
    fn begin_step(&mut self, price: Price, exogenous: Price) -> Result<Price, MathError>;
    /// A net flow of `sold` base units (> 0 sold, < 0 bought) at `price`;
    /// returns the new price (at least one tick).
    fn apply(&mut self, price: Price, sold: Base) -> Result<Price, MathError>;
    /// A copy in the same state (to ask "what if" without trading).
    fn boxed(&self) -> Box<dyn ImpactModel>;
}

/// A model's `f64` price: rounded down at 12 decimals, at least one tick;
/// NaN, ±∞ and out-of-range prices are errors.
fn from_f64(p: f64) -> Result<Price, MathError> {
    Ok(Price::from_f64(p, Round::Floor)?.max(Price::TICK))
}

/// Permanent linear impact: the price moves by `lambda` per base unit
/// (down for sales, up for purchases); the drop is rounded up, the rise down.
#[derive(Clone, Debug)]
pub struct Linear {
    pub lambda: Price,
}

impl ImpactModel for Linear {
    fn boxed(&self) -> Box<dyn ImpactModel> {
        Box::new(self.clone())
    }
    fn begin_step(&mut self, price: Price, _: Price) -> Result<Price, MathError> {
        Ok(price)
    }
    fn apply(&mut self, price: Price, sold: Base) -> Result<Price, MathError> {
        let round = if sold.is_positive() {
            Round::Ceil
        } else {
            Round::Floor
        };
        let moved = mul_div(self.lambda.raw(), sold.raw(), SCALE, round)?;
        Ok(Price::from_raw(
            price
                .raw()
                .checked_sub(moved)
                .ok_or(MathError::Overflow)?
                .max(1),
        ))
    }
}

/// Square-root law (Almgren et al., Tóth et al.): `Δp ÷ p = y · σ · √(q ÷ V)`
/// with `σ` the daily volatility and `V` the daily volume in base units.
#[derive(Clone, Debug)]
pub struct Sqrt {
    pub y: f64,
    pub daily_sigma: f64,
    pub daily_volume: f64,
}

impl ImpactModel for Sqrt {
    fn boxed(&self) -> Box<dyn ImpactModel> {
        Box::new(self.clone())
    }
    fn begin_step(&mut self, price: Price, _: Price) -> Result<Price, MathError> {
        Ok(price)
    }
    fn apply(&mut self, price: Price, sold: Base) -> Result<Price, MathError> {
        let q = sold.to_f64_lossy();
        let move_ = self.y * self.daily_sigma * (q.abs() / self.daily_volume).sqrt();
        from_f64(price.to_f64_lossy() * (1.0 - q.signum() * move_).max(1e-9))
    }
}

/// An order-book depth curve: `points` are (move as a fraction, cumulative
/// quote notional resting within that move), e.g. Binance bookDepth's
/// ±1..5 % bands. Selling notional `N` walks down the bid curve; within a
/// step the consumed depth accumulates, and a share `resilience` of it is
/// replenished at each step start. Beyond the last point the curve is
/// extended with its last slope.
#[derive(Clone, Debug)]
pub struct Depth {
    pub points: Vec<(f64, f64)>,
    pub resilience: f64,
    /// Market makers withdraw in volatility: a step whose outside move is
    /// `r` leaves `1 ÷ (1 + thinning · |r| ÷ 1 %)` of the book (0: never thins).
    pub thinning: f64,
    consumed_bid: f64,
    consumed_ask: f64,
    scale: f64,
    last_outside: f64,
}

impl Depth {
    /// `points` ascending in both coordinates, first point above zero.
    pub fn new(points: Vec<(f64, f64)>, resilience: f64) -> Depth {
        Depth {
            points,
            resilience,
            thinning: 0.0,
            consumed_bid: 0.0,
            consumed_ask: 0.0,
            scale: 1.0,
            last_outside: 0.0,
        }
    }

    /// With volatility thinning (see [`Depth::thinning`]).
    pub fn with_thinning(mut self, thinning: f64) -> Depth {
        self.thinning = thinning;
        self
    }

    /// Price move (fraction) at which `notional` of depth is consumed.
    pub fn move_for(&self, notional: f64) -> f64 {
        let mut prev = (0.0, 0.0);
        for &(m, n) in &self.points {
            if notional <= n {
                return prev.0 + (m - prev.0) * (notional - prev.1) / (n - prev.1);
            }
            prev = (m, n);
        }
        let (a, b) = match self.points.len() {
            0 => return 0.0,
            1 => ((0.0, 0.0), self.points[0]),
            k => (self.points[k - 2], self.points[k - 1]),
        };
        b.0 + (b.0 - a.0) * (notional - b.1) / (b.1 - a.1)
    }
}

impl ImpactModel for Depth {
    fn boxed(&self) -> Box<dyn ImpactModel> {
        Box::new(self.clone())
    }
    fn begin_step(&mut self, price: Price, outside: Price) -> Result<Price, MathError> {
        self.consumed_bid *= 1.0 - self.resilience;
        self.consumed_ask *= 1.0 - self.resilience;
        let o = outside.to_f64_lossy();
        if self.last_outside > 0.0 && self.thinning > 0.0 {
            let r = (o / self.last_outside - 1.0).abs();
            self.scale = 1.0 / (1.0 + self.thinning * r / 0.01);
        }
        self.last_outside = o;
        Ok(price)
    }
    fn apply(&mut self, price: Price, sold: Base) -> Result<Price, MathError> {
        let p = price.to_f64_lossy();
        let notional = sold.to_f64_lossy().abs() * p;
        let consumed = if sold.is_positive() {
            &mut self.consumed_bid
        } else {
            &mut self.consumed_ask
        };
        let before = *consumed;
        *consumed += notional;
        let after = *consumed;
        // A thinned book: the same notional reaches deeper.
        let delta = self.move_for(after / self.scale) - self.move_for(before / self.scale);
        let factor = if sold.is_positive() {
            1.0 - delta
        } else {
            1.0 + delta
        };
        from_f64(p * factor.max(1e-9))
    }
}

/// A constant-product AMM (`x · y = k`) that is the market: liquidation
/// flow trades against it, and arbitrageurs (when `arbitrage`) bring its
/// price back to the outside price at each step start.
#[derive(Clone, Debug)]
pub struct Amm {
    pub base: f64,
    pub quote: f64,
    pub arbitrage: bool,
}

impl Amm {
    /// A pool holding `base` units at `price`.
    pub fn new(base: f64, price: f64, arbitrage: bool) -> Amm {
        Amm {
            base,
            quote: base * price,
            arbitrage,
        }
    }
    fn price(&self) -> f64 {
        self.quote / self.base
    }
}

impl ImpactModel for Amm {
    fn boxed(&self) -> Box<dyn ImpactModel> {
        Box::new(self.clone())
    }
    fn begin_step(&mut self, _: Price, exogenous: Price) -> Result<Price, MathError> {
        if self.arbitrage {
            let k = self.base * self.quote;
            let p = exogenous.to_f64_lossy();
            self.base = (k / p).sqrt();
            self.quote = (k * p).sqrt();
        }
        from_f64(self.price())
    }
    fn apply(&mut self, _: Price, sold: Base) -> Result<Price, MathError> {
        let k = self.base * self.quote;
        let q = sold.to_f64_lossy();
        // Buying more than the pool holds is capped at 99.9 % of it.
        self.base = (self.base + q).max(self.base * 0.001);
        self.quote = k / self.base;
        from_f64(self.price())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Price {
        s.parse().unwrap()
    }

    #[test]
    fn a_nan_price_is_an_error_not_one_tick() {
        let mut amm = Amm::new(0.0, 100.0, false);
        assert_eq!(
            amm.begin_step(p("100"), p("100")),
            Err(MathError::NotFinite)
        );
        let mut sqrt = Sqrt {
            y: f64::NEG_INFINITY,
            daily_sigma: 0.04,
            daily_volume: 1000.0,
        };
        assert!(sqrt.apply(p("100"), "1".parse().unwrap()).is_err());
    }

    #[test]
    fn linear_is_exact() {
        let mut m = Linear { lambda: p("0.001") };
        assert_eq!(
            m.apply(p("85"), "1500".parse().unwrap()).unwrap(),
            p("83.5")
        );
        assert_eq!(m.apply(p("85"), "-1000".parse().unwrap()).unwrap(), p("86"));
        assert_eq!(
            m.apply(p("1"), "5000".parse().unwrap()).unwrap(),
            Price::TICK
        );
    }

    #[test]
    fn depth_walks_the_curve_and_replenishes() {
        // 1 % holds 100, 2 % holds 300 (notional).
        let mut d = Depth::new(vec![(0.01, 100.0), (0.02, 300.0)], 0.5);
        assert!((d.move_for(50.0) - 0.005).abs() < 1e-12);
        assert!((d.move_for(200.0) - 0.015).abs() < 1e-12);
        assert!(
            (d.move_for(500.0) - 0.03).abs() < 1e-12,
            "extrapolated with the last slope"
        );
        let after = d.apply(p("100"), "1".parse().unwrap()).unwrap(); // 100 notional → −1 %
        assert_eq!(after, p("99"));
        d.begin_step(after, after).unwrap(); // half replenished: 50 consumed
        let next = d.apply(p("100"), "0.5".parse().unwrap()).unwrap(); // 50 more: 0.5 % → 1 %
        assert_eq!(next, p("99.5"));
    }

    #[test]
    fn depth_thins_after_a_large_move() {
        let mut d = Depth::new(vec![(0.01, 100.0), (0.02, 300.0)], 1.0).with_thinning(1.0);
        d.begin_step(p("100"), p("100")).unwrap();
        assert_eq!(
            d.apply(p("100"), "0.5".parse().unwrap()).unwrap(),
            p("99.5"),
            "calm: 50 notional → −0.5 %"
        );
        d.begin_step(p("100"), p("99")).unwrap(); // a 1 % outside move halves the book
        assert_eq!(
            d.apply(p("100"), "0.5".parse().unwrap()).unwrap(),
            p("99"),
            "thinned: the same 50 → −1 %"
        );
    }

    #[test]
    fn amm_constant_product_and_arbitrage() {
        let mut a = Amm::new(1000.0, 100.0, true);
        let after = a.apply(p("100"), "10".parse().unwrap()).unwrap();
        // x = 1010, y = 100000/1010·1000 ⇒ price = y/x = 100·(1000/1010)² = 98.0296...
        assert!((after.to_f64_lossy() - 100.0 * (1000.0f64 / 1010.0).powi(2)).abs() < 1e-9);
        assert_eq!(a.begin_step(after, p("100")), Ok(p("100")));
    }
}
