//! Ordered host sets: one treap per cell, nodes in an arena indexed by host id.
//!
//! ```text
//!            (key, mask, agg = mask | agg(left) | agg(right))
//!                 /                      \
//!     smaller keys                        larger keys
//! ```
//!
//! A [`Forest`] holds every registered host exactly once, in the tree of the
//! host's cell. A node's key is a `u128` built by the owning family (the
//! strategy values in precedence order, then the host id in the low 32 bits,
//! so keys are unique), its `mask` says which feasibility classes the host
//! satisfies, and `agg` is the OR of the masks below it. "The first host in
//! key order that satisfies class `j`" is then one walk from the root that
//! never enters a subtree whose `agg` lacks bit `j`: O(depth).
//!
//! Priorities are a fixed hash of the host id (no random stream), so the
//! shape of every tree is a function of the calls alone; expected depth is
//! O(log hosts).

use super::Mask;

/// No node.
pub(super) const NIL: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct Node {
    key: u128,
    mask: Mask,
    agg: Mask,
    left: u32,
    right: u32,
    prio: u32,
    linked: bool,
}

const UNLINKED: Node = Node {
    key: 0,
    mask: 0,
    agg: 0,
    left: NIL,
    right: NIL,
    prio: 0,
    linked: false,
};

/// SplitMix-style mixer: the treap priority of a host id.
fn priority(id: u32) -> u32 {
    let mut z = u64::from(id).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as u32
}

/// One treap per cell over a shared node arena (see the module docs).
#[derive(Clone, Debug, Default)]
pub(super) struct Forest {
    nodes: Vec<Node>,
    roots: Vec<u32>,
}

impl Forest {
    pub(super) fn add_cell(&mut self) {
        self.roots.push(NIL);
    }

    pub(super) fn cells(&self) -> usize {
        self.roots.len()
    }

    /// The key a linked host was inserted with.
    pub(super) fn key(&self, id: u32) -> u128 {
        self.nodes[id as usize].key
    }

    fn agg(&self, t: u32) -> Mask {
        if t == NIL {
            0
        } else {
            self.nodes[t as usize].agg
        }
    }

    /// Recomputes `agg` of `t` from its children; reports a change.
    fn pull(&mut self, t: u32) -> bool {
        let n = self.nodes[t as usize];
        let agg = n.mask | self.agg(n.left) | self.agg(n.right);
        let changed = agg != n.agg;
        self.nodes[t as usize].agg = agg;
        changed
    }

    /// Links host `id` into the tree of `cell`.
    pub(super) fn insert(&mut self, cell: u32, id: u32, key: u128, mask: Mask) {
        let i = id as usize;
        if self.nodes.len() <= i {
            self.nodes.resize(i + 1, UNLINKED);
        }
        debug_assert!(!self.nodes[i].linked, "host {id} linked twice");
        self.nodes[i] = Node {
            key,
            mask,
            agg: mask,
            left: NIL,
            right: NIL,
            prio: priority(id),
            linked: true,
        };
        let root = self.roots[cell as usize];
        self.roots[cell as usize] = self.insert_at(root, id);
    }

    fn insert_at(&mut self, t: u32, x: u32) -> u32 {
        if t == NIL {
            return x;
        }
        let (xk, xp) = (self.nodes[x as usize].key, self.nodes[x as usize].prio);
        let n = self.nodes[t as usize];
        if xp > n.prio {
            let (l, r) = self.split(t, xk);
            let xn = &mut self.nodes[x as usize];
            xn.left = l;
            xn.right = r;
            self.pull(x);
            return x;
        }
        if xk < n.key {
            let l = self.insert_at(n.left, x);
            self.nodes[t as usize].left = l;
        } else {
            let r = self.insert_at(n.right, x);
            self.nodes[t as usize].right = r;
        }
        self.nodes[t as usize].agg |= self.nodes[x as usize].mask;
        t
    }

    /// Splits `t` into keys `< key` and keys `>= key`.
    fn split(&mut self, t: u32, key: u128) -> (u32, u32) {
        if t == NIL {
            return (NIL, NIL);
        }
        let n = self.nodes[t as usize];
        if n.key < key {
            let (l, r) = self.split(n.right, key);
            self.nodes[t as usize].right = l;
            self.pull(t);
            (t, r)
        } else {
            let (l, r) = self.split(n.left, key);
            self.nodes[t as usize].left = r;
            self.pull(t);
            (l, t)
        }
    }

    /// Joins two trees, every key of `a` below every key of `b`.
    fn merge(&mut self, a: u32, b: u32) -> u32 {
        if a == NIL {
            return b;
        }
        if b == NIL {
            return a;
        }
        if self.nodes[a as usize].prio > self.nodes[b as usize].prio {
            let r = self.merge(self.nodes[a as usize].right, b);
            self.nodes[a as usize].right = r;
            self.pull(a);
            a
        } else {
            let l = self.merge(a, self.nodes[b as usize].left);
            self.nodes[b as usize].left = l;
            self.pull(b);
            b
        }
    }

    /// Unlinks host `id` from the tree of `cell`.
    pub(super) fn remove(&mut self, cell: u32, id: u32) {
        let i = id as usize;
        if i >= self.nodes.len() || !self.nodes[i].linked {
            return;
        }
        let key = self.nodes[i].key;
        let root = self.roots[cell as usize];
        self.roots[cell as usize] = self.remove_at(root, key);
        self.nodes[i] = UNLINKED;
    }

    fn remove_at(&mut self, t: u32, key: u128) -> u32 {
        debug_assert!(t != NIL, "key not in tree");
        let n = self.nodes[t as usize];
        if key == n.key {
            return self.merge(n.left, n.right);
        }
        if key < n.key {
            let l = self.remove_at(n.left, key);
            self.nodes[t as usize].left = l;
        } else {
            let r = self.remove_at(n.right, key);
            self.nodes[t as usize].right = r;
        }
        self.pull(t);
        t
    }

    /// Moves a linked host to a new key and/or mask: nothing if both are
    /// unchanged, a re-aggregation of its path if only the mask changed,
    /// unlink + link otherwise.
    pub(super) fn update(&mut self, cell: u32, id: u32, key: u128, mask: Mask) {
        let n = self.nodes[id as usize];
        debug_assert!(n.linked, "update of unlinked host {id}");
        if n.key == key {
            if n.mask != mask {
                self.nodes[id as usize].mask = mask;
                let root = self.roots[cell as usize];
                self.refresh_at(root, key);
            }
        } else {
            self.remove(cell, id);
            self.insert(cell, id, key, mask);
        }
    }

    /// Re-aggregates the path to `key`; reports whether `agg` of `t` changed.
    fn refresh_at(&mut self, t: u32, key: u128) -> bool {
        let n = self.nodes[t as usize];
        let below = if key < n.key {
            self.refresh_at(n.left, key)
        } else if key > n.key {
            self.refresh_at(n.right, key)
        } else {
            true
        };
        below && self.pull(t)
    }

    /// Replaces the mask of every linked host by `mask_of(id)` and rebuilds
    /// the aggregates: O(hosts).
    pub(super) fn remask(&mut self, mask_of: impl Fn(u32) -> Mask) {
        for (i, n) in self.nodes.iter_mut().enumerate() {
            if n.linked {
                n.mask = mask_of(i as u32);
            }
        }
        for c in 0..self.roots.len() {
            self.rebuild(self.roots[c]);
        }
    }

    fn rebuild(&mut self, t: u32) -> Mask {
        if t == NIL {
            return 0;
        }
        let n = self.nodes[t as usize];
        let agg = n.mask | self.rebuild(n.left) | self.rebuild(n.right);
        self.nodes[t as usize].agg = agg;
        agg
    }

    /// The host with the least key in `cell` whose mask meets `bit`.
    pub(super) fn first(&self, cell: u32, bit: Mask) -> Option<u32> {
        self.first_in(self.roots[cell as usize], bit)
    }

    fn first_in(&self, mut t: u32, bit: Mask) -> Option<u32> {
        if self.agg(t) & bit == 0 {
            return None;
        }
        loop {
            let n = &self.nodes[t as usize];
            if self.agg(n.left) & bit != 0 {
                t = n.left;
            } else if n.mask & bit != 0 {
                return Some(t);
            } else {
                // `agg(t)` has the bit, the left side and `t` do not.
                t = n.right;
            }
        }
    }

    /// The host with the least key `> lo` in `cell` whose mask meets `bit`.
    pub(super) fn first_after(&self, cell: u32, lo: u128, bit: Mask) -> Option<u32> {
        self.first_after_in(self.roots[cell as usize], lo, bit)
    }

    fn first_after_in(&self, t: u32, lo: u128, bit: Mask) -> Option<u32> {
        if self.agg(t) & bit == 0 {
            return None;
        }
        let n = &self.nodes[t as usize];
        if n.key <= lo {
            return self.first_after_in(n.right, lo, bit);
        }
        if let Some(x) = self.first_after_in(n.left, lo, bit) {
            return Some(x);
        }
        if n.mask & bit != 0 {
            return Some(t);
        }
        self.first_in(n.right, bit)
    }

    /// Checks the treap invariants of every tree (tests and debugging):
    /// BST order, heap order of priorities, aggregates, and that the trees
    /// hold exactly the linked nodes. Returns the number of linked nodes.
    #[cfg(test)]
    pub(super) fn check(&self) -> usize {
        fn walk(f: &Forest, t: u32, lo: Option<u128>, hi: Option<u128>) -> (usize, Mask) {
            if t == NIL {
                return (0, 0);
            }
            let n = &f.nodes[t as usize];
            assert!(n.linked);
            if let Some(lo) = lo {
                assert!(n.key > lo);
            }
            if let Some(hi) = hi {
                assert!(n.key < hi);
            }
            for c in [n.left, n.right] {
                if c != NIL {
                    assert!(f.nodes[c as usize].prio <= n.prio);
                }
            }
            let (a, ma) = walk(f, n.left, lo, Some(n.key));
            let (b, mb) = walk(f, n.right, Some(n.key), hi);
            assert_eq!(n.agg, n.mask | ma | mb);
            (a + b + 1, n.agg)
        }
        let total: usize = self
            .roots
            .iter()
            .map(|&r| walk(self, r, None, None).0)
            .sum();
        assert_eq!(total, self.nodes.iter().filter(|n| n.linked).count());
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_and_first_after_skip_hosts_without_the_bit() {
        let mut f = Forest::default();
        f.add_cell();
        // key = id * 10, mask bit 0 on even ids, bit 1 on multiples of 3.
        for id in 0..200u32 {
            let mask = Mask::from(id % 2 == 0) | Mask::from(id % 3 == 0) << 1;
            f.insert(0, id, u128::from(id) * 10, mask);
        }
        assert_eq!(f.check(), 200);
        assert_eq!(f.first(0, 1), Some(0));
        assert_eq!(f.first_after(0, 0, 1), Some(2));
        assert_eq!(f.first_after(0, 25, 2), Some(3));
        assert_eq!(f.first_after(0, 1990, 1), None);
        // Moving host 0 to the end; clearing bit 1 of host 3.
        f.update(0, 0, 5000, 1);
        f.update(0, 3, 30, 0);
        assert_eq!(f.check(), 200);
        assert_eq!(f.first(0, 1), Some(2));
        assert_eq!(f.first(0, 2), Some(6));
        assert_eq!(f.first_after(0, 1990, 1), Some(0));
        for id in (0..200).step_by(2) {
            f.remove(0, id);
        }
        assert_eq!(f.check(), 100);
        assert_eq!(f.first(0, 1), None);
        f.remask(|id| Mask::from(id == 77));
        assert_eq!(f.first(0, 1), Some(77));
        assert_eq!(f.check(), 100);
    }
}
