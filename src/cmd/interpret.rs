//! `dicomkit interpret`: a clinical read-out per ECG from ECG-FM's label probabilities and the
//! heart rate and intervals measured from the signal.
//!
//! ```text
//! Usage: dicomkit interpret [OPTIONS] INPUT...
//!
//! INPUT: the CSV or NDJSON that `dicomkit ecg-infer` writes (a file, or `-` for stdin; read as a
//! stream, in constant memory, any number of rows), or ECG files and directories (SCP-ECG,
//! HL7 aECG, DICOM-ECG, WFDB .hea): with --clinical-model the inference runs in-process (the
//! same code as ecg-infer); without, a signal-only read-out (rate, regularity, intervals and the
//! rate rules).
//!
//! Table inputs need one column per label of the rule table (ECG-FM's 17: poor_data_quality,
//! sinus_rhythm, ...). Optional columns: source (the ECG file: its signal gives the measured
//! heart rate and intervals), record_id, hr_bpm (a heart rate already measured), error (rows
//! ecg-infer could not infer). --signal auto reads the source file when the row has no hr_bpm;
//! always reads it whenever it exists (the measured rate wins); never uses the columns only.
//!
//! ECG files are read as every ECG command reads them (zip members; WFDB signal files from the
//! header's own folder or zip). A partial ECG is an error row unless --accept-partial, which reads
//! it out with confidence low and the defects as the first reason.
//!
//! Rules: each label has a threshold, a group (rhythm, conduction, ischemia, structural, other)
//! and a severity (normal, minor, moderate, severe, critical): README.md lists the defaults,
//! --rules FILE (TOML or JSON) overrides them. When the only positive findings are sinus rhythm,
//! tachycardia or bradycardia, the measured rate's band sets the severity; a tachycardia or
//! bradycardia label the measured rate contradicts is reported as contradicted; poor data
//! quality sets confidence low and is the first reason.
//!
//! Output, one row per record: source, record_id, hr_bpm, hr_source, rr_irregularity, pr_ms,
//! qrs_ms, qt_ms, qtc_bazett_ms, qtc_fridericia_ms, primary_finding, severity, confidence,
//! rhythm, conduction, ischemia, structural, other, reasons, error.
//!
//! Exit: 0 every row read out; 2 usage; 3 no record; 4 some rows failed (a non-numeric
//! probability, an unreadable ECG); 6 a table input lacks label columns, or every row failed.
//! ```

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{Context, EcgReadArgs};
use crate::ecg::ReadOptions;
use crate::ecg::measure::{SignalMeasurements, measure};
use crate::error::{Error, Result};
use crate::infer::engine::{Engine, LoadedModel};
use crate::infer::preprocess::{self, Options};
use crate::infer::runtime::Runtime;
use crate::infer::spec::ModelKind;
use crate::input::{Data, Input, expand};
use crate::interpret::rules::RuleTable;
use crate::interpret::table::{Cutter, Layout, Piece, TableRow, ndjson_row};
use crate::interpret::{mark_not_measured, mark_partial, read_out};
use crate::output::{RowWriter, Value, render_rows};

/// Columns of `interpret`.
pub const COLUMNS: [&str; 20] = [
    "source",
    "record_id",
    "hr_bpm",
    "hr_source",
    "rr_irregularity",
    "pr_ms",
    "qrs_ms",
    "qt_ms",
    "qtc_bazett_ms",
    "qtc_fridericia_ms",
    "primary_finding",
    "severity",
    "confidence",
    "rhythm",
    "conduction",
    "ischemia",
    "structural",
    "other",
    "reasons",
    "error",
];

/// When to read a row's source ECG for the measured rate and intervals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SignalUse {
    /// When the row has no hr_bpm.
    Auto,
    /// Whenever the source exists (the measured rate wins over hr_bpm).
    Always,
    /// Never: the columns only.
    Never,
}

/// Arguments of `dicomkit interpret`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_long_help = "Examples:
  dicomkit ecg-infer --clinical-model c.onnx carts/ --format csv | dicomkit interpret - --format csv
  dicomkit interpret labels.csv --rules strict.toml --format ndjson
  dicomkit interpret carts/ --format csv                       # signal only: rate, rhythm, intervals
  dicomkit interpret --clinical-model c.onnx carts/ecg1.scp")]
pub struct Args {
    /// ecg-infer CSV/NDJSON files (`-` for stdin), or ECG files and directories.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// A rule file (TOML, or JSON) overriding the default rule table.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,

    /// When to read a table row's source ECG for measurements.
    #[arg(long, value_enum, default_value = "auto")]
    pub signal: SignalUse,

    /// Run ECG-FM on ECG-file inputs (as ecg-infer does); without it ECG files get a signal-only
    /// read-out.
    #[arg(long, value_name = "FILE.onnx")]
    pub clinical_model: Option<PathBuf>,

    /// The ONNX Runtime library (with --clinical-model).
    #[arg(long, value_name = "PATH")]
    pub ort_lib: Option<PathBuf>,

    /// Intra-op threads of ONNX Runtime (with --clinical-model; 0: one per core).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,

    /// Derive missing limb leads from I and II for the model (with --clinical-model).
    #[arg(long)]
    pub derive_leads: bool,

    /// How ECGs are read (--accept-partial: a partial record is read out, confidence low).
    #[command(flatten)]
    pub read: EcgReadArgs,
}

/// Rows read and read out per chunk (parsing in order, reading out in parallel).
const CHUNK: usize = 8192;

/// The result of one record, ready to write.
struct Done {
    values: Vec<Value>,
    failed: bool,
}

/// Counters over the whole run.
#[derive(Default)]
struct Tally {
    ok: usize,
    failed: usize,
}

/// Run `interpret`.
pub fn run(ctx: &Context, args: &Args) -> Result<()> {
    let rules = match &args.rules {
        Some(p) => RuleTable::from_file(p).map_err(Error::BadInput)?,
        None => RuleTable::default(),
    };
    if args.inputs.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        return Err(Error::Usage("`-` (stdin) given twice".into()));
    }
    let mut out = ctx.rows(&COLUMNS);
    let mut tally = Tally::default();
    let mut ecg_files: Vec<Input> = Vec::new();
    for path in &args.inputs {
        if path.as_os_str() == "-" {
            let stdin = std::io::stdin();
            table_input(
                ctx,
                args,
                &rules,
                "stdin",
                BufReader::with_capacity(1 << 16, stdin.lock()),
                out.as_mut(),
                &mut tally,
            )?;
            continue;
        }
        for item in expand(std::slice::from_ref(path)) {
            let item = match item {
                Ok(i) => i,
                Err(e) => {
                    tally.failed += 1;
                    ctx.item_error(&e.label, &e.reason);
                    out.row(&error_row(&e.label, &stem_of(&e.label), &e.reason))?;
                    continue;
                }
            };
            if !item.explicit && crate::ecg::header_of_signal_file(&item).is_some() {
                continue; // a WFDB signal file: read through its header
            }
            let head = match item.head(4096) {
                Ok(h) => h.into_owned(),
                Err(e) => {
                    tally.failed += 1;
                    ctx.item_error(&item.label, &e.reason);
                    out.row(&error_row(&item.label, &stem_of(&item.label), &e.reason))?;
                    continue;
                }
            };
            if crate::ecg::detect(Path::new(&item.file_name()), &head).is_some() {
                ecg_files.push(item);
                continue;
            }
            if !item.explicit {
                continue; // a walked file that is not an ECG
            }
            if let e @ crate::ecg::EcgError::UnknownXml = crate::ecg::unrecognised(&head) {
                // XML that is not HL7 aECG (a GE MUSE export, ...): not a table either.
                let e = e.to_string();
                tally.failed += 1;
                ctx.item_error(&item.label, &e);
                out.row(&error_row(&item.label, &stem_of(&item.label), &e))?;
                continue;
            }
            // a table: ecg-infer's CSV or NDJSON
            match item.data {
                Data::Path(p) => {
                    let f = std::fs::File::open(&p).map_err(|e| {
                        Error::BadInput(format!("{}: {}", p.display(), crate::input::io_reason(&e)))
                    })?;
                    table_input(
                        ctx,
                        args,
                        &rules,
                        &item.label,
                        BufReader::with_capacity(1 << 16, f),
                        out.as_mut(),
                        &mut tally,
                    )?;
                }
                Data::Member(_) => {
                    // Walked members that are not ECGs were skipped above.
                    let bytes = item.read().map_err(|e| Error::BadInput(e.to_string()))?;
                    table_input(
                        ctx,
                        args,
                        &rules,
                        &item.label,
                        BufReader::new(std::io::Cursor::new(bytes.as_slice())),
                        out.as_mut(),
                        &mut tally,
                    )?
                }
                Data::Bytes(b) => table_input(
                    ctx,
                    args,
                    &rules,
                    &item.label,
                    BufReader::new(std::io::Cursor::new(b)),
                    out.as_mut(),
                    &mut tally,
                )?,
            }
        }
    }
    if !ecg_files.is_empty() {
        ecg_inputs(ctx, args, &rules, ecg_files, out.as_mut(), &mut tally)?;
    }
    out.finish()?;
    if tally.ok + tally.failed == 0 {
        return Err(Error::NoMatch("no record in the inputs".into()));
    }
    crate::error::batch_outcome("records", tally.ok, tally.failed)
}

fn stem_of(label: &str) -> String {
    let name = label.rsplit(['/', '!']).next().unwrap_or(label);
    Path::new(name)
        .file_stem()
        .map_or_else(|| name.to_owned(), |s| s.to_string_lossy().into_owned())
}

fn error_row(source: &str, record_id: &str, reason: &str) -> Vec<Value> {
    let mut v = vec![Value::Null; COLUMNS.len()];
    v[0] = Value::from(source);
    v[1] = Value::from(record_id);
    v[COLUMNS.len() - 1] = Value::from(reason);
    v
}

fn opt(v: Option<f64>) -> Value {
    v.filter(|x| x.is_finite())
        .map_or(Value::Null, |x| Value::Float((x * 10.0).round() / 10.0))
}

/// Read out one record into an output row.
#[allow(clippy::too_many_arguments)]
fn finish_row(
    rules: &RuleTable,
    source: &str,
    record_id: &str,
    probabilities: Option<&[f64]>,
    hr: Option<(f64, &'static str)>,
    m: Option<&SignalMeasurements>,
    not_measured: Option<String>,
    partial: &[String],
) -> Done {
    let irregularity = m.and_then(|m| m.rr_irregularity);
    let mut r = read_out(rules, probabilities, hr.map(|h| h.0), irregularity);
    if let Some(why) = &not_measured {
        mark_not_measured(&mut r, why);
    }
    if !partial.is_empty() {
        mark_partial(&mut r, partial);
    }
    let mut values = Vec::with_capacity(COLUMNS.len());
    values.push(Value::from(source));
    values.push(Value::from(record_id));
    values.push(opt(hr.map(|h| h.0)));
    values.push(hr.map_or(Value::Null, |h| Value::from(h.1)));
    values.push(
        irregularity
            .filter(|x| x.is_finite())
            .map_or(Value::Null, |x| Value::Float((x * 1000.0).round() / 1000.0)),
    );
    values.push(opt(m.and_then(|m| m.pr_ms)));
    values.push(opt(m.and_then(|m| m.qrs_ms)));
    values.push(opt(m.and_then(|m| m.qt_ms)));
    values.push(opt(m.and_then(|m| m.qtc_bazett_ms)));
    values.push(opt(m.and_then(|m| m.qtc_fridericia_ms)));
    values.push(Value::from(r.primary_finding));
    values.push(Value::from(r.severity.name()));
    values.push(Value::from(r.confidence));
    for g in r.groups {
        values.push(if g.is_empty() {
            Value::Null
        } else {
            Value::Text(g)
        });
    }
    values.push(Value::Text(r.reasons));
    values.push(Value::Null);
    Done {
        values,
        failed: false,
    }
}

/// How a table row's source ECG is used and read.
#[derive(Debug, Clone, Copy)]
struct SourceUse {
    /// When it is read.
    signal: SignalUse,
    /// How strictly.
    read: ReadOptions,
}

/// Measure a source ECG file: its measurements and, when it was accepted partial, its defects.
fn measure_source(
    source: &str,
    read: &ReadOptions,
) -> std::result::Result<(SignalMeasurements, Vec<String>), String> {
    let ecg = crate::ecg::read_path(Path::new(source), read).map_err(|e| e.to_string())?;
    let m = measure(&ecg).map_err(|e| e.to_string())?;
    Ok((m, ecg.defects))
}

fn read_out_table_row(rules: &RuleTable, source: SourceUse, row: TableRow) -> Done {
    let probs = match row.probabilities {
        Ok(p) => p,
        Err(e) => {
            return Done {
                values: error_row(&row.source, &row.record_id, &e),
                failed: true,
            };
        }
    };
    let want_signal = match source.signal {
        SignalUse::Never => false,
        SignalUse::Auto => row.hr_bpm.is_none(),
        SignalUse::Always => true,
    } && !row.source.is_empty()
        && row.source != "-"
        && Path::new(&row.source).is_file();
    let (m, note, partial) = if want_signal {
        match measure_source(&row.source, &source.read) {
            Ok((m, defects)) => (Some(m), None, defects),
            Err(e) => (None, Some(format!("source {e}")), Vec::new()),
        }
    } else {
        (None, None, Vec::new())
    };
    let hr = match (m.as_ref().and_then(|m| m.hr_bpm), row.hr_bpm) {
        (Some(h), _) => Some((h, "signal")),
        (None, Some(h)) => Some((h, "column")),
        (None, None) => None,
    };
    finish_row(
        rules,
        &row.source,
        &row.record_id,
        Some(&probs),
        hr,
        m.as_ref(),
        note,
        &partial,
    )
}

/// Rows per parallel task (each task reads out and renders its rows).
const SUB_CHUNK: usize = 512;

/// One task's output: pre-rendered rows (CSV, NDJSON) or rows to write, and the failures.
struct Part {
    rendered: Option<Vec<u8>>,
    values: Vec<Vec<Value>>,
    failures: Vec<(String, String)>,
    ok: usize,
}

/// Turn raw input items into rows, read them out and render them, on all cores.
fn compute_parts<T: Sync>(
    format: crate::output::Format,
    rules: &RuleTable,
    source: SourceUse,
    items: &[T],
    to_rows: &(dyn Fn(&T) -> Vec<TableRow> + Sync),
) -> Vec<Part> {
    items
        .par_iter()
        .map(|item| {
            let rows = to_rows(item);
            let mut failures = Vec::new();
            let mut values = Vec::with_capacity(rows.len());
            for row in rows {
                let d = read_out_table_row(rules, source, row);
                if d.failed {
                    let what = match (d.values.first(), d.values.get(1)) {
                        (Some(Value::Text(s)), Some(Value::Text(id))) => format!("{s} ({id})"),
                        _ => "row".to_owned(),
                    };
                    let reason = match d.values.last() {
                        Some(Value::Text(e)) => e.clone(),
                        _ => String::new(),
                    };
                    failures.push((what, reason));
                }
                values.push(d.values);
            }
            let ok = values.len() - failures.len();
            match render_rows(format, &COLUMNS, &values) {
                Some(bytes) => Part {
                    rendered: Some(bytes),
                    values: Vec::new(),
                    failures,
                    ok,
                },
                None => Part {
                    rendered: None,
                    values,
                    failures,
                    ok,
                },
            }
        })
        .collect()
}

/// Write computed parts in order.
fn write_parts(
    ctx: &Context,
    parts: Vec<Part>,
    out: &mut dyn RowWriter,
    tally: &mut Tally,
) -> Result<()> {
    for part in parts {
        for (what, reason) in &part.failures {
            ctx.item_error(what, reason);
        }
        tally.failed += part.failures.len();
        tally.ok += part.ok;
        match part.rendered {
            Some(bytes) => out.write_rendered(&bytes)?,
            None => {
                for v in &part.values {
                    out.row(v)?;
                }
            }
        }
    }
    Ok(())
}

/// Read chunks on this thread while the previous chunk is read out on the others; write in
/// order. `next_chunk` gives the next chunk of raw items, or `None` at the end.
fn pipeline<T: Send + Sync>(
    ctx: &Context,
    rules: &RuleTable,
    source: SourceUse,
    to_rows: &(dyn Fn(&T) -> Vec<TableRow> + Sync),
    out: &mut dyn RowWriter,
    tally: &mut Tally,
    mut next_chunk: impl FnMut() -> Result<Option<Vec<T>>>,
) -> Result<()> {
    let format = ctx.format;
    std::thread::scope(|scope| -> Result<()> {
        let mut pending: Option<std::thread::ScopedJoinHandle<'_, Vec<Part>>> = None;
        loop {
            let chunk = next_chunk();
            let done = match pending.take() {
                Some(job) => Some(
                    job.join()
                        .map_err(|_| Error::Internal("a read-out thread panicked".into()))?,
                ),
                None => None,
            };
            // start the next chunk before writing the previous one, so writing overlaps it
            let more = match chunk {
                Ok(Some(items)) => {
                    pending = Some(
                        scope.spawn(move || compute_parts(format, rules, source, &items, to_rows)),
                    );
                    Ok(true)
                }
                Ok(None) => Ok(false),
                Err(e) => Err(e),
            };
            if let Some(parts) = done {
                write_parts(ctx, parts, out, tally)?;
            }
            if !more? {
                return Ok(());
            }
        }
    })
}

fn source_use(args: &Args) -> SourceUse {
    SourceUse {
        signal: args.signal,
        read: args.read.options(),
    }
}

fn table_input<R: BufRead>(
    ctx: &Context,
    args: &Args,
    rules: &RuleTable,
    input: &str,
    mut reader: R,
    out: &mut dyn RowWriter,
    tally: &mut Tally,
) -> Result<()> {
    let is_ndjson = {
        let buf = reader
            .fill_buf()
            .map_err(|e| Error::BadInput(format!("{input}: {e}")))?;
        buf.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
    };
    if is_ndjson {
        ndjson_input(ctx, args, rules, input, reader, out, tally)
    } else {
        csv_input(ctx, args, rules, input, reader, out, tally)
    }
}

fn csv_input<R: BufRead>(
    ctx: &Context,
    args: &Args,
    rules: &RuleTable,
    input: &str,
    reader: R,
    out: &mut dyn RowWriter,
    tally: &mut Tally,
) -> Result<()> {
    let mut cutter = Cutter::new(reader);
    let header = cutter
        .header()
        .map_err(|e| Error::BadInput(format!("{input}: {e}")))?;
    let layout = Layout::from_header(rules, &header, input).map_err(Error::BadInput)?;
    let to_rows = |piece: &Piece| layout.parse_piece(piece);
    let next_chunk = || {
        cutter
            .next_block()
            .map_err(|e| Error::BadInput(format!("{input}: {e}")))
    };
    pipeline(
        ctx,
        rules,
        source_use(args),
        &to_rows,
        out,
        tally,
        next_chunk,
    )
}

fn ndjson_input<R: BufRead>(
    ctx: &Context,
    args: &Args,
    rules: &RuleTable,
    input: &str,
    reader: R,
    out: &mut dyn RowWriter,
    tally: &mut Tally,
) -> Result<()> {
    let to_rows = |group: &Vec<(usize, String)>| -> Vec<TableRow> {
        group
            .iter()
            .map(|(line_no, line)| ndjson_row(rules, input, *line_no, line))
            .collect()
    };
    let mut lines = reader.lines().enumerate();
    let mut done = false;
    type Groups = Vec<Vec<(usize, String)>>;
    let next_chunk = || -> Result<Option<Groups>> {
        if done {
            return Ok(None);
        }
        let mut chunk: Vec<(usize, String)> = Vec::with_capacity(CHUNK);
        while chunk.len() < CHUNK {
            let Some((n, line)) = lines.next() else {
                done = true;
                break;
            };
            let line_no = n + 1;
            let line =
                line.map_err(|e| Error::BadInput(format!("{input}: line {line_no}: {e}")))?;
            if !line.trim().is_empty() {
                chunk.push((line_no, line));
            }
        }
        let mut groups = Vec::with_capacity(chunk.len() / SUB_CHUNK + 1);
        let mut rest = chunk.into_iter().peekable();
        while rest.peek().is_some() {
            groups.push(rest.by_ref().take(SUB_CHUNK).collect());
        }
        Ok(Some(groups))
    };
    pipeline(
        ctx,
        rules,
        source_use(args),
        &to_rows,
        out,
        tally,
        next_chunk,
    )
}

/// ECG files: measured, and with --clinical-model inferred in-process.
fn ecg_inputs(
    ctx: &Context,
    args: &Args,
    rules: &RuleTable,
    files: Vec<Input>,
    out: &mut dyn RowWriter,
    tally: &mut Tally,
) -> Result<()> {
    let mut engine = match &args.clinical_model {
        Some(model) => {
            let runtime = Runtime::load(args.ort_lib.as_deref())
                .map_err(|e| Error::BadInput(e.to_string()))?;
            let loaded = LoadedModel::load(&runtime, model, ModelKind::Clinical, args.threads)
                .map_err(|e| Error::BadInput(e.to_string()))?;
            Some(Engine::new(Some(loaded), None, 16).map_err(|e| Error::BadInput(e.to_string()))?)
        }
        None => None,
    };
    // where each rule label is among the model's outputs
    let positions: Option<Vec<usize>> = match engine.as_ref().and_then(|e| e.clinical.as_ref()) {
        Some(m) => {
            let mut pos = Vec::new();
            let mut missing = Vec::new();
            for r in &rules.labels {
                match m.spec.labels.iter().position(|l| l.name == r.column) {
                    Some(i) => pos.push(i),
                    None => missing.push(r.column.as_str()),
                }
            }
            if !missing.is_empty() {
                return Err(Error::BadInput(format!(
                    "the model has no output for rule label(s) {}",
                    missing.join(", ")
                )));
            }
            Some(pos)
        }
        None => None,
    };
    let geometry = engine.as_ref().map(|e| e.geometry().clone());
    let options = Options {
        derive_leads: args.derive_leads,
        pad: false,
    };
    let read = args.read.options();
    let bar = ctx.progress_bar("ECGs", Some(files.len() as u64));
    for chunk in files.chunks(64) {
        type Loaded = std::result::Result<
            (
                SignalMeasurements,
                Option<preprocess::Prepared>,
                Option<String>,
                Vec<String>,
            ),
            String,
        >;
        let loaded: Vec<Loaded> = chunk
            .par_iter()
            .map(|input| {
                let ecg = crate::ecg::read(input, &read).map_err(|e| e.to_string())?;
                let (m, note) = match measure(&ecg) {
                    Ok(m) => (m, None),
                    // Signal only: nothing to read out from a signal that cannot be measured.
                    Err(e) if geometry.is_none() => {
                        return Err(format!("signal not measured: {e}; no read-out"));
                    }
                    Err(e) => (SignalMeasurements::default(), Some(e.to_string())),
                };
                let prepared = match &geometry {
                    Some(g) => Some(
                        preprocess::from_ecg_with(&ecg, g, options).map_err(|e| e.to_string())?,
                    ),
                    None => None,
                };
                Ok((m, prepared, note, ecg.defects))
            })
            .collect();
        let ready: Vec<&ndarray::Array3<f32>> = loaded
            .iter()
            .filter_map(|l| {
                l.as_ref()
                    .ok()
                    .and_then(|(_, p, _, _)| p.as_ref())
                    .map(|p| &p.segments)
            })
            .collect();
        let mut results = match engine.as_mut() {
            Some(e) if !ready.is_empty() => e
                .infer(&ready)
                .map_err(|e| Error::BadInput(e.to_string()))?
                .into_iter(),
            _ => Vec::new().into_iter(),
        };
        for (input, l) in chunk.iter().zip(loaded) {
            bar.inc(1);
            let label = &input.label;
            let id = stem_of(label);
            let done = match l {
                Err(e) => {
                    ctx.item_error(label, &e);
                    Done {
                        values: error_row(label, &id, &e),
                        failed: true,
                    }
                }
                Ok((m, prepared, note, defects)) => {
                    for d in &defects {
                        bar.suspend(|| ctx.warn(&format!("{label}: partial record: {d}")));
                    }
                    let probs: Option<Vec<f64>> = match (prepared, &positions) {
                        (Some(_), Some(pos)) => {
                            let o = results.next().and_then(|o| o.probabilities);
                            o.map(|p| {
                                pos.iter()
                                    .map(|&i| p.get(i).map_or(f64::NAN, |v| f64::from(*v)))
                                    .collect()
                            })
                        }
                        _ => None,
                    };
                    let hr = m.hr_bpm.map(|h| (h, "signal"));
                    finish_row(
                        rules,
                        label,
                        &id,
                        probs.as_deref(),
                        hr,
                        Some(&m),
                        note,
                        &defects,
                    )
                }
            };
            if done.failed {
                tally.failed += 1;
            } else {
                tally.ok += 1;
            }
            out.row(&done.values)?;
        }
    }
    bar.finish_and_clear();
    Ok(())
}
