//! Random streams. One seed drives a run; every component draws from its own
//! stream, derived from (seed, component name), so that adding a service or
//! a fault does not perturb the draws of anything else, and so that draws do
//! not depend on thread count or iteration order.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

pub type Rng = Xoshiro256PlusPlus;

/// SplitMix64 finaliser: a bijective mixer with good avalanche.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a over the bytes of a stream name: stable across platforms and
/// releases (unlike `std`'s hasher).
fn name_hash(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.as_bytes() {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The stream of component `name` under `seed`.
pub fn stream(seed: u64, name: &str) -> Rng {
    Rng::seed_from_u64(mix(seed ^ mix(name_hash(name))))
}

/// The seed of replication `i` of a run seeded `seed`. Replication 0 is the
/// run itself, so `--replications 1` equals a plain run.
pub fn replication_seed(seed: u64, i: u32) -> u64 {
    if i == 0 {
        seed
    } else {
        mix(seed ^ mix(0xD0C4_0000_0000_0000 | i as u64))
    }
}

/// A uniform draw in (0, 1]: never 0, so `-ln(u)` is finite.
#[inline]
pub fn open01(rng: &mut Rng) -> f64 {
    use rand::RngCore;
    ((rng.next_u64() >> 11) as f64 + 1.0) * (1.0 / (1u64 << 53) as f64)
}

/// An exponential draw with the given rate (per second), in seconds.
/// Ziggurat sampling (`Exp1`): no logarithm on the common path, and this is
/// drawn once or twice per simulated request.
#[inline]
pub fn exp_secs(rng: &mut Rng, rate: f64) -> f64 {
    use rand_distr::{Distribution, Exp1};
    let e: f64 = Exp1.sample(rng);
    e / rate
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngCore;

    #[test]
    fn streams_differ_by_name_and_seed_and_repeat() {
        let a = stream(7, "arrivals/web").next_u64();
        assert_eq!(a, stream(7, "arrivals/web").next_u64());
        assert_ne!(a, stream(7, "arrivals/api").next_u64());
        assert_ne!(a, stream(8, "arrivals/web").next_u64());
    }

    #[test]
    fn open01_is_in_range() {
        let mut r = stream(1, "t");
        for _ in 0..10_000 {
            let u = open01(&mut r);
            assert!(u > 0.0 && u <= 1.0);
        }
    }
}
