//! Fuzz target: `dicomkit::ecg::scp::read` must never panic, whatever the bytes; a record
//! accepted by default holds in every rhythm lead the samples Section 3 declares (end − start + 1,
//! or end − start for the 0-based ranges some devices write); and whatever the DICOM writer
//! makes of what it reads (or refuses) must pass the round-trip check, as in `store-ecg` (see
//! `convert.rs`).
//! Seed: `bash fuzz/seed.sh` (the real SCP-ECG samples).
#![no_main]

use libfuzzer_sys::fuzz_target;

mod convert;
mod whole;

fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(i..i + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?))
}

/// The samples per rhythm lead Section 3 declares, read from Section 0's pointer to it:
/// the longest lead's end − start + 1, and that minus one (the 0-based reading).
fn declared(b: &[u8]) -> Vec<usize> {
    const S0: usize = 6;
    let Some(len0) = u32_at(b, S0 + 4) else {
        return Vec::new();
    };
    let mut at = S0 + 16;
    while at + 10 <= S0 + len0 as usize {
        let (Some(id), Some(index)) = (u16_at(b, at), u32_at(b, at + 6)) else {
            break;
        };
        if id == 3 && index > 0 {
            let body = index as usize - 1 + 16;
            let Some(&n) = b.get(body) else { break };
            let longest = (0..usize::from(n))
                .filter_map(|k| {
                    let p = body + 2 + 9 * k;
                    let (s, e) = (u32_at(b, p)?, u32_at(b, p + 4)?);
                    (e >= s).then(|| (e - s) as usize + 1)
                })
                .max();
            return longest.map(|d| vec![d, d - 1]).unwrap_or_default();
        }
        at += 10;
    }
    Vec::new()
}

fuzz_target!(|data: &[u8]| {
    if let Ok(ecg) = dicomkit::ecg::scp::read(data) {
        if let Ok(ecg) = dicomkit::ecg::accept(ecg.clone(), &Default::default()) {
            whole::assert_whole(&ecg, &declared(data));
        }
        convert::convert_and_check(&ecg);
    }
});
