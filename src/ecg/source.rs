//! The one ECG front door: [`read`] takes an [`Input`] (a file, a zip member, stdin bytes),
//! detects the format from its content ([`super::detect`]), calls the reader and applies the
//! strict/lenient rule ([`super::accept`]). Every command reads its ECGs through it.
//!
//! A WFDB header's signal files are fetched from the header's own container
//! ([`Input::companion`]): its folder on disk, its zip archive's member folder; never the
//! current directory, never outside (`../x.dat` and absolute names are refused), never a device
//! or FIFO, and never more bytes than the header declares.

use std::borrow::Cow;
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
    pub bytes: Cow<'a, [u8]>,
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
    let format = detect(Path::new(&input.file_name()), &bytes).ok_or(EcgError::UnknownFormat)?;
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
