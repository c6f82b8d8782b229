//! How CFS divides a host's vCPUs among cgroups that want more than it has.

/// Weighted max-min fair shares ("water-filling"): `want[i]` vCPUs asked,
/// `weight[i]`, `v` vCPUs to give. Each gets `min(want, λ·weight)` with λ
/// chosen so that the shares add up to `min(v, Σ want)`. This is the
/// steady state of CFS between cgroups whose threads each run on at most
/// one CPU. `order` is scratch space.
pub fn water_fill(v: f64, want: &[u32], weight: &[f64], share: &mut [f64], order: &mut Vec<usize>) {
    order.clear();
    order.extend((0..want.len()).filter(|&i| want[i] > 0));
    for s in share.iter_mut() {
        *s = 0.0;
    }
    // Whoever wants least per unit of weight is satisfied first.
    order.sort_by(|&a, &b| {
        (want[a] as f64 / weight[a])
            .total_cmp(&(want[b] as f64 / weight[b]))
            .then(a.cmp(&b))
    });
    let mut left = v;
    let mut w_left: f64 = order.iter().map(|&i| weight[i]).sum();
    for (k, &i) in order.iter().enumerate() {
        let fair = left * weight[i] / w_left;
        if (want[i] as f64) <= fair {
            share[i] = want[i] as f64;
            left -= share[i];
            w_left -= weight[i];
        } else {
            // Everyone from here on is capped by the water level.
            for &j in &order[k..] {
                share[j] = left * weight[j] / w_left;
            }
            return;
        }
    }
}
