//! The ECG model shared by `store-ecg`, `render`, `ecg-infer` and `interpret`, and the readers
//! and writer that fill it: SCP-ECG ([`scp`]), HL7 aECG ([`aecg`]), DICOM-ECG ([`dicom`]) and
//! WFDB ([`wfdb`]). The format is detected from the content ([`detect`]), not the extension.
//! [`read`] is the one front door every command reads an ECG through ([`source`]).
//!
//! Samples are in microvolts (f64), one [`Lead`] per channel, rhythm and median beat kept apart.

pub mod aecg;
pub mod dicom;
pub mod leads;
pub mod measure;
pub mod prepare;
pub mod qrs;
pub mod scp;
pub mod source;
pub mod wfdb;

pub use source::{Source, header_of_signal_file, read, read_path, read_source};

use std::fmt;
use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime};

/// The file formats an ECG can come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// SCP-ECG (EN 1064 / ISO 11073-91064).
    ScpEcg,
    /// HL7 v3 Annotated ECG (XML).
    Aecg,
    /// DICOM waveform (12-lead, General, Ambulatory ECG).
    DicomEcg,
    /// WFDB: a `.hea` header with `.dat` (format 16/212) or MATLAB v4 `.mat` signals.
    Wfdb,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::ScpEcg => "scp-ecg",
            Format::Aecg => "hl7-aecg",
            Format::DicomEcg => "dicom-ecg",
            Format::Wfdb => "wfdb",
        })
    }
}

/// Patient sex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    /// Male.
    Male,
    /// Female.
    Female,
    /// Other / unknown (as stated in the file).
    Other,
}

/// Patient demographics, as far as the file has them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Patient {
    /// Patient ID.
    pub id: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Given name(s).
    pub given_name: Option<String>,
    /// Birth date.
    pub birth_date: Option<NaiveDate>,
    /// Sex.
    pub sex: Option<Sex>,
    /// Age in years at acquisition, when stated (not derived).
    pub age_years: Option<f64>,
}

/// Acquiring device.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Device {
    /// Manufacturer.
    pub manufacturer: Option<String>,
    /// Model name.
    pub model: Option<String>,
    /// Serial number.
    pub serial: Option<String>,
    /// Software version.
    pub software: Option<String>,
}

/// Filter settings of the acquisition, in Hz.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Filters {
    /// High-pass (low frequency) cut-off.
    pub highpass_hz: Option<f64>,
    /// Low-pass (high frequency) cut-off.
    pub lowpass_hz: Option<f64>,
    /// Notch (mains) filter frequency.
    pub notch_hz: Option<f64>,
}

/// The cart's own measurements, as stated in the file (never computed here).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Measurements {
    /// Ventricular rate, beats per minute.
    pub heart_rate_bpm: Option<f64>,
    /// RR interval, ms.
    pub rr_ms: Option<f64>,
    /// PR interval, ms.
    pub pr_ms: Option<f64>,
    /// QRS duration, ms.
    pub qrs_ms: Option<f64>,
    /// QT interval, ms.
    pub qt_ms: Option<f64>,
    /// Corrected QT, ms.
    pub qtc_ms: Option<f64>,
    /// P axis, degrees.
    pub p_axis_deg: Option<f64>,
    /// QRS axis, degrees.
    pub qrs_axis_deg: Option<f64>,
    /// T axis, degrees.
    pub t_axis_deg: Option<f64>,
}

/// One lead (channel).
#[derive(Debug, Clone, PartialEq)]
pub struct Lead {
    /// Canonical name: `I`, `II`, `III`, `aVR`, `aVL`, `aVF`, `V1`…`V6`, or another name from
    /// [`leads::canonical_name`] (`V3R`, `X`, ...), or the file's own label when unknown.
    pub name: String,
    /// Samples in microvolts.
    pub samples_uv: Vec<f64>,
}

/// A multi-lead signal at one sampling rate (all leads the same length).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Waveform {
    /// Samples per second.
    pub sampling_rate_hz: f64,
    /// The leads, in the file's order.
    pub leads: Vec<Lead>,
}

impl Waveform {
    /// Samples per lead (the longest lead).
    pub fn samples_per_lead(&self) -> usize {
        self.leads
            .iter()
            .map(|l| l.samples_uv.len())
            .max()
            .unwrap_or(0)
    }

    /// Duration in seconds.
    pub fn duration_s(&self) -> f64 {
        if self.sampling_rate_hz > 0.0 {
            self.samples_per_lead() as f64 / self.sampling_rate_hz
        } else {
            0.0
        }
    }

    /// A lead by canonical name.
    pub fn lead(&self, name: &str) -> Option<&Lead> {
        self.leads.iter().find(|l| l.name == name)
    }
}

/// One ECG recording.
#[derive(Debug, Clone, PartialEq)]
pub struct Ecg {
    /// The format it was read from.
    pub format: Format,
    /// Patient demographics.
    pub patient: Patient,
    /// Acquisition date and time (local time of the cart).
    pub acquired: Option<NaiveDateTime>,
    /// Acquiring device.
    pub device: Device,
    /// Institution name.
    pub institution: Option<String>,
    /// Filter settings.
    pub filters: Filters,
    /// The rhythm (full-length) signal.
    pub rhythm: Option<Waveform>,
    /// The median / representative beat, when the file has one.
    pub median: Option<Waveform>,
    /// The cart's measurements.
    pub measurements: Measurements,
    /// The cart's interpretation statements, in order.
    pub statements: Vec<String>,
    /// What was read despite being odd (unusual values, quirks read unambiguously...). The
    /// record is still whole.
    pub warnings: Vec<String>,
    /// Why the record is not whole or not consistent: rhythm data missing or cut short, a
    /// declared length or CRC that disagrees with what is there. Readers note these and go on
    /// where they can; [`ReadOptions::accept_partial`] decides whether such a record is refused
    /// ([`EcgError::Partial`], the default) or used, marked partial.
    pub defects: Vec<String>,
}

impl Ecg {
    /// An empty ECG of a format (readers fill it in).
    pub fn new(format: Format) -> Ecg {
        Ecg {
            format,
            patient: Patient::default(),
            acquired: None,
            device: Device::default(),
            institution: None,
            filters: Filters::default(),
            rhythm: None,
            median: None,
            measurements: Measurements::default(),
            statements: Vec::new(),
            warnings: Vec::new(),
            defects: Vec::new(),
        }
    }

    /// The record is incomplete or inconsistent (it has [`Ecg::defects`]).
    pub fn is_partial(&self) -> bool {
        !self.defects.is_empty()
    }
}

/// How strictly an ECG is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReadOptions {
    /// Use a record that has [`Ecg::defects`] (cut short, CRC or length mismatch) instead of
    /// refusing it; its defects become warnings and the record is marked partial.
    pub accept_partial: bool,
}

/// The strict/lenient rule, applied once after a reader: a record with [`Ecg::defects`] is
/// refused ([`EcgError::Partial`]) unless `options.accept_partial`, in which case it is kept
/// with `defects` in place (so that outputs can mark it partial).
///
/// A waveform longer than [`MAX_DURATION_S`] at its own rate is refused first, whatever the
/// options ([`EcgError::TooLarge`]).
pub fn accept(ecg: Ecg, options: &ReadOptions) -> Result<Ecg, EcgError> {
    for (label, w) in [("rhythm", &ecg.rhythm), ("median beat", &ecg.median)] {
        let Some(w) = w else { continue };
        let seconds = w.duration_s();
        if seconds > MAX_DURATION_S {
            return Err(EcgError::TooLarge {
                format: ecg.format,
                reason: format!(
                    "a {label} of {:.1} h ({} samples per lead at {} Hz; at most 24 h)",
                    seconds / 3600.0,
                    w.samples_per_lead(),
                    w.sampling_rate_hz
                ),
            });
        }
    }
    if ecg.defects.is_empty() || options.accept_partial {
        return Ok(ecg);
    }
    Err(EcgError::Partial {
        format: ecg.format,
        reasons: ecg.defects.join("; "),
    })
}

/// Longest waveform accepted, in seconds at its own rate: 24 hours (a day-long Holter). Longer
/// recordings (multi-day patches) are refused by [`accept`]; split them first.
pub const MAX_DURATION_S: f64 = 86_400.0;

/// Most samples one lead may hold: 24 hours at 1 kHz (a day-long Holter at the highest rate the
/// DICOM ECG IODs allow). Longer leads are refused before they are allocated.
pub const MAX_SAMPLES_PER_LEAD: usize = 86_400_000;
/// Most samples one record may hold over all its leads and both waveforms (2^28: 2 GiB as the
/// f64 model, 512 MiB as 16-bit DICOM Waveform Data, under the 4 GiB a DICOM element can hold;
/// a 12-lead 24 h Holter at 250 Hz is 259 M).
pub const MAX_SAMPLES_TOTAL: usize = 1 << 28;

/// Refuse a lead of `per_lead` samples or a record of `total` samples beyond the limits
/// ([`MAX_SAMPLES_PER_LEAD`], [`MAX_SAMPLES_TOTAL`]): call before allocating them.
pub fn check_sample_counts(format: Format, per_lead: u64, total: u64) -> Result<(), EcgError> {
    if per_lead > MAX_SAMPLES_PER_LEAD as u64 {
        return Err(EcgError::TooLarge {
            format,
            reason: format!(
                "a lead of {per_lead} samples (at most {MAX_SAMPLES_PER_LEAD}, 24 h at 1 kHz)"
            ),
        });
    }
    if total > MAX_SAMPLES_TOTAL as u64 {
        return Err(EcgError::TooLarge {
            format,
            reason: format!("{total} samples in all (at most {MAX_SAMPLES_TOTAL})"),
        });
    }
    Ok(())
}

/// Why an ECG could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EcgError {
    /// The file could not be read.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Not an ECG in any supported format.
    #[error("not an ECG in a supported format (SCP-ECG, HL7 aECG, DICOM-ECG, WFDB)")]
    UnknownFormat,
    /// An XML document that is no HL7 aECG (a GE MUSE RestingECG export, ...).
    #[error(
        "not a recognised ECG format: an XML document that is not HL7 aECG (supported: SCP-ECG, HL7 aECG, DICOM-ECG, WFDB)"
    )]
    UnknownXml,
    /// The file is in a supported format but broken.
    #[error("bad {format} file: {reason}")]
    Malformed {
        /// The format.
        format: Format,
        /// What is wrong.
        reason: String,
    },
    /// The record is incomplete or inconsistent ([`Ecg::defects`]) and partial records were
    /// not accepted.
    #[error("incomplete {format} record: {reasons} (--accept-partial reads what is there)")]
    Partial {
        /// The format.
        format: Format,
        /// The defects, joined with "; ".
        reasons: String,
    },
    /// The record is larger than the documented limits.
    #[error("{format} record too large: {reason}")]
    TooLarge {
        /// The format.
        format: Format,
        /// What is too large.
        reason: String,
    },
    /// The ECG was read but cannot be written as DICOM.
    #[error("cannot write it as a DICOM ECG: {0}")]
    Unwritable(String),
}

impl EcgError {
    /// A malformed-file error.
    pub fn malformed(format: Format, reason: impl Into<String>) -> EcgError {
        EcgError::Malformed {
            format,
            reason: reason.into(),
        }
    }
}

/// Recognise the format from the first bytes (and, for WFDB, the name of a `.hea` file).
pub fn detect(path: &Path, head: &[u8]) -> Option<Format> {
    if head.len() >= 132 && head.get(128..132) == Some(b"DICM".as_slice()) {
        return Some(Format::DicomEcg);
    }
    // a byte search: decoding 4 KiB of binary SCP-ECG as text cost ~30 µs per file
    let window = head.get(..head.len().min(4096)).unwrap_or(head);
    if window.windows(12).any(|w| w == b"AnnotatedECG") {
        return Some(Format::Aecg);
    }
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("hea"))
    {
        return Some(Format::Wfdb);
    }
    // SCP-ECG: CRC (2), file length (4), then section 0 whose header names "SCPECG" at byte 16
    // (section id 0 at bytes 8-9).
    if head.len() >= 22 && head.get(8..10) == Some([0u8, 0].as_slice()) {
        return Some(Format::ScpEcg);
    }
    None
}

/// Why bytes that [`detect`] did not recognise are no ECG: [`EcgError::UnknownXml`] for an XML
/// document (first non-blank byte `<`: a GE MUSE export, ...), else [`EcgError::UnknownFormat`].
pub fn unrecognised(head: &[u8]) -> EcgError {
    if head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<') {
        EcgError::UnknownXml
    } else {
        EcgError::UnknownFormat
    }
}

/// Derive the missing limb leads from I and II (Einthoven and Goldberger): III = II − I,
/// aVR = −(I + II)/2, aVL = I − II/2, aVF = II − I/2, in rhythm and median beat. Only leads that
/// are missing are added, each with a warning saying so. Never done unless asked for.
pub fn derive_limb_leads(ecg: &mut Ecg) {
    let mut notes = Vec::new();
    for (label, w) in [
        ("rhythm", ecg.rhythm.as_mut()),
        ("median beat", ecg.median.as_mut()),
    ] {
        let Some(w) = w else { continue };
        let (Some(i), Some(ii)) = (
            w.lead("I").map(|l| l.samples_uv.clone()),
            w.lead("II").map(|l| l.samples_uv.clone()),
        ) else {
            continue;
        };
        type Derive = fn(f64, f64) -> f64;
        let derived: [(&str, Derive); 4] = [
            ("III", |i, ii| ii - i),
            ("aVR", |i, ii| -(i + ii) / 2.0),
            ("aVL", |i, ii| i - ii / 2.0),
            ("aVF", |i, ii| ii - i / 2.0),
        ];
        for (name, f) in derived {
            if w.lead(name).is_none() {
                let samples = i.iter().zip(&ii).map(|(a, b)| f(*a, *b)).collect();
                w.leads.push(Lead {
                    name: name.to_owned(),
                    samples_uv: samples,
                });
                notes.push(format!("lead {name} of the {label} derived from I and II"));
            }
        }
    }
    ecg.warnings.extend(notes);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_rhythm(rate: f64, samples: usize) -> Ecg {
        let mut ecg = Ecg::new(Format::Aecg);
        ecg.rhythm = Some(Waveform {
            sampling_rate_hz: rate,
            leads: vec![Lead {
                name: "I".into(),
                samples_uv: vec![0.0; samples],
            }],
        });
        ecg
    }

    #[test]
    fn a_rhythm_longer_than_a_day_is_refused_whatever_the_options() {
        // 24 h at 1 Hz is accepted, one sample more is not, even with --accept-partial.
        assert!(accept(with_rhythm(1.0, 86_400), &ReadOptions::default()).is_ok());
        let lenient = ReadOptions {
            accept_partial: true,
        };
        let e = accept(with_rhythm(1.0, 86_401), &lenient).unwrap_err();
        assert!(matches!(e, EcgError::TooLarge { .. }), "{e}");
        assert!(e.to_string().contains("at most 24 h"), "{e}");
    }

    #[test]
    fn partial_records_are_refused_unless_accepted() {
        let mut ecg = with_rhythm(500.0, 5000);
        ecg.defects.push("Section 6 cut off".into());
        let e = accept(ecg.clone(), &ReadOptions::default()).unwrap_err();
        assert!(matches!(e, EcgError::Partial { .. }), "{e}");
        assert!(e.to_string().contains("Section 6 cut off"), "{e}");
        let lenient = ReadOptions {
            accept_partial: true,
        };
        assert!(accept(ecg, &lenient).unwrap().is_partial());
    }
}
