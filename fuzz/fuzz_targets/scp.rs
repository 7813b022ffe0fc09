//! Fuzz target: `dicomkit::ecg::scp::read` must never panic, whatever the bytes.
//! Seed the corpus with the real samples: `cp ../../shared/samples/scp-ecg/* corpus/scp/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(ecg) = dicomkit::ecg::scp::read(data) {
        // Touch the result so nothing is optimised away.
        let n: usize = ecg
            .rhythm
            .iter()
            .chain(ecg.median.iter())
            .map(|w| w.leads.len())
            .sum();
        std::hint::black_box(n);
    }
});
