//! A streaming writer of a 2-D float32 NumPy `.npy` file (format version 1.0, little-endian,
//! C order), one row at a time, in constant memory.
//!
//! The row count is not known until the end, so the header is written with room for the
//! largest count and rewritten by [`NpyWriter::finish`] (the header stays the same length: it is
//! padded with spaces, as the format allows). Hand-written because the `ndarray-npy` crate writes
//! whole arrays only; a batch of 100,000 embeddings should not have to sit in memory.
//!
//! ```
//! use dicomkit::infer::npy::NpyWriter;
//! let dir = std::env::temp_dir().join(format!("npy-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("e.npy");
//! let mut w = NpyWriter::create(&path, 3).unwrap();
//! w.row(&[1.0, 2.0, 3.0]).unwrap();
//! w.row(&[4.0, 5.0, 6.0]).unwrap();
//! assert_eq!(w.finish().unwrap(), 2);
//! let bytes = std::fs::read(&path).unwrap();
//! assert_eq!(&bytes[..6], b"\x93NUMPY");
//! assert_eq!(bytes.len(), 128 + 6 * 4);
//! std::fs::remove_dir_all(&dir).unwrap();
//! ```

use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The header length (magic + version + length field + dictionary), a multiple of 64.
const HEADER_LEN: usize = 128;

/// Writes rows of `width` float32 values.
#[derive(Debug)]
pub struct NpyWriter {
    out: BufWriter<File>,
    path: PathBuf,
    width: usize,
    rows: u64,
}

fn header(rows: u64, width: usize) -> io::Result<Vec<u8>> {
    let dict = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {width}), }}");
    let room = HEADER_LEN - 10;
    if dict.len() + 1 > room {
        return Err(io::Error::other("npy header too long"));
    }
    let mut h = Vec::with_capacity(HEADER_LEN);
    h.extend_from_slice(b"\x93NUMPY\x01\x00");
    h.extend_from_slice(&(room as u16).to_le_bytes());
    h.extend_from_slice(dict.as_bytes());
    h.resize(HEADER_LEN - 1, b' ');
    h.push(b'\n');
    Ok(h)
}

impl NpyWriter {
    /// Create (truncate) `path` for rows of `width` values.
    pub fn create(path: &Path, width: usize) -> io::Result<NpyWriter> {
        let mut out = BufWriter::new(File::create(path)?);
        out.write_all(&header(0, width)?)?;
        Ok(NpyWriter {
            out,
            path: path.to_path_buf(),
            width,
            rows: 0,
        })
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The row width.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Rows written so far (the next row's index).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Append one row; its length must be the width.
    pub fn row(&mut self, values: &[f32]) -> io::Result<()> {
        if values.len() != self.width {
            return Err(io::Error::other(format!(
                "a row of {} values in an array {} wide",
                values.len(),
                self.width
            )));
        }
        let mut bytes = Vec::with_capacity(values.len() * 4);
        for v in values {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        self.out.write_all(&bytes)?;
        self.rows += 1;
        Ok(())
    }

    /// Write the final row count into the header and flush; returns the row count.
    pub fn finish(mut self) -> io::Result<u64> {
        self.out.flush()?;
        let mut file = self.out.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&header(self.rows, self.width)?)?;
        file.sync_data()?;
        Ok(self.rows)
    }
}
