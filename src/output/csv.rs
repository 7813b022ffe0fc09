//! CSV: a header row, then one record per row, RFC 4180 quoting (the `csv` crate).

use std::io::{self, Write};

use super::{RowWriter, Value};

/// Streams rows as CSV records.
pub struct CsvWriter<'a> {
    inner: Option<::csv::Writer<Box<dyn Write + 'a>>>,
    columns: Vec<String>,
    header_written: bool,
    record: Vec<String>,
}

impl<'a> CsvWriter<'a> {
    /// A CSV writer with these columns.
    pub fn new(columns: Vec<String>, out: Box<dyn Write + 'a>) -> Self {
        CsvWriter {
            inner: Some(Self::build(out)),
            columns,
            header_written: false,
            record: Vec::new(),
        }
    }

    fn build(out: Box<dyn Write + 'a>) -> ::csv::Writer<Box<dyn Write + 'a>> {
        ::csv::WriterBuilder::new().flexible(false).from_writer(out)
    }

    fn inner(&mut self) -> io::Result<&mut ::csv::Writer<Box<dyn Write + 'a>>> {
        self.inner
            .as_mut()
            .ok_or_else(|| io::Error::other("the CSV output failed earlier"))
    }

    fn header(&mut self) -> io::Result<()> {
        if !self.header_written {
            let columns = std::mem::take(&mut self.columns);
            let r = self.inner()?.write_record(&columns).map_err(csv_io);
            self.columns = columns;
            r?;
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
        let record = std::mem::take(&mut self.record);
        let r = self.inner()?.write_record(&record).map_err(csv_io);
        self.record = record;
        r
    }

    fn finish(&mut self) -> io::Result<()> {
        self.header()?;
        self.inner()?.flush()
    }

    fn write_rendered(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.header()?;
        let inner = self
            .inner
            .take()
            .ok_or_else(|| io::Error::other("the CSV output failed earlier"))?;
        let mut out = inner.into_inner().map_err(|e| e.into_error())?;
        out.write_all(bytes)?;
        self.inner = Some(Self::build(out));
        Ok(())
    }
}

/// CSV records (no header) of rows with `columns` fields each, quoted as [`CsvWriter`] does.
pub fn render(columns: usize, rows: &[Vec<Value>]) -> Vec<u8> {
    let mut w = ::csv::WriterBuilder::new()
        .flexible(false)
        .from_writer(Vec::with_capacity(rows.len() * 256));
    let mut scratch = String::new();
    for r in rows {
        for i in 0..columns {
            // writing into a Vec cannot fail
            let _ = match r.get(i) {
                Some(Value::Text(s)) => w.write_field(s.as_bytes()),
                Some(v) => {
                    scratch.clear();
                    v.push_text(&mut scratch);
                    w.write_field(scratch.as_bytes())
                }
                None => w.write_field(b""),
            };
        }
        let _ = w.write_record(std::iter::empty::<&[u8]>());
    }
    w.into_inner().unwrap_or_default()
}
