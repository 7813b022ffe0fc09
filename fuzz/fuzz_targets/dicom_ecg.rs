//! Fuzz the DICOM-ECG reader: any bytes must give `Ok` or `Err`, never a panic; a record
//! accepted by default holds, in every rhythm lead, one of the Number of Waveform Samples
//! (003A,0010) its Waveform Sequence declares; and whatever the DICOM writer makes of it passes
//! the round-trip check (`convert.rs`).
//! Seed: `bash fuzz/seed.sh` (the DICOM-ECG samples).
#![no_main]

use dicomkit::dicom::read::{ReadOptions, read_bytes};
use dicomkit::dicom::value::Value;
use dicomkit::dicom::{DicomFile, Tag};
use libfuzzer_sys::fuzz_target;

mod convert;
mod whole;

/// Number of Waveform Samples of each item of the Waveform Sequence.
fn declared(file: &DicomFile) -> Vec<usize> {
    let Some(Value::Sequence(items)) = file.find(Tag(0x5400, 0x0100)).map(|e| &e.value) else {
        return Vec::new();
    };
    items
        .iter()
        .flat_map(|item| item.elements.iter())
        .filter(|e| e.tag == Tag(0x003A, 0x0010))
        .filter_map(|e| match &e.value {
            Value::UInts(v) => v.first().and_then(|n| usize::try_from(*n).ok()),
            _ => None,
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok(file) = read_bytes(data, &ReadOptions::default()) else {
        return;
    };
    if file.error.is_some() {
        return;
    }
    let Ok(ecg) = dicomkit::ecg::dicom::read(&file) else {
        return;
    };
    if let Ok(ecg) = dicomkit::ecg::accept(ecg.clone(), &Default::default()) {
        let n = declared(&file);
        assert!(!n.is_empty(), "accepted without a declared sample count");
        whole::assert_whole(&ecg, &n);
    }
    convert::convert_and_check(&ecg);
});
