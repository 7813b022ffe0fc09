//! Helpers of the inference tests: .npy files, the Python oracles under tests/models, the test
//! models, and the ONNX Runtime library of the project folder.

use std::path::{Path, PathBuf};

use ndarray::{ArrayD, IxDyn};

/// Write a float32 array as .npy (version 1.0, little-endian, C order).
pub fn write_npy(path: &Path, shape: &[usize], data: &[f32]) {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_txt = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape_txt}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for v in data {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(path, bytes).expect("write npy");
}

/// Read a float32 .npy written by NumPy (version 1.0, '<f4', C order).
pub fn read_npy(path: &Path) -> ArrayD<f32> {
    let bytes = std::fs::read(path).expect("read npy");
    assert_eq!(&bytes[..6], b"\x93NUMPY");
    let hlen = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = std::str::from_utf8(&bytes[10..10 + hlen]).expect("npy header");
    assert!(header.contains("'<f4'"), "{header}");
    assert!(header.contains("'fortran_order': False"), "{header}");
    let shape_txt = header
        .split("'shape': (")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .expect("shape");
    let shape: Vec<usize> = shape_txt
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().expect("dim"))
        .collect();
    let data: Vec<f32> = bytes[10 + hlen..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    ArrayD::from_shape_vec(IxDyn(&shape), data).expect("npy size")
}

pub fn run_python(script: &str, args: &[&Path]) {
    let out = super::python()
        .arg(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/models")
                .join(script),
        )
        .args(args)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The test models (made by tests/models/make_models.py with the `onnx` package).
pub fn models(dir: &Path) -> (PathBuf, PathBuf) {
    run_python("make_models.py", &[dir]);
    (dir.join("clinical.onnx"), dir.join("features.onnx"))
}

/// The ONNX Runtime library in the project folder; setup fetches it, so its absence fails the
/// test (never a skip).
pub fn library() -> PathBuf {
    let lib = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".onnxruntime")
        .join("libonnxruntime.so.1.31.1");
    assert!(
        lib.is_file(),
        "{} missing: run bash scripts/fetch-onnxruntime.sh (scripts/setup.sh does)",
        lib.display()
    );
    lib
}

/// ECG-FM's 17 label columns, in the model's order, as `ecg-infer` names them (written out here,
/// not taken from the library, so the tests check the library's names).
#[allow(dead_code)]
pub const LABELS: [&str; 17] = [
    "poor_data_quality",
    "sinus_rhythm",
    "premature_ventricular_contraction",
    "tachycardia",
    "ventricular_tachycardia",
    "supraventricular_tachycardia_with_aberrancy",
    "atrial_fibrillation",
    "atrial_flutter",
    "bradycardia",
    "accessory_pathway_conduction",
    "atrioventricular_block",
    "1st_degree_atrioventricular_block",
    "bifascicular_block",
    "right_bundle_branch_block",
    "left_bundle_branch_block",
    "infarction",
    "electronic_pacemaker",
];
