//! `dicomkit ecg-infer`: ECG-FM (or a model with its signature) through ONNX Runtime, from any
//! ECG file, in batch.
//!
//! ```text
//! Usage: dicomkit ecg-infer --clinical-model FILE.onnx [--features-model FILE.onnx] INPUT...
//!
//! INPUT: ECG files (SCP-ECG, HL7 aECG, DICOM-ECG, WFDB .hea, its signal files read from its own
//! folder or zip), directories (walked; files that are not ECGs are skipped), zip archives, and
//! the hosted ECG-FM API's JSON
//! ({"signal": [[...] x 12], "fs": 500}; a file may hold one object, an array of them, or one
//! per line) from a file or `-` (stdin).
//!
//! Each record: leads reordered to I, II, III, aVR, aVL, aVF, V1-V6 (a missing lead is an error
//! unless --derive-leads derives missing limb leads from I and II), resampled to 500 Hz
//! (linear), constant leads zeroed, z-scored per lead, cut into 5 s segments of 2500 samples
//! (a record shorter than 5 s is an error unless --pad). Each model runs on batches of
//! --batch-size segments; per record, the clinical model's sigmoid outputs are combined over
//! segments (max for poor data quality, PVC, VT, SVT with aberrancy, electronic pacemaker; mean
//! for the others), embeddings by their mean. A sidecar FILE.json beside a model overrides
//! labels, aggregation, rate, segment length and input/output names.
//!
//! Task: --task clinical|features|both (default: the models given). Output: one row per
//! record: source, record_id, segments, padded, derived_leads, partial, one column per label
//! (poor_data_quality, sinus_rhythm, ...), embedding (a JSON array; with --features-out
//! FILE.npy, features_row: the row in that file instead), error. This CSV is what
//! `dicomkit interpret` reads. --provenance FILE writes the model hashes, label order and
//! preprocessing (JSON; CSV key,value when FILE ends in .csv).
//!
//! A partial ECG (cut short, declared lengths or CRC that disagree) is an error row unless
//! --accept-partial, which infers it and says so in the `partial` column and on stderr.
//!
//! Cluster jobs: --shard I/N (0 <= I < N) sorts the inputs by path and takes the I-th of N
//! contiguous shares; the N outputs concatenate in order.
//!
//! ONNX Runtime 1.31.1 is loaded at run time from --ort-lib, ORT_DYLIB_PATH or the project's
//! .onnxruntime/ folder (bash scripts/fetch-onnxruntime.sh).
//!
//! Exit: 0 all records inferred; 2 usage; 3 no ECG in the inputs; 4 some records failed;
//! 6 every record failed, or the runtime library or a model could not be loaded.
//! ```

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde_json::json;

use super::{Context, EcgReadArgs};
use crate::ecg::ReadOptions;
use crate::error::{Error, Result};
use crate::infer::engine::{Engine, LoadedModel, Outputs, Stats};
use crate::infer::npy::NpyWriter;
use crate::infer::preprocess::{self, Geometry, Options, Prepared};
use crate::infer::runtime::{self, Runtime};
use crate::infer::spec::{Activation, ModelKind};
use crate::infer::{Aggregation, InferError};
use crate::input::{Input, InputError, expand};
use crate::output::Value;

/// Arguments of `dicomkit ecg-infer`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_long_help = "Examples:
  dicomkit ecg-infer --clinical-model ecgfm_clinical.onnx carts/ --format csv > labels.csv
  dicomkit ecg-infer --clinical-model c.onnx --features-model f.onnx --features-out emb.npy ecgs/
  curl -s ... | dicomkit ecg-infer --clinical-model c.onnx - --format json
  dicomkit ecg-infer --clinical-model c.onnx --shard $SLURM_ARRAY_TASK_ID/8 /data/ecgs --format csv")]
pub struct Args {
    /// ECG files, directories, zip archives, API JSON files, or `-` for API JSON on stdin.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// The finetuned model (17 logits), ONNX; a sidecar FILE.json beside it overrides defaults.
    #[arg(long, value_name = "FILE.onnx")]
    pub clinical_model: Option<PathBuf>,

    /// The pretrained model (embedding), ONNX; a sidecar FILE.json beside it overrides defaults.
    #[arg(long, value_name = "FILE.onnx")]
    pub features_model: Option<PathBuf>,

    /// What to compute (the hosted API's /clinical, /features, /both); default: what the
    /// models given allow.
    #[arg(long, value_name = "TASK", value_parser = ["clinical", "features", "both"])]
    pub task: Option<String>,

    /// The ONNX Runtime library (default: ORT_DYLIB_PATH, then the project's .onnxruntime/).
    #[arg(long, value_name = "PATH")]
    pub ort_lib: Option<PathBuf>,

    /// Intra-op threads of ONNX Runtime (0: its default, one per core).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,

    /// Segments per model run.
    #[arg(long, value_name = "N", default_value_t = 16,
          value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub batch_size: u32,

    /// Derive missing limb leads (III, aVR, aVL, aVF) from I and II.
    #[arg(long)]
    pub derive_leads: bool,

    /// Zero-pad records shorter than one segment (said in the `padded` column).
    #[arg(long)]
    pub pad: bool,

    /// Write the embeddings to this NumPy file (float32, one row per record that succeeded)
    /// instead of JSON arrays in the output.
    #[arg(long, value_name = "FILE.npy")]
    pub features_out: Option<PathBuf>,

    /// Write the provenance (model SHA-256, labels, preprocessing) to this file: JSON, or
    /// key,value CSV when it ends in .csv.
    #[arg(long, value_name = "FILE")]
    pub provenance: Option<PathBuf>,

    /// Take the I-th of N contiguous shares of the sorted inputs (0 <= I < N).
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<(usize, usize)>,

    /// How ECG files are read (--accept-partial: a partial record is inferred, marked in the
    /// `partial` column).
    #[command(flatten)]
    pub read: EcgReadArgs,
}

fn parse_shard(s: &str) -> std::result::Result<(usize, usize), String> {
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| format!("expected I/N (e.g. 0/8), not {s:?}"))?;
    let i: usize = i
        .trim()
        .parse()
        .map_err(|_| format!("shard index {i:?} is not a number"))?;
    let n: usize = n
        .trim()
        .parse()
        .map_err(|_| format!("shard count {n:?} is not a number"))?;
    if n == 0 || i >= n {
        return Err(format!(
            "shard {i}/{n}: the index must be at least 0 and below the count"
        ));
    }
    Ok((i, n))
}

/// The fixed leading columns of `ecg-infer`.
pub const LEADING_COLUMNS: [&str; 6] = [
    "source",
    "record_id",
    "segments",
    "padded",
    "derived_leads",
    "partial",
];

/// One thing to read.
#[derive(Debug, Clone)]
enum Item {
    Input(Input),
    /// A path or member that could not be listed or opened.
    Unlisted(InputError),
    Stdin,
}

impl Item {
    fn label(&self) -> &str {
        match self {
            Item::Input(i) => &i.label,
            Item::Unlisted(e) => &e.label,
            Item::Stdin => "-",
        }
    }
}

/// One record read from an item.
struct Record {
    source: String,
    record_id: String,
    prepared: std::result::Result<Prepared, String>,
    /// Why the ECG is partial (read with --accept-partial); empty when whole.
    defects: Vec<String>,
}

/// What an item gave.
enum Loaded {
    Records(Vec<Record>),
    /// A walked file that is not an ECG.
    Skipped,
}

/// Inputs read and preprocessed per chunk (on all cores), while the previous chunk runs.
const CHUNK: usize = 64;

fn infer_error(e: InferError) -> Error {
    Error::BadInput(e.to_string())
}

/// Run `ecg-infer`.
pub fn run(ctx: &Context, args: &Args) -> Result<()> {
    let (want_clinical, want_features) = task(args)?;
    let options = Options {
        derive_leads: args.derive_leads,
        pad: args.pad,
    };
    if args.features_out.is_some() && !want_features {
        return Err(Error::Usage(
            "--features-out needs the features task (--features-model)".into(),
        ));
    }
    let mut items = items(&args.inputs)?;
    if let Some((i, n)) = args.shard {
        items.sort_by(|a, b| a.label().cmp(b.label()));
        let total = items.len();
        let (start, end) = (i * total / n, (i + 1) * total / n);
        items = items.into_iter().skip(start).take(end - start).collect();
    }
    let stdin = if items.iter().any(|i| matches!(i, Item::Stdin)) {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| Error::BadInput(format!("cannot read stdin: {e}")))?;
        buf
    } else {
        Vec::new()
    };
    // stdin has no folder: no companion files (a WFDB header cannot be read from it).
    let stdin = Input::bytes("stdin", stdin);
    let read = args.read.options();

    let started = chrono::Local::now();
    let clock = Instant::now();
    let runtime = Runtime::load(args.ort_lib.as_deref()).map_err(infer_error)?;
    let threads = args.threads;
    let load = |path: &Option<PathBuf>, kind: ModelKind, wanted: bool| -> Result<_> {
        match (path, wanted) {
            (Some(p), true) => Ok(Some(
                LoadedModel::load(&runtime, p, kind, threads).map_err(infer_error)?,
            )),
            _ => Ok(None),
        }
    };
    let clinical = load(&args.clinical_model, ModelKind::Clinical, want_clinical)?;
    let features = load(&args.features_model, ModelKind::Features, want_features)?;
    let mut engine =
        Engine::new(clinical, features, args.batch_size as usize).map_err(infer_error)?;
    let load_time = clock.elapsed();
    let clock = Instant::now();
    let geometry = engine.geometry().clone();

    let mut columns: Vec<String> = LEADING_COLUMNS.iter().map(|c| (*c).to_owned()).collect();
    if let Some(c) = &engine.clinical {
        columns.extend(c.spec.labels.iter().map(|l| l.name.clone()));
    }
    if engine.features.is_some() {
        columns.push(if args.features_out.is_some() {
            "features_row".into()
        } else {
            "embedding".into()
        });
    }
    columns.push("error".into());
    let column_refs: Vec<&str> = columns.iter().map(String::as_str).collect();
    let mut out = ctx.rows(&column_refs);
    let mut npy: Option<NpyWriter> = None;

    let bar = ctx.progress_bar("ECGs", Some(items.len() as u64));
    let (mut ok, mut failed) = (0usize, 0usize);
    let chunks: Vec<&[Item]> = items.chunks(CHUNK.max(args.batch_size as usize)).collect();
    let read_chunk = |chunk: &[Item]| -> Vec<Loaded> {
        chunk
            .par_iter()
            .map(|item| load_item(item, &stdin, &geometry, options, &read))
            .collect()
    };
    std::thread::scope(|scope| -> Result<()> {
        let mut pending = chunks.first().map(|c| scope.spawn(move || read_chunk(c)));
        let mut next = 1;
        while let Some(job) = pending.take() {
            let loaded = job
                .join()
                .map_err(|_| Error::Internal("an ECG reading thread panicked".into()))?;
            if let Some(c) = chunks.get(next) {
                pending = Some(scope.spawn(move || read_chunk(c)));
                next += 1;
            }
            bar.inc(loaded.len() as u64);
            let records: Vec<Record> = loaded
                .into_iter()
                .flat_map(|l| match l {
                    Loaded::Records(r) => r,
                    Loaded::Skipped => Vec::new(),
                })
                .collect();
            let ready: Vec<&ndarray::Array3<f32>> = records
                .iter()
                .filter_map(|r| r.prepared.as_ref().ok().map(|p| &p.segments))
                .collect();
            let mut results = engine.infer(&ready).map_err(infer_error)?.into_iter();
            for record in &records {
                let outputs = match &record.prepared {
                    Ok(_) => results.next(),
                    Err(_) => None,
                };
                let row = match (&record.prepared, outputs) {
                    (Ok(p), Some(o)) => {
                        ok += 1;
                        for d in &record.defects {
                            bar.suspend(|| {
                                ctx.warn(&format!("{}: partial record: {d}", record.source))
                            });
                        }
                        for w in &p.derived_leads {
                            tracing::debug!("{}: derived lead {w}", record.source);
                        }
                        row(record, Some(p), Some(&o), None, &engine, args, &mut npy)?
                    }
                    (Err(e), _) => {
                        failed += 1;
                        bar.suspend(|| ctx.item_error(&record.source, e));
                        row(record, None, None, Some(e), &engine, args, &mut npy)?
                    }
                    (Ok(_), None) => {
                        return Err(Error::Internal(
                            "the engine returned fewer results than records".into(),
                        ));
                    }
                };
                out.row(&row)?;
            }
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    out.finish()?;
    let features_rows = match npy.take() {
        Some(w) => Some(w.finish().map_err(|e| {
            Error::Output(std::io::Error::other(format!(
                "{}: {e}",
                args.features_out
                    .as_deref()
                    .unwrap_or(Path::new("?"))
                    .display()
            )))
        })?),
        None => None,
    };
    if let Some(path) = &args.features_out
        && features_rows.is_none()
    {
        // no record succeeded: still leave a valid, empty array
        NpyWriter::create(path, 0)
            .and_then(NpyWriter::finish)
            .map_err(Error::Output)?;
    }
    let elapsed = clock.elapsed();
    log_stats(&engine.stats, ok, load_time, elapsed);
    if let Some(path) = &args.provenance {
        let doc = provenance(
            &runtime,
            &engine,
            args,
            &geometry,
            &columns,
            ok,
            failed,
            started,
            load_time + elapsed,
        );
        write_provenance(path, &doc)?;
    }
    if ok + failed == 0 {
        return Err(Error::NoMatch("no ECG found in the inputs".into()));
    }
    crate::error::batch_outcome("records", ok, failed)
}

fn task(args: &Args) -> Result<(bool, bool)> {
    let (c, f) = (args.clinical_model.is_some(), args.features_model.is_some());
    let want = match args.task.as_deref() {
        Some("clinical") => (true, false),
        Some("features") => (false, true),
        Some("both") => (true, true),
        _ => (c, f),
    };
    if want.0 && !c {
        return Err(Error::Usage(
            "the clinical task needs --clinical-model FILE.onnx".into(),
        ));
    }
    if want.1 && !f {
        return Err(Error::Usage(
            "the features task needs --features-model FILE.onnx".into(),
        ));
    }
    if !want.0 && !want.1 {
        return Err(Error::Usage(
            "give --clinical-model FILE.onnx and/or --features-model FILE.onnx".into(),
        ));
    }
    Ok(want)
}

fn items(paths: &[PathBuf]) -> Result<Vec<Item>> {
    let mut out = Vec::new();
    let mut stdin_seen = false;
    let mut files = Vec::new();
    let flush = |files: &mut Vec<PathBuf>, out: &mut Vec<Item>| {
        for i in expand(files) {
            match i {
                Ok(i) => out.push(Item::Input(i)),
                // a path that cannot be listed is an input that failed: its row says why
                Err(e) => out.push(Item::Unlisted(e)),
            }
        }
        files.clear();
    };
    for p in paths {
        if p.as_os_str() == "-" {
            if stdin_seen {
                return Err(Error::Usage("`-` (stdin) given twice".into()));
            }
            stdin_seen = true;
            flush(&mut files, &mut out);
            out.push(Item::Stdin);
        } else {
            files.push(p.clone());
        }
    }
    flush(&mut files, &mut out);
    Ok(out)
}

fn load_item(
    item: &Item,
    stdin: &Input,
    geometry: &Geometry,
    options: Options,
    read: &ReadOptions,
) -> Loaded {
    let label = item.label().to_owned();
    let fail = |record_id: String, reason: String| {
        Loaded::Records(vec![Record {
            source: label.clone(),
            record_id,
            prepared: Err(reason),
            defects: Vec::new(),
        }])
    };
    let input = match item {
        Item::Stdin => stdin,
        Item::Input(i) => i,
        Item::Unlisted(e) => return fail(stem(Path::new(&e.label)), e.reason.clone()),
    };
    if !input.explicit && crate::ecg::header_of_signal_file(input).is_some() {
        return Loaded::Skipped; // a WFDB signal file: read through its header
    }
    let name = PathBuf::from(input.file_name());
    let id = stem(&name);
    let head = match input.head(4096) {
        Ok(h) => h,
        Err(e) => return fail(id, e.reason),
    };
    if crate::ecg::detect(&name, &head).is_some() {
        let (prepared, defects) = match crate::ecg::read(input, read) {
            Ok(ecg) => (
                preprocess::from_ecg_with(&ecg, geometry, options).map_err(|e| e.to_string()),
                ecg.defects,
            ),
            Err(e) => (Err(e.to_string()), Vec::new()),
        };
        return Loaded::Records(vec![Record {
            source: label,
            record_id: id,
            prepared,
            defects,
        }]);
    }
    let first = head.iter().find(|b| !b.is_ascii_whitespace());
    if matches!(first, Some(b'{') | Some(b'[')) {
        let bytes = match input.read() {
            Ok(b) => b,
            Err(e) => return fail(id, e.reason),
        };
        return match api_records(&bytes, &label, &id, geometry, options) {
            Ok(records) if !records.is_empty() => Loaded::Records(records),
            Ok(_) if !input.explicit => Loaded::Skipped,
            Ok(_) => fail(id, "the JSON holds no ECG (no \"signal\")".into()),
            Err(_) if !input.explicit => Loaded::Skipped,
            Err(e) => fail(id, e),
        };
    }
    if !input.explicit {
        return Loaded::Skipped;
    }
    if let e @ crate::ecg::EcgError::UnknownXml = crate::ecg::unrecognised(&head) {
        return fail(id, e.to_string());
    }
    fail(
        id,
        "not an ECG (SCP-ECG, HL7 aECG, DICOM-ECG, WFDB .hea) nor ECG JSON".into(),
    )
}

/// The records of an API JSON text: one object, an array of objects, or a stream of them.
/// Objects without `signal` are not records (an empty result for a JSON that is no ECG).
fn api_records(
    bytes: &[u8],
    source: &str,
    stem: &str,
    geometry: &Geometry,
    options: Options,
) -> std::result::Result<Vec<Record>, String> {
    let mut objects = Vec::new();
    for value in serde_json::Deserializer::from_slice(bytes).into_iter::<serde_json::Value>() {
        let value = value.map_err(|e| format!("ECG JSON: {e}"))?;
        match value {
            serde_json::Value::Array(list) => objects.extend(list),
            other => objects.push(other),
        }
    }
    let records: Vec<&serde_json::Value> = objects
        .iter()
        .filter(|o| o.get("signal").is_some())
        .collect();
    let many = records.len() > 1;
    Ok(records
        .into_iter()
        .enumerate()
        .map(|(k, obj)| {
            let given = ["record_id", "id"]
                .iter()
                .find_map(|key| match obj.get(*key) {
                    Some(serde_json::Value::String(s)) => Some(s.clone()),
                    Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                    _ => None,
                });
            let record_id = given.unwrap_or_else(|| {
                if many {
                    format!("{stem}#{}", k + 1)
                } else {
                    stem.to_owned()
                }
            });
            Record {
                source: source.to_owned(),
                record_id,
                prepared: preprocess::from_api_value(obj, geometry, options)
                    .map_err(|e| e.to_string()),
                defects: Vec::new(),
            }
        })
        .collect())
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// An f32 as the f64 of its shortest decimal form (0.1f32 → 0.1, not 0.10000000149011612).
fn short(v: f32) -> f64 {
    if !v.is_finite() {
        return f64::NAN;
    }
    v.to_string().parse().unwrap_or(f64::from(v))
}

fn row(
    record: &Record,
    prepared: Option<&Prepared>,
    outputs: Option<&Outputs>,
    error: Option<&String>,
    engine: &Engine,
    args: &Args,
    npy: &mut Option<NpyWriter>,
) -> Result<Vec<Value>> {
    let mut row = vec![
        Value::from(record.source.as_str()),
        Value::from(record.record_id.as_str()),
        prepared.map_or(Value::Null, |p| Value::Int(p.segments.shape()[0] as i64)),
        prepared.map_or(Value::Null, |p| Value::Bool(p.padded)),
        prepared.map_or(Value::Null, |p| Value::Text(p.derived_leads.join(","))),
        prepared.map_or(Value::Null, |_| Value::Bool(!record.defects.is_empty())),
    ];
    if let Some(c) = &engine.clinical {
        match outputs.and_then(|o| o.probabilities.as_ref()) {
            Some(p) => row.extend(p.iter().map(|v| Value::Float(short(*v)))),
            None => row.extend(std::iter::repeat_n(Value::Null, c.spec.labels.len())),
        }
    }
    if engine.features.is_some() {
        let emb = outputs.and_then(|o| o.embedding.as_ref());
        match (&args.features_out, emb) {
            (Some(path), Some(e)) => {
                if npy.is_none() {
                    *npy = Some(NpyWriter::create(path, e.len()).map_err(|err| {
                        Error::Output(std::io::Error::other(format!("{}: {err}", path.display())))
                    })?);
                }
                let w = npy
                    .as_mut()
                    .ok_or_else(|| Error::Internal("features file not open".into()))?;
                let index = w.rows();
                w.row(e).map_err(|err| {
                    Error::Output(std::io::Error::other(format!("{}: {err}", path.display())))
                })?;
                row.push(Value::Int(index as i64));
            }
            (None, Some(e)) => row.push(Value::Json(Box::new(serde_json::Value::Array(
                e.iter()
                    .map(|v| {
                        serde_json::Number::from_f64(short(*v))
                            .map_or(serde_json::Value::Null, serde_json::Value::Number)
                    })
                    .collect(),
            )))),
            (_, None) => row.push(Value::Null),
        }
    }
    row.push(error.map_or(Value::Null, |e| Value::from(e.as_str())));
    Ok(row)
}

fn log_stats(
    stats: &Stats,
    records: usize,
    load_time: std::time::Duration,
    elapsed: std::time::Duration,
) {
    let total = elapsed.as_secs_f64();
    let run = stats.session_run.as_secs_f64();
    tracing::info!(
        "runtime and models loaded in {:.3} s; inferred {records} records ({} segments, {} model runs) \
         in {total:.3} s ({:.2} records/s); session.run {run:.3} s = {:.1} % of that, {:.1} % outside it",
        load_time.as_secs_f64(),
        stats.segments,
        stats.batches,
        if total > 0.0 {
            records as f64 / total
        } else {
            0.0
        },
        if total > 0.0 {
            100.0 * run / total
        } else {
            0.0
        },
        if total > 0.0 {
            100.0 * (total - run) / total
        } else {
            0.0
        }
    );
}

fn aggregation_name(a: Aggregation) -> &'static str {
    match a {
        Aggregation::Max => "max",
        Aggregation::Mean => "mean",
    }
}

#[allow(clippy::too_many_arguments)]
fn provenance(
    runtime: &Runtime,
    engine: &Engine,
    args: &Args,
    geometry: &Geometry,
    columns: &[String],
    ok: usize,
    failed: usize,
    started: chrono::DateTime<chrono::Local>,
    elapsed: std::time::Duration,
) -> serde_json::Value {
    let model = |m: &LoadedModel| {
        json!({
            "task": m.spec.kind.name(),
            "path": m.model.path.display().to_string(),
            "sha256": m.sha256,
            "sidecar": m.spec.sidecar.as_ref().map(|p| p.display().to_string()),
            "input": m.spec.input,
            "output": m.spec.output,
            "activation": match m.spec.activation {
                Activation::Sigmoid => "sigmoid",
                Activation::Identity => "none",
            },
            "labels": m.spec.labels.iter().map(|l| json!({
                "column": l.name, "text": l.text, "aggregation": aggregation_name(l.aggregation)
            })).collect::<Vec<_>>(),
            "embedding_aggregation": match m.spec.kind {
                ModelKind::Features => Some(aggregation_name(m.spec.embedding_aggregation)),
                ModelKind::Clinical => None,
            },
        })
    };
    let models: Vec<serde_json::Value> = engine
        .clinical
        .iter()
        .chain(engine.features.iter())
        .map(model)
        .collect();
    json!({
        "dicomkit_version": env!("CARGO_PKG_VERSION"),
        "onnxruntime": {
            "version": runtime::ORT_VERSION,
            "library": runtime.library.path.display().to_string(),
            "found_by": runtime.library.source,
            "graph_optimization": "all",
            "intra_op_threads": args.threads,
        },
        "models": models,
        "preprocessing": {
            "leads": geometry.leads,
            "sample_rate_hz": geometry.sample_rate_hz,
            "resampling": "linear interpolation, endpoint-aligned (n_new = floor(n * rate / fs))",
            "constant_leads": "set to zero",
            "normalisation": format!("z-score per lead over the whole record: (x - mean) / (std + {})", preprocess::STD_EPSILON),
            "segment_samples": geometry.segment_samples,
            "segment_overlap": 0,
            "remainder": "dropped",
            "short_records": if args.pad { "zero-padded to one segment" } else { "error" },
            "derive_leads": args.derive_leads,
        },
        "batch_size": args.batch_size,
        "shard": args.shard.map(|(i, n)| format!("{i}/{n}")),
        "columns": columns,
        "features_out": args.features_out.as_ref().map(|p| p.display().to_string()),
        "records_ok": ok,
        "records_failed": failed,
        "started": started.to_rfc3339(),
        "seconds": elapsed.as_secs_f64(),
    })
}

fn flatten(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        serde_json::Value::Array(list) => {
            for (i, v) in list.iter().enumerate() {
                flatten(&format!("{prefix}.{i}"), v, out);
            }
        }
        serde_json::Value::String(s) => out.push((prefix.to_owned(), s.clone())),
        serde_json::Value::Null => out.push((prefix.to_owned(), String::new())),
        other => out.push((prefix.to_owned(), other.to_string())),
    }
}

fn write_provenance(path: &Path, doc: &serde_json::Value) -> Result<()> {
    let fail = |e: std::io::Error| {
        Error::Output(std::io::Error::other(format!("{}: {e}", path.display())))
    };
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let mut bytes = Vec::new();
    if is_csv {
        let mut pairs = Vec::new();
        flatten("", doc, &mut pairs);
        let mut w = csv::Writer::from_writer(&mut bytes);
        w.write_record(["key", "value"])
            .and_then(|_| {
                pairs
                    .iter()
                    .try_for_each(|(k, v)| w.write_record([k.as_str(), v.as_str()]))
            })
            .map_err(|e| fail(std::io::Error::other(e)))?;
        w.flush().map_err(fail)?;
    } else {
        let text = serde_json::to_string_pretty(doc)
            .map_err(|e| Error::Internal(format!("provenance JSON: {e}")))?;
        bytes.extend_from_slice(text.as_bytes());
        bytes.push(b'\n');
    }
    let mut f = std::fs::File::create(path).map_err(fail)?;
    f.write_all(&bytes).map_err(fail)?;
    Ok(())
}
