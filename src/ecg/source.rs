//! The one ECG front door: [`read`] takes an [`Input`] (a file, a zip member, stdin bytes),
//! detects the format from its content ([`super::detect`]), calls the reader and applies the
//! strict/lenient rule ([`super::accept`]). Every command reads its ECGs through it.
//!
//! A WFDB header's signal files are fetched from the header's own container
//! ([`Input::companion`]): its folder on disk, its zip archive's member folder; never the
//! current directory, never outside (`../x.dat` and absolute names are refused), never a device
//! or FIFO, and never more bytes than the header declares.

use std::path::Path;

use super::{Ecg, EcgError, Format, ReadOptions, accept, detect};
use crate::dicom::DicomFile;
use crate::dicom::read::{ReadOptions as DicomReadOptions, read_bytes};
use crate::input::{Data, Input};

/// An ECG read from an input, with what was read to get it (for callers that send the input
/// as it is: DICOM-ECG files are parsed once).
#[derive(Debug)]
pub struct Source<'a> {
    /// The detected format.
    pub format: Format,
    /// The ECG (accepted: whole, or partial with `accept_partial`).
    pub ecg: Ecg,
    /// The input's bytes.
    pub bytes: crate::input::Bytes<'a>,
    /// The parsed DICOM file, for DICOM-ECG inputs.
    pub dicom: Option<DicomFile>,
}

/// Read an ECG of any supported format from `input`, refusing a partial record unless
/// `options.accept_partial` (then its defects are also added to its warnings, prefixed
/// `partial record:`, and [`Ecg::defects`] marks it).
pub fn read(input: &Input, options: &ReadOptions) -> Result<Ecg, EcgError> {
    read_source(input, options).map(|s| s.ecg)
}

/// [`read`] for a file on disk (named by the user).
pub fn read_path(path: &Path, options: &ReadOptions) -> Result<Ecg, EcgError> {
    read(&Input::file(path), options)
}

/// [`read`], keeping the input's bytes and, for DICOM-ECG, the parsed file.
pub fn read_source<'a>(input: &'a Input, options: &ReadOptions) -> Result<Source<'a>, EcgError> {
    if let Some(header) = header_of_signal_file(input) {
        return Err(EcgError::malformed(
            Format::Wfdb,
            format!(
                "{} is a signal file of the WFDB record {header}: read the header",
                input.file_name()
            ),
        ));
    }
    let bytes = input
        .read()
        .map_err(|e| EcgError::Io(std::io::Error::other(e.reason)))?;
    let format =
        detect(Path::new(&input.file_name()), &bytes).ok_or_else(|| super::unrecognised(&bytes))?;
    let mut dicom = None;
    let ecg = match format {
        Format::ScpEcg => super::scp::read(&bytes)?,
        Format::Aecg => super::aecg::read(&bytes)?,
        Format::Wfdb => super::wfdb::read(&bytes, |name, max| {
            super::wfdb::fetch_companion(input, name, max)
        })?,
        Format::DicomEcg => {
            let file = read_bytes(&bytes, &DicomReadOptions::default())
                .map_err(|e| EcgError::malformed(Format::DicomEcg, e.to_string()))?;
            if let Some(e) = &file.error {
                return Err(EcgError::malformed(Format::DicomEcg, e.clone()));
            }
            let ecg = super::dicom::read(&file)?;
            dicom = Some(file);
            ecg
        }
    };
    let mut ecg = accept(ecg, options)?;
    let notes: Vec<String> = ecg
        .defects
        .iter()
        .map(|d| format!("partial record: {d}"))
        .collect();
    ecg.warnings.extend(notes);
    Ok(Source {
        format,
        ecg,
        bytes,
        dicom,
    })
}

/// When `input` is a WFDB signal file (`rec.dat`, `rec.mat`) beside its header (`rec.hea` in
/// the same folder or archive folder), the header's name: such a file is read through its
/// header, and walks skip it.
pub fn header_of_signal_file(input: &Input) -> Option<String> {
    if matches!(input.data, Data::Bytes(_)) {
        return None;
    }
    let name = input.file_name();
    let (stem, ext) = name.rsplit_once('.')?;
    if stem.is_empty() || !(ext.eq_ignore_ascii_case("dat") || ext.eq_ignore_ascii_case("mat")) {
        return None;
    }
    ["hea", "HEA"]
        .iter()
        .map(|e| format!("{stem}.{e}"))
        .find(|h| input.has_companion(h))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-signal WFDB record of `declared` samples whose `.dat` holds `stored`.
    fn record(dir: &Path, declared: usize, stored: usize) -> Input {
        // the checksum of the declared samples (WFDB: their sum, 16-bit)
        let sum = (0..declared).map(|i| (i % 50) as i64 * 10).sum::<i64>() as i16;
        std::fs::write(
            dir.join("r.hea"),
            format!("r 1 250 {declared}\nr.dat 16 200 12 0 0 {sum} 0 II\n"),
        )
        .unwrap();
        let dat: Vec<u8> = (0..stored)
            .flat_map(|i| ((i % 50) as i16 * 10).to_le_bytes())
            .collect();
        std::fs::write(dir.join("r.dat"), dat).unwrap();
        Input::file(dir.join("r.hea"))
    }

    #[test]
    fn a_partial_record_is_refused_unless_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let whole = record(dir.path(), 500, 500);
        let ecg = read(&whole, &ReadOptions::default()).unwrap();
        assert!(!ecg.is_partial());
        let short = record(dir.path(), 500, 300);
        let e = read(&short, &ReadOptions::default()).unwrap_err();
        assert!(matches!(e, EcgError::Partial { .. }), "{e}");
        assert!(e.to_string().contains("declares 500"), "{e}");
        let ecg = read(
            &short,
            &ReadOptions {
                accept_partial: true,
            },
        )
        .unwrap();
        assert!(ecg.is_partial());
        assert_eq!(ecg.rhythm.as_ref().unwrap().samples_per_lead(), 300);
        assert!(
            ecg.warnings
                .iter()
                .any(|w| w.starts_with("partial record:")),
            "{:?}",
            ecg.warnings
        );
    }

    #[test]
    fn signal_files_are_read_through_their_header() {
        let dir = tempfile::tempdir().unwrap();
        record(dir.path(), 10, 10);
        let dat = Input::file(dir.path().join("r.dat"));
        assert_eq!(header_of_signal_file(&dat).as_deref(), Some("r.hea"));
        let e = read(&dat, &ReadOptions::default()).unwrap_err();
        assert!(
            e.to_string()
                .contains("signal file of the WFDB record r.hea"),
            "{e}"
        );
        std::fs::write(dir.path().join("lone.dat"), [0u8; 40]).unwrap();
        assert!(header_of_signal_file(&Input::file(dir.path().join("lone.dat"))).is_none());
        assert!(header_of_signal_file(&Input::bytes("r.dat", vec![0; 40])).is_none());
    }

    #[test]
    fn dicom_ecg_is_parsed_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let whole = record(dir.path(), 500, 500);
        let ecg = read(&whole, &ReadOptions::default()).unwrap();
        let part10 = super::super::dicom::write(&ecg, &Default::default()).unwrap();
        let input = Input::bytes("x.dcm", part10);
        let source = read_source(&input, &ReadOptions::default()).unwrap();
        assert_eq!(source.format, Format::DicomEcg);
        assert!(source.dicom.is_some());
        assert!(source.bytes.is_borrowed());
    }

    #[test]
    fn signal_files_are_read_no_further_than_the_header_declares() {
        let mut asked = Vec::new();
        let header = b"r 2 250 1000\nr.dat 16+24 200 12 0 0 0 0 I\nr.dat 16+24 200 12 0 0 0 0 II\n";
        let _ = super::super::wfdb::read(header, |name, max| {
            asked.push((name.to_owned(), max));
            Ok(vec![0; 24 + 4000])
        })
        .unwrap();
        // 1000 frames x 2 signals x 2 bytes + the 24-byte offset + 4 KiB of slack
        assert_eq!(asked, [("r.dat".to_owned(), 4000 + 24 + 4096)]);
        // without a sample count: the limits (a lead's, or the total over 2 signals), 212 packing
        asked.clear();
        let header = b"r 2 250\nr.dat 212 200 12 0 0 0 0 I\nr.dat 212 200 12 0 0 0 0 II\n";
        let _ = super::super::wfdb::read(header, |name, max| {
            asked.push((name.to_owned(), max));
            Ok(vec![0; 30])
        });
        let frames =
            super::super::MAX_SAMPLES_PER_LEAD.min(super::super::MAX_SAMPLES_TOTAL / 2) as u64;
        assert_eq!(asked, [("r.dat".to_owned(), frames * 2 * 3 / 2 + 4096)]);
        // an unsupported format or a declared count beyond the limits asks for nothing
        asked.clear();
        let header = b"r 1 250 10\nr.dat 8 200 12 0 0 0 0 I\n";
        assert!(
            super::super::wfdb::read(header, |n, m| {
                asked.push((n.to_owned(), m));
                Ok(Vec::new())
            })
            .is_err()
        );
        let header = b"r 1 250 100000000000\nr.dat 16 200 12 0 0 0 0 I\n";
        let e = super::super::wfdb::read(header, |n, m| {
            asked.push((n.to_owned(), m));
            Ok(Vec::new())
        })
        .unwrap_err();
        assert!(matches!(e, EcgError::TooLarge { .. }), "{e}");
        assert!(asked.is_empty(), "{asked:?}");
    }
}
