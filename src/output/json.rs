//! JSON: one array holding one object per row (keys in column order), streamed element by
//! element; and [`write_document`] for commands whose JSON is a document rather than rows.

use std::io::{self, Write};

use super::{RowWriter, Value, row_object};

/// Streams rows as the elements of one JSON array.
pub struct JsonWriter<'a> {
    columns: Vec<String>,
    array: JsonArray<'a>,
}

impl<'a> JsonWriter<'a> {
    /// A JSON array writer with these columns.
    pub fn new(columns: Vec<String>, out: Box<dyn Write + 'a>) -> Self {
        JsonWriter {
            columns,
            array: JsonArray::new(out),
        }
    }
}

impl RowWriter for JsonWriter<'_> {
    fn row(&mut self, values: &[Value]) -> io::Result<()> {
        let obj = row_object(&self.columns, values);
        self.array.push(&obj)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.array.finish()
    }
}

/// A JSON array written one element at a time: `[`, elements separated by `,`, `]`.
pub struct JsonArray<'a> {
    out: io::BufWriter<Box<dyn Write + 'a>>,
    count: usize,
    finished: bool,
}

impl<'a> JsonArray<'a> {
    /// Start an array on `out` (nothing is written until the first element or `finish`).
    pub fn new(out: Box<dyn Write + 'a>) -> Self {
        JsonArray {
            out: io::BufWriter::new(out),
            count: 0,
            finished: false,
        }
    }

    /// Append one element.
    pub fn push(&mut self, value: &serde_json::Value) -> io::Result<()> {
        self.out
            .write_all(if self.count == 0 { b"[\n" } else { b",\n" })?;
        serde_json::to_writer(&mut self.out, value)?;
        self.count += 1;
        Ok(())
    }

    /// Close the array and flush.
    pub fn finish(&mut self) -> io::Result<()> {
        if !self.finished {
            self.out
                .write_all(if self.count == 0 { b"[]\n" } else { b"\n]\n" })?;
            self.finished = true;
        }
        self.out.flush()
    }
}

/// Write one JSON document, pretty-printed, followed by a newline.
pub fn write_document(out: &mut dyn Write, value: &serde_json::Value) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    out.write_all(b"\n")?;
    out.flush()
}
