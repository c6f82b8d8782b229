//! Arrival times: the scenario's traffic, drawn once, the same way for the
//! simulator and the load generator.
//!
//! Each service of the `mix` has its own arrival stream with rate
//! `profile(t) × weight` and its own random stream (`arrivals/<service>`), so
//! adding a service leaves the others' arrivals untouched. The superposition
//! of the services' independent Poisson streams is the Poisson stream of the
//! whole profile, as the ALB sees it.
//!
//! Poisson arrivals are drawn by thinning (Lewis & Shedler): candidates at
//! the highest rate of the current profile segment, each kept with
//! probability rate(t) / highest. Uniform arrivals fall where the cumulative
//! rate Λ(t) crosses an integer, so time-varying rates space them evenly in
//! "expected requests".

use crate::rng::{exp_secs, open01, stream, Rng};
use crate::scenario::{ArrivalProcess, ProfilePoint, Scenario};
use crate::time::{Nanos, NANOS_PER_SEC};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The request rate over time, piecewise linear, flat before the first and
/// after the last point. Times in seconds.
#[derive(Clone, Debug)]
pub struct Profile {
    /// (t_s, rps), strictly increasing in t.
    points: Vec<(f64, f64)>,
}

impl Profile {
    pub fn new(points: &[ProfilePoint], scale: f64) -> Profile {
        assert!(!points.is_empty(), "validated: a profile has a point");
        Profile {
            points: points
                .iter()
                .map(|p| (p.at as f64 / NANOS_PER_SEC as f64, p.rps * scale))
                .collect(),
        }
    }

    /// Requests per second at `t` seconds.
    pub fn rate(&self, t: f64) -> f64 {
        let p = &self.points;
        let i = p.partition_point(|&(at, _)| at <= t);
        if i == 0 {
            return p[0].1;
        }
        if i == p.len() {
            return p[i - 1].1;
        }
        let (t0, r0) = p[i - 1];
        let (t1, r1) = p[i];
        r0 + (r1 - r0) * (t - t0) / (t1 - t0)
    }

    /// The end of the linear piece containing `t` (∞ after the last point).
    fn piece_end(&self, t: f64) -> f64 {
        let i = self.points.partition_point(|&(at, _)| at <= t);
        self.points.get(i).map_or(f64::INFINITY, |p| p.0)
    }

    /// Expected requests in [a, b].
    pub fn integral(&self, a: f64, b: f64) -> f64 {
        let mut t = a;
        let mut sum = 0.0;
        while t < b {
            let e = self.piece_end(t).min(b);
            sum += (self.rate(t) + self.rate(e)) / 2.0 * (e - t);
            t = e;
        }
        sum
    }
}

/// The arrival instants of one service, in nanoseconds, increasing, up to the
/// horizon.
#[derive(Clone, Debug)]
pub struct ArrivalStream {
    profile: Profile,
    process: ArrivalProcess,
    rng: Rng,
    /// Current time, seconds.
    t: f64,
    /// Uniform arrivals: expected requests still to pass before the next one.
    need: f64,
    horizon: f64,
    /// Poisson arrivals: the piece of the profile `t` is in, cached (a
    /// flat profile then costs one exponential draw per arrival).
    piece_end: f64,
    bound: f64,
    flat: bool,
}

impl ArrivalStream {
    /// Arrivals of service `service` (index into `scenario.services`) under
    /// `seed`, with the rate multiplied by `scale`. A service outside the mix
    /// gets no traffic.
    pub fn new(scenario: &Scenario, service: usize, seed: u64, scale: f64) -> ArrivalStream {
        let weight = scenario
            .traffic
            .mix
            .iter()
            .find(|m| m.service == service)
            .map_or(0.0, |m| m.weight);
        let name = &scenario.services[service].name;
        ArrivalStream {
            profile: Profile::new(&scenario.traffic.profile, scale * weight),
            process: scenario.traffic.arrivals,
            rng: stream(seed, &format!("arrivals/{name}")),
            t: 0.0,
            need: 1.0,
            horizon: scenario.duration as f64 / NANOS_PER_SEC as f64,
            piece_end: f64::NEG_INFINITY,
            bound: 0.0,
            flat: true,
        }
    }

    fn next_poisson(&mut self) -> Option<f64> {
        loop {
            if self.t >= self.horizon {
                return None;
            }
            if self.t >= self.piece_end {
                // A linear piece's highest rate is at one of its ends.
                self.piece_end = self.profile.piece_end(self.t);
                let r_now = self.profile.rate(self.t);
                let r_end = if self.piece_end.is_finite() {
                    self.profile.rate(self.piece_end)
                } else {
                    r_now
                };
                self.bound = r_now.max(r_end);
                self.flat = r_now == r_end;
            }
            if self.bound <= 0.0 {
                self.t = self.piece_end;
                continue;
            }
            let cand = self.t + exp_secs(&mut self.rng, self.bound);
            if cand >= self.piece_end {
                // Memoryless: restart from the end of the piece with its bound.
                self.t = self.piece_end;
                continue;
            }
            self.t = cand;
            if cand >= self.horizon {
                return None;
            }
            // A flat piece accepts every candidate; no draw needed.
            if self.flat || open01(&mut self.rng) * self.bound <= self.profile.rate(cand) {
                return Some(cand);
            }
        }
    }

    fn next_uniform(&mut self) -> Option<f64> {
        loop {
            if self.t >= self.horizon {
                return None;
            }
            let end = self.profile.piece_end(self.t).min(self.horizon);
            let a = self.profile.rate(self.t);
            let area = self.profile.integral(self.t, end);
            if area < self.need {
                self.need -= area;
                self.t = end;
                continue;
            }
            // Solve a·x + b·x²/2 = need for the linear piece r = a + b·x.
            let b = (self.profile.rate(end) - a) / (end - self.t);
            let disc = (a * a + 2.0 * b * self.need).max(0.0);
            let x = 2.0 * self.need / (a + disc.sqrt());
            self.t += x;
            self.need = 1.0;
            return (self.t < self.horizon).then_some(self.t);
        }
    }
}

impl Iterator for ArrivalStream {
    type Item = Nanos;

    fn next(&mut self) -> Option<Nanos> {
        let t = match self.process {
            ArrivalProcess::Poisson => self.next_poisson(),
            ArrivalProcess::Uniform => self.next_uniform(),
        }?;
        Some((t * NANOS_PER_SEC as f64) as Nanos)
    }
}

/// Every service's arrivals merged in time order: `(instant, service)`.
/// Ties go to the lower service index. This is the schedule the load
/// generator replays.
pub struct Arrivals {
    streams: Vec<ArrivalStream>,
    heads: BinaryHeap<Reverse<(Nanos, usize)>>,
}

impl Arrivals {
    pub fn new(scenario: &Scenario, seed: u64, scale: f64) -> Arrivals {
        let mut streams: Vec<ArrivalStream> = (0..scenario.services.len())
            .map(|s| ArrivalStream::new(scenario, s, seed, scale))
            .collect();
        let mut heads = BinaryHeap::new();
        for (i, s) in streams.iter_mut().enumerate() {
            if let Some(t) = s.next() {
                heads.push(Reverse((t, i)));
            }
        }
        Arrivals { streams, heads }
    }
}

impl Iterator for Arrivals {
    type Item = (Nanos, usize);

    fn next(&mut self) -> Option<(Nanos, usize)> {
        let Reverse((t, i)) = self.heads.pop()?;
        if let Some(n) = self.streams[i].next() {
            self.heads.push(Reverse((n, i)));
        }
        Some((t, i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(v: &[(f64, f64)]) -> Vec<ProfilePoint> {
        v.iter()
            .map(|&(t, r)| ProfilePoint {
                at: (t * 1e9) as u64,
                rps: r,
            })
            .collect()
    }

    #[test]
    fn profile_is_piecewise_linear_and_flat_outside() {
        let p = Profile::new(&pts(&[(10.0, 100.0), (20.0, 300.0)]), 1.0);
        assert_eq!(p.rate(0.0), 100.0);
        assert_eq!(p.rate(15.0), 200.0);
        assert_eq!(p.rate(25.0), 300.0);
        assert!((p.integral(0.0, 30.0) - (1000.0 + 2000.0 + 3000.0)).abs() < 1e-9);
    }
}
