//! Shared by the fuzz targets: what `store-ecg` does with an ECG once read.

use dicomkit::ecg::Ecg;
use dicomkit::ecg::dicom::{WriteOptions, verify_written, write};

/// Converts `ecg` to DICOM as `store-ecg` does; a file the writer made must pass the
/// round-trip check (it always holds what it was given). Refusals are fine, panics are not.
pub fn convert_and_check(ecg: &Ecg) {
    let options = WriteOptions {
        study_uid: "1.2.3".into(),
        series_uid: "1.2.3.4".into(),
        sop_instance_uid: "1.2.3.4.5".into(),
        ..WriteOptions::default()
    };
    if let Ok(bytes) = write(ecg, &options) {
        assert!(verify_written(ecg, &bytes).is_ok());
    }
}
