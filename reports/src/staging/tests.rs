use super::*;
use std::fs;

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, body) in files {
        let p = dir.join(name);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, body).unwrap();
    }
}

fn read(dir: &Path, name: &str) -> Option<String> {
    fs::read_to_string(dir.join(name)).ok()
}

/// Hidden entries beside `dir` (staging folders left behind).
fn leftovers(parent: &Path) -> Vec<String> {
    fs::read_dir(parent)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

#[test]
fn a_new_folder_appears_whole_at_commit_and_not_before() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("a/b/out");
    let s = Staging::begin(&out, Writes::Recording).unwrap();
    write(
        s.path(),
        &[("summary.json", "new"), ("timeseries.csv", "new")],
    );
    assert!(!out.exists(), "nothing at the target before the commit");
    s.commit().unwrap();
    assert_eq!(read(&out, "summary.json").as_deref(), Some("new"));
    assert_eq!(read(&out, "timeseries.csv").as_deref(), Some("new"));
    assert!(leftovers(out.parent().unwrap()).is_empty());
}

#[test]
fn a_recording_replaces_every_dockmaster_file_and_keeps_the_users() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("out");
    write(
        &out,
        &[
            ("summary.json", "old"),
            ("events.csv", "old simulation's events"),
            ("charts/latency.svg", "old"),
            ("charts/mine.svg", "user's chart"),
            ("notes.txt", "user's notes"),
            ("extra/deep.txt", "user's folder"),
        ],
    );
    let s = Staging::begin(&out, Writes::Recording).unwrap();
    write(
        s.path(),
        &[("summary.json", "new"), ("charts/latency.svg", "new")],
    );
    s.commit().unwrap();
    assert_eq!(read(&out, "summary.json").as_deref(), Some("new"));
    assert_eq!(read(&out, "charts/latency.svg").as_deref(), Some("new"));
    assert_eq!(
        read(&out, "events.csv"),
        None,
        "a stale events.csv is not carried over"
    );
    assert_eq!(
        read(&out, "charts/mine.svg").as_deref(),
        Some("user's chart")
    );
    assert_eq!(read(&out, "notes.txt").as_deref(), Some("user's notes"));
    assert_eq!(
        read(&out, "extra/deep.txt").as_deref(),
        Some("user's folder")
    );
    assert!(
        leftovers(root.path()).is_empty(),
        "{:?}",
        leftovers(root.path())
    );
}

#[test]
fn a_report_keeps_the_recording_files_and_replaces_its_own() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("out");
    write(
        &out,
        &[
            ("summary.json", "data"),
            ("loadtest.json", "data"),
            ("report.html", "old"),
            ("charts/latency.svg", "old"),
            ("charts/capacity.svg", "stale"),
        ],
    );
    let s = Staging::begin(&out, Writes::Report).unwrap();
    write(
        s.path(),
        &[("report.html", "new"), ("charts/latency.svg", "new")],
    );
    s.commit().unwrap();
    assert_eq!(read(&out, "summary.json").as_deref(), Some("data"));
    assert_eq!(read(&out, "loadtest.json").as_deref(), Some("data"));
    assert_eq!(read(&out, "report.html").as_deref(), Some("new"));
    assert_eq!(read(&out, "charts/latency.svg").as_deref(), Some("new"));
    assert_eq!(
        read(&out, "charts/capacity.svg"),
        None,
        "a chart not drawn again goes"
    );
}

#[test]
fn an_abandoned_or_refused_write_leaves_the_folder_as_it_was() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("out");
    write(&out, &[("summary.json", "old"), ("latency.hlog", "old")]);
    let s = Staging::begin(&out, Writes::Recording).unwrap();
    write(s.path(), &[("summary.json", "half")]);
    drop(s);
    assert_eq!(read(&out, "summary.json").as_deref(), Some("old"));
    assert_eq!(read(&out, "latency.hlog").as_deref(), Some("old"));
    assert!(leftovers(root.path()).is_empty());

    let s = Staging::begin(&out, Writes::Recording).unwrap();
    write(s.path(), &[("summary.json", "new")]);
    let err = s
        .commit_checked(|_| {
            Err(ReportError::Format {
                path: "x".into(),
                detail: "changed meanwhile".into(),
            })
        })
        .unwrap_err();
    assert!(err.to_string().contains("changed meanwhile"));
    assert_eq!(read(&out, "summary.json").as_deref(), Some("old"));
    assert!(leftovers(root.path()).is_empty());
}

#[test]
fn folders_that_are_not_ours_are_refused_before_anything_is_written() {
    let root = tempfile::tempdir().unwrap();
    let home = root.path().join("home");
    write(&home, &[("thesis.tex", "years of work")]);
    let err = Staging::begin(&home, Writes::Recording)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no dockmaster recording"), "{err}");
    assert!(err.contains("home"), "{err}");
    assert_eq!(read(&home, "thesis.tex").as_deref(), Some("years of work"));

    let file = root.path().join("file");
    fs::write(&file, "x").unwrap();
    let err = Staging::begin(&file, Writes::Recording)
        .unwrap_err()
        .to_string();
    assert!(err.contains("is a file"), "{err}");

    let link = root.path().join("link");
    std::os::unix::fs::symlink(&home, &link).unwrap();
    let err = Staging::begin(&link, Writes::Recording)
        .unwrap_err()
        .to_string();
    assert!(err.contains("symbolic link"), "{err}");

    // A recording and a comparison never replace each other (`compare -o`
    // naming one of its own inputs would delete it).
    let rec = root.path().join("rec");
    write(&rec, &[("summary.json", "{}")]);
    let err = Staging::begin(&rec, Writes::Comparison)
        .unwrap_err()
        .to_string();
    assert!(err.contains("holds a recording"), "{err}");
    let cmp = root.path().join("cmp");
    write(&cmp, &[("comparison.json", "{}")]);
    let err = Staging::begin(&cmp, Writes::Recording)
        .unwrap_err()
        .to_string();
    assert!(err.contains("holds a comparison"), "{err}");
    drop(Staging::begin(&rec, Writes::Recording).unwrap());
    drop(Staging::begin(&cmp, Writes::Comparison).unwrap());

    // An empty folder is fine, and `.`-style paths name the folder itself.
    let empty = root.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let s = Staging::begin(&empty.join("."), Writes::Recording).unwrap();
    assert_eq!(s.target(), empty);
    assert_eq!(leftovers(root.path()).len(), 1);
}

#[test]
fn staging_folders_of_dead_processes_are_removed() {
    let root = tempfile::tempdir().unwrap();
    // pid 4194305 is above Linux's pid_max limit (2^22): never alive.
    let dead = root.path().join(".out.dockmaster-new-4194305-0");
    write(&dead, &[("summary.json", "half")]);
    let ours = root
        .path()
        .join(format!(".out.dockmaster-new-{}-99", std::process::id()));
    fs::create_dir(&ours).unwrap();
    let other = root.path().join(".other.dockmaster-new-4194305-0");
    fs::create_dir(&other).unwrap();
    let s = Staging::begin(&root.path().join("out"), Writes::Recording).unwrap();
    assert!(!dead.exists());
    assert!(ours.exists(), "a live process's staging folder is kept");
    assert!(
        other.exists(),
        "another target's staging folder is not ours to judge"
    );
    drop(s);
}

/// Two writers swap whole recordings into one folder while a reader reads
/// it file by file through a directory handle taken once per look: each
/// look sees one writer's files, never a mix. (Reading by path could mix
/// across a swap between two reads; the run id in every file catches that,
/// tested with the recording format.)
#[test]
fn concurrent_writers_leave_one_whole_folder() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("out");
    let names = [
        "summary.json",
        "timeseries.csv",
        "latency.hlog",
        "charts/latency.svg",
    ];
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        for w in 0..2 {
            let (out, stop) = (&out, &stop);
            scope.spawn(move || {
                for i in 0..200 {
                    let s = Staging::begin(out, Writes::Recording).unwrap();
                    let tag = format!("writer {w} run {i}");
                    for n in names {
                        write(s.path(), &[(n, &tag)]);
                    }
                    s.commit().unwrap();
                }
                stop.store(true, Ordering::Relaxed);
            });
        }
        let mut looks = 0;
        while !stop.load(Ordering::Relaxed) {
            // Opening the folder once and reading relative to it pins one
            // inode: the atomicity is that of the swap itself.
            let Ok(dir) = fs::File::open(&out) else {
                continue;
            };
            use std::os::fd::AsRawFd;
            let base = PathBuf::from(format!("/proc/self/fd/{}", dir.as_raw_fd()));
            let seen: Vec<Option<String>> = names.iter().map(|n| read(&base, n)).collect();
            // A handle taken just before a swap points at the old folder,
            // which its writer then empties: files may be missing, but the
            // ones there are all one run's.
            let mut present: Vec<&String> = seen.iter().flatten().collect();
            present.dedup();
            assert!(present.len() <= 1, "a mixed folder: {seen:?}");
            looks += 1;
        }
        assert!(looks > 0);
    });
    let last = read(&out, "summary.json").unwrap();
    for n in names {
        assert_eq!(read(&out, n).unwrap(), last);
    }
    assert!(
        leftovers(root.path()).is_empty(),
        "{:?}",
        leftovers(root.path())
    );
}
