//! Fuzz the WFDB reader with a header and its signal file: the first two bytes give the header's
//! length (u16 LE), the header follows, the rest is the one signal file every name the header
//! gives resolves to. Any bytes must give `Ok` or `Err`, never a panic; a record accepted by
//! default holds exactly the samples per signal the header declares; and whatever the DICOM
//! writer makes of it passes the round-trip check (`convert.rs`).
//! Seed: `bash fuzz/seed.sh` (header + signal files of the real samples).
#![no_main]

use libfuzzer_sys::fuzz_target;

mod convert;
mod whole;

/// The samples per signal the record line declares (its fourth field), when it does.
fn declared(header: &str) -> Option<usize> {
    let line = header
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

fuzz_target!(|data: &[u8]| {
    let Some((len, rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let len = usize::from(u16::from_le_bytes(*len)).min(rest.len());
    let (header, signal) = rest.split_at(len);
    let fetch = |_name: &str, max: u64| -> Result<Vec<u8>, dicomkit::ecg::EcgError> {
        let max = usize::try_from(max).unwrap_or(usize::MAX);
        Ok(signal.get(..max.min(signal.len())).unwrap_or(signal).to_vec())
    };
    let Ok(ecg) = dicomkit::ecg::wfdb::read(header, fetch) else {
        return;
    };
    if let Ok(ecg) = dicomkit::ecg::accept(ecg.clone(), &Default::default()) {
        let text = String::from_utf8_lossy(header);
        let n: Vec<usize> = declared(&text).filter(|n| *n > 0).into_iter().collect();
        whole::assert_whole(&ecg, &n);
    }
    convert::convert_and_check(&ecg);
});
