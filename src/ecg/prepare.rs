//! Turning any readable ECG file into the DICOM instance to send: DICOM-ECG files as they are
//! (unless re-encoding is asked for), everything else converted by the DICOM-ECG writer and
//! checked by re-reading it (round trip).

use super::{EcgError, Format, ReadOptions, read_source};
use crate::dicom::read::dataset_offset;
use crate::dicom::{TRANSFER_SYNTAX_UID, Tag};
use crate::input::Input;

/// How to prepare.
#[derive(Debug, Clone, Default)]
pub struct PrepareOptions {
    /// Convert DICOM-ECG files again instead of sending them as they are.
    pub reencode: bool,
    /// Replace the patient ID (forces re-encoding of DICOM-ECG files).
    pub patient_id: Option<String>,
    /// The Mortara-compatible variant.
    pub mortara_compat: bool,
    /// Derive missing limb leads (III, aVR, aVL, aVF) from I and II.
    pub derive_leads: bool,
    /// How strictly the input is read (partial records refused unless accepted; an accepted
    /// one is always converted, so that the written file says it is partial).
    pub read: ReadOptions,
}

/// A DICOM instance ready to C-STORE.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The input's format.
    pub format: Format,
    /// SOP Class UID.
    pub sop_class: String,
    /// SOP Instance UID.
    pub sop_instance: String,
    /// Transfer syntax of `part10`'s data set.
    pub transfer_syntax: String,
    /// The whole Part 10 file.
    pub part10: Vec<u8>,
    /// Where the data set starts in `part10`.
    pub dataset_start: usize,
    /// Warnings of the reader (an accepted partial record's defects among them, and the notes
    /// below).
    pub warnings: Vec<String>,
    /// What the object sent leaves out of the input on purpose (the rhythm cut to 10 s by the
    /// Mortara-compatible variant); each is also in `warnings`.
    pub notes: Vec<String>,
    /// Why the record is partial ([`super::Ecg::defects`]); empty for a whole record.
    pub defects: Vec<String>,
}

impl Prepared {
    /// The data set bytes (what C-STORE sends).
    pub fn dataset(&self) -> &[u8] {
        self.part10.get(self.dataset_start..).unwrap_or_default()
    }
}

/// Read an ECG file on disk through the front door with the default (strict) options: a thin
/// wrapper of [`super::read_path`] kept for tests and examples.
pub fn read_path(path: &std::path::Path) -> Result<super::Ecg, EcgError> {
    super::read_path(path, &ReadOptions::default())
}

/// Read `input` (through the front door, [`super::read_source`]) and produce the DICOM
/// instance to send. A DICOM-ECG input is parsed once: sent as it is when nothing asks to change
/// it, else converted like the other formats.
pub fn prepare(input: &Input, options: &PrepareOptions) -> Result<Prepared, EcgError> {
    let source = read_source(input, &options.read)?;
    let format = source.format;
    let mut ecg = source.ecg;
    if let Some(file) = &source.dicom
        && !options.reencode
        && options.patient_id.is_none()
        && !options.derive_leads
        && !options.mortara_compat
        && !ecg.is_partial()
    {
        let text = |tag: Tag| {
            file.find(tag)
                .map(|e| e.value.to_text())
                .filter(|s| !s.is_empty())
        };
        let sop_class = text(Tag(0x0002, 0x0002)).or_else(|| text(Tag(0x0008, 0x0016)));
        let sop_instance = text(Tag(0x0002, 0x0003)).or_else(|| text(Tag(0x0008, 0x0018)));
        let ts = text(TRANSFER_SYNTAX_UID);
        let start = dataset_offset(&source.bytes);
        if let (Some(sop_class), Some(sop_instance), Some(ts), Some(start)) =
            (sop_class, sop_instance, ts, start)
        {
            return Ok(Prepared {
                format,
                sop_class,
                sop_instance,
                transfer_syntax: ts,
                part10: source.bytes.into_owned(),
                dataset_start: start,
                warnings: ecg.warnings,
                notes: Vec::new(),
                defects: ecg.defects,
            });
        }
        // Without file meta it cannot be sent as it is: convert it.
    }
    if let Some(id) = &options.patient_id {
        ecg.patient.id = Some(id.clone());
    }
    if options.derive_leads {
        super::derive_limb_leads(&mut ecg);
    }
    // The UIDs come from the input's bytes and from every option that changes the object
    // written: the same file written two ways is two objects. The study is the patient's
    // (another patient ID, another study); the series and instance depend on the rest too.
    // Without such options the UIDs are those of the bytes alone, as they always were.
    let mut key = super::dicom::ContentKey::new(&source.bytes);
    if let Some(id) = &options.patient_id {
        key = key.with("patient_id", id.as_bytes());
    }
    let study_uid = key.uid("study");
    if options.mortara_compat {
        key = key.with("mortara_compat", b"");
    }
    if options.derive_leads {
        key = key.with("derive_leads", b"");
    }
    let notes = if options.mortara_compat {
        super::dicom::mortara_cuts(&ecg)
    } else {
        Vec::new()
    };
    ecg.warnings.extend(notes.iter().cloned());
    let write_options = super::dicom::WriteOptions {
        sop_class: None,
        mortara_compat: options.mortara_compat,
        study_uid,
        series_uid: key.uid("series"),
        sop_instance_uid: key.uid("instance"),
        patient_id_override: options.patient_id.clone(),
    };
    let part10 = super::dicom::write(&ecg, &write_options)?;
    // The round trip: the written file read back and compared sample by sample; its
    // identifiers are taken from what was read.
    let written = super::dicom::verify_written(&ecg, &part10)?;
    Ok(Prepared {
        format,
        sop_class: written.sop_class,
        sop_instance: written.sop_instance,
        transfer_syntax: written.transfer_syntax,
        part10,
        dataset_start: written.dataset_start,
        warnings: ecg.warnings,
        notes,
        defects: ecg.defects,
    })
}
