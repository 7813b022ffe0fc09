//! QRS detection and signal measurement speed on ECGs already in memory.
//!
//! ```text
//! cargo run --release --example qrs_bench -- [--records N] [--seconds S] [--dump] FILE...
//! ```
//!
//! Reads each FILE (SCP-ECG, HL7 aECG, DICOM-ECG, WFDB .hea), cuts its rhythm to the first S
//! seconds (default 10), repeats the files up to N records (default 2,000), then times on all
//! cores (rayon): `ecg::qrs::detect` on all leads, and `ecg::measure::measure_leads` (detection,
//! median beat, intervals: what `interpret` does per ECG). Prints one line per stage with
//! records/s, and the beats found per file as a check. `--dump` prints every file's measurements
//! at full precision instead of timing (to check that a change keeps the results). `bench/qrs.sh` runs it on the samples.

use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;

use dicomkit::ecg::measure::measure_leads;
use dicomkit::ecg::qrs::detect;
use dicomkit::ecg::{ReadOptions, read_path};

struct Record {
    name: String,
    rate: f64,
    leads: Vec<Vec<f64>>,
}

fn main() -> Result<(), String> {
    let mut records = 2000usize;
    let mut seconds = 10.0f64;
    let mut files = Vec::new();
    let mut dump = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--records" => {
                records = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--records N")?
            }
            "--seconds" => {
                seconds = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--seconds S")?
            }
            "--dump" => dump = true,
            _ => files.push(PathBuf::from(a)),
        }
    }
    if files.is_empty() {
        return Err("usage: qrs_bench [--records N] [--seconds S] [--dump] FILE...".into());
    }
    let mut base = Vec::new();
    for f in &files {
        let ecg =
            read_path(f, &ReadOptions::default()).map_err(|e| format!("{}: {e}", f.display()))?;
        let w = ecg
            .rhythm
            .as_ref()
            .ok_or(format!("{}: no rhythm", f.display()))?;
        let n = (seconds * w.sampling_rate_hz).round() as usize;
        let leads: Vec<Vec<f64>> = w
            .leads
            .iter()
            .map(|l| l.samples_uv.iter().copied().take(n).collect())
            .collect();
        let got = leads.iter().map(Vec::len).min().unwrap_or(0) as f64 / w.sampling_rate_hz;
        if got + 1e-9 < seconds {
            return Err(format!("{}: only {got:.1} s", f.display()));
        }
        base.push(Record {
            name: f.display().to_string(),
            rate: w.sampling_rate_hz,
            leads,
        });
    }
    for r in &base {
        let leads: Vec<&[f64]> = r.leads.iter().map(Vec::as_slice).collect();
        let beats = detect(&leads, r.rate).positions.len();
        let hr = measure_leads(&leads, r.rate)
            .ok()
            .and_then(|m| m.hr_bpm)
            .unwrap_or(f64::NAN);
        println!(
            "{}: {} leads, {} Hz, {beats} beats in {seconds} s, HR {hr:.1}",
            r.name,
            r.leads.len(),
            r.rate
        );
    }
    if dump {
        // Every measured value at full precision, to check that a change keeps the results.
        for r in &base {
            let leads: Vec<&[f64]> = r.leads.iter().map(Vec::as_slice).collect();
            println!("{}: {:?}", r.name, measure_leads(&leads, r.rate));
        }
        return Ok(());
    }
    let work: Vec<&Record> = base.iter().cycle().take(records).collect();
    let threads = rayon::current_num_threads();
    let time = |stage: &str, f: &(dyn Fn(&Record) -> usize + Sync)| {
        let start = Instant::now();
        let total: usize = work.par_iter().map(|r| f(r)).sum();
        let s = start.elapsed().as_secs_f64();
        println!(
            "{stage}: {records} records of {seconds} s in {s:.3} s = {:.0} records/s on {threads} threads (check {total})",
            records as f64 / s
        );
    };
    time("qrs::detect", &|r| {
        let leads: Vec<&[f64]> = r.leads.iter().map(Vec::as_slice).collect();
        detect(&leads, r.rate).positions.len()
    });
    time("measure_leads", &|r| {
        let leads: Vec<&[f64]> = r.leads.iter().map(Vec::as_slice).collect();
        measure_leads(&leads, r.rate)
            .ok()
            .and_then(|m| m.qrs_ms)
            .map_or(0, |q| q as usize)
    });
    Ok(())
}
