//! `dicomkit dump` on every broken or unusual file of `samples/dicom-malformed`: never a
//! panic or a signal, the exit code and one-line reason the table below expects, and what was
//! read before a break still printed. Readable or not is decided as dcmdump (and pydicom) do:
//! see the MANIFEST of the samples for what is wrong with each file.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What `dump` must do with one file.
struct Expect {
    file: &'static str,
    /// Exit code of a full read (table, `--format json`, `--format csv`).
    full: i32,
    /// Substring of the one-line reason when `full` is 6.
    reason: &'static str,
    /// Exit code with `--fields PatientName,Rows`, which reads only up to (0028,0010): a file
    /// cut after that point reads fine then.
    fields: i32,
    /// Values that must be in the CSV listing (for a partial read: read before the break).
    rows: &'static [&'static str],
}

const EXPECTED: &[Expect] = &[
    // Raw Explicit VR Big Endian data set, no meta: recognised as such (dcmdump -f -tb).
    Expect {
        file: "ExplVR_BigEndNoMeta.dcm",
        full: 0,
        reason: "",
        fields: 0,
        rows: &["RTPLAN", "CMS, Inc."],
    },
    // The J2K stream disagrees with the header: a decoding matter, the file reads.
    Expect {
        file: "J2K_pixelrep_mismatch.dcm",
        full: 0,
        reason: "",
        fields: 0,
        rows: &["JXD191021006"],
    },
    // A sequence delimiter inside a fragment of explicit length is fragment data.
    Expect {
        file: "JPEG2000-embedded-sequence-delimiter.dcm",
        full: 0,
        reason: "",
        fields: 0,
        rows: &["(encapsulated, 1 fragment, 250 bytes)"],
    },
    // Excess pixel bytes and trailing padding are legal encodings.
    Expect {
        file: "MR_small_padded.dcm",
        full: 0,
        reason: "",
        fields: 0,
        rows: &["(FFFC,FFFC)", "(binary, 8320 bytes)"],
    },
    // Pixel Data declares 8192 bytes, 8130 are left: everything before it is printed.
    Expect {
        file: "MR_truncated.dcm",
        full: 6,
        reason: "truncated",
        fields: 0,
        rows: &["CompressedSamples^MR1", "(0028,0010)"],
    },
    // Values invalid for their VR (NumberOfFrames "1A") are still values.
    Expect {
        file: "badVR.dcm",
        full: 0,
        reason: "",
        fields: 0,
        rows: &["1A", "Lastname^Firstname"],
    },
    // Explicit-length UN holding an implicit sequence: read as UN bytes, as dcmdump does.
    Expect {
        file: "bad_sequence.dcm",
        full: 0,
        reason: "",
        fields: 0,
        rows: &["2e2884fea560"],
    },
    Expect {
        file: "empty_charset_LEI.dcm",
        full: 0,
        reason: "",
        fields: 0,
        rows: &["(0008,0005)"],
    },
    // Encapsulated pixel data without its sequence delimiter: dcmdump fails too ("Sequence
    // Delimitation Item missing"); the fragments read are printed.
    Expect {
        file: "emri_small_jpeg_2k_lossless_too_short.dcm",
        full: 6,
        reason: "before its sequence delimitation item (truncated file?)",
        fields: 0,
        rows: &["(encapsulated, 10 fragments, 37876 bytes)"],
    },
    // Meta without (0002,0010): the data set's encoding is recognised (implicit VR LE).
    Expect {
        file: "meta_missing_tsyntax.dcm",
        full: 0,
        reason: "",
        fields: 0,
        rows: &["(0001,0001)", "(sequence, 1 item)", "(7FE0,0010)"],
    },
    // A stray byte before an explicit VR data set: neither dcmdump nor pydicom read it.
    Expect {
        file: "no_meta.dcm",
        full: 6,
        reason: "not a DICOM file",
        fields: 6,
        rows: &[],
    },
    Expect {
        file: "no_meta_group_length.dcm",
        full: 0,
        reason: "",
        fields: 0,
        rows: &["(0002,0010)"],
    },
    // Zero-length binary numbers are empty values.
    Expect {
        file: "reportsi_with_empty_number_tags.dcm",
        full: 0,
        reason: "",
        fields: 0,
        rows: &["Last Name^First Name", "(0064,0009)"],
    },
    // Cut inside IsocenterPosition (300A,012C), deep in the beam sequences.
    Expect {
        file: "rtplan_truncated.dcm",
        full: 6,
        reason: "truncated",
        fields: 0,
        rows: &["Last^First^mid^pre", "(300A,00B0)"],
    },
    // A gzip file, not DICOM.
    Expect {
        file: "zipMR.gz",
        full: 6,
        reason: "not a DICOM file",
        fields: 6,
        rows: &[],
    },
];

fn malformed_dir() -> PathBuf {
    common::samples().join("dicom-malformed")
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str], path: &Path) -> Run {
    let out = common::dicomkit().args(args).arg(path).output().unwrap();
    let code = out.status.code().unwrap_or_else(|| {
        panic!(
            "dicomkit {args:?} {} ended by a signal: {:?}",
            path.display(),
            out.status
        )
    });
    Run {
        code,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Check one run against the expected exit code and reason; problems go to `errors`.
fn check(errors: &mut Vec<String>, what: &str, file: &str, r: &Run, code: i32, reason: &str) {
    if r.code == 101 {
        errors.push(format!("{what}: panicked: {}", r.stderr));
        return;
    }
    if r.code != code {
        errors.push(format!(
            "{what}: exit {} instead of {code}; stderr: {}",
            r.code,
            r.stderr.trim()
        ));
    }
    let lines: Vec<&str> = r.stderr.lines().collect();
    if code == 6 {
        let ok = lines.len() == 1
            && lines.first().is_some_and(|l| {
                l.starts_with("dicomkit: ") && l.contains(file) && l.contains(reason)
            });
        if !ok {
            errors.push(format!(
                "{what}: expected one line `dicomkit: …{file}…: …{reason}…` on stderr, got {:?}",
                r.stderr
            ));
        }
    } else if let Some(l) = lines.iter().find(|l| !l.starts_with("dicomkit: warning: ")) {
        errors.push(format!("{what}: unexpected stderr line {l:?}"));
    }
}

#[test]
fn every_malformed_file_has_its_expected_outcome() {
    let dir = malformed_dir();
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let listed: BTreeSet<String> = EXPECTED.iter().map(|e| e.file.to_owned()).collect();
    assert_eq!(
        on_disk,
        listed,
        "the table must list exactly the files of {}",
        dir.display()
    );

    let mut errors = Vec::new();
    for e in EXPECTED {
        let path = dir.join(e.file);

        let table = run(&["dump"], &path);
        check(
            &mut errors,
            &format!("{} (table)", e.file),
            e.file,
            &table,
            e.full,
            e.reason,
        );

        let json = run(&["dump", "--format", "json"], &path);
        check(
            &mut errors,
            &format!("{} (json)", e.file),
            e.file,
            &json,
            e.full,
            e.reason,
        );
        if (!json.stdout.trim().is_empty() || e.full == 0)
            && let Err(err) = serde_json::from_str::<serde_json::Value>(&json.stdout)
        {
            errors.push(format!("{} (json): output is not JSON: {err}", e.file));
        }

        let fields = run(
            &["dump", "--fields", "PatientName,Rows", "--format", "csv"],
            &path,
        );
        check(
            &mut errors,
            &format!("{} (fields)", e.file),
            e.file,
            &fields,
            e.fields,
            e.reason,
        );
        // One row under the header, its error column filled when the file cannot be read.
        let rows = field_rows(&fields.stdout);
        let ok = rows.len() == 1
            && rows.first().is_some_and(|(_, error)| {
                if e.fields == 6 {
                    error.contains(e.reason)
                } else {
                    error.is_empty()
                }
            });
        if !ok {
            errors.push(format!(
                "{} (fields): expected one row (error column per the table), got {:?}",
                e.file, fields.stdout
            ));
        }

        let csv = run(&["dump", "--format", "csv"], &path);
        check(
            &mut errors,
            &format!("{} (csv)", e.file),
            e.file,
            &csv,
            e.full,
            e.reason,
        );
        for want in e.rows {
            if !csv.stdout.contains(want) {
                errors.push(format!(
                    "{} (csv): {want:?} not in the listing (read before the break?)",
                    e.file
                ));
            }
        }
        if e.full == 6 && !e.rows.is_empty() && table.stdout.trim().is_empty() {
            errors.push(format!("{}: partial read printed nothing", e.file));
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn truncated_files_keep_what_precedes_the_break() {
    let path = common::sample("dicom-malformed/MR_truncated.dcm");
    let r = run(&["dump", "--format", "csv"], &path);
    assert_eq!(r.code, 6, "{}", r.stderr);
    let rows: Vec<&str> = r.stdout.lines().collect();
    assert!(
        rows.iter()
            .any(|l| l.contains("\"(0010,0010)\"") && l.contains("CompressedSamples^MR1")),
        "PatientName row missing:\n{}",
        r.stdout
    );
    // The pixel data itself was not read: listed as such, after everything else.
    let last = rows.last().copied().unwrap_or_default();
    assert!(
        last.contains("\"(7FE0,0010)\"") && last.contains("(not read)"),
        "{last}"
    );
    assert!(
        r.stderr.contains("8192") && r.stderr.contains("8130"),
        "{}",
        r.stderr
    );

    let path = common::sample("dicom-malformed/rtplan_truncated.dcm");
    let r = run(&["dump", "--format", "csv"], &path);
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(r.stdout.contains("Last^First^mid^pre"), "{}", r.stdout);
    assert!(r.stderr.contains("(300A,012C)"), "{}", r.stderr);
}

/// Rows of a `--fields` CSV: path → error column.
fn field_rows(csv_text: &str) -> Vec<(String, String)> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let error_col = headers.iter().position(|h| h == "error").unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_owned(), r[error_col].to_owned())
        })
        .collect()
}

fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn batch_of_every_malformed_file_named_on_the_command_line() {
    // Files named on the command line are all reported, DICOM or not: one row per file, the
    // error column filled for the two that are not DICOM, exit 4 (some failed).
    let dir = malformed_dir();
    let mut cmd = common::dicomkit();
    cmd.args(["dump", "--fields", "PatientName", "--format", "csv"]);
    for e in EXPECTED {
        cmd.arg(dir.join(e.file));
    }
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = field_rows(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(rows.len(), EXPECTED.len(), "{rows:?}");
    for (path, error) in &rows {
        let name = file_name(path);
        let e = EXPECTED.iter().find(|e| e.file == name).unwrap();
        if e.fields == 6 {
            assert!(error.contains(e.reason), "{name}: error column {error:?}");
        } else {
            assert!(error.is_empty(), "{name}: error column {error:?}");
        }
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let failures: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.starts_with("dicomkit: warning: "))
        .collect();
    // One line per failed file, then the summary.
    assert_eq!(failures.len(), 3, "{stderr}");
    assert!(
        failures
            .iter()
            .any(|l| l.contains("zipMR.gz: not a DICOM file"))
            && failures
                .iter()
                .any(|l| l.contains("no_meta.dcm: not a DICOM file"))
            && failures.last().is_some_and(|l| l.contains("2 of 15")),
        "{stderr}"
    );
}

#[test]
fn batch_over_the_malformed_directory() {
    // A walked directory: files that are not DICOM at all (zipMR.gz, no_meta.dcm) are skipped
    // by design (listed with -v), the others get one row each. Reading only up to
    // PatientName, no file breaks before it: exit 0.
    let dir = malformed_dir();
    let out = common::dicomkit()
        .args(["dump", "--fields", "PatientName", "--format", "csv"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = field_rows(&String::from_utf8_lossy(&out.stdout));
    let names: BTreeSet<String> = rows.iter().map(|(p, _)| file_name(p)).collect();
    let dicom: BTreeSet<String> = EXPECTED
        .iter()
        .filter(|e| e.fields == 0)
        .map(|e| e.file.to_owned())
        .collect();
    assert_eq!(names, dicom);
    assert!(rows.iter().all(|(_, error)| error.is_empty()), "{rows:?}");

    // Asking for the pixel data reads every file to its end: the three cut files fail (exit
    // 4, some failed), with their reason in the error column; the rest read.
    let out = common::dicomkit()
        .args([
            "dump",
            "--fields",
            "PatientName,PixelData",
            "--format",
            "csv",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = field_rows(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(rows.len(), dicom.len(), "{rows:?}");
    for (path, error) in &rows {
        let name = file_name(path);
        let e = EXPECTED.iter().find(|e| e.file == name).unwrap();
        if e.full == 6 {
            assert!(error.contains(e.reason), "{name}: error column {error:?}");
        } else {
            assert!(error.is_empty(), "{name}: error column {error:?}");
        }
    }
}

/// Top-level `(tag, VR, value)` of dcmdump's listing of a small flat data set.
fn dcmdump_top_level(text: &str) -> Vec<(String, String, String)> {
    let re = regex::Regex::new(r"^\(([0-9a-f]{4},[0-9a-f]{4})\) (\S\S) (.*?)\s+#\s*\d+,\s*\d+ ")
        .unwrap();
    text.lines()
        .filter_map(|l| re.captures(l))
        .map(|c| {
            let value = c[3].to_owned();
            let value = match value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
                Some(v) => v.trim().to_owned(),
                None if value == "(no value available)" => String::new(),
                None => value,
            };
            (format!("({})", c[1].to_uppercase()), c[2].to_owned(), value)
        })
        .collect()
}

#[test]
fn raw_big_endian_data_set_matches_dcmdump_read_as_big_endian() {
    let path = common::sample("dicom-malformed/ExplVR_BigEndNoMeta.dcm");
    let dcm = common::tool("dcmdump", "dcmtk")
        .args(["-q", "+L", "-Un", "-f", "-tb"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(dcm.status.success());
    let expected = dcmdump_top_level(&String::from_utf8_lossy(&dcm.stdout));
    assert_eq!(expected.len(), 24, "{expected:?}");

    let r = run(&["dump", "--format", "csv"], &path);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut reader = csv::Reader::from_reader(r.stdout.as_bytes());
    let got: Vec<(String, String, String)> = reader
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            assert_eq!(&rec[1], "0", "flat data set");
            (
                rec[2].to_owned(),
                rec[3].to_owned(),
                rec[7].trim().to_owned(),
            )
        })
        .collect();
    assert_eq!(got, expected);
}
