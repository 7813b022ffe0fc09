//! Shared helpers of the integration tests: where the real samples are, and the binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
pub mod folder;
pub mod infer;
pub mod limited;
pub mod pacs;

/// The shared real samples: `$DICOMKIT_SAMPLES`, else `../shared/samples` beside the project.
/// When they are missing the test fails (never skips): the samples are part of every set-up.
pub fn samples() -> PathBuf {
    let dir = std::env::var_os("DICOMKIT_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/samples"));
    assert!(
        dir.join("MANIFEST.md").is_file(),
        "real samples not found at {} (set DICOMKIT_SAMPLES to the samples folder)",
        dir.display()
    );
    dir
}

/// A sample file by its path under the samples folder.
pub fn sample(rel: &str) -> PathBuf {
    let p = samples().join(rel);
    assert!(p.exists(), "sample {} missing", p.display());
    p
}

/// The dicomkit binary under test, with a clean environment for colour and progress.
pub fn dicomkit() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("dicomkit").expect("binary built by cargo");
    cmd.env_remove("NO_COLOR")
        .env_remove("DICOMKIT_SAMPLES_UNUSED");
    cmd
}

/// A required external tool (Debian package); fails the test with the install hint when absent.
pub fn tool(name: &str, package: &str) -> Command {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|d| d.join(name).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "{name} not found: install the Debian package {package} (scripts/setup.sh does)"
    );
    Command::new(name)
}

/// The project's Python venv interpreter (made by scripts/setup.sh), for the pydicom oracle.
pub fn python() -> Command {
    let py = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    assert!(
        py.is_file(),
        "{} missing: run scripts/setup.sh",
        py.display()
    );
    Command::new(py)
}

/// CSV output as records keyed by column name.
pub fn csv_records(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers = r.headers().expect("CSV header").clone();
    r.records()
        .map(|rec| {
            let rec = rec.expect("CSV record");
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}
