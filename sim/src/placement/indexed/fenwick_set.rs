//! Fenwick sets: per cell of a scheme, a [`Fenwick`] tree of the hosts that
//! satisfy one class. They serve `random` after spread attributes only,
//! whose draw is over a union of whole cells in host-id order.

use super::fenwick::Fenwick;
use super::Indexed;

/// Per-cell counts of the hosts satisfying a class, for `random`.
#[derive(Clone, Debug)]
pub(super) struct FenwickSet {
    pub(super) scheme: usize,
    pub(super) class: usize,
    pub(super) cells: Vec<Fenwick>,
}

impl Indexed {
    pub(super) fn fenwick_for(&mut self, scheme: usize, class: usize) -> usize {
        if let Some(i) = self
            .fenwicks
            .iter()
            .position(|s| s.scheme == scheme && s.class == class)
        {
            return i;
        }
        let set = self.build_fenwick(scheme, class);
        self.fenwicks.push(set);
        self.fenwicks.len() - 1
    }

    pub(super) fn build_fenwick(&mut self, scheme: usize, class: usize) -> FenwickSet {
        self.fenwick_capacity = self
            .fenwick_capacity
            .max(self.hosts.len().next_power_of_two())
            .max(1);
        let s = &self.schemes[scheme];
        let mut cells: Vec<Fenwick> = (0..s.cells.len())
            .map(|_| Fenwick::new(self.fenwick_capacity))
            .collect();
        for (id, h) in self.registered() {
            if h.mask >> class & 1 == 1 {
                cells[s.cell_of[id as usize] as usize].set(id, true);
            }
        }
        FenwickSet {
            scheme,
            class,
            cells,
        }
    }
}
