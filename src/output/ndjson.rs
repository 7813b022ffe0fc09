//! JSON Lines: one compact object per line, flushed as each row is written so that a reader
//! downstream sees rows as they are ready and memory stays flat whatever the batch size.

use std::io::{self, Write};

use super::{RowWriter, Value, row_object};

/// Streams rows as JSON Lines.
pub struct NdjsonWriter<'a> {
    columns: Vec<String>,
    out: Box<dyn Write + 'a>,
}

impl<'a> NdjsonWriter<'a> {
    /// A JSON Lines writer with these columns.
    pub fn new(columns: Vec<String>, out: Box<dyn Write + 'a>) -> Self {
        NdjsonWriter { columns, out }
    }
}

impl RowWriter for NdjsonWriter<'_> {
    fn row(&mut self, values: &[Value]) -> io::Result<()> {
        write_line(&mut self.out, &row_object(&self.columns, values))
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn write_rendered(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)
    }
}

/// Write one value as one line (compact JSON and `\n`), in a single write.
pub fn write_line(out: &mut dyn Write, value: &serde_json::Value) -> io::Result<()> {
    let mut line = serde_json::to_vec(value)?;
    line.push(b'\n');
    out.write_all(&line)
}
