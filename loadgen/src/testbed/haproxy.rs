//! The real load balancer in front of the emulated tasks: an HAProxy
//! configuration that mirrors the scenario's ALB, and the process guard that
//! makes sure HAProxy never outlives the testbed.
//!
//! | scenario `algorithm`         | HAProxy `balance` | why                                   |
//! |------------------------------|-------------------|---------------------------------------|
//! | `round_robin`                | `roundrobin`      | strict rotation over equal weights    |
//! | `least_outstanding_requests` | `leastconn`       | fewest requests being served; ties rotate |
//! | `weighted_random`            | `random(1)`       | one uniform draw (`random` alone draws 2 and keeps the less loaded) |
//!
//! One backend per service; the frontend routes `/<service>/...` (and
//! `/<service>`) to it, as ALB listener rules route by path.

use crate::error::TestbedError;
use dockmaster_sim::scenario::Algorithm;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn balance(a: Algorithm) -> &'static str {
    match a {
        Algorithm::RoundRobin => "roundrobin",
        Algorithm::LeastOutstandingRequests => "leastconn",
        Algorithm::WeightedRandom => "random(1)",
    }
}

/// One backend: a service and the addresses of its tasks.
pub struct Backend<'a> {
    pub service: &'a str,
    pub servers: &'a [SocketAddr],
}

/// The configuration text. `threads`: HAProxy's `nbthread`.
pub fn config(
    frontend: SocketAddr,
    backends: &[Backend<'_>],
    algorithm: Algorithm,
    threads: usize,
) -> String {
    let maxconn = max_connections();
    let mut c = String::new();
    let _ = write!(
        c,
        "# Written by `dockmaster testbed`: the scenario's ALB, on loopback.\n\
         global\n    \
             maxconn {maxconn}\n    \
             nbthread {threads}\n\
         \n\
         defaults\n    \
             mode http\n    \
             option http-keep-alive\n    \
             timeout connect 5s\n    \
             timeout client 300s\n    \
             timeout server 300s\n    \
             timeout http-request 60s\n    \
             timeout http-keep-alive 300s\n    \
             timeout queue 300s\n\
         \n\
         frontend alb\n    \
             bind {frontend}\n"
    );
    for (i, b) in backends.iter().enumerate() {
        let _ = writeln!(
            c,
            "    use_backend svc{i} if {{ path /{s} }} || {{ path_beg /{s}/ }}",
            s = b.service
        );
    }
    if backends.len() == 1 {
        c.push_str("    default_backend svc0\n");
    } else {
        c.push_str("    default_backend unknown\n");
    }
    for (i, b) in backends.iter().enumerate() {
        let _ = write!(
            c,
            "\nbackend svc{i}\n    # service {}\n    balance {}\n",
            b.service,
            balance(algorithm)
        );
        for (j, addr) in b.servers.iter().enumerate() {
            let _ = writeln!(c, "    server task{j} {addr}");
        }
    }
    if backends.len() != 1 {
        c.push_str(
            "\nbackend unknown\n    http-request return status 404 content-type text/plain string \"no such service\\n\"\n",
        );
    }
    c
}

/// As many connections as the file-descriptor limit allows HAProxy (two
/// descriptors per proxied connection), at most 10,000.
fn max_connections() -> u64 {
    let mut hard: u64 = 4096;
    #[cfg(unix)]
    {
        let mut r = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes into the struct we pass and nothing else.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) } == 0 {
            hard = r.rlim_max;
        }
    }
    (hard.saturating_sub(200) / 2).clamp(100, 10_000)
}

/// `haproxy -v`'s first line, or `HaproxyMissing`.
pub fn version(program: &Path) -> Result<String, TestbedError> {
    match Command::new(program).arg("-v").output() {
        Ok(o) => Ok(String::from_utf8_lossy(&o.stdout)
            .lines()
            .next()
            .unwrap_or("haproxy")
            .trim()
            .to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(TestbedError::HaproxyMissing {
            program: program.display().to_string(),
        }),
        Err(e) => Err(TestbedError::Io {
            action: format!("run {} -v", program.display()),
            source: e,
        }),
    }
}

/// A child process stopped (SIGTERM, then SIGKILL after a second) and
/// reaped when the guard is dropped. On Linux the child also gets SIGTERM
/// if the thread that started it dies (PR_SET_PDEATHSIG), so a killed test
/// run leaves no HAProxy behind.
pub struct ChildGuard {
    child: Option<Child>,
}

impl ChildGuard {
    /// Starts `cmd`, at nice value `nice` if given (best effort).
    pub fn spawn(mut cmd: Command, nice: Option<i32>) -> std::io::Result<ChildGuard> {
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::process::CommandExt;
            // SAFETY: prctl and setpriority are async-signal-safe and touch
            // only the child.
            unsafe {
                cmd.pre_exec(move || {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                    if let Some(n) = nice {
                        libc::setpriority(libc::PRIO_PROCESS, 0, n);
                    }
                    Ok(())
                });
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = nice;
        Ok(ChildGuard {
            child: Some(cmd.spawn()?),
        })
    }

    pub fn id(&self) -> u32 {
        self.child.as_ref().map_or(0, |c| c.id())
    }

    /// `Some(status)` if the process has ended.
    pub fn try_wait(&mut self) -> Option<std::process::ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if child.try_wait().ok().flatten().is_some() {
            return;
        }
        #[cfg(unix)]
        // SAFETY: signalling our own child by its pid, which is not yet reaped.
        unsafe {
            libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(1);
        while Instant::now() < deadline {
            if child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts `program -db -f config_path` (foreground, at nice value `nice` if
/// given), its output to `log_path`, and waits until `frontend` accepts
/// connections.
pub fn start(
    program: &Path,
    config_path: &Path,
    log_path: &Path,
    frontend: SocketAddr,
    nice: Option<i32>,
) -> Result<ChildGuard, TestbedError> {
    let read_log = || std::fs::read_to_string(log_path).unwrap_or_default();
    let check = Command::new(program)
        .args(["-c", "-q", "-f"])
        .arg(config_path)
        .output()
        .map_err(TestbedError::io(format!("run {} -c", program.display())))?;
    if !check.status.success() {
        return Err(TestbedError::HaproxyFailed {
            detail: format!("its configuration check failed ({})", config_path.display()),
            log: format!(
                "{}{}",
                String::from_utf8_lossy(&check.stdout),
                String::from_utf8_lossy(&check.stderr)
            ),
        });
    }
    let log = std::fs::File::create(log_path)
        .map_err(TestbedError::io(format!("create {}", log_path.display())))?;
    let log2 = log
        .try_clone()
        .map_err(TestbedError::io("duplicate a file handle"))?;
    let mut cmd = Command::new(program);
    cmd.arg("-db")
        .arg("-f")
        .arg(config_path)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log2);
    let mut guard = ChildGuard::spawn(cmd, nice)
        .map_err(TestbedError::io(format!("start {}", program.display())))?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = guard.try_wait() {
            return Err(TestbedError::HaproxyFailed {
                detail: format!("it exited at once ({status})"),
                log: read_log(),
            });
        }
        if std::net::TcpStream::connect_timeout(&frontend, Duration::from_millis(100)).is_ok() {
            return Ok(guard);
        }
        if Instant::now() >= deadline {
            return Err(TestbedError::HaproxyFailed {
                detail: format!("nothing listens on {frontend} after 10 s"),
                log: read_log(),
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_routes_by_path_and_balances_as_the_scenario_says() {
        let a: Vec<SocketAddr> = vec![
            "127.0.0.1:4001".parse().unwrap(),
            "127.0.0.1:4002".parse().unwrap(),
        ];
        let b: Vec<SocketAddr> = vec!["127.0.0.1:4003".parse().unwrap()];
        let c = config(
            "127.0.0.1:8080".parse().unwrap(),
            &[
                Backend {
                    service: "web",
                    servers: &a,
                },
                Backend {
                    service: "api",
                    servers: &b,
                },
            ],
            Algorithm::LeastOutstandingRequests,
            1,
        );
        assert!(c.contains("bind 127.0.0.1:8080"), "{c}");
        assert!(
            c.contains("use_backend svc0 if { path /web } || { path_beg /web/ }"),
            "{c}"
        );
        assert!(
            c.contains("use_backend svc1 if { path /api } || { path_beg /api/ }"),
            "{c}"
        );
        assert!(c.contains("balance leastconn"), "{c}");
        assert!(c.contains("server task1 127.0.0.1:4002"), "{c}");
        assert_eq!(balance(Algorithm::RoundRobin), "roundrobin");
        assert_eq!(balance(Algorithm::WeightedRandom), "random(1)");
    }
}
