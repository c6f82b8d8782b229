//! Group counts: the tasks of each group (service) per attribute value, over
//! all registered hosts. They are the cell values of `spread(attribute)`,
//! kept apart from the hosts because a count spans every host of a value.

use super::Indexed;

/// Tasks of one group per attribute value, over all registered hosts.
#[derive(Clone, Debug, Default)]
pub(super) struct GroupCounts {
    pub(super) per_value: [Vec<u32>; 3],
}

impl GroupCounts {
    pub(super) fn get(&self, a: usize, v: u16) -> u32 {
        self.per_value[a].get(v as usize).copied().unwrap_or(0)
    }

    pub(super) fn add(&mut self, a: usize, v: u16, n: u32, up: bool) {
        let list = &mut self.per_value[a];
        if list.len() <= v as usize {
            list.resize(v as usize + 1, 0);
        }
        if up {
            list[v as usize] += n;
        } else {
            list[v as usize] -= n;
        }
    }
}

impl Indexed {
    /// Adds or takes away `n` tasks of `group` at a host's attribute values.
    pub(super) fn count_group(&mut self, group: u32, values: [u16; 3], n: u32, up: bool) {
        let counts = self.groups.entry(group).or_default();
        for (a, &v) in values.iter().enumerate() {
            counts.add(a, v, n, up);
        }
    }
}
