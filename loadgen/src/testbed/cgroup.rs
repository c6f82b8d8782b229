//! The cgroup tree of a CPU-burning testbed (cgroup v1): each emulated host
//! a cpuset of whole cores, each emulated task a cpu cgroup under its host
//! with the limit the ECS agent would set, and a `system` cpuset for the
//! rest of the testbed process and its children.
//!
//! ```text
//!  cpuset/<home>/dockmaster-testbed-<pid>/system            cores kept back: the process (cgroup.procs), HAProxy, children
//!                                        /host-i-0001       cores of host i-0001: its tasks' burner threads (tasks)
//!  cpu/<home>/dockmaster-testbed-<pid>/host-i-0001/web-0    hard: cfs_quota_us = cpu/1024 × period; shares: cpu.shares = cpu
//!  cpuacct/<home>/… same as cpu (where cpuacct is a hierarchy of its own), to read what each task used
//! ```
//!
//! `<home>` is the cgroup the process is in when the testbed starts; the
//! tree goes under it (a child cpuset must be a subset of its parent) and
//! the process goes back there when the tree is dropped. Everything created
//! is removed on drop, children first, also when a test panics; a tree left
//! by a killed process (its pid gone) is removed by the next one.

use crate::error::TestbedError;
use std::io::{ErrorKind, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const PREFIX: &str = "dockmaster-testbed-";

/// Where the cpu, cpuset and cpuacct controllers are, and the process's
/// cgroup (its home) in each.
#[derive(Clone, Debug)]
pub struct Hierarchies {
    pub cpu: PathBuf,
    pub cpuset: PathBuf,
    /// `None` when cpuacct is mounted with cpu (then `cpu` has
    /// `cpuacct.usage`) or not at all.
    pub cpuacct: Option<PathBuf>,
    /// Whether `cpu`'s hierarchy also carries cpuacct.
    pub cpu_has_cpuacct: bool,
}

fn unavailable(what: impl Into<String>) -> TestbedError {
    TestbedError::CpuUnavailable(what.into())
}

const REMEDY: &str = "or set cpu_per_request = 0 to sleep service times instead of burning them";

impl Hierarchies {
    /// Finds the v1 cpu and cpuset hierarchies from `/proc/self/mountinfo`
    /// and `/proc/self/cgroup`.
    pub fn detect() -> Result<Hierarchies, TestbedError> {
        let read = |p: &str| {
            std::fs::read_to_string(p).map_err(|e| {
                unavailable(format!(
                    "cannot read {p} ({e}): the testbed burns CPU in Linux cgroups, {REMEDY}"
                ))
            })
        };
        let h = parse(&read("/proc/self/mountinfo")?, &read("/proc/self/cgroup")?)?;
        Ok(h)
    }

    /// The CPUs the home cpuset may use.
    pub fn cores(&self) -> Result<Vec<u32>, TestbedError> {
        let p = self.cpuset.join("cpuset.effective_cpus");
        let text = std::fs::read_to_string(&p)
            .or_else(|_| std::fs::read_to_string(self.cpuset.join("cpuset.cpus")))
            .map_err(|e| unavailable(format!("cannot read {} ({e})", p.display())))?;
        parse_cpu_list(&text)
            .ok_or_else(|| unavailable(format!("{}: not a CPU list: {text:?}", p.display())))
    }
}

/// One mount of `/proc/self/mountinfo`: (root in the hierarchy, mount
/// point, filesystem type, super options).
fn mounts(mountinfo: &str) -> Vec<(&str, &str, &str, &str)> {
    mountinfo
        .lines()
        .filter_map(|l| {
            let (left, right) = l.split_once(" - ")?;
            let f: Vec<&str> = left.split(' ').collect();
            let r: Vec<&str> = right.split(' ').collect();
            Some((*f.get(3)?, *f.get(4)?, *r.first()?, *r.get(2)?))
        })
        .collect()
}

/// The hierarchies, from the texts of mountinfo and /proc/self/cgroup.
pub(crate) fn parse(mountinfo: &str, proc_cgroup: &str) -> Result<Hierarchies, TestbedError> {
    let ms = mounts(mountinfo);
    let v1 = |controller: &str| {
        ms.iter()
            .find(|m| m.2 == "cgroup" && m.3.split(',').any(|o| o == controller))
            .map(|&(root, point, _, opts)| {
                // The process's cgroup in this hierarchy, relative to the
                // mount's root (a container may mount a subtree).
                let mine = proc_cgroup
                    .lines()
                    .filter_map(|l| {
                        // id:controllers:path (a path may hold ':').
                        let mut f = l.splitn(3, ':').skip(1);
                        Some((f.next()?, f.next()?))
                    })
                    .find(|(c, _)| c.split(',').any(|x| x == controller))
                    .map_or("/", |(_, p)| p);
                let rel = mine.strip_prefix(root).unwrap_or("/");
                let dir = Path::new(point).join(rel.trim_start_matches('/'));
                (dir, opts.split(',').any(|o| o == "cpuacct"))
            })
    };
    match (v1("cpu"), v1("cpuset")) {
        (Some((cpu, cpu_has_cpuacct)), Some((cpuset, _))) => Ok(Hierarchies {
            cpuacct: (!cpu_has_cpuacct)
                .then(|| v1("cpuacct").map(|(d, _)| d))
                .flatten(),
            cpu,
            cpuset,
            cpu_has_cpuacct,
        }),
        (cpu, cpuset) => {
            let missing = match (cpu.is_some(), cpuset.is_some()) {
                (false, false) => "cpu and cpuset",
                (false, true) => "cpu",
                _ => "cpuset",
            };
            let v2 = ms.iter().find(|m| m.2 == "cgroup2").map(|m| m.1);
            let v2_note = match v2 {
                Some(p) => {
                    let ctl = std::fs::read_to_string(Path::new(p).join("cgroup.controllers"))
                        .unwrap_or_default();
                    let has = |c: &str| ctl.split_whitespace().any(|x| x == c);
                    if has("cpu") && has("cpuset") {
                        format!(
                            "; cgroup v2 is mounted at {p} with cpu and cpuset, but the testbed \
                             supports only v1 today (boot with \
                             systemd.unified_cgroup_hierarchy=0, or run in a VM or container with \
                             cgroup v1)"
                        )
                    } else {
                        format!(
                            "; cgroup v2 is mounted at {p} but offers no cpu and cpuset \
                             controllers (and the testbed supports only v1 today)"
                        )
                    }
                }
                None => String::new(),
            };
            Err(unavailable(format!(
                "the cgroup v1 {missing} controller is not mounted{v2_note}. Mount it (as root: \
                 `mkdir -p /sys/fs/cgroup/{m} && mount -t cgroup -o {m} cgroup \
                 /sys/fs/cgroup/{m}` for each of cpu, cpuset), {REMEDY}",
                m = if missing == "cpu" { "cpu" } else { "cpuset" },
            )))
        }
    }
}

/// `0-3,6,8-9` → [0, 1, 2, 3, 6, 8, 9].
pub fn parse_cpu_list(s: &str) -> Option<Vec<u32>> {
    let mut out = Vec::new();
    for part in s.trim().split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
                if a > b {
                    return None;
                }
                out.extend(a..=b);
            }
            None => out.push(part.parse().ok()?),
        }
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}

/// [0, 1, 2, 5] → `0-2,5`.
pub fn format_cpu_list(cpus: &[u32]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < cpus.len() {
        let mut j = i;
        while j + 1 < cpus.len() && cpus[j + 1] == cpus[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            cpus[i].to_string()
        } else {
            format!("{}-{}", cpus[i], cpus[j])
        });
        i = j + 1;
    }
    parts.join(",")
}

/// How a task's `cpu` units become kernel settings (docs/scenario-format.md,
/// "CPU: what a request costs and what a task may use").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskLimit {
    /// CFS bandwidth: `quota_us` of CPU time per `period_us`; shares left
    /// at the default 1024, as the ECS agent does for a task-level `cpu`.
    Hard { period_us: u64, quota_us: u64 },
    /// No quota; `cpu.shares` (Docker CpuShares, at least 2).
    Shares(u64),
}

/// The `tasks` files a thread writes its id to, to live in a task's
/// cgroups: its host's cpuset, its cpu cgroup, its cpuacct cgroup.
#[derive(Clone, Debug)]
pub struct Placement {
    files: Vec<PathBuf>,
}

impl Placement {
    /// Moves the calling thread (only it: cgroup v1 places threads one by
    /// one through `tasks`) into the task's cgroups.
    pub fn join(&self) -> Result<(), TestbedError> {
        let tid = current_tid();
        for f in &self.files {
            write(f, &tid.to_string())?;
        }
        Ok(())
    }
}

/// Throttling counters of a cpu cgroup (`cpu.stat`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuStat {
    pub nr_periods: u64,
    pub nr_throttled: u64,
    pub throttled_ns: u64,
}

/// One emulated task's cgroups.
#[derive(Debug)]
pub struct TaskCgroup {
    pub name: String,
    pub limit: TaskLimit,
    cpu: PathBuf,
    /// Where `cpuacct.usage` is (the cpu dir itself when co-mounted).
    acct: Option<PathBuf>,
    pub placement: Placement,
}

impl TaskCgroup {
    /// CPU time used by the task's threads so far (`cpuacct.usage`), ns.
    pub fn usage_ns(&self) -> Option<u64> {
        let p = self.acct.as_ref()?.join("cpuacct.usage");
        std::fs::read_to_string(p).ok()?.trim().parse().ok()
    }

    pub fn stat(&self) -> CpuStat {
        let text = std::fs::read_to_string(self.cpu.join("cpu.stat")).unwrap_or_default();
        let get = |k: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(k)?.strip_prefix(' ')?.trim().parse().ok())
                .unwrap_or(0)
        };
        CpuStat {
            nr_periods: get("nr_periods"),
            nr_throttled: get("nr_throttled"),
            throttled_ns: get("throttled_time"),
        }
    }

    /// The cpu cgroup's directory.
    pub fn dir(&self) -> &Path {
        &self.cpu
    }
}

/// Only one tree per process: moving the process (cgroup.procs) into one
/// tree's `system` would pull another tree's burner threads out of their
/// hosts.
static IN_USE: AtomicBool = AtomicBool::new(false);

/// The tree; dropping it puts the process back home and removes every
/// cgroup it created.
#[derive(Debug)]
pub struct CgroupTree {
    h: Hierarchies,
    /// Directories created, in order (removed in reverse).
    created: Vec<PathBuf>,
    /// Cores given to hosts so far.
    host_cores: u64,
    /// Process moved into `system`.
    moved: bool,
    name: String,
}

fn write(path: &Path, value: &str) -> Result<(), TestbedError> {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|mut f| f.write_all(value.as_bytes()))
        .map_err(TestbedError::io(format!(
            "write {value} to {}",
            path.display()
        )))
}

fn current_tid() -> u64 {
    #[cfg(target_os = "linux")]
    // SAFETY: gettid has no preconditions.
    unsafe {
        libc::gettid() as u64
    }
    #[cfg(not(target_os = "linux"))]
    0
}

impl CgroupTree {
    /// Creates `dockmaster-testbed-<pid>` in each hierarchy (cpuset with
    /// all of `cores`), after removing trees of dead processes.
    pub fn create(h: &Hierarchies, cores: &[u32]) -> Result<CgroupTree, TestbedError> {
        if IN_USE.swap(true, Ordering::SeqCst) {
            return Err(TestbedError::Unsupported(
                "another CPU-burning testbed runs in this process; stop it first (one per \
                 process: each moves the whole process into its own cpusets)"
                    .into(),
            ));
        }
        let name = format!("{PREFIX}{}", std::process::id());
        let mut tree = CgroupTree {
            h: h.clone(),
            created: Vec::new(),
            host_cores: 0,
            moved: false,
            name,
        };
        for home in tree.homes() {
            remove_stale(&home);
        }
        let mems = read_trim(&h.cpuset.join("cpuset.effective_mems"))
            .or_else(|| read_trim(&h.cpuset.join("cpuset.mems")))
            .unwrap_or_else(|| "0".into());
        let top = h.cpuset.join(&tree.name);
        tree.mkdir(&top).map_err(|e| match e {
            TestbedError::Io { source, .. }
                if matches!(
                    source.kind(),
                    ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem
                ) || source.raw_os_error() == Some(libc::EROFS) =>
            {
                unavailable(format!(
                    "cannot create cgroups under {} ({source}): run the testbed as root (or in \
                     a cgroup delegated to you, with a writable cgroupfs), {REMEDY}",
                    h.cpuset.display()
                ))
            }
            e => e,
        })?;
        write(&top.join("cpuset.cpus"), &format_cpu_list(cores))?;
        write(&top.join("cpuset.mems"), &mems)?;
        tree.mkdir(&h.cpu.join(&tree.name))?;
        if let Some(a) = &h.cpuacct {
            tree.mkdir(&a.join(&tree.name))?;
        }
        Ok(tree)
    }

    fn homes(&self) -> Vec<PathBuf> {
        let mut v = vec![self.h.cpuset.clone(), self.h.cpu.clone()];
        v.extend(self.h.cpuacct.clone());
        v
    }

    fn mkdir(&mut self, p: &Path) -> Result<(), TestbedError> {
        std::fs::create_dir(p).map_err(TestbedError::io(format!("create {}", p.display())))?;
        self.created.push(p.to_path_buf());
        Ok(())
    }

    fn mems(&self) -> String {
        read_trim(&self.h.cpuset.join(&self.name).join("cpuset.mems")).unwrap_or_else(|| "0".into())
    }

    /// Moves the whole process (every thread, and children started later)
    /// into a `system` cpuset of `cores`.
    pub fn confine_process(&mut self, cores: &[u32]) -> Result<(), TestbedError> {
        let dir = self.h.cpuset.join(&self.name).join("system");
        self.mkdir(&dir)?;
        write(&dir.join("cpuset.cpus"), &format_cpu_list(cores))?;
        write(&dir.join("cpuset.mems"), &self.mems())?;
        write(&dir.join("cgroup.procs"), &std::process::id().to_string())?;
        self.moved = true;
        Ok(())
    }

    /// A host: a cpuset of `cores`, and its cpu (and cpuacct) cgroup, with
    /// no quota. The tree's weight in the cpu hierarchy is raised to
    /// `shield` nice-0 processes per host core, so that processes outside
    /// the testbed, which the kernel may still run on these cores, take
    /// little from a busy emulated host. (The hosts themselves keep the
    /// default weight: they share no core, so it weighs nothing.)
    pub fn add_host(&mut self, host: &str, cores: &[u32], shield: u64) -> Result<(), TestbedError> {
        let dir = format!("host-{host}");
        let cs = self.h.cpuset.join(&self.name).join(&dir);
        self.mkdir(&cs)?;
        write(&cs.join("cpuset.cpus"), &format_cpu_list(cores))?;
        write(&cs.join("cpuset.mems"), &self.mems())?;
        let cpu = self.h.cpu.join(&self.name).join(&dir);
        self.mkdir(&cpu)?;
        self.host_cores += cores.len() as u64;
        // The kernel's ceiling for cpu.shares is 262144.
        let weight = (1024 * shield * self.host_cores).min(262_144);
        write(
            &self.h.cpu.join(&self.name).join("cpu.shares"),
            &weight.to_string(),
        )?;
        if let Some(a) = self.h.cpuacct.clone() {
            self.mkdir(&a.join(&self.name).join(&dir))?;
        }
        Ok(())
    }

    /// A task's cgroups under `host` (added before).
    pub fn add_task(
        &mut self,
        host: &str,
        task: &str,
        limit: TaskLimit,
    ) -> Result<TaskCgroup, TestbedError> {
        let hostdir = format!("host-{host}");
        let cpu = self.h.cpu.join(&self.name).join(&hostdir).join(task);
        self.mkdir(&cpu)?;
        match limit {
            TaskLimit::Hard {
                period_us,
                quota_us,
            } => {
                write(&cpu.join("cpu.cfs_period_us"), &period_us.to_string())?;
                write(&cpu.join("cpu.cfs_quota_us"), &quota_us.to_string())?;
            }
            TaskLimit::Shares(s) => {
                write(&cpu.join("cpu.cfs_quota_us"), "-1")?;
                write(&cpu.join("cpu.shares"), &s.max(2).to_string())?;
            }
        }
        let mut files = vec![
            self.h.cpuset.join(&self.name).join(&hostdir).join("tasks"),
            cpu.join("tasks"),
        ];
        let acct = match self.h.cpuacct.clone() {
            Some(a) => {
                let d = a.join(&self.name).join(&hostdir).join(task);
                self.mkdir(&d)?;
                files.push(d.join("tasks"));
                Some(d)
            }
            None => self.h.cpu_has_cpuacct.then(|| cpu.clone()),
        };
        Ok(TaskCgroup {
            name: task.to_string(),
            limit,
            cpu,
            acct,
            placement: Placement { files },
        })
    }

    /// The home of the hierarchy `dir` is in.
    fn home_of(&self, dir: &Path) -> PathBuf {
        self.homes()
            .into_iter()
            .find(|h| dir.starts_with(h))
            .unwrap_or_else(|| self.h.cpuset.clone())
    }
}

fn read_trim(p: &Path) -> Option<String> {
    let s = std::fs::read_to_string(p).ok()?;
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// Moves whatever threads are still in `dir` to `home`, then removes it;
/// retries briefly, as a thread that has just been joined may still be
/// listed until the kernel finishes its exit.
fn evacuate_and_remove(dir: &Path, home: &Path) -> std::io::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        if let Ok(tids) = std::fs::read_to_string(dir.join("tasks")) {
            for tid in tids.split_whitespace() {
                let _ = write(&home.join("tasks"), tid);
            }
        }
        match std::fs::remove_dir(dir) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Removes `dir` and its sub-cgroups, deepest first.
fn remove_tree(dir: &Path, home: &Path) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                remove_tree(&e.path(), home);
            }
        }
    }
    let _ = evacuate_and_remove(dir, home);
}

/// Removes trees left by testbed processes that no longer exist (killed
/// before their Drop could run).
fn remove_stale(home: &Path) {
    let Ok(rd) = std::fs::read_dir(home) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(PREFIX)) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            remove_tree(&e.path(), home);
        }
    }
}

impl Drop for CgroupTree {
    fn drop(&mut self) {
        if self.moved {
            let home = self.h.cpuset.join("cgroup.procs");
            if let Err(e) = write(&home, &std::process::id().to_string()) {
                eprintln!("warning: could not move the process back to its cpuset: {e}");
            }
        }
        for dir in self.created.iter().rev() {
            let home = self.home_of(dir);
            if let Err(e) = evacuate_and_remove(dir, &home) {
                eprintln!("warning: could not remove cgroup {}: {e}", dir.display());
            }
        }
        IN_USE.store(false, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTINFO: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 /docker/abc /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";
    const PROC_CGROUP: &str =
        "4:memory:/x\n3:cpuset:/docker/abc/inner\n2:cpuacct:/\n1:cpu:/\n0::/\n";

    #[test]
    fn hierarchies_are_found_with_the_process_home_in_each() {
        let h = parse(MOUNTINFO, PROC_CGROUP).unwrap();
        assert_eq!(h.cpu, Path::new("/sys/fs/cgroup/cpu"));
        assert_eq!(h.cpuset, Path::new("/sys/fs/cgroup/cpuset/inner"));
        assert_eq!(
            h.cpuacct.as_deref(),
            Some(Path::new("/sys/fs/cgroup/cpuacct"))
        );
        assert!(!h.cpu_has_cpuacct);
        let co = "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n\
                  34 31 0:31 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset\n";
        let h = parse(co, "2:cpu,cpuacct:/a\n1:cpuset:/\n").unwrap();
        assert_eq!(h.cpu, Path::new("/sys/fs/cgroup/cpu,cpuacct/a"));
        assert!(h.cpu_has_cpuacct && h.cpuacct.is_none());
    }

    #[test]
    fn without_v1_controllers_the_error_says_what_to_do() {
        let only_v2 = "41 31 0:38 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
        let e = parse(only_v2, "0::/\n").unwrap_err().to_string();
        assert!(
            e.contains("cpu and cpuset controller is not mounted"),
            "{e}"
        );
        assert!(e.contains("cgroup v2 is mounted at /sys/fs/cgroup"), "{e}");
        assert!(e.contains("only v1 today"), "{e}");
        assert!(e.contains("cpu_per_request = 0"), "{e}");
    }

    #[test]
    fn cpu_lists_round_trip() {
        assert_eq!(
            parse_cpu_list("0-3,6,8-9\n"),
            Some(vec![0, 1, 2, 3, 6, 8, 9])
        );
        assert_eq!(format_cpu_list(&[0, 1, 2, 3, 6, 8, 9]), "0-3,6,8-9");
        assert_eq!(format_cpu_list(&[1]), "1");
        assert_eq!(parse_cpu_list("3-1"), None);
        assert_eq!(parse_cpu_list(""), Some(vec![]));
    }
}
