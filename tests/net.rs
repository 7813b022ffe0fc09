//! `echo`, `find` and `move` against real peers started by the tests on 127.0.0.1: Orthanc as
//! the PACS, DCMTK storescp as destinations, dcmqrscp as a second PACS (tests/common/pacs.rs).

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use common::pacs::{Pacs, SilentPeer, free_port, peer_command};
use common::{csv_records as csv_rows, dicomkit};
use predicates::prelude::*;

fn run_csv(
    args: &[&str],
) -> (
    Option<i32>,
    Vec<std::collections::HashMap<String, String>>,
    String,
) {
    let out = dicomkit()
        .args(args)
        .args(["--format", "csv"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let rows = if stdout.is_empty() {
        Vec::new()
    } else {
        csv_rows(&stdout)
    };
    (
        out.status.code(),
        rows,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The data set bytes of a Part 10 file (after preamble, DICM and the meta group).
fn dataset_bytes(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[128..132], b"DICM", "{}", path.display());
    let mut pos = 132;
    while bytes[pos..pos + 2] == [0x02, 0x00] {
        let vr = &bytes[pos + 4..pos + 6];
        let (len, header) = if [b"OB", b"OW", b"UN", b"UT", b"SQ", b"UC", b"UR"]
            .iter()
            .any(|v| v.as_slice() == vr)
        {
            (
                u32::from_le_bytes(bytes[pos + 8..pos + 12].try_into().unwrap()) as usize,
                12,
            )
        } else {
            (
                u16::from_le_bytes(bytes[pos + 6..pos + 8].try_into().unwrap()) as usize,
                8,
            )
        };
        pos += header + len;
    }
    bytes[pos..].to_vec()
}

fn uids(rows: &[std::collections::HashMap<String, String>]) -> Vec<String> {
    rows.iter()
        .map(|r| r["study_instance_uid"].clone())
        .collect()
}

#[test]
fn echo_find_and_move_against_orthanc() {
    let pacs = Pacs::start();
    let o = pacs.orthanc.addr();

    // echo
    let (code, rows, err) = run_csv(&["echo", "--pacs", &o]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(rows[0]["peer"], o);
    assert_eq!(rows[0]["status"], "success");
    assert!(rows[0]["echo_ms"].parse::<f64>().unwrap() < 1000.0);

    // find by patient: every study, newest first, every default column.
    let seeded = pacs.seed.studies_of("PAT001");
    let (code, rows, err) = run_csv(&["find", "--pacs", &o, "--patient-id", "PAT001"]);
    assert_eq!(code, Some(0), "{err}");
    let mut expected: Vec<_> = seeded
        .iter()
        .map(|s| (s.date.clone(), s.time.clone(), s.study_uid.clone()))
        .collect();
    expected.sort();
    expected.reverse();
    assert_eq!(
        uids(&rows),
        expected.iter().map(|e| e.2.clone()).collect::<Vec<_>>(),
        "newest first"
    );
    let first = &rows[0];
    let newest = seeded
        .iter()
        .find(|s| s.study_uid == first["study_instance_uid"])
        .unwrap();
    assert_eq!(first["patient_name"], "DOE^JOHN");
    assert_eq!(first["patient_id"], "PAT001");
    assert_eq!(first["study_date"], newest.date);
    assert_eq!(first["study_time"], newest.time);
    assert_eq!(first["accession_number"], newest.accession);
    assert_eq!(first["study_description"], newest.description);
    assert_eq!(
        first["number_of_instances"],
        newest.instances.len().to_string()
    );
    assert_eq!(first["modalities_in_study"], newest.modalities.join("\\"));
    assert_eq!(
        rows.first().unwrap().keys().collect::<BTreeSet<_>>(),
        [
            "patient_name",
            "patient_id",
            "birth_date",
            "study_instance_uid",
            "study_description",
            "modalities_in_study",
            "study_date",
            "study_time",
            "accession_number",
            "referring_physician_name",
            "institution_name",
            "number_of_instances"
        ]
        .iter()
        .map(|s| s.to_string())
        .collect::<BTreeSet<_>>()
        .iter()
        .collect::<BTreeSet<_>>()
    );

    // Latin-1 names decoded.
    let (_, rows, _) = run_csv(&["find", "--pacs", &o, "--patient-id", "PAT003"]);
    assert_eq!(rows[0]["patient_name"], "MÜLLER^JÜRGEN");
    assert_eq!(rows[0]["study_description"], "CT SCHÄDEL");

    // Several modalities: one C-FIND, studies with any of them.
    let (_, rows, _) = run_csv(&[
        "find",
        "--pacs",
        &o,
        "--patient-id",
        "PAT001",
        "--modality",
        "CT,MR",
    ]);
    let want: BTreeSet<String> = seeded
        .iter()
        .filter(|s| s.modalities.iter().any(|m| m == "CT" || m == "MR"))
        .map(|s| s.study_uid.clone())
        .collect();
    assert_eq!(uids(&rows).into_iter().collect::<BTreeSet<_>>(), want);
    assert!(want.len() >= 4);
    let (_, rows, _) = run_csv(&["find", "--pacs", &o, "--patient-id", "PAT001", "-m", "ecg"]);
    assert_eq!(
        rows.len(),
        seeded.iter().filter(|s| s.modalities == ["ECG"]).count()
    );

    // Date window: the seed has 2 studies within 1 year, 4 within 5.
    let (_, rows, _) = run_csv(&[
        "find",
        "--pacs",
        &o,
        "--patient-id",
        "PAT001",
        "--max-years-old",
        "1",
    ]);
    assert_eq!(rows.len(), 2);
    let (_, rows, _) = run_csv(&[
        "find",
        "--pacs",
        &o,
        "--patient-id",
        "PAT001",
        "--max-years-old",
        "5",
    ]);
    assert_eq!(rows.len(), 4);

    // max-results: the N most recent.
    let (_, rows, _) = run_csv(&[
        "find",
        "--pacs",
        &o,
        "--patient-id",
        "PAT001",
        "--max-results",
        "3",
    ]);
    assert_eq!(
        uids(&rows),
        expected
            .iter()
            .take(3)
            .map(|e| e.2.clone())
            .collect::<Vec<_>>()
    );
    let (_, rows, _) = run_csv(&[
        "find",
        "--pacs",
        &o,
        "--patient-id",
        "PAT001",
        "--modality",
        "CT",
        "--max-years-old",
        "5",
        "--max-results",
        "1",
    ]);
    assert_eq!(rows.len(), 1);

    // Extra keys: a matching key and a return key (its column).
    let (code, rows, err) = run_csv(&[
        "find",
        "--pacs",
        &o,
        "--patient-id",
        "PAT001",
        "-k",
        "AccessionNumber=ACC0102",
        "-k",
        "StudyID",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["accession_number"], "ACC0102");
    assert_eq!(rows[0]["study_id"], "S102");
    // Another level.
    let study = pacs.seed.study("ACC0103");
    let (code, rows, err) = run_csv(&[
        "find",
        "--pacs",
        &o,
        "--level",
        "series",
        "-k",
        &format!("StudyInstanceUID={}", study.study_uid),
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        rows.len(),
        study
            .instances
            .iter()
            .map(|i| &i.series_uid)
            .collect::<BTreeSet<_>>()
            .len()
    );

    // No match: exit 3.
    dicomkit()
        .args(["find", "--pacs", &o, "--patient-id", "NOBODY"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("no study matched"));

    // The same query through findscu gives the same studies.
    let tmp = tempfile::tempdir().unwrap();
    let status = peer_command("findscu")
        .args(["-S", "-aet", "ORACLE", "-aec", "ORTHANC", "-X", "-od"])
        .arg(tmp.path())
        .args([
            "-k",
            "QueryRetrieveLevel=STUDY",
            "-k",
            "PatientID=PAT001",
            "-k",
            "ModalitiesInStudy=CT\\MR",
            "-k",
            "StudyInstanceUID",
            "-k",
            "StudyDate",
            "-k",
            "AccessionNumber",
        ])
        .args([&pacs.orthanc.host, &pacs.orthanc.port.to_string()])
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let mut theirs = BTreeSet::new();
    for f in std::fs::read_dir(tmp.path()).unwrap().flatten() {
        let out = peer_command("dcmdump")
            .args([
                "-q",
                "+P",
                "0020,000d",
                "+P",
                "0008,0020",
                "+P",
                "0008,0050",
            ])
            .arg(f.path())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let vals: Vec<String> = text
            .lines()
            .filter_map(|l| {
                Some(
                    l.split_once('[')?
                        .1
                        .split_once(']')?
                        .0
                        .trim_end_matches('\0')
                        .to_owned(),
                )
            })
            .collect();
        theirs.insert(vals);
    }
    let (_, rows, _) = run_csv(&[
        "find",
        "--pacs",
        &o,
        "--patient-id",
        "PAT001",
        "--modality",
        "CT,MR",
    ]);
    let ours: BTreeSet<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r["study_date"].clone(),
                r["accession_number"].clone(),
                r["study_instance_uid"].clone(),
            ]
        })
        .collect();
    let theirs: BTreeSet<Vec<String>> = theirs
        .into_iter()
        .map(|v| {
            let mut v = v;
            v.sort();
            v
        })
        .collect();
    let ours_sorted: BTreeSet<Vec<String>> = ours
        .into_iter()
        .map(|mut v| {
            v.sort();
            v
        })
        .collect();
    assert_eq!(ours_sorted, theirs, "dicomkit find = findscu");

    // Move to a storescp destination: the files arrive, dcmdump reads them.
    let ecg = pacs.seed.study("ACC0105");
    let (code, rows, err) = run_csv(&[
        "move",
        "--pacs",
        &o,
        "--patient-id",
        "PAT001",
        "-k",
        "AccessionNumber=ACC0105",
        "--dest",
        "STORESCP",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["completed"], ecg.instances.len().to_string());
    assert_eq!(rows[0]["failed"], "0");
    assert_eq!(rows[0]["status"], "0x0000");
    let arrived: Vec<_> = std::fs::read_dir(&pacs.storescp_dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(arrived.len(), ecg.instances.len());
    for f in &arrived {
        let out = peer_command("dcmdump")
            .args(["-q", "+P", "0008,0018"])
            .arg(f)
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            ecg.instances.iter().any(|i| text.contains(&i.sop_instance)),
            "{text}"
        );
    }

    // Move to self: every instance of the patient's CT/MR studies, identical to the sources.
    let dir = tempfile::tempdir().unwrap();
    let (code, rows, err) = run_csv(&[
        "move",
        "--pacs",
        &o,
        "--aet",
        &pacs.self_node.aet,
        "--patient-id",
        "PAT001",
        "--modality",
        "CT,MR",
        "--to-dir",
        dir.path().to_str().unwrap(),
        "--port",
        &pacs.self_node.port.to_string(),
        "--bind",
        "127.0.0.1",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let moved: Vec<_> = seeded
        .iter()
        .filter(|s| s.modalities.iter().any(|m| m == "CT" || m == "MR"))
        .flat_map(|s| &s.instances)
        .collect();
    let total: u32 = rows
        .iter()
        .map(|r| r["completed"].parse::<u32>().unwrap())
        .sum();
    assert_eq!(total as usize, moved.len());
    assert!(
        err.contains(&format!("{} file(s) written", moved.len())),
        "{err}"
    );
    for inst in &moved {
        let got = dir.path().join(format!("{}.dcm", inst.sop_instance));
        assert!(got.is_file(), "{} missing", got.display());
        assert_eq!(
            dataset_bytes(&got),
            dataset_bytes(&inst.file),
            "{} differs from its source",
            got.display()
        );
        let out = peer_command("dcmdump")
            .arg("-q")
            .arg(&got)
            .output()
            .unwrap();
        assert!(out.status.success(), "dcmdump reads {}", got.display());
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        moved.len(),
        "no temporary files left"
    );

    // Unknown destination: Orthanc says 0xC000, exit 5, the AE is named.
    dicomkit()
        .args([
            "move",
            "--pacs",
            &o,
            "--patient-id",
            "PAT002",
            "--dest",
            "NOSUCHAE",
        ])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("NOSUCHAE").and(predicate::str::contains("0xC000")));
    // Some studies refused by a destination (MR to a CT-only store): partial, exit 4.
    let (code, rows, err) = run_csv(&[
        "move",
        "--pacs",
        &o,
        "--patient-id",
        "PAT002",
        "--dest",
        "CTONLY",
    ]);
    assert_eq!(code, Some(4), "{err}");
    let ct = rows
        .iter()
        .find(|r| r["modalities_in_study"] == "CT")
        .unwrap();
    let mr = rows
        .iter()
        .find(|r| r["modalities_in_study"] == "MR")
        .unwrap();
    assert_eq!(
        (ct["status"].as_str(), ct["completed"].as_str()),
        ("0x0000", "1")
    );
    assert_eq!(
        (mr["status"].as_str(), mr["completed"].as_str()),
        ("0xC000", "0")
    );
}

#[test]
fn find_and_move_against_dcmqrscp() {
    let pacs = Pacs::start();
    let q = pacs.qrscp.addr();

    // dcmqrscp ignores ModalitiesInStudy: the filter still holds (series queried per study).
    let seeded = pacs.seed.studies_of("PAT001");
    let (code, rows, err) = run_csv(&[
        "find",
        "--pacs",
        &q,
        "--patient-id",
        "PAT001",
        "--modality",
        "ECG",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let want: BTreeSet<String> = seeded
        .iter()
        .filter(|s| s.modalities.contains(&"ECG".to_owned()))
        .map(|s| s.study_uid.clone())
        .collect();
    assert_eq!(uids(&rows).into_iter().collect::<BTreeSet<_>>(), want);
    assert!(rows.iter().all(|r| r["modalities_in_study"] == "ECG"));

    // Wrong called AE: dcmqrscp rejects, exit 5 with the reason.
    dicomkit()
        .args([
            "echo",
            "--pacs",
            &format!("WRONGAE@127.0.0.1:{}", pacs.qrscp.port),
        ])
        .assert()
        .code(5)
        .stderr(
            predicate::str::contains("rejected the association")
                .and(predicate::str::contains("called AE title not recognized")),
        );

    // Unknown destination: 0xA801, exit 5, the AE named, the hint given.
    dicomkit()
        .args([
            "move",
            "--pacs",
            &q,
            "--patient-id",
            "PAT001",
            "--dest",
            "NOSUCHAE",
        ])
        .assert()
        .code(5)
        .stderr(
            predicate::str::contains("0xA801")
                .and(predicate::str::contains("NOSUCHAE"))
                .and(predicate::str::contains("does not know")),
        );

    // Per-instance failures (MR refused by CTONLY): 0xB000, counts and failed UIDs right, exit 4.
    let mixed = pacs
        .seed
        .studies
        .iter()
        .find(|s| s.patient_id == "PAT001" && s.modalities.len() == 2)
        .unwrap();
    let (code, rows, err) = run_csv(&[
        "move",
        "--pacs",
        &q,
        "--patient-id",
        "PAT001",
        "-k",
        &format!("AccessionNumber={}", mixed.accession),
        "--dest",
        "CTONLY",
    ]);
    assert_eq!(code, Some(4), "{err}");
    let r = &rows[0];
    let cts: Vec<_> = mixed
        .instances
        .iter()
        .filter(|i| i.modality == "CT")
        .collect();
    let mrs: Vec<_> = mixed
        .instances
        .iter()
        .filter(|i| i.modality == "MR")
        .collect();
    assert_eq!(r["status"], "0xB000");
    assert_eq!(r["completed"], cts.len().to_string());
    assert_eq!(r["failed"], mrs.len().to_string());
    let failed: BTreeSet<&str> = r["failed_sop_instance_uids"].split('\\').collect();
    assert_eq!(
        failed,
        mrs.iter().map(|i| i.sop_instance.as_str()).collect()
    );
    assert_eq!(
        std::fs::read_dir(&pacs.ctonly_dir).unwrap().count(),
        cts.len()
    );
}

#[test]
fn unreachable_and_silent_peers_fail_fast() {
    // Nothing listening: exit 5 within 1 s.
    let port = free_port();
    let start = Instant::now();
    dicomkit()
        .args(["echo", "--pacs", &format!("NOBODY@127.0.0.1:{port}")])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("cannot connect"));
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );

    // A peer that accepts TCP and never answers: exit 5 within the timeout (+ margin).
    let silent = SilentPeer::start();
    let start = Instant::now();
    dicomkit()
        .args([
            "find",
            "--pacs",
            &format!("SILENT@127.0.0.1:{}", silent.port),
            "--patient-id",
            "X",
            "--acse-timeout",
            "1.5",
        ])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("no answer within 1.5 s"));
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(1400) && took < Duration::from_secs(4),
        "{took:?}"
    );
    // The timeouts also come from the environment.
    let start = Instant::now();
    dicomkit()
        .env("DICOMKIT_ACSE_TIMEOUT", "0.5")
        .env("DICOMKIT_PACS", format!("SILENT@127.0.0.1:{}", silent.port))
        .args(["echo"])
        .assert()
        .code(5);
    assert!(start.elapsed() < Duration::from_secs(3));
}

#[test]
fn invalid_input_exits_2_without_connecting() {
    let silent = SilentPeer::start();
    let p = silent.port;
    let cases: Vec<Vec<String>> = vec![
        vec![
            "echo".into(),
            "--pacs".into(),
            format!("THIS_AE_IS_TOO_LONG@127.0.0.1:{p}"),
        ],
        vec![
            "echo".into(),
            "--pacs".into(),
            format!("A\\B@127.0.0.1:{p}"),
        ],
        vec![
            "echo".into(),
            "--pacs".into(),
            format!("    @127.0.0.1:{p}"),
        ],
        vec!["echo".into(), "--pacs".into(), "AE@127.0.0.1:0".into()],
        vec!["echo".into(), "--pacs".into(), "AE@127.0.0.1:70000".into()],
        vec![
            "echo".into(),
            "--pacs".into(),
            format!("AE@127.0.0.1:{p}"),
            "--aet".into(),
            "BAD\u{7}AE".into(),
        ],
        vec![
            "echo".into(),
            "--pacs".into(),
            format!("AE@nosuchhost.invalid:{p}"),
        ],
        vec![
            "find".into(),
            "--pacs".into(),
            format!("AE@127.0.0.1:{p}"),
            "--patient-id".into(),
            "PAT*".into(),
        ],
        vec![
            "find".into(),
            "--pacs".into(),
            format!("AE@127.0.0.1:{p}"),
            "--patient-id".into(),
            "x".repeat(65),
        ],
        vec![
            "find".into(),
            "--pacs".into(),
            format!("AE@127.0.0.1:{p}"),
            "--patient-id".into(),
            "".into(),
        ],
        vec!["find".into(), "--pacs".into(), format!("AE@127.0.0.1:{p}")],
        vec![
            "find".into(),
            "--pacs".into(),
            format!("AE@127.0.0.1:{p}"),
            "--patient-id".into(),
            "P".into(),
            "-k".into(),
            "NoSuchKey=1".into(),
        ],
        vec![
            "find".into(),
            "--pacs".into(),
            format!("AE@127.0.0.1:{p}"),
            "--patient-id".into(),
            "P".into(),
            "--dimse-timeout".into(),
            "-1".into(),
        ],
        vec![
            "move".into(),
            "--pacs".into(),
            format!("AE@127.0.0.1:{p}"),
            "--patient-id".into(),
            "P".into(),
        ],
        vec![
            "move".into(),
            "--pacs".into(),
            format!("AE@127.0.0.1:{p}"),
            "--patient-id".into(),
            "P".into(),
            "--dest".into(),
            "BAD\\AE".into(),
        ],
        vec!["echo".into()],
    ];
    for args in &cases {
        let out = dicomkit()
            .args(args)
            .env_remove("DICOMKIT_PACS")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stderr.is_empty(), "{args:?}: a reason on stderr");
    }
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(
        silent.accepted(),
        0,
        "no connection may be attempted for invalid input"
    );
}

/// A peer that accepts the association, then never answers: the DIMSE timeout fires, and
/// dicomkit aborts the association as service user (A-ABORT source 0), which the peer sees.
#[test]
fn a_peer_that_goes_silent_after_association_times_out_and_is_aborted() {
    use dicom_ul::pdu::AbortRQSource;
    use dicom_ul::{Pdu, ServerAssociationOptions};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (socket, _) = listener.accept().unwrap();
        let mut assoc = ServerAssociationOptions::new()
            .accept_any()
            .ae_title("MUTE")
            .promiscuous(true)
            .establish(socket)
            .unwrap();
        // Read the C-FIND request, answer nothing; report what arrives next.
        socket_wait(&mut assoc)
    });
    fn socket_wait(
        assoc: &mut dicom_ul::ServerAssociation<std::net::TcpStream>,
    ) -> Option<AbortRQSource> {
        use dicom_ul::association::SyncAssociation;
        let _ = assoc
            .inner_stream()
            .set_read_timeout(Some(Duration::from_secs(10)));
        loop {
            match SyncAssociation::receive(assoc) {
                Ok(Pdu::AbortRQ { source }) => return Some(source),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }
    let start = Instant::now();
    dicomkit()
        .args([
            "find",
            "--pacs",
            &format!("MUTE@127.0.0.1:{port}"),
            "--patient-id",
            "X",
            "--dimse-timeout",
            "1",
        ])
        .assert()
        .code(5)
        .stderr(predicate::str::contains(
            "no answer within 1 s while waiting for a C-FIND response",
        ));
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(4),
        "{took:?}"
    );
    assert_eq!(
        server.join().unwrap(),
        Some(AbortRQSource::ServiceUser),
        "A-ABORT as service user"
    );
}
