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
    /// A nested JSON value (rendered compactly in table and CSV); boxed, so that a row of
    /// values stays small (32 bytes a value rather than 80: batch commands build millions).
    Json(Box<serde_json::Value>),
}

impl Value {
    /// The text of this value as it appears in a table cell or CSV field.
    pub fn to_text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => {
                let mut s = String::new();
                push_f64(&mut s, *f);
                s
            }
            Value::Text(s) => s.clone(),
            Value::Json(v) => v.to_string(),
        }
    }

    /// Append [`Value::to_text`] to a buffer (no allocation for numbers and booleans).
    pub fn push_text(&self, buf: &mut String) {
        match self {
            Value::Null => {}
            Value::Bool(b) => buf.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                if *i < 0 {
                    buf.push('-');
                }
                push_u64(buf, i.unsigned_abs());
            }
            Value::Float(f) => push_f64(buf, *f),
            Value::Text(s) => buf.push_str(s),
            Value::Json(v) => buf.push_str(&v.to_string()),
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
            Value::Json(v) => (**v).clone(),
        }
    }
}

/// Append `v` exactly as `f64`'s `Display` writes it (`72`, `0.15`, `-3.5`, `NaN`).
///
/// Values that are a whole number of thousandths below 10¹² in magnitude — nearly every measured
/// value this tool prints — are written with integer arithmetic: their shortest round-trip form
/// is that decimal with trailing zeros dropped (no other decimal of at most three places lies
/// within half an ulp), so the text is the same; anything else goes through the float formatter.
///
/// ```
/// let mut s = String::new();
/// for v in [72.0, 0.15, -3.5, 100.125, 1e-7, -0.0] {
///     s.clear();
///     dicomkit::output::push_f64(&mut s, v);
///     assert_eq!(s, v.to_string());
/// }
/// ```
pub fn push_f64(buf: &mut String, v: f64) {
    use std::fmt::Write as _;
    if v != 0.0 && v.abs() < 1e12 {
        // nearest thousandth (a wrong guess in a corner case only means the slow path: the
        // check below decides)
        let x = v * 1000.0;
        let k = (x + if x < 0.0 { -0.5 } else { 0.5 }) as i64;
        if k as f64 / 1000.0 == v {
            if k < 0 {
                buf.push('-');
            }
            let k = k.unsigned_abs();
            push_u64(buf, k / 1000);
            let mut frac = k % 1000;
            if frac != 0 {
                buf.push('.');
                let mut digits = 3;
                while frac.is_multiple_of(10) {
                    frac /= 10;
                    digits -= 1;
                }
                let mut tmp = *b"000";
                for slot in tmp.iter_mut().take(digits).rev() {
                    *slot = b'0' + (frac % 10) as u8;
                    frac /= 10;
                }
                buf.push_str(
                    std::str::from_utf8(tmp.get(..digits).unwrap_or_default()).unwrap_or_default(),
                );
            }
            return;
        }
    }
    let _ = write!(buf, "{v}");
}

/// Append an unsigned integer in decimal.
pub fn push_u64(buf: &mut String, v: u64) {
    buf.push_str(itoa::Buffer::new().format(v));
}

/// `s` safe to show on a terminal or in a line-based log: every control character (C0, DEL,
/// C1), the Unicode line and paragraph separators and the bidirectional overrides are written
/// as escapes (`\n`, `\r`, `\t`, else `\u{1b}`), so that a file name holding a newline or an
/// escape sequence cannot start a line of its own or steer the terminal. Other text (a
/// backslash too) is unchanged; borrows when nothing needs escaping.
///
/// ```
/// use dicomkit::output::escape_controls;
/// assert_eq!(escape_controls("a\nb\u{1b}[31m.scp"), "a\\nb\\u{1b}[31m.scp");
/// assert_eq!(escape_controls("plain ü"), "plain ü");
/// ```
pub fn escape_controls(s: &str) -> std::borrow::Cow<'_, str> {
    fn needs(c: char) -> bool {
        c.is_control()
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    }
    if !s.chars().any(needs) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs(c) => {
                use std::fmt::Write as _;
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
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
    /// Write rows already rendered by [`render_rows`] (in this writer's format), in one write.
    /// Formats that cannot take pre-rendered rows (table, json) refuse with an error; callers
    /// only use this when [`render_rows`] gave bytes.
    fn write_rendered(&mut self, bytes: &[u8]) -> io::Result<()> {
        let _ = bytes;
        Err(io::Error::other(
            "this output format cannot take pre-rendered rows",
        ))
    }
}

/// Render rows in a streaming format (CSV records without the header, or JSON Lines) on any
/// thread, so that a batch command can format rows in parallel and write them in order with
/// [`RowWriter::write_rendered`]. `None` for table and JSON (their writers need every row).
///
/// ```
/// use dicomkit::output::{render_rows, row_writer, Format, Style, Value};
/// let rows = vec![vec![Value::from("a, b"), Value::Int(1)]];
/// let bytes = render_rows(Format::Csv, &["name", "n"], &rows).unwrap();
/// assert_eq!(bytes, b"\"a, b\",1\n");
/// let mut out = Vec::new();
/// {
///     let mut w = row_writer(Format::Csv, &["name", "n"], Box::new(&mut out), Style::plain());
///     w.write_rendered(&bytes).unwrap();
///     w.finish().unwrap();
/// }
/// assert_eq!(out, b"name,n\n\"a, b\",1\n");
/// assert!(render_rows(Format::Table, &["name", "n"], &rows).is_none());
/// let line = render_rows(Format::Ndjson, &["name", "n"], &rows).unwrap();
/// assert_eq!(line, b"{\"name\":\"a, b\",\"n\":1}\n");
/// ```
pub fn render_rows(format: Format, columns: &[&str], rows: &[Vec<Value>]) -> Option<Vec<u8>> {
    match format {
        Format::Csv => Some(csv::render(columns.len(), rows)),
        Format::Ndjson => {
            // the same bytes as NdjsonWriter (serde_json's compact form of row_object), written
            // field by field without building a map per row
            let keys: Vec<Vec<u8>> = columns
                .iter()
                .map(|c| serde_json::to_vec(c).unwrap_or_default())
                .collect();
            let mut out = Vec::with_capacity(rows.len() * 256);
            for r in rows {
                out.push(b'{');
                for (i, key) in keys.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(key);
                    out.push(b':');
                    // serialising into a Vec cannot fail
                    let _ = match r.get(i) {
                        None | Some(Value::Null) => serde_json::to_writer(&mut out, &()),
                        Some(Value::Bool(b)) => serde_json::to_writer(&mut out, b),
                        Some(Value::Int(n)) => serde_json::to_writer(&mut out, n),
                        Some(Value::Float(f)) if f.is_finite() => {
                            serde_json::to_writer(&mut out, f)
                        }
                        Some(Value::Float(_)) => serde_json::to_writer(&mut out, &()),
                        Some(Value::Text(t)) => serde_json::to_writer(&mut out, t),
                        Some(Value::Json(v)) => serde_json::to_writer(&mut out, v),
                    };
                }
                out.extend_from_slice(b"}\n");
            }
            Some(out)
        }
        Format::Table | Format::Json => None,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_small() {
        assert!(std::mem::size_of::<Value>() <= 32);
    }

    /// `push_f64` writes what `Display` writes: whole thousandths, rounded measurements and
    /// arbitrary doubles (bit patterns).
    #[test]
    fn push_f64_equals_display() {
        let mut s = String::new();
        let mut check = |v: f64| {
            s.clear();
            push_f64(&mut s, v);
            assert_eq!(s, v.to_string(), "{v:?}");
        };
        for v in [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            0.001,
            0.0005,
            999_999_999_999.999,
            1e12,
            -1e12,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            f64::MAX,
        ] {
            check(v);
        }
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for i in 0..200_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            check(f64::from_bits(x));
            let k = (x % 2_000_000_000) as f64 - 1e9;
            check(k / 1000.0);
            check(k / 10.0);
            check((k / 7.0 * 10.0).round() / 10.0);
            check(i as f64 * 0.001);
        }
    }
}
