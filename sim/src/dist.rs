//! Samplers for the duration distributions of a scenario (service times,
//! launch times). Parameters are given as mean and coefficient of variation,
//! the way people describe latency; each sampler converts once to the
//! distribution's native parameters.

use crate::rng::Rng;
use crate::scenario::Dist;
use crate::time::{Nanos, NANOS_PER_SEC};
use rand::Rng as _;
use rand_distr::{Distribution, Gamma, StandardNormal};
use std::sync::Arc;

/// A ready-to-draw distribution of durations.
#[derive(Clone, Debug)]
pub enum Sampler {
    Constant(Nanos),
    /// Mean in seconds.
    Exponential(f64),
    /// Parameters of the underlying normal (log-seconds).
    LogNormal {
        mu: f64,
        sigma: f64,
    },
    /// Shape/scale in seconds, and the mean (seconds).
    Gamma(Gamma<f64>, f64),
    Empirical(Arc<[Nanos]>),
}

impl Sampler {
    pub fn new(d: &Dist) -> Sampler {
        let secs = |ns: Nanos| ns as f64 / NANOS_PER_SEC as f64;
        match d {
            Dist::Constant(v) => Sampler::Constant(*v),
            Dist::Exponential { mean } => Sampler::Exponential(secs(*mean)),
            // mean = exp(mu + sigma²/2), cv² = exp(sigma²) − 1
            Dist::LogNormal { mean, cv } => {
                let s2 = (1.0f64 + cv * cv).ln();
                Sampler::LogNormal {
                    mu: secs(*mean).ln() - s2 / 2.0,
                    sigma: s2.sqrt(),
                }
            }
            // shape k = 1/cv², scale θ = mean·cv² (mean = kθ, cv = 1/√k)
            Dist::Gamma { mean, cv } => {
                let k = 1.0 / (cv * cv);
                Sampler::Gamma(
                    Gamma::new(k, secs(*mean) / k).expect("validated: mean > 0, cv > 0"),
                    secs(*mean),
                )
            }
            Dist::Empirical { samples, .. } => Sampler::Empirical(samples.clone()),
        }
    }

    /// The distribution's mean, in nanoseconds.
    pub fn mean(&self) -> f64 {
        match self {
            Sampler::Constant(v) => *v as f64,
            Sampler::Exponential(m) => m * 1e9,
            Sampler::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp() * 1e9,
            Sampler::Gamma(_, m) => m * 1e9,
            Sampler::Empirical(s) => s.iter().map(|&x| x as f64).sum::<f64>() / s.len() as f64,
        }
    }

    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> Nanos {
        let s = match self {
            Sampler::Constant(v) => return *v,
            Sampler::Exponential(mean) => crate::rng::exp_secs(rng, 1.0) * mean,
            Sampler::LogNormal { mu, sigma } => {
                let z: f64 = StandardNormal.sample(rng);
                (mu + sigma * z).exp()
            }
            Sampler::Gamma(g, _) => g.sample(rng),
            Sampler::Empirical(s) => return s[rng.random_range(0..s.len())],
        };
        // Round to the nanosecond; at least 1 ns so every service takes time.
        ((s * NANOS_PER_SEC as f64 + 0.5) as Nanos).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;

    fn moments(d: Dist) -> (f64, f64) {
        let s = Sampler::new(&d);
        let mut r = stream(3, "dist");
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| s.sample(&mut r) as f64).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1) as f64;
        (m, v.sqrt() / m)
    }

    #[test]
    fn mean_and_cv_match_parameters() {
        let ms = 1_000_000;
        for (d, cv) in [
            (Dist::Exponential { mean: 10 * ms }, 1.0),
            (
                Dist::LogNormal {
                    mean: 40 * ms,
                    cv: 1.2,
                },
                1.2,
            ),
            (
                Dist::Gamma {
                    mean: 45 * ms,
                    cv: 0.8,
                },
                0.8,
            ),
        ] {
            let want = Sampler::new(&d).mean();
            let (m, c) = moments(d.clone());
            assert!((m / want - 1.0).abs() < 0.02, "{d:?}: mean {m} vs {want}");
            assert!((c / cv - 1.0).abs() < 0.06, "{d:?}: cv {c} vs {cv}");
        }
    }
}
