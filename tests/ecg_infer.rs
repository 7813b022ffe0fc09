//! `dicomkit ecg-infer` end to end: real sample files through the binary, compared with an
//! independent pipeline (NumPy preprocessing + onnxruntime-python + the aggregation written in
//! Python, tests/models/infer_oracle.py) on the test models of tests/models/make_models.py.
//! The ONNX Runtime library comes from the project folder (setup fetches it; its absence fails).
mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::infer::{LABELS as LABEL_COLUMNS, library, models, read_npy};
use common::{csv_records, dicomkit, sample};

fn infer_cmd() -> assert_cmd::Command {
    let mut c = dicomkit();
    c.arg("ecg-infer")
        .arg("--ort-lib")
        .arg(library())
        .env_remove("ORT_DYLIB_PATH");
    c
}

fn stdout_of(out: &std::process::Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("utf-8 output")
}

/// The oracle's result for one ECG file: its leads (as dicomkit's reader gives them — the
/// readers are checked against ecgdatakit elsewhere) through infer_oracle.py.
fn oracle(
    dir: &Path,
    ecg_file: &Path,
    clinical: &Path,
    features: &Path,
    extra: &[&str],
    max_index: Option<&str>,
) -> serde_json::Value {
    let ecg = dicomkit::ecg::prepare::read_path(ecg_file).expect("read sample");
    let rhythm = ecg.rhythm.as_ref().expect("rhythm");
    let leads: serde_json::Map<String, serde_json::Value> = rhythm
        .leads
        .iter()
        .map(|l| (l.name.clone(), serde_json::json!(l.samples_uv)))
        .collect();
    let stem = ecg_file.file_stem().unwrap().to_string_lossy().to_string();
    let input = dir.join(format!("{stem}-leads.json"));
    std::fs::write(
        &input,
        serde_json::json!({"fs": rhythm.sampling_rate_hz, "leads": leads}).to_string(),
    )
    .unwrap();
    let out = dir.join(format!("{stem}-oracle.json"));
    let mut cmd = common::python();
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/models/infer_oracle.py"))
        .args([
            &input,
            &clinical.to_path_buf(),
            &features.to_path_buf(),
            &out,
        ])
        .args(extra);
    if let Some(m) = max_index {
        cmd.env("ORACLE_MAX_INDEX", m);
    }
    let status = cmd.output().expect("run oracle");
    assert!(
        status.status.success(),
        "infer_oracle.py: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
}

fn num(row: &HashMap<String, String>, col: &str) -> f64 {
    row.get(col)
        .unwrap_or_else(|| panic!("no column {col}"))
        .parse()
        .unwrap_or_else(|_| panic!("{col} = {:?} is not a number", row.get(col)))
}

#[test]
fn end_to_end_equals_independent_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let (clinical, features) = models(dir.path());
    let files = [
        sample("scp-ecg/Example.scp"),
        sample("hl7-aecg/Example.xml"),
        sample("dicom-ecg/waveform_ecg.dcm"),
        sample("other-ecg/cpsc2018/A0001.hea"),
    ];
    let npy = dir.path().join("emb.npy");
    let prov = dir.path().join("prov.json");
    let out = infer_cmd()
        .args(["--clinical-model".as_ref(), clinical.as_os_str()])
        .args(["--features-model".as_ref(), features.as_os_str()])
        .args(["--features-out".as_ref(), npy.as_os_str()])
        .args(["--provenance".as_ref(), prov.as_os_str()])
        .args(["--batch-size", "3", "--format", "csv"])
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout_of(&out);
    let header = text.lines().next().unwrap();
    let mut expect_header = vec![
        "source",
        "record_id",
        "segments",
        "padded",
        "derived_leads",
        "partial",
    ];
    expect_header.extend(LABEL_COLUMNS);
    expect_header.extend(["features_row", "error"]);
    assert_eq!(header, expect_header.join(","));
    let rows = csv_records(&text);
    assert_eq!(rows.len(), files.len());
    let emb = read_npy(&npy);
    assert_eq!(emb.shape(), &[files.len(), 768]);
    let expect_segments = [2, 2, 2, 3];
    let mut worst = (0.0f64, 0.0f64);
    for (i, (file, row)) in files.iter().zip(&rows).enumerate() {
        assert_eq!(row["source"], file.display().to_string());
        assert_eq!(
            row["record_id"],
            file.file_stem().unwrap().to_string_lossy()
        );
        assert_eq!(row["error"], "");
        assert_eq!(row["padded"], "false");
        assert_eq!(num(row, "features_row") as usize, i);
        let o = oracle(dir.path(), file, &clinical, &features, &[], None);
        assert_eq!(num(row, "segments"), o["segments"].as_f64().unwrap());
        assert_eq!(num(row, "segments") as usize, expect_segments[i]);
        for (k, col) in LABEL_COLUMNS.iter().enumerate() {
            let d = (num(row, col) - o["probabilities"][k].as_f64().unwrap()).abs();
            worst.0 = worst.0.max(d);
            assert!(d <= 1e-5, "{}: {col} differs by {d}", file.display());
        }
        let oe = o["embedding"].as_array().unwrap();
        assert_eq!(oe.len(), 768);
        for (k, v) in oe.iter().enumerate() {
            let v = v.as_f64().unwrap();
            let d = (f64::from(emb[[i, k]]) - v).abs();
            worst.1 = worst.1.max(d / v.abs().max(1.0));
            assert!(
                d <= 1e-5 * v.abs().max(1.0),
                "{}: embedding[{k}] differs by {d}",
                file.display()
            );
        }
    }
    eprintln!(
        "max abs diff vs independent pipeline: probabilities {:e}, embedding (relative) {:e}",
        worst.0, worst.1
    );
    // the three copies of the same ECG give the same numbers
    for col in LABEL_COLUMNS {
        assert!(
            (num(&rows[0], col) - num(&rows[1], col)).abs() < 1e-6,
            "{col}"
        );
    }
    // provenance: hashes of the model files, label order, preprocessing
    let p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&prov).unwrap()).unwrap();
    let hash = |f: &Path| {
        let out = std::process::Command::new("sha256sum")
            .arg(f)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()[..64].to_owned()
    };
    assert_eq!(p["models"][0]["task"], "clinical");
    assert_eq!(p["models"][0]["sha256"], hash(&clinical));
    assert_eq!(p["models"][1]["sha256"], hash(&features));
    let cols: Vec<&str> = p["models"][0]["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["column"].as_str().unwrap())
        .collect();
    assert_eq!(cols, LABEL_COLUMNS);
    assert_eq!(p["models"][0]["labels"][0]["aggregation"], "max");
    assert_eq!(p["models"][0]["labels"][1]["aggregation"], "mean");
    assert_eq!(p["preprocessing"]["sample_rate_hz"], 500.0);
    assert_eq!(p["preprocessing"]["segment_samples"], 2500);
    assert_eq!(p["preprocessing"]["leads"][3], "aVR");
    assert_eq!(p["records_ok"], 4);
    assert_eq!(p["onnxruntime"]["version"], "1.31.1");
    // the same as a key,value CSV
    let prov_csv = dir.path().join("prov.csv");
    infer_cmd()
        .args(["--clinical-model".as_ref(), clinical.as_os_str()])
        .args(["--provenance".as_ref(), prov_csv.as_os_str()])
        .arg(&files[0])
        .assert()
        .success();
    let kv = csv_records(&std::fs::read_to_string(&prov_csv).unwrap());
    let find = |k: &str| {
        kv.iter()
            .find(|r| r["key"] == k)
            .map(|r| r["value"].clone())
    };
    assert_eq!(find("models.0.sha256"), Some(hash(&clinical)));
    assert_eq!(
        find("models.0.labels.11.column").as_deref(),
        Some("1st_degree_atrioventricular_block")
    );
}

/// The 12 leads of A0002 as the hosted API's JSON.
fn api_json(id: Option<&str>) -> serde_json::Value {
    let ecg = dicomkit::ecg::prepare::read_path(&sample("other-ecg/cpsc2018/A0002.hea")).unwrap();
    let rhythm = ecg.rhythm.as_ref().unwrap();
    let signal: Vec<&Vec<f64>> = dicomkit::infer::preprocess::LEAD_ORDER
        .iter()
        .map(|n| &rhythm.lead(n).unwrap().samples_uv)
        .collect();
    let mut v = serde_json::json!({"signal": signal, "fs": rhythm.sampling_rate_hz});
    if let Some(id) = id {
        v["record_id"] = id.into();
    }
    v
}

#[test]
fn api_json_from_stdin_and_embeddings_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let (clinical, features) = models(dir.path());
    let from_file = infer_cmd()
        .args(["--features-model".as_ref(), features.as_os_str()])
        .args(["--clinical-model".as_ref(), clinical.as_os_str()])
        .args(["--task", "features", "--format", "json"])
        .arg(sample("other-ecg/cpsc2018/A0002.hea"))
        .output()
        .unwrap();
    assert!(from_file.status.success());
    let a: serde_json::Value = serde_json::from_slice(&from_file.stdout).unwrap();
    let row = &a[0];
    assert!(
        row.get("sinus_rhythm").is_none(),
        "features task: no label columns"
    );
    let emb = row["embedding"].as_array().unwrap();
    assert_eq!(emb.len(), 768);

    // two records on stdin, one per line: ids from the JSON, same numbers as the file
    let body = format!("{}\n{}\n", api_json(Some("first")), api_json(None));
    let out = infer_cmd()
        .args(["--features-model".as_ref(), features.as_os_str()])
        .args(["--format", "ndjson", "-"])
        .write_stdin(body)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = stdout_of(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["source"], "-");
    assert_eq!(lines[0]["record_id"], "first");
    assert_eq!(lines[1]["record_id"], "stdin#2");
    assert_eq!(lines[0]["segments"], 2);
    for l in &lines {
        let e = l["embedding"].as_array().unwrap();
        assert_eq!(e.len(), emb.len());
        for (x, y) in e.iter().zip(emb) {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!((x - y).abs() <= 1e-6 * y.abs().max(1.0), "{x} vs {y}");
        }
    }
    // an array of requests in a file: the same
    let file = dir.path().join("requests.json");
    std::fs::write(
        &file,
        serde_json::json!([api_json(Some("x")), api_json(Some("y"))]).to_string(),
    )
    .unwrap();
    let out = infer_cmd()
        .args(["--clinical-model".as_ref(), clinical.as_os_str()])
        .args(["--format", "csv"])
        .arg(&file)
        .arg(sample("other-ecg/cpsc2018/A0002.hea"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let rows = csv_records(&stdout_of(&out));
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["record_id"], "x");
    assert_eq!(rows[1]["record_id"], "y");
    for col in LABEL_COLUMNS {
        assert!(
            (num(&rows[0], col) - num(&rows[2], col)).abs() <= 1e-6,
            "{col}"
        );
    }
}

#[test]
fn failures_are_rows_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let (clinical, _) = models(dir.path());
    let truncated = dir.path().join("truncated.scp");
    let bytes = std::fs::read(sample("scp-ecg/Example.scp")).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    let out = infer_cmd()
        .args(["--clinical-model".as_ref(), clinical.as_os_str()])
        .args(["--format", "csv"])
        .arg(sample("scp-ecg/Example.scp"))
        .arg(sample("scp-ecg/62.SCP"))
        .arg(sample("dicom-images/CT_small.dcm"))
        .arg(&truncated)
        .arg(dir.path().join("absent.scp"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "some failed: exit 4");
    let rows = csv_records(&stdout_of(&out));
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0]["error"], "");
    assert!(num(&rows[0], "sinus_rhythm") > 0.0);
    for r in &rows[1..] {
        assert!(!r["error"].is_empty(), "{r:?}");
        assert_eq!(r["sinus_rhythm"], "");
    }
    assert!(
        rows[2]["error"].contains("not an ECG waveform"),
        "{}",
        rows[2]["error"]
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("4 of 5 records failed"), "{stderr}");

    // every input failed: exit 6
    infer_cmd()
        .args(["--clinical-model".as_ref(), clinical.as_os_str()])
        .arg(sample("scp-ecg/62.SCP"))
        .assert()
        .code(6);

    // a walked directory: non-ECG files (text, a model sidecar, a WFDB signal file) skipped
    let walk = dir.path().join("walk");
    std::fs::create_dir(&walk).unwrap();
    std::fs::write(walk.join("notes.txt"), "hello").unwrap();
    std::fs::write(walk.join("model.json"), "{\"labels\": []}").unwrap();
    std::fs::copy(
        sample("other-ecg/cpsc2018/A0002.hea"),
        walk.join("A0002.hea"),
    )
    .unwrap();
    std::fs::copy(
        sample("other-ecg/cpsc2018/A0002.mat"),
        walk.join("A0002.mat"),
    )
    .unwrap();
    let out = infer_cmd()
        .args(["--clinical-model".as_ref(), clinical.as_os_str()])
        .args(["--format", "csv"])
        .arg(&walk)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = csv_records(&stdout_of(&out));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["record_id"], "A0002");

    // nothing to infer: exit 3
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    infer_cmd()
        .args(["--clinical-model".as_ref(), clinical.as_os_str()])
        .arg(&empty)
        .assert()
        .code(3);
}

#[test]
fn zip_members_are_read() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let (clinical, _) = models(dir.path());
    let archive = dir.path().join("ecgs.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&archive).unwrap());
    for rel in ["scp-ecg/Example.scp", "dicom-ecg/Example.dcm"] {
        let src = sample(rel);
        let name = src.file_name().unwrap().to_string_lossy().to_string();
        z.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(&std::fs::read(&src).unwrap()).unwrap();
    }
    z.finish().unwrap();
    let run = |input: &Path| {
        let out = infer_cmd()
            .args(["--clinical-model".as_ref(), clinical.as_os_str()])
            .args(["--format", "csv"])
            .arg(input)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        csv_records(&stdout_of(&out))
    };
    let rows = run(&archive);
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0]["source"],
        format!("{}!Example.scp", archive.display())
    );
    let direct = run(&sample("scp-ecg/Example.scp"));
    for row in &rows {
        assert_eq!(row["segments"], "2");
        for col in LABEL_COLUMNS {
            assert!(
                (num(row, col) - num(&direct[0], col)).abs() <= 1e-6,
                "{col}"
            );
        }
    }
}

#[test]
fn missing_library_exits_6_with_how_to() {
    let dir = tempfile::tempdir().unwrap();
    let (clinical, _) = models(dir.path());
    for (how, value) in [
        ("--ort-lib", "/nonexistent/libonnxruntime.so.1.31.1"),
        ("env", "/nonexistent/lib.so"),
    ] {
        let mut c = dicomkit();
        c.arg("ecg-infer")
            .args(["--clinical-model".as_ref(), clinical.as_os_str()])
            .arg(sample("scp-ecg/Example.scp"));
        if how == "env" {
            c.env("ORT_DYLIB_PATH", value);
        } else {
            c.env_remove("ORT_DYLIB_PATH").args([how, value]);
        }
        let out = c.output().unwrap();
        assert_eq!(out.status.code(), Some(6), "{how}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(value), "{err}");
        assert!(err.contains("bash scripts/fetch-onnxruntime.sh"), "{err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(out.stdout.is_empty());
    }
    // everything else works without the library
    dicomkit()
        .env("ORT_DYLIB_PATH", "/nonexistent/lib.so")
        .args(["dump", "--format", "csv", "--fields", "PatientID"])
        .arg(sample("dicom-ecg/Example.dcm"))
        .assert()
        .success();
}

#[test]
fn shards_concatenate_to_the_whole_and_batch_size_does_not_matter() {
    let dir = tempfile::tempdir().unwrap();
    let (clinical, features) = models(dir.path());
    let data = dir.path().join("ecgs");
    std::fs::create_dir(&data).unwrap();
    for rel in [
        "scp-ecg/Example.scp",
        "hl7-aecg/Example.xml",
        "dicom-ecg/Example.dcm",
        "dicom-ecg/waveform_ecg.dcm",
        "dicom-ecg/synthetic_muse.dcm",
        "other-ecg/cpsc2018/A0001.hea",
        "other-ecg/cpsc2018/A0001.mat",
        "other-ecg/cpsc2018/A0002.hea",
        "other-ecg/cpsc2018/A0002.mat",
    ] {
        let src = sample(rel);
        std::fs::copy(&src, data.join(src.file_name().unwrap())).unwrap();
    }
    let run = |extra: &[&str]| -> String {
        let out = infer_cmd()
            .args(["--clinical-model".as_ref(), clinical.as_os_str()])
            .args(["--features-model".as_ref(), features.as_os_str()])
            .args(["--format", "csv"])
            .args(extra)
            .arg(&data)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout_of(&out)
    };
    let whole = run(&[]);
    assert_eq!(whole.lines().count(), 1 + 7);
    let mut joined = String::new();
    for i in 0..3 {
        let part = run(&["--shard", &format!("{i}/3")]);
        let mut lines = part.lines();
        let header = lines.next().unwrap();
        if i == 0 {
            joined.push_str(header);
            joined.push('\n');
        }
        for l in lines {
            joined.push_str(l);
            joined.push('\n');
        }
    }
    same_csv(&joined, &whole, "shards 0/3, 1/3, 2/3 concatenated");
    // segments packed across records in batches of any size give the same numbers
    same_csv(&run(&["--batch-size", "1"]), &whole, "batch size 1");
    same_csv(&run(&["--batch-size", "5"]), &whole, "batch size 5");
    same_csv(
        &run(&["--batch-size", "64", "--threads", "1"]),
        &whole,
        "batch size 64",
    );
}

/// Two CSV outputs with the same header and rows; numbers (also inside JSON arrays) equal within
/// 1e-6 (a different batch composition may change the last bits of a matrix product).
fn same_csv(a: &str, b: &str, what: &str) {
    assert_eq!(a.lines().next(), b.lines().next(), "{what}: header");
    let (ra, rb) = (csv_records(a), csv_records(b));
    assert_eq!(ra.len(), rb.len(), "{what}: rows");
    let close = |x: &serde_json::Value, y: &serde_json::Value| match (x.as_f64(), y.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() <= 1e-6 * x.abs().max(1.0),
        _ => x == y,
    };
    for (x, y) in ra.iter().zip(&rb) {
        for (k, vx) in x {
            let vy = &y[k];
            let (jx, jy) = (
                serde_json::from_str::<serde_json::Value>(vx),
                serde_json::from_str::<serde_json::Value>(vy),
            );
            let ok = match (jx, jy) {
                (Ok(serde_json::Value::Array(p)), Ok(serde_json::Value::Array(q))) => {
                    p.len() == q.len() && p.iter().zip(&q).all(|(p, q)| close(p, q))
                }
                (Ok(p), Ok(q)) => close(&p, &q),
                _ => vx == vy,
            };
            assert!(ok, "{what}: {k}: {vx} vs {vy}");
        }
    }
}

/// An 8-lead WFDB record (I, II, V1–V6), 6 s at 500 Hz, format 16.
fn eight_lead_record(dir: &Path) -> PathBuf {
    let names = ["I", "II", "V1", "V2", "V3", "V4", "V5", "V6"];
    let n = 3000usize;
    let mut dat = Vec::with_capacity(n * names.len() * 2);
    let mut sums = [0i64; 8];
    for t in 0..n {
        for (k, sum) in sums.iter_mut().enumerate() {
            let v = (800.0 * ((t as f64) * 0.02 * (k + 1) as f64).sin()) as i16;
            dat.extend_from_slice(&v.to_le_bytes());
            *sum += i64::from(v);
        }
    }
    // WFDB checksums: the 16-bit sum of each signal's samples.
    let mut hea = format!("rec8 {} 500 {n}\n", names.len());
    for (name, sum) in names.iter().zip(sums) {
        hea.push_str(&format!(
            "rec8.dat 16 1000/mV 16 0 0 {} 0 {name}\n",
            sum as i16
        ));
    }
    std::fs::write(dir.join("rec8.hea"), hea).unwrap();
    std::fs::write(dir.join("rec8.dat"), dat).unwrap();
    dir.join("rec8.hea")
}

#[test]
fn short_records_pad_and_missing_leads_derive() {
    let dir = tempfile::tempdir().unwrap();
    let (clinical, _) = models(dir.path());
    let short = dir.path().join("short.json");
    let three_s: Vec<Vec<f64>> = (0..12)
        .map(|k| {
            (0..1500)
                .map(|t| ((t * (k + 1)) as f64 * 0.01).sin())
                .collect()
        })
        .collect();
    std::fs::write(
        &short,
        serde_json::json!({"signal": three_s, "fs": 500}).to_string(),
    )
    .unwrap();
    let out = infer_cmd()
        .args(["--clinical-model".as_ref(), clinical.as_os_str()])
        .args(["--format", "csv"])
        .arg(&short)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6));
    let rows = csv_records(&stdout_of(&out));
    assert!(
        rows[0]["error"].contains("3.000 s long"),
        "{}",
        rows[0]["error"]
    );
    assert!(
        rows[0]["error"].contains("zero-padding"),
        "{}",
        rows[0]["error"]
    );
    let out = infer_cmd()
        .args(["--clinical-model".as_ref(), clinical.as_os_str()])
        .args(["--format", "csv", "--pad"])
        .arg(&short)
        .output()
        .unwrap();
    assert!(out.status.success());
    let rows = csv_records(&stdout_of(&out));
    assert_eq!(rows[0]["padded"], "true");
    assert_eq!(rows[0]["segments"], "1");

    let rec = eight_lead_record(dir.path());
    let out = infer_cmd()
        .args(["--clinical-model".as_ref(), clinical.as_os_str()])
        .args(["--format", "csv"])
        .arg(&rec)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6));
    let rows = csv_records(&stdout_of(&out));
    assert!(
        rows[0]["error"].contains("lacks lead(s) III, aVR, aVL, aVF"),
        "{}",
        rows[0]["error"]
    );
    let out = infer_cmd()
        .args(["--clinical-model".as_ref(), clinical.as_os_str()])
        .args(["--format", "csv", "--derive-leads"])
        .arg(&rec)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = csv_records(&stdout_of(&out));
    assert_eq!(rows[0]["derived_leads"], "III,aVR,aVL,aVF");
    assert_eq!(rows[0]["segments"], "1");
}

#[test]
fn sidecar_overrides_labels_rate_and_aggregation() {
    let dir = tempfile::tempdir().unwrap();
    let (clinical, features) = models(dir.path());
    let custom = dir.path().join("custom.onnx");
    std::fs::copy(&clinical, &custom).unwrap();
    let mut labels: Vec<String> = LABEL_COLUMNS.iter().map(|s| s.to_string()).collect();
    labels[0] = "Signal quality issue".into();
    std::fs::write(
        custom.with_extension("json"),
        serde_json::json!({
            "format": "dicomkit-ecgfm-sidecar",
            "sampling_rate": 250,
            "segment_length": 2500,
            "labels": labels,
            "aggregation": {"sinus_rhythm": "max"},
        })
        .to_string(),
    )
    .unwrap();
    let file = sample("other-ecg/cpsc2018/A0001.hea");
    let out = infer_cmd()
        .args(["--clinical-model".as_ref(), custom.as_os_str()])
        .args(["--format", "csv"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout_of(&out);
    assert!(text.starts_with(
        "source,record_id,segments,padded,derived_leads,partial,signal_quality_issue,sinus_rhythm,"
    ));
    let rows = csv_records(&text);
    // 15 s at 500 Hz → 3750 samples at 250 Hz → one 10 s segment of 2500
    assert_eq!(rows[0]["segments"], "1");
    // the renamed label is not ECG-FM's: mean; sinus rhythm: max by the sidecar
    let o = oracle(
        dir.path(),
        &file,
        &custom,
        &features,
        &["250", "2500"],
        Some("1,2,4,5,16"),
    );
    let cols: Vec<&str> = std::iter::once("signal_quality_issue")
        .chain(LABEL_COLUMNS[1..].iter().copied())
        .collect();
    for (k, col) in cols.iter().enumerate() {
        let d = (num(&rows[0], col) - o["probabilities"][k].as_f64().unwrap()).abs();
        assert!(d <= 1e-5, "{col}: {d}");
    }
    // a broken sidecar is a clear error naming it, exit 6
    std::fs::write(custom.with_extension("json"), "{\"sampling_rate\": -5}").unwrap();
    let out = infer_cmd()
        .args(["--clinical-model".as_ref(), custom.as_os_str()])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("custom.json") && err.contains("sampling_rate"),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let (clinical, _) = models(dir.path());
    let ecg = sample("scp-ecg/Example.scp");
    let cases: Vec<Vec<std::ffi::OsString>> = vec![
        vec![ecg.clone().into()],
        vec![
            "--task".into(),
            "features".into(),
            "--clinical-model".into(),
            clinical.clone().into(),
            ecg.clone().into(),
        ],
        vec![
            "--features-out".into(),
            "x.npy".into(),
            "--clinical-model".into(),
            clinical.clone().into(),
            ecg.clone().into(),
        ],
        vec![
            "--shard".into(),
            "3/3".into(),
            "--clinical-model".into(),
            clinical.clone().into(),
            ecg.clone().into(),
        ],
        vec![
            "--batch-size".into(),
            "0".into(),
            "--clinical-model".into(),
            clinical.clone().into(),
            ecg.clone().into(),
        ],
        vec![
            "--clinical-model".into(),
            clinical.clone().into(),
            "-".into(),
            "-".into(),
        ],
    ];
    for args in cases {
        let out = infer_cmd().args(&args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
