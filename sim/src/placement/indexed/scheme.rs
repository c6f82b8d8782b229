//! Cell schemes: the hosts grouped into cells by their values of a set of
//! attributes (no attribute: one cell; {AZ}: one cell per AZ). A chain's
//! spread attributes pick its scheme, because inside a cell their counts
//! are the same for every host and only the host values order the hosts.

use super::Indexed;
use std::collections::BTreeMap;

/// A cell tuple entry for an attribute the scheme does not split on.
pub(super) const ANY_VALUE: u16 = u16::MAX;

/// Hosts grouped into cells by their values of some attributes.
#[derive(Clone, Debug)]
pub(super) struct Scheme {
    pub(super) splits: [bool; 3],
    /// The cells' values (`ANY_VALUE` for attributes not split on).
    pub(super) cells: Vec<[u16; 3]>,
    pub(super) index: BTreeMap<[u16; 3], u32>,
    /// The cell of every host id ever added.
    pub(super) cell_of: Vec<u32>,
}

impl Scheme {
    pub(super) fn tuple(&self, values: [u16; 3]) -> [u16; 3] {
        let mut t = [ANY_VALUE; 3];
        for a in 0..3 {
            if self.splits[a] {
                t[a] = values[a];
            }
        }
        t
    }
}

impl Indexed {
    pub(super) fn scheme_for(&mut self, splits: [bool; 3]) -> usize {
        if let Some(s) = self.schemes.iter().position(|s| s.splits == splits) {
            return s;
        }
        let mut scheme = Scheme {
            splits,
            cells: Vec::new(),
            index: BTreeMap::new(),
            cell_of: Vec::with_capacity(self.hosts.len()),
        };
        for h in &self.hosts {
            let cell = match h {
                Some(h) => Self::cell_in(&mut scheme, h.values),
                None => u32::MAX,
            };
            scheme.cell_of.push(cell);
        }
        self.schemes.push(scheme);
        self.schemes.len() - 1
    }

    /// The cell of `values` in `scheme`, created if new (the caller adds it
    /// to the scheme's families and Fenwick sets).
    pub(super) fn cell_in(scheme: &mut Scheme, values: [u16; 3]) -> u32 {
        let t = scheme.tuple(values);
        if let Some(&c) = scheme.index.get(&t) {
            return c;
        }
        let c = scheme.cells.len() as u32;
        scheme.cells.push(t);
        scheme.index.insert(t, c);
        c
    }
}
