//! `dicomkit interpret`: every default rule and severity band through CSV inputs the tests write,
//! the heart-rate-decisive cases at the band edges, rule-file overrides, malformed inputs, NDJSON
//! and stdin, signal-only read-outs of real ECG files, and the `ecg-infer | interpret` pipeline.
mod common;

use std::collections::HashMap;

use common::infer::{LABELS, library, models};
use common::{csv_records, dicomkit, sample};

/// A CSV in ecg-infer's layout (plus hr_bpm) with one row per case: (record_id, positive labels, hr).
fn csv(cases: &[(&str, &[&str], Option<f64>)]) -> String {
    let mut s = String::from("source,record_id,segments");
    for l in LABELS {
        s.push(',');
        s.push_str(l);
    }
    s.push_str(",hr_bpm,error\n");
    for (id, positive, hr) in cases {
        s.push_str(&format!("none.scp,{id},2"));
        for l in LABELS {
            s.push_str(if positive.contains(&l) {
                ",0.9"
            } else {
                ",0.05"
            });
        }
        s.push_str(&format!(
            ",{},\n",
            hr.map(|h| h.to_string()).unwrap_or_default()
        ));
    }
    s
}

fn interpret(input: &str, extra: &[&str]) -> (Option<i32>, Vec<HashMap<String, String>>, String) {
    let out = dicomkit()
        .args(["interpret", "-", "--format", "csv"])
        .args(extra)
        .write_stdin(input.to_owned())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let rows = if text.is_empty() {
        Vec::new()
    } else {
        csv_records(&text)
    };
    (
        out.status.code(),
        rows,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_default_rule() {
    // label → (group column, severity when alone with a normal rate)
    let expect: [(&str, &str, &str); 17] = [
        ("poor_data_quality", "other", "normal"),
        ("sinus_rhythm", "rhythm", "normal"),
        ("premature_ventricular_contraction", "rhythm", "minor"),
        ("tachycardia", "rhythm", "normal"), // contradicted by 75 bpm
        ("ventricular_tachycardia", "rhythm", "critical"),
        (
            "supraventricular_tachycardia_with_aberrancy",
            "rhythm",
            "severe",
        ),
        ("atrial_fibrillation", "rhythm", "moderate"),
        ("atrial_flutter", "rhythm", "moderate"),
        ("bradycardia", "rhythm", "normal"), // contradicted by 75 bpm
        ("accessory_pathway_conduction", "conduction", "moderate"),
        ("atrioventricular_block", "conduction", "severe"),
        ("1st_degree_atrioventricular_block", "conduction", "minor"),
        ("bifascicular_block", "conduction", "moderate"),
        ("right_bundle_branch_block", "conduction", "minor"),
        ("left_bundle_branch_block", "conduction", "moderate"),
        ("infarction", "ischemia", "severe"),
        ("electronic_pacemaker", "other", "minor"),
    ];
    let cases: Vec<(&str, &[&str], Option<f64>)> = expect
        .iter()
        .map(|(l, _, _)| (*l, std::slice::from_ref(l), Some(75.0)))
        .collect();
    let (code, rows, err) = interpret(&csv(&cases), &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(rows.len(), 17);
    for ((label, group, severity), row) in expect.iter().zip(&rows) {
        assert_eq!(row["record_id"], *label);
        assert_eq!(row["severity"], *severity, "{label}: {row:?}");
        assert!(!row[*group].is_empty(), "{label} in {group}: {row:?}");
        assert_eq!(row["hr_bpm"], "75");
        assert_eq!(row["hr_source"], "column");
        assert!(
            row["reasons"].contains(label),
            "{label}: {}",
            row["reasons"]
        );
        assert_eq!(row["error"], "");
    }
    let pdq = &rows[0];
    assert_eq!(pdq["confidence"], "low");
    assert!(pdq["reasons"].starts_with("poor_data_quality 0.90 >= 0.50"));
    assert!(rows[1..].iter().all(|r| r["confidence"] == "normal"));
    assert_eq!(rows[4]["primary_finding"], "Ventricular tachycardia");
    assert!(rows[3]["rhythm"].contains("Tachycardia label contradicted by measured HR 75 bpm"));
    assert!(rows[8]["rhythm"].contains("Bradycardia label contradicted by measured HR 75 bpm"));
}

#[test]
fn heart_rate_bands_at_the_edges() {
    let sinus: &[&str] = &["sinus_rhythm"];
    let edges = [
        (39.9, "critical", "Sinus bradycardia"),
        (40.0, "moderate", "Sinus bradycardia"),
        (49.9, "moderate", "Sinus bradycardia"),
        (50.0, "minor", "Sinus bradycardia"),
        (59.9, "minor", "Sinus bradycardia"),
        (60.0, "normal", "Sinus rhythm"),
        (100.0, "normal", "Sinus rhythm"),
        (100.1, "minor", "Sinus tachycardia"),
        (120.0, "minor", "Sinus tachycardia"),
        (120.1, "moderate", "Sinus tachycardia"),
        (150.0, "moderate", "Sinus tachycardia"),
        (150.1, "critical", "Sinus tachycardia"),
    ];
    let ids: Vec<String> = edges.iter().map(|e| format!("hr{}", e.0)).collect();
    let cases: Vec<(&str, &[&str], Option<f64>)> = edges
        .iter()
        .zip(&ids)
        .map(|(e, id)| (id.as_str(), sinus, Some(e.0)))
        .collect();
    let (code, rows, _) = interpret(&csv(&cases), &[]);
    assert_eq!(code, Some(0));
    for ((hr, severity, primary), row) in edges.iter().zip(&rows) {
        assert_eq!(row["severity"], *severity, "HR {hr}: {row:?}");
        assert_eq!(row["primary_finding"], *primary, "HR {hr}");
        assert!(row["reasons"].contains("only rate/rhythm findings"), "{hr}");
    }
    // a tachycardia label confirmed by the rate: the band decides, not the label's severity
    let (_, rows, _) = interpret(
        &csv(&[
            ("t110", &["sinus_rhythm", "tachycardia"], Some(110.0)),
            ("t99", &["tachycardia"], Some(99.0)),
            ("b45", &["bradycardia"], Some(45.0)),
            ("b61", &["bradycardia"], Some(61.0)),
            ("no-hr", &["tachycardia"], None),
            ("af-fast", &["atrial_fibrillation"], Some(160.0)),
            ("af-normal", &["atrial_fibrillation"], Some(80.0)),
        ]),
        &["--signal", "never"],
    );
    let by: HashMap<&str, &HashMap<String, String>> =
        rows.iter().map(|r| (r["record_id"].as_str(), r)).collect();
    assert_eq!(by["t110"]["severity"], "minor");
    assert!(by["t110"]["reasons"].contains("confirmed by measured HR 110 bpm"));
    assert_eq!(by["t99"]["severity"], "normal");
    assert!(by["t99"]["rhythm"].contains("contradicted"));
    assert_eq!(by["b45"]["severity"], "moderate");
    assert_eq!(by["b45"]["primary_finding"], "Bradycardia");
    assert_eq!(by["b61"]["severity"], "normal");
    assert!(by["b61"]["reasons"].contains("not below 60"));
    // no rate: the label's own severity, and it says so
    assert_eq!(by["no-hr"]["severity"], "moderate");
    assert!(by["no-hr"]["reasons"].contains("rate not measured"));
    // other findings: the highest of the finding and the rate band
    assert_eq!(by["af-fast"]["severity"], "critical");
    assert_eq!(by["af-fast"]["primary_finding"], "Atrial fibrillation");
    assert_eq!(by["af-normal"]["severity"], "moderate");
}

#[test]
fn rule_files_override() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("rules.toml");
    std::fs::write(
        &toml,
        "[labels.atrial_fibrillation]\nthreshold = 0.95\n\n[labels.right_bundle_branch_block]\nseverity = \"severe\"\ngroup = \"structural\"\n\n[heart_rate]\nbands = [{ upto = 200, severity = \"normal\" }]\n",
    )
    .unwrap();
    let input = csv(&[
        ("af", &["atrial_fibrillation"], Some(80.0)),
        ("rbbb", &["right_bundle_branch_block"], Some(80.0)),
        ("fast", &["sinus_rhythm"], Some(170.0)),
    ]);
    let (code, rows, err) = interpret(&input, &["--rules", toml.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(rows[0]["severity"], "normal", "0.9 < 0.95: not positive");
    assert_eq!(rows[0]["primary_finding"], "No finding");
    assert_eq!(rows[1]["severity"], "severe");
    assert!(rows[1]["structural"].contains("Right bundle branch block"));
    assert_eq!(rows[1]["conduction"], "");
    assert_eq!(rows[2]["severity"], "normal");
    // the same as JSON
    let json = dir.path().join("rules.json");
    std::fs::write(
        &json,
        r#"{"labels": {"infarction": {"severity": "critical"}}, "heart_rate": {"tachycardia_above": 90}}"#,
    )
    .unwrap();
    let (_, rows, _) = interpret(
        &csv(&[
            ("mi", &["infarction"], Some(70.0)),
            ("t95", &["tachycardia"], Some(95.0)),
        ]),
        &["--rules", json.to_str().unwrap()],
    );
    assert_eq!(rows[0]["severity"], "critical");
    assert!(rows[1]["reasons"].contains("confirmed by measured HR 95 bpm"));
    // a bad rule file: exit 6 naming the file and the problem
    std::fs::write(&toml, "[labels.infarction]\nthreshold = 3\n").unwrap();
    let (code, _, err) = interpret(&input, &["--rules", toml.to_str().unwrap()]);
    assert_eq!(code, Some(6));
    assert!(
        err.contains("rules.toml") && err.contains("threshold"),
        "{err}"
    );
}

#[test]
fn malformed_inputs() {
    // missing label columns: one error naming them, exit 6
    let (code, rows, err) = interpret("source,record_id,sinus_rhythm\na.scp,a,0.9\n", &[]);
    assert_eq!(code, Some(6));
    assert!(rows.is_empty());
    assert!(
        err.contains(
            "missing label column(s) poor_data_quality, premature_ventricular_contraction"
        ),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // a non-numeric probability, an out-of-range one, a ragged row and an upstream error: those
    // rows are reported, the rest go on, exit 4
    let mut input = csv(&[
        ("ok1", &["sinus_rhythm"], Some(70.0)),
        ("bad", &[], Some(70.0)),
    ]);
    input = input.replacen("none.scp,bad,2,0.05", "none.scp,bad,2,abc", 1);
    input.push_str("none.scp,ragged,2,0.1\n");
    let mut range = csv(&[("range", &[], None)]);
    range = range.lines().nth(1).unwrap().replacen(",0.05", ",1.5", 1) + "\n";
    input.push_str(&range);
    input.push_str(&format!(
        "none.scp,upstream,{},,cannot read the file\n",
        ",".repeat(17)
    ));
    input.push_str(
        csv(&[("ok2", &["infarction"], Some(70.0))])
            .lines()
            .nth(1)
            .unwrap(),
    );
    input.push('\n');
    let (code, rows, err) = interpret(&input, &[]);
    assert_eq!(code, Some(4), "{err}");
    let ids: Vec<&str> = rows.iter().map(|r| r["record_id"].as_str()).collect();
    assert_eq!(rows.len(), 6, "{ids:?}");
    let by: HashMap<&str, &HashMap<String, String>> =
        rows.iter().map(|r| (r["record_id"].as_str(), r)).collect();
    assert_eq!(by["ok1"]["severity"], "normal");
    assert_eq!(by["ok2"]["severity"], "severe");
    assert!(by["bad"]["error"].contains("poor_data_quality = \"abc\" is not a number"));
    assert!(by["range"]["error"].contains("1.5 is not a probability"));
    assert!(by["upstream"]["error"].contains("ecg-infer: cannot read the file"));
    assert!(
        rows.iter()
            .any(|r| r["error"].contains("fields where the header has"))
    );
    assert!(err.contains("4 of 6 records failed"), "{err}");
    // not a table at all
    let (code, _, _) = interpret("hello world\n", &[]);
    assert_eq!(code, Some(6));
    // an empty input: nothing to read out
    let (code, _, _) = interpret(&csv(&[]), &[]);
    assert_eq!(code, Some(3));
}

#[test]
fn ndjson_input_and_file_input() {
    let mut lines = String::new();
    for (id, hr) in [("a", 72.0), ("b", 155.0)] {
        let mut obj = serde_json::Map::new();
        obj.insert("source".into(), "x.scp".into());
        obj.insert("record_id".into(), id.into());
        for l in LABELS {
            obj.insert(
                l.into(),
                serde_json::json!(if l == "sinus_rhythm" { 0.9 } else { 0.1 }),
            );
        }
        obj.insert("hr_bpm".into(), serde_json::json!(hr));
        lines.push_str(&serde_json::Value::Object(obj).to_string());
        lines.push('\n');
    }
    lines.push_str("{\"record_id\": \"c\", \"sinus_rhythm\": 0.9}\n");
    lines.push_str("not json\n");
    let (code, rows, _) = interpret(&lines, &[]);
    assert_eq!(code, Some(4));
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0]["severity"], "normal");
    assert_eq!(rows[1]["severity"], "critical");
    assert!(rows[2]["error"].contains("missing label column(s) poor_data_quality"));
    assert!(rows[3]["error"].contains("not JSON"));
    // the same rows from a file, JSON output
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("labels.csv");
    std::fs::write(&f, csv(&[("f1", &["sinus_rhythm"], Some(66.0))])).unwrap();
    let out = dicomkit()
        .args(["interpret", "--format", "json"])
        .arg(&f)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["record_id"], "f1");
    assert_eq!(v[0]["hr_bpm"], 66.0);
    assert_eq!(v[0]["severity"], "normal");
}

#[test]
fn many_rows_stream() {
    // 50,000 rows through stdin in one go: every row comes out, in order
    let cases: Vec<(String, Option<f64>)> = (0..50_000)
        .map(|i| (format!("r{i}"), Some(40.0 + (i % 150) as f64)))
        .collect();
    let refs: Vec<(&str, &[&str], Option<f64>)> = cases
        .iter()
        .map(|(id, hr)| (id.as_str(), &["sinus_rhythm"][..], *hr))
        .collect();
    let (code, rows, _) = interpret(&csv(&refs), &["--signal", "never"]);
    assert_eq!(code, Some(0));
    assert_eq!(rows.len(), 50_000);
    assert_eq!(rows[49_999]["record_id"], "r49999");
    assert!(rows.iter().all(|r| !r["severity"].is_empty()));
}

#[test]
fn quoted_fields_across_pieces() {
    // 20,000 rows (several 64 KiB pieces), every source quoted with a comma, one with a newline
    // and an escaped quote: records are cut only outside quotes, line numbers stay right
    let ids: Vec<String> = (0..20_000).map(|i| format!("q{i}")).collect();
    let refs: Vec<(&str, &[&str], Option<f64>)> = ids
        .iter()
        .map(|id| (id.as_str(), &["sinus_rhythm"][..], Some(70.0)))
        .collect();
    let mut text = String::new();
    for (n, line) in csv(&refs).lines().enumerate() {
        if n == 0 {
            text.push_str(line);
        } else if n == 7_000 {
            text.push_str(&line.replacen("none.scp", "\"dir, with\nnewline \"\"x\"\".scp\"", 1));
        } else {
            text.push_str(&line.replacen("none.scp", "\"a,b.scp\"", 1));
        }
        text.push('\n');
    }
    text.push_str("\"a,b.scp\",short,2\n");
    let (code, rows, _) = interpret(&text, &["--signal", "never"]);
    assert_eq!(code, Some(4));
    assert_eq!(rows.len(), 20_001);
    assert_eq!(rows[0]["source"], "a,b.scp");
    assert_eq!(rows[6_999]["source"], "dir, with\nnewline \"x\".scp");
    assert_eq!(rows[6_999]["severity"], "normal");
    assert_eq!(rows[19_999]["record_id"], "q19999");
    // the header is line 1, the 20,000 rows lines 2 to 20,002 (one has a newline inside)
    assert!(
        rows[20_000]["error"].starts_with("line 20003: 3 fields"),
        "{}",
        rows[20_000]["error"]
    );
}

#[test]
fn signal_only_read_out_of_ecg_files() {
    let out = dicomkit()
        .args(["interpret", "--format", "csv"])
        .arg(sample("dicom-ecg/waveform_ecg.dcm"))
        .arg(sample("dicom-ecg/synthetic_muse.dcm"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = csv_records(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(rows.len(), 2);
    let hr = |r: &HashMap<String, String>| r["hr_bpm"].parse::<f64>().unwrap();
    // cart: RR 982 ms = 61.1 bpm; synthetic: 72 bpm by construction
    assert!((hr(&rows[0]) - 61.1).abs() <= 2.0, "{}", rows[0]["hr_bpm"]);
    assert!((hr(&rows[1]) - 72.0).abs() <= 2.0, "{}", rows[1]["hr_bpm"]);
    for r in &rows {
        assert_eq!(r["hr_source"], "signal");
        assert_eq!(r["severity"], "normal");
        assert_eq!(r["primary_finding"], "Regular rhythm");
        assert!(!r["qrs_ms"].is_empty() && !r["qt_ms"].is_empty());
    }
}

#[test]
fn ecg_infer_pipeline_into_interpret() {
    let dir = tempfile::tempdir().unwrap();
    let (clinical, _) = models(dir.path());
    let files = [
        sample("dicom-ecg/waveform_ecg.dcm"),
        sample("scp-ecg/Example.scp"),
        sample("other-ecg/cpsc2018/A0002.hea"),
    ];
    let infer = dicomkit()
        .arg("ecg-infer")
        .args(["--ort-lib".as_ref(), library().as_os_str()])
        .args(["--clinical-model".as_ref(), clinical.as_os_str()])
        .args(["--format", "csv"])
        .args(&files)
        .output()
        .unwrap();
    assert!(
        infer.status.success(),
        "{}",
        String::from_utf8_lossy(&infer.stderr)
    );
    let out = dicomkit()
        .args(["interpret", "-", "--format", "csv"])
        .write_stdin(infer.stdout.clone())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = csv_records(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(rows.len(), 3);
    let infer_rows = csv_records(&String::from_utf8(infer.stdout).unwrap());
    for ((r, f), i) in rows.iter().zip(&files).zip(&infer_rows) {
        assert_eq!(r["source"], f.display().to_string());
        assert_eq!(
            r["hr_source"], "signal",
            "the source file's signal gives the rate"
        );
        assert!(!r["severity"].is_empty());
        // every positive label of ecg-infer's row is named in the read-out
        for l in LABELS {
            let p: f64 = i[l].parse().unwrap();
            if p >= 0.5 {
                assert!(r["reasons"].contains(l), "{l} missing in {}", r["reasons"]);
            }
        }
    }
    let hr: f64 = rows[0]["hr_bpm"].parse().unwrap();
    assert!((hr - 61.1).abs() <= 2.0, "waveform_ecg.dcm HR {hr}");
    // in-process: the same read-out straight from the ECG files
    let direct = dicomkit()
        .args(["interpret", "--format", "csv"])
        .args(["--ort-lib".as_ref(), library().as_os_str()])
        .args(["--clinical-model".as_ref(), clinical.as_os_str()])
        .args(&files)
        .output()
        .unwrap();
    assert!(
        direct.status.success(),
        "{}",
        String::from_utf8_lossy(&direct.stderr)
    );
    let direct_rows = csv_records(&String::from_utf8(direct.stdout).unwrap());
    for (a, b) in rows.iter().zip(&direct_rows) {
        for col in [
            "hr_bpm",
            "primary_finding",
            "severity",
            "rhythm",
            "conduction",
            "other",
        ] {
            assert_eq!(a[col], b[col], "{col}");
        }
    }
}

/// A 10 s, 12-lead WFDB record at 500 Hz whose samples are all zero (nothing to measure).
fn flat_record(dir: &std::path::Path) -> std::path::PathBuf {
    let hea = dir.join("flat.hea");
    let mut text = String::from("flat 12 500 5000\n");
    for lead in [
        "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
    ] {
        text.push_str(&format!("flat.dat 16 200/mV 16 0 0 0 0 {lead}\n"));
    }
    std::fs::write(&hea, text).unwrap();
    std::fs::write(dir.join("flat.dat"), vec![0u8; 5000 * 12 * 2]).unwrap();
    hea
}

#[test]
fn a_signal_that_cannot_be_measured_is_never_read_out_as_normal() {
    let dir = tempfile::tempdir().unwrap();
    let hea = flat_record(dir.path());
    // Signal only: no read-out at all, an error row, exit 6 (every record failed).
    let out = dicomkit()
        .args(["interpret", "--format", "csv"])
        .arg(&hea)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6));
    let rows = csv_records(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(rows.len(), 1);
    assert!(
        rows[0]["error"].contains("signal not measured"),
        "{:?}",
        rows[0]
    );
    assert_eq!(rows[0]["severity"], "");
    assert_eq!(rows[0]["primary_finding"], "");
    assert_eq!(rows[0]["hr_bpm"], "");
    // With the model: the labels are read out, but with low confidence and the reason first.
    let (clinical, _) = models(dir.path());
    let out = dicomkit()
        .args(["interpret", "--format", "csv"])
        .args(["--ort-lib".as_ref(), library().as_os_str()])
        .args(["--clinical-model".as_ref(), clinical.as_os_str()])
        .arg(&hea)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = csv_records(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r["confidence"], "low", "{r:?}");
    assert!(r["reasons"].starts_with("signal not measured ("), "{r:?}");
    assert_ne!(r["primary_finding"], "No finding", "{r:?}");
    assert_eq!(r["hr_bpm"], "");
    assert_eq!(r["qrs_ms"], "");
}

#[test]
fn an_xml_that_is_no_aecg_is_not_a_recognised_ecg_format() {
    let dir = tempfile::tempdir().unwrap();
    let muse = dir.path().join("muse.xml");
    std::fs::write(
        &muse,
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<!DOCTYPE RestingECG SYSTEM \"restecg.dtd\">\n<RestingECG><MuseInfo><MuseVersion>8.0.2.10132</MuseVersion></MuseInfo></RestingECG>\n",
    )
    .unwrap();
    let out = dicomkit()
        .args(["interpret", "--format", "csv"])
        .arg(&muse)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6));
    let rows = csv_records(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(rows.len(), 1);
    assert!(
        rows[0]["error"].contains("not a recognised ECG format"),
        "{:?}",
        rows[0]
    );
    assert!(!rows[0]["error"].contains("label column"), "{:?}", rows[0]);
    // The same words from the other ECG commands.
    let (clinical, _) = models(dir.path());
    for args in [
        vec!["store-ecg", "--dry-run", "--format", "csv"],
        vec!["ecg-infer", "--format", "csv", "--clinical-model"],
    ] {
        let mut cmd = dicomkit();
        cmd.args(&args);
        if args[0] == "ecg-infer" {
            cmd.arg(&clinical)
                .args(["--ort-lib".as_ref(), library().as_os_str()]);
        }
        let out = cmd.arg(&muse).output().unwrap();
        assert_eq!(out.status.code(), Some(6), "{args:?}");
        let rows = csv_records(&String::from_utf8(out.stdout).unwrap());
        assert!(
            rows[0]["error"].contains("not a recognised ECG format"),
            "{args:?}: {:?}",
            rows[0]
        );
    }
}
