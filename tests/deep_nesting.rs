//! Sequences nested deeper than `dicomkit::dicom::MAX_DEPTH` (128): every command that reads
//! DICOM ends with exit 6 and the one-line reason "nesting deeper than 128 sequence levels",
//! under a 1 GiB address-space limit and a wall-clock bound, never with a signal (2,000 levels
//! used to crash `dump --format json`, 100,000 `dump --fields`, `store-ecg` and
//! `generate --template`, with a stack overflow). Nesting within the limit is read whole.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::limited::{self, Run};

/// Address space a run may take.
const MEMORY_LIMIT: u64 = 1 << 30;
/// Wall-clock bound of one run (debug build, loaded machine).
const DEADLINE: Duration = Duration::from_secs(120);
/// The reason every refusal gives.
const REASON: &str = "nesting deeper than 128 sequence levels";

/// One explicit VR little endian element of `value` (padded to even length).
fn element(out: &mut Vec<u8>, group: u16, elem: u16, vr: &[u8; 2], value: &[u8]) {
    let mut value = value.to_vec();
    if value.len() % 2 == 1 {
        value.push(if vr == b"UI" { 0 } else { b' ' });
    }
    out.extend_from_slice(&group.to_le_bytes());
    out.extend_from_slice(&elem.to_le_bytes());
    out.extend_from_slice(vr);
    out.extend_from_slice(&(value.len() as u16).to_le_bytes());
    out.extend_from_slice(&value);
}

/// A Part 10 file (12-lead ECG SOP class, Explicit VR Little Endian) whose data set nests
/// `levels` (0008,1110) sequences of undefined length, one item each, (0010,0020) "inner" in
/// the innermost item, then (0010,0010) "Deep^Nest" at the top level: 36 bytes a level.
fn nested_file(levels: usize) -> Vec<u8> {
    const ECG: &[u8] = b"1.2.840.10008.5.1.4.1.1.9.1.1";
    let mut meta = Vec::new();
    element(&mut meta, 0x0002, 0x0002, b"UI", ECG);
    element(&mut meta, 0x0002, 0x0003, b"UI", b"1.2.3.4");
    element(&mut meta, 0x0002, 0x0010, b"UI", b"1.2.840.10008.1.2.1");
    let mut out = vec![0u8; 128];
    out.extend_from_slice(b"DICM");
    element(
        &mut out,
        0x0002,
        0x0000,
        b"UL",
        &(meta.len() as u32).to_le_bytes(),
    );
    out.extend_from_slice(&meta);
    element(&mut out, 0x0008, 0x0016, b"UI", ECG);
    for _ in 0..levels {
        out.extend_from_slice(&[
            0x08, 0x00, 0x10, 0x11, b'S', b'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
        ]);
        out.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
    }
    element(&mut out, 0x0010, 0x0020, b"LO", b"inner");
    for _ in 0..levels {
        out.extend_from_slice(&[0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0]);
        out.extend_from_slice(&[0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
    }
    element(&mut out, 0x0010, 0x0010, b"PN", b"Deep^Nest");
    out
}

/// Run the binary in `dir` under [`MEMORY_LIMIT`] and [`DEADLINE`].
fn run(args: &[&str], dir: &Path) -> Run {
    limited::run(
        args,
        Some(dir),
        &[],
        limited::Limits {
            memory: MEMORY_LIMIT,
            deadline: DEADLINE,
        },
    )
}

/// A 4×4 grey PNG for `generate`.
fn picture(dir: &Path) -> PathBuf {
    let path = dir.join("g.png");
    image::GrayImage::from_fn(4, 4, |x, y| image::Luma([(x * 16 + y) as u8]))
        .save(&path)
        .expect("write png");
    path
}

#[test]
fn too_deep_files_are_refused_by_every_command_with_a_clear_reason() {
    let dir = tempfile::tempdir().unwrap();
    let png = picture(dir.path());
    let png = png.to_str().unwrap();
    let mut failures = Vec::new();
    for levels in [200usize, 2_000, 100_000] {
        let name = format!("deep{levels}.dcm");
        std::fs::write(dir.path().join(&name), nested_file(levels)).unwrap();
        let out_png = format!("r{levels}.png");
        let out_dcm = format!("g{levels}.dcm");
        let commands: [Vec<&str>; 7] = [
            vec!["dump", &name],
            vec!["dump", "--format", "json", &name],
            vec!["dump", "--fields", "PatientName", &name],
            vec!["store-ecg", "--dry-run", &name],
            vec!["interpret", &name],
            vec!["render", "-o", &out_png, &name],
            vec!["generate", png, "-o", &out_dcm, "--template", &name],
        ];
        for args in &commands {
            let r = run(args, dir.path());
            let first_line = r.stderr.lines().next().unwrap_or("");
            if r.code != Some(6) || !first_line.contains(REASON) || !first_line.contains(&name) {
                failures.push(format!(
                    "{args:?}: exit {:?} signal {:?}, stderr {:?}",
                    r.code,
                    r.signal,
                    r.stderr.chars().take(300).collect::<String>()
                ));
            }
        }
        if dir.path().join(&out_dcm).exists() {
            failures.push(format!("generate wrote {out_dcm} from {name}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn nesting_within_the_limit_is_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("deep100.dcm"), nested_file(100)).unwrap();

    let r = run(&["dump", "deep100.dcm"], dir.path());
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("inner"), "innermost element missing");
    assert!(
        r.stdout.contains("Deep^Nest"),
        "element after the nesting missing"
    );
    // 100 sequences and their items: the shown indent is capped, rows stay short (they
    // were 400 spaces wide and more, the output growing with the square of the depth).
    let widest = r
        .stdout
        .lines()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);
    assert!(widest < 200, "a row is {widest} characters wide");
    assert!(
        r.stdout.contains("[200] (0010,0020)"),
        "deep rows name their depth"
    );

    let r = run(&["dump", "--format", "json", "deep100.dcm"], dir.path());
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    // 100 sequence levels are 300 JSON levels: more than serde_json parses by default (128),
    // so the nesting is checked on the text.
    assert_eq!(r.stdout.matches("\"00081110\"").count(), 100);
    let inner = r.stdout.find("\"inner\"").expect("innermost value missing");
    let last_sequence = r.stdout.rfind("\"00081110\"").unwrap_or(usize::MAX);
    assert!(
        last_sequence < inner,
        "the innermost value is not inside the sequences"
    );
    assert!(r.stdout.contains("\"Deep^Nest\""));
    assert!(r.stdout.trim_end().ends_with('}'));
}

#[test]
fn a_too_deep_file_in_a_batch_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    std::fs::create_dir(&files).unwrap();
    std::fs::write(files.join("a100.dcm"), nested_file(100)).unwrap();
    std::fs::write(files.join("b2000.dcm"), nested_file(2_000)).unwrap();
    for format in ["csv", "ndjson"] {
        let r = run(&["dump", "--format", format, "files"], dir.path());
        assert_eq!(r.code, Some(4), "{format}: {}", r.stderr);
        let complaints: Vec<&str> = r.stderr.lines().filter(|l| l.contains(REASON)).collect();
        assert_eq!(complaints.len(), 1, "{format}: {}", r.stderr);
        assert!(
            complaints.iter().all(|l| l.contains("b2000.dcm")),
            "{}",
            r.stderr
        );
        assert!(
            r.stdout.contains("Deep^Nest"),
            "{format}: a100.dcm not listed"
        );
    }
}

#[test]
fn the_limit_is_documented_where_users_look() {
    // The number in README, the help and the error text is the constant's.
    assert_eq!(dicomkit::dicom::MAX_DEPTH, 128);
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    assert!(readme.contains("## Limits"), "README has no Limits section");
    assert!(readme.contains("| sequence nesting depth | 128 levels (`dicomkit::dicom::MAX_DEPTH`"));
    let help = common::dicomkit()
        .args(["dump", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("Limits:") && help.contains(REASON), "{help}");
}
