//! Fuzz `dicomkit::ecg::aecg::read`: any bytes must give `Ok` or `Err`, never a panic; and
//! whatever the DICOM writer makes of what it reads (or refuses) must pass the round-trip
//! check, as in `store-ecg` (see `convert.rs`).
//! Seed the corpus with the real samples: `cp ../../shared/samples/hl7-aecg/* corpus/aecg/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod convert;

fuzz_target!(|data: &[u8]| {
    if let Ok(ecg) = dicomkit::ecg::aecg::read(data) {
        convert::convert_and_check(&ecg);
    }
});
