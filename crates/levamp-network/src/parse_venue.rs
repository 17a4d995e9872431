//! The venue-node keys of a `[[node]]`: `venue` (a levamp scenario file,
//! relative to the network file), `venue_follows` (the network asset whose
//! price the scenario's exogenous price follows) and `venue_scale`
//! (network units per unit of the scenario's quote). The scenario itself
//! is read by the caller that runs it (the CLI): this crate does not
//! depend on the simulator.

use crate::model::{Asset, Node, VenueLink};
use crate::parse::{join, line_of, Reader, Value};
use levamp_core::Ratio;
use levamp_io::json::{did_you_mean, quote};
use levamp_io::InputError;
use std::ops::Range;

/// A node's venue keys as written.
#[derive(Default)]
pub(crate) struct RawVenue {
    scenario: Option<(String, Range<usize>)>,
    follows: Option<(String, Range<usize>)>,
    scale: Option<(Ratio, Range<usize>)>,
}

impl Reader<'_> {
    /// Reads one of the keys `venue`, `venue_follows`, `venue_scale`.
    pub(crate) fn venue_key(
        &self,
        raw: &mut RawVenue,
        key: &str,
        v: &Value<'_>,
        at: &str,
    ) -> Result<(), InputError> {
        match key {
            "venue" => {
                let path = self.string(v, at)?;
                if path.trim().is_empty() {
                    return self.fail(v.span(), at, "must name a scenario file");
                }
                raw.scenario = Some((path.to_string(), v.span()));
            }
            "venue_follows" => raw.follows = Some((self.string(v, at)?.to_string(), v.span())),
            _ => {
                let scale = Ratio::from_raw(self.decimal(v, at)?);
                if !scale.is_positive() {
                    return self.fail(v.span(), at, format!("must be > 0, got {scale}"));
                }
                raw.scale = Some((scale, v.span()));
            }
        }
        Ok(())
    }

    /// Resolves every node's venue keys once the assets are known: `venue`
    /// needs `venue_follows` naming an asset, and the other two keys need
    /// `venue`.
    pub(crate) fn venues(
        &self,
        raw: Vec<RawVenue>,
        nodes: &mut [Node],
        assets: &[Asset],
    ) -> Result<(), InputError> {
        for (i, (r, node)) in raw.into_iter().zip(nodes.iter_mut()).enumerate() {
            let at = format!("node[{i}]");
            let Some((scenario, span)) = r.scenario else {
                if let Some((_, s)) = r.follows {
                    return self.fail(
                        s,
                        &join(&at, "venue_follows"),
                        "only a venue node (with `venue = \"SCENARIO.toml\"`) follows an asset",
                    );
                }
                if let Some((_, s)) = r.scale {
                    return self.fail(
                        s,
                        &join(&at, "venue_scale"),
                        "only a venue node (with `venue = \"SCENARIO.toml\"`) has a scale",
                    );
                }
                continue;
            };
            let Some((follows, follows_span)) = r.follows else {
                return self.fail(
                    span,
                    &join(&at, "venue_follows"),
                    "missing: a venue node names the [[asset]] whose price its scenario follows",
                );
            };
            let Some(a) = assets.iter().position(|a| a.id == follows) else {
                let hint = did_you_mean(&follows, assets.iter().map(|a| a.id.as_str()))
                    .map(|s| format!(" (did you mean {s:?}?)"))
                    .unwrap_or_default();
                return self.fail(
                    follows_span,
                    &join(&at, "venue_follows"),
                    format!("unknown asset id {}{hint}", quote(&follows)),
                );
            };
            node.venue = Some(VenueLink {
                scenario,
                follows: a,
                scale: r.scale.map_or(Ratio::ONE, |(s, _)| s),
                line: line_of(self.text, span.start),
            });
        }
        Ok(())
    }
}
