//! Tests of the network test fixture itself (tests/common/pacs.rs), with DCMTK tools only:
//! the peers start, hold the seeded studies, move to each other, and leave nothing behind.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::io::{ErrorKind, Read};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::pacs::{HOST, Node, Pacs, SilentPeer, peer_command, pid_alive};

const AET: &str = "FIXTURETEST";

fn run(cmd: &mut Command) -> Output {
    let out = cmd.stdin(Stdio::null()).output().expect("DCMTK tool runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// StudyInstanceUIDs answered by a study-root STUDY-level C-FIND for one patient.
fn find_studies(node: &Node, patient_id: &str) -> BTreeSet<String> {
    let out = run(peer_command("findscu")
        .args(["-S", "-v", "-aet", AET, "-aec", &node.aet, HOST])
        .arg(node.port.to_string())
        .args(["-k", "QueryRetrieveLevel=STUDY"])
        .args(["-k", &format!("PatientID={patient_id}")])
        .args(["-k", "StudyInstanceUID"]));
    let log = String::from_utf8_lossy(&out.stderr).replace('\0', "");
    let uids: Vec<String> = log
        .lines()
        .filter(|l| l.contains("(0020,000d) UI ["))
        .filter_map(|l| Some(l.split('[').nth(1)?.split(']').next()?.trim().to_string()))
        .collect();
    let responses = log.matches("(Pending)").count();
    assert_eq!(
        responses,
        uids.len(),
        "one StudyInstanceUID per pending response:\n{log}"
    );
    uids.into_iter().collect()
}

fn move_study(from: &Node, to_aet: &str, study_uid: &str) {
    run(peer_command("movescu")
        .args(["-S", "-aet", AET, "-aec", &from.aet, "-aem", to_aet, HOST])
        .arg(from.port.to_string())
        .args(["-k", "QueryRetrieveLevel=STUDY"])
        .args(["-k", &format!("StudyInstanceUID={study_uid}")]));
}

/// The data set of a DICOM file: what follows the File Meta Information.
fn dataset(path: &Path) -> Vec<u8> {
    let bytes = fs::read(path).unwrap();
    assert_eq!(&bytes[128..132], b"DICM", "{}", path.display());
    assert_eq!(&bytes[132..136], &[2, 0, 0, 0], "group length first");
    let len = u32::from_le_bytes(bytes[140..144].try_into().unwrap()) as usize;
    bytes[144 + len..].to_vec()
}

/// The files storescp wrote, by SOPInstanceUID (storescp names them `MOD.<uid>.dcm`).
fn received(dir: &Path) -> Vec<(String, std::path::PathBuf)> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let name = p.file_name().unwrap().to_str().unwrap().to_string();
            let uid = name.split_once('.').unwrap().1.trim_end_matches(".dcm");
            (uid.to_string(), p)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn pacs_starts_seeded_moves_and_leaves_nothing_behind() {
    let t0 = Instant::now();
    let pacs = Pacs::start();
    let started = t0.elapsed();
    eprintln!(
        "Pacs::start (4 peers, {} instances into Orthanc and dcmqrscp): {} ms",
        pacs.seed.files.len(),
        started.as_millis()
    );

    // Seed shape: what the network tests rely on.
    let seed = &pacs.seed;
    assert!(seed.patients.len() >= 4);
    assert!(seed.patients.iter().any(|p| !p.name.is_ascii()));
    let pat1 = seed.studies_of("PAT001");
    assert!(pat1.len() >= 6);
    let years: BTreeSet<&str> = pat1.iter().map(|s| &s.date[..4]).collect();
    let span: i32 = years.last().unwrap().parse::<i32>().unwrap()
        - years.first().unwrap().parse::<i32>().unwrap();
    assert!(span >= 8, "PAT001 studies span {span} years");
    let stamps: BTreeSet<String> = seed
        .studies
        .iter()
        .map(|s| format!("{}{}", s.date, s.time))
        .collect();
    assert_eq!(stamps.len(), seed.studies.len(), "distinct date+time");
    assert!(
        seed.studies
            .iter()
            .any(|s| s.modalities == ["CT", "MR"] && s.instances.len() >= 3)
    );
    assert!(seed.studies.iter().any(|s| s.modalities == ["ECG"]));
    let n_files: usize = seed.studies.iter().map(|s| s.instances.len()).sum();
    assert_eq!(n_files, seed.files.len());
    assert_eq!(pacs.orthanc_instance_count(), n_files);

    // C-FIND: Orthanc and dcmqrscp both answer every PAT001 study.
    let expected: BTreeSet<String> = pat1.iter().map(|s| s.study_uid.clone()).collect();
    assert_eq!(find_studies(&pacs.orthanc, "PAT001"), expected, "Orthanc");
    assert_eq!(find_studies(&pacs.qrscp, "PAT001"), expected, "dcmqrscp");

    // C-MOVE Orthanc -> STORESCP: the files arrive, data sets identical to the seed files.
    let multi = seed.study("ACC0103");
    move_study(&pacs.orthanc, &pacs.storescp.aet, &multi.study_uid);
    let got = received(&pacs.storescp_dir);
    let mut want: Vec<&str> = multi
        .instances
        .iter()
        .map(|i| i.sop_instance.as_str())
        .collect();
    want.sort();
    assert_eq!(
        got.iter().map(|(u, _)| u.as_str()).collect::<Vec<_>>(),
        want
    );
    for (uid, path) in &got {
        let inst = seed.instance(uid).unwrap();
        assert!(
            dataset(path) == dataset(&inst.file),
            "{} differs from {}",
            path.display(),
            inst.file.display()
        );
    }

    // C-MOVE dcmqrscp -> STORESCP too (its HostTable), an ECG study.
    let ecg = seed.study("ACC0105");
    move_study(&pacs.qrscp, &pacs.storescp.aet, &ecg.study_uid);
    let inst = &ecg.instances[0];
    let (_, path) = received(&pacs.storescp_dir)
        .into_iter()
        .find(|(u, _)| *u == inst.sop_instance)
        .expect("ECG moved from dcmqrscp");
    assert!(
        dataset(&path) == dataset(&inst.file),
        "ECG data set differs"
    );

    // Bulk seeding: two series of one BENCH001 study, Orthanc only.
    let t1 = Instant::now();
    let bulk = pacs.seed_bulk(260);
    eprintln!("seed_bulk(260): {} ms", t1.elapsed().as_millis());
    assert_eq!(pacs.orthanc_instance_count(), n_files + 260);
    assert_eq!(
        find_studies(&pacs.orthanc, "BENCH001"),
        BTreeSet::from([bulk.clone()])
    );
    assert!(find_studies(&pacs.qrscp, "BENCH001").is_empty());

    // A C-MOVE from dcmqrscp to DICOMKIT (self_node) where a silent listener hangs: the forked
    // dcmqrscp child is alive, connected to us, when the fixture is dropped.
    let listener = TcpListener::bind((HOST, pacs.self_node.port)).expect("self_node port free");
    listener.set_nonblocking(true).unwrap();
    let mut mover = peer_command("movescu")
        .args(["-S", "-aet", AET, "-aec", &pacs.qrscp.aet, "-aem"])
        .arg(&pacs.self_node.aet)
        .arg(HOST)
        .arg(pacs.qrscp.port.to_string())
        .args(["-k", "QueryRetrieveLevel=STUDY"])
        .args(["-k", &format!("StudyInstanceUID={}", multi.study_uid)])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let _conn = loop {
        match listener.accept() {
            Ok((s, _)) => break s,
            Err(e) if e.kind() == ErrorKind::WouldBlock && Instant::now() < deadline => {
                thread::sleep(Duration::from_millis(10))
            }
            Err(e) => panic!("dcmqrscp never connected to self_node: {e}"),
        }
    };
    let pids = pacs.pids();
    let comm = |p: u32| fs::read_to_string(format!("/proc/{p}/comm")).unwrap_or_default();
    let qr = pids
        .iter()
        .filter(|&&p| comm(p).trim() == "dcmqrscp")
        .count();
    assert_eq!(qr, 2, "dcmqrscp and its forked child in {pids:?}");
    assert!(pids.iter().all(|&p| pid_alive(p)));
    let dir = pacs.dir.clone();
    let ports = [pacs.orthanc.port, pacs.storescp.port, pacs.qrscp.port];

    let t2 = Instant::now();
    drop(pacs);
    eprintln!("drop: {} ms", t2.elapsed().as_millis());
    let left: Vec<u32> = pids.iter().copied().filter(|&p| pid_alive(p)).collect();
    assert!(left.is_empty(), "processes left after drop: {left:?}");
    assert!(!dir.exists(), "{} not removed", dir.display());
    for port in ports {
        assert!(
            TcpStream::connect((HOST, port)).is_err(),
            "port {port} still open"
        );
    }
    let _ = mover.kill();
    let _ = mover.wait();
}

#[test]
fn silent_peer_accepts_and_never_answers() {
    let peer = SilentPeer::start();
    let mut s = TcpStream::connect((HOST, peer.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    std::io::Write::write_all(&mut s, b"\x01\x00\x00\x00\x00\x04abcd").unwrap();
    let mut buf = [0u8; 16];
    let t0 = Instant::now();
    match s.read(&mut buf) {
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        other => panic!("silent peer answered: {other:?}"),
    }
    assert!(t0.elapsed() >= Duration::from_millis(250));
    let deadline = Instant::now() + Duration::from_secs(2);
    while peer.accepted() == 0 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(peer.accepted(), 1);

    let port = peer.port;
    drop(peer);
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    match s.read(&mut buf) {
        Ok(0) => {}
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
        other => panic!("connection not closed by drop: {other:?}"),
    }
    assert!(TcpStream::connect((HOST, port)).is_err(), "still listening");
}
