//! ECG conversion speed per stage, on one thread, with the file already in memory.
//!
//! ```text
//! cargo run --release --example convert_bench -- [--rounds R] [--reps N] FILE
//! ```
//!
//! Times, for FILE (any readable ECG), the stages of `store-ecg`'s conversion: reading
//! (`ecg::read` on the bytes in memory; a WFDB header reads its signal files beside it), writing the DICOM file (`ecg::dicom::write`) and the round-trip check
//! (`ecg::dicom::verify_written`), each `N` times in a row (default 200), and prints the best of
//! `R` rounds (default 7) per stage in microseconds per file. The best of several rounds is the
//! figure least disturbed by other work on a shared machine; `bench/ecg.sh` gives the end-to-end
//! rate.

use std::path::PathBuf;
use std::time::Instant;

use dicomkit::ecg::dicom::{WriteOptions, verify_written, write};
use dicomkit::ecg::{ReadOptions, read};
use dicomkit::input::Input;

// The allocator of the `dicomkit` binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), String> {
    let (mut rounds, mut reps, mut file) = (7usize, 200usize, None::<PathBuf>);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut number = |what: &str| -> Result<usize, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .ok_or(format!("{what} needs a number"))
        };
        match a.as_str() {
            "--rounds" => rounds = number("--rounds")?,
            "--reps" => reps = number("--reps")?,
            _ => file = Some(PathBuf::from(a)),
        }
    }
    let path = file.ok_or("usage: convert_bench [--rounds R] [--reps N] FILE")?;
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    // In memory, except a WFDB header, whose signal files are companions on disk.
    let wfdb = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("hea"));
    let input = if wfdb {
        Input::file(&path)
    } else {
        Input::bytes(path.display().to_string(), bytes)
    };
    let strict = ReadOptions::default();
    let ecg = read(&input, &strict).map_err(|e| e.to_string())?;
    let options = WriteOptions {
        study_uid: "1.2.3".into(),
        series_uid: "1.2.3.4".into(),
        sop_instance_uid: "1.2.3.4.5".into(),
        ..WriteOptions::default()
    };
    let written = write(&ecg, &options).map_err(|e| e.to_string())?;
    let mut best = [f64::INFINITY; 3];
    for _ in 0..rounds.max(1) {
        let t = Instant::now();
        for _ in 0..reps {
            std::hint::black_box(read(std::hint::black_box(&input), &strict).ok());
        }
        let read = t.elapsed().as_secs_f64();
        let t = Instant::now();
        for _ in 0..reps {
            std::hint::black_box(write(std::hint::black_box(&ecg), &options).ok());
        }
        let wrote = t.elapsed().as_secs_f64();
        let t = Instant::now();
        for _ in 0..reps {
            std::hint::black_box(verify_written(&ecg, std::hint::black_box(&written)).ok());
        }
        let check = t.elapsed().as_secs_f64();
        for (b, s) in best.iter_mut().zip([read, wrote, check]) {
            *b = b.min(s);
        }
    }
    let us = |s: f64| s * 1e6 / reps.max(1) as f64;
    println!(
        "read {:.1} us  write {:.1} us  check {:.1} us  total {:.1} us/file (best of {rounds} x {reps})",
        us(best[0]),
        us(best[1]),
        us(best[2]),
        us(best[0] + best[1] + best[2])
    );
    Ok(())
}
