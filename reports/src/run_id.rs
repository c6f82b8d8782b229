//! The run id: one short name for one run's files, written into every file
//! of a recording (a `run_id` key in the JSON files, a `# dockmaster
//! run_id=…` comment in the CSV and interval-log headers, a `<meta>` in the
//! HTML, a comment in each SVG), so that a reader can tell a whole
//! recording from a folder holding files of two runs.
//!
//! It is a content hash of the run's files as formatted (without the id
//! itself and without the wall-clock engine figures), not a random name:
//! the same scenario and seed give byte-identical recordings, ids included,
//! and two runs that differ in anything they wrote get different ids.
//! FNV-1a, 64 bits: the id detects mixing and mistakes, not an adversary,
//! and a hand-written hash cannot change under us with a compiler release.

use serde::{Deserialize, Serialize};
use std::fmt;

/// 16 lowercase hex digits.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RunId(String);

impl RunId {
    /// The id of a run whose files (without their ids) are `parts`, in a
    /// fixed order. Each part is length-prefixed so that moving bytes from
    /// one part to the next changes the id.
    pub fn of_parts(parts: &[&[u8]]) -> RunId {
        let mut h = Fnv1a::new();
        for p in parts {
            h.write(&(p.len() as u64).to_le_bytes());
            h.write(p);
        }
        RunId(format!("{:016x}", h.0))
    }

    /// Accepts what `Display` writes: 16 lowercase hex digits.
    pub fn parse(s: &str) -> Option<RunId> {
        let ok = s.len() == 16
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        ok.then(|| RunId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The comment line of the CSV files (`events.csv`, `timeseries.csv`):
    /// `# dockmaster run_id=…`.
    pub fn csv_comment(&self) -> String {
        format!("# dockmaster run_id={}\n", self.0)
    }

    /// The run id in the first lines of a text file that starts with
    /// `#` comments (CSV, interval log), if any.
    pub fn from_comments(bytes: &[u8]) -> Option<RunId> {
        const MARK: &[u8] = b"run_id=";
        for line in bytes.split(|&b| b == b'\n').take(16) {
            if !line.starts_with(b"#") {
                break;
            }
            if let Some(at) = line.windows(MARK.len()).position(|w| w == MARK) {
                let rest = &line[at + MARK.len()..];
                let end = rest
                    .iter()
                    .position(|b| !b.is_ascii_alphanumeric())
                    .unwrap_or(rest.len());
                return std::str::from_utf8(&rest[..end])
                    .ok()
                    .and_then(RunId::parse);
            }
        }
        None
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

struct Fnv1a(u64);

impl Fnv1a {
    fn new() -> Fnv1a {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        // From the FNV reference (isthe.com/chongo/tech/comp/fnv), 64-bit FNV-1a.
        let hash = |s: &[u8]| {
            let mut h = Fnv1a::new();
            h.write(s);
            h.0
        };
        assert_eq!(hash(b""), 0xcbf29ce484222325);
        assert_eq!(hash(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(hash(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn moving_bytes_between_parts_changes_the_id() {
        assert_ne!(
            RunId::of_parts(&[b"ab", b"c"]),
            RunId::of_parts(&[b"a", b"bc"])
        );
        assert_eq!(
            RunId::of_parts(&[b"ab", b"c"]),
            RunId::of_parts(&[b"ab", b"c"])
        );
    }

    #[test]
    fn the_comment_round_trips_and_only_leading_comments_count() {
        let id = RunId::of_parts(&[b"x"]);
        let csv = format!("{}t,a\n1,2\n", id.csv_comment());
        assert_eq!(RunId::from_comments(csv.as_bytes()), Some(id.clone()));
        let late = format!("t,a\n{}", id.csv_comment());
        assert_eq!(RunId::from_comments(late.as_bytes()), None);
        assert_eq!(RunId::from_comments(b"# dockmaster run_id=XYZ\n"), None);
    }
}
