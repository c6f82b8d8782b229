//! `dockmaster loadtest` as a process: what each signal does, and what each
//! exit status means. Every target is a small server on 127.0.0.1:0 of this
//! test (or a port nobody listens on); every run is a few seconds at most and
//! is killed if it outlives its bound.

use crate::util::{stderr, write_scenario};
use dockmaster_loadgen::LoadtestReport;
use dockmaster_reports::Recording;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// 40 requests/s, evenly spaced, for a minute: a run only a signal ends.
const SCENARIO: &str = r#"
name = "interrupts"
duration = "60s"
seed = 3
window = "1s"
[cluster]
instance_type = "m5.large"
azs = ["a"]
[cluster.asg]
min = 1
max = 1
desired = 1
[[services]]
name = "web"
desired = 1
cpu = 256
memory = 256
concurrency = 1
service_time = { dist = "constant", value = "1ms" }
[load_balancer]
algorithm = "round_robin"
[traffic]
arrivals = "uniform"
profile = [ { at = "0s", rps = 40 } ]
"#;

/// An HTTP/1.1 server answering every request `delay` after reading it,
/// one thread per connection (the load test opens at most 64). Dropping it
/// stops it: its threads look at the flag every 10 ms.
struct SlowServer {
    addr: SocketAddr,
    done: Arc<AtomicBool>,
    accept: Option<std::thread::JoinHandle<()>>,
}

impl SlowServer {
    fn start(delay: Duration) -> SlowServer {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = l.local_addr().unwrap();
        let done = Arc::new(AtomicBool::new(false));
        let d = done.clone();
        let accept = std::thread::spawn(move || {
            for s in l.incoming() {
                if d.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(s) = s else { continue };
                let d = d.clone();
                std::thread::spawn(move || serve(s, delay, &d));
            }
        });
        SlowServer {
            addr,
            done,
            accept: Some(accept),
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

fn serve(mut s: TcpStream, delay: Duration, done: &AtomicBool) {
    let _ = s.set_read_timeout(Some(Duration::from_millis(10)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !done.load(Ordering::Relaxed) {
        match s.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => continue,
            Err(_) => return,
        }
        // A GET has no body: its end of headers ends the request.
        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            buf.drain(..end + 4);
            let until = Instant::now() + delay;
            while Instant::now() < until {
                if done.load(Ordering::Relaxed) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
            if s.write_all(ok).is_err() {
                return;
            }
        }
    }
}

impl Drop for SlowServer {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
        let _ = self.accept.take().map(|t| t.join());
    }
}

/// `dockmaster loadtest SCENARIO --target URL -o OUT -q ARGS`, stderr piped.
fn spawn_loadtest(dir: &Path, url: &str, out: &Path, args: &[&str]) -> Child {
    let file = write_scenario(dir, "interrupts.toml", SCENARIO);
    Command::new(env!("CARGO_BIN_EXE_dockmaster"))
        .args(["loadtest", file.to_str().unwrap(), "--target", url])
        .args(["-o", out.to_str().unwrap(), "-q", "--max-connections", "64"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dockmaster loadtest")
}

/// Waits for the child at most `secs`, killing it (and failing) after.
fn wait_bounded(mut child: Child, secs: u64) -> Output {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() >= deadline {
            let _ = child.kill();
            let o = child.wait_with_output().expect("wait");
            panic!("loadtest outlived {secs} s; stderr:\n{}", stderr(&o));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().expect("collect output")
}

/// Sends the signals in order from one shell, microseconds apart (distinct
/// signals, so the kernel cannot merge them into one).
fn signal(pid: u32, signals: &[&str]) {
    let script: Vec<String> = signals.iter().map(|s| format!("kill -{s} {pid}")).collect();
    let ok = Command::new("sh")
        .args(["-c", &script.join("; ")])
        .status()
        .expect("run sh");
    assert!(ok.success(), "{script:?}");
}

/// The recording in `out` is whole and accounts for every request offered.
fn whole_recording(out: &Path) -> (Recording, LoadtestReport) {
    let text = std::fs::read_to_string(out.join("summary.json")).expect("summary.json written");
    let _: serde_json::Value = serde_json::from_str(&text).expect("summary.json parses");
    let rec = Recording::read_dir(out).expect("the recording reads back whole");
    let report = LoadtestReport::read(out).expect("loadtest.json reads back");
    assert!(report.stopped_early);
    assert_eq!(
        rec.offered,
        rec.ok + rec.errors() + report.requests.unfinished,
        "offered = ok + errors + unfinished"
    );
    (rec, report)
}

#[test]
fn a_second_ctrl_c_stops_waiting_and_writes_at_once() {
    let server = SlowServer::start(Duration::from_secs(5));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let child = spawn_loadtest(dir.path(), &server.url(), &out, &[]);
    let pid = child.id();
    // 1.5 s at 40/s: ~60 requests sent, none answered (5 s each).
    std::thread::sleep(Duration::from_millis(1_500));
    signal(pid, &["INT"]);
    let first = Instant::now();
    std::thread::sleep(Duration::from_millis(300));
    signal(pid, &["INT"]);
    let o = wait_bounded(child, 10);
    let took = first.elapsed();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(130), "{err}");
    // Waiting out the drain would end 2 s after the first signal.
    assert!(
        took < Duration::from_millis(1_500),
        "exited {took:?} after the first signal"
    );
    let (rec, report) = whole_recording(&out);
    assert!(rec.offered >= 40, "offered {}", rec.offered);
    assert!(
        report.requests.unfinished > 0 && rec.ok == 0,
        "nothing could have been answered: unfinished {}, ok {}",
        report.requests.unfinished,
        rec.ok
    );
    let lines: Vec<&str> = err.lines().collect();
    let at = |needle: &str| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{err}"))
    };
    let one = at("stopping: no new requests, waiting up to 2s for ");
    assert!(
        lines[one].ends_with("in flight; Ctrl-C again to write now"),
        "{err}"
    );
    let two = at("writing what was measured (");
    assert!(one < two, "{err}");
    assert!(!err.contains("abandoned"), "{err}");
}

#[test]
fn a_sighup_drains_then_writes_like_the_first_ctrl_c() {
    let server = SlowServer::start(Duration::from_millis(300));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let child = spawn_loadtest(dir.path(), &server.url(), &out, &[]);
    std::thread::sleep(Duration::from_millis(1_500));
    signal(child.id(), &["HUP"]);
    let o = wait_bounded(child, 10);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(130), "{err}");
    let (rec, report) = whole_recording(&out);
    // 300 ms answers, 2 s of drain: everything sent was answered.
    assert_eq!(report.requests.unfinished, 0, "{err}");
    assert!(
        rec.ok >= 40 && rec.ok == rec.offered,
        "ok {} of {}",
        rec.ok,
        rec.offered
    );
    assert!(err.contains("stopping: no new requests"), "{err}");
    assert!(!err.contains("writing what was measured ("), "{err}");
}

#[test]
fn a_third_signal_abandons_and_writes_nothing() {
    let server = SlowServer::start(Duration::from_secs(5));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let child = spawn_loadtest(dir.path(), &server.url(), &out, &[]);
    std::thread::sleep(Duration::from_millis(1_500));
    signal(child.id(), &["INT", "TERM", "HUP"]);
    let o = wait_bounded(child, 10);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(137), "{err}");
    let last = err.lines().last().unwrap_or("");
    assert!(
        last.starts_with("abandoned: nothing written; the "),
        "{err}"
    );
    assert!(
        last.ends_with("requests sent are lost from the record"),
        "{err}"
    );
    assert!(
        !out.join("summary.json").exists(),
        "a recording was written"
    );
}

/// A loadtest that must end by itself quickly: its output.
fn loadtest_output(url: &str, args: &[&str]) -> (Output, bool) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let child = spawn_loadtest(dir.path(), url, &out, args);
    let o = wait_bounded(child, 15);
    (o, out.join("summary.json").exists())
}

#[test]
fn a_port_out_of_range_exits_2_before_sending() {
    let (o, wrote) = loadtest_output("http://127.0.0.1:99999", &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--target http://127.0.0.1:99999")
            && err.contains("port must be a number from 1 to 65535, not 99999"),
        "{err}"
    );
    assert!(!wrote);
}

#[test]
fn rate_scales_out_of_bounds_exit_2() {
    for scale in ["1e308", "0", "NaN", "30000"] {
        let (o, wrote) = loadtest_output("http://127.0.0.1:9", &["--rate-scale", scale]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "--rate-scale {scale}: {err}");
        assert!(err.contains("--rate-scale"), "{err}");
        assert!(!wrote, "--rate-scale {scale} wrote a recording");
    }
}

#[test]
fn a_target_that_never_accepts_exits_3_saying_so() {
    // Nothing listens on a port bound and released.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let (o, _) = loadtest_output(&url, &["--to", "1s", "--timeout", "1s"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains("the target never accepted a connection: all ")
            && err.contains(&format!("failed to connect to 127.0.0.1:{port}")),
        "{err}"
    );
}

#[test]
fn a_one_microsecond_window_exits_2_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_scenario(
        dir.path(),
        "w.toml",
        &SCENARIO.replace("window = \"1s\"", "window = \"1us\""),
    );
    let out = dir.path().join("out");
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_dockmaster"))
        .args([
            "loadtest",
            f.to_str().unwrap(),
            "--target",
            "http://127.0.0.1:9",
        ])
        .args(["-o", out.to_str().unwrap(), "-q", "--to", "2s"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let o = wait_bounded(child, 10);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("window"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}
