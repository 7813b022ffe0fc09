//! SCP-ECG reader against the real samples: Example.scp (C# ECG Toolkit, same ECG as
//! hl7-aecg/Example.xml and dicom-ecg/Example.dcm) checked against the independent readers
//! ecgdatakit 2.0.3 and pydicom; 62.SCP (non-conformant Healforce); truncated and mutated copies.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use dicomkit::ecg::scp::read;
use dicomkit::ecg::{EcgError, Format, Sex, Waveform};

fn example() -> Vec<u8> {
    std::fs::read(common::sample("scp-ecg/Example.scp")).unwrap()
}

/// Runs a Python snippet in the project venv and parses its JSON output.
fn python_json(script: &str, arg: &std::path::Path) -> serde_json::Value {
    let out = common::python()
        .arg("-c")
        .arg(script)
        .arg(arg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Lead name → samples (µV) from a JSON object of arrays, in the order given.
fn leads(v: &serde_json::Value) -> Vec<(String, Vec<f64>)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|pair| {
            let name = pair[0].as_str().unwrap().to_owned();
            let samples = pair[1]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            (name, samples)
        })
        .collect()
}

/// Largest absolute difference; panics when lengths differ.
fn max_diff(a: &[f64], b: &[f64], what: &str) -> f64 {
    assert_eq!(a.len(), b.len(), "{what}: sample count");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn example_scp_header_and_layout() {
    let ecg = read(&example()).unwrap();
    assert_eq!(ecg.format, Format::ScpEcg);
    assert!(ecg.warnings.is_empty(), "{:?}", ecg.warnings);
    assert_eq!(ecg.patient.id.as_deref(), Some("SBJ-123"));
    assert_eq!(ecg.patient.family_name.as_deref(), Some("Clark"));
    assert_eq!(ecg.patient.sex, Some(Sex::Male));
    assert_eq!(ecg.patient.birth_date.unwrap().to_string(), "1953-05-08");
    assert_eq!(ecg.acquired.unwrap().to_string(), "2002-11-22 09:10:00");
    assert_eq!(ecg.device.model.as_deref(), Some("ELI250"));

    let rhythm = ecg.rhythm.as_ref().unwrap();
    let names: Vec<&str> = rhythm.leads.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "I", "II", "V1", "V2", "V3", "V4", "V5", "V6", "III", "aVR", "aVL", "aVF"
        ]
    );
    assert_eq!(rhythm.sampling_rate_hz, 500.0);
    assert!(rhythm.leads.iter().all(|l| l.samples_uv.len() == 5000));

    // Section 4 gives a 1198 ms reference beat = 599 samples at 500 Hz. (Example.dcm's MEDIAN
    // BEAT group has 600 samples, but its 600th is the padding value -32768: no data.)
    let median = ecg.median.as_ref().unwrap();
    let names: Vec<&str> = median.leads.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "I", "II", "V1", "V2", "V3", "V4", "V5", "V6", "III", "aVR", "aVL", "aVF"
        ]
    );
    assert_eq!(median.sampling_rate_hz, 500.0);
    assert!(median.leads.iter().all(|l| l.samples_uv.len() == 599));

    // Section 7: RR 29999 (not given) → no rate; P 286–388, QRS 434–554, T off 854 ms →
    // PR 148, QRS 120, QT 420 (as Example.dcm states them); QTc 443; axes 44 / -61 / 86.
    let m = ecg.measurements;
    assert_eq!(m.rr_ms, None);
    assert_eq!(m.heart_rate_bpm, None);
    assert_eq!(m.pr_ms, Some(148.0));
    assert_eq!(m.qrs_ms, Some(120.0));
    assert_eq!(m.qt_ms, Some(420.0));
    assert_eq!(m.qtc_ms, Some(443.0));
    assert_eq!(
        (m.p_axis_deg, m.qrs_axis_deg, m.t_axis_deg),
        (Some(44.0), Some(-61.0), Some(86.0))
    );
    assert!(ecg.statements.is_empty());
}

const ECGDATAKIT: &str = r#"
import json, sys, warnings
from ecgdatakit.parsing.parsers.scp_ecg import SCPECGParser
warnings.simplefilter("ignore")
r = SCPECGParser().parse(sys.argv[1])
phys = lambda l: [float(x) * l.resolution + l.offset for x in l.samples]
print(json.dumps({
    "rate": r.leads[0].sampling_rate,
    "rhythm": [[l.label, phys(l)] for l in r.leads],
    "median": [[l.label, phys(l)] for l in r.median_beats],
}))
"#;

#[test]
fn example_scp_samples_equal_ecgdatakit() {
    let path = common::sample("scp-ecg/Example.scp");
    let oracle = python_json(ECGDATAKIT, &path);
    let ecg = read(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(oracle["rate"].as_f64(), Some(500.0));
    for (key, ours) in [
        ("rhythm", ecg.rhythm.as_ref().unwrap()),
        ("median", ecg.median.as_ref().unwrap()),
    ] {
        let theirs = leads(&oracle[key]);
        assert_eq!(theirs.len(), ours.leads.len(), "{key}: lead count");
        let mut worst: f64 = 0.0;
        for ((name, samples), lead) in theirs.iter().zip(&ours.leads) {
            assert_eq!(name, &lead.name, "{key}: lead order");
            worst = worst.max(max_diff(
                &lead.samples_uv,
                samples,
                &format!("{key} {name}"),
            ));
        }
        eprintln!("{key}: max |dicomkit - ecgdatakit| = {worst} µV");
        assert!(worst <= 1e-6, "{key}: max difference {worst} µV");
    }
}

const PYDICOM: &str = r#"
import json, sys
import numpy as np
import pydicom
ds = pydicom.dcmread(sys.argv[1])
out = {}
for g in ds.WaveformSequence:
    n, c = g.NumberOfWaveformSamples, g.NumberOfWaveformChannels
    raw = np.frombuffer(g.WaveformData, dtype="<i2").reshape(n, c)
    leads = []
    for i, ch in enumerate(g.ChannelDefinitionSequence):
        code = ch.ChannelSourceSequence[0].CodeValue
        uv = raw[:, i].astype(float) * float(ch.ChannelSensitivity) \
            * float(ch.ChannelSensitivityCorrectionFactor) + float(ch.ChannelBaseline)
        leads.append([code, [float(x) for x in uv], [int(x) for x in raw[:, i]]])
    out[g.MultiplexGroupLabel] = {"rate": float(g.SamplingFrequency), "leads": leads}
print(json.dumps(out))
"#;

/// The same ECG in DICOM: every sample equal, leads matched by their SCPECG code `5.6.3-9-n`.
#[test]
fn example_scp_samples_equal_example_dcm() {
    let dcm = python_json(PYDICOM, &common::sample("dicom-ecg/Example.dcm"));
    let ecg = read(&example()).unwrap();
    let check = |group: &str, ours: &Waveform| {
        let g = &dcm[group];
        assert_eq!(g["rate"].as_f64(), Some(ours.sampling_rate_hz));
        let mut by_name = BTreeMap::new();
        for ch in g["leads"].as_array().unwrap() {
            let code = ch[0].as_str().unwrap();
            let id: u8 = code.strip_prefix("5.6.3-9-").unwrap().parse().unwrap();
            let name = dicomkit::ecg::leads::by_scp_id(id).unwrap().name;
            let uv: Vec<f64> = ch[1]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            let raw: Vec<i64> = ch[2]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_i64().unwrap())
                .collect();
            // Drop trailing padding (-32768) of the DICOM median beat.
            let keep = raw.iter().rposition(|&r| r != -32768).map_or(0, |p| p + 1);
            by_name.insert(name, uv[..keep].to_vec());
        }
        assert_eq!(by_name.len(), ours.leads.len());
        let mut worst: f64 = 0.0;
        for lead in &ours.leads {
            worst = worst.max(max_diff(
                &lead.samples_uv,
                &by_name[lead.name.as_str()],
                &format!("{group} {}", lead.name),
            ));
        }
        eprintln!("{group}: max |dicomkit(SCP) - pydicom(DCM)| = {worst} µV");
        assert!(worst <= 1e-6);
    };
    check("RHYTHM", ecg.rhythm.as_ref().unwrap());
    check("MEDIAN BEAT", ecg.median.as_ref().unwrap());
}

/// 62.SCP (Healforce Prince 180D) is documented as not decodable: a clear Malformed error that
/// names Section 3 and the other faults found on the way.
#[test]
fn healforce_62_is_a_clear_error() {
    let bytes = std::fs::read(common::sample("scp-ecg/62.SCP")).unwrap();
    match read(&bytes) {
        Err(EcgError::Malformed {
            format: Format::ScpEcg,
            reason,
        }) => {
            assert!(
                reason.starts_with("Section 3 declares 3 leads but holds 1 lead definition"),
                "{reason}"
            );
            assert!(
                reason.contains("record length field says 1928331264 bytes"),
                "{reason}"
            );
            assert!(
                reason.contains("0-based byte offsets") || reason.contains("more"),
                "{reason}"
            );
        }
        other => panic!("expected a Malformed error, got {other:?}"),
    }
}

/// A small deterministic PRNG (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn truncated_copies_never_panic() {
    let start = Instant::now();
    let full = example();
    let (mut ok, mut err) = (0, 0);
    for len in (0..=full.len()).step_by(97).chain([full.len()]) {
        match read(&full[..len]) {
            Ok(_) => ok += 1,
            Err(_) => err += 1,
        }
    }
    // Too short for even the section headers below 6 + 16 bytes; complete at full length.
    assert!(read(&full[..21]).is_err());
    assert!(read(&full).is_ok());
    eprintln!("truncations: {ok} Ok, {err} Err in {:?}", start.elapsed());
    assert!(start.elapsed() < Duration::from_secs(20));
}

#[test]
fn mutated_copies_never_panic() {
    let start = Instant::now();
    let full = example();
    let mut rng = Rng(0x5CE0_EC61_2002_1122);
    let (mut ok, mut err) = (0, 0);
    for round in 0..200 {
        let mut m = full.clone();
        let edits = 1 + rng.below(8);
        for _ in 0..edits {
            let at = rng.below(m.len());
            match round % 3 {
                0 => m[at] ^= 1 << rng.below(8),                  // bit flip
                1 => m[at] = rng.next() as u8,                    // random byte
                _ => m[at] = [0, 0xFF, 0x7F, 0x80][rng.below(4)], // boundary values
            }
        }
        // Headers and pointer table are where lengths live: hit them more often.
        if round % 4 == 0 {
            let at = rng.below(480);
            m[at] = rng.next() as u8;
        }
        match read(&m) {
            Ok(_) => ok += 1,
            Err(_) => err += 1,
        }
    }
    // Random bytes of every length.
    for len in [0usize, 1, 6, 22, 40, 100, 1000, 40000] {
        let junk: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let _ = read(&junk);
    }
    eprintln!("mutations: {ok} Ok, {err} Err in {:?}", start.elapsed());
    assert!(start.elapsed() < Duration::from_secs(30));
}

// ---------------------------------------------------------------------------------------------
// Strict reading: a record that is not whole has defects (refused by default), and is read as
// far as it goes.

use dicomkit::ecg::{ReadOptions, accept};

/// The issue's reproduction: the first 8,819 bytes of Example.scp (Section 6 cut off, record
/// CRC wrong, length field 34,144). Read with defects naming the length and Section 6, refused
/// by default, readable (reference beat only) with `accept_partial`.
#[test]
fn truncated_example_has_defects_naming_section_6_and_the_length() {
    let full = example();
    let ecg = read(&full[..8819]).unwrap();
    let all = ecg.defects.join("\n");
    assert!(
        all.contains("record length field says 34144 bytes but the file has only 8819"),
        "{all}"
    );
    assert!(all.contains("record CRC mismatch"), "{all}");
    assert!(
        all.contains("Section 6 (30084 bytes at byte 3819) runs past the end"),
        "{all}"
    );
    assert!(
        all.contains("no rhythm data: Section 6 is missing"),
        "{all}"
    );
    assert!(
        all.contains("Section 7"),
        "Section 7 lies past the end: {all}"
    );
    assert!(ecg.rhythm.is_none());
    assert_eq!(ecg.median.as_ref().unwrap().leads.len(), 12);

    match accept(ecg.clone(), &ReadOptions::default()) {
        Err(EcgError::Partial { format, reasons }) => {
            assert_eq!(format, Format::ScpEcg);
            assert!(reasons.contains("Section 6"), "{reasons}");
        }
        other => panic!("expected a Partial refusal, got {other:?}"),
    }
    let lenient = accept(
        ecg,
        &ReadOptions {
            accept_partial: true,
        },
    )
    .unwrap();
    assert!(lenient.is_partial());
}

/// The real samples are whole: no defects (and Example.scp no warnings either).
#[test]
fn real_scp_sample_has_no_defects() {
    let ecg = read(&example()).unwrap();
    assert!(ecg.defects.is_empty(), "{:?}", ecg.defects);
    assert!(ecg.warnings.is_empty(), "{:?}", ecg.warnings);
    assert!(accept(ecg, &ReadOptions::default()).is_ok());
}

/// Every cut of Example.scp short of its full length is refused by default: an error, or a
/// record with defects. Never a record that looks whole.
#[test]
fn every_truncation_is_refused_by_default() {
    let full = example();
    for len in (0..full.len())
        .step_by(37)
        .chain([full.len() - 1, full.len() - 2])
    {
        if let Ok(ecg) = read(&full[..len]) {
            assert!(
                !ecg.defects.is_empty(),
                "the first {len} bytes read as whole"
            );
            assert!(accept(ecg, &ReadOptions::default()).is_err());
        }
    }
}

/// A changed byte anywhere (the CRC fields included) is never read as whole.
#[test]
fn every_changed_byte_is_refused_by_default() {
    let full = example();
    let mut rng = Rng(0x0BAD_C0DE_2026_1204);
    for _ in 0..300 {
        let mut m = full.clone();
        let at = rng.below(m.len());
        m[at] ^= 1 << rng.below(8);
        if let Ok(ecg) = read(&m) {
            assert!(!ecg.defects.is_empty(), "byte {at} changed, read as whole");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Contec / "ECG Viewer" 0-based, exclusive-end Section 3 ranges (fixtures made by
// scripts/make-scp-fixtures.py).

fn testdata(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata")
            .join(name),
    )
    .unwrap()
}

/// What the generator writes: sample k of lead j, in units of 5 µV.
fn contec_sample(j: usize, k: usize) -> f64 {
    (((k * (j + 3)) % 2001) as f64 - 1000.0) * 5.0
}

/// The committed fixtures are what the generator makes (so they can be rebuilt and checked).
#[test]
fn contec_fixtures_are_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("python3")
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/make-scp-fixtures.py"))
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in ["contec_exclusive_end.scp", "contec_count_mismatch.scp"] {
        let made = std::fs::read(dir.path().join(name)).unwrap();
        assert!(
            made == testdata(name),
            "testdata/{name} differs from the generator's"
        );
    }
}

/// start 0, end 5000, 5000 samples stored: only the exclusive reading fits, read with a
/// warning (not a defect), every sample where it belongs.
#[test]
fn contec_exclusive_end_reads_with_a_warning() {
    let ecg = read(&testdata("contec_exclusive_end.scp")).unwrap();
    assert!(ecg.defects.is_empty(), "{:?}", ecg.defects);
    assert!(
        ecg.warnings
            .iter()
            .any(|w| w.contains("exclusive end") && w.contains("read as 5000 samples")),
        "{:?}",
        ecg.warnings
    );
    assert_eq!(ecg.patient.id.as_deref(), Some("CONTEC-FIXTURE"));
    assert_eq!(ecg.device.manufacturer.as_deref(), Some("Contec"));
    let r = ecg.rhythm.as_ref().unwrap();
    assert_eq!(r.sampling_rate_hz, 500.0);
    let names: Vec<&str> = r.leads.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["I", "II", "V1", "V2", "V3", "V4", "V5", "V6"]);
    for (j, lead) in r.leads.iter().enumerate() {
        assert_eq!(lead.samples_uv.len(), 5000, "{}", lead.name);
        for (k, v) in lead.samples_uv.iter().enumerate() {
            assert_eq!(*v, contec_sample(j, k), "lead {} sample {k}", lead.name);
        }
    }
    assert!(accept(ecg, &ReadOptions::default()).is_ok());
}

/// The same ranges with 4998 samples stored match neither reading: refused by default.
#[test]
fn contec_count_matching_neither_reading_is_refused() {
    let ecg = read(&testdata("contec_count_mismatch.scp")).unwrap();
    let all = ecg.defects.join("\n");
    assert!(all.contains("match neither reading"), "{all}");
    assert!(all.contains("4998"), "{all}");
    assert!(matches!(
        accept(ecg, &ReadOptions::default()),
        Err(EcgError::Partial { .. })
    ));
}
