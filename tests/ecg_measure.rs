//! Signal measurements (issue 7): QRS detection and HR / RR / PR / QRS / QT / QTc measured from
//! the real samples, against the cart's own values and against independent detectors (wfdb
//! XQRS and neurokit2, run by tests/oracles/qrs_oracle.py); degenerate inputs never panic.

mod common;

use std::io::Read;
use std::path::Path;

use dicomkit::ecg::measure::{self, MeasureError, SignalMeasurements};
use dicomkit::ecg::prepare::read_path;
use dicomkit::ecg::qrs;

/// The independent detectors' beats (sample indices of the input) for one record.
struct Oracle {
    fs: f64,
    xqrs: Vec<usize>,
    neurokit: Vec<usize>,
}

fn oracle(path: &Path, lead: &str) -> Oracle {
    let out = common::python()
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracles/qrs_oracle.py"))
        .arg(path)
        .args(["--lead", lead])
        .output()
        .expect("run qrs_oracle.py");
    assert!(
        out.status.success(),
        "qrs_oracle.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("oracle JSON");
    let beats = |d: &str| -> Vec<usize> {
        v["detectors"][d]["beats"]
            .as_array()
            .expect("beats")
            .iter()
            .map(|b| b.as_u64().expect("beat index") as usize)
            .collect()
    };
    Oracle {
        fs: v["fs"].as_f64().expect("fs"),
        xqrs: beats("xqrs"),
        neurokit: beats("neurokit"),
    }
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    assert!(n > 0);
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2] + v[n / 2 - 1]) / 2.0
    }
}

fn hr_of(beats: &[usize], fs: f64) -> f64 {
    let rr: Vec<f64> = beats.windows(2).map(|w| (w[1] - w[0]) as f64).collect();
    60.0 * fs / median(&rr)
}

/// Beats of `a` with a beat of `b` within `tol` samples (greedy one-to-one matching).
fn matched(a: &[usize], b: &[usize], tol: usize) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        if a[i].abs_diff(b[j]) <= tol {
            n += 1;
            i += 1;
            j += 1;
        } else if a[i] < b[j] {
            i += 1;
        } else {
            j += 1;
        }
    }
    n
}

fn measure_file(rel: &str) -> SignalMeasurements {
    let ecg = read_path(&common::sample(rel)).expect("read sample");
    let m = measure::measure(&ecg).expect("measure");
    eprintln!(
        "{rel}: HR {:?} bpm, irregularity {:?}, PR {:?}, QRS {:?}, QT {:?}, QTc Bazett {:?}, Fridericia {:?} ms; {} beats, {} leads; cart {:?}",
        m.hr_bpm.map(|v| (v * 10.0).round() / 10.0),
        m.rr_irregularity.map(|v| (v * 1000.0).round() / 1000.0),
        m.pr_ms.map(f64::round),
        m.qrs_ms.map(f64::round),
        m.qt_ms.map(f64::round),
        m.qtc_bazett_ms.map(f64::round),
        m.qtc_fridericia_ms.map(f64::round),
        m.beats.len(),
        m.leads_used,
        ecg.measurements,
    );
    m
}

fn within(what: &str, got: Option<f64>, want: f64, tol: f64) {
    let got = got.unwrap_or_else(|| panic!("{what}: not measured (cart {want})"));
    assert!(
        (got - want).abs() <= tol,
        "{what}: measured {got:.1}, cart {want} (tolerance ±{tol})"
    );
}

#[test]
fn waveform_ecg_matches_the_cart() {
    // Mortara el250: RR 982 ms, PR 161, QRS 75, QT 368, QTc 370.
    let m = measure_file("dicom-ecg/waveform_ecg.dcm");
    within("HR", m.hr_bpm, 60_000.0 / 982.0, 2.0);
    within("QRS", m.qrs_ms, 75.0, 12.0);
    within("QT", m.qt_ms, 368.0, 20.0);
    within("PR", m.pr_ms, 161.0, 20.0);
}

#[test]
fn example_ecg_matches_the_cart_in_all_three_formats() {
    // The same ECG as DICOM, HL7 aECG and SCP-ECG: PR 148, QRS 120, QT 420, QTc 443.
    for rel in [
        "dicom-ecg/Example.dcm",
        "hl7-aecg/Example.xml",
        "scp-ecg/Example.scp",
    ] {
        let m = measure_file(rel);
        within("QRS", m.qrs_ms, 120.0, 12.0);
        within("QT", m.qt_ms, 420.0, 20.0);
        within("PR", m.pr_ms, 148.0, 20.0);
    }
}

#[test]
fn synthetic_72_bpm() {
    let m = measure_file("dicom-ecg/synthetic_muse.dcm");
    within("HR", m.hr_bpm, 72.0, 2.0);
}

#[test]
fn cpsc_heart_rate_matches_the_independent_detectors() {
    for rel in [
        "other-ecg/cpsc2018/A0001.hea",
        "other-ecg/cpsc2018/A0002.hea",
        "dicom-ecg/Example.dcm",
        "dicom-ecg/waveform_ecg.dcm",
    ] {
        let m = measure_file(rel);
        let o = oracle(&common::sample(rel), "II");
        let (hx, hn) = (hr_of(&o.xqrs, o.fs), hr_of(&o.neurokit, o.fs));
        let tol = (0.05 * o.fs) as usize;
        eprintln!(
            "{rel}: HR dicomkit {:.1}, XQRS {hx:.1}, neurokit2 {hn:.1}; beats {} / {} / {}, matched XQRS {}, neurokit2 {}",
            m.hr_bpm.unwrap_or(f64::NAN),
            m.beats.len(),
            o.xqrs.len(),
            o.neurokit.len(),
            matched(&m.beats, &o.xqrs, tol),
            matched(&m.beats, &o.neurokit, tol),
        );
        within("HR vs XQRS", m.hr_bpm, hx, 2.0);
        within("HR vs neurokit2", m.hr_bpm, hn, 2.0);
    }
}

/// The scipy MIT-BIH excerpt (record 208, MLII, 360 Hz): a NumPy .npz, key `ecg`, uint16,
/// mV = (x − 1024) / 200, read here and fed to the library as microvolts.
fn mitbih_208() -> Vec<f64> {
    let f = std::fs::File::open(common::sample("other-ecg/single-lead/ecg.dat")).expect("open");
    let mut z = zip::ZipArchive::new(f).expect("npz is a zip");
    let mut bytes = Vec::new();
    z.by_name("ecg.npy")
        .expect("ecg.npy member")
        .read_to_end(&mut bytes)
        .expect("read member");
    assert_eq!(&bytes[..6], b"\x93NUMPY");
    let hlen = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = std::str::from_utf8(&bytes[10..10 + hlen]).expect("header");
    assert!(header.contains("'<u2'"), "{header}");
    bytes[10 + hlen..]
        .chunks_exact(2)
        .map(|c| (u16::from_le_bytes([c[0], c[1]]) as f64 - 1024.0) / 200.0 * 1000.0)
        .collect()
}

#[test]
fn mitbih_beats_agree_with_the_independent_detectors() {
    let x = mitbih_208();
    assert_eq!(x.len(), 108_000);
    let fs = 360.0;
    let ours = qrs::detect(&[&x], fs).positions;
    let o = oracle(&common::sample("other-ecg/single-lead/ecg.dat"), "MLII");
    let tol = (0.05 * fs) as usize;
    for (name, theirs) in [("XQRS", &o.xqrs), ("neurokit2", &o.neurokit)] {
        let n = matched(&ours, theirs, tol);
        eprintln!(
            "MIT-BIH 208: dicomkit {} beats, {name} {}; matched {n}: {:.2} % of theirs, {:.2} % of ours",
            ours.len(),
            theirs.len(),
            100.0 * n as f64 / theirs.len() as f64,
            100.0 * n as f64 / ours.len() as f64
        );
    }
    let n = matched(&o.xqrs, &o.neurokit, tol);
    eprintln!("MIT-BIH 208: XQRS vs neurokit2 matched {n}");
    // XQRS misses many of record 208's PVCs (it and neurokit2 agree on only ~426 beats), so the
    // issue's ≥ 98 % is asserted against neurokit2, both ways.
    let n = matched(&ours, &o.neurokit, tol);
    assert!(
        n as f64 >= 0.98 * o.neurokit.len() as f64,
        "{n} of {}",
        o.neurokit.len()
    );
    assert!(
        n as f64 >= 0.98 * ours.len() as f64,
        "{n} of {}",
        ours.len()
    );
}

/// A synthetic single-lead ECG at 500 Hz: P wave (unless `p` is false), QRS and T wave per beat
/// at the given RR intervals (ms). Returns the signal and the QRS times (samples).
fn synthetic_ecg(rr_ms: &[f64], p: bool) -> (Vec<f64>, Vec<usize>) {
    let fs = 500.0;
    let total: f64 = rr_ms.iter().sum::<f64>() / 1000.0 + 1.5;
    let n = (total * fs) as usize;
    let mut x = vec![0.0; n];
    let mut t0 = 0.6;
    let mut truth = Vec::new();
    for rr in rr_ms.iter().copied().chain([0.0]) {
        truth.push((t0 * fs) as usize);
        for (i, v) in x.iter_mut().enumerate() {
            let t = i as f64 / fs - t0;
            if !(-0.4..0.6).contains(&t) {
                continue;
            }
            let g = |c: f64, w: f64| (-((t - c) / w).powi(2)).exp();
            *v += 1200.0 * g(0.0, 0.015) - 250.0 * g(0.03, 0.012) + 250.0 * g(0.28, 0.06);
            if p {
                *v += 120.0 * g(-0.17, 0.025);
            }
        }
        t0 += rr / 1000.0;
    }
    (x, truth)
}

#[test]
fn irregular_rhythm_is_measured_as_such_and_gets_no_pr() {
    // Atrial fibrillation-like: no P waves, RR independent from beat to beat, 700 ms ± 30 %.
    let mut s = 0x2545_f491_4f6c_dd1du64;
    let rr: Vec<f64> = (0..14)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            700.0 * (1.0 + 0.3 * (2.0 * ((s >> 11) as f64 / (1u64 << 53) as f64) - 1.0))
        })
        .collect();
    let (x, truth) = synthetic_ecg(&rr, false);
    let m = measure::measure_leads(&[&x], 500.0).expect("measured");
    assert_eq!(m.beats.len(), truth.len(), "{:?} vs {truth:?}", m.beats);
    let irr = m.rr_irregularity.expect("irregularity");
    assert!(
        irr > measure::IRREGULARITY_THRESHOLD,
        "irregularity {irr} for RR {rr:?}"
    );
    assert_eq!(m.pr_ms, None);
    // The same beats at a steady 700 ms with P waves: regular, PR measured (P onset ~ 220 ms
    // before the QRS peak, QRS onset ~ 30 ms before it: measured 174).
    let (x, _) = synthetic_ecg(&[700.0; 14], true);
    let m = measure::measure_leads(&[&x], 500.0).expect("measured");
    let irr = m.rr_irregularity.expect("irregularity");
    assert!(irr < 0.01, "irregularity {irr}");
    let pr = m
        .pr_ms
        .expect("PR measured on a regular rhythm with P waves");
    eprintln!("synthetic: PR {pr}, irregular {irr}");
    assert!((150.0..=200.0).contains(&pr), "PR {pr}");
}

#[test]
fn degenerate_inputs_never_panic() {
    let empty: &[f64] = &[];
    let one = [1.0];
    let nan = vec![f64::NAN; 5000];
    let flat = vec![7.0; 5000];
    let inf = vec![f64::INFINITY; 5000];
    // A small xorshift generator: noise, spikes and huge values.
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let noise: Vec<f64> = (0..5000).map(|_| next() * 2000.0 - 1000.0).collect();
    let huge: Vec<f64> = (0..5000).map(|_| (next() - 0.5) * 1e300).collect();
    let mixed: Vec<f64> = noise
        .iter()
        .enumerate()
        .map(|(i, v)| if i % 7 == 0 { f64::NAN } else { *v })
        .collect();
    let inputs: Vec<Vec<&[f64]>> = vec![
        vec![],
        vec![empty],
        vec![&one],
        vec![&nan],
        vec![&flat],
        vec![&inf],
        vec![&noise],
        vec![&huge],
        vec![&mixed, &flat, &nan, empty],
        vec![&noise, &one],
    ];
    for leads in &inputs {
        for fs in [
            f64::NAN,
            -1.0,
            0.0,
            1.0,
            49.9,
            50.0,
            100.0,
            360.0,
            500.0,
            1000.0,
            1e6,
            1e9,
            f64::INFINITY,
        ] {
            let b = qrs::detect(leads, fs);
            assert!(b.positions.windows(2).all(|w| w[0] < w[1]));
            match measure::measure_leads(leads, fs) {
                Ok(m) => {
                    for v in [m.hr_bpm, m.qrs_ms, m.qt_ms, m.pr_ms].into_iter().flatten() {
                        assert!(v.is_finite());
                    }
                }
                Err(e) => {
                    let _ = e.to_string();
                }
            }
        }
    }
    assert!(matches!(
        measure::measure_leads(&[], 500.0),
        Err(MeasureError::NoLeads)
    ));
    assert!(matches!(
        measure::measure_leads(&[&flat], 500.0),
        Err(MeasureError::Flat)
    ));
}
