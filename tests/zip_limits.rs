//! Zip bombs (issue 14, item 2): members are inflated one at a time within the documented
//! limits (`DICOMKIT_ZIP_MEMBER_MAX`, `DICOMKIT_ZIP_BUDGET`, the compression-ratio check), so a
//! small archive of huge zero-filled members ends with a per-member reason and exit 6 under a
//! 2 GiB address-space limit — never the limit, a signal or the OOM killer. Before the limits,
//! every member of a chunk was inflated at once (this archive needs about 1.8 GB).

mod common;

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use common::limited;

const MIB: usize = 1 << 20;

/// A zip of deflated zero-filled members (sizes in MiB) and a README.
fn bomb(path: &Path, members: &[(&str, usize)]) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    let block = vec![0u8; MIB];
    for (name, mib) in members {
        z.start_file(*name, opts).unwrap();
        for _ in 0..*mib {
            z.write_all(&block).unwrap();
        }
    }
    z.start_file("readme.txt", opts).unwrap();
    z.write_all(b"Scans of the study; see the report.\n")
        .unwrap();
    z.finish().unwrap();
}

/// Run dicomkit under a 2 GiB address-space limit and a wall-clock bound.
fn run_limited(args: &[&str]) -> (Option<i32>, String, Duration) {
    let r = limited::run(args, None, &[], limited::Limits::new(2 << 30, 120));
    (r.code, r.text(), r.took)
}

#[test]
fn zip_bombs_are_refused_per_member_within_the_memory_budget() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("bomb.zip");
    // Two members above the 512 MiB member limit, two below it that deflate past 1000:1.
    bomb(
        &zip,
        &[
            ("a.dcm", 600),
            ("b.dcm", 300),
            ("c.dcm", 600),
            ("d.dcm", 300),
        ],
    );
    assert!(std::fs::metadata(&zip).unwrap().len() < 4 << 20);
    let zip = zip.to_str().unwrap();
    let out_dir = dir.path().join("out");
    let out_dir = out_dir.to_str().unwrap();
    for args in [
        vec!["dump", zip],
        vec!["render", zip, "-o", out_dir],
        vec!["store-ecg", "--dry-run", zip],
    ] {
        let (code, text, took) = run_limited(&args);
        assert_eq!(code, Some(6), "{args:?}: {text}");
        assert!(took < Duration::from_secs(100), "{args:?} took {took:?}");
        for big in ["a.dcm", "c.dcm"] {
            let line = text
                .lines()
                .find(|l| l.contains(&format!("bomb.zip!{big}")))
                .unwrap_or_else(|| panic!("{args:?}: no line for {big}: {text}"));
            assert!(line.contains("DICOMKIT_ZIP_MEMBER_MAX"), "{args:?}: {line}");
        }
        for small in ["b.dcm", "d.dcm"] {
            let line = text
                .lines()
                .find(|l| l.contains(&format!("bomb.zip!{small}")))
                .unwrap_or_else(|| panic!("{args:?}: no line for {small}: {text}"));
            assert!(line.contains("zip bomb"), "{args:?}: {line}");
        }
        // The README is skipped as in a folder walk, not a failure.
        assert!(!text.contains("readme.txt"), "{args:?}: {text}");
    }
}

#[test]
fn render_reads_images_from_zip_members_and_skips_a_readme() {
    let sample = Path::new("../shared/samples/dicom-images/693_J2KI.dcm");
    assert!(sample.is_file(), "sample missing: {}", sample.display());
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("study.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&zip).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    z.start_file("img/a.dcm", opts).unwrap();
    z.write_all(&std::fs::read(sample).unwrap()).unwrap();
    z.start_file("readme.txt", opts).unwrap();
    z.write_all(b"Scans of the study.\n").unwrap();
    z.finish().unwrap();
    let out = dir.path().join("out");
    let (code, text, _) =
        run_limited(&["render", zip.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{text}");
    assert!(out.join("a.png").is_file(), "{text}");
    assert!(!text.contains("readme.txt"), "{text}");
}
