//! `store-ecg` against real peers: every ECG format converted and C-STOREd to Orthanc (checked
//! through its REST API and by decoding what it stores) and to storescp; `--dry-run` output
//! valid for dciodvfy; the import folder: archive, erase, PACS down, refusals, unreadable files,
//! files still being written, and kill -9 in the middle of a batch. The folder's safety (links,
//! odd names, files that cannot be moved, the lock) is in store_ecg_safety.rs.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::folder::{distinct_scp_copies, names, store_folder};
use common::pacs::{Pacs, free_port, peer_command, program};
use common::{csv_records as csv_rows, dicomkit, sample};
use dicomkit::ecg::prepare::read_path;

const INPUTS: [&str; 7] = [
    "scp-ecg/Example.scp",
    "hl7-aecg/Example.xml",
    "dicom-ecg/Example.dcm",
    "dicom-ecg/waveform_ecg.dcm",
    "dicom-ecg/synthetic_muse.dcm",
    "other-ecg/cpsc2018/A0001.hea",
    "other-ecg/cpsc2018/A0002.hea",
];

/// Orthanc's instance IDs (REST).
fn orthanc_instances(pacs: &Pacs) -> Vec<String> {
    let text = pacs.http_get("/instances").unwrap_or_default();
    serde_json::from_str(&text).unwrap_or_default()
}

fn fetch(pacs: &Pacs, id: &str, to: &Path) {
    let status = Command::new("curl")
        .args(["-sf", "-o"])
        .arg(to)
        .arg(format!("{}/instances/{id}/file", pacs.http))
        .status()
        .unwrap();
    assert!(status.success());
}

/// Every lead of `b` equals the same lead of `a` within `tol` µV.
fn same_samples(a: &Path, b: &Path, tol: f64) {
    let (x, y) = (read_path(a).unwrap(), read_path(b).unwrap());
    let (rx, ry) = (x.rhythm.as_ref().unwrap(), y.rhythm.as_ref().unwrap());
    assert_eq!(rx.sampling_rate_hz, ry.sampling_rate_hz, "{}", b.display());
    assert_eq!(rx.leads.len(), ry.leads.len(), "{}", b.display());
    for l in &rx.leads {
        let m = ry
            .lead(&l.name)
            .unwrap_or_else(|| panic!("{}: lead {} missing", b.display(), l.name));
        assert_eq!(
            l.samples_uv.len(),
            m.samples_uv.len(),
            "{} lead {}",
            b.display(),
            l.name
        );
        let worst = l
            .samples_uv
            .iter()
            .zip(&m.samples_uv)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f64::max);
        assert!(
            worst <= tol,
            "{} lead {}: differs by {worst} µV",
            b.display(),
            l.name
        );
    }
}

/// Copy the CPSC WFDB records with their signal files.
fn inputs_in(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for rel in INPUTS {
        let src = sample(rel);
        let dst = dir.join(src.file_name().unwrap());
        std::fs::copy(&src, &dst).unwrap();
        if rel.ends_with(".hea") {
            let mat = src.with_extension("mat");
            std::fs::copy(&mat, dir.join(mat.file_name().unwrap())).unwrap();
        }
        out.push(dst);
    }
    out
}

#[test]
fn every_format_reaches_orthanc_and_decodes_back() {
    let pacs = Pacs::start();
    let before = orthanc_instances(&pacs).len();
    let files: Vec<PathBuf> = INPUTS.iter().map(|r| sample(r)).collect();
    let out = dicomkit()
        .args([
            "store-ecg",
            "--format",
            "csv",
            "--pacs",
            &pacs.orthanc.addr(),
        ])
        .args(&files)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = csv_rows(&text);
    assert_eq!(rows.len(), INPUTS.len());
    assert!(
        rows.iter()
            .all(|r| r["outcome"] == "stored" && r["status"] == "0x0000"),
        "{text}"
    );
    let ids = orthanc_instances(&pacs);
    assert_eq!(ids.len() - before, INPUTS.len(), "one instance per ECG");
    // Each stored instance decodes to the samples of its source (within one quantisation step).
    let tmp = tempfile::tempdir().unwrap();
    for (row, src) in rows.iter().zip(&files) {
        let uid = &row["sop_instance_uid"];
        let id = ids
            .iter()
            .find(|id| {
                pacs.http_get(&format!("/instances/{id}/simplified-tags"))
                    .is_some_and(|t| t.contains(uid.as_str()))
            })
            .unwrap_or_else(|| panic!("{uid} not in Orthanc"));
        let tags: serde_json::Value = serde_json::from_str(
            &pacs
                .http_get(&format!("/instances/{id}/simplified-tags"))
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            tags["SOPClassUID"].as_str(),
            Some(row["sop_class_uid"].as_str())
        );
        assert!(
            tags["SOPClassUID"]
                .as_str()
                .unwrap()
                .starts_with("1.2.840.10008.5.1.4.1.1.9.1.")
        );
        let got = tmp.path().join(format!("{id}.dcm"));
        fetch(&pacs, id, &got);
        same_samples(src, &got, 2.5);
    }
}

#[test]
fn storescp_receives_and_dry_run_output_passes_dciodvfy() {
    let pacs = Pacs::start();
    let files: Vec<PathBuf> = INPUTS.iter().map(|r| sample(r)).collect();
    dicomkit()
        .args(["store-ecg", "-q", "--pacs", &pacs.storescp.addr()])
        .args(&files)
        .assert()
        .success();
    let got: Vec<_> = std::fs::read_dir(&pacs.storescp_dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(got.len(), INPUTS.len());
    for f in &got {
        assert!(
            peer_command("dcmdump")
                .arg("-q")
                .arg(f)
                .status()
                .unwrap()
                .success()
        );
    }
    // Dry run: no --pacs needed, files written, each valid for dciodvfy.
    let out = tempfile::tempdir().unwrap();
    dicomkit()
        .env_remove("DICOMKIT_PACS")
        .args(["store-ecg", "--dry-run", "--reencode", "--out"])
        .arg(out.path())
        .args(&files)
        .assert()
        .success();
    let written: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(written.len(), INPUTS.len());
    let dciodvfy = program("dciodvfy", "dicom3tools");
    for f in &written {
        let o = Command::new(&dciodvfy).arg(f).output().unwrap();
        let report = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        let errors: Vec<_> = report.lines().filter(|l| l.starts_with("Error")).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", f.display());
    }
}

#[test]
fn import_folder_archives_erases_and_keeps_failures_apart() {
    let pacs = Pacs::start();
    let root = tempfile::tempdir().unwrap();
    let (inbox, archive, failed) = (
        root.path().join("in"),
        root.path().join("done"),
        root.path().join("failed"),
    );
    std::fs::create_dir_all(&inbox).unwrap();
    let inputs = inputs_in(&inbox);
    std::fs::write(
        inbox.join("garbage.scp"),
        b"\x00\x01 this is not an ECG at all \xff\xfe",
    )
    .unwrap();

    // PACS down: nothing moves, exit 5.
    let down = format!("NOBODY@127.0.0.1:{}", free_port());
    let out = store_folder(
        &down,
        &inbox,
        &[
            "--archive-dir",
            archive.to_str().unwrap(),
            "--failed-dir",
            failed.to_str().unwrap(),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(names(&archive).is_empty());
    assert!(
        inputs.iter().all(|p| p.exists()),
        "every ECG still in place"
    );

    // A file still being written (settle) waits.
    let out = dicomkit()
        .args([
            "store-ecg",
            "--pacs",
            &pacs.orthanc.addr(),
            "--settle",
            "3600",
            "--import-dir",
        ])
        .arg(&inbox)
        .args(["--archive-dir"])
        .arg(&archive)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(names(&archive).is_empty(), "nothing settled yet");

    // Refused: a destination that accepts no ECG SOP class → failed-dir with the reason.
    let out = store_folder(
        &pacs.ctonly.addr(),
        &inbox,
        &[
            "--archive-dir",
            archive.to_str().unwrap(),
            "--failed-dir",
            failed.to_str().unwrap(),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let f = names(&failed);
    assert!(
        f.contains(&"garbage.scp".to_owned()) && f.contains(&"garbage.scp.error.txt".to_owned()),
        "{f:?}"
    );
    assert!(
        f.contains(&"Example.scp".to_owned()) && f.contains(&"Example.scp.error.txt".to_owned()),
        "{f:?}"
    );
    let reason = std::fs::read_to_string(failed.join("Example.scp.error.txt")).unwrap();
    assert!(
        reason.contains("presentation context") || reason.contains("refused"),
        "{reason}"
    );
    let reason = std::fs::read_to_string(failed.join("garbage.scp.error.txt")).unwrap();
    assert!(reason.contains("not an ECG"), "{reason}");

    // Put them back and store for real: archived; the journal has every outcome.
    assert!(
        f.contains(&"A0001.hea".to_owned()) && f.contains(&"A0001.mat".to_owned()),
        "WFDB signals travel with their header: {f:?}"
    );
    for n in names(&failed)
        .iter()
        .filter(|n| !n.ends_with(".error.txt") && *n != "garbage.scp")
    {
        std::fs::rename(failed.join(n), inbox.join(n)).unwrap();
    }
    let out = store_folder(
        &pacs.orthanc.addr(),
        &inbox,
        &["--archive-dir", archive.to_str().unwrap()],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let archived = names(&archive);
    for p in &inputs {
        let n = p.file_name().unwrap().to_string_lossy().into_owned();
        if n.ends_with(".mat") {
            continue;
        }
        assert!(archived.contains(&n), "{n} archived: {archived:?}");
    }
    let journal =
        std::fs::read_to_string(inbox.join(".dicomkit-store-ecg.journal.ndjson")).unwrap();
    assert!(
        journal
            .lines()
            .filter(|l| l.contains("\"archived\""))
            .count()
            >= 7
    );
    assert!(journal.lines().any(|l| l.contains("\"not sent\"")));

    // Erase on success.
    std::fs::copy(sample("scp-ecg/Example.scp"), inbox.join("again.scp")).unwrap();
    let out = store_folder(&pacs.orthanc.addr(), &inbox, &["--erase-on-success"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!inbox.join("again.scp").exists());
}

/// The patched copies are whole records (no defects), each with its own patient ID.
#[test]
fn distinct_scp_copies_are_whole() {
    let dir = tempfile::tempdir().unwrap();
    for (i, p) in distinct_scp_copies(dir.path(), 3).iter().enumerate() {
        let ecg = dicomkit::ecg::scp::read(&std::fs::read(p).unwrap()).unwrap();
        assert!(ecg.defects.is_empty(), "{:?}", ecg.defects);
        assert_eq!(ecg.patient.id, Some(format!("P{i:06}")));
    }
}

#[test]
fn kill_9_mid_batch_loses_nothing_and_stores_once() {
    let pacs = Pacs::start();
    let before = orthanc_instances(&pacs).len();
    let root = tempfile::tempdir().unwrap();
    let (inbox, archive) = (root.path().join("in"), root.path().join("done"));
    std::fs::create_dir_all(&inbox).unwrap();
    let n = 60;
    distinct_scp_copies(&inbox, n);
    let bin = assert_cmd::cargo::cargo_bin("dicomkit");
    let mut child = Command::new(&bin)
        .args([
            "store-ecg",
            "-q",
            "--pacs",
            &pacs.orthanc.addr(),
            "--settle",
            "0",
            "--import-dir",
        ])
        .arg(&inbox)
        .arg("--archive-dir")
        .arg(&archive)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // Let it store some, then kill -9.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while names(&archive).len() < 20 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let done_first = names(&archive).len();
    assert!(
        done_first < n,
        "killed before the end ({done_first} of {n})"
    );
    // Every file is in exactly one place.
    assert_eq!(done_first + names(&inbox).len(), n);
    // Re-run (the stale lock is taken over): everything stored, each exactly once.
    let out = store_folder(
        &pacs.orthanc.addr(),
        &inbox,
        &["--archive-dir", archive.to_str().unwrap(), "-q"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(names(&archive).len(), n);
    assert!(names(&inbox).is_empty());
    assert_eq!(
        orthanc_instances(&pacs).len() - before,
        n,
        "each ECG stored exactly once"
    );
}

#[test]
fn watch_mode_picks_up_files_as_they_arrive() {
    let pacs = Pacs::start();
    let root = tempfile::tempdir().unwrap();
    let (inbox, archive) = (root.path().join("in"), root.path().join("done"));
    std::fs::create_dir_all(&inbox).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("dicomkit");
    let mut child = Command::new(&bin)
        .args([
            "store-ecg",
            "-q",
            "--format",
            "ndjson",
            "--pacs",
            &pacs.orthanc.addr(),
            "--settle",
            "0.2",
            "--watch",
            "0.2",
            "--import-dir",
        ])
        .arg(&inbox)
        .arg("--archive-dir")
        .arg(&archive)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // A file arriving after the start is stored and archived by a later poll.
    std::thread::sleep(Duration::from_millis(500));
    std::fs::copy(sample("hl7-aecg/Example.xml"), inbox.join("late.xml")).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !archive.join("late.xml").exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let archived = archive.join("late.xml").exists();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(archived, "the watcher archived the file that arrived");
    assert!(!inbox.join("late.xml").exists());
}
