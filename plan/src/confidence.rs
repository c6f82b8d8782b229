//! "Met with 95 % confidence", in numbers: one-sided Student-t bounds on
//! the mean of a figure across replications.
//!
//! ```text
//!  x1..xn ──► x̄, s ──► upper = x̄ + t(q, n−1) · s/√n,  lower = x̄ − t(q, n−1) · s/√n
//! ```
//!
//! A candidate with K objectives is *feasible* when every objective's upper
//! bound is within its target, and *infeasible* when one's lower bound is
//! beyond it, each bound at `q = 1 − (1 − confidence)/K` (Bonferroni), so
//! that all K statements hold together with probability ≥ `confidence`.
//! Between the two it is undecided: more replications narrow the bounds.
//! The replications are independent (one seed each), so the bounds are
//! those of independent draws; with one replication there is no spread to
//! measure and nothing is decided.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// The one-sided `q` quantile of Student's t with `n − 1` degrees of
/// freedom; infinite for n < 2.
pub fn t_quantile(q: f64, n: usize) -> f64 {
    if n < 2 {
        return f64::INFINITY;
    }
    StudentsT::new(0.0, 1.0, (n - 1) as f64)
        .expect("dof ≥ 1 and unit scale are valid")
        .inverse_cdf(q)
}

/// Mean and the half-width of its one-sided `q` bound.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bound {
    pub mean: f64,
    /// `t(q, n−1) · s/√n`; 0 when every replication agrees, infinite with
    /// fewer than two.
    pub half: f64,
}

impl Bound {
    pub fn of(xs: &[f64], q: f64) -> Bound {
        let n = xs.len();
        let mean = xs.iter().sum::<f64>() / n.max(1) as f64;
        if n < 2 {
            return Bound {
                mean,
                half: f64::INFINITY,
            };
        }
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let se = (var / n as f64).sqrt();
        Bound {
            mean,
            // 0 × ∞ cannot arise: t is finite for n ≥ 2.
            half: if se == 0.0 {
                0.0
            } else {
                t_quantile(q, n) * se
            },
        }
    }

    pub fn upper(&self) -> f64 {
        self.mean + self.half
    }

    pub fn lower(&self) -> f64 {
        self.mean - self.half
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against the printed table every statistics text has (and that
    /// `reports::stats` carries for its 95 % intervals): t(0.975, dof).
    #[test]
    fn quantiles_match_the_table() {
        for dof in 1..=40u32 {
            let t = t_quantile(0.975, dof as usize + 1);
            let want = dockmaster_reports::stats::t_975(dof);
            assert!((t - want).abs() < 1e-6, "dof {dof}: {t} vs {want}");
        }
        // One-sided 95 % with 9 dof: 1.833113 (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2).
        assert!((t_quantile(0.95, 10) - 1.833_113).abs() < 1e-5);
    }

    #[test]
    fn bounds_narrow_with_replications_and_vanish_without_spread() {
        let b = Bound::of(&[10.0, 12.0], 0.95);
        assert_eq!(b.mean, 11.0);
        // s = √2, se = 1, t(0.95, 1) = 6.3138.
        assert!((b.half - 6.313_752).abs() < 1e-5, "{b:?}");
        let same = Bound::of(&[5.0; 4], 0.99);
        assert_eq!((same.lower(), same.upper()), (5.0, 5.0));
        assert!(Bound::of(&[3.0], 0.95).half.is_infinite());
    }
}
