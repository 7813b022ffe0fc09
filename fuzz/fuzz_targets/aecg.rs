//! Fuzz `dicomkit::ecg::aecg::read`: any bytes must give `Ok` or `Err`, never a panic; and
//! whatever it reads must convert (`ecg::dicom::write`) and pass or fail the round-trip check
//! (`verify_written`) without a panic, as `store-ecg` does with every file.
//! Seed the corpus with the real samples: `cp ../../shared/samples/hl7-aecg/* corpus/aecg/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

use dicomkit::ecg::dicom::{WriteOptions, verify_written, write};

fuzz_target!(|data: &[u8]| {
    if let Ok(ecg) = dicomkit::ecg::aecg::read(data) {
        let options = WriteOptions {
            study_uid: "1.2.3".into(),
            series_uid: "1.2.3.4".into(),
            sop_instance_uid: "1.2.3.4.5".into(),
            ..WriteOptions::default()
        };
        if let Ok(bytes) = write(&ecg, &options) {
            // A file the writer made always holds what it was given.
            assert!(verify_written(&ecg, &bytes).is_ok());
        }
    }
});
