//! Inline SVG charts: a [`Scale`] per axis (round ticks with units, whole
//! numbers for counts, UTC clock for time, log10 where the tail matters)
//! and a [`Plot`] that draws lines, bands, bars and markers on two scales.

use super::axis::{integer_ticks, nice_ticks, tick_label, time_ticks, utc_clock, utc_date};
use super::esc;
use std::fmt::Write;

pub const W: f64 = 760.0;
pub const H: f64 = 300.0;
const PAD_L: f64 = 70.0;
const PAD_R: f64 = 20.0;
const PAD_T: f64 = 54.0;
const PAD_B: f64 = 38.0;

/// One axis: its range, its ticks with labels, its title.
#[derive(Clone, Debug)]
pub struct Scale {
    pub lo: f64,
    pub hi: f64,
    pub ticks: Vec<(f64, String)>,
    pub label: String,
    /// Values are placed by log10 (all > 0).
    pub log: bool,
}

impl Scale {
    /// A range fitted to `lo ..= hi` with 5 % padding (not forced to zero),
    /// round ticks inside it; whole-number ticks when `count`.
    pub fn fitted(lo: f64, hi: f64, label: &str, count: bool) -> Scale {
        let (lo, hi) = finite_range(lo, hi);
        let pad = (hi - lo) * 0.05;
        Scale::ticked(lo - pad, hi + pad, label, count)
    }

    /// A range from zero to `hi` (bars, counts, amounts that start at zero).
    pub fn from_zero(hi: f64, label: &str, count: bool) -> Scale {
        let hi = if hi.is_finite() && hi > 0.0 { hi } else { 1.0 };
        Scale::ticked(0.0, hi * 1.05, label, count)
    }

    /// Exactly `lo ..= hi`, round ticks inside.
    pub fn ticked(lo: f64, hi: f64, label: &str, count: bool) -> Scale {
        let ticks = if count {
            integer_ticks(lo, hi, 5)
        } else {
            nice_ticks(lo, hi, 5)
        };
        let step = match ticks.as_slice() {
            [a, b, ..] => b - a,
            _ => 1.0,
        };
        Scale {
            lo,
            hi,
            ticks: ticks
                .into_iter()
                .filter(|t| *t >= lo - 1e-9 * step && *t <= hi + 1e-9 * step)
                .map(|t| (t, tick_label(t, step)))
                .collect(),
            label: label.into(),
            log: false,
        }
    }

    /// A log10 range over `lo ..= hi` (both > 0), ticks at powers of ten.
    pub fn log(lo: f64, hi: f64, label: &str) -> Scale {
        let lo = lo.max(f64::MIN_POSITIVE);
        let (a, b) = (lo.log10().floor(), hi.max(lo * 10.0).log10().ceil());
        let ticks = (a as i32..=b as i32)
            .map(|e| {
                let v = 10f64.powi(e);
                (v, tick_label(v, v))
            })
            .collect();
        Scale {
            lo: 10f64.powf(a),
            hi: 10f64.powf(b),
            ticks,
            label: format!("{label} (log scale)"),
            log: true,
        }
    }

    /// A time axis over `0 ..= span_s` seconds from the start: UTC clock
    /// ticks when the start is known, else hours since the start.
    pub fn time(start: Option<i64>, span_s: f64) -> Scale {
        let span_s = span_s.max(1.0);
        match start {
            Some(t0) => Scale {
                lo: 0.0,
                hi: span_s,
                ticks: time_ticks(t0, t0 + span_s as i64, 9)
                    .into_iter()
                    .map(|t| ((t - t0) as f64, utc_clock(t)))
                    .collect(),
                label: format!("time (UTC, {})", utc_date(t0)),
                log: false,
            },
            None => {
                let mut s = Scale::ticked(0.0, span_s / 3600.0, "hours since the start", false);
                s.hi = span_s;
                for t in &mut s.ticks {
                    t.0 *= 3600.0;
                }
                s
            }
        }
    }

    /// Where `v` falls, 0 (lo) … 1 (hi).
    fn frac(&self, v: f64) -> f64 {
        if self.log {
            let v = v.max(self.lo);
            (v.log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }
}

/// `lo ..= hi` made finite and non-empty.
fn finite_range(lo: f64, hi: f64) -> (f64, f64) {
    match (lo.is_finite() && hi.is_finite(), hi > lo) {
        (false, _) => (0.0, 1.0),
        (true, true) => (lo, hi),
        (true, false) => {
            let pad = lo.abs().max(1.0) * 0.01;
            (lo - pad, hi + pad)
        }
    }
}

/// A chart being drawn.
pub struct Plot {
    pub x: Scale,
    pub y: Scale,
    out: String,
    legend_x: f64,
}

impl Plot {
    /// A chart titled `title` on scales `x` and `y`, axes and grid drawn.
    pub fn new(title: &str, x: Scale, y: Scale) -> Plot {
        let mut p = Plot {
            x,
            y,
            out: String::new(),
            legend_x: PAD_L + 10.0,
        };
        p.axes(title);
        p
    }

    /// The x pixel of `v`.
    pub fn px(&self, v: f64) -> f64 {
        PAD_L + self.x.frac(v) * (W - PAD_L - PAD_R)
    }

    /// The y pixel of `v`.
    pub fn py(&self, v: f64) -> f64 {
        H - PAD_B - self.y.frac(v) * (H - PAD_T - PAD_B)
    }

    fn axes(&mut self, title: &str) {
        let (bottom, right) = (H - PAD_B, W - PAD_R);
        let mut o = format!(
            r##"<text x="{PAD_L}" y="18" class="t">{}</text><line x1="{PAD_L}" y1="{bottom}" x2="{right}" y2="{bottom}" class="ax"/><line x1="{PAD_L}" y1="{PAD_T}" x2="{PAD_L}" y2="{bottom}" class="ax"/>"##,
            esc(title)
        );
        for (v, label) in &self.y.ticks {
            let y = self.py(*v);
            let _ = write!(
                o,
                r##"<line x1="{PAD_L}" y1="{y:.1}" x2="{right}" y2="{y:.1}" class="grid"/><text x="{}" y="{:.1}" class="l" text-anchor="end">{}</text>"##,
                PAD_L - 6.0,
                y + 4.0,
                esc(label)
            );
        }
        for (v, label) in &self.x.ticks {
            let x = self.px(*v);
            let _ = write!(
                o,
                r##"<line x1="{x:.1}" y1="{bottom}" x2="{x:.1}" y2="{}" class="ax"/><text x="{x:.1}" y="{}" class="l" text-anchor="middle">{}</text>"##,
                bottom + 4.0,
                bottom + 15.0,
                esc(label)
            );
        }
        let _ = write!(
            o,
            r##"<text x="{right}" y="{}" class="l" text-anchor="end">{}</text><text x="12" y="{:.1}" class="l" transform="rotate(-90 12 {:.1})" text-anchor="middle">{}</text>"##,
            H - 4.0,
            esc(&self.x.label),
            (PAD_T + bottom) / 2.0,
            (PAD_T + bottom) / 2.0,
            esc(&self.y.label)
        );
        self.out = o;
    }

    /// A line through `pts`.
    pub fn line(&mut self, pts: &[(f64, f64)], color: &str, width: f64, dash: bool) {
        if pts.is_empty() {
            return;
        }
        let mut d = String::new();
        for (i, (x, y)) in pts.iter().enumerate() {
            let _ = write!(
                d,
                "{}{:.1},{:.1}",
                if i == 0 { "M" } else { " L" },
                self.px(*x),
                self.py(*y)
            );
        }
        let dash = if dash {
            r##" stroke-dasharray="5,4""##
        } else {
            ""
        };
        let _ = write!(
            self.out,
            r##"<path d="{d}" fill="none" stroke="{color}" stroke-width="{width}"{dash}/>"##
        );
    }

    /// A filled band between `lo` and `hi` (same x values).
    pub fn band(&mut self, lo: &[(f64, f64)], hi: &[(f64, f64)], color: &str) {
        if lo.is_empty() {
            return;
        }
        let mut d = String::new();
        for (i, (x, y)) in hi.iter().enumerate() {
            let c = if i == 0 { "M" } else { " L" };
            let _ = write!(d, "{c}{:.1},{:.1}", self.px(*x), self.py(*y));
        }
        for (x, y) in lo.iter().rev() {
            let _ = write!(d, " L{:.1},{:.1}", self.px(*x), self.py(*y));
        }
        let _ = write!(
            self.out,
            r##"<path d="{d} Z" fill="{color}" stroke="none"/>"##
        );
    }

    /// A rectangle between data coordinates.
    pub fn rect(&mut self, x0: f64, x1: f64, y0: f64, y1: f64, fill: &str) {
        let (a, b) = (self.px(x0), self.px(x1));
        let (c, d) = (self.py(y0), self.py(y1));
        let _ = write!(
            self.out,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{fill}"/>"##,
            a.min(b),
            c.min(d),
            (a - b).abs().max(0.8),
            (c - d).abs().max(0.5)
        );
    }

    /// Vertical bars of width `width` from zero.
    pub fn bars(&mut self, bars: &[(f64, f64)], width: f64, fill: &str) {
        let base = self.y.lo.max(0.0);
        for (x, v) in bars {
            let (a, b) = (self.px(*x), self.px(x + width));
            let (y0, y1) = (self.py(base), self.py(*v));
            let _ = write!(
                self.out,
                r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{fill}"/>"##,
                a + 0.5,
                y1.min(y0),
                (b - a - 1.0).max(1.0),
                (y0 - y1).abs()
            );
        }
    }

    /// A circle of radius `r` pixels at a data point.
    pub fn circle(&mut self, x: f64, y: f64, r: f64) {
        let _ = write!(
            self.out,
            r##"<circle cx="{:.1}" cy="{:.1}" r="{r:.1}" class="liq"/>"##,
            self.px(x),
            self.py(y)
        );
    }

    /// A labelled horizontal rule at `y`.
    pub fn hrule(&mut self, y: f64, color: &str, label: &str) {
        let py = self.py(y);
        let _ = write!(
            self.out,
            r##"<line x1="{PAD_L}" y1="{py:.1}" x2="{}" y2="{py:.1}" stroke="{color}" stroke-dasharray="3,3"/><text x="{}" y="{:.1}" class="l" fill="{color}">{}</text>"##,
            W - PAD_R,
            PAD_L + 4.0,
            py - 3.0,
            esc(label)
        );
    }

    /// A legend entry (a line or, with `block`, a filled square).
    pub fn legend(&mut self, label: &str, color: &str, dash: bool, block: bool) {
        let (x, y) = (self.legend_x, PAD_T - 10.0);
        if block {
            let _ = write!(
                self.out,
                r##"<rect x="{x}" y="{}" width="12" height="9" fill="{color}"/>"##,
                y - 5.0
            );
        } else {
            let dash = if dash {
                r##" stroke-dasharray="4,3""##
            } else {
                ""
            };
            let _ = write!(
                self.out,
                r##"<line x1="{x}" y1="{y}" x2="{}" y2="{y}" stroke="{color}" stroke-width="2"{dash}/>"##,
                x + 18.0
            );
        }
        let _ = write!(
            self.out,
            r##"<text x="{}" y="{}" class="l">{}</text>"##,
            x + 22.0,
            y + 4.0,
            esc(label)
        );
        self.legend_x += 32.0 + 5.6 * label.chars().count() as f64;
    }

    /// A small label beside the data point (`x`, `y`).
    pub fn label(&mut self, x: f64, y: f64, text: &str) {
        let _ = write!(
            self.out,
            r##"<text x="{:.1}" y="{:.1}" class="l">{}</text>"##,
            self.px(x) + 6.0,
            self.py(y) - 4.0,
            esc(text)
        );
    }

    /// A note under the title.
    pub fn note(&mut self, text: &str) {
        let _ = write!(
            self.out,
            r##"<text x="{PAD_L}" y="32" class="n">{}</text>"##,
            esc(text)
        );
    }

    /// The finished `<svg>`.
    pub fn finish(self) -> String {
        format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img">{}</svg>"##,
            self.out
        )
    }
}

/// A histogram of `values` (only drawn for more than one path): 30 bins,
/// whole-number count ticks; log10 bins when `log` and the positive values
/// span more than two decades (zeros are counted in the title).
pub fn histogram(title: &str, label: &str, values: &[f64], color: &str, log: bool) -> String {
    let positive: Vec<f64> = values.iter().copied().filter(|v| *v > 0.0).collect();
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        });
    let plo = positive.iter().copied().fold(f64::INFINITY, f64::min);
    let use_log = log && !positive.is_empty() && hi / plo > 100.0;
    let n = 30usize;
    let (x, data, zeros): (Scale, Vec<f64>, usize) = if use_log {
        let x = Scale::log(plo, hi, label);
        let zeros = values.len() - positive.len();
        (x, positive.iter().map(|v| v.log10()).collect(), zeros)
    } else {
        let (lo, hi) = finite_range(lo, hi);
        (Scale::ticked(lo, hi, label, false), values.to_vec(), 0)
    };
    let (blo, bhi) = match x.log {
        true => (x.lo.log10(), x.hi.log10()),
        false => (x.lo, x.hi),
    };
    let width = (bhi - blo) / n as f64;
    let mut counts = vec![0usize; n];
    for v in &data {
        let i = (((v - blo) / width).max(0.0) as usize).min(n - 1);
        counts[i] += 1;
    }
    let max = counts.iter().copied().max().unwrap_or(1) as f64;
    let title = match zeros {
        0 => title.to_string(),
        z => format!("{title} ({z} paths at zero not shown)"),
    };
    let mut p = Plot::new(&title, x, Scale::from_zero(max, "paths", true));
    for (i, c) in counts.iter().enumerate().filter(|c| *c.1 > 0) {
        let (a, b) = (blo + i as f64 * width, blo + (i + 1) as f64 * width);
        let (a, b) = match p.x.log {
            true => (10f64.powf(a), 10f64.powf(b)),
            false => (a, b),
        };
        p.rect(a, b, 0.0, *c as f64, color);
    }
    p.finish()
}
