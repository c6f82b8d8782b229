//! Unit tests of the CPU model's pieces: fair shares and the quota.

use super::*;

fn fill(v: f64, want: &[u32], weight: &[f64]) -> Vec<f64> {
    let mut share = vec![0.0; want.len()];
    water_fill(v, want, weight, &mut share, &mut Vec::new());
    share
}

#[test]
fn enough_for_everyone_gives_each_what_it_wants() {
    assert_eq!(fill(4.0, &[1, 2, 0], &[1.0, 1.0, 1.0]), vec![1.0, 2.0, 0.0]);
}

#[test]
fn contention_splits_by_weight_and_never_gives_more_than_wanted() {
    // 2 vCPU; A (weight 2) wants 4, B (weight 1) wants 4: 4/3 and 2/3.
    let s = fill(2.0, &[4, 4], &[2.0, 1.0]);
    assert!((s[0] - 4.0 / 3.0).abs() < 1e-12 && (s[1] - 2.0 / 3.0).abs() < 1e-12);
    // A small wanter is satisfied, the rest goes to the big one.
    let s = fill(4.0, &[1, 8], &[1.0, 1.0]);
    assert_eq!(s, vec![1.0, 3.0]);
    let total: f64 = fill(3.0, &[5, 1, 2, 7], &[1024.0, 512.0, 256.0, 2.0])
        .iter()
        .sum();
    assert!((total - 3.0).abs() < 1e-12);
}

#[test]
fn a_quota_is_spent_at_full_speed_then_refilled_next_period() {
    // 0.5 vCPU per 100 ms; two requests on a 2-vCPU host spend the 50 ms
    // in 25 ms (the kernel's burst), then wait for the period's end.
    let p = 100_000_000;
    let mut q = Quota::new(50_000_000.0, p);
    q.start(0);
    assert_eq!(q.next_change(0, 2.0), Some(25_000_000));
    q.advance(25_000_000, 2.0);
    assert!(q.spent());
    q.throttled = true;
    assert_eq!(q.next_change(25_000_000, 0.0), Some(p));
    // Within its quota's rate a task is never throttled.
    let mut q = Quota::new(50_000_000.0, p);
    q.start(0);
    assert_eq!(q.next_change(0, 0.5), None);
    // Above it after an idle half period: spent early in the next one.
    q.advance(50_000_000, 0.0);
    assert_eq!(q.next_change(50_000_000, 0.6), Some(p + 83_333_334));
}
