//! Helpers of the import-folder tests (`store-ecg --import-dir`).

use std::path::{Path, PathBuf};

use super::{dicomkit, sample};

/// Run `store-ecg --format csv --settle 0 --import-dir DIR` with `extra` arguments.
pub fn store_folder(pacs_addr: &str, dir: &Path, extra: &[&str]) -> std::process::Output {
    dicomkit()
        .args([
            "store-ecg",
            "--format",
            "csv",
            "--pacs",
            pacs_addr,
            "--settle",
            "0",
            "--import-dir",
        ])
        .arg(dir)
        .args(extra)
        .output()
        .unwrap()
}

/// The names in `dir`, hidden ones left out, sorted (empty when `dir` is missing).
pub fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// CRC-CCITT as SCP-ECG uses it (polynomial 0x1021, initial value 0xFFFF).
fn crc_ccitt(data: &[u8]) -> u16 {
    data.iter().fold(0xFFFF, |mut crc: u16, &b| {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
        crc
    })
}

/// Copies of Example.scp with distinct patient IDs: the ID's bytes patched and the CRCs of
/// Section 1 and of the record computed again, so that each copy is a whole, valid record.
pub fn distinct_scp_copies(dir: &Path, n: usize) -> Vec<PathBuf> {
    let bytes = std::fs::read(sample("scp-ecg/Example.scp")).unwrap();
    let at = bytes
        .windows(7)
        .position(|w| w == b"SBJ-123")
        .expect("patient ID in Example.scp");
    // Section 0 (at byte 6, a 16-byte header) points at Section 1 in its second entry:
    // id (2), length (4), 1-based index (4).
    let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap()) as usize;
    assert_eq!(
        u16::from_le_bytes([bytes[32], bytes[33]]),
        1,
        "Section 1 entry"
    );
    let (len, start) = (u32_at(34), u32_at(38) - 1);
    assert!(
        start < at && at + 7 <= start + len,
        "the ID is in Section 1"
    );
    (0..n)
        .map(|i| {
            let mut b = bytes.clone();
            b[at..at + 7].copy_from_slice(format!("P{i:06}").as_bytes());
            let crc = crc_ccitt(&b[start + 2..start + len]);
            b[start..start + 2].copy_from_slice(&crc.to_le_bytes());
            let crc = crc_ccitt(&b[2..]);
            b[0..2].copy_from_slice(&crc.to_le_bytes());
            let p = dir.join(format!("ecg{i:04}.scp"));
            std::fs::write(&p, b).unwrap();
            p
        })
        .collect()
}
