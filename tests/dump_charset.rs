//! Specific Character Set oracle: for every `chr*.dcm` sample, the text values of `dicomkit dump
//! --format json` (DICOM JSON model) equal pydicom's decoded strings (`Dataset.to_json_dict`),
//! element by element, sequences included.

mod common;

use serde_json::Value;

/// VRs whose text is decoded with the declared character sets.
const TEXT_VRS: [&str; 7] = ["PN", "LO", "SH", "ST", "LT", "UT", "UC"];

fn compare(
    file: &str,
    path: &str,
    ours: &Value,
    theirs: &Value,
    checked: &mut usize,
    diffs: &mut Vec<String>,
) {
    let (Some(ours), Some(theirs)) = (ours.as_object(), theirs.as_object()) else {
        diffs.push(format!("{file} {path}: not an object"));
        return;
    };
    for (tag, t) in theirs {
        let vr = t["vr"].as_str().unwrap_or("");
        if tag.ends_with("0000") {
            continue; // group lengths: the JSON model leaves them out (PS3.18 F.2), pydicom keeps them
        }
        let Some(o) = ours.get(tag) else {
            if tag.starts_with("0002") {
                continue; // pydicom's to_json_dict leaves the file meta out
            }
            diffs.push(format!("{file} {path}{tag}: missing in dicomkit"));
            continue;
        };
        let private = u16::from_str_radix(&tag[..4], 16).is_ok_and(|g| g % 2 == 1);
        if private && o["vr"] == "UN" {
            // Private elements stored as UN: pydicom gives them a VR from its private dictionary
            // (e.g. AGFA SH); dicomkit, like dcmdump, keeps the VR the file has.
            continue;
        }
        if vr == "SQ" {
            let empty = Vec::new();
            let ti = t["Value"].as_array().unwrap_or(&empty);
            let oi = o["Value"].as_array().unwrap_or(&empty);
            if ti.len() != oi.len() {
                diffs.push(format!(
                    "{file} {path}{tag}: {} items vs pydicom {}",
                    oi.len(),
                    ti.len()
                ));
            }
            for (n, (a, b)) in oi.iter().zip(ti).enumerate() {
                compare(file, &format!("{path}{tag}[{n}]."), a, b, checked, diffs);
            }
        } else if TEXT_VRS.contains(&vr) {
            *checked += 1;
            if o["Value"] != t["Value"] {
                diffs.push(format!(
                    "{file} {path}{tag} {vr}: dicomkit {} vs pydicom {}",
                    o["Value"], t["Value"]
                ));
            }
        }
    }
}

#[test]
fn text_values_equal_pydicom() {
    let dir = common::samples().join("dicom-images");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("chr") && n.ends_with(".dcm"))
        })
        .collect();
    files.sort();
    assert!(files.len() >= 6, "chr*.dcm samples: {files:?}");

    let script = "import json, sys, pydicom\n\
                  out = {}\n\
                  for f in sys.argv[1:]:\n    out[f] = pydicom.dcmread(f).to_json_dict()\n\
                  print(json.dumps(out))";
    let out = common::python()
        .arg("-c")
        .arg(script)
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pydicom: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: Value = serde_json::from_slice(&out.stdout).unwrap();

    let mut diffs = Vec::new();
    let mut checked = 0;
    for f in &files {
        let out = common::dicomkit()
            .args(["dump", "--format", "json"])
            .arg(f)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            f.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let ours: Value = serde_json::from_slice(&out.stdout).unwrap();
        let key = f.to_str().unwrap();
        compare(key, "", &ours, &theirs[key], &mut checked, &mut diffs);
    }
    assert!(checked >= 30, "only {checked} text values compared");
    assert!(
        diffs.is_empty(),
        "{} differences from pydicom:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}
