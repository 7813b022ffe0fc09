//! The one output layer: rows of named, typed fields rendered as a table, CSV, a JSON array or
//! JSON Lines.
//!
//! Every command describes its output as a list of column names (stable `snake_case`, documented
//! per command in README.md) and writes rows of [`Value`]s through a [`RowWriter`] made by
//! [`row_writer`]. One module per format: [`table`], [`csv`], [`json`], [`ndjson`].
//! `csv`, `json` and `ndjson` stream rows as they come (flat memory for huge batches); `table`
//! has to see every row before it can size its columns.
//!
//! ```
//! use dicomkit::output::{row_writer, Format, Style, Value};
//! let mut out = Vec::new();
//! {
//!     let mut w = row_writer(Format::Csv, &["path", "rows"], Box::new(&mut out), Style::plain());
//!     w.row(&[Value::from("a.dcm"), Value::Int(512)]).unwrap();
//!     w.finish().unwrap();
//! }
//! assert_eq!(String::from_utf8(out).unwrap(), "path,rows\na.dcm,512\n");
//! ```

pub mod csv;
pub mod json;
pub mod ndjson;
pub mod table;

use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

/// An output format (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// A table sized to the terminal (comfy-table); the default.
    #[default]
    Table,
    /// CSV with a header row, RFC 4180 quoting.
    Csv,
    /// One JSON array of objects.
    Json,
    /// JSON Lines: one object per line, written as each row is ready.
    Ndjson,
}

impl Format {
    /// The names accepted by `--format`.
    pub const NAMES: [&'static str; 4] = ["table", "csv", "json", "ndjson"];
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "table" => Ok(Format::Table),
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            "ndjson" | "jsonl" => Ok(Format::Ndjson),
            other => Err(format!(
                "unknown format {other:?} (expected table, csv, json or ndjson)"
            )),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Format::Table => "table",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Ndjson => "ndjson",
        };
        f.write_str(name)
    }
}

/// One typed field of a row.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// No value: an empty cell, `null` in JSON.
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// A floating-point number (non-finite values are `null` in JSON).
    Float(f64),
    /// Text.
    Text(String),
    /// A nested JSON value (rendered compactly in table and CSV).
    Json(serde_json::Value),
}

impl Value {
    /// The text of this value as it appears in a table cell or CSV field.
    pub fn to_text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Text(s) => s.clone(),
            Value::Json(v) => v.to_string(),
        }
    }

    /// This value as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Text(s) => serde_json::Value::String(s.clone()),
            Value::Json(v) => v.clone(),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(s)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// How the terminal-facing formats look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Stdout is a terminal: the table fits its width.
    pub terminal: bool,
    /// ANSI styling allowed (stdout is a terminal and `NO_COLOR` is unset).
    pub color: bool,
}

impl Style {
    /// No terminal, no colour: what pipes, files and tests get.
    pub fn plain() -> Style {
        Style {
            terminal: false,
            color: false,
        }
    }

    /// Detect from the process: stdout a terminal, `NO_COLOR` unset.
    pub fn detect() -> Style {
        use std::io::IsTerminal;
        let terminal = io::stdout().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            terminal,
            color: terminal && !no_color,
        }
    }
}

/// Writes rows in one format. Call [`RowWriter::finish`] once at the end.
pub trait RowWriter {
    /// Write one row; `values` has one entry per column, in column order.
    fn row(&mut self, values: &[Value]) -> io::Result<()>;
    /// Write what the format needs at the end (closing bracket, the table) and flush.
    fn finish(&mut self) -> io::Result<()>;
}

/// A row writer for `format` with these columns, writing to `out`.
pub fn row_writer<'a>(
    format: Format,
    columns: &[&str],
    out: Box<dyn Write + 'a>,
    style: Style,
) -> Box<dyn RowWriter + 'a> {
    let columns: Vec<String> = columns.iter().map(|c| (*c).to_owned()).collect();
    match format {
        Format::Table => Box::new(table::TableWriter::new(columns, out, style)),
        Format::Csv => Box::new(csv::CsvWriter::new(columns, out)),
        Format::Json => Box::new(json::JsonWriter::new(columns, out)),
        Format::Ndjson => Box::new(ndjson::NdjsonWriter::new(columns, out)),
    }
}

/// One row as a JSON object, keys in column order.
pub(crate) fn row_object(columns: &[String], values: &[Value]) -> serde_json::Value {
    let mut map = serde_json::Map::with_capacity(columns.len());
    for (i, c) in columns.iter().enumerate() {
        map.insert(
            c.clone(),
            values
                .get(i)
                .map_or(serde_json::Value::Null, Value::to_json),
        );
    }
    serde_json::Value::Object(map)
}
