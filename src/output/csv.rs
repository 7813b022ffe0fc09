//! CSV: a header row, then one record per row, RFC 4180 quoting (the `csv` crate).

use std::io::{self, Write};

use super::{RowWriter, Value};

/// Streams rows as CSV records.
pub struct CsvWriter<'a> {
    inner: ::csv::Writer<Box<dyn Write + 'a>>,
    columns: Vec<String>,
    header_written: bool,
    record: Vec<String>,
}

impl<'a> CsvWriter<'a> {
    /// A CSV writer with these columns.
    pub fn new(columns: Vec<String>, out: Box<dyn Write + 'a>) -> Self {
        let inner = ::csv::WriterBuilder::new().flexible(false).from_writer(out);
        CsvWriter {
            inner,
            columns,
            header_written: false,
            record: Vec::new(),
        }
    }

    fn header(&mut self) -> io::Result<()> {
        if !self.header_written {
            self.inner.write_record(&self.columns).map_err(csv_io)?;
            self.header_written = true;
        }
        Ok(())
    }
}

fn csv_io(e: ::csv::Error) -> io::Error {
    match e.into_kind() {
        ::csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

impl RowWriter for CsvWriter<'_> {
    fn row(&mut self, values: &[Value]) -> io::Result<()> {
        self.header()?;
        self.record.clear();
        for i in 0..self.columns.len() {
            self.record
                .push(values.get(i).map(Value::to_text).unwrap_or_default());
        }
        self.inner.write_record(&self.record).map_err(csv_io)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.header()?;
        self.inner.flush()
    }
}
