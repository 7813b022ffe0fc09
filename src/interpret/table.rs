//! Tables of label probabilities — the CSV or NDJSON that `ecg-infer` writes — as rows for the
//! read-out.
//!
//! A CSV input is read in blocks of whole records ([`Cutter`]), each block cut into pieces of
//! about 64 KiB that can be parsed on any thread ([`Layout::parse_piece`]); line numbers are
//! kept, so a bad row is named by its line. Pieces without quotes are split by hand (a record
//! is a line, a field is between commas: the `csv` crate's reading of such bytes, at a fraction
//! of the cost); pieces with quotes go through the `csv` crate.
//!
//! ```
//! use dicomkit::interpret::{rules::RuleTable, table::{Cutter, Layout}};
//! let rules = RuleTable::default();
//! let mut csv = String::from("source,record_id");
//! for r in &rules.labels {
//!     csv.push(',');
//!     csv.push_str(&r.column);
//! }
//! csv.push_str(",hr_bpm\na.scp,a");
//! csv.push_str(&",0.9".repeat(rules.labels.len()));
//! csv.push_str(",72\n");
//! let mut input = csv.as_bytes();
//! let mut cutter = Cutter::new(&mut input);
//! let layout = Layout::from_header(&rules, &cutter.header().unwrap(), "t.csv").unwrap();
//! let pieces = cutter.next_block().unwrap().unwrap();
//! let rows = layout.parse_piece(&pieces[0]);
//! assert_eq!((rows[0].record_id.as_str(), rows[0].hr_bpm), ("a", Some(72.0)));
//! assert_eq!(rows[0].probabilities.as_ref().unwrap().len(), rules.labels.len());
//! ```

use std::io::{BufRead, Read};
use std::sync::Arc;

use super::rules::RuleTable;

/// One row of a table input, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct TableRow {
    /// The `source` column (the ECG file), empty when there is none.
    pub source: String,
    /// The `record_id` column, or `input:line` when the table has none.
    pub record_id: String,
    /// One value per rule label (in the rule table's order), or why the row cannot be read out.
    pub probabilities: Result<Vec<f64>, String>,
    /// The `hr_bpm` column, when present and not empty.
    pub hr_bpm: Option<f64>,
}

/// A run of whole CSV records and the line it starts on.
#[derive(Debug, Clone)]
pub struct Piece {
    block: Arc<Vec<u8>>,
    start: usize,
    end: usize,
    /// The 1-based line of the input the piece starts on.
    pub first_line: u64,
}

impl Piece {
    /// The piece's bytes.
    pub fn bytes(&self) -> &[u8] {
        self.block.get(self.start..self.end).unwrap_or_default()
    }
}

/// Bytes read per block; blocks are cut into pieces of about [`PIECE`] bytes.
const BLOCK: usize = 4 << 20;
const PIECE: usize = 64 << 10;

/// Reads a CSV input: the header record, then blocks of whole records cut into [`Piece`]s.
pub struct Cutter<R> {
    reader: R,
    carry: Vec<u8>,
    next_line: u64,
    eof: bool,
}

/// The end (exclusive) of the first record that ends at or after `from` in `buf`, counting
/// quotes from the start of `buf` (a newline is outside quotes when the number of `"` before it
/// is even: escaped quotes come in pairs). `None` when no record ends there.
fn record_end_after(buf: &[u8], from: usize, quoted: bool) -> Option<usize> {
    if !quoted {
        let tail = buf.get(from..)?;
        return tail.iter().position(|&b| b == b'\n').map(|i| from + i + 1);
    }
    let mut quotes = 0usize;
    for (i, &b) in buf.iter().enumerate() {
        if b == b'"' {
            quotes += 1;
        } else if b == b'\n' && quotes.is_multiple_of(2) && i >= from {
            return Some(i + 1);
        }
    }
    None
}

/// The end (exclusive) of the last whole record in `buf`.
fn last_record_end(buf: &[u8]) -> Option<usize> {
    if !buf.contains(&b'"') {
        return buf.iter().rposition(|&b| b == b'\n').map(|i| i + 1);
    }
    let mut quotes = 0usize;
    let mut end = None;
    for (i, &b) in buf.iter().enumerate() {
        if b == b'"' {
            quotes += 1;
        } else if b == b'\n' && quotes.is_multiple_of(2) {
            end = Some(i + 1);
        }
    }
    end
}

impl<R: BufRead> Cutter<R> {
    /// A cutter over `reader`, positioned at the header.
    pub fn new(reader: R) -> Cutter<R> {
        Cutter {
            reader,
            carry: Vec::new(),
            next_line: 1,
            eof: false,
        }
    }

    /// Read the header record (up to its newline outside quotes) and parse its column names.
    pub fn header(&mut self) -> Result<Vec<String>, String> {
        let mut line = Vec::new();
        loop {
            let n = self
                .reader
                .read_until(b'\n', &mut line)
                .map_err(|e| e.to_string())?;
            if n == 0 || line.iter().filter(|&&b| b == b'"').count() % 2 == 0 {
                break;
            }
        }
        self.next_line += line.iter().filter(|&&b| b == b'\n').count() as u64;
        let record = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(line.as_slice())
            .byte_records()
            .next()
            .transpose()
            .map_err(|e| e.to_string())?;
        Ok(record
            .map(|r| {
                r.iter()
                    .map(|h| String::from_utf8_lossy(h).into_owned())
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The next block of whole records as pieces, or `None` at the end of the input. A record
    /// longer than a block makes the block grow until the record ends.
    pub fn next_block(&mut self) -> std::io::Result<Option<Vec<Piece>>> {
        if self.eof && self.carry.is_empty() {
            return Ok(None);
        }
        while !self.eof && (self.carry.len() < BLOCK || last_record_end(&self.carry).is_none()) {
            let want = BLOCK.saturating_sub(self.carry.len()).max(PIECE) as u64;
            let n = (&mut self.reader).take(want).read_to_end(&mut self.carry)?;
            if n == 0 {
                self.eof = true;
            }
        }
        let cut = if self.eof {
            self.carry.len()
        } else {
            last_record_end(&self.carry).unwrap_or(self.carry.len())
        };
        let rest = self.carry.get(cut..).unwrap_or_default().to_vec();
        self.carry.truncate(cut);
        let block = Arc::new(std::mem::replace(&mut self.carry, rest));
        let quoted = block.contains(&b'"');
        let mut pieces = Vec::with_capacity(block.len() / PIECE + 1);
        let mut start = 0usize;
        while start < block.len() {
            let target = start + PIECE;
            let end = if target >= block.len() {
                block.len()
            } else {
                let slice = block.get(start..).unwrap_or_default();
                record_end_after(slice, target - start, quoted).map_or(block.len(), |e| start + e)
            };
            let piece = Piece {
                block: Arc::clone(&block),
                start,
                end,
                first_line: self.next_line,
            };
            self.next_line += memchr::memchr_iter(b'\n', piece.bytes()).count() as u64;
            pieces.push(piece);
            start = end;
        }
        Ok(Some(pieces))
    }
}

/// Where the columns of a table input are.
#[derive(Debug, Clone)]
pub struct Layout {
    input: String,
    width: usize,
    /// Per rule label (in the rule table's order): its column name and index.
    labels: Vec<(String, usize)>,
    source: Option<usize>,
    record_id: Option<usize>,
    hr: Option<usize>,
    error: Option<usize>,
}

impl Layout {
    /// The layout of a header; an error naming every rule label without a column.
    pub fn from_header(
        rules: &RuleTable,
        header: &[String],
        input: &str,
    ) -> Result<Layout, String> {
        let col = |name: &str| header.iter().position(|h| h.trim() == name);
        let mut labels = Vec::with_capacity(rules.labels.len());
        let mut missing = Vec::new();
        for rule in &rules.labels {
            match col(&rule.column) {
                Some(i) => labels.push((rule.column.clone(), i)),
                None => missing.push(rule.column.as_str()),
            }
        }
        if !missing.is_empty() {
            return Err(format!(
                "{input}: missing label column(s) {} (the input must be ecg-infer's CSV or \
                 NDJSON, one column per label of the rule table)",
                missing.join(", ")
            ));
        }
        Ok(Layout {
            input: input.to_owned(),
            width: header.len(),
            labels,
            source: col("source"),
            record_id: col("record_id"),
            hr: col("hr_bpm"),
            error: col("error"),
        })
    }

    fn bad(&self, line: u64, reason: String) -> TableRow {
        TableRow {
            source: self.input.clone(),
            record_id: format!("line {line}"),
            probabilities: Err(format!("line {line}: {reason}")),
            hr_bpm: None,
        }
    }

    /// The rows of one piece, in order; a row that cannot be read carries the reason.
    pub fn parse_piece(&self, piece: &Piece) -> Vec<TableRow> {
        let bytes = piece.bytes();
        // a lone CR ends a record for the csv crate: leave such pieces (and quotes) to it
        let plain = memchr::memchr(b'"', bytes).is_none()
            && memchr::memchr_iter(b'\r', bytes).all(|i| bytes.get(i + 1) == Some(&b'\n'));
        if plain {
            self.parse_plain(piece)
        } else {
            self.parse_csv(piece)
        }
    }

    /// Split by hand: a record per line (LF or CRLF; blank lines skipped), fields between commas.
    fn parse_plain(&self, piece: &Piece) -> Vec<TableRow> {
        let bytes = piece.bytes();
        let mut rows = Vec::with_capacity(bytes.len() / 128 + 1);
        let mut fields: Vec<&[u8]> = Vec::with_capacity(self.width);
        let mut start = 0;
        let ends = memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len()));
        for (line, end) in (piece.first_line..).zip(ends) {
            let raw = bytes.get(start..end).unwrap_or_default();
            start = end + 1;
            let text = raw.strip_suffix(b"\r").unwrap_or(raw);
            if !text.is_empty() {
                fields.clear();
                fields.extend(text.split(|&b| b == b','));
                rows.push(self.row(&fields, line));
            }
        }
        rows
    }

    /// Through the `csv` crate (quotes, lone CRs).
    fn parse_csv(&self, piece: &Piece) -> Vec<TableRow> {
        let mut rows = Vec::new();
        let mut csv = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(piece.bytes());
        let mut record = ::csv::ByteRecord::new();
        // the csv crate's line numbers lag behind blank lines and CRLFs: count newlines up to
        // the record's first byte instead (its position's byte offset, terminators skipped)
        let bytes = piece.bytes();
        let (mut cursor, mut line) = (0usize, piece.first_line);
        let mut line_at = |offset: u64| -> u64 {
            let mut start = usize::try_from(offset)
                .unwrap_or(usize::MAX)
                .min(bytes.len());
            while matches!(bytes.get(start), Some(b'\r' | b'\n')) {
                start += 1;
            }
            if start > cursor {
                let gap = bytes.get(cursor..start).unwrap_or_default();
                line += memchr::memchr_iter(b'\n', gap).count() as u64;
                cursor = start;
            }
            line
        };
        loop {
            match csv.read_byte_record(&mut record) {
                Ok(true) => {
                    let line = line_at(record.position().map_or(0, |p| p.byte()));
                    let fields: Vec<&[u8]> = record.iter().collect();
                    rows.push(self.row(&fields, line));
                }
                Ok(false) => break,
                Err(e) => {
                    let line = line_at(e.position().map_or(0, |p| p.byte()));
                    rows.push(self.bad(line, e.to_string()));
                    if matches!(e.kind(), ::csv::ErrorKind::Io(_)) {
                        break;
                    }
                }
            }
        }
        rows
    }

    /// One record's fields as a row.
    fn row(&self, fields: &[&[u8]], line: u64) -> TableRow {
        if fields.len() != self.width {
            return self.bad(
                line,
                format!(
                    "{} fields where the header has {}",
                    fields.len(),
                    self.width
                ),
            );
        }
        let field = |i: Option<usize>| -> &[u8] {
            i.and_then(|i| fields.get(i).copied()).unwrap_or_default()
        };
        let text = |b: &[u8]| match std::str::from_utf8(b) {
            Ok(t) => t.to_owned(),
            Err(_) => String::from_utf8_lossy(b).into_owned(),
        };
        let record_id = match self.record_id {
            Some(_) => text(field(self.record_id)),
            None => format!("{}:{line}", self.input),
        };
        let upstream = field(self.error);
        let mut hr_bpm = None;
        let probabilities = if !upstream.trim_ascii().is_empty() {
            Err(format!("ecg-infer: {}", String::from_utf8_lossy(upstream)))
        } else {
            let mut err = None;
            match parse_hr_bytes(field(self.hr)) {
                Ok(h) => hr_bpm = h,
                Err(e) => err = Some(e),
            }
            let mut probs = Vec::with_capacity(self.labels.len());
            for (column, i) in &self.labels {
                match parse_probability_bytes(column, field(Some(*i))) {
                    Ok(v) => probs.push(v),
                    Err(e) => {
                        err.get_or_insert(e);
                    }
                }
            }
            match err {
                Some(e) => Err(e),
                None => Ok(probs),
            }
        };
        TableRow {
            source: text(field(self.source)),
            record_id,
            probabilities,
            hr_bpm,
        }
    }
}

/// One line of an NDJSON input (1-based `line_no`) as a row.
pub fn ndjson_row(rules: &RuleTable, input: &str, line_no: usize, line: &str) -> TableRow {
    let fail = |reason: String| TableRow {
        source: input.to_owned(),
        record_id: format!("line {line_no}"),
        probabilities: Err(format!("line {line_no}: {reason}")),
        hr_bpm: None,
    };
    let v: serde_json::Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return fail(format!("not JSON: {e}")),
    };
    let Some(obj) = v.as_object() else {
        return fail("not a JSON object".into());
    };
    let text = |k: &str| match obj.get(k) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let source = text("source");
    let record_id = obj
        .get("record_id")
        .map(|_| text("record_id"))
        .unwrap_or_else(|| format!("{input}:{line_no}"));
    let upstream = text("error");
    let probabilities = if !upstream.trim().is_empty() {
        Err(format!("ecg-infer: {upstream}"))
    } else {
        let missing: Vec<&str> = rules
            .labels
            .iter()
            .filter(|r| !obj.contains_key(&r.column))
            .map(|r| r.column.as_str())
            .collect();
        if !missing.is_empty() {
            Err(format!("missing label column(s) {}", missing.join(", ")))
        } else {
            rules
                .labels
                .iter()
                .map(|r| match obj.get(&r.column) {
                    Some(serde_json::Value::Number(n)) => n
                        .as_f64()
                        .filter(|v| (0.0..=1.0).contains(v))
                        .ok_or_else(|| format!("{} = {n} is not a probability (0 to 1)", r.column)),
                    Some(serde_json::Value::String(s)) => parse_probability(&r.column, s),
                    Some(other) => Err(format!("{} = {other} is not a number", r.column)),
                    None => Err(format!("{} is missing", r.column)),
                })
                .collect()
        }
    };
    let hr_bpm = match obj.get("hr_bpm") {
        Some(serde_json::Value::Number(n)) => n.as_f64(),
        Some(serde_json::Value::String(s)) => parse_hr(s).ok().flatten(),
        _ => None,
    };
    TableRow {
        source,
        record_id,
        probabilities,
        hr_bpm,
    }
}

/// A plain decimal (`0.1234`, `1`, `.5`) parsed exactly: an integer mantissa below 2⁵³ divided by
/// a power of ten up to 10²² is correctly rounded (Clinger's fast path), the same value as
/// `str::parse`. Anything else (exponents, long mantissas) gives `None`.
pub fn fast_decimal(b: &[u8]) -> Option<f64> {
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    // the common shape of a probability: `0.` then up to 8 digits, eight digits at a time
    if let [b'0', b'.', frac @ ..] = b
        && !frac.is_empty()
        && frac.len() <= 8
    {
        // right-aligned in eight bytes, '0's in front (shifts, not a memcpy call)
        let mut x: u64 = 0x3030_3030_3030_3030;
        for &c in frac {
            x = x >> 8 | u64::from(c) << 56;
        }
        // every byte an ASCII digit: high nibble 3, and no carry out of the low nibble past 9
        const MASK: u64 = 0xF0F0_F0F0_F0F0_F0F0;
        const ZEROS: u64 = 0x3030_3030_3030_3030;
        if x & MASK != ZEROS || x.wrapping_add(0x0606_0606_0606_0606) & MASK != ZEROS {
            return None;
        }
        // first digit in the lowest byte: pairs, then quads, then the eight
        let x = x & 0x0F0F_0F0F_0F0F_0F0F;
        let x = (x.wrapping_mul(10 << 8 | 1)) >> 8 & 0x00FF_00FF_00FF_00FF;
        let x = (x.wrapping_mul(100 << 16 | 1)) >> 16 & 0x0000_FFFF_0000_FFFF;
        let m = (x.wrapping_mul(10000 << 32 | 1)) >> 32;
        return Some(m as f64 / *POW10.get(frac.len())?);
    }
    if let [b'0', b'.', frac @ ..] = b
        && !frac.is_empty()
        && frac.len() <= 15
    {
        let mut m: u64 = 0;
        for &c in frac {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            m = m * 10 + u64::from(d);
        }
        return Some(m as f64 / *POW10.get(frac.len())?);
    }
    let (neg, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, b),
    };
    let mut mantissa: u64 = 0;
    let mut frac_digits = 0usize;
    let mut seen_dot = false;
    let mut any = false;
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                any = true;
                mantissa = mantissa.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
                if mantissa >= 1 << 53 {
                    return None;
                }
                if seen_dot {
                    frac_digits += 1;
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            _ => return None,
        }
    }
    if !any {
        return None;
    }
    let v = mantissa as f64 / *POW10.get(frac_digits)?;
    Some(if neg { -v } else { v })
}

/// A probability field as bytes (the fast path of [`parse_probability`]).
pub fn parse_probability_bytes(column: &str, b: &[u8]) -> Result<f64, String> {
    if let Some(v) = fast_decimal(b)
        && (0.0..=1.0).contains(&v)
    {
        return Ok(v);
    }
    match fast_decimal(b.trim_ascii()) {
        Some(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => parse_probability(column, &String::from_utf8_lossy(b)),
    }
}

/// A probability field: a number from 0 to 1, or an error naming the column.
pub fn parse_probability(column: &str, text: &str) -> Result<f64, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(format!("{column} is empty"));
    }
    match t.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        Ok(v) => Err(format!("{column} = {v} is not a probability (0 to 1)")),
        Err(_) => Err(format!("{column} = {t:?} is not a number")),
    }
}

/// An `hr_bpm` field as bytes (the fast path of [`parse_hr`]).
pub fn parse_hr_bytes(b: &[u8]) -> Result<Option<f64>, String> {
    let t = b.trim_ascii();
    if t.is_empty() {
        return Ok(None);
    }
    match fast_decimal(t) {
        Some(v) if v > 0.0 && v < 1000.0 => Ok(Some(v)),
        _ => parse_hr(&String::from_utf8_lossy(b)),
    }
}

/// An `hr_bpm` field: empty (none), or a heart rate above 0 and below 1000 bpm.
pub fn parse_hr(text: &str) -> Result<Option<f64>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v < 1000.0 => Ok(Some(v)),
        _ => Err(format!("hr_bpm = {t:?} is not a heart rate")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_decimal_equals_std_parse() {
        for t in [
            "0",
            "1",
            "0.5",
            ".5",
            "0.1234",
            "0.9999999",
            "1.0",
            "-0.25",
            "+0.3",
            "123456789012345",
            "0.000000000000000000001",
        ] {
            assert_eq!(
                fast_decimal(t.as_bytes()),
                Some(t.parse::<f64>().unwrap()),
                "{t}"
            );
        }
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let digits = 1 + (x % 12) as usize;
            let t = format!("0.{:0width$}", x % 10u64.pow(digits as u32), width = digits);
            assert_eq!(
                fast_decimal(t.as_bytes()),
                Some(t.parse::<f64>().unwrap()),
                "{t}"
            );
        }
        for t in [
            "",
            ".",
            "1e-3",
            "abc",
            "1.2.3",
            "0x1",
            "12345678901234567890",
            "-",
            "0.30000000000000004",
            "0.1a",
            "0.12:4",
            "0./",
            "0.5 ",
            "0.1234567\u{7f}",
            "0.\u{0}",
        ] {
            assert_eq!(fast_decimal(t.as_bytes()), None, "{t}");
        }
    }

    /// The hand-split path gives the rows the csv crate gives (ids, lines, values, errors),
    /// and the cutter keeps line numbers across blocks and pieces.
    #[test]
    fn plain_parse_equals_csv_crate() {
        let rules = RuleTable::default();
        let mut text = String::from("source,record_id,hr_bpm");
        for r in &rules.labels {
            text.push(',');
            text.push_str(&r.column);
        }
        text.push_str("\r\n");
        let probs = ",0.5".repeat(17);
        for i in 0..3000 {
            match i % 7 {
                0 => text.push_str(&format!("a{i}.scp,r{i},72{probs}\r\n")),
                1 => text.push('\n'),
                2 => text.push_str(&format!("b{i}.scp,r{i},{}\n", ",0.1".repeat(16))),
                3 => text.push_str(&format!("c{i}.scp,r{i},x{probs}\n")),
                4 => text.push_str(&format!("d{i}.scp,r{i},{}\n", probs.replace("0.5", "1.5"))),
                5 => text.push_str(&format!(" e{i}.scp , r{i} ,  80.5 {probs}\n")),
                _ => text.push_str(&format!("f{i}.scp,r{i},{probs}\n")),
            }
        }
        text.push_str("last.scp,z,61"); // no newline at the end
        text.push_str(&probs);
        let mut input = text.as_bytes();
        let mut cutter = Cutter::new(&mut input);
        let layout = Layout::from_header(&rules, &cutter.header().unwrap(), "t").unwrap();
        let mut plain = Vec::new();
        let mut csv = Vec::new();
        let mut pieces = 0;
        while let Some(block) = cutter.next_block().unwrap() {
            for p in block {
                pieces += 1;
                plain.extend(layout.parse_plain(&p));
                csv.extend(layout.parse_csv(&p));
            }
        }
        assert!(pieces > 1, "the input should span pieces");
        assert_eq!(csv.len(), (0..3000).filter(|i| i % 7 != 1).count() + 1);
        assert_eq!(plain.len(), csv.len());
        for (a, b) in plain.iter().zip(&csv) {
            assert_eq!(a, b);
        }
        assert_eq!(plain.last().unwrap().record_id, "z");
        // header line 1, then line 2 is record 0; record 3 (line 5) has a bad hr_bpm
        assert_eq!(
            plain[2].probabilities,
            Err("hr_bpm = \"x\" is not a heart rate".to_owned())
        );
        assert_eq!(
            plain[1].probabilities,
            Err("line 4: 19 fields where the header has 20".to_owned())
        );
        assert_eq!(plain[4].hr_bpm, Some(80.5));
        assert_eq!(plain[4].source, " e5.scp ");
    }
}
