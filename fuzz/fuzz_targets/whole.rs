//! Shared by the fuzz targets: what a record accepted by default must hold.

use dicomkit::ecg::Ecg;

/// A record accepted by default (no `--accept-partial`) is whole: it has a rhythm, no defects,
/// and every rhythm lead holds the same number of samples, more than zero. With `declared`
/// (the count the file declares, read by the target independently of the reader), that count
/// is one of the allowed ones.
pub fn assert_whole(ecg: &Ecg, declared: &[usize]) {
    assert!(ecg.defects.is_empty(), "accepted with defects: {:?}", ecg.defects);
    let rhythm = ecg.rhythm.as_ref().expect("accepted without a rhythm");
    let n = rhythm.samples_per_lead();
    assert!(n > 0, "accepted with an empty rhythm");
    for lead in &rhythm.leads {
        assert_eq!(lead.samples_uv.len(), n, "lead {} is short", lead.name);
    }
    if !declared.is_empty() {
        assert!(
            declared.contains(&n),
            "accepted with {n} samples per lead, the file declares {declared:?}"
        );
    }
}
