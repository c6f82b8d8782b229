//! `[traffic]`: the arrival process, the rate profile and the mix.

use super::*;

impl Checker<'_> {
    pub(super) fn traffic(
        &mut self,
        t: &raw::RawTraffic,
        services: &[Service],
        span: Span,
    ) -> Option<Traffic> {
        let arrivals = self
            .field(
                "traffic.arrivals",
                &t.arrivals,
                OneOf(&[
                    ("poisson", ArrivalProcess::Poisson),
                    ("uniform", ArrivalProcess::Uniform),
                ]),
            )
            .or(ArrivalProcess::Poisson);
        let profile_words = "at least one point, e.g. [ { at = \"0s\", rps = 100 } ]";
        let mut profile = Vec::new();
        let mut ok = true;
        match &t.profile {
            None => {
                self.missing("traffic.profile", profile_words);
                ok = false;
            }
            Some(points) if points.is_empty() => {
                self.bad("traffic.profile", "[]", profile_words);
                ok = false;
            }
            Some(points) => {
                let mut prev: Option<(usize, Nanos)> = None;
                for (i, pt) in points.iter().enumerate() {
                    let p = format!("traffic.profile[{i}]");
                    let at = self.time_within(&format!("{p}.at"), &pt.at, span, true);
                    let rps = self
                        .field(
                            &format!("{p}.rps"),
                            &pt.rps,
                            Number(
                                |r| (0.0..=MAX_RPS).contains(&r),
                                &format!("a request rate from 0 to {MAX_RPS} requests per second"),
                            ),
                        )
                        .required();
                    if let (Some(at), Some((j, before))) = (at, prev) {
                        if at <= before {
                            self.bad(
                                &format!("{p}.at"),
                                pt.at.as_ref().map_or_else(String::new, render),
                                format!(
                                    "a time after traffic.profile[{j}].at ({}): profile times strictly increase",
                                    format_duration(before)
                                ),
                            );
                        }
                    }
                    if let Some(at) = at {
                        prev = Some((i, at));
                    }
                    match (at, rps) {
                        (Some(at), Some(rps)) => profile.push(ProfilePoint { at, rps }),
                        _ => ok = false,
                    }
                }
            }
        }

        // The requests of the run, while the profile is at hand: each rate
        // is bounded, and so is their integral over the duration.
        if let (true, Some(d)) = (ok, span.0) {
            let requests = crate::traffic::Profile::new(&profile, 1.0)
                .integral(0.0, d as f64 / NANOS_PER_SEC as f64);
            if requests > MAX_REQUESTS {
                self.bad(
                    "traffic.profile",
                    format!(
                        "(about {requests:.1e} requests over {})",
                        format_duration(d)
                    ),
                    format!(
                        "at most {MAX_REQUESTS} expected requests per run (the profile's rate \
                         integrated over the duration): a lower rate or a shorter run"
                    ),
                );
                ok = false;
            }
        }

        let names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
        let mix = match &t.mix {
            None => {
                let n = services.len().max(1) as f64;
                (0..services.len())
                    .map(|service| MixEntry {
                        service,
                        weight: 1.0 / n,
                    })
                    .collect()
            }
            Some(entries) if entries.is_empty() => {
                self.bad(
                    "traffic.mix",
                    "[]",
                    "at least one entry, e.g. [ { service = \"web\", weight = 1 } ] (or no mix at all)",
                );
                ok = false;
                Vec::new()
            }
            Some(entries) => {
                let mut mix: Vec<MixEntry> = Vec::new();
                for (i, m) in entries.iter().enumerate() {
                    let p = format!("traffic.mix[{i}]");
                    let service = self
                        .field(&format!("{p}.service"), &m.service, ServiceName(&names))
                        .required();
                    let weight_words = format!(
                        "a weight > 0 and at most {MAX_WEIGHT} (weights are relative shares, e.g. 0.7 and 0.3)"
                    );
                    let weight = self
                        .field(
                            &format!("{p}.weight"),
                            &m.weight,
                            Number(|w| w > 0.0 && w <= MAX_WEIGHT, &weight_words),
                        )
                        .required();
                    if let Some(s) = service {
                        if mix.iter().any(|e| e.service == s) {
                            self.bad(
                                &format!("{p}.service"),
                                quote(names[s]),
                                "a service not already in the mix",
                            );
                            ok = false;
                        }
                    }
                    match (service, weight) {
                        (Some(service), Some(weight)) => mix.push(MixEntry { service, weight }),
                        _ => ok = false,
                    }
                }
                let total: f64 = mix.iter().map(|m| m.weight).sum();
                for m in &mut mix {
                    m.weight /= total;
                }
                mix
            }
        };
        ok.then_some(Traffic {
            arrivals: arrivals?,
            profile,
            mix,
        })
    }
}
