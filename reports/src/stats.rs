//! Small statistics for replications: the mean of a few numbers and its 95%
//! confidence interval from Student's t distribution.
//!
//! ```text
//!  replications x1..xn ──► mean x̄, sample sd s ──► x̄ ± t(0.975, n−1) · s / √n
//! ```
//!
//! With n = 1 there is no spread to estimate, so the interval is `[x, x]`;
//! with n = 0 everything is NaN.

/// Two-sided 95% quantiles of Student's t, `t(0.975, dof)`, for dof = 1..=30.
const T_975: [f64; 30] = [
    12.706_204_736, // 1
    4.302_652_730,  // 2
    3.182_446_305,  // 3
    2.776_445_105,  // 4
    2.570_581_836,  // 5
    2.446_911_851,  // 6
    2.364_624_252,  // 7
    2.306_004_135,  // 8
    2.262_157_163,  // 9
    2.228_138_852,  // 10
    2.200_985_160,  // 11
    2.178_812_830,  // 12
    2.160_368_656,  // 13
    2.144_786_688,  // 14
    2.131_449_546,  // 15
    2.119_905_299,  // 16
    2.109_815_578,  // 17
    2.100_922_040,  // 18
    2.093_024_054,  // 19
    2.085_963_447,  // 20
    2.079_613_845,  // 21
    2.073_873_068,  // 22
    2.068_657_610,  // 23
    2.063_898_562,  // 24
    2.059_538_553,  // 25
    2.055_529_439,  // 26
    2.051_830_516,  // 27
    2.048_407_142,  // 28
    2.045_229_642,  // 29
    2.042_272_456,  // 30
];

/// The standard normal 97.5% quantile.
const Z_975: f64 = 1.959_963_984_540_054;

/// `t(0.975, dof)`: the multiplier of the standard error for a two-sided 95%
/// interval. Exact table for dof 1..=30; above that the Cornish–Fisher
/// expansion of t around the normal quantile (error < 1e-6 for dof > 30).
/// `dof = 0` has no finite quantile and gives infinity.
pub fn t_975(dof: u32) -> f64 {
    match dof {
        0 => f64::INFINITY,
        1..=30 => T_975[dof as usize - 1],
        _ => {
            // Abramowitz & Stegun 26.7.5.
            let v = f64::from(dof);
            let z = Z_975;
            let z3 = z * z * z;
            let z5 = z3 * z * z;
            let z7 = z5 * z * z;
            let z9 = z7 * z * z;
            z + (z3 + z) / (4.0 * v)
                + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * v * v)
                + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * v * v * v)
                + (79.0 * z9 + 776.0 * z7 + 1482.0 * z5 - 1920.0 * z3 - 945.0 * z)
                    / (92_160.0 * v * v * v * v)
        }
    }
}

/// Arithmetic mean; NaN for an empty slice.
pub fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Sample standard deviation (n − 1 in the denominator); NaN below two values.
pub fn sample_sd(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return f64::NAN;
    }
    let m = mean(xs);
    let ss: f64 = xs.iter().map(|x| (x - m) * (x - m)).sum();
    (ss / (xs.len() - 1) as f64).sqrt()
}

/// A mean with its 95% confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeanCi {
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
    /// How many values it was computed from.
    pub n: usize,
}

impl MeanCi {
    /// Does the interval contain `x` (inclusive)?
    pub fn contains(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }
}

/// Mean of `xs` and its 95% Student-t interval, `x̄ ± t(0.975, n−1)·s/√n`.
/// n = 1 gives `[x, x]`; n = 0 gives NaNs.
pub fn mean_ci95(xs: &[f64]) -> MeanCi {
    let n = xs.len();
    let m = mean(xs);
    if n < 2 {
        return MeanCi {
            mean: m,
            lo: m,
            hi: m,
            n,
        };
    }
    let half = t_975((n - 1) as u32) * sample_sd(xs) / (n as f64).sqrt();
    MeanCi {
        mean: m,
        lo: m - half,
        hi: m + half,
        n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_table_known_values() {
        assert!((t_975(1) - 12.7062).abs() < 1e-4);
        assert!((t_975(7) - 2.3646).abs() < 1e-4);
        assert!((t_975(30) - 2.0423).abs() < 1e-4);
        assert_eq!(t_975(0), f64::INFINITY);
    }

    #[test]
    fn t_expansion_matches_published_quantiles() {
        // Published t(0.975) values (e.g. NIST/SEMATECH e-Handbook table).
        for (dof, t) in [
            (31, 2.039_513_446),
            (40, 2.021_075_390),
            (60, 2.000_297_822),
            (120, 1.979_930_405),
            (1000, 1.962_339_081),
        ] {
            assert!(
                (t_975(dof) - t).abs() < 2e-6,
                "dof {dof}: {} vs {t}",
                t_975(dof)
            );
        }
        // Continuity at the table edge and monotone decrease towards z.
        assert!(t_975(31) < t_975(30));
        assert!(t_975(1_000_000) > Z_975 && t_975(1_000_000) - Z_975 < 1e-5);
    }

    #[test]
    fn mean_and_sd() {
        let xs = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        assert_eq!(mean(&xs), 5.0);
        // Sum of squares 32, n − 1 = 7.
        assert!((sample_sd(&xs) - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
        assert!(mean(&[]).is_nan());
        assert!(sample_sd(&[1.0]).is_nan());
    }

    #[test]
    fn ci_of_known_sample() {
        // x̄ = 5, s = √(32/7) ≈ 2.13809, t(0.975, 7) = 2.364624, half width
        // = 2.364624 · 2.13809 / √8 ≈ 1.78750.
        let ci = mean_ci95(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert_eq!(ci.n, 8);
        assert_eq!(ci.mean, 5.0);
        assert!((ci.hi - 5.0 - 1.787_50).abs() < 1e-4, "{ci:?}");
        assert!((5.0 - ci.lo - 1.787_50).abs() < 1e-4, "{ci:?}");
        assert!(ci.contains(5.0));
    }

    #[test]
    fn ci_degenerate_cases() {
        let one = mean_ci95(&[3.5]);
        assert_eq!((one.mean, one.lo, one.hi, one.n), (3.5, 3.5, 3.5, 1));
        let none = mean_ci95(&[]);
        assert!(none.mean.is_nan() && none.lo.is_nan() && none.hi.is_nan());
        let same = mean_ci95(&[2.0, 2.0, 2.0]);
        assert_eq!((same.lo, same.hi), (2.0, 2.0));
    }
}
