//! Running the models over many records: the segments of several records are packed into
//! batches of at most `batch_size` segments (a record may straddle two batches), each model runs
//! once per batch, and the segment outputs are split back per record and aggregated (activation,
//! then each label's max or mean; embeddings by the model's aggregation).
//!
//! The engine keeps count of the time spent inside ONNX Runtime's `run` ([`Stats`]), so a caller
//! can say how much of a run was inference.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use ndarray::{Array2, Array3, Axis, s};
use sha2::{Digest, Sha256};

use super::preprocess::Geometry;
use super::runtime::{Model, Runtime};
use super::spec::{Activation, ModelKind, ModelSpec};
use super::{Aggregation, InferError, aggregate, sigmoid};

/// The SHA-256 of a file, lower-case hex.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(buf.get(..n).unwrap_or_default());
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// A model session with its spec and the file's hash.
#[derive(Debug)]
pub struct LoadedModel {
    /// What the model is.
    pub spec: ModelSpec,
    /// The session.
    pub model: Model,
    /// SHA-256 of the model file.
    pub sha256: String,
}

impl LoadedModel {
    /// Read the spec (defaults + sidecar), hash the file and build the session. The hash is
    /// computed on a second thread while ONNX Runtime builds the session, so that hashing a large
    /// model (ECG-FM: 362 MB, about 0.4 s) overlaps the 1-2 s of session creation.
    pub fn load(
        runtime: &Runtime,
        path: &Path,
        kind: ModelKind,
        threads: usize,
    ) -> Result<LoadedModel, InferError> {
        let spec = ModelSpec::for_model(path, kind)?;
        let (model, hashed) = std::thread::scope(|scope| {
            let hasher = scope.spawn(|| sha256_file(path));
            let model = runtime.model(path, threads, &spec.input, &spec.output);
            (model, hasher.join())
        });
        let model = model?;
        let sha256 = match hashed {
            Ok(Ok(h)) => h,
            Ok(Err(e)) => {
                return Err(InferError::Model {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                });
            }
            Err(_) => {
                return Err(InferError::Model {
                    path: path.to_path_buf(),
                    reason: "the thread hashing the model panicked".into(),
                });
            }
        };
        Ok(LoadedModel {
            spec,
            model,
            sha256,
        })
    }
}

/// Counters of one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Batches run (per model).
    pub batches: usize,
    /// Segments run (per model).
    pub segments: usize,
    /// Time inside ONNX Runtime's `run`, all models.
    pub session_run: Duration,
}

/// The per-record result.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outputs {
    /// Label values after activation and aggregation, in the clinical spec's label order.
    pub probabilities: Option<Vec<f32>>,
    /// The aggregated embedding.
    pub embedding: Option<Vec<f32>>,
}

/// One or two models run together over the same preprocessed segments.
#[derive(Debug)]
pub struct Engine {
    /// The classifier, when asked for.
    pub clinical: Option<LoadedModel>,
    /// The encoder, when asked for.
    pub features: Option<LoadedModel>,
    /// Most segments per `run` call.
    pub batch_size: usize,
    /// What has been run so far.
    pub stats: Stats,
}

impl Engine {
    /// An engine over one or two models. Both must take the same input geometry (the records are
    /// preprocessed once).
    pub fn new(
        clinical: Option<LoadedModel>,
        features: Option<LoadedModel>,
        batch_size: usize,
    ) -> Result<Engine, InferError> {
        if let (Some(c), Some(f)) = (&clinical, &features)
            && c.spec.geometry != f.spec.geometry
        {
            return Err(InferError::Model {
                path: f.model.path.clone(),
                reason: format!(
                    "its input ({} leads, {} Hz, {} samples) differs from the clinical model's \
                     ({} leads, {} Hz, {} samples); run them separately",
                    f.spec.geometry.leads.len(),
                    f.spec.geometry.sample_rate_hz,
                    f.spec.geometry.segment_samples,
                    c.spec.geometry.leads.len(),
                    c.spec.geometry.sample_rate_hz,
                    c.spec.geometry.segment_samples
                ),
            });
        }
        if clinical.is_none() && features.is_none() {
            return Err(InferError::Preprocess("no model to run".into()));
        }
        Ok(Engine {
            clinical,
            features,
            batch_size: batch_size.max(1),
            stats: Stats::default(),
        })
    }

    /// The input geometry records must be prepared for.
    pub fn geometry(&self) -> &Geometry {
        match (&self.clinical, &self.features) {
            (Some(c), _) => &c.spec.geometry,
            (None, Some(f)) => &f.spec.geometry,
            (None, None) => unreachable_geometry(),
        }
    }

    /// Run the models over records (each `(segments, leads, samples)` in [`Engine::geometry`])
    /// and return one [`Outputs`] per record, in order.
    pub fn infer(&mut self, records: &[&Array3<f32>]) -> Result<Vec<Outputs>, InferError> {
        let (n_leads, n_samples) = {
            let g = self.geometry();
            (g.leads.len(), g.segment_samples)
        };
        for r in records {
            if r.shape().get(1..) != Some([n_leads, n_samples].as_slice()) {
                return Err(InferError::Preprocess(format!(
                    "a record of shape {:?} does not fit the model input (·, {n_leads}, {n_samples})",
                    r.shape()
                )));
            }
        }
        let total: usize = records.iter().map(|r| r.shape()[0]).sum();
        let mut clinical_rows: Option<Vec<Array2<f32>>> = self.clinical.as_ref().map(|_| vec![]);
        let mut feature_rows: Option<Vec<Array2<f32>>> = self.features.as_ref().map(|_| vec![]);
        // Walk the segments of all records in order, batch_size at a time.
        let mut cursor = (0usize, 0usize); // (record, segment within it)
        let mut done = 0usize;
        while done < total {
            let take = self.batch_size.min(total - done);
            let mut batch = Array3::<f32>::zeros((take, n_leads, n_samples));
            let mut filled = 0;
            while filled < take {
                let Some(rec) = records.get(cursor.0) else {
                    break;
                };
                let available = rec.shape()[0] - cursor.1;
                let n = available.min(take - filled);
                batch
                    .slice_mut(s![filled..filled + n, .., ..])
                    .assign(&rec.slice(s![cursor.1..cursor.1 + n, .., ..]));
                filled += n;
                cursor.1 += n;
                if cursor.1 == rec.shape()[0] {
                    cursor = (cursor.0 + 1, 0);
                }
            }
            let mut batch = Some(batch);
            if let (Some(m), Some(rows)) = (self.clinical.as_mut(), clinical_rows.as_mut()) {
                let input = if self.features.is_some() {
                    batch.clone()
                } else {
                    batch.take()
                };
                if let Some(input) = input {
                    rows.push(run_timed(&mut m.model, input, &mut self.stats)?);
                }
            }
            if let (Some(m), Some(rows), Some(input)) =
                (self.features.as_mut(), feature_rows.as_mut(), batch.take())
            {
                rows.push(run_timed(&mut m.model, input, &mut self.stats)?);
            }
            self.stats.batches += 1;
            self.stats.segments += take;
            done += take;
        }
        let clinical = clinical_rows.map(|r| concat(&r)).transpose()?;
        let features = feature_rows.map(|r| concat(&r)).transpose()?;
        let mut out = Vec::with_capacity(records.len());
        let mut start = 0usize;
        for r in records {
            let n = r.shape()[0];
            let mut o = Outputs::default();
            if let (Some(all), Some(m)) = (&clinical, &self.clinical) {
                let seg = all.slice(s![start..start + n, ..]);
                if seg.ncols() != m.spec.labels.len() {
                    return Err(InferError::Run {
                        path: m.model.path.clone(),
                        reason: format!(
                            "output {:?} has {} columns, the model's labels are {}",
                            m.spec.output,
                            seg.ncols(),
                            m.spec.labels.len()
                        ),
                    });
                }
                let activated = match m.spec.activation {
                    Activation::Sigmoid => seg.mapv(sigmoid),
                    Activation::Identity => seg.to_owned(),
                };
                let aggs: Vec<Aggregation> = m.spec.labels.iter().map(|l| l.aggregation).collect();
                o.probabilities = Some(aggregate(activated.view(), &aggs));
            }
            if let (Some(all), Some(m)) = (&features, &self.features) {
                let seg = all.slice(s![start..start + n, ..]);
                let aggs = vec![m.spec.embedding_aggregation; seg.ncols()];
                o.embedding = Some(aggregate(seg, &aggs));
            }
            out.push(o);
            start += n;
        }
        Ok(out)
    }
}

fn unreachable_geometry() -> &'static Geometry {
    static DEFAULT: std::sync::OnceLock<Geometry> = std::sync::OnceLock::new();
    DEFAULT.get_or_init(Geometry::default)
}

fn run_timed(
    model: &mut Model,
    batch: Array3<f32>,
    stats: &mut Stats,
) -> Result<Array2<f32>, InferError> {
    let before = model.run_time;
    let out = model.run(batch)?;
    stats.session_run += model.run_time.saturating_sub(before);
    Ok(out)
}

fn concat(parts: &[Array2<f32>]) -> Result<Array2<f32>, InferError> {
    let views: Vec<_> = parts.iter().map(|p| p.view()).collect();
    if views.is_empty() {
        return Ok(Array2::zeros((0, 0)));
    }
    ndarray::concatenate(Axis(0), &views)
        .map_err(|e| InferError::Preprocess(format!("model outputs differ in width: {e}")))
}
