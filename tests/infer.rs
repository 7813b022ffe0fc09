//! ECG-FM inference core: the ONNX Runtime library loads from the project folder (setup fetches
//! it, so its absence fails the test), model outputs equal onnxruntime-python's, a missing library
//! is the clear error, and the preprocessing equals an independent NumPy implementation of the
//! reference notebook on the real samples.
mod common;

use std::path::Path;

use common::infer::{models, read_npy, run_python, write_npy};
use dicomkit::infer::preprocess::{self, Options};
use dicomkit::infer::runtime::{self, Runtime};
use dicomkit::infer::{InferError, LABELS};
use ndarray::Array3;

/// A fresh directory for this test's files.
fn workdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// The runtime from the project folder; setup fetches it, so a missing library fails the test.
fn runtime() -> Runtime {
    let lib = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(runtime::PROJECT_DIR)
        .join(runtime::LIBRARY_FILE);
    assert!(
        lib.is_file(),
        "{} missing: run bash scripts/fetch-onnxruntime.sh (scripts/setup.sh does)",
        lib.display()
    );
    Runtime::load(Some(&lib)).expect("load ONNX Runtime")
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn outputs_equal_onnxruntime_python() {
    let rt = runtime();
    assert!(rt.library.path.ends_with(runtime::LIBRARY_FILE));
    let dir = workdir();
    let (clinical, features) = models(dir.path());
    // a real ECG, preprocessed: 2 segments from the 10 s CPSC record
    let ecg = dicomkit::ecg::prepare::read_path(&common::sample("other-ecg/cpsc2018/A0002.hea"))
        .expect("read A0002");
    let batch: Array3<f32> = preprocess::from_ecg(&ecg, Options::default())
        .expect("preprocess")
        .segments;
    assert_eq!(batch.shape(), &[2, 12, 2500]);
    let input = dir.path().join("input.npy");
    write_npy(&input, batch.shape(), batch.as_slice().expect("contiguous"));

    for (model, output, width) in [(&clinical, "logits", 17), (&features, "features", 768)] {
        let mut m = rt.model(model, 2, "signal", output).expect("session");
        let ours = m.run(batch.clone()).expect("run");
        assert_eq!(ours.shape(), &[2, width]);
        let oracle_path = dir.path().join(format!("{output}.npy"));
        run_python(
            "run_ort.py",
            &[model, &input, Path::new(output), &oracle_path],
        );
        let oracle = read_npy(&oracle_path);
        assert_eq!(oracle.shape(), &[2, width]);
        let d = max_abs_diff(
            ours.as_slice().expect("contiguous"),
            oracle.as_slice().expect("contiguous"),
        );
        eprintln!("{output}: max abs diff vs onnxruntime-python {d:e}");
        assert!(d <= 1e-5, "{output}: max abs diff {d}");
        // not a degenerate model: segment outputs differ and are not all zero
        assert!(ours.iter().any(|v| v.abs() > 1e-3));
    }
    let mut m = rt.model(&clinical, 1, "signal", "logits").expect("session");
    let logits = m.run(batch).expect("run");
    let probs = dicomkit::infer::clinical_probabilities(logits.view());
    assert_eq!(probs.len(), LABELS.len());
    assert!(probs.iter().all(|p| (0.0..=1.0).contains(p)));
    // wrong names are clear errors
    let err = rt.model(&clinical, 1, "x", "logits").unwrap_err();
    assert!(err.to_string().contains("no input named \"x\""), "{err}");
    let err = rt.model(&clinical, 1, "signal", "nope").unwrap_err();
    assert!(
        err.to_string().contains("no output named \"nope\""),
        "{err}"
    );
    let err = rt
        .model(&dir.path().join("absent.onnx"), 1, "signal", "logits")
        .unwrap_err();
    assert!(err.to_string().contains("no such file"), "{err}");
}

#[test]
fn missing_library_is_a_clear_error() {
    let err =
        runtime::locate(Some(Path::new("/nonexistent/libonnxruntime.so.1.31.1"))).unwrap_err();
    assert!(matches!(err, InferError::LibraryNotFound { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("/nonexistent/libonnxruntime.so.1.31.1"),
        "{msg}"
    );
    assert!(msg.contains("bash scripts/fetch-onnxruntime.sh"), "{msg}");
    assert!(msg.contains("--ort-lib"), "{msg}");
    assert!(msg.contains("ORT_DYLIB_PATH"), "{msg}");
    // the project folder is a candidate when nothing is named
    let cands = runtime::candidates(None);
    if std::env::var_os("ORT_DYLIB_PATH").is_none() {
        assert!(cands.iter().any(|c| {
            c.path
                == Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join(".onnxruntime")
                    .join(runtime::LIBRARY_FILE)
        }));
    }
}

/// Dump the ECG's leads for the oracle, run both, compare segment counts and values.
fn compare_with_oracle(rel: &str, expect_rate: f64, expect_segments: usize) {
    let ecg = dicomkit::ecg::prepare::read_path(&common::sample(rel)).expect("read sample");
    let rhythm = ecg.rhythm.as_ref().expect("rhythm");
    assert_eq!(rhythm.sampling_rate_hz, expect_rate, "{rel}");
    let leads: serde_json::Map<String, serde_json::Value> = rhythm
        .leads
        .iter()
        .map(|l| (l.name.clone(), serde_json::json!(l.samples_uv)))
        .collect();
    let dir = workdir();
    let json_path = dir.path().join("ecg.json");
    std::fs::write(
        &json_path,
        serde_json::json!({"fs": rhythm.sampling_rate_hz, "leads": leads}).to_string(),
    )
    .expect("write json");
    let out = dir.path().join("oracle.npy");
    run_python("preprocess_oracle.py", &[&json_path, &out]);
    let oracle = read_npy(&out);

    let ours = preprocess::from_ecg(&ecg, Options::default()).expect("preprocess");
    assert_eq!(ours.segments.shape(), oracle.shape(), "{rel}");
    assert_eq!(ours.segments.shape()[0], expect_segments, "{rel}");
    let d = max_abs_diff(
        ours.segments.as_slice().expect("contiguous"),
        oracle.as_slice().expect("contiguous"),
    );
    eprintln!("{rel}: {expect_segments} segments, max abs diff vs NumPy {d:e}");
    assert!(d <= 1e-5, "{rel}: max abs diff {d}");
    // z-scored: each lead of a non-constant record has values of both signs
    assert!(ours.segments.iter().any(|v| *v > 0.5) && ours.segments.iter().any(|v| *v < -0.5));
}

#[test]
fn preprocessing_equals_numpy_oracle_dicom_1000hz() {
    compare_with_oracle("dicom-ecg/waveform_ecg.dcm", 1000.0, 2);
}

#[test]
fn preprocessing_equals_numpy_oracle_dicom_500hz() {
    compare_with_oracle("dicom-ecg/Example.dcm", 500.0, 2);
}

#[test]
fn preprocessing_equals_numpy_oracle_scp() {
    compare_with_oracle("scp-ecg/Example.scp", 500.0, 2);
}

#[test]
fn preprocessing_equals_numpy_oracle_aecg() {
    compare_with_oracle("hl7-aecg/Example.xml", 500.0, 2);
}

#[test]
fn preprocessing_equals_numpy_oracle_cpsc() {
    compare_with_oracle("other-ecg/cpsc2018/A0001.hea", 500.0, 3);
    compare_with_oracle("other-ecg/cpsc2018/A0002.hea", 500.0, 2);
}

#[test]
fn api_json_input_matches_ecg_input() {
    let ecg = dicomkit::ecg::prepare::read_path(&common::sample("other-ecg/cpsc2018/A0002.hea"))
        .expect("read");
    let rhythm = ecg.rhythm.as_ref().expect("rhythm");
    let signal: Vec<&Vec<f64>> = preprocess::LEAD_ORDER
        .iter()
        .map(|n| &rhythm.lead(n).expect("lead").samples_uv)
        .collect();
    let json = serde_json::json!({"signal": signal, "fs": rhythm.sampling_rate_hz}).to_string();
    let a = preprocess::from_api_json(&json, Options::default()).expect("json");
    let b = preprocess::from_ecg(&ecg, Options::default()).expect("ecg");
    assert_eq!(a.segments, b.segments);
}

#[test]
fn missing_leads_error_or_derived() {
    let mut ecg =
        dicomkit::ecg::prepare::read_path(&common::sample("other-ecg/cpsc2018/A0002.hea"))
            .expect("read");
    let full = preprocess::from_ecg(&ecg, Options::default()).expect("full");
    if let Some(r) = ecg.rhythm.as_mut() {
        r.leads
            .retain(|l| !["III", "aVR", "aVL", "aVF"].contains(&l.name.as_str()));
    }
    let err = preprocess::from_ecg(&ecg, Options::default()).unwrap_err();
    assert!(
        err.to_string().contains("lacks lead(s) III, aVR, aVL, aVF"),
        "{err}"
    );
    let opts = Options {
        derive_leads: true,
        ..Options::default()
    };
    let derived = preprocess::from_ecg(&ecg, opts).expect("derived");
    assert_eq!(derived.derived_leads, ["III", "aVR", "aVL", "aVF"]);
    assert_eq!(derived.segments.shape(), full.segments.shape());
    // I, II and the chest leads are untouched by the derivation
    for lead in [0usize, 1, 6, 7, 8, 9, 10, 11] {
        let a = derived.segments.slice(ndarray::s![.., lead, ..]);
        let b = full.segments.slice(ndarray::s![.., lead, ..]);
        assert_eq!(a, b, "lead index {lead}");
    }
}
