//! Writing a folder whole or not at all.
//!
//! ```text
//!  begin(OUT) ─► OUT/../.OUT.dockmaster-new-PID-N/   (the files are written here)
//!  commit()   ─► carry over OUT's files this write does not own (hard links)
//!             ─► fsync it all, swap the two folders in one rename (RENAME_EXCHANGE)
//!             ─► remove the old one
//!  drop without commit ─► remove the staging folder; OUT untouched
//! ```
//!
//! A reader of OUT sees the old folder or the new one, never a mix: the
//! swap is one `renameat2(RENAME_EXCHANGE)`, atomic on Linux filesystems.
//! Two writers into one OUT each stage their own folder; the last swap
//! wins, whole. A run killed mid-write leaves OUT as it was and a staging
//! folder, which the next write beside it removes (its process is gone).
//!
//! Files that are not the write's own (a user's notes, an unknown chart,
//! `loadtest.json` when only the report is redrawn) are carried into the
//! new folder as hard links at commit, so nothing of the user's is lost.
//! A folder that holds files but no dockmaster output is refused before
//! anything runs: replacing it would be a disaster for `-o .` or `-o ~`.

use crate::recording::{ReportError, HLOG_FILE, SUMMARY_FILE, TIMESERIES_FILE};
use crate::{charts, EVENTS_FILE};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

// `loadtest.json` is a recording's file (the reader checks its run id):
// named in `recording`, which this module depends on, not the other way.
pub use crate::recording::LOADTEST_FILE;
/// The pages and the comparison file: named here, with what a write owns,
/// so that `html` and `compare`, which write through a staging folder, are
/// not imported back (they re-export these names).
pub const REPORT_HTML: &str = "report.html";
pub const COMPARISON_FILE: &str = "comparison.json";
pub const COMPARISON_HTML: &str = "comparison.html";
/// A plan's files (`dockmaster plan`).
pub const PLAN_FILE: &str = "plan.json";
pub const PLAN_HTML: &str = "plan.html";
pub const BEST_FILE: &str = "best.toml";

/// What a write produces, hence which of the old folder's files it replaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Writes {
    /// `simulate`, `loadtest`: a whole recording. Every file dockmaster
    /// writes is replaced (a stale `events.csv` of an earlier simulation
    /// must not appear in a load test's report).
    Recording,
    /// `compare`: a whole comparison; likewise replaces every dockmaster file.
    Comparison,
    /// `report`: the charts and `report.html` of the recording in place.
    Report,
    /// `plan`: `plan.json`, `plan.html` and `best.toml` (absent when no
    /// candidate is feasible: a stale one would name a fleet that no longer
    /// wins).
    Plan,
}

impl Writes {
    /// Does this write own `rel` (a path relative to the folder)?
    fn owns(self, rel: &Path) -> bool {
        let top = |names: &[&str]| names.iter().any(|n| rel == Path::new(n));
        let chart = |names: &[&str]| {
            rel.parent() == Some(Path::new(charts::CHARTS_DIR))
                && names
                    .iter()
                    .any(|n| rel.file_name() == Some(format!("{n}.svg").as_ref()))
        };
        let report = top(&[REPORT_HTML]) || chart(&charts::RECORDING_CHARTS);
        match self {
            Writes::Report => report,
            Writes::Plan => top(&[PLAN_FILE, PLAN_HTML, BEST_FILE]),
            Writes::Recording | Writes::Comparison => {
                report
                    || chart(&charts::COMPARISON_CHARTS)
                    || top(&[
                        SUMMARY_FILE,
                        TIMESERIES_FILE,
                        HLOG_FILE,
                        EVENTS_FILE,
                        LOADTEST_FILE,
                        COMPARISON_FILE,
                        COMPARISON_HTML,
                    ])
            }
        }
    }
}

/// A folder being written beside its target; see the module docs.
#[derive(Debug)]
pub struct Staging {
    target: PathBuf,
    tmp: PathBuf,
    writes: Writes,
    committed: bool,
}

const MARK: &str = ".dockmaster-new-";

impl Staging {
    /// Checks that `target` may be replaced and creates the staging folder
    /// beside it. Call it before the long work, so a bad `-o` fails first.
    pub fn begin(target: &Path, writes: Writes) -> Result<Staging, ReportError> {
        let target = absolute(target).map_err(io("find the folder", target))?;
        let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
            return Err(ReportError::NotReplaceable {
                path: target.clone(),
                why: "it is a filesystem root".into(),
            });
        };
        match std::fs::symlink_metadata(&target) {
            Ok(m) if m.is_dir() => {
                let holds = Holds::look(&target).map_err(io("list", &target))?;
                if let Some(why) = writes.refuses(holds) {
                    return Err(ReportError::NotReplaceable {
                        path: target,
                        why: why.into(),
                    });
                }
            }
            Ok(m) if m.file_type().is_symlink() => {
                return Err(ReportError::NotReplaceable {
                    path: target,
                    why: "it is a symbolic link; name the folder it points to".into(),
                })
            }
            Ok(_) => {
                return Err(ReportError::NotReplaceable {
                    path: target,
                    why: "it is a file, not a folder".into(),
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io("look at", &target)(e)),
        }
        std::fs::create_dir_all(parent).map_err(io("create the folder", parent))?;
        remove_abandoned(parent, name);
        // A name of this process's own; one taken (left by an earlier
        // process with our pid, say) is skipped.
        static N: AtomicU64 = AtomicU64::new(0);
        let tmp = loop {
            let mut tmp_name = OsString::from(".");
            tmp_name.push(name);
            tmp_name.push(format!(
                "{MARK}{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            let tmp = parent.join(tmp_name);
            match std::fs::create_dir(&tmp) {
                Ok(()) => break tmp,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(io("create a staging folder beside", &target)(e)),
            }
        };
        Ok(Staging {
            target,
            tmp,
            writes,
            committed: false,
        })
    }

    /// Where to write the files.
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// The folder the write will replace, as an absolute path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Carries over what this write does not own, checks the result with
    /// `check` (given the staging folder; an error aborts, leaving the
    /// target as it was) and swaps the new folder in.
    pub fn commit_checked(
        mut self,
        check: impl FnOnce(&Path) -> Result<(), ReportError>,
    ) -> Result<(), ReportError> {
        if self.target.is_dir() {
            carry_over(&self.target, &self.tmp, Path::new(""), self.writes)?;
        }
        check(&self.tmp)?;
        // On disk before the swap: after a crash the folder is the old one
        // or the new one with every byte, not new names over empty files.
        sync_tree(&self.tmp)?;
        swap_in(&self.tmp, &self.target)?;
        if let Some(parent) = self.target.parent() {
            let _ = std::fs::File::open(parent).and_then(|d| d.sync_all());
        }
        self.committed = true;
        Ok(())
    }

    /// [`Staging::commit_checked`] with no check.
    pub fn commit(self) -> Result<(), ReportError> {
        self.commit_checked(|_| Ok(()))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // After a commit `tmp` holds the old folder (or nothing).
        let _ = std::fs::remove_dir_all(&self.tmp);
    }
}

/// An I/O error as a [`ReportError`] naming what was being done to `path`.
fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ReportError {
    let path = path.to_path_buf();
    move |source| ReportError::Io {
        action,
        path,
        source,
    }
}

/// `path` made absolute without resolving symbolic links, `.` and `..`
/// folded (so that `-o .` names the folder itself, which has a parent).
fn absolute(path: &Path) -> std::io::Result<PathBuf> {
    let abs = std::path::absolute(path)?;
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            c => out.push(c),
        }
    }
    Ok(out)
}

/// What an existing folder holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Holds {
    Nothing,
    /// A `summary.json` (or at least a `report.html`): simulate, loadtest.
    Recording,
    /// A `comparison.json` without a summary.
    Comparison,
    /// A `plan.json`.
    Plan,
    /// Files, none of them ours.
    Foreign,
}

impl Holds {
    fn look(dir: &Path) -> std::io::Result<Holds> {
        if std::fs::read_dir(dir)?.next().is_none() {
            return Ok(Holds::Nothing);
        }
        let has = |f: &str| dir.join(f).is_file();
        Ok(if has(SUMMARY_FILE) || has(REPORT_HTML) {
            Holds::Recording
        } else if has(COMPARISON_FILE) {
            Holds::Comparison
        } else if has(PLAN_FILE) {
            Holds::Plan
        } else {
            Holds::Foreign
        })
    }
}

impl Writes {
    /// Why this write may not replace a folder holding `holds`, if it may not.
    fn refuses(self, holds: Holds) -> Option<&'static str> {
        match (self, holds) {
            (_, Holds::Nothing)
            | (Writes::Recording | Writes::Report, Holds::Recording)
            | (Writes::Comparison, Holds::Comparison)
            | (Writes::Plan, Holds::Plan) => None,
            (_, Holds::Foreign) => Some(
                "it holds files but no dockmaster recording, comparison or plan, and writing \
                 replaces the folder; pick a new or empty folder",
            ),
            (Writes::Plan, _) => Some(
                "it holds a recording or a comparison, which a plan would replace; give the \
                 plan a folder of its own",
            ),
            (_, Holds::Plan) => {
                Some("it holds a plan, which this would replace; give it a folder of its own")
            }
            (Writes::Comparison, Holds::Recording) => Some(
                "it holds a recording, which a comparison would replace; give the \
                 comparison a folder of its own",
            ),
            (Writes::Recording | Writes::Report, Holds::Comparison) => Some(
                "it holds a comparison, which a recording would replace; give the \
                 recording a folder of its own",
            ),
        }
    }
}

/// Removes staging folders beside `name` whose process has ended (killed
/// mid-write). Best effort: a failure leaves a hidden folder behind.
fn remove_abandoned(parent: &Path, name: &std::ffi::OsStr) {
    let prefix = format!(".{}{MARK}", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let file_name = e.file_name();
        let Some(rest) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Hard-links (or, where links are refused, copies) every entry of
/// `from/rel` that `writes` does not own and the new folder lacks.
fn carry_over(from: &Path, to: &Path, rel: &Path, writes: Writes) -> Result<(), ReportError> {
    let src_dir = from.join(rel);
    let entries = std::fs::read_dir(&src_dir).map_err(io("list", &src_dir))?;
    for e in entries {
        let e = e.map_err(io("list", &src_dir))?;
        let rel = rel.join(e.file_name());
        let (src, dst) = (from.join(&rel), to.join(&rel));
        let kind = e.file_type().map_err(io("look at", &src))?;
        if kind.is_dir() {
            if !dst.is_dir() {
                std::fs::create_dir(&dst).map_err(io("create the folder", &dst))?;
            }
            carry_over(from, to, &rel, writes)?;
        } else if !writes.owns(&rel) && std::fs::symlink_metadata(&dst).is_err() {
            if kind.is_symlink() {
                let link = std::fs::read_link(&src).map_err(io("read the link", &src))?;
                std::os::unix::fs::symlink(link, &dst).map_err(io("carry over", &dst))?;
            } else if std::fs::hard_link(&src, &dst).is_err() {
                std::fs::copy(&src, &dst).map_err(io("carry over", &dst))?;
            }
        }
    }
    Ok(())
}

/// fsync of every file and folder below `dir`, and of `dir`.
fn sync_tree(dir: &Path) -> Result<(), ReportError> {
    for e in std::fs::read_dir(dir).map_err(io("list", dir))? {
        let e = e.map_err(io("list", dir))?;
        let kind = e.file_type().map_err(io("look at", &e.path()))?;
        if kind.is_dir() {
            sync_tree(&e.path())?;
        } else if kind.is_file() {
            std::fs::File::open(e.path())
                .and_then(|f| f.sync_all())
                .map_err(io("write to disk", &e.path()))?;
        }
    }
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("write to disk", dir))
}

/// Puts `new` at `target`: one atomic exchange when `target` exists (the
/// old folder ends up at `new`), a rename when it does not.
fn swap_in(new: &Path, target: &Path) -> Result<(), ReportError> {
    let io = |source| ReportError::Io {
        action: "swap in the new folder at",
        path: target.to_path_buf(),
        source,
    };
    // A concurrent writer may create or swap `target` between our look and
    // our rename; each retry looks again.
    for _ in 0..8 {
        if target.exists() {
            match exchange(new, target) {
                Ok(()) => return Ok(()),
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => continue,
                Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS)) => {
                    return swap_by_two_renames(new, target).map_err(io)
                }
                Err(e) => return Err(io(e)),
            }
        }
        match std::fs::rename(new, target) {
            Ok(()) => return Ok(()),
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOTEMPTY | libc::EEXIST)) => continue,
            Err(e) => return Err(io(e)),
        }
    }
    Err(io(std::io::Error::other(
        "another process kept replacing the folder",
    )))
}

fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both are valid NUL-terminated paths that outlive the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// For filesystems without RENAME_EXCHANGE: `target` is absent for the
/// instant between the two renames, but never mixed.
fn swap_by_two_renames(new: &Path, target: &Path) -> std::io::Result<()> {
    let mut old = new.as_os_str().to_owned();
    old.push("-old");
    let old = PathBuf::from(old);
    std::fs::rename(target, &old)?;
    std::fs::rename(new, target)?;
    std::fs::rename(&old, new)
}

#[cfg(test)]
#[path = "staging/tests.rs"]
mod tests;
