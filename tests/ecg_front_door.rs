//! The one ECG front door (`ecg::read`), end to end through the binary: a WFDB record inside a
//! zip reads its signal file from the zip — never from the current directory, even when that
//! holds a different record of the same name — in `interpret`, `ecg-infer`, `render` and
//! `store-ecg`; signal files outside their header's folder, devices and FIFOs are refused
//! without hanging; `store-ecg` proposes every ECG SOP class the reader accepts (a General
//! 32-bit ECG is sent as it is); partial records are refused by default and, with
//! `--accept-partial`, used and marked (a column, a note in the written DICOM).
mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::infer::{library, models};
use common::{csv_records, dicomkit, sample};
use dicomkit::ecg::{ReadOptions, read_path};

const STRICT: ReadOptions = ReadOptions {
    accept_partial: false,
};

/// dicomkit's own Storage SCP (AE STORE) on a free loopback port, storing into `dir/received`.
fn storage_scp(dir: &Path) -> dicomkit::net::scp::StorageScp {
    dicomkit::net::scp::StorageScp::start(dicomkit::net::scp::ScpOptions {
        ae: "STORE".into(),
        bind: "127.0.0.1:0".parse().unwrap(),
        dir: dir.join("received"),
        max_pdu: 65_536,
        timeouts: dicomkit::net::Timeouts::default(),
    })
    .unwrap()
}

/// A zip holding the CPSC record A0001 (header and MATLAB signal file) and a text file.
fn cpsc_zip(dir: &Path) -> PathBuf {
    let path = dir.join("w.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    for name in ["A0001.hea", "A0001.mat"] {
        z.start_file(name, opts).unwrap();
        z.write_all(&std::fs::read(sample(&format!("other-ecg/cpsc2018/{name}"))).unwrap())
            .unwrap();
    }
    z.start_file("readme.txt", opts).unwrap();
    z.write_all(b"not an ECG").unwrap();
    z.finish().unwrap();
    path
}

/// A folder holding a different record under the same name: A0002 as A0001.hea/.mat.
fn decoy(dir: &Path) -> PathBuf {
    let d = dir.join("decoy");
    std::fs::create_dir(&d).unwrap();
    let hea = std::fs::read_to_string(sample("other-ecg/cpsc2018/A0002.hea")).unwrap();
    std::fs::write(d.join("A0001.hea"), hea.replace("A0002", "A0001")).unwrap();
    std::fs::copy(sample("other-ecg/cpsc2018/A0002.mat"), d.join("A0001.mat")).unwrap();
    // the decoy really is another record
    let (a, b) = (
        read_path(&d.join("A0001.hea"), &STRICT).unwrap(),
        read_path(&sample("other-ecg/cpsc2018/A0001.hea"), &STRICT).unwrap(),
    );
    assert_ne!(
        a.rhythm.unwrap().samples_per_lead(),
        b.rhythm.unwrap().samples_per_lead()
    );
    d
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn hr_of(
    cwd: &Path,
    input: &Path,
    extra: &[&str],
) -> (
    Vec<std::collections::HashMap<String, String>>,
    std::process::Output,
) {
    let out = dicomkit()
        .current_dir(cwd)
        .args(["interpret", "--format", "csv"])
        .args(extra)
        .arg(input)
        .output()
        .unwrap();
    (csv_records(&stdout(&out)), out)
}

#[test]
fn a_zipped_wfdb_record_reads_its_signal_file_from_the_zip_not_the_current_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = cpsc_zip(tmp.path());
    let decoy = decoy(tmp.path());

    // interpret: the zip's record (A0001, 100.5 bpm), not the decoy in the current folder
    let (rows, out) = hr_of(&decoy, &zip, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        rows.len(),
        1,
        "one record: the .mat and the text file are no inputs"
    );
    assert_eq!(rows[0]["source"], format!("{}!A0001.hea", zip.display()));
    let (direct, _) = hr_of(tmp.path(), &sample("other-ecg/cpsc2018/A0001.hea"), &[]);
    let (other, _) = hr_of(&decoy, Path::new("A0001.hea"), &[]);
    assert_eq!(rows[0]["hr_bpm"], direct[0]["hr_bpm"]);
    assert_eq!(rows[0]["hr_bpm"], "100.5");
    assert_ne!(rows[0]["hr_bpm"], other[0]["hr_bpm"]);

    // store-ecg walks the zip: one conversion, of the zip's record
    let out_dir = tmp.path().join("out");
    let out = dicomkit()
        .current_dir(&decoy)
        .args(["store-ecg", "--dry-run", "--format", "csv", "--out"])
        .arg(&out_dir)
        .arg(&zip)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows = csv_records(&stdout(&out));
    assert_eq!(rows.len(), 1, "{}", stdout(&out));
    assert_eq!(
        (rows[0]["format"].as_str(), rows[0]["outcome"].as_str()),
        ("wfdb", "converted")
    );
    assert_eq!(rows[0]["partial"], "false");
    let written: Vec<PathBuf> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(written.len(), 1);
    let ecg = read_path(&written[0], &STRICT).unwrap();
    assert_eq!(
        ecg.rhythm.unwrap().samples_per_lead(),
        7500,
        "A0001: 15 s at 500 Hz"
    );

    // render: the same picture as the record on disk, not the decoy's
    let render = |cwd: &Path, input: &Path, to: &Path| {
        let out = dicomkit()
            .current_dir(cwd)
            .args(["render", "-q"])
            .arg(input)
            .arg("-o")
            .arg(to)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        std::fs::read(to).unwrap_or_default()
    };
    // a zip is rendered like a folder (readme.txt is skipped): into a folder
    render(&decoy, &zip, &tmp.path().join("zip/"));
    let from_zip = std::fs::read(tmp.path().join("zip/A0001.png")).unwrap();
    let from_disk = render(
        tmp.path(),
        &sample("other-ecg/cpsc2018/A0001.hea"),
        &tmp.path().join("disk.png"),
    );
    let from_decoy = render(
        &decoy,
        Path::new("A0001.hea"),
        &tmp.path().join("decoy.png"),
    );
    assert!(from_zip == from_disk, "the zip's record rendered");
    assert!(from_zip != from_decoy);
}

/// A WFDB record of the CPSC sample A0001 written as format 16, whose header declares all its
/// 7500 samples while its `.dat` holds only the first `stored`.
fn short_record(dir: &Path, stored: usize) -> PathBuf {
    let ecg = read_path(&sample("other-ecg/cpsc2018/A0001.hea"), &STRICT).unwrap();
    let r = ecg.rhythm.unwrap();
    let n = r.samples_per_lead();
    let mut hea = format!("short {} 500 {n}\n", r.leads.len());
    for l in &r.leads {
        // the WFDB checksum of all n declared samples
        let sum: i64 = l.samples_uv.iter().map(|v| v.round() as i16 as i64).sum();
        hea.push_str(&format!(
            "short.dat 16 1000/mV 16 0 0 {} 0 {}\n",
            sum as i16, l.name
        ));
    }
    let mut dat = Vec::new();
    for i in 0..stored {
        for l in &r.leads {
            dat.extend_from_slice(&(l.samples_uv[i].round() as i16).to_le_bytes());
        }
    }
    std::fs::write(dir.join("short.hea"), hea).unwrap();
    std::fs::write(dir.join("short.dat"), dat).unwrap();
    dir.join("short.hea")
}

#[test]
fn ecg_infer_reads_zipped_records_from_the_zip_and_marks_partial_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let (clinical, _) = models(tmp.path());
    let zip = cpsc_zip(tmp.path());
    let decoy = decoy(tmp.path());
    let short = short_record(tmp.path(), 5000);
    let infer = |args: &[&std::ffi::OsStr]| {
        dicomkit()
            .current_dir(&decoy)
            .arg("ecg-infer")
            .arg("--ort-lib")
            .arg(library())
            .env_remove("ORT_DYLIB_PATH")
            .args(["--clinical-model".as_ref(), clinical.as_os_str()])
            .args(["--format", "csv"])
            .args(args)
            .output()
            .unwrap()
    };
    let out = infer(&[zip.as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows = csv_records(&stdout(&out));
    assert_eq!(rows.len(), 1);
    // A0001 is 15 s (three 5 s segments); the decoy A0002 is 10 s (two)
    assert_eq!(rows[0]["segments"], "3");
    assert_eq!(rows[0]["partial"], "false");

    let out = infer(&[short.as_os_str()]);
    assert_eq!(out.status.code(), Some(6), "{}", stdout(&out));
    let rows = csv_records(&stdout(&out));
    assert!(
        rows[0]["error"].contains("incomplete wfdb record"),
        "{rows:?}"
    );
    let out = infer(&["--accept-partial".as_ref(), short.as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows = csv_records(&stdout(&out));
    assert_eq!(
        (rows[0]["partial"].as_str(), rows[0]["segments"].as_str()),
        ("true", "2")
    );
    assert!(stderr(&out).contains("partial record"), "{}", stderr(&out));
}

/// Convert one file with `store-ecg --dry-run`: (exit code, rows, stderr).
fn dry_run(
    input: &Path,
    extra: &[&str],
) -> (
    Option<i32>,
    Vec<std::collections::HashMap<String, String>>,
    String,
) {
    let out = dicomkit()
        .args(["store-ecg", "--dry-run", "--format", "csv"])
        .args(extra)
        .arg(input)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    (out.status.code(), csv_records(&stdout(&out)), stderr(&out))
}

#[test]
fn signal_files_outside_the_container_devices_and_fifos_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let rec = tmp.path().join("rec");
    std::fs::create_dir(&rec).unwrap();
    std::fs::write(tmp.path().join("x.dat"), [0u8; 2000]).unwrap();
    let hea = rec.join("r.hea");
    let outside = tmp.path().join("x.dat");
    for name in ["../x.dat", outside.to_str().unwrap()] {
        std::fs::write(&hea, format!("r 1 250 1000\n{name} 16 200 12 0 0 0 0 II\n")).unwrap();
        let (code, rows, err) = dry_run(&hea, &[]);
        assert_eq!(code, Some(6), "{name}: {err}");
        assert!(
            rows[0]["error"].contains("must be relative to the header"),
            "{name}: {rows:?}"
        );
    }
    // a signal file that is a symlink to /dev/zero: refused at once, with or without a
    // declared sample count (nothing unbounded is read)
    std::os::unix::fs::symlink("/dev/zero", rec.join("r.dat")).unwrap();
    for record in ["r 1 250 1000", "r 1 250"] {
        std::fs::write(&hea, format!("{record}\nr.dat 16 200 12 0 0 0 0 II\n")).unwrap();
        let (code, rows, err) = dry_run(&hea, &[]);
        assert_eq!(code, Some(6), "{record}: {err}");
        assert!(
            rows[0]["error"].contains("not a regular file"),
            "{record}: {rows:?}"
        );
    }
    // a FIFO: refused without waiting for a writer
    std::fs::remove_file(rec.join("r.dat")).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(rec.join("r.dat"))
        .status()
        .unwrap();
    assert!(made.success());
    let (code, rows, err) = dry_run(&hea, &[]);
    assert_eq!(code, Some(6), "{err}");
    assert!(rows[0]["error"].contains("not a regular file"), "{rows:?}");

    // inside a zip: a member naming ../x.dat is refused, and the file beside the zip is not read
    let zip = rec.join("up.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&zip).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    z.start_file("sub/r.hea", opts).unwrap();
    z.write_all(b"r 1 250 1000\n../x.dat 16 200 12 0 0 0 0 II\n")
        .unwrap();
    z.start_file("x.dat", opts).unwrap();
    z.write_all(&[1u8; 2000]).unwrap();
    z.finish().unwrap();
    let (code, rows, err) = dry_run(&zip, &[]);
    assert_eq!(code, Some(6), "{err}");
    assert_eq!(
        rows.len(),
        1,
        "x.dat has no header beside it: skipped as not an ECG"
    );
    assert!(rows[0]["error"].contains("must be relative"), "{rows:?}");
}

#[test]
fn store_ecg_sends_a_general_32_bit_ecg_as_it_is() {
    use dicomkit::ecg::dicom::{GENERAL_32BIT_ECG, GENERAL_ECG, SopClassChoice, WriteOptions};
    // the list store-ecg proposes is the reader's list: all four ECG classes
    assert!(dicomkit::cmd::store_ecg::ECG_SOP_CLASSES.contains(&GENERAL_32BIT_ECG));
    assert_eq!(
        dicomkit::cmd::store_ecg::ECG_SOP_CLASSES,
        dicomkit::ecg::dicom::ECG_SOP_CLASSES
    );
    // A General ECG written by dicomkit, relabelled General 32-bit (same UID length).
    let tmp = tempfile::tempdir().unwrap();
    let ecg = read_path(&sample("scp-ecg/Example.scp"), &STRICT).unwrap();
    let options = WriteOptions {
        sop_class: Some(SopClassChoice::General),
        ..WriteOptions::default()
    };
    let mut bytes = dicomkit::ecg::dicom::write(&ecg, &options).unwrap();
    let (from, to) = (GENERAL_ECG.as_bytes(), GENERAL_32BIT_ECG.as_bytes());
    assert_eq!(from.len(), to.len());
    let mut replaced = 0;
    let mut i = 0;
    while i + from.len() <= bytes.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(to);
            replaced += 1;
        }
        i += 1;
    }
    assert_eq!(replaced, 2, "meta and data set");
    let file = tmp.path().join("g32.dcm");
    std::fs::write(&file, &bytes).unwrap();
    let sent_as_is = std::fs::read(&file).unwrap();

    let scp = storage_scp(tmp.path());
    let out = dicomkit()
        .args(["store-ecg", "--format", "csv", "--pacs"])
        .arg(format!("STORE@127.0.0.1:{}", scp.port()))
        .arg(&file)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let events = scp.stop();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let rows = csv_records(&stdout(&out));
    assert_eq!(
        (
            rows[0]["outcome"].as_str(),
            rows[0]["sop_class_uid"].as_str()
        ),
        ("stored", GENERAL_32BIT_ECG)
    );
    let stored: Vec<&PathBuf> = events
        .iter()
        .filter_map(|e| match e {
            dicomkit::net::scp::ScpEvent::Stored { path, .. } => Some(path),
            _ => None,
        })
        .collect();
    assert_eq!(stored.len(), 1, "{events:?}");
    // sent as it is: the received data set is the file's
    let got = std::fs::read(stored[0]).unwrap();
    let start = dicomkit::dicom::read::dataset_offset(&sent_as_is).unwrap();
    let got_start = dicomkit::dicom::read::dataset_offset(&got).unwrap();
    assert!(got[got_start..] == sent_as_is[start..]);
}

#[test]
fn accept_partial_never_goes_with_erase_on_success() {
    let tmp = tempfile::tempdir().unwrap();
    let (inbox, archive) = (tmp.path().join("in"), tmp.path().join("done"));
    std::fs::create_dir(&inbox).unwrap();
    std::fs::create_dir(&archive).unwrap();
    let out = dicomkit()
        .args(["store-ecg", "--pacs", "A@127.0.0.1:1", "--import-dir"])
        .arg(&inbox)
        .args(["--erase-on-success", "--accept-partial"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("--erase-on-success") && err.contains("--accept-partial"),
        "{err}"
    );
    // with --archive-dir the original is kept: allowed (an empty folder: nothing to do)
    let out = dicomkit()
        .args(["store-ecg", "--pacs", "A@127.0.0.1:1", "--import-dir"])
        .arg(&inbox)
        .arg("--archive-dir")
        .arg(&archive)
        .arg("--accept-partial")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_partial_record_is_refused_by_default_and_marked_when_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let short = short_record(tmp.path(), 5000);

    // store-ecg: unreadable by default, with the reason and the way out
    let (code, rows, err) = dry_run(&short, &[]);
    assert_eq!(code, Some(6), "{err}");
    assert_eq!(rows[0]["outcome"], "unreadable");
    assert!(
        rows[0]["error"].contains("incomplete wfdb record")
            && rows[0]["error"].contains("declares 7500")
            && rows[0]["error"].contains("--accept-partial"),
        "{rows:?}"
    );
    // accepted: converted, marked in the row, warned, and noted in the written DICOM
    let out_dir = tmp.path().join("out");
    let out_arg = out_dir.to_str().unwrap();
    let (code, rows, err) = dry_run(&short, &["--accept-partial", "--out", out_arg]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        (rows[0]["outcome"].as_str(), rows[0]["partial"].as_str()),
        ("converted", "true")
    );
    assert!(
        err.contains("partial record: signal file short.dat holds 5000"),
        "{err}"
    );
    let written: Vec<PathBuf> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(written.len(), 1);
    let written = &written[0];
    let ecg = read_path(written, &STRICT).unwrap();
    assert_eq!(ecg.rhythm.as_ref().unwrap().samples_per_lead(), 5000);
    let note = ecg.statements.first().expect("a note");
    assert!(
        note.starts_with("PARTIAL RECORD read with --accept-partial: signal file short.dat holds 5000 samples per signal, the header declares 7500"),
        "{:?}",
        ecg.statements
    );

    // interpret: an error row by default; accepted, the read-out says so with low confidence
    let (rows, out) = hr_of(tmp.path(), &short, &[]);
    assert_eq!(out.status.code(), Some(6));
    assert!(rows[0]["error"].contains("incomplete"), "{rows:?}");
    let (rows, out) = hr_of(tmp.path(), &short, &["--accept-partial"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(rows[0]["confidence"], "low");
    assert!(
        rows[0]["reasons"].starts_with("partial record read with --accept-partial"),
        "{rows:?}"
    );

    // render: refused by default, plotted with a warning when accepted
    let png = tmp.path().join("short.png");
    let out = dicomkit()
        .args(["render", "-q"])
        .arg(&short)
        .arg("-o")
        .arg(&png)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6));
    assert!(!png.exists());
    let out = dicomkit()
        .args(["render", "--accept-partial"])
        .arg(&short)
        .arg("-o")
        .arg(&png)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(png.is_file());
    assert!(stderr(&out).contains("partial record"), "{}", stderr(&out));
}

#[test]
fn the_import_folder_reads_through_the_front_door_and_journals_partial_records() {
    let tmp = tempfile::tempdir().unwrap();
    let (inbox, done) = (tmp.path().join("in"), tmp.path().join("done"));
    std::fs::create_dir(&inbox).unwrap();
    std::fs::create_dir(&done).unwrap();
    short_record(&inbox, 5000);
    let scp = storage_scp(tmp.path());
    let run = |extra: &[&str]| {
        dicomkit()
            .args(["store-ecg", "--format", "csv", "--settle", "0", "--pacs"])
            .arg(format!("STORE@127.0.0.1:{}", scp.port()))
            .arg("--import-dir")
            .arg(&inbox)
            .arg("--archive-dir")
            .arg(&done)
            .args(extra)
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap()
    };
    let journal = || {
        std::fs::read_to_string(inbox.join(".dicomkit-store-ecg.journal.ndjson"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .collect::<Vec<_>>()
    };
    // strict: unreadable, kept in place (no --failed-dir), journaled as not partial
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    let rows = csv_records(&stdout(&out));
    assert_eq!(rows.len(), 1, "the .dat travels with its header: one row");
    assert_eq!(
        (rows[0]["outcome"].as_str(), rows[0]["partial"].as_str()),
        ("unreadable", "false")
    );
    assert!(inbox.join("short.hea").is_file() && inbox.join("short.dat").is_file());
    let j = journal();
    assert_eq!(j[0]["outcome"], "unreadable");
    assert_eq!(j[0]["partial"], false);
    // accepted: stored, archived with its signal file, journaled as partial
    let out = run(&["--accept-partial"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows = csv_records(&stdout(&out));
    assert_eq!(
        (rows[0]["outcome"].as_str(), rows[0]["partial"].as_str()),
        ("stored", "true")
    );
    assert!(done.join("short.hea").is_file() && done.join("short.dat").is_file());
    let j = journal();
    let stored = j.iter().find(|r| r["outcome"] == "stored").expect("stored");
    assert_eq!(stored["partial"], true);
    let events = scp.stop();
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, dicomkit::net::scp::ScpEvent::Stored { .. }))
            .count(),
        1
    );
}

/// The reproduction: the first 8,819 bytes of Example.scp (Section 6 cut off, CRC
/// wrong, length field 34,144) in an import folder with --erase-on-success is not sent and
/// not erased: it goes to failed/ with the reason; `interpret` never calls it normal.
#[test]
fn a_cut_short_scp_ecg_is_never_stored_nor_erased_nor_read_out_as_normal() {
    let tmp = tempfile::tempdir().unwrap();
    let (inbox, failed) = (tmp.path().join("in"), tmp.path().join("failed"));
    std::fs::create_dir(&inbox).unwrap();
    std::fs::create_dir(&failed).unwrap();
    let whole = std::fs::read(sample("scp-ecg/Example.scp")).unwrap();
    std::fs::write(inbox.join("cut.scp"), &whole[..8819]).unwrap();
    let scp = storage_scp(tmp.path());
    let out = dicomkit()
        .args(["store-ecg", "--format", "csv", "--settle", "0", "--pacs"])
        .arg(format!("STORE@127.0.0.1:{}", scp.port()))
        .arg("--import-dir")
        .arg(&inbox)
        .arg("--erase-on-success")
        .arg("--failed-dir")
        .arg(&failed)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    let rows = csv_records(&stdout(&out));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["outcome"], "unreadable");
    assert!(
        rows[0]["error"].contains("incomplete scp-ecg record"),
        "{rows:?}"
    );
    assert!(rows[0]["error"].contains("Section 6"), "{rows:?}");
    assert!(!inbox.join("cut.scp").exists());
    assert_eq!(
        std::fs::read(failed.join("cut.scp")).unwrap(),
        &whole[..8819],
        "the original is kept, unchanged, in failed/"
    );
    let note = std::fs::read_to_string(failed.join("cut.scp.error.txt")).unwrap();
    assert!(note.contains("Section 6"), "{note}");
    let events = scp.stop();
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, dicomkit::net::scp::ScpEvent::Stored { .. })),
        "nothing reached the PACS"
    );
    // interpret: strict, the same refusal; accepted, the reference beat alone is no rhythm to
    // measure, so there is no read-out at all (never "No finding, normal").
    let cut = failed.join("cut.scp");
    for extra in [&[][..], &["--accept-partial"][..]] {
        let out = dicomkit()
            .args(["interpret", "--format", "csv"])
            .args(extra)
            .arg(&cut)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(6), "{extra:?}: {}", stderr(&out));
        let rows = csv_records(&stdout(&out));
        assert_eq!(rows[0]["severity"], "", "{extra:?}: {rows:?}");
        assert_eq!(rows[0]["primary_finding"], "", "{extra:?}: {rows:?}");
        assert!(!rows[0]["error"].is_empty(), "{extra:?}: {rows:?}");
    }
}
