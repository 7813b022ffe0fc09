//! ECG foundation-model inference (ECG-FM through ONNX Runtime): the runtime ([`runtime`]), the
//! reference preprocessing ([`preprocess`]) and the per-record aggregation of segment outputs.
//!
//! Defaults are ECG-FM's (wanglab, fairseq-signals checkpoints): 12 leads in the order I, II, III,
//! aVR, aVL, aVF, V1–V6 at 500 Hz, 5 s segments of 2500 samples, model input `signal`
//! `(B, 12, 2500)` f32, outputs `logits` `(B, 17)` and `features` `(B, width)`.
//! This core never prints and never knows clap.

pub mod engine;
pub mod npy;
pub mod preprocess;
pub mod runtime;
pub mod spec;

use std::path::PathBuf;

/// Everything that can go wrong in inference; the command maps these to exit codes (a missing
/// runtime library is bad input: exit 6).
#[derive(Debug, thiserror::Error)]
pub enum InferError {
    /// The ONNX Runtime library was not found.
    #[error(
        "ONNX Runtime library not found (looked at {tried}); get it with `bash scripts/fetch-onnxruntime.sh`, \
         or point --ort-lib PATH or ORT_DYLIB_PATH at libonnxruntime.so.{}",
        runtime::ORT_VERSION
    )]
    LibraryNotFound {
        /// Where it was looked for.
        tried: String,
    },
    /// The library file exists but could not be loaded.
    #[error(
        "cannot load ONNX Runtime from {}: {reason}; get a working copy with `bash scripts/fetch-onnxruntime.sh`, \
         or point --ort-lib PATH or ORT_DYLIB_PATH at libonnxruntime.so.{}",
        path.display(),
        runtime::ORT_VERSION
    )]
    LibraryLoad {
        /// The library file.
        path: PathBuf,
        /// What ONNX Runtime or the loader said.
        reason: String,
    },
    /// The model file could not be opened as a session.
    #[error("model {}: {reason}", path.display())]
    Model {
        /// The model file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Running the model failed.
    #[error("running model {}: {reason}", path.display())]
    Run {
        /// The model file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The ECG cannot be turned into model input.
    #[error("{0}")]
    Preprocess(String),
}

/// How the segment outputs of one label are combined into the record's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    /// The largest segment value (for findings that may show in one segment only).
    Max,
    /// The mean over segments.
    Mean,
}

/// One output label of the clinical model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label {
    /// The column name (snake_case).
    pub name: &'static str,
    /// ECG-FM's label text.
    pub text: &'static str,
    /// How segment probabilities are combined per record.
    pub aggregation: Aggregation,
}

const fn label(name: &'static str, text: &'static str, aggregation: Aggregation) -> Label {
    Label {
        name,
        text,
        aggregation,
    }
}

/// ECG-FM's 17 labels, in the model's output order (`label_def.csv` of the MIMIC-IV-ECG task).
pub const LABELS: [Label; 17] = [
    label("poor_data_quality", "Poor data quality", Aggregation::Max),
    label("sinus_rhythm", "Sinus rhythm", Aggregation::Mean),
    label(
        "premature_ventricular_contraction",
        "Premature ventricular contraction",
        Aggregation::Max,
    ),
    label("tachycardia", "Tachycardia", Aggregation::Mean),
    label(
        "ventricular_tachycardia",
        "Ventricular tachycardia",
        Aggregation::Max,
    ),
    label(
        "supraventricular_tachycardia_with_aberrancy",
        "Supraventricular tachycardia with aberrancy",
        Aggregation::Max,
    ),
    label(
        "atrial_fibrillation",
        "Atrial fibrillation",
        Aggregation::Mean,
    ),
    label("atrial_flutter", "Atrial flutter", Aggregation::Mean),
    label("bradycardia", "Bradycardia", Aggregation::Mean),
    label(
        "accessory_pathway_conduction",
        "Accessory pathway conduction",
        Aggregation::Mean,
    ),
    label(
        "atrioventricular_block",
        "Atrioventricular block",
        Aggregation::Mean,
    ),
    label(
        "1st_degree_atrioventricular_block",
        "1st degree atrioventricular block",
        Aggregation::Mean,
    ),
    label(
        "bifascicular_block",
        "Bifascicular block",
        Aggregation::Mean,
    ),
    label(
        "right_bundle_branch_block",
        "Right bundle branch block",
        Aggregation::Mean,
    ),
    label(
        "left_bundle_branch_block",
        "Left bundle branch block",
        Aggregation::Mean,
    ),
    label("infarction", "Infarction", Aggregation::Mean),
    label(
        "electronic_pacemaker",
        "Electronic pacemaker",
        Aggregation::Max,
    ),
];

/// The logistic function, computed without overflow for large |x|.
pub fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Combine per-segment values `(segments, labels)` into one value per label, each label by its
/// aggregation (`aggregations` in the column order). Empty when there are no segments.
pub fn aggregate(values: ndarray::ArrayView2<'_, f32>, aggregations: &[Aggregation]) -> Vec<f32> {
    if values.nrows() == 0 {
        return Vec::new();
    }
    values
        .columns()
        .into_iter()
        .zip(aggregations)
        .map(|(col, agg)| match agg {
            Aggregation::Max => col.iter().copied().fold(f32::NEG_INFINITY, f32::max),
            Aggregation::Mean => {
                (col.iter().map(|v| f64::from(*v)).sum::<f64>() / col.len() as f64) as f32
            }
        })
        .collect()
}

/// Per-record label probabilities: sigmoid of the segment logits `(segments, 17)`, then each
/// label's aggregation from [`LABELS`].
pub fn clinical_probabilities(logits: ndarray::ArrayView2<'_, f32>) -> Vec<f32> {
    let probs = logits.mapv(sigmoid);
    let aggs: Vec<Aggregation> = LABELS.iter().map(|l| l.aggregation).collect();
    aggregate(probs.view(), &aggs)
}

/// The record embedding: the mean of the segment embeddings `(segments, width)`.
pub fn mean_embedding(features: ndarray::ArrayView2<'_, f32>) -> Vec<f32> {
    let aggs = vec![Aggregation::Mean; features.ncols()];
    aggregate(features, &aggs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn labels_are_ecg_fm_order() {
        assert_eq!(LABELS.len(), 17);
        assert_eq!(LABELS[0].name, "poor_data_quality");
        assert_eq!(LABELS[11].name, "1st_degree_atrioventricular_block");
        assert_eq!(LABELS[16].name, "electronic_pacemaker");
        let max: Vec<_> = LABELS
            .iter()
            .filter(|l| l.aggregation == Aggregation::Max)
            .map(|l| l.text)
            .collect();
        assert_eq!(
            max,
            [
                "Poor data quality",
                "Premature ventricular contraction",
                "Ventricular tachycardia",
                "Supraventricular tachycardia with aberrancy",
                "Electronic pacemaker"
            ]
        );
    }

    #[test]
    fn sigmoid_values() {
        assert_eq!(sigmoid(0.0), 0.5);
        assert!((sigmoid(2.0) - 0.880_797_1).abs() < 1e-6);
        assert!((sigmoid(-2.0) - 0.119_202_92).abs() < 1e-6);
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert_eq!(sigmoid(1000.0), 1.0);
    }

    #[test]
    fn aggregation_max_and_mean() {
        let v = array![[0.1f32, 0.2], [0.5, 0.4], [0.3, 0.0]];
        let out = aggregate(v.view(), &[Aggregation::Max, Aggregation::Mean]);
        assert_eq!(out[0], 0.5);
        assert!((out[1] - 0.2).abs() < 1e-7);
        let logits = ndarray::Array2::<f32>::zeros((2, 17));
        assert_eq!(clinical_probabilities(logits.view()), vec![0.5; 17]);
        assert_eq!(mean_embedding(v.view()).len(), 2);
        assert!(aggregate(ndarray::Array2::<f32>::zeros((0, 2)).view(), &[]).is_empty());
    }
}
