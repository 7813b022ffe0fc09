//! Unit tests of the WFDB reader.

use super::*;

#[test]
fn format_212_packs_two_samples_in_three_bytes() {
    // 0x123 and -1 (0xFFF): b0 = 0x23, b1 = (0xF << 4) | 0x1, b2 = 0xFF.
    assert_eq!(
        decode(&[0x23, 0xF1, 0xFF, 0x00, 0x08], 212),
        Some(vec![291.0, -1.0, -2048.0])
    );
    assert_eq!(
        decode(&[0x00, 0x80, 0xFF, 0x7F], 16),
        Some(vec![-32768.0, 32767.0])
    );
    assert_eq!(decode(&[0x00, 0x80], 80), Some(vec![-128.0, 0.0]));
    assert_eq!(decode(&[0xFF, 0xFF, 0xFF], 24), Some(vec![-1.0]));
    assert!(decode(&[1, 2], 8).is_none());
    // The bytes those samples take: what `decode` reads back.
    assert_eq!(dat_bytes(212, 3), Some(5));
    assert_eq!(dat_bytes(212, 2), Some(3));
    assert_eq!(dat_bytes(24, 2), Some(6));
    assert_eq!(dat_bytes(8, 2), None);
}

#[test]
fn header_fields() {
    let h = parse_header("r1 2 360 10 12:30:05 02/03/2001\nr1.dat 212 200(1024)/mV 11 1024 995 -22131 0 MLII\nr1.dat 212+0 0 11 0 0 0 0 V 5\n# 69 M\n")
        .expect("header");
    assert_eq!((h.fs, h.nsamp), (360.0, Some(10)));
    assert_eq!(h.signals[0].baseline, 1024);
    assert_eq!(h.signals[1].description, "V 5");
    assert_eq!(
        h.base_date
            .and_then(|d| h.base_time.map(|t| d.and_time(t).to_string()))
            .as_deref(),
        Some("2001-03-02 12:30:05")
    );
    assert!(parse_header("r/2 2 360").is_err());
    assert!(parse_header("r 2 360\nr.dat 16").is_err());
    assert!(parse_header("").is_err());
}

/// Without a sample count in the header, the frames the signal file holds × the record's
/// signals are checked against the limits before decoding: 70,000 frames (140 KB of
/// format 16 for this file's one signal) of a 4,096-signal record are 286.7 M samples.
#[test]
fn frames_without_a_declared_count_are_limited() {
    let sig = parse_signal("r.dat 16 200 16 0 0 0 0 I").expect("signal line");
    let data = vec![0u8; 140_000];
    let shape = |signals| Shape {
        width: 1,
        signals,
        nsamp: None,
    };
    match signal_values(&data, "r.dat", &sig, shape(4096)) {
        Err(EcgError::TooLarge { reason, .. }) => {
            assert!(reason.contains("286720000 samples in all"), "{reason}")
        }
        Err(e) => panic!("expected TooLarge, got {e}"),
        Ok(_) => panic!("decoded"),
    }
    let (values, _) = signal_values(&data, "r.dat", &sig, shape(12)).expect("within");
    assert_eq!(values.len(), 70_000);
}

#[test]
fn mat_v4_both_orientations() {
    // int16 (type 30), 2x3 column-major: frames (1,2) (3,4) (5,6).
    let mut m = Vec::new();
    for v in [30i32, 2, 3, 0, 2] {
        m.extend_from_slice(&v.to_le_bytes());
    }
    m.extend_from_slice(b"v\0");
    for v in [1i16, 2, 3, 4, 5, 6] {
        m.extend_from_slice(&v.to_le_bytes());
    }
    assert_eq!(
        read_mat(&m, "x.mat", 2, None, &mut Notes::default()).ok(),
        Some(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    );
    // Seen as 3 signals x 2 samples it is samples x signals transposed.
    assert_eq!(
        read_mat(&m, "x.mat", 3, None, &mut Notes::default()).ok(),
        Some(vec![1.0, 3.0, 5.0, 2.0, 4.0, 6.0])
    );
    assert!(read_mat(&m, "x.mat", 4, None, &mut Notes::default()).is_err());
    // Cut after two of the three columns: those two frames, and a defect.
    let mut notes = Notes::default();
    assert_eq!(
        read_mat(
            m.get(..30).unwrap_or_default(),
            "x.mat",
            2,
            None,
            &mut notes
        )
        .ok(),
        Some(vec![1.0, 2.0, 3.0, 4.0])
    );
    assert_eq!(notes.defects.len(), 1, "{:?}", notes.defects);
    // At most the declared frames are decoded.
    assert_eq!(
        read_mat(&m, "x.mat", 2, Some(1), &mut Notes::default()).ok(),
        Some(vec![1.0, 2.0])
    );
    assert!(
        read_mat(
            m.get(..25).unwrap_or_default(),
            "x.mat",
            2,
            None,
            &mut Notes::default()
        )
        .is_err()
    );
}
