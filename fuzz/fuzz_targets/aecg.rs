//! Fuzz `dicomkit::ecg::aecg::read`: any bytes must give `Ok` or `Err`, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(ecg) = dicomkit::ecg::aecg::read(data) {
        // Touch the result so nothing is optimised away.
        let n: usize = ecg
            .rhythm
            .iter()
            .chain(ecg.median.iter())
            .map(|w| w.samples_per_lead())
            .sum();
        std::hint::black_box(n);
    }
});
