//! CLI tests of `dicomkit dump`: every option and every exit code, on the real samples.

mod common;

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use common::{dicomkit, sample, samples};
use predicates::prelude::*;

fn stdout_of(cmd: &mut assert_cmd::Command) -> String {
    let out = cmd.output().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

fn csv_rows(text: &str) -> Vec<csv::StringRecord> {
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap())
        .collect()
}

#[test]
fn one_file_table_lists_every_element_nested() {
    let out = dicomkit()
        .args(["dump"])
        .arg(sample("dicom-images/chrSQEncoding.dcm"))
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains("(0032,1064)") && text.contains("RequestedProcedureCodeSequence"));
    // Nested elements are indented under their item.
    assert!(text.contains("  (FFFE,E000)"), "{text}");
    assert!(text.contains("    (0010,0010)"), "{text}");
    assert!(text.contains("ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう"), "{text}");
    // No ANSI escapes when stdout is not a terminal.
    assert!(!text.contains('\x1b'));
    assert!(out.get_output().stderr.is_empty());
}

#[test]
fn csv_has_the_documented_columns_and_full_values() {
    let text = stdout_of(
        dicomkit()
            .args(["dump", "--format", "csv"])
            .arg(sample("dicom-images/CT_small.dcm")),
    );
    let header = text.lines().next().unwrap();
    assert_eq!(header, "path,depth,tag,vr,keyword,vm,length,value");
    let rows = csv_rows(&text);
    let image_type = rows.iter().find(|r| &r[2] == "(0008,0008)").unwrap();
    assert_eq!(&image_type[3], "CS");
    assert_eq!(&image_type[5], "3");
    assert_eq!(&image_type[7], "ORIGINAL\\PRIMARY\\AXIAL");
    let pixels = rows.iter().find(|r| &r[2] == "(7FE0,0010)").unwrap();
    assert_eq!(
        &pixels[7], "(binary, 32768 bytes)",
        "pixel data is summarised, never printed raw"
    );
    assert_eq!(&pixels[6], "32768");
}

#[test]
fn max_value_length_cuts_table_values_only() {
    let file = sample("dicom-images/CT_small.dcm");
    let table = stdout_of(
        dicomkit()
            .args(["dump", "--max-value-length", "10"])
            .arg(&file),
    );
    assert!(table.contains("1.3.6.1.4…"), "{table}");
    assert!(!table.contains("1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322"));
    let full = stdout_of(
        dicomkit()
            .args(["dump", "--max-value-length", "0"])
            .arg(&file),
    );
    assert!(full.contains("1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322"));
    let default = stdout_of(dicomkit().args(["dump"]).arg(&file));
    assert!(
        default.contains("1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322"),
        "48 chars < 64"
    );
    let csv = stdout_of(
        dicomkit()
            .args(["dump", "--format", "csv", "--max-value-length", "10"])
            .arg(&file),
    );
    assert!(
        csv.contains("1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322"),
        "csv is never cut"
    );
}

#[test]
fn json_is_the_dicom_json_model() {
    let text = stdout_of(
        dicomkit()
            .args(["dump", "--format", "json"])
            .arg(sample("dicom-images/chrH31.dcm")),
    );
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["00100010"]["vr"], "PN");
    assert_eq!(v["00100010"]["Value"][0]["Alphabetic"], "Yamada^Tarou");
    assert_eq!(v["00100010"]["Value"][0]["Ideographic"], "山田^太郎");
    assert_eq!(v["00100010"]["Value"][0]["Phonetic"], "やまだ^たろう");
    assert_eq!(v["00280010"]["Value"][0], 32, "US as a number");
    // Bulk data omitted by default, group lengths left out.
    assert_eq!(v["7FE00010"], serde_json::json!({"vr": "OB"}));
    assert!(v.get("00020000").is_none());

    let text = stdout_of(
        dicomkit()
            .args(["dump", "--format", "json", "--inline-binary"])
            .arg(sample("dicom-images/chrH31.dcm")),
    );
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let b64 = v["7FE00010"]["InlineBinary"].as_str().unwrap();
    assert_eq!(
        b64.len(),
        (32 * 32usize).div_ceil(3) * 4,
        "32x32 8-bit pixels"
    );
}

#[test]
fn json_nests_sequences() {
    let text = stdout_of(
        dicomkit()
            .args(["dump", "--format", "json"])
            .arg(sample("dicom-images/chrSQEncoding.dcm")),
    );
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let item = &v["00321064"]["Value"][0];
    assert_eq!(item["00100010"]["Value"][0]["Ideographic"], "山田^太郎");
}

#[test]
fn many_files_json_and_ndjson_give_one_object_per_file() {
    let dir = samples().join("dicom-images/dicomdir/77654033");
    let text = stdout_of(dicomkit().args(["dump", "--format", "ndjson"]).arg(&dir));
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() >= 4, "{}", lines.len());
    for l in &lines {
        assert!(
            l["path"]
                .as_str()
                .unwrap()
                .starts_with(dir.to_str().unwrap())
        );
        assert!(l["dataset"]["00080018"]["Value"][0].is_string());
    }
    let text = stdout_of(dicomkit().args(["dump", "--format", "json"]).arg(&dir));
    let arr: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(arr, lines);
}

#[test]
fn fields_give_one_row_per_file() {
    let dir = samples().join("dicom-images");
    let text = stdout_of(
        dicomkit()
            .args([
                "dump",
                "--format",
                "csv",
                "--fields",
                "PatientName,studydate,(0028,0010)",
                "-f",
                "00280011",
            ])
            .arg(&dir),
    );
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "path,PatientName,StudyDate,Rows,Columns,error"
    );
    let rows = csv_rows(&text);
    assert!(rows.len() > 100, "every file of the tree: {}", rows.len());
    let ct = rows
        .iter()
        .find(|r| r[0].ends_with("/CT_small.dcm"))
        .unwrap();
    assert_eq!(&ct[1], "CompressedSamples^CT1");
    assert_eq!(&ct[2], "20040119");
    assert_eq!(&ct[3], "128");
    assert_eq!(&ct[4], "128");
    assert_eq!(&ct[5], "");
    // ndjson rows are typed: numbers as numbers.
    let text = stdout_of(
        dicomkit()
            .args(["dump", "--format", "ndjson", "-f", "Rows,PatientName"])
            .arg(sample("dicom-images/CT_small.dcm")),
    );
    let row: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(
        row,
        serde_json::json!({"path": sample("dicom-images/CT_small.dcm").to_str().unwrap(), "Rows": 128, "PatientName": "CompressedSamples^CT1", "error": null})
    );
}

#[test]
fn fields_read_stops_before_pixel_data() {
    // MR_truncated.dcm breaks inside its pixel data: fields before it are read without error.
    dicomkit()
        .args(["dump", "--format", "csv", "-f", "PatientName,Rows"])
        .arg(sample("dicom-malformed/MR_truncated.dcm"))
        .assert()
        .success()
        .stdout(predicate::str::contains("CompressedSamples^MR1,64,"));
    // Asking for the pixel data itself reads it, and the break is reported.
    dicomkit()
        .args(["dump", "--format", "csv", "-f", "PatientName,PixelData"])
        .arg(sample("dicom-malformed/MR_truncated.dcm"))
        .assert()
        .code(6)
        .stderr(
            predicate::str::starts_with("dicomkit: ")
                .and(predicate::str::contains("MR_truncated.dcm")),
        );
}

#[test]
fn zip_archives_are_read_member_by_member() {
    let tmp = tempfile::tempdir().unwrap();
    let zip_path = tmp.path().join("study.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    for name in ["CT_small.dcm", "MR_small.dcm"] {
        zip.start_file(format!("series/{name}"), opts).unwrap();
        zip.write_all(&std::fs::read(sample(&format!("dicom-images/{name}"))).unwrap())
            .unwrap();
    }
    zip.start_file("README.txt", opts).unwrap();
    zip.write_all(b"not dicom").unwrap();
    zip.finish().unwrap();
    let text = stdout_of(
        dicomkit()
            .args(["dump", "--format", "csv", "-f", "Modality"])
            .arg(&zip_path),
    );
    let rows = csv_rows(&text);
    assert_eq!(rows.len(), 2, "non-DICOM members are skipped: {text}");
    assert!(rows[0][0].ends_with("study.zip!series/CT_small.dcm"));
    assert_eq!(&rows[0][1], "CT");
    assert_eq!(&rows[1][1], "MR");
}

#[test]
fn raw_data_sets_without_meta_are_read() {
    let text = stdout_of(
        dicomkit()
            .args([
                "dump",
                "--format",
                "csv",
                "-f",
                "Rows,Columns,PhotometricInterpretation",
            ])
            .arg(sample("dicom-images/OT-PAL-8-face.dcm")),
    );
    assert!(text.contains(",480,640,PALETTE COLOR,"), "{text}");
}

#[test]
fn dictionary_lookup() {
    let text =
        stdout_of(dicomkit().args(["dump", "--dictionary", "--format", "csv", "^patientname$"]));
    assert_eq!(
        text,
        "keyword,tag,vr,vm,name,retired\nPatientName,\"(0010,0010)\",PN,1,Patient's Name,false\n"
    );
    let text =
        stdout_of(dicomkit().args(["dump", "--dictionary", "--format", "csv", "WindowWidth$"]));
    assert!(text.contains("WindowWidth,") && !text.contains("WindowCenter"));
    let text = stdout_of(dicomkit().args([
        "dump",
        "--dictionary",
        "--regex",
        "--format",
        "csv",
        "^window(center|width)$",
    ]));
    assert_eq!(csv_rows(&text).len(), 2);
    let all = stdout_of(dicomkit().args(["dump", "--dictionary", "--format", "csv"]));
    assert!(csv_rows(&all).len() > 4000);
    dicomkit()
        .args(["dump", "--dictionary", "--regex", "("])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid regular expression"));
    dicomkit()
        .args(["dump", "--dictionary", "NoSuchThingAnywhere"])
        .assert()
        .code(3);
}

#[test]
fn usage_errors_exit_2() {
    dicomkit().args(["dump"]).assert().code(2);
    dicomkit()
        .args(["dump", "--format", "xml", "x.dcm"])
        .assert()
        .code(2);
    dicomkit()
        .args(["dump", "--no-such-option", "x.dcm"])
        .assert()
        .code(2);
    dicomkit().args(["nosuchcommand"]).assert().code(2);
    dicomkit()
        .args(["dump", "-f", "PatientNmae"])
        .arg(sample("dicom-images/CT_small.dcm"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("PatientName"));
    dicomkit()
        .args(["dump", "-q", "-v", "x.dcm"])
        .assert()
        .code(2);
    dicomkit()
        .args(["--version"])
        .assert()
        .success()
        .stdout(predicate::str::contains("dicomkit"));
    dicomkit()
        .args(["dump", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--fields"));
}

#[test]
fn nothing_found_exits_3() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("notes.txt"), "hello").unwrap();
    dicomkit()
        .args(["dump"])
        .arg(tmp.path())
        .assert()
        .code(3)
        .stderr(predicate::str::contains("no DICOM file found"));
}

#[test]
fn partial_batch_exits_4_and_all_failed_exits_6() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        sample("dicom-images/CT_small.dcm"),
        tmp.path().join("a.dcm"),
    )
    .unwrap();
    std::fs::copy(
        sample("dicom-malformed/rtplan_truncated.dcm"),
        tmp.path().join("b.dcm"),
    )
    .unwrap();
    // IsocenterPosition lies past the break of b.dcm, so it is read up to there.
    let out = dicomkit()
        .args([
            "dump",
            "--format",
            "csv",
            "-f",
            "PatientID,IsocenterPosition",
        ])
        .arg(tmp.path())
        .assert()
        .code(4);
    let out = out.get_output();
    let text = String::from_utf8_lossy(&out.stdout);
    let rows = csv_rows(&text);
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][3], "", "a.dcm has no error");
    assert_eq!(
        &rows[1][1], "id00001",
        "b.dcm's fields before the break are kept"
    );
    assert!(
        rows[1][3].contains("truncated"),
        "b.dcm's error is in the error column"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.lines()
            .any(|l| l.starts_with("dicomkit: ") && l.contains("b.dcm")),
        "{err}"
    );
    assert!(err.contains("1 of 2 files failed"), "{err}");

    std::fs::remove_file(tmp.path().join("a.dcm")).unwrap();
    dicomkit()
        .args(["dump", "-f", "PatientID,IsocenterPosition"])
        .arg(tmp.path())
        .assert()
        .code(6);
}

#[test]
fn bad_input_exits_6_with_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("not.dcm");
    std::fs::write(&f, b"this is plain text, not DICOM at all").unwrap();
    let out = dicomkit().args(["dump"]).arg(&f).assert().code(6);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("dicomkit: ")
            && err.contains("not.dcm")
            && err.contains("not a DICOM file"),
        "{err}"
    );
    let out = dicomkit()
        .args(["dump"])
        .arg(tmp.path().join("missing.dcm"))
        .assert()
        .code(6);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.contains("missing.dcm: no such file or directory"),
        "{err}"
    );
    dicomkit()
        .args(["dump"])
        .arg(tmp.path().join("empty.dcm"))
        .assert()
        .code(6);
}

#[test]
fn verbosity_and_quiet() {
    // A raw data set: the guessed transfer syntax is reported with -v only.
    let f = sample("dicom-images/OT-PAL-8-face.dcm");
    dicomkit()
        .args(["dump", "-f", "Rows"])
        .arg(&f)
        .assert()
        .success()
        .stderr(predicate::str::is_empty());
    dicomkit()
        .args(["dump", "-v", "-f", "Rows"])
        .arg(&f)
        .assert()
        .success()
        .stderr(predicate::str::contains("no transfer syntax declared"));
    // -q hides warnings but not errors.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        sample("dicom-malformed/rtplan_truncated.dcm"),
        tmp.path().join("b.dcm"),
    )
    .unwrap();
    dicomkit()
        .args(["dump", "-q", "-f", "PatientID,IsocenterPosition"])
        .arg(tmp.path().join("b.dcm"))
        .assert()
        .code(6)
        .stderr(predicate::str::contains("b.dcm"));
    // Progress never shows when stderr is not a terminal, with or without --no-progress.
    dicomkit()
        .args(["dump", "-f", "Rows", "--format", "csv"])
        .arg(samples().join("dicom-images/dicomdir/77654033"))
        .assert()
        .success()
        .stderr(predicate::str::is_empty());
    dicomkit()
        .args(["dump", "--no-progress", "-f", "Rows"])
        .arg(&f)
        .assert()
        .success();
}

#[test]
fn jobs_do_not_change_the_output() {
    let dir = samples().join("dicom-images");
    let one = stdout_of(
        dicomkit()
            .args(["dump", "--format", "csv", "-f", "SOPInstanceUID", "-j", "1"])
            .arg(&dir),
    );
    let many = stdout_of(
        dicomkit()
            .args(["dump", "--format", "csv", "-f", "SOPInstanceUID", "-j", "4"])
            .arg(&dir),
    );
    assert_eq!(one, many);
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("dicomkit"))
        .args(["dump", "--format", "csv", "-f", "PatientID"])
        .arg(samples().join("dicom-images"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.code() == Some(0), "{status:?} {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn no_color_and_terminal_detection() {
    // Piped stdout: plain table, never ANSI, with or without NO_COLOR.
    let text = stdout_of(
        dicomkit()
            .env("NO_COLOR", "1")
            .args(["dump"])
            .arg(sample("dicom-images/CT_small.dcm")),
    );
    assert!(!text.contains('\x1b'));
    let style = dicomkit::output::Style::plain();
    assert!(!style.color && !style.terminal);
}

/// Run dicomkit with stdout and stderr on a pseudo-terminal of 100 columns (util-linux
/// `script`), returning everything the terminal showed.
fn on_terminal(env: &str, args: &str) -> String {
    let bin = assert_cmd::cargo::cargo_bin("dicomkit");
    let inner = format!("stty cols 100 2>/dev/null; {env} {} {args}", bin.display());
    let out = common::tool("script", "bsdutils")
        .args(["-qec", &inner, "/dev/null"])
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn terminal_styling_width_and_progress() {
    let file = sample("dicom-images/CT_small.dcm");
    // A terminal: bold header, table fitted to 100 columns.
    let shown = on_terminal("", &format!("dump {}", file.display()));
    assert!(shown.contains("\x1b[1m"), "bold header on a terminal");
    let ansi = regex::Regex::new("\x1b\\[[0-9;?]*[A-Za-z]").unwrap();
    let plain = ansi.replace_all(&shown, "");
    let widest = plain
        .lines()
        .map(|l| l.trim_end_matches('\r').chars().count())
        .max()
        .unwrap();
    assert!(widest <= 100, "table wider than the terminal: {widest}");
    // NO_COLOR: no styling at all.
    let shown = on_terminal("NO_COLOR=1", &format!("dump {}", file.display()));
    assert!(!shown.contains("\x1b[1m"), "NO_COLOR respected");
    // A batch on a terminal shows a progress counter on stderr; --no-progress and -q hide it.
    let dir = samples().join("dicom-images/dicomdir");
    let shown = on_terminal("", &format!("dump -f Rows --format csv {}", dir.display()));
    assert!(shown.contains(" files "), "progress counter shown: {shown}");
    let shown = on_terminal(
        "",
        &format!("dump --no-progress -f Rows --format csv {}", dir.display()),
    );
    assert!(!shown.contains(" files "), "--no-progress");
    let shown = on_terminal(
        "",
        &format!("dump -q -f Rows --format csv {}", dir.display()),
    );
    assert!(!shown.contains(" files "), "-q");
}

#[test]
fn a_failed_write_is_an_internal_error() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = Command::new(assert_cmd::cargo::cargo_bin("dicomkit"))
        .args(["dump", "--format", "csv"])
        .arg(sample("dicom-images/CT_small.dcm"))
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write output"));
}

/// A huge value given by the user is cut in the message that echoes it (one short line), and
/// looking for close keywords does not take seconds.
#[test]
fn huge_user_values_are_cut_in_messages() {
    let huge = "Zz".repeat(50_000);
    let start = std::time::Instant::now();
    let out = dicomkit()
        .args(["dump", "-f", &huge])
        .arg(sample("dicom-images/CT_small.dcm"))
        .output()
        .unwrap();
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.len() < 400, "{} bytes: {}", err.len(), &err[..400]);
    assert!(err.contains("… (100000 characters)"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let dir = tempfile::tempdir().unwrap();
    let out = dicomkit()
        .args(["generate", "-o"])
        .arg(dir.path().join("x.dcm"))
        .arg("--set")
        .arg(format!("PatientName={}", "A".repeat(100_000)))
        .arg(sample("dicom-images/CT_small.dcm"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.len() < 400, "{} bytes", err.len());
    assert!(err.contains("… (100000 characters)"), "{err}");
}
