//! Counting hosts in host-id order: Fenwick (binary indexed) trees.
//!
//! One tree per (cell, feasibility class) answers "how many hosts of this
//! cell satisfy the class" in O(1) and "which is the k-th of them in
//! increasing host id" in O(log hosts). Several trees over the same id space
//! are searched together, which gives the k-th host of a *union* of cells in
//! id order: exactly the draw of the `random` strategy.

/// A Fenwick tree over host ids `0..capacity` holding 0/1 per host.
#[derive(Clone, Debug)]
pub(super) struct Fenwick {
    /// 1-based; `tree[i]` sums ids `i - lowbit(i) .. i` (0-based, exclusive).
    tree: Vec<u32>,
    total: u32,
}

impl Fenwick {
    /// An empty tree; `capacity` must be a power of two.
    pub(super) fn new(capacity: usize) -> Fenwick {
        debug_assert!(capacity.is_power_of_two());
        Fenwick {
            tree: vec![0; capacity + 1],
            total: 0,
        }
    }

    pub(super) fn capacity(&self) -> usize {
        self.tree.len() - 1
    }

    pub(super) fn total(&self) -> u32 {
        self.total
    }

    /// Adds one (`up`) or takes one away at host `id`.
    pub(super) fn set(&mut self, id: u32, up: bool) {
        let mut i = id as usize + 1;
        debug_assert!(i < self.tree.len(), "host {id} beyond capacity");
        while i < self.tree.len() {
            if up {
                self.tree[i] += 1;
            } else {
                self.tree[i] -= 1;
            }
            i += i & i.wrapping_neg();
        }
        if up {
            self.total += 1;
        } else {
            self.total -= 1;
        }
    }
}

/// The `k`-th (0-based) host id, in increasing order, of the union of the
/// hosts counted by `trees` (same capacity, disjoint sets).
pub(super) fn kth(trees: &[&Fenwick], k: u32) -> u32 {
    let capacity = trees[0].capacity();
    debug_assert!(k < trees.iter().map(|t| t.total).sum::<u32>());
    let mut pos = 0usize;
    let mut rest = k;
    let mut step = capacity;
    while step > 0 {
        let next = pos + step;
        if next <= capacity {
            let s: u32 = trees.iter().map(|t| t.tree[next]).sum();
            if s <= rest {
                pos = next;
                rest -= s;
            }
        }
        step >>= 1;
    }
    // The prefix up to `pos` (1-based) holds ≤ k hosts, up to `pos + 1`
    // more: host `pos` (0-based) is the k-th.
    pos as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kth_over_a_union_in_id_order() {
        let mut a = Fenwick::new(16);
        let mut b = Fenwick::new(16);
        for id in [1, 4, 9, 15] {
            a.set(id, true);
        }
        for id in [0, 5, 6] {
            b.set(id, true);
        }
        let union = [0, 1, 4, 5, 6, 9, 15];
        for (k, &id) in union.iter().enumerate() {
            assert_eq!(kth(&[&a, &b], k as u32), id);
        }
        assert_eq!(kth(&[&a], 3), 15);
        a.set(4, false);
        assert_eq!(a.total(), 3);
        assert_eq!(kth(&[&a], 1), 9);
    }
}
