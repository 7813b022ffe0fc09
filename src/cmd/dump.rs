//! `dicomkit dump`: DICOM metadata of one file or thousands.
//!
//! ```text
//! Usage: dicomkit dump [OPTIONS] <PATH>...
//!        dicomkit dump --dictionary [--regex] [FILTER]
//!
//! PATH is a DICOM file, a directory (read recursively) or a .zip archive (every member).
//! Part 10 files are read with or without preamble; raw data sets without file meta are read
//! when their encoding can be recognised from their first element.
//!
//! One file, no --fields: every element like dcmdump (tag, VR, keyword, VM, length, value),
//! sequences nested. Many files: the same rows with a `path` column. --format json gives the
//! DICOM JSON model (PS3.18 Annex F); --format ndjson one {"path","dataset"} object per file.
//!
//! --fields F,F,...: one row per file: `path`, one column per field, `error`. Fields are
//! keywords (any case) or tags: PatientName,StudyDate,(0028,0010),00280011.
//!
//! Files that cannot be read are reported on stderr (and in the `error` column) and the rest go
//! on: exit 4 when some failed, 6 when all failed. Walked files that are not DICOM at all are
//! skipped (listed with -v). Sequences nested deeper than 128 levels are refused (a file error).
//! ```

use std::path::PathBuf;

use rayon::prelude::*;

use super::Context;
use crate::dicom::json::{self as dicom_json, JsonOptions};
use crate::dicom::read::{ReadError, ReadOptions, read_bytes, read_file};
use crate::dicom::value::Value as DValue;
use crate::dicom::{DicomFile, Element, Item, Tag, dictionary, tag_text};
use crate::error::{Error, Result, batch_outcome};
use crate::input::{self, Data, Input};
use crate::output::json::{JsonArray, write_document};
use crate::output::ndjson::write_line;
use crate::output::{Format, Value};

/// Long help of `dicomkit dump` (examples).
pub const EXAMPLES: &str = "\
Examples:
  dicomkit dump CT_small.dcm                         every element, like dcmdump
  dicomkit dump --format json CT_small.dcm           DICOM JSON model
  dicomkit dump --fields PatientID,StudyDate,Rows,Columns --format csv /data/dicom > meta.csv
  dicomkit dump --format ndjson studies.zip          one JSON object per file, streamed
  dicomkit dump --dictionary ^Patient                keywords starting with Patient
  dicomkit dump --dictionary --regex 'window(center|width)'

Limits:
  Sequences nested deeper than 128 levels (dicomkit::dicom::MAX_DEPTH) are refused:
  \"nesting deeper than 128 sequence levels\" for that file (exit 6; in a batch the others
  go on), and what precedes the too-deep sequence is still listed.";

/// Arguments of `dicomkit dump`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct Args {
    /// DICOM files, directories (recursive) or .zip archives.
    #[arg(value_name = "PATH", required_unless_present = "dictionary")]
    pub paths: Vec<PathBuf>,

    /// One row per file with these fields (keywords or tags, comma-separated; repeatable).
    #[arg(long, short = 'f', value_name = "FIELDS")]
    pub fields: Vec<String>,

    /// Cut values longer than N characters in table output (0: never). CSV and JSON are never cut.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub max_value_length: usize,

    /// In JSON output, include bulk data (pixel data, OB/OW/UN...) as base64 InlineBinary.
    #[arg(long)]
    pub inline_binary: bool,

    /// List the standard data dictionary (keyword, tag, VR, VM, name) instead of reading files;
    /// the one positional argument, if any, is the filter: substring, ^prefix or suffix$ of the
    /// keyword, name or tag (case-insensitive).
    #[arg(long, conflicts_with_all = ["fields", "inline_binary"])]
    pub dictionary: bool,

    /// With --dictionary: the filter is a regular expression (case-insensitive).
    #[arg(long, requires = "dictionary")]
    pub regex: bool,

    /// Worker threads for batches (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
}

/// Columns of the element listing (`dump FILE...` without `--fields`).
pub const ELEMENT_COLUMNS: [&str; 8] = [
    "path", "depth", "tag", "vr", "keyword", "vm", "length", "value",
];
/// Columns of `--dictionary`.
pub const DICTIONARY_COLUMNS: [&str; 6] = ["keyword", "tag", "vr", "vm", "name", "retired"];

/// Files handed to the workers at a time: enough to keep every core busy, small enough that
/// memory stays flat and rows stream out steadily.
const CHUNK: usize = 256;

/// Run `dicomkit dump`.
pub fn run(ctx: &Context, args: &Args) -> Result<()> {
    if args.dictionary {
        let filter = match args.paths.as_slice() {
            [] => String::new(),
            [one] => one.to_string_lossy().into_owned(),
            _ => return Err(Error::Usage("--dictionary takes at most one filter".into())),
        };
        return run_dictionary(ctx, &filter, args.regex);
    }
    let fields = parse_fields(&args.fields)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()
        .map_err(|e| Error::Internal(format!("cannot start worker threads: {e}")))?;
    pool.install(|| run_files(ctx, args, &fields))
}

/// A requested field: its tag and its column name.
#[derive(Debug, Clone, PartialEq)]
struct Field {
    tag: Tag,
    column: String,
}

/// Split `--fields` values on commas outside parentheses, and resolve each to a tag.
fn parse_fields(specs: &[String]) -> Result<Vec<Field>> {
    let mut fields: Vec<Field> = Vec::new();
    for spec in specs {
        let mut depth = 0i32;
        let mut start = 0;
        let mut parts = Vec::new();
        for (i, c) in spec.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(&spec[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        parts.push(&spec[start..]);
        for part in parts.into_iter().map(str::trim).filter(|p| !p.is_empty()) {
            let (g, e) = dictionary::parse_tag_spec(part)
                .map_err(|m| Error::Usage(format!("--fields: {m}")))?;
            let tag = Tag(g, e);
            let column = dictionary::keyword_of(g, e)
                .filter(|k| !matches!(*k, "GenericGroupLength" | "PrivateCreator"))
                .map_or_else(|| format!("{g:04X}{e:04X}"), str::to_owned);
            if !fields.iter().any(|f| f.tag == tag) {
                fields.push(Field { tag, column });
            }
        }
    }
    if fields.is_empty() && !specs.is_empty() {
        return Err(Error::Usage("--fields: no field given".into()));
    }
    Ok(fields)
}

fn run_dictionary(ctx: &Context, filter: &str, regex: bool) -> Result<()> {
    let entries = dictionary::filter(filter, regex)
        .map_err(|m| Error::Usage(format!("--dictionary: {m}")))?;
    if entries.is_empty() {
        return Err(Error::NoMatch(format!(
            "no data dictionary entry matches {filter:?}"
        )));
    }
    let mut out = ctx.rows(&DICTIONARY_COLUMNS);
    for e in entries {
        out.row(&[
            Value::from(e.keyword),
            Value::from(e.tag.as_str()),
            Value::from(e.vr),
            Value::from(e.vm),
            Value::from(e.name),
            Value::Bool(e.retired),
        ])?;
    }
    out.finish()?;
    Ok(())
}

/// What the workers produce for one input.
enum Outcome {
    /// A walked file that is not DICOM: skipped.
    Skipped(String),
    /// Could not be read at all.
    Failed(String),
    /// Read (maybe partly: `error` then says why it stopped).
    Read {
        rows: Vec<Vec<Value>>,
        json: Option<serde_json::Value>,
        error: Option<String>,
        warnings: Vec<String>,
    },
}

/// What to produce per file; shared by the workers.
struct Plan<'a> {
    fields: &'a [Field],
    read: ReadOptions,
    /// Element listing in table format for a single file: no path/depth columns, indented tags.
    single_table: bool,
    json: bool,
    max_value_length: usize,
    json_options: JsonOptions,
}

fn run_files(ctx: &Context, args: &Args, fields: &[Field]) -> Result<()> {
    let single = args.paths.len() == 1
        && args.paths.first().is_some_and(|p| {
            p.is_file() && !p.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip"))
        });
    let json_elements = fields.is_empty() && matches!(ctx.format, Format::Json | Format::Ndjson);
    // Read only as far as the last requested field (most files: up to the pixel data).
    let until = fields.iter().map(|f| f.tag).max();
    let plan = Plan {
        fields,
        read: ReadOptions { until },
        single_table: single && fields.is_empty() && ctx.format == Format::Table,
        json: json_elements,
        max_value_length: if ctx.format == Format::Table {
            args.max_value_length
        } else {
            0
        },
        json_options: JsonOptions {
            inline_binary: args.inline_binary,
        },
    };

    let columns: Vec<String> = if !fields.is_empty() {
        std::iter::once("path".to_owned())
            .chain(fields.iter().map(|f| f.column.clone()))
            .chain(std::iter::once("error".to_owned()))
            .collect()
    } else if plan.single_table {
        ELEMENT_COLUMNS[2..]
            .iter()
            .map(|c| (*c).to_owned())
            .collect()
    } else {
        ELEMENT_COLUMNS.iter().map(|c| (*c).to_owned()).collect()
    };
    let column_refs: Vec<&str> = columns.iter().map(String::as_str).collect();

    let mut sink = Sink::new(ctx, &column_refs, json_elements, single);
    let bar = if single {
        indicatif::ProgressBar::hidden()
    } else {
        ctx.progress_bar("files", None)
    };
    let (mut ok, mut failed, mut skipped) = (0usize, 0usize, 0usize);
    let mut inputs = input::expand(&args.paths);
    loop {
        let chunk: Vec<_> = inputs.by_ref().take(CHUNK).collect();
        if chunk.is_empty() {
            break;
        }
        let results: Vec<(String, Outcome)> = chunk
            .into_par_iter()
            .map(|item| match item {
                Ok(input) => (input.label.clone(), process(input, &plan)),
                Err(e) => (e.label, Outcome::Failed(e.reason)),
            })
            .collect();
        for (label, outcome) in results {
            bar.inc(1);
            match outcome {
                Outcome::Skipped(reason) => {
                    skipped += 1;
                    tracing::info!("skipped {label}: {reason}");
                }
                Outcome::Failed(reason) => {
                    failed += 1;
                    bar.suspend(|| ctx.item_error(&label, &reason));
                    sink.failed(&label, &reason, fields.len())?;
                }
                Outcome::Read {
                    rows,
                    json,
                    error,
                    warnings,
                } => {
                    for w in &warnings {
                        bar.suspend(|| ctx.warn(&format!("{label}: {w}")));
                    }
                    if let Some(reason) = &error {
                        failed += 1;
                        bar.suspend(|| ctx.item_error(&label, reason));
                    } else {
                        ok += 1;
                    }
                    sink.read(&label, rows, json, error.as_deref())?;
                }
            }
        }
        sink.flush()?;
    }
    bar.finish_and_clear();
    sink.finish()?;
    if skipped > 0 {
        tracing::info!("{skipped} file(s) skipped: not DICOM");
    }
    if ok + failed == 0 {
        return Err(Error::NoMatch(format!(
            "no DICOM file found in {}",
            args.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    if single && failed == 1 {
        // The one-line reason is already on stderr.
        return Err(Error::BadInput(String::new()));
    }
    batch_outcome("files", ok, failed)
}

/// Read one input and turn it into rows or JSON.
fn process(input: Input, plan: &Plan<'_>) -> Outcome {
    let result = match &input.data {
        Data::Path(p) => read_file(p, &plan.read),
        Data::Member(_) => match input.read() {
            Ok(b) => read_bytes(&b, &plan.read),
            Err(e) => return Outcome::Failed(e.reason),
        },
        Data::Bytes(b) => read_bytes(b, &plan.read),
    };
    let file = match result {
        Ok(f) => f,
        Err(ReadError::NotDicom(reason)) if !input.explicit => return Outcome::Skipped(reason),
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    let warnings = file.warnings.clone();
    if file.transfer_syntax_guessed && !file.elements.is_empty() {
        tracing::info!(
            "{}: no transfer syntax declared; read as {}",
            input.label,
            ts_name(&file.transfer_syntax)
        );
    }
    let error = file.error.clone();
    if !plan.fields.is_empty() {
        return Outcome::Read {
            rows: vec![field_row(&input.label, &file, plan)],
            json: None,
            error,
            warnings,
        };
    }
    if plan.json {
        let top: Vec<&Element> = file.top_level().collect();
        return Outcome::Read {
            rows: Vec::new(),
            json: Some(dicom_json::dataset(&top, plan.json_options)),
            error,
            warnings,
        };
    }
    let mut rows = Vec::new();
    element_rows(&input.label, file.top_level(), plan, &mut rows);
    Outcome::Read {
        rows,
        json: None,
        error,
        warnings,
    }
}

fn ts_name(uid: &str) -> String {
    use dicom_encoding::transfer_syntax::TransferSyntaxIndex;
    dicom_transfer_syntax_registry::TransferSyntaxRegistry
        .get(uid)
        .map_or_else(|| uid.to_owned(), |ts| format!("{} ({uid})", ts.name()))
}

/// The `--fields` row of one file.
fn field_row(label: &str, file: &DicomFile, plan: &Plan<'_>) -> Vec<Value> {
    let mut row = Vec::with_capacity(plan.fields.len() + 2);
    row.push(Value::from(label));
    for f in plan.fields {
        row.push(match file.find(f.tag) {
            None => Value::Null,
            Some(e) => match &e.value {
                DValue::UInts(v) if v.len() == 1 => v.first().map_or(Value::Null, |x| {
                    i64::try_from(*x).map_or_else(|_| Value::Text(x.to_string()), Value::Int)
                }),
                DValue::Ints(v) if v.len() == 1 => {
                    v.first().map_or(Value::Null, |x| Value::Int(*x))
                }
                DValue::F64(v) if v.len() == 1 => {
                    v.first().map_or(Value::Null, |x| Value::Float(*x))
                }
                DValue::F32(v) if v.len() == 1 => v
                    .first()
                    .map_or(Value::Null, |x| Value::Float(f64::from(*x))),
                other => Value::Text(cut(other.to_text(), plan.max_value_length)),
            },
        });
    }
    row.push(file.error.clone().into());
    row
}

/// What is left to list of an element tree: an element, or the `n`-th item of a sequence.
enum Pending<'a> {
    Element(&'a Element, usize),
    Item(&'a Item, usize, usize),
}

/// Rows for top-level elements and, for sequences, their items and the items' elements, in
/// file order. The tree is walked with a stack of its own (one for the whole file), not by
/// recursion: the reader caps the nesting at [`crate::dicom::MAX_DEPTH`], but a walker must
/// not depend on it.
fn element_rows<'a>(
    label: &str,
    elements: impl Iterator<Item = &'a Element>,
    plan: &Plan<'_>,
    rows: &mut Vec<Vec<Value>>,
) {
    let mut pending = Vec::new();
    for e in elements {
        pending.push(Pending::Element(e, 0));
        while let Some(next) = pending.pop() {
            match next {
                Pending::Element(e, depth) => {
                    let keyword = crate::dicom::keyword(e.tag).unwrap_or("");
                    let vr = match &e.value {
                        DValue::Sequence(_) => "SQ",
                        _ => e.vr.to_string(),
                    };
                    let length = e.length.map_or(Value::Null, |l| Value::Int(i64::from(l)));
                    let value = cut(e.value.to_text(), plan.max_value_length);
                    push_row(
                        rows,
                        plan,
                        label,
                        depth,
                        tag_text(e.tag),
                        vr,
                        keyword,
                        Value::Int(e.value.multiplicity() as i64),
                        length,
                        value,
                    );
                    if let DValue::Sequence(items) = &e.value {
                        for (n, item) in items.iter().enumerate().rev() {
                            pending.push(Pending::Item(item, n, depth + 1));
                        }
                    }
                }
                Pending::Item(item, n, depth) => {
                    let length = item
                        .length
                        .map_or(Value::Null, |l| Value::Int(i64::from(l)));
                    push_row(
                        rows,
                        plan,
                        label,
                        depth,
                        "(FFFE,E000)".into(),
                        "",
                        "Item",
                        Value::Null,
                        length,
                        format!("#{}", n + 1),
                    );
                    for child in item.elements.iter().rev() {
                        pending.push(Pending::Element(child, depth + 1));
                    }
                }
            }
        }
    }
}

/// Indentation levels shown in the single-file table: deeper rows are indented this much and
/// prefixed with their depth (`[40] (0008,0100)`), so that a row's width stays bounded.
const MAX_INDENT: usize = 32;

/// A tag indented for its depth in the single-file table.
fn indented(tag: &str, depth: usize) -> String {
    if depth <= MAX_INDENT {
        format!("{}{tag}", "  ".repeat(depth))
    } else {
        format!("{}[{depth}] {tag}", "  ".repeat(MAX_INDENT))
    }
}

#[allow(clippy::too_many_arguments)]
fn push_row(
    rows: &mut Vec<Vec<Value>>,
    plan: &Plan<'_>,
    label: &str,
    depth: usize,
    tag: String,
    vr: &str,
    keyword: &str,
    vm: Value,
    length: Value,
    value: String,
) {
    if plan.single_table {
        rows.push(vec![
            Value::Text(indented(&tag, depth)),
            vr.into(),
            keyword.into(),
            vm,
            length,
            Value::Text(value),
        ]);
    } else {
        rows.push(vec![
            Value::from(label),
            Value::Int(depth as i64),
            Value::Text(tag),
            vr.into(),
            keyword.into(),
            vm,
            length,
            Value::Text(value),
        ]);
    }
}

/// Cut `s` to `max` characters (0: never), marking the cut with `…`.
fn cut(s: String, max: usize) -> String {
    if max == 0 || s.chars().count() <= max {
        return s;
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Where results go: rows through the output layer, or JSON documents.
enum Sink {
    Rows(Box<dyn crate::output::RowWriter>),
    JsonSingle(Option<serde_json::Value>),
    JsonArray(JsonArray<'static>),
    Ndjson(std::io::Stdout),
}

impl Sink {
    fn new(ctx: &Context, columns: &[&str], json_elements: bool, single: bool) -> Sink {
        match (json_elements, ctx.format, single) {
            (true, Format::Json, true) => Sink::JsonSingle(None),
            (true, Format::Json, false) => {
                Sink::JsonArray(JsonArray::new(Box::new(std::io::stdout())))
            }
            (true, _, _) => Sink::Ndjson(std::io::stdout()),
            _ => Sink::Rows(ctx.rows(columns)),
        }
    }

    fn record(
        label: &str,
        json: Option<serde_json::Value>,
        error: Option<&str>,
    ) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        map.insert("path".into(), label.into());
        if let Some(j) = json {
            map.insert("dataset".into(), j);
        }
        if let Some(e) = error {
            map.insert("error".into(), e.into());
        }
        serde_json::Value::Object(map)
    }

    fn read(
        &mut self,
        label: &str,
        rows: Vec<Vec<Value>>,
        json: Option<serde_json::Value>,
        error: Option<&str>,
    ) -> Result<()> {
        match self {
            Sink::Rows(w) => {
                for r in &rows {
                    w.row(r)?;
                }
            }
            Sink::JsonSingle(slot) => *slot = json,
            Sink::JsonArray(a) => a.push(&Self::record(label, json, error))?,
            Sink::Ndjson(out) => write_line(out, &Self::record(label, json, error))?,
        }
        Ok(())
    }

    fn failed(&mut self, label: &str, reason: &str, fields: usize) -> Result<()> {
        match self {
            Sink::Rows(w) if fields > 0 => {
                let mut row = vec![Value::from(label)];
                row.extend(std::iter::repeat_n(Value::Null, fields));
                row.push(Value::from(reason));
                w.row(&row)?;
            }
            Sink::Rows(_) | Sink::JsonSingle(_) => {}
            Sink::JsonArray(a) => a.push(&Self::record(label, None, Some(reason)))?,
            Sink::Ndjson(out) => write_line(out, &Self::record(label, None, Some(reason)))?,
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        use std::io::Write;
        if let Sink::Ndjson(out) = self {
            out.flush()?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        match self {
            Sink::Rows(w) => w.finish()?,
            Sink::JsonSingle(slot) => {
                if let Some(j) = slot.take() {
                    write_document(&mut std::io::stdout(), &j)?;
                }
            }
            Sink::JsonArray(a) => a.finish()?,
            Sink::Ndjson(out) => {
                use std::io::Write;
                out.flush()?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_split_outside_parentheses() {
        let f = parse_fields(&[
            "PatientName,(0028,0010), 00280011".into(),
            "patientname".into(),
        ])
        .unwrap_or_default();
        let cols: Vec<&str> = f.iter().map(|f| f.column.as_str()).collect();
        assert_eq!(cols, ["PatientName", "Rows", "Columns"]);
        assert!(parse_fields(&["NoSuchKeyword".into()]).is_err());
        assert!(parse_fields(&[",".into()]).is_err());
    }

    #[test]
    fn deep_rows_keep_a_bounded_indent() {
        assert_eq!(indented("(0008,0100)", 2), "    (0008,0100)");
        let deep = indented("(0008,0100)", 200);
        assert_eq!(deep.len(), 2 * MAX_INDENT + "[200] (0008,0100)".len());
        assert!(deep.ends_with("[200] (0008,0100)"));
    }

    #[test]
    fn cut_marks_the_cut() {
        assert_eq!(cut("abcdef".into(), 4), "abc…");
        assert_eq!(cut("abc".into(), 4), "abc");
        assert_eq!(cut("abcdef".into(), 0), "abcdef");
    }
}
