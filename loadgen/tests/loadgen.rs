//! The load generator against small loopback servers that misbehave on
//! purpose: errors by kind, a stop in the middle, a target too slow for the
//! schedule (no coordinated omission), the closed model. Each test is
//! bounded to a few seconds.

use bytes::Bytes;
use dockmaster_loadgen::{run, Level, Mode, Options};
use dockmaster_reports::ErrorKind;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;

/// One service `web`, `rps` uniform arrivals for `secs`, 1 s windows.
fn scenario(rps: u32, secs: u32) -> dockmaster_sim::Scenario {
    dockmaster_sim::scenario::parse(&scenario_text(rps, secs), std::path::Path::new("."))
        .expect("test scenario")
}

/// The text of [`scenario`].
fn scenario_text(rps: u32, secs: u32) -> String {
    format!(
        r#"
name = "loadgen-test"
duration = "{secs}s"
seed = 5
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
service_time = {{ dist = "constant", value = "1ms" }}
[load_balancer]
algorithm = "round_robin"
[traffic]
arrivals = "uniform"
profile = [ {{ at = "0s", rps = {rps} }} ]
"#
    )
}

#[derive(Clone, Copy)]
enum Behaviour {
    Status(u16),
    Sleep(Duration),
    /// Accept, read, never answer.
    Hang,
    /// Accept, read the request, close.
    Close,
    /// 200 for a request under `/web/`, 503 for any other path.
    WebOkOthers503,
}

/// A loopback server; it stops when the guard is dropped.
struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop.take().map(|s| s.send(()));
        let _ = self.thread.take().map(|t| t.join());
    }
}

fn serve(b: Behaviour) -> Server {
    let std_l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_l.set_nonblocking(true).unwrap();
    let addr = std_l.local_addr().unwrap();
    let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::from_std(std_l).unwrap();
            loop {
                let (mut s, _) = tokio::select! {
                    _ = &mut rx => return,
                    r = l.accept() => r.unwrap(),
                };
                tokio::spawn(async move {
                    match b {
                        Behaviour::Hang => {
                            let mut buf = [0u8; 1024];
                            while let Ok(n) = s.read(&mut buf).await {
                                if n == 0 {
                                    break;
                                }
                            }
                        }
                        Behaviour::Close => {
                            let mut buf = [0u8; 1024];
                            let _ = s.read(&mut buf).await;
                            drop(s);
                        }
                        Behaviour::Status(code) => {
                            let svc = service_fn(move |_req| async move {
                                let mut r =
                                    hyper::Response::new(Full::new(Bytes::from_static(b"x")));
                                *r.status_mut() = hyper::StatusCode::from_u16(code).unwrap();
                                Ok::<_, Infallible>(r)
                            });
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(TokioIo::new(s), svc)
                                .await;
                        }
                        Behaviour::WebOkOthers503 => {
                            let svc = service_fn(move |req: hyper::Request<_>| async move {
                                let mut r =
                                    hyper::Response::new(Full::new(Bytes::from_static(b"x")));
                                if !req.uri().path().starts_with("/web/") {
                                    *r.status_mut() = hyper::StatusCode::SERVICE_UNAVAILABLE;
                                }
                                Ok::<_, Infallible>(r)
                            });
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(TokioIo::new(s), svc)
                                .await;
                        }
                        Behaviour::Sleep(d) => {
                            let svc = service_fn(move |_req| async move {
                                tokio::time::sleep(d).await;
                                Ok::<_, Infallible>(hyper::Response::new(Full::new(
                                    Bytes::from_static(b"ok"),
                                )))
                            });
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(TokioIo::new(s), svc)
                                .await;
                        }
                    }
                });
            }
        });
    });
    Server {
        addr,
        stop: Some(tx),
        thread: Some(thread),
    }
}

fn opts(sc: dockmaster_sim::Scenario, addr: SocketAddr) -> Options {
    let mut o = Options::new(sc, format!("http://{addr}"));
    o.timeout = Duration::from_millis(300);
    o.threads = 2;
    o
}

fn errors(o: &dockmaster_loadgen::Outcome, k: ErrorKind) -> u64 {
    o.recording.errors_by_kind[&k]
}

#[test]
fn every_failure_has_its_kind() {
    // Nothing listens on a port we bound and released.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    // Uniform arrivals at k/40 s for k = 1..39: 39 requests in [0, 1 s).
    let o = run(opts(scenario(40, 1), closed)).unwrap();
    assert_eq!(o.recording.offered, 39);
    assert_eq!(
        errors(&o, ErrorKind::Connect),
        39,
        "{:?}",
        o.recording.errors_by_kind
    );
    let why = o.never_connected.as_deref().unwrap_or("");
    assert!(
        why.starts_with("the target never accepted a connection: all 39 requests")
            && why.contains(&closed.to_string())
            && why.contains("refused"),
        "{why:?}"
    );

    let s = serve(Behaviour::Hang);
    let o = run(opts(scenario(20, 1), s.addr)).unwrap();
    assert_eq!(
        errors(&o, ErrorKind::Timeout),
        19,
        "{:?}",
        o.recording.errors_by_kind
    );

    let s = serve(Behaviour::Close);
    let o = run(opts(scenario(20, 1), s.addr)).unwrap();
    assert_eq!(
        errors(&o, ErrorKind::Reset),
        19,
        "{:?}",
        o.recording.errors_by_kind
    );

    for (code, kind) in [
        (503, ErrorKind::Http503),
        (502, ErrorKind::Http502),
        (504, ErrorKind::Http504),
        (404, ErrorKind::HttpOther),
    ] {
        let s = serve(Behaviour::Status(code));
        let o = run(opts(scenario(20, 1), s.addr)).unwrap();
        assert_eq!(
            errors(&o, kind),
            19,
            "{code}: {:?}",
            o.recording.errors_by_kind
        );
        assert_eq!(o.recording.ok, 0);
    }
    let s = serve(Behaviour::Status(200));
    let o = run(opts(scenario(20, 1), s.addr)).unwrap();
    assert_eq!((o.recording.ok, o.recording.errors()), (19, 0));
    assert!(o.never_connected.is_none());
}

#[test]
fn a_stop_ends_sending_and_keeps_what_was_measured() {
    let s = serve(Behaviour::Sleep(Duration::from_millis(5)));
    let o = opts(scenario(100, 30), s.addr);
    let stop = o.stop.clone();
    let started = Instant::now();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1_500));
        stop.escalate();
    });
    let out = run(o).unwrap();
    stopper.join().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    let r = &out.report;
    assert!(r.stopped_early);
    let at = r.stopped_at_s.unwrap();
    assert!((1.3..2.0).contains(&at), "stopped at {at}");
    let rec = &out.recording;
    assert!((rec.meta.duration_s - at).abs() < 1e-3);
    assert_eq!(rec.windows.len(), 2, "windows up to the stop only");
    // Everything sent was answered within the drain period and recorded.
    assert!(
        rec.offered >= 130 && rec.offered <= 200,
        "offered {}",
        rec.offered
    );
    assert_eq!(rec.ok, rec.offered);
    assert!(
        rec.notes.iter().any(|n| n.contains("stopped early")),
        "{:?}",
        rec.notes
    );
}

/// One connection, 50 ms per answer, a request every 10 ms: the target
/// serves 20/s of the 100/s scheduled. Requests wait for the connection;
/// latency counts from their scheduled instant, so it grows by ~40 ms per
/// request sent — a closed-loop tool would report ~50 ms throughout.
#[test]
fn a_slow_target_cannot_hide_behind_the_generator() {
    let s = serve(Behaviour::Sleep(Duration::from_millis(50)));
    let mut o = opts(scenario(100, 1), s.addr);
    o.max_connections = 1;
    o.threads = 1;
    o.timeout = Duration::from_secs(10);
    let out = run(o).unwrap();
    let r = &out.report;
    let lat = out.recording.latency();
    assert_eq!(out.recording.ok, 99);
    let send_p99 = r.send_latency_ms.p99.unwrap();
    assert!(send_p99 < 80.0, "send-time p99 {send_p99}");
    // The last request is scheduled at 0.99 s and sent after the 98 before
    // it took 50 ms each: ~4.9 s − 0.99 s ≈ 3.9 s late.
    assert!(lat.max_ms > 3_500.0, "max latency {}", lat.max_ms);
    assert!(lat.p50_ms > 1_000.0, "p50 {}", lat.p50_ms);
    let lag = r.schedule_lag_ms.as_ref().unwrap();
    assert!(lag.p99.unwrap() > 3_000.0, "lag {lag:?}");
    assert!(r.connections.waited_for_connection > 0);
    assert!(r.rate.achieved_vs_scheduled.unwrap() < 0.5, "{:?}", r.rate);
    assert!(
        out.recording
            .notes
            .iter()
            .any(|n| n.contains("fell behind")),
        "{:?}",
        out.recording.notes
    );
}

#[test]
fn the_closed_model_keeps_n_connections_busy() {
    let s = serve(Behaviour::Sleep(Duration::from_millis(10)));
    let mut o = opts(scenario(1, 60), s.addr);
    o.mode = Mode::Closed {
        connections: 4,
        duration: Duration::from_secs(1),
    };
    let out = run(o).unwrap();
    let r = &out.report;
    assert_eq!(r.mode, "closed");
    assert_eq!(r.connections.opened, 4);
    // 4 connections × ~1 s / ~10 ms ≈ 400, minus timer slop.
    assert!(
        (200..=420).contains(&out.recording.ok),
        "ok {}",
        out.recording.ok
    );
    assert_eq!(out.recording.errors(), 0);
    assert_eq!(out.recording.windows.len(), 1);
    assert!(r.schedule_lag_ms.is_none());
}

#[test]
fn bad_options_are_refused_with_the_option_named() {
    let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let mut o = opts(scenario(10, 10), addr);
    o.mode = Mode::Open {
        rate_scale: 1.0,
        from: 5_000_000_000,
        to: Some(2_000_000_000),
    };
    let e = run(o).err().unwrap().to_string();
    assert!(e.contains("--from 5s") && e.contains("before --to"), "{e}");
    let mut o = opts(scenario(10, 10), addr);
    o.mode = Mode::Open {
        rate_scale: 0.0,
        from: 0,
        to: None,
    };
    let e = run(o).err().unwrap().to_string();
    assert!(e.contains("--rate-scale"), "{e}");
    let mut o = opts(scenario(10, 10), addr);
    o.target = "https://127.0.0.1:9".into();
    let e = run(o).err().unwrap().to_string();
    assert!(e.contains("https is not supported"), "{e}");
}

/// Runs `f` on a thread and waits at most `secs` for it: a regression that
/// makes a run endless fails the test instead of hanging it (the thread is
/// left behind; the test binary's exit ends it).
fn within<T: Send + 'static>(secs: u64, what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(secs))
        .unwrap_or_else(|_| panic!("{what} did not return within {secs} s"))
}

/// A listener with `listen(fd, 0)` that never calls accept, its one place
/// in the accept queue taken: the kernel drops every later SYN (see
/// client.rs), so a connect never completes.
fn full_backlog() -> (std::net::TcpListener, std::net::TcpStream) {
    use std::os::fd::AsRawFd;
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    // SAFETY: listen on a socket this function owns; changes its backlog.
    assert_eq!(unsafe { libc::listen(l.as_raw_fd(), 0) }, 0);
    let first =
        std::net::TcpStream::connect_timeout(&l.local_addr().unwrap(), Duration::from_secs(1))
            .expect("the first connection fits in the accept queue");
    // The queue is full now: a second connect must hang, not complete.
    let second =
        std::net::TcpStream::connect_timeout(&l.local_addr().unwrap(), Duration::from_millis(200));
    assert!(
        second.is_err(),
        "a second connection completed: the backlog is not full"
    );
    (l, first)
}

#[test]
fn a_server_that_never_accepts_is_a_connect_error() {
    let (l, _first) = full_backlog();
    let o = run(opts(scenario(20, 1), l.local_addr().unwrap())).unwrap();
    let kinds = &o.recording.errors_by_kind;
    assert_eq!(errors(&o, ErrorKind::Connect), 19, "{kinds:?}");
    assert_eq!(errors(&o, ErrorKind::Timeout), 0, "{kinds:?}");
    let why = o.never_connected.as_deref().unwrap_or("");
    assert!(
        why.contains("no answer to the TCP handshake within --timeout 300ms"),
        "{why:?}"
    );
}

#[test]
fn a_port_outside_1_to_65535_is_refused_before_anything_is_sent() {
    for url in [
        "http://127.0.0.1:99999",
        "http://127.0.0.1:0/x",
        "http://127.0.0.1:/",
    ] {
        let e = dockmaster_loadgen::Target::parse(url)
            .err()
            .unwrap_or_else(|| panic!("{url} was accepted"))
            .to_string();
        assert!(
            e.contains(url) && e.contains("port must be a number from 1 to 65535"),
            "{e}"
        );
    }
    let e = dockmaster_loadgen::Target::parse("http://:8080/")
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("host is missing"), "{e}");
    let t = dockmaster_loadgen::Target::parse("http://127.0.0.1:65535/a").unwrap();
    assert_eq!(t.addrs()[0].port(), 65535);
    assert_eq!(
        dockmaster_loadgen::Target::parse("http://[::1]:8081")
            .unwrap()
            .addrs()[0]
            .port(),
        8081
    );
}

#[test]
fn a_rate_scale_past_a_sane_peak_is_refused() {
    let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
    // 10 requests/s: 1e5 scales it to the limit, 1e308 far past it.
    for (scale, ok) in [(1e308, false), (2e5, false), (1e5, true)] {
        let mut o = opts(scenario(10, 1), addr);
        o.mode = Mode::Open {
            rate_scale: scale,
            from: 0,
            to: Some(1_000_000),
        };
        let what = format!("a run at --rate-scale {scale:e}");
        let r = within(20, &what, move || run(o).map(|o| o.recording.offered));
        match r {
            Ok(offered) => {
                assert!(ok, "--rate-scale {scale} was accepted");
                // 1 ms of 1,000,000/s: 1,000 requests, never past --to.
                assert!(offered <= 1_000, "offered {offered}");
            }
            Err(e) => {
                let e = e.to_string();
                assert!(!ok, "--rate-scale {scale}: {e}");
                assert!(
                    e.contains("--rate-scale") && e.contains("at most 1,000,000 requests/s"),
                    "{e}"
                );
            }
        }
    }
}

#[test]
fn a_window_too_short_to_record_is_refused_at_once() {
    // Set after parsing: the scenario's validation may or may not refuse a
    // 1 µs window; the generator must not rely on it.
    let mut sc = scenario(20, 2);
    sc.window = 1_000;
    let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let o = opts(sc, addr);
    let e = within(5, "a run with 1 µs windows", move || {
        run(o).err().map(|e| e.to_string())
    });
    let e = e.expect("a 1 µs window over 2 s was accepted");
    assert!(
        e.contains("window 1us") && e.contains("make 2,000,000"),
        "{e}"
    );
    assert!(e.contains("at most 100,000"), "{e}");
}

#[test]
fn a_second_stop_writes_without_waiting_for_the_drain() {
    // Answers take 5 s: at the stop everything sent is still in flight.
    let s = serve(Behaviour::Sleep(Duration::from_secs(5)));
    let mut o = opts(scenario(40, 30), s.addr);
    o.timeout = Duration::from_secs(20);
    o.drain = Duration::from_secs(3);
    let stop = o.stop.clone();
    let started = Instant::now();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1_000));
        assert_eq!(stop.escalate(), Level::Drain);
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(stop.escalate(), Level::WriteNow);
    });
    let out = within(10, "a run stopped twice", move || run(o).unwrap());
    stopper.join().unwrap();
    // The drain alone would last until 4 s.
    let took = started.elapsed();
    assert!(took < Duration::from_millis(2_300), "took {took:?}");
    let (rec, r) = (&out.recording, &out.report);
    assert!(r.stopped_early);
    assert!(
        r.requests.unfinished >= 30,
        "unfinished {}",
        r.requests.unfinished
    );
    assert_eq!(rec.offered, rec.ok + rec.errors() + r.requests.unfinished);
    assert_eq!(rec.ok, 0);
}

#[test]
fn a_stop_is_seen_promptly_with_the_most_windows_a_run_may_have() {
    // 10 s in windows of 100 µs: 100,000 windows, the most allowed.
    let s = serve(Behaviour::Status(200));
    let mut sc = scenario(50, 10);
    sc.window = 100_000;
    let o = opts(sc, s.addr);
    let stop = o.stop.clone();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(700));
        stop.escalate();
        Instant::now()
    });
    let out = within(10, "a run of 100,000 windows", move || run(o).unwrap());
    let stopped = stopper.join().unwrap();
    let after = stopped.elapsed();
    assert!(
        after < Duration::from_secs(3),
        "returned {after:?} after the stop"
    );
    let rec = &out.recording;
    // Windows up to the stop only, every request in them.
    assert!(
        (5_000..8_000).contains(&rec.windows.len()),
        "{} windows",
        rec.windows.len()
    );
    assert!(
        rec.ok >= 25 && rec.ok == rec.offered,
        "ok {} of {}",
        rec.ok,
        rec.offered
    );
}

/// Every request is counted under the service it went to: a server that
/// answers by path (`/web/` 200, `/api/` 503) sees the generator's
/// per-service counts come back as its own, and they add up to the fleet's.
#[test]
fn each_service_is_recorded_under_its_own_name() {
    // web (from the other tests' scenario) and api, 70/30, Poisson.
    let text = scenario_text(150, 2).replace(
        "arrivals = \"uniform\"",
        "arrivals = \"poisson\"\n\
         mix = [ { service = \"web\", weight = 0.7 }, { service = \"api\", weight = 0.3 } ]",
    )
        + "[[services]]\nname = \"api\"\ndesired = 1\ncpu = 256\nmemory = 256\nconcurrency = 4\n\
         service_time = { dist = \"constant\", value = \"1ms\" }\n";
    let sc = dockmaster_sim::scenario::parse(&text, std::path::Path::new(".")).expect("scenario");
    // What the schedule sends to each service, from the simulator's own
    // arrival generator (the same seed).
    let mut want = [0u64; 2];
    for j in dockmaster_loadgen::schedule::Schedule::new(&sc, sc.seed, 1.0, 0, sc.duration) {
        want[j.service as usize] += 1;
    }
    assert!(want[0] > 100 && want[1] > 40, "{want:?}");
    let s = serve(Behaviour::WebOkOthers503);
    let o = run(opts(sc, s.addr)).unwrap();
    let r = &o.recording;
    let names: Vec<&str> = r.meta.services.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["web", "api"]);
    let (web, api) = (&r.services[0], &r.services[1]);
    assert_eq!((web.offered, api.offered), (want[0], want[1]));
    assert_eq!((web.ok, web.errors()), (want[0], 0));
    assert_eq!((api.ok, api.errors()), (0, want[1]));
    assert_eq!(api.errors_by_kind[&ErrorKind::Http503], want[1]);
    assert_eq!(r.offered, web.offered + api.offered);
    assert_eq!((r.ok, r.errors()), (want[0], want[1]));
    // Window by window, too.
    for w in &r.windows {
        assert_eq!(w.offered, w.services.iter().map(|s| s.offered).sum::<u64>());
        assert_eq!(w.ok, w.services.iter().map(|s| s.ok).sum::<u64>());
        assert_eq!(
            w.errors_total(),
            w.services.iter().map(|s| s.errors).sum::<u64>()
        );
        assert_eq!(w.services[1].ok, 0);
    }
}
