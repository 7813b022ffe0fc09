//! What a model file is: its input and output names, the preprocessing geometry, and (for a
//! classifier) its labels with their per-record aggregation. The defaults are ECG-FM's; a sidecar
//! `FILE.json` beside `FILE.onnx` (as written by `tools/ecgfm-to-onnx`) overrides them.
//!
//! Sidecar keys read (every one optional; other keys are ignored):
//!
//! | key | meaning | default |
//! |---|---|---|
//! | `input_name` | the input fed `(B, leads, samples)` | `signal` |
//! | `output_name` | the output read `(B, width)` | `logits` (clinical) / `features` |
//! | `sampling_rate` (or `sampling_rate_hz`) | model rate, Hz | 500 |
//! | `segment_length` (or `segment_samples`) | samples per segment | 2500 |
//! | `leads` | lead names in input order | I, II, III, aVR, aVL, aVF, V1–V6 |
//! | `labels` | label texts or column names, in output order (or objects `{name, text, aggregation}`) | ECG-FM's 17 |
//! | `aggregation` | `{label: "max" \| "mean"}`, by text or column name | ECG-FM's |
//! | `output_activation` | `sigmoid` or `none` | `sigmoid` (clinical) |
//! | `embedding_aggregation` | `mean` or `max` | `mean` |
//!
//! ```
//! use dicomkit::infer::spec::{column_name, ModelKind, ModelSpec};
//! let spec = ModelSpec::default_for(ModelKind::Clinical);
//! assert_eq!(spec.labels.len(), 17);
//! assert_eq!(spec.output, "logits");
//! assert_eq!(column_name("1st degree atrioventricular block"), "1st_degree_atrioventricular_block");
//! ```

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::preprocess::Geometry;
use super::{Aggregation, InferError, LABELS};

/// Which of ECG-FM's two models a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// The finetuned classifier: one logit per label.
    Clinical,
    /// The pretrained encoder: an embedding per segment.
    Features,
}

impl ModelKind {
    /// `clinical` or `features`.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Clinical => "clinical",
            ModelKind::Features => "features",
        }
    }
}

/// What is applied to the classifier's outputs before aggregation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// The logistic function (logits → probabilities).
    Sigmoid,
    /// The outputs are used as they are.
    Identity,
}

/// One output column of a classifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputLabel {
    /// The column name (snake_case of the text).
    pub name: String,
    /// The label text.
    pub text: String,
    /// How segment values are combined per record.
    pub aggregation: Aggregation,
}

/// Everything dicomkit needs to know about one model file.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    /// Classifier or encoder.
    pub kind: ModelKind,
    /// The input name.
    pub input: String,
    /// The output name.
    pub output: String,
    /// Leads, rate and segment length of the input.
    pub geometry: Geometry,
    /// The classifier's labels in output order (empty for an encoder).
    pub labels: Vec<OutputLabel>,
    /// Applied to classifier outputs before aggregation.
    pub activation: Activation,
    /// How segment embeddings are combined per record.
    pub embedding_aggregation: Aggregation,
    /// The sidecar file the overrides came from, if there was one.
    pub sidecar: Option<PathBuf>,
}

/// The column name of a label text: lower case, runs of other characters → `_`
/// (`Premature ventricular contraction` → `premature_ventricular_contraction`).
pub fn column_name(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

fn parse_aggregation(s: &str) -> Option<Aggregation> {
    match s.to_ascii_lowercase().as_str() {
        "max" => Some(Aggregation::Max),
        "mean" => Some(Aggregation::Mean),
        _ => None,
    }
}

impl ModelSpec {
    /// ECG-FM's defaults for a model kind.
    pub fn default_for(kind: ModelKind) -> ModelSpec {
        let labels = match kind {
            ModelKind::Clinical => LABELS
                .iter()
                .map(|l| OutputLabel {
                    name: l.name.to_owned(),
                    text: l.text.to_owned(),
                    aggregation: l.aggregation,
                })
                .collect(),
            ModelKind::Features => Vec::new(),
        };
        ModelSpec {
            kind,
            input: "signal".into(),
            output: match kind {
                ModelKind::Clinical => "logits".into(),
                ModelKind::Features => "features".into(),
            },
            geometry: Geometry::default(),
            labels,
            activation: match kind {
                ModelKind::Clinical => Activation::Sigmoid,
                ModelKind::Features => Activation::Identity,
            },
            embedding_aggregation: Aggregation::Mean,
            sidecar: None,
        }
    }

    /// The sidecar path of a model file: `FILE.json` beside `FILE.onnx`.
    pub fn sidecar_path(model: &Path) -> PathBuf {
        model.with_extension("json")
    }

    /// The spec of a model file: the defaults, overridden by its sidecar when one exists.
    pub fn for_model(model: &Path, kind: ModelKind) -> Result<ModelSpec, InferError> {
        let side = Self::sidecar_path(model);
        if side == model || !side.is_file() {
            return Ok(Self::default_for(kind));
        }
        let text = std::fs::read_to_string(&side).map_err(|e| InferError::Model {
            path: side.clone(),
            reason: format!("cannot read the sidecar: {e}"),
        })?;
        let mut spec = Self::from_sidecar(&text, kind).map_err(|reason| InferError::Model {
            path: side.clone(),
            reason,
        })?;
        spec.sidecar = Some(side);
        Ok(spec)
    }

    /// The defaults overridden by a sidecar's JSON text (see the module docs for the keys).
    pub fn from_sidecar(text: &str, kind: ModelKind) -> Result<ModelSpec, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("sidecar JSON: {e}"))?;
        let obj = v
            .as_object()
            .ok_or_else(|| "the sidecar is not a JSON object".to_owned())?;
        let mut spec = Self::default_for(kind);
        let string = |key: &str| -> Result<Option<String>, String> {
            match obj.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
                Some(other) => Err(format!("{key:?} must be a non-empty string, not {other}")),
            }
        };
        if let Some(s) = string("input_name")? {
            spec.input = s;
        }
        if let Some(s) = string("output_name")? {
            spec.output = s;
        }
        let number = |keys: &[&str]| -> Result<Option<f64>, String> {
            for key in keys {
                match obj.get(*key) {
                    None | Some(Value::Null) => {}
                    Some(v) => {
                        return v
                            .as_f64()
                            .filter(|f| f.is_finite() && *f > 0.0)
                            .map(Some)
                            .ok_or_else(|| format!("{key:?} must be a positive number, not {v}"));
                    }
                }
            }
            Ok(None)
        };
        if let Some(rate) = number(&["sampling_rate", "sampling_rate_hz"])? {
            spec.geometry.sample_rate_hz = rate;
        }
        if let Some(len) = number(&["segment_length", "segment_samples"])? {
            if len.fract() != 0.0 || len > 10_000_000.0 {
                return Err(format!(
                    "segment length must be a whole number of samples, not {len}"
                ));
            }
            spec.geometry.segment_samples = len as usize;
        }
        if let Some(leads) = obj.get("leads").filter(|l| !l.is_null()) {
            let list = leads
                .as_array()
                .ok_or_else(|| "\"leads\" must be an array of lead names".to_owned())?;
            let mut names = Vec::with_capacity(list.len());
            for l in list {
                let name = l
                    .as_str()
                    .ok_or_else(|| format!("\"leads\" holds a non-string {l}"))?;
                let known = crate::ecg::leads::by_name(name)
                    .or_else(|| crate::ecg::leads::by_mdc(name))
                    .or_else(|| crate::ecg::leads::by_scpecg_code(name))
                    .ok_or_else(|| format!("\"leads\" names an unknown lead {name:?}"))?;
                names.push(known.name.to_owned());
            }
            if names.is_empty() {
                return Err("\"leads\" is empty".into());
            }
            spec.geometry.leads = names;
        }
        if let Some(s) = string("output_activation")? {
            spec.activation = match s.to_ascii_lowercase().as_str() {
                "sigmoid" => Activation::Sigmoid,
                "none" | "identity" => Activation::Identity,
                other => {
                    return Err(format!(
                        "\"output_activation\" {other:?} is not sigmoid or none"
                    ));
                }
            };
        }
        if let Some(s) = string("embedding_aggregation")? {
            spec.embedding_aggregation = parse_aggregation(&s)
                .ok_or_else(|| format!("\"embedding_aggregation\" {s:?} is not mean or max"))?;
        }
        if kind == ModelKind::Clinical {
            if let Some(labels) = obj.get("labels").filter(|l| !l.is_null()) {
                spec.labels = parse_labels(labels)?;
            }
            if let Some(aggs) = obj.get("aggregation").filter(|a| !a.is_null()) {
                let map = aggs.as_object().ok_or_else(|| {
                    "\"aggregation\" must be an object {label: max|mean}".to_owned()
                })?;
                for (key, value) in map {
                    let agg = value.as_str().and_then(parse_aggregation).ok_or_else(|| {
                        format!("aggregation of {key:?} must be \"max\" or \"mean\", not {value}")
                    })?;
                    let label = spec
                        .labels
                        .iter_mut()
                        .find(|l| l.text == *key || l.name == *key || l.name == column_name(key))
                        .ok_or_else(|| format!("\"aggregation\" names an unknown label {key:?}"))?;
                    label.aggregation = agg;
                }
            }
            if spec.labels.is_empty() {
                return Err("a clinical model needs at least one label".into());
            }
            let mut seen = std::collections::HashSet::new();
            if let Some(dup) = spec.labels.iter().find(|l| !seen.insert(l.name.as_str())) {
                return Err(format!("label column {:?} appears twice", dup.name));
            }
        }
        Ok(spec)
    }
}

/// Labels: an array of texts / column names, or of objects `{name, text, aggregation}`. A label
/// known to ECG-FM keeps its default aggregation; others default to mean.
fn parse_labels(v: &Value) -> Result<Vec<OutputLabel>, String> {
    let list = v
        .as_array()
        .ok_or_else(|| "\"labels\" must be an array".to_owned())?;
    let known = |key: &str| {
        LABELS
            .iter()
            .find(|l| l.text == key || l.name == key || l.name == column_name(key))
    };
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        let (text, name, agg) = match item {
            Value::String(s) => (s.clone(), None, None),
            Value::Object(o) => {
                let text = o
                    .get("text")
                    .or_else(|| o.get("name"))
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("label {item} has no \"text\" or \"name\""))?
                    .to_owned();
                let name = o.get("name").and_then(Value::as_str).map(column_name);
                let agg = match o.get("aggregation") {
                    None | Some(Value::Null) => None,
                    Some(a) => Some(a.as_str().and_then(parse_aggregation).ok_or_else(|| {
                        format!("label {text:?}: aggregation must be \"max\" or \"mean\", not {a}")
                    })?),
                };
                (text, name, agg)
            }
            other => return Err(format!("\"labels\" holds {other}, not a string or object")),
        };
        let default = known(&text);
        let name = name
            .or_else(|| default.map(|l| l.name.to_owned()))
            .unwrap_or_else(|| column_name(&text));
        if name.is_empty() {
            return Err(format!("label {text:?} gives an empty column name"));
        }
        out.push(OutputLabel {
            name,
            text: default.map_or(text, |l| l.text.to_owned()),
            aggregation: agg
                .or(default.map(|l| l.aggregation))
                .unwrap_or(Aggregation::Mean),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_ecg_fm() {
        let c = ModelSpec::default_for(ModelKind::Clinical);
        assert_eq!(c.input, "signal");
        assert_eq!(c.geometry.segment_samples, 2500);
        assert_eq!(c.labels[11].name, "1st_degree_atrioventricular_block");
        let f = ModelSpec::default_for(ModelKind::Features);
        assert_eq!(f.output, "features");
        assert!(f.labels.is_empty());
    }

    #[test]
    fn sidecar_overrides() {
        let s = ModelSpec::from_sidecar(
            r#"{"format": "dicomkit-ecgfm-sidecar", "sampling_rate": 250, "segment_length": 1250,
                "output_name": "out", "labels": ["Sinus rhythm", "My finding"],
                "aggregation": {"My finding": "max"}, "leads": ["II", "V5"]}"#,
            ModelKind::Clinical,
        )
        .unwrap();
        assert_eq!(s.geometry.sample_rate_hz, 250.0);
        assert_eq!(s.geometry.segment_samples, 1250);
        assert_eq!(s.geometry.leads, ["II", "V5"]);
        assert_eq!(s.output, "out");
        assert_eq!(s.labels[0].name, "sinus_rhythm");
        assert_eq!(s.labels[1].name, "my_finding");
        assert_eq!(s.labels[1].aggregation, Aggregation::Max);
        for bad in [
            "[]",
            "{\"sampling_rate\": -1}",
            "{\"segment_length\": 2.5}",
            "{\"labels\": []}",
            "{\"labels\": [\"a\", \"A\"]}",
            "{\"aggregation\": {\"Sinus rhythm\": \"median\"}}",
            "{\"aggregation\": {\"nope\": \"max\"}}",
            "{\"leads\": [\"XYZ\"]}",
            "{\"output_activation\": \"softmax\"}",
        ] {
            assert!(
                ModelSpec::from_sidecar(bad, ModelKind::Clinical).is_err(),
                "{bad}"
            );
        }
    }
}
