//! Fuzz `dicomkit::ecg::aecg::read`: any bytes must give `Ok` or `Err`, never a panic; a record
//! accepted by default is whole (a rhythm, every lead the same length); and whatever the DICOM
//! writer makes of what it reads (or refuses) must pass the round-trip check, as in `store-ecg`
//! (see `convert.rs`).
//! Seed: `bash fuzz/seed.sh` (the real aECG samples).
#![no_main]

use libfuzzer_sys::fuzz_target;

mod convert;
mod whole;

fuzz_target!(|data: &[u8]| {
    if let Ok(ecg) = dicomkit::ecg::aecg::read(data) {
        if let Ok(ecg) = dicomkit::ecg::accept(ecg.clone(), &Default::default()) {
            whole::assert_whole(&ecg, &[]);
        }
        convert::convert_and_check(&ecg);
    }
});
