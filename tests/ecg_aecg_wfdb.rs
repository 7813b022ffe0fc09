//! HL7 aECG and WFDB readers against the real samples and two independent readers:
//! ecgdatakit 2.0.3 (aECG and WFDB parsers) and pydicom (the DICOM copy of the aECG sample),
//! both run from the project venv. Every sample of every lead is compared in µV.

mod common;

use std::path::Path;

use dicomkit::ecg::{Ecg, ReadOptions, Sex, Waveform, accept, aecg, leads, wfdb};
use serde_json::Value;

/// ecgdatakit's decoding of a file: per series, `[label, rate, [µV...]]` per lead.
const ECGDATAKIT: &str = r#"
import json, sys, warnings
warnings.simplefilter("ignore")
from ecgdatakit import FileParser
rec = FileParser().parse(sys.argv[1])
def uv(leads):
    return [[l.label, l.sampling_rate, [float(x) for x in l.to_physical().convert_units("uV").samples]]
            for l in leads]
print(json.dumps({"rhythm": uv(rec.leads), "median": uv(rec.median_beats or [])}))
"#;

/// pydicom's decoding of a DICOM waveform file: per multiplex group label, `[label, rate, [µV...]]`.
const PYDICOM: &str = r#"
import json, sys
import pydicom
ds = pydicom.dcmread(sys.argv[1])
out = {}
for i, w in enumerate(ds.WaveformSequence):
    a = ds.waveform_array(i)  # scaled by sensitivity x correction factor, plus baseline
    rows = []
    for k, ch in enumerate(w.ChannelDefinitionSequence):
        unit = ch.ChannelSensitivityUnitsSequence[0].CodeValue
        factor = {"uV": 1.0, "mV": 1000.0, "V": 1e6}[unit]
        label = ch.ChannelSourceSequence[0].CodeMeaning.replace("Lead ", "")
        rows.append([label, float(w.SamplingFrequency), [float(x) * factor for x in a[:, k]]])
    out[str(w.MultiplexGroupLabel)] = rows
print(json.dumps(out))
"#;

fn python_json(script: &str, file: &Path) -> Value {
    let out = common::python()
        .arg("-c")
        .arg(script)
        .arg(file)
        .output()
        .expect("venv python runs");
    assert!(
        out.status.success(),
        "python failed on {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("python printed JSON")
}

/// Compare a waveform with reference leads (`[label, rate, [µV...]]`) lead by lead, by
/// canonical name; returns the largest absolute difference. `len_slack` allows the reference
/// to be that many samples longer (only the common part is compared).
fn compare(what: &str, ours: &Waveform, reference: &Value, len_slack: usize) -> f64 {
    let refs = reference.as_array().expect("array of leads");
    assert_eq!(ours.leads.len(), refs.len(), "{what}: lead count");
    let mut max_diff: f64 = 0.0;
    for r in refs {
        let label = leads::canonical_name(r[0].as_str().expect("label"));
        let rate = r[1].as_f64().expect("rate");
        let samples: Vec<f64> = r[2]
            .as_array()
            .expect("samples")
            .iter()
            .map(|v| v.as_f64().expect("number"))
            .collect();
        let lead = ours
            .lead(&label)
            .unwrap_or_else(|| panic!("{what}: lead {label} missing"));
        assert_eq!(ours.sampling_rate_hz, rate, "{what}: rate of {label}");
        let n = lead.samples_uv.len();
        assert!(
            samples.len() >= n && samples.len() - n <= len_slack,
            "{what}: lead {label} has {n} samples, reference {}",
            samples.len()
        );
        for (i, (a, b)) in lead.samples_uv.iter().zip(&samples).enumerate() {
            let d = (a - b).abs();
            assert!(
                d < 1e-6,
                "{what}: lead {label} sample {i}: ours {a}, reference {b}"
            );
            max_diff = max_diff.max(d);
        }
    }
    eprintln!(
        "{what}: {} leads, max abs difference {max_diff:e} uV",
        refs.len()
    );
    max_diff
}

fn example_xml() -> Ecg {
    let bytes = std::fs::read(common::sample("hl7-aecg/Example.xml")).expect("sample readable");
    aecg::read(&bytes).expect("Example.xml reads")
}

#[test]
fn aecg_example_content() {
    let ecg = example_xml();
    let rhythm = ecg.rhythm.as_ref().expect("rhythm");
    let mut names: Vec<&str> = rhythm.leads.iter().map(|l| l.name.as_str()).collect();
    names.sort_unstable();
    let mut want = leads::STANDARD_12.to_vec();
    want.sort_unstable();
    assert_eq!(names, want);
    assert_eq!(rhythm.sampling_rate_hz, 500.0);
    assert!(rhythm.leads.iter().all(|l| l.samples_uv.len() == 5000));
    let median = ecg.median.as_ref().expect("representative beat");
    assert_eq!(median.leads.len(), 12);
    assert_eq!(median.sampling_rate_hz, 500.0);
    assert!(median.samples_per_lead() >= 599);

    let p = &ecg.patient;
    assert_eq!(p.id.as_deref(), Some("SBJ-123"));
    assert_eq!(p.family_name.as_deref(), Some("Clark"));
    assert_eq!(p.sex, Some(Sex::Male));
    assert_eq!(
        p.birth_date.map(|d| d.to_string()).as_deref(),
        Some("1953-05-08")
    );
    assert_eq!(p.age_years, Some(46.0));
    assert_eq!(
        ecg.acquired.map(|t| t.to_string()).as_deref(),
        Some("2002-11-22 09:10:00")
    );
    assert_eq!(ecg.device.model.as_deref(), Some("ELI250"));
    assert_eq!(ecg.device.software.as_deref(), Some("5.3"));
    assert_eq!(
        ecg.device.manufacturer.as_deref(),
        Some("Mortara Instrument, Inc.")
    );
    assert_eq!(
        ecg.institution.as_deref(),
        Some("River City Clinic for the Cardiac Challenged")
    );
    assert_eq!(ecg.filters.lowpass_hz, Some(150.0));
    assert_eq!(ecg.filters.notch_hz, Some(60.0));

    let m = &ecg.measurements;
    assert_eq!(m.pr_ms, Some(148.0));
    assert_eq!(m.qrs_ms, Some(120.0));
    assert_eq!(m.qt_ms, Some(420.0));
    assert_eq!(m.qtc_ms, Some(443.0));
    assert_eq!(
        (m.p_axis_deg, m.qrs_axis_deg, m.t_axis_deg),
        (Some(44.0), Some(-61.0), Some(86.0))
    );
    assert_eq!(m.heart_rate_bpm, None, "the file states no heart rate");
    assert!(
        ecg.statements.is_empty(),
        "no interpretation statements in the file: {:?}",
        ecg.statements
    );
    eprintln!("warnings: {:?}", ecg.warnings);
}

#[test]
fn aecg_example_samples_equal_ecgdatakit() {
    let ecg = example_xml();
    let reference = python_json(ECGDATAKIT, &common::sample("hl7-aecg/Example.xml"));
    compare(
        "Example.xml rhythm vs ecgdatakit",
        ecg.rhythm.as_ref().expect("rhythm"),
        &reference["rhythm"],
        0,
    );
    compare(
        "Example.xml median vs ecgdatakit",
        ecg.median.as_ref().expect("median"),
        &reference["median"],
        0,
    );
}

#[test]
fn aecg_example_samples_equal_the_dicom_copy() {
    let ecg = example_xml();
    let reference = python_json(PYDICOM, &common::sample("dicom-ecg/Example.dcm"));
    compare(
        "Example.xml rhythm vs Example.dcm (pydicom)",
        ecg.rhythm.as_ref().expect("rhythm"),
        &reference["RHYTHM"],
        0,
    );
    // The DICOM copy's median beat is 600 samples, the aECG one 599: the common part is equal.
    compare(
        "Example.xml median vs Example.dcm (pydicom)",
        ecg.median.as_ref().expect("median"),
        &reference["MEDIAN BEAT"],
        1,
    );
}

#[test]
fn aecg_truncated_copies_are_errors() {
    let bytes = std::fs::read(common::sample("hl7-aecg/Example.xml")).expect("sample readable");
    let mut n = 0;
    for len in (0..bytes.len()).step_by(1000) {
        let Some(part) = bytes.get(..len) else {
            continue;
        };
        match aecg::read(part) {
            Ok(_) => panic!("truncated to {len} bytes but read without error"),
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.starts_with("bad hl7-aecg file: "), "{msg}");
            }
        }
        n += 1;
    }
    assert!(n > 500);
    let msg = aecg::read(bytes.get(..300_000).expect("long enough"))
        .expect_err("truncated")
        .to_string();
    assert!(msg.contains("truncated"), "{msg}");
}

/// `text` without the `n` digits just before each of its first `leads` `</digits>`.
fn cut_leads(text: &str, leads: usize, n: usize) -> String {
    let mut out = String::new();
    let mut rest = text;
    for _ in 0..leads {
        let at = rest.find("</digits>").expect("a lead's digits");
        let b = rest.as_bytes();
        let mut i = at;
        for _ in 0..n {
            while i > 0 && b[i - 1].is_ascii_whitespace() {
                i -= 1;
            }
            while i > 0 && !b[i - 1].is_ascii_whitespace() && b[i - 1] != b'>' {
                i -= 1;
            }
        }
        out.push_str(&rest[..i]);
        out.push_str("</digits>");
        rest = &rest[at + "</digits>".len()..];
    }
    out.push_str(rest);
    out
}

fn example_text() -> String {
    std::fs::read_to_string(common::sample("hl7-aecg/Example.xml")).expect("sample readable")
}

/// The real aECG sample and the synthetic fixture are whole.
#[test]
fn aecg_samples_have_no_defects() {
    let ecg = example_xml();
    assert!(ecg.defects.is_empty(), "{:?}", ecg.defects);
    let synthetic =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/ecg_synthetic.xml"))
            .expect("fixture");
    let ecg = aecg::read(&synthetic).expect("reads");
    assert!(ecg.defects.is_empty(), "{:?}", ecg.defects);
}

/// One rhythm lead 10 samples short: a defect, refused by default, read with
/// `accept_partial` (the lead as short as it is).
#[test]
fn aecg_one_lead_cut_short_is_a_defect() {
    let text = cut_leads(&example_text(), 1, 10);
    let ecg = aecg::read(text.as_bytes()).expect("reads");
    assert_eq!(ecg.defects.len(), 1, "{:?}", ecg.defects);
    assert!(
        ecg.defects[0].starts_with("rhythm leads differ in length ([4990, 5000,"),
        "{:?}",
        ecg.defects
    );
    let refused = accept(ecg.clone(), &ReadOptions::default()).expect_err("refused");
    assert!(
        refused
            .to_string()
            .contains("rhythm leads differ in length"),
        "{refused}"
    );
    let lenient = accept(
        ecg,
        &ReadOptions {
            accept_partial: true,
        },
    )
    .expect("accepted");
    let r = lenient.rhythm.expect("rhythm");
    assert_eq!(r.leads[0].samples_uv.len(), 4990);
    assert_eq!(r.leads[1].samples_uv.len(), 5000);
}

/// Every rhythm lead 1000 samples short: the leads agree, but the series' effectiveTime
/// (10 s at 500 Hz) says 5000 samples.
#[test]
fn aecg_series_shorter_than_its_effective_time_is_a_defect() {
    let text = cut_leads(&example_text(), 12, 1000);
    let ecg = aecg::read(text.as_bytes()).expect("reads");
    assert_eq!(
        ecg.defects,
        [
            "the rhythm series lasts 10 s by its effectiveTime (5000 samples at 500 Hz) but its leads hold 4000"
        ]
    );
    // 5000 stored, as declared: nothing to say (the representative beat's effectiveTime, also
    // 10 s in this file, is not its length and is not checked).
    assert!(example_xml().defects.is_empty());
}

/// Digits that are not numbers are an error (which sample was meant cannot be known).
#[test]
fn aecg_digits_that_are_not_numbers_are_errors() {
    let text = example_text().replacen("</digits>", " 12x </digits>", 1);
    let e = aecg::read(text.as_bytes()).expect_err("refused");
    assert!(e.to_string().contains("invalid digit \"12x\""), "{e}");
}

/// xorshift64*: deterministic pseudo-random bytes.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn aecg_random_and_mutated_inputs_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..300 {
        let len = rng.below(4000);
        let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        assert!(aecg::read(&data).is_err());
    }
    // Mutations of a small real document (the head of Example.xml, its first lead closed off).
    let bytes = std::fs::read(common::sample("hl7-aecg/Example.xml")).expect("sample readable");
    let text = String::from_utf8(bytes).expect("utf-8");
    let cut = text.find("-2 -2 -2 -2 -3").expect("first digits");
    let small = format!(
        "{} 1 2 3 </digits></value></sequence></component></sequenceSet></component></series></component></AnnotatedECG>",
        &text[..cut]
    );
    let ok = aecg::read(small.as_bytes()).expect("the small document reads");
    assert_eq!(ok.rhythm.as_ref().map(|r| r.leads.len()), Some(1));
    let tokens: [&[u8]; 8] = [
        b"<",
        b">",
        b"/>",
        b"&amp;",
        b"&#0;",
        b"\"",
        b"</component>",
        b"<digits>",
    ];
    for _ in 0..3000 {
        let mut m = small.as_bytes().to_vec();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(m.len());
            match rng.below(4) {
                0 => m[at] = rng.next() as u8,
                1 => {
                    m.remove(at);
                }
                2 => {
                    let t = tokens[rng.below(tokens.len())];
                    m.splice(at..at, t.iter().copied());
                }
                _ => {
                    let end = (at + rng.below(200)).min(m.len());
                    m.drain(at..end);
                }
            }
        }
        let _ = aecg::read(&m);
    }
}

fn cpsc(name: &str) -> (Ecg, Value) {
    let hea = common::sample(&format!("other-ecg/cpsc2018/{name}.hea"));
    let ecg = wfdb::read_path(&hea).unwrap_or_else(|e| panic!("{name}: {e}"));
    (ecg, python_json(ECGDATAKIT, &hea))
}

#[test]
fn wfdb_cpsc_records() {
    for (name, n, sex, age, dx) in [
        ("A0001", 7500, Sex::Male, 74.0, "Dx 59118001"),
        ("A0002", 5000, Sex::Female, 49.0, "Dx 426783006"),
    ] {
        let (ecg, reference) = cpsc(name);
        let r = ecg.rhythm.as_ref().expect("rhythm");
        let names: Vec<&str> = r.leads.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, leads::STANDARD_12.to_vec());
        assert_eq!(r.sampling_rate_hz, 500.0);
        assert!(
            r.leads.iter().all(|l| l.samples_uv.len() == n),
            "{name}: {n} samples per lead"
        );
        assert_eq!(ecg.patient.sex, Some(sex));
        assert_eq!(ecg.patient.age_years, Some(age));
        assert_eq!(ecg.statements, vec![dx.to_owned()]);
        assert!(ecg.median.is_none());
        assert!(ecg.defects.is_empty(), "{name}: {:?}", ecg.defects);
        assert!(
            ecg.warnings.is_empty(),
            "{name}: checksums and all fine: {:?}",
            ecg.warnings
        );
        compare(&format!("{name} vs ecgdatakit"), r, &reference["rhythm"], 0);
    }
}

/// Pack 12-bit samples as WFDB format 212 (an independent packer, not the reader's code).
fn pack212(values: &[i16]) -> Vec<u8> {
    let mut out = Vec::new();
    for pair in values.chunks(2) {
        let a = (pair[0] as u16) & 0xFFF;
        let b = pair.get(1).map_or(0, |v| (*v as u16) & 0xFFF);
        out.push((a & 0xFF) as u8);
        out.push(((a >> 8) as u8) | (((b >> 8) as u8) << 4));
        if pair.len() == 2 {
            out.push((b & 0xFF) as u8);
        }
    }
    out
}

#[test]
fn wfdb_dat_formats_16_and_212_equal_ecgdatakit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rng = Rng(42);
    let nsig = 3;
    let n = 1001; // odd total: format 212 ends with a lone sample in two bytes
    let values: Vec<i16> = (0..nsig * n)
        .map(|_| (rng.below(4000) as i16) - 2000)
        .collect();
    let mut dat16 = Vec::new();
    for v in &values {
        dat16.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(dir.path().join("r16.dat"), &dat16).expect("write");
    std::fs::write(dir.path().join("r212.dat"), pack212(&values)).expect("write");
    let labels = ["MLII", "V5", "aVR"];
    for (fmt, file) in [(16, "r16"), (212, "r212")] {
        let mut hea = format!("{file} {nsig} 360 {n} 10:20:30 01/02/2003\n");
        for (k, label) in labels.iter().enumerate() {
            let col: i64 = values
                .iter()
                .skip(k)
                .step_by(nsig)
                .map(|v| i64::from(*v))
                .sum();
            hea.push_str(&format!(
                "{file}.dat {fmt} 200({}) 12 0 0 {} 0 {label}\n",
                k * 10,
                col as i16
            ));
        }
        hea.push_str("# Age: 61\n# Sex: F\n# Dx: 164889003,59118001\n");
        let path = dir.path().join(format!("{file}.hea"));
        std::fs::write(&path, hea).expect("write");
        let ecg = wfdb::read_path(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(ecg.warnings.is_empty(), "{:?}", ecg.warnings);
        assert_eq!(
            ecg.acquired.map(|t| t.to_string()).as_deref(),
            Some("2003-02-01 10:20:30")
        );
        assert_eq!(
            ecg.statements,
            vec!["Dx 164889003".to_owned(), "Dx 59118001".to_owned()]
        );
        let r = ecg.rhythm.as_ref().expect("rhythm");
        assert_eq!(
            r.leads.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(),
            ["MLII", "V5", "aVR"]
        );
        // Sample 0 of lead 2: (adc - baseline 20) / 200 per mV.
        let want = (f64::from(values[2]) - 20.0) / 200.0 * 1000.0;
        assert_eq!(r.leads[2].samples_uv[0], want);
        let reference = python_json(ECGDATAKIT, &path);
        compare(
            &format!("format {fmt} vs ecgdatakit"),
            r,
            &reference["rhythm"],
            0,
        );
    }
}

#[test]
fn wfdb_broken_records_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hea_text =
        std::fs::read_to_string(common::sample("other-ecg/cpsc2018/A0001.hea")).expect("header");
    let mat = std::fs::read(common::sample("other-ecg/cpsc2018/A0001.mat")).expect("mat");
    let hea = dir.path().join("A0001.hea");
    std::fs::write(&hea, &hea_text).expect("write");

    let err = |what: &str| {
        // through the front door: a record shorter than its header says is refused there
        let e = dicomkit::ecg::read_path(&hea, &dicomkit::ecg::ReadOptions::default())
            .expect_err(what)
            .to_string();
        eprintln!("{what}: {e}");
        e
    };
    assert!(err("missing .mat").contains("A0001.mat"));
    // Cut short: read as far as it goes, with defects (see wfdb_cut_records_are_defects).
    std::fs::write(dir.path().join("A0001.mat"), &mat[..mat.len() / 2]).expect("write");
    let cut = wfdb::read_path(&hea).expect("read as far as it goes");
    assert!(
        cut.defects.iter().any(|d| d.contains("cut short")),
        "{:?}",
        cut.defects
    );
    std::fs::write(dir.path().join("A0001.mat"), &mat[..10]).expect("write");
    err("tiny .mat");
    std::fs::write(
        dir.path().join("A0001.mat"),
        b"MATLAB 5.0 MAT-file, Platform: GLNXA64, Created on: ...............",
    )
    .expect("write");
    err("MATLAB 5 file");
    std::fs::write(dir.path().join("A0001.mat"), &mat).expect("write");
    assert!(wfdb::read_path(&hea).is_ok());

    std::fs::write(
        &hea,
        hea_text.replace("A0001 12 500 7500", "A0001 12 500 9000"),
    )
    .expect("write");
    let more = wfdb::read_path(&hea).expect("read as far as it goes");
    assert_eq!(
        more.defects,
        [
            "signal file A0001.mat holds 7500 samples per signal, the header declares 9000 (cut short: 7500 read)"
        ]
    );
    std::fs::write(&hea, hea_text.replace("16x1+24", "16x2+24")).expect("write");
    assert!(err("two samples per frame").contains("samples per frame"));
    let missing_dat = "r 2 250 100\nr.dat 16 200 12 0 0 0 0 I\nr.dat 16 200 12 0 0 0 0 II\n";
    std::fs::write(&hea, missing_dat).expect("write");
    assert!(err("missing .dat").contains("r.dat"));
    std::fs::write(dir.path().join("r.dat"), []).expect("write");
    assert!(err("empty .dat").contains("holds no samples"));
    for text in [
        "",
        "# only a comment\n",
        "r x 250\n",
        "r 2 250 10\nr.dat 16\n",
        "r/3 2 250\n",
        "r 1 -5 10\nr.dat 16 200 12 0 0 0 0 I\n",
    ] {
        std::fs::write(&hea, text).expect("write");
        err(&format!("header {text:?}"));
    }
    assert!(wfdb::read_path(&dir.path().join("nothing.hea")).is_err());
    let mut rng = Rng(7);
    for _ in 0..200 {
        let len = rng.below(300);
        let junk: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        std::fs::write(&hea, &junk).expect("write");
        let _ = wfdb::read_path(&hea);
    }
}

/// A format 16 record of `nsig` signals: `stored` frames in the .dat (sample k of signal j is
/// `(k * (j + 1)) % 1000 - 500`), the header declaring `declared` and the checksums of the
/// first `declared` frames (`checksum_delta` added to signal 0's).
fn write_record16(
    dir: &Path,
    nsig: usize,
    stored: usize,
    declared: usize,
    checksum_delta: i64,
) -> std::path::PathBuf {
    let value = |j: usize, k: usize| ((k * (j + 1)) % 1000) as i16 - 500;
    let mut dat = Vec::new();
    for k in 0..stored {
        for j in 0..nsig {
            dat.extend_from_slice(&value(j, k).to_le_bytes());
        }
    }
    std::fs::write(dir.join("s.dat"), dat).expect("write");
    let mut hea = format!("s {nsig} 500 {declared}\n");
    for j in 0..nsig {
        let sum: i64 = (0..declared).map(|k| i64::from(value(j, k))).sum::<i64>()
            + if j == 0 { checksum_delta } else { 0 };
        hea.push_str(&format!(
            "s.dat 16 1000 16 0 0 {} 0 V{}\n",
            sum as i16,
            j + 1
        ));
    }
    let path = dir.join("s.hea");
    std::fs::write(&path, hea).expect("write");
    path
}

/// A .dat shorter than the header's sample count: a defect naming both counts, refused by
/// default with that reason, the samples there read with `accept_partial`.
#[test]
fn wfdb_dat_shorter_than_the_header_is_a_defect() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hea = write_record16(dir.path(), 3, 600, 1000, 0);
    let ecg = wfdb::read_path(&hea).expect("read as far as it goes");
    assert_eq!(
        ecg.defects,
        [
            "signal file s.dat holds 600 samples per signal, the header declares 1000 (cut short: 600 read)"
        ]
    );
    let refused = accept(ecg.clone(), &ReadOptions::default()).expect_err("refused");
    assert!(
        refused
            .to_string()
            .contains("holds 600 samples per signal, the header declares 1000"),
        "{refused}"
    );
    let ecg = accept(
        ecg,
        &ReadOptions {
            accept_partial: true,
        },
    )
    .expect("accepted");
    let r = ecg.rhythm.expect("rhythm");
    assert_eq!(r.samples_per_lead(), 600);
    // Sample 599 of signal 2: (599 * 3) % 1000 - 500 = 297 adu at 1000 adu/mV.
    assert_eq!(r.leads[2].samples_uv[599], 297.0);
}

/// The same record whole: no defects; a checksum off by one: a defect.
#[test]
fn wfdb_checksum_mismatch_is_a_defect() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ecg = wfdb::read_path(&write_record16(dir.path(), 3, 1000, 1000, 0)).expect("reads");
    assert!(ecg.defects.is_empty(), "{:?}", ecg.defects);
    assert!(ecg.warnings.is_empty(), "{:?}", ecg.warnings);
    let ecg = wfdb::read_path(&write_record16(dir.path(), 3, 1000, 1000, 1)).expect("reads");
    assert_eq!(ecg.defects.len(), 1, "{:?}", ecg.defects);
    assert!(
        ecg.defects[0].starts_with("checksum mismatch in signal V1"),
        "{:?}",
        ecg.defects
    );
}

/// A .dat longer than declared: only the declared samples are decoded (a warning).
#[test]
fn wfdb_dat_longer_than_the_header_is_read_as_declared() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ecg = wfdb::read_path(&write_record16(dir.path(), 2, 1500, 1000, 0)).expect("reads");
    assert!(ecg.defects.is_empty(), "{:?}", ecg.defects);
    assert_eq!(
        ecg.warnings,
        ["2000 bytes of s.dat after the 1000 declared samples per signal ignored"]
    );
    assert_eq!(ecg.rhythm.expect("rhythm").samples_per_lead(), 1000);
}

/// The header's sample count × signals beyond the limits: refused from the header alone,
/// before the signal file is read.
#[test]
fn wfdb_header_beyond_the_limits_is_too_large() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hea = dir.path().join("big.hea");
    for (text, want) in [
        (
            "big 1 1000 100000000\nbig.dat 16 200 16 0 0 0 0 I\n".to_owned(),
            "a lead of 100000000 samples",
        ),
        (
            format!(
                "big 12 500 25000000\n{}",
                "big.dat 16 200 16 0 0 0 0 I\n".repeat(12)
            ),
            "300000000 samples in all",
        ),
    ] {
        std::fs::write(&hea, text).expect("write");
        match wfdb::read_path(&hea) {
            Err(dicomkit::ecg::EcgError::TooLarge { format, reason }) => {
                assert_eq!(format, dicomkit::ecg::Format::Wfdb);
                assert!(reason.contains(want), "{reason}");
            }
            Err(e) => panic!("expected TooLarge, got {e}"),
            Ok(_) => panic!("read"),
        }
    }
}
