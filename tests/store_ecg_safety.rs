//! The import folder is safe to run as root from cron (`store-ecg --import-dir`): no write
//! through a planted symbolic link (lock, journal, <name>.error.txt, archive, --out), file names
//! with control characters cannot add lines to stderr, the table, the notes or the journal, a
//! file that cannot be archived, erased or moved to the failed folder does not stall the others
//! (and is not sent again), the lock is an OS lock that stale files never hold; and
//! --mortara-compat's cut is noted and is another object (another SOP Instance UID).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::folder::{distinct_scp_copies, names, store_folder};
use common::pacs::{Pacs, free_port};
use common::{csv_records as csv_rows, dicomkit, sample};

/// An address where no PACS listens (the folder mode needs --pacs; these runs send nothing).
fn nobody() -> String {
    format!("NOBODY@127.0.0.1:{}", free_port())
}

/// Every entry under `dir` (recursively), links included; what a run must not have created.
fn all_entries(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                todo.push(e.path());
            }
            out.push(e.path());
        }
    }
    out.sort();
    out
}

#[test]
fn import_folder_lock_is_an_os_lock_that_stale_files_never_hold() {
    let root = tempfile::tempdir().unwrap();
    let inbox = root.path().join("in");
    std::fs::create_dir_all(&inbox).unwrap();
    let lock = inbox.join(".dicomkit-store-ecg.lock");
    // A lock file left behind holding the PID of a live, unrelated process (init): runs.
    std::fs::write(&lock, "1\n").unwrap();
    let out = store_folder(&nobody(), &inbox, &["--erase-on-success"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        lock.exists(),
        "the lock file is left (deleting it would race)"
    );
    // Another run holding the OS lock: refused, exit 2.
    let held = std::fs::File::open(&lock).unwrap();
    held.try_lock().unwrap();
    let out = store_folder(&nobody(), &inbox, &["--erase-on-success"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("another dicomkit is importing this folder"),
        "{err}"
    );
    // The `flock` tool's lock is the same lock.
    drop(held);
    // --no-fork: the process killed below is the one holding the lock.
    let mut holder = Command::new("flock")
        .arg("--no-fork")
        .arg(&lock)
        .args(["sleep", "30"])
        .spawn()
        .expect("flock (util-linux)");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let code = loop {
        let code = store_folder(&nobody(), &inbox, &["--erase-on-success"])
            .status
            .code();
        if code == Some(2) || std::time::Instant::now() > deadline {
            break code;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert_eq!(code, Some(2), "a lock held by flock(1) refuses the run");
    // Released: runs again.
    let out = store_folder(&nobody(), &inbox, &["--erase-on-success"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn import_folder_refuses_a_planted_link_at_the_lock_or_the_journal() {
    let root = tempfile::tempdir().unwrap();
    let (inbox, outside) = (root.path().join("in"), root.path().join("outside"));
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(inbox.join("garbage.scp"), b"not an ECG").unwrap();
    let victim = outside.join("victim.txt");
    std::fs::write(&victim, "keep\n").unwrap();
    let journal = inbox.join(".dicomkit-store-ecg.journal.ndjson");
    let lock = inbox.join(".dicomkit-store-ecg.lock");
    let failed = root.path().join("failed");
    let args = [
        "--erase-on-success",
        "--failed-dir",
        failed.to_str().unwrap(),
    ];
    let check = |out: std::process::Output, what: &str| {
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(6), "{err}");
        assert!(err.contains(&format!("{what} is a symbolic link")), "{err}");
        // Nothing happened: the file is where it was, nothing was created or appended outside.
        assert!(inbox.join("garbage.scp").exists() && !failed.exists());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep\n");
        assert_eq!(all_entries(&outside), vec![victim.clone()]);
    };
    // The journal's path is a link to an existing file, then to a file not there yet.
    for target in [victim.clone(), outside.join("new.txt")] {
        std::os::unix::fs::symlink(&target, &journal).unwrap();
        check(store_folder(&nobody(), &inbox, &args), "journal");
        std::fs::remove_file(&journal).unwrap();
    }
    // The same with --journal FILE.
    let other = root.path().join("j.ndjson");
    std::os::unix::fs::symlink(outside.join("new.txt"), &other).unwrap();
    let mut with_journal = args.to_vec();
    with_journal.extend(["--journal", other.to_str().unwrap()]);
    check(store_folder(&nobody(), &inbox, &with_journal), "journal");
    // The lock's path is a link (to a file there, and to one not there).
    for target in [victim.clone(), outside.join("lock")] {
        let _ = std::fs::remove_file(&lock);
        std::os::unix::fs::symlink(&target, &lock).unwrap();
        check(store_folder(&nobody(), &inbox, &args), "lock file");
    }
}

#[test]
fn import_folder_escapes_control_characters_of_file_names() {
    let root = tempfile::tempdir().unwrap();
    let (inbox, failed) = (root.path().join("in"), root.path().join("failed"));
    std::fs::create_dir_all(&inbox).unwrap();
    let names = ["a\nb.scp", "c\u{1b}[2Jd.scp"];
    for n in names {
        std::fs::write(inbox.join(n), b"\x00\x01 not an ECG").unwrap();
    }
    let out = dicomkit()
        .args(["store-ecg", "--format", "table", "--pacs", &nobody()])
        .args(["--settle", "0", "--erase-on-success", "--import-dir"])
        .arg(&inbox)
        .arg("--failed-dir")
        .arg(&failed)
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    // stderr: one line per file, each a dicomkit line; the names escaped.
    assert_eq!(
        stderr.lines().count(),
        3,
        "two files and the summary: {stderr}"
    );
    assert!(
        stderr.lines().all(|l| l.starts_with("dicomkit: ")),
        "{stderr}"
    );
    assert!(stderr.contains("a\\nb.scp") && stderr.contains("c\\u{1b}[2Jd.scp"));
    assert!(!stderr.contains('\u{1b}'));
    // The table: no raw escape, no line made by a name.
    assert!(
        stdout.contains("a\\nb.scp") && !stdout.contains('\u{1b}'),
        "{stdout}"
    );
    assert!(!stdout.lines().any(|l| l.starts_with("b.scp")), "{stdout}");
    // <name>.error.txt: two lines (path, reason), the name escaped.
    for n in names {
        assert!(failed.join(n).exists(), "{n:?} moved to the failed folder");
        let note = std::fs::read_to_string(failed.join(format!("{n}.error.txt"))).unwrap();
        assert_eq!(note.lines().count(), 2, "{note}");
        assert!(!note.contains('\u{1b}'), "{note}");
    }
    // The journal: one JSON object per line, the names escaped by JSON and intact when read.
    let journal =
        std::fs::read_to_string(inbox.join(".dicomkit-store-ecg.journal.ndjson")).unwrap();
    assert!(journal.contains(r#"a\nb.scp""#), "{journal}");
    assert!(journal.contains(r#"c\u001b[2Jd.scp""#), "{journal}");
    let paths: Vec<String> = journal
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["path"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(paths.len(), 2, "{journal}");
    for n in names {
        assert!(paths.iter().any(|p| p.ends_with(n)), "{paths:?}");
    }
}

/// `chattr` on a file: `+i` makes it impossible to erase or move, even for root (this test
/// runs as root, like the folder mode it checks). Fails, never skips, when that is not possible.
fn chattr(flag: &str, file: &Path) {
    let ok = Command::new("chattr")
        .arg(flag)
        .arg(file)
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "chattr {flag} {} failed: this test needs root (CAP_LINUX_IMMUTABLE) and a temporary \
         folder on a file system with the immutable attribute (ext4, xfs, btrfs)",
        file.display()
    );
}

#[test]
fn import_folder_goes_on_when_a_file_cannot_be_moved_and_never_follows_links() {
    let pacs = Pacs::start();
    let addr = pacs.storescp.addr();
    let root = tempfile::tempdir().unwrap();
    let p = |n: &str| root.path().join(n);
    let (inbox, done, failed, out, outside) =
        (p("in"), p("done"), p("failed"), p("out"), p("outside"));
    for d in [&inbox, &out, &outside] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::copy(sample("scp-ecg/Example.scp"), inbox.join("one.scp")).unwrap();
    std::fs::copy(sample("hl7-aecg/Example.xml"), inbox.join("two.xml")).unwrap();
    let journal = inbox.join(".dicomkit-store-ecg.journal.ndjson");

    // 1. The archive folder cannot be used (a file is where it should be): each file is stored,
    //    reported `not archived`, left in place; the pass goes on; exit 4.
    std::fs::write(&done, b"a file, not a folder").unwrap();
    let run = |extra: &[&str]| {
        let o = store_folder(&addr, &inbox, extra);
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        (
            o.status.code(),
            csv_rows(&text),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let archive = ["--archive-dir", done.to_str().unwrap()];
    let (code, rows, err) = run(&archive);
    assert_eq!(code, Some(4), "{err}");
    assert_eq!(rows.len(), 2);
    for r in &rows {
        assert_eq!(r["outcome"], "not archived", "{r:?}");
        assert_eq!(r["status"], "0x0000");
        assert!(r["error"].contains("stored, but not archived"), "{r:?}");
    }
    assert_eq!(err.matches("not archived").count(), 2, "{err}");
    assert!(inbox.join("one.scp").exists() && inbox.join("two.xml").exists());
    let sent = names(&pacs.storescp_dir).len();
    assert_eq!(sent, 2);
    let j = std::fs::read_to_string(&journal).unwrap();
    assert_eq!(j.matches(r#""outcome":"stored""#).count(), 2, "{j}");
    assert_eq!(j.matches(r#""outcome":"not archived""#).count(), 2, "{j}");

    // 2. A usable archive, but links planted where the archived file and the --out copy would
    //    go: not followed, not replaced; the files are archived without being sent again.
    std::fs::remove_file(&done).unwrap();
    std::fs::create_dir_all(&done).unwrap();
    std::os::unix::fs::symlink(outside.join("archived"), done.join("one.scp")).unwrap();
    let uid = rows
        .iter()
        .find(|r| r["path"].ends_with("one.scp"))
        .unwrap()["sop_instance_uid"]
        .clone();
    let copy = out.join(format!("{uid}.dcm"));
    std::os::unix::fs::symlink(outside.join("copy"), &copy).unwrap();
    let mut args = archive.to_vec();
    args.extend(["--out", out.to_str().unwrap()]);
    let (code, rows, err) = run(&args);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        rows.iter()
            .all(|r| r["outcome"] == "stored" && r["status"] == "journal"),
        "{rows:?}"
    );
    assert_eq!(names(&pacs.storescp_dir).len(), sent, "not sent again");
    assert_eq!(names(&done), ["one.scp", "one.scp.1", "two.xml"]);
    assert!(
        std::fs::symlink_metadata(done.join("one.scp"))
            .unwrap()
            .is_symlink()
    );
    assert!(
        std::fs::symlink_metadata(&copy).unwrap().is_file(),
        "the link was replaced"
    );
    assert!(all_entries(&outside).is_empty(), "nothing written outside");

    // 3. The failed folder cannot be used: the unreadable file stays, reported; the readable one
    //    is stored and archived; exit 4.
    std::fs::write(inbox.join("garbage.scp"), b"not an ECG").unwrap();
    let copy = distinct_scp_copies(&inbox, 1);
    let read = dicomkit::ecg::prepare::read_path(&copy[0]).unwrap();
    assert!(
        !read.warnings.iter().any(|w| w.contains("CRC")),
        "the copies are valid records: {:?}",
        read.warnings
    );
    std::fs::write(&failed, b"a file, not a folder").unwrap();
    let mut args = archive.to_vec();
    args.extend(["--failed-dir", failed.to_str().unwrap()]);
    let (code, rows, err) = run(&args);
    assert_eq!(code, Some(4), "{err}");
    let bad = rows
        .iter()
        .find(|r| r["path"].ends_with("garbage.scp"))
        .unwrap();
    assert_eq!(bad["outcome"], "unreadable");
    assert!(
        bad["error"].contains("not moved to the failed folder"),
        "{bad:?}"
    );
    assert!(inbox.join("garbage.scp").exists());
    assert!(
        done.join("ecg0000.scp").exists(),
        "the other file went on: {rows:?}"
    );

    // 4. A usable failed folder with a link planted at the note's name: another name is used.
    std::fs::remove_file(&failed).unwrap();
    std::fs::create_dir_all(&failed).unwrap();
    std::os::unix::fs::symlink(outside.join("note"), failed.join("garbage.scp.error.txt")).unwrap();
    let (code, _, err) = run(&args);
    assert_eq!(code, Some(6), "{err}");
    assert!(failed.join("garbage.scp.1").exists());
    let note = std::fs::read_to_string(failed.join("garbage.scp.1.error.txt")).unwrap();
    assert!(
        note.contains("not an ECG") || note.contains("recognised"),
        "{note}"
    );
    assert!(all_entries(&outside).is_empty(), "nothing written outside");

    // 5. Erase: a file that cannot be erased (immutable) stays, reported `not erased`; the other
    //    is erased; the next run erases it without sending it again.
    let copies = distinct_scp_copies(&inbox, 3);
    std::fs::remove_file(&copies[0]).unwrap(); // stored and archived above
    chattr("+i", &copies[1]);
    let (code, rows, err) = run(&["--erase-on-success"]);
    chattr("-i", &copies[1]);
    assert_eq!(code, Some(4), "{err}");
    let row = |rows: &[std::collections::HashMap<String, String>], n: &str| {
        rows.iter()
            .find(|r| r["path"].ends_with(n))
            .unwrap()
            .clone()
    };
    assert_eq!(row(&rows, "ecg0001.scp")["outcome"], "not erased");
    assert_eq!(row(&rows, "ecg0002.scp")["outcome"], "stored");
    assert!(copies[1].exists() && !copies[2].exists());
    let sent = names(&pacs.storescp_dir).len();
    let (code, rows, err) = run(&["--erase-on-success"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(row(&rows, "ecg0001.scp")["status"], "journal");
    assert!(!copies[1].exists());
    assert_eq!(names(&pacs.storescp_dir).len(), sent, "not sent again");
}

#[test]
fn mortara_compat_cut_is_noted_and_is_another_object() {
    // A0001 holds 15 s; the Mortara-compatible variant keeps 10 s.
    let convert = |file: &str, extra: &[&str]| {
        let o = dicomkit()
            .env_remove("DICOMKIT_PACS")
            .args(["store-ecg", "--dry-run", "--format", "csv"])
            .args(extra)
            .arg(sample(file))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let rows = csv_rows(&text);
        assert_eq!(rows.len(), 1);
        (
            rows[0].clone(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let long = "other-ecg/cpsc2018/A0001.hea";
    let (plain, err) = convert(long, &[]);
    assert_eq!(plain["note"], "");
    assert!(!err.contains("Mortara"), "{err}");
    let (cut, err) = convert(long, &["--mortara-compat"]);
    assert!(
        cut["note"].contains("cuts the rhythm from 15 s to 10 s"),
        "{cut:?}"
    );
    assert!(
        err.contains("warning") && err.contains("cuts the rhythm from 15 s to 10 s"),
        "{err}"
    );
    assert_ne!(
        cut["sop_instance_uid"], plain["sop_instance_uid"],
        "two objects, two UIDs"
    );
    // The same conversion gives the same UID again (what the import folder relies on).
    assert_eq!(
        convert(long, &["--mortara-compat"]).0["sop_instance_uid"],
        cut["sop_instance_uid"]
    );
    // Other options that change the object change the UID too.
    let (other, _) = convert(long, &["--patient-id", "P42"]);
    assert_ne!(other["sop_instance_uid"], plain["sop_instance_uid"]);
    // A 10 s record is not cut: no note.
    let (ten, err) = convert("other-ecg/cpsc2018/A0002.hea", &["--mortara-compat"]);
    assert_eq!(ten["note"], "", "{ten:?}");
    assert!(!err.contains("cuts the"), "{err}");
}
