//! Nothing lost, nothing mixed: a recording folder holds one run, whole,
//! whatever writes into it at the same time, whatever interrupts it, and
//! the readers refuse folders that hold two runs. Each test reproduces a
//! defect of issue 10 (it failed before staging folders and run ids).

use crate::util::{dockmaster, scenario, simulate_quietly, stderr, stdout, write_scenario};
use dockmaster_reports::{Recording, RunId};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Every file of a folder, relative path → bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

/// Hidden entries beside a folder: staging folders left behind.
fn hidden_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

/// The run id each file of a recording carries, as the reader parses it.
fn run_ids(dir: &Path) -> Vec<(&'static str, Option<String>)> {
    let summary = Recording::read_run_id(dir)
        .unwrap()
        .map(|id| id.to_string());
    let mut ids = vec![("summary.json", summary)];
    for f in ["timeseries.csv", "latency.hlog", "events.csv"] {
        let bytes = std::fs::read(dir.join(f)).unwrap_or_default();
        ids.push((f, RunId::from_comments(&bytes).map(|id| id.to_string())));
    }
    ids
}

/// A long `simulate` without a terminal (a CI log): it says up front how
/// long it will take from its own pace, and shows progress every few
/// seconds. Ctrl-C then: exit 130, a line saying so, the old recording
/// byte for byte as it was, no staging folder left.
#[test]
fn a_long_simulation_says_so_and_ctrl_c_leaves_the_old_recording() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    simulate_quietly(&scenario("steady.toml"), &out, &[]);
    let before = snapshot(&out);
    // 400 replications of a 2-hour flash sale: about 3 s each on one
    // core, so well over ten minutes on this machine.
    let mut child = Command::new(env!("CARGO_BIN_EXE_dockmaster"))
        .args(["simulate", scenario("flash-sale.toml").to_str().unwrap()])
        .args(["-o", out.to_str().unwrap(), "--replications", "400"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = BufReader::new(child.stderr.take().unwrap());
    let lines = std::thread::spawn(move || {
        for l in reader.lines().map_while(Result::ok) {
            let _ = tx.send(l.clone());
        }
    });
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(200)) {
            seen.push(l);
        }
        let note = seen.iter().any(|l| l.contains("will take about"));
        let progress = seen
            .iter()
            .any(|l| l.starts_with("simulating flash-sale: "));
        if note && progress {
            break;
        }
    }
    let sent = Instant::now();
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    let answered = sent.elapsed();
    lines.join().unwrap();
    seen.extend(rx.try_iter());
    let log = seen.join("\n");
    assert!(
        seen.iter()
            .any(|l| l.contains("will take about") && l.contains("minutes")),
        "no up-front word on a long run:\n{log}"
    );
    assert!(
        seen.iter()
            .any(|l| l.starts_with("simulating flash-sale: ") && l.contains("% after")),
        "no progress line without a terminal:\n{log}"
    );
    assert_eq!(status.code(), Some(130), "{log}");
    assert!(
        log.contains("interrupted: nothing written") && log.contains("left as it was"),
        "{log}"
    );
    assert!(
        answered < Duration::from_secs(5),
        "took {answered:?} to stop"
    );
    assert_eq!(snapshot(&out), before, "the old recording changed");
    assert!(
        hidden_in(dir.path()).is_empty(),
        "{:?}",
        hidden_in(dir.path())
    );
}

/// Two simulations of different scenarios into one folder, again and
/// again, while this test reads the folder as `report` would: every read
/// sees one run whole (before: mixed files in 17 of 60 tries, once an
/// unparsable latency.hlog), and the folder ends holding one of the two.
#[test]
fn concurrent_simulations_into_one_folder_leave_one_whole_recording() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let a = scenario("steady.toml");
    let b = scenario("mmc.toml");
    let done = std::sync::atomic::AtomicBool::new(false);
    let mut reads = 0;
    std::thread::scope(|s| {
        let writers: Vec<_> = [&a, &b]
            .into_iter()
            .map(|file| {
                let out = &out;
                s.spawn(move || {
                    for _ in 0..6 {
                        simulate_quietly(file, out, &[]);
                    }
                })
            })
            .collect();
        s.spawn(|| {
            for w in writers {
                w.join().unwrap();
            }
            done.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        while !done.load(std::sync::atomic::Ordering::Relaxed) {
            if !out.join("summary.json").exists() {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            }
            let rec = Recording::read_dir(&out)
                .unwrap_or_else(|e| panic!("a reader saw a broken folder: {e}"));
            assert!(
                ["steady", "mmc"].contains(&rec.meta.scenario.as_str()),
                "{}",
                rec.meta.scenario
            );
            reads += 1;
        }
    });
    assert!(reads > 0);
    let ids = run_ids(&out);
    assert!(
        ids.iter().all(|(_, id)| id.is_some() && id == &ids[0].1),
        "{ids:?}"
    );
    let o = dockmaster(&["report", out.to_str().unwrap(), "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        hidden_in(dir.path()).is_empty(),
        "{:?}",
        hidden_in(dir.path())
    );
}

/// An events.csv of another run in a recording folder (before: shown in
/// the report as "0:05 fail instance i-0001", which never happened):
/// `report` and `compare` refuse the folder and name the file.
#[test]
fn a_file_of_another_run_is_refused_by_report_and_compare() {
    let dir = tempfile::tempdir().unwrap();
    let (x, y) = (dir.path().join("x"), dir.path().join("y"));
    simulate_quietly(&scenario("steady.toml"), &x, &[]);
    simulate_quietly(&scenario("flash-sale.toml"), &y, &[]);
    std::fs::copy(y.join("events.csv"), x.join("events.csv")).unwrap();
    let before = snapshot(&x);

    let o = dockmaster(&["report", x.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("different runs") && err.contains("events.csv"),
        "{err}"
    );
    assert_eq!(snapshot(&x), before, "report changed a refused folder");

    let cmp = dir.path().join("cmp");
    let o = dockmaster(&[
        "compare",
        x.to_str().unwrap(),
        x.to_str().unwrap(),
        "-o",
        cmp.to_str().unwrap(),
        "--check",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("events.csv"), "{}", stderr(&o));
    assert!(!cmp.exists());
}

/// A recording written before run ids (none of its files carries one)
/// still reads and renders; one file of it swapped for a new one does not.
#[test]
fn recordings_older_than_run_ids_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("old");
    simulate_quietly(&scenario("steady.toml"), &out, &[]);
    let fresh = snapshot(&out);
    for f in ["timeseries.csv", "latency.hlog", "events.csv"] {
        let text = std::fs::read_to_string(out.join(f)).unwrap();
        let (first, rest) = text.split_once('\n').unwrap();
        assert!(first.contains("run_id="), "{f}: {first}");
        std::fs::write(out.join(f), rest).unwrap();
    }
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    let stripped: String = summary
        .lines()
        .filter(|l| !l.contains("\"run_id\""))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(out.join("summary.json"), stripped).unwrap();
    let o = dockmaster(&["report", out.to_str().unwrap(), "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));

    let (name, bytes) = fresh
        .iter()
        .find(|(p, _)| p == Path::new("timeseries.csv"))
        .unwrap();
    std::fs::write(out.join(name), bytes).unwrap();
    let o = dockmaster(&["report", out.to_str().unwrap(), "-q"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("summary.json carries no run id, timeseries.csv is from run"),
        "{}",
        stderr(&o)
    );
}

/// `-o` naming a folder of the user's: refused before the run, untouched.
#[test]
fn a_folder_that_is_not_a_recording_is_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    std::fs::write(home.join("thesis.tex"), "years of work").unwrap();
    let o = dockmaster(&[
        "simulate",
        scenario("steady.toml").to_str().unwrap(),
        "-o",
        home.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("no dockmaster recording"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_to_string(home.join("thesis.tex")).unwrap(),
        "years of work"
    );
    assert_eq!(std::fs::read_dir(&home).unwrap().count(), 1);
}

/// Writing fails for the environment's reasons: exit 3, not 2 ("bad
/// input" when the input was fine), and the old recording survives a
/// full disk whole.
#[test]
fn a_write_that_fails_exits_3_and_keeps_the_old_recording() {
    let o = dockmaster(&[
        "simulate",
        scenario("steady.toml").to_str().unwrap(),
        "-o",
        "/proc/dockmaster-cannot-be-here",
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));

    // A real full disk: a 2 MiB tmpfs (needs root, as the CPU tests do);
    // mmc's recording takes about 1.5 MiB of it.
    let dir = tempfile::tempdir().unwrap();
    let disk = dir.path().join("disk");
    std::fs::create_dir(&disk).unwrap();
    let mounted = Command::new("mount")
        .args([
            "-t",
            "tmpfs",
            "-o",
            "size=2m",
            "tmpfs",
            disk.to_str().unwrap(),
        ])
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("note: cannot mount a tmpfs here (not root?): the full-disk half is not run");
        return;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(&disk);
    let out = disk.join("out");
    simulate_quietly(&scenario("mmc.toml"), &out, &[]);
    let before = snapshot(&out);
    // flash-sale's recording needs over 2 MiB, well over the ~0.5 MiB left.
    let o = dockmaster(&[
        "simulate",
        scenario("flash-sale.toml").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("No space left"), "{}", stderr(&o));
    assert_eq!(snapshot(&out), before, "the old recording changed");
    assert!(hidden_in(&disk).is_empty(), "{:?}", hidden_in(&disk));
}

/// `compare --check` of recordings of different runs (before: PASS, exit
/// 0, one note): refused with exit 2 naming what differs; with
/// --allow-different it compares and every output says so first.
#[test]
fn compare_refuses_recordings_that_are_not_like_with_like() {
    let dir = tempfile::tempdir().unwrap();
    let path = |n: &str| dir.path().join(n);
    let base = std::fs::read_to_string(scenario("steady.toml")).unwrap();
    simulate_quietly(&scenario("steady.toml"), &path("a"), &[]);

    // A comment and key order do not make a different scenario.
    let commented = write_scenario(dir.path(), "commented.toml", &format!("# mine\n{base}"));
    simulate_quietly(&commented, &path("a2"), &[]);
    let cmp = path("cmp").display().to_string();
    let c = |x: &str, y: &str, extra: &[&str]| {
        let mut args = vec!["compare", x, y, "-o", &cmp, "--check"];
        args.extend_from_slice(extra);
        dockmaster(&args)
    };
    let s = |n: &str| path(n).display().to_string();
    let o = c(&s("a"), &s("a2"), &[]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(!stdout(&o).contains("NOT LIKE WITH LIKE"), "{}", stdout(&o));
    std::fs::remove_dir_all(path("cmp")).unwrap();

    // Another seed.
    simulate_quietly(&scenario("steady.toml"), &path("b"), &["--seed", "8"]);
    let o = c(&s("a"), &s("b"), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the seeds differ (sim 7, measured 8)"),
        "{}",
        stderr(&o)
    );

    // Another instance type and window length.
    let other = base
        .replace(
            "instance_type = \"m5.large\"",
            "instance_type = \"c5.xlarge\"",
        )
        .replace("window = \"10s\"", "window = \"60s\"");
    assert_ne!(other, base, "steady.toml changed: edit this test");
    let other = write_scenario(dir.path(), "other.toml", &other);
    simulate_quietly(&other, &path("o"), &[]);
    let o = c(&s("a"), &s("o"), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("cluster.instance_type: sim \"m5.large\", measured \"c5.xlarge\""),
        "{err}"
    );
    assert!(
        err.contains("window lengths differ (sim 10 s, measured 60 s)"),
        "{err}"
    );
    assert!(
        err.contains("--allow-different") && !path("cmp").exists(),
        "{err}"
    );

    let o = c(&s("a"), &s("o"), &["--allow-different"]);
    assert_ne!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stdout(&o).contains("NOT LIKE WITH LIKE"), "{}", stdout(&o));
    let html = std::fs::read_to_string(path("cmp").join("comparison.html")).unwrap();
    let json = std::fs::read_to_string(path("cmp").join("comparison.json")).unwrap();
    assert!(
        html.contains("Not like with like"),
        "comparison.html says nothing"
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["differences"].as_array().map(Vec::len), Some(2), "{json}");
}

/// A latency.hlog cut short mid-line (before: `unparsable interval log:
/// ParseError { offset: 131866 }`, a debug dump): the message names the
/// file and the line, in words.
#[test]
fn a_truncated_latency_log_is_named_by_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    simulate_quietly(&scenario("steady.toml"), &out, &[]);
    let hlog = std::fs::read(out.join("latency.hlog")).unwrap();
    let cut = hlog.len() * 2 / 3;
    std::fs::write(out.join("latency.hlog"), &hlog[..cut]).unwrap();
    let line = 1 + hlog[..cut].iter().filter(|&&b| b == b'\n').count();
    let o = dockmaster(&["report", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("latency.hlog")
            && err.contains(&format!("line {line} is not an interval-log line")),
        "{err}"
    );
    assert!(!err.contains("ParseError") && !err.contains('{'), "{err}");
}
