//! `completions/` and `man/` are generated from the clap definitions and committed. This test
//! fails when they are stale; `DICOMKIT_REGENERATE=1 cargo test --test generated` rewrites them.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            out.insert(name, fs::read(e.path()).unwrap_or_default());
        }
    }
    out
}

#[test]
fn completions_and_man_pages_are_fresh() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    dicomkit::cli::generate_completions(&tmp.path().join("completions")).unwrap();
    dicomkit::cli::generate_man_pages(&tmp.path().join("man")).unwrap();

    let mut stale = Vec::new();
    for dir in ["completions", "man"] {
        let fresh = files(&tmp.path().join(dir));
        assert!(
            fresh.len() >= 2,
            "{dir}: generation produced {} files",
            fresh.len()
        );
        if std::env::var_os("DICOMKIT_REGENERATE").is_some() {
            let _ = fs::remove_dir_all(root.join(dir));
            fs::create_dir_all(root.join(dir)).unwrap();
            for (name, bytes) in &fresh {
                fs::write(root.join(dir).join(name), bytes).unwrap();
            }
            continue;
        }
        let committed = files(&root.join(dir));
        for (name, bytes) in &fresh {
            if committed.get(name) != Some(bytes) {
                stale.push(format!("{dir}/{name}"));
            }
        }
        for name in committed.keys().filter(|n| !fresh.contains_key(*n)) {
            stale.push(format!("{dir}/{name} (no longer generated)"));
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files: {stale:?}; run DICOMKIT_REGENERATE=1 cargo test --test generated"
    );
}

#[test]
fn every_subcommand_has_a_man_page() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cmd = dicomkit::cli::command();
    assert!(root.join("man/dicomkit.1").is_file());
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let page = root.join(format!("man/dicomkit-{}.1", sub.get_name()));
        assert!(page.is_file(), "{} missing", page.display());
    }
}

#[test]
fn the_command_line_definition_is_consistent() {
    // clap checks (unique short options, valid groups...) that otherwise only fire at run time
    // in debug builds, per subcommand.
    dicomkit::cli::command().debug_assert();
}
