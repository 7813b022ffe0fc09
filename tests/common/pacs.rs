//! Real DICOM peers on loopback for the network tests (the Rust twin of
//! `../shared/tools/pacs-harness.sh`).
//!
//! [`Pacs::start`] starts, each on its own free port and in its own temporary folder:
//!
//! | field        | AE title   | program                | role                                        |
//! |--------------|------------|------------------------|---------------------------------------------|
//! | `orthanc`    | `ORTHANC`  | Orthanc 1.10 (`orthanc`) | the PACS: C-ECHO / C-FIND / C-MOVE / C-GET / C-STORE; REST on `http` |
//! | `storescp`   | `STORESCP` | DCMTK `storescp`       | C-MOVE destination, files land in `storescp_dir` |
//! | `ctonly`     | `CTONLY`   | DCMTK `storescp`       | picky destination: CT Image Storage + Verification only, files in `ctonly_dir` |
//! | `qrscp`      | `DCMQRSCP` | DCMTK `dcmqrscp`       | a second, independent PACS (storage in `qrscp_dir`) |
//! | `self_node`  | `DICOMKIT` | nothing                | a reserved port registered as a move destination in Orthanc and dcmqrscp, for dicomkit's own SCP |
//!
//! Then it writes the [`Seed`] objects (4 patients, 11 studies, 16 instances: CT, MR, 12-lead
//! ECG) and C-STOREs all of them into Orthanc and dcmqrscp. Study dates are computed from
//! today's date, so `--max-years-old` tests do not rot (see [`Seed`]).
//!
//! Only 127.0.0.1 is ever contacted (the servers listen on all interfaces: neither Orthanc 1.10
//! nor DCMTK 3.6.7 has a bind-address option). Every peer runs with `TCP_NODELAY=1` in its
//! environment (without it DCMTK and Orthanc stall ~40 ms per DIMSE exchange on loopback).
//! Dropping the [`Pacs`] SIGKILLs every process (dcmqrscp's forked children too) and deletes
//! the folder; set `DICOMKIT_PACS_KEEP=1` to keep the folder (logs, configs, storage) for
//! debugging. A watchdog shell does the same if the test process dies without dropping it
//! (SIGKILL, abort). Missing programs fail the test with the Debian package to install.
//!
//! Also here: [`free_port`], [`SilentPeer`] (accepts, never answers), [`peer_command`] (a DCMTK
//! tool with `TCP_NODELAY=1`), [`Pacs::seed_bulk`], [`Pacs::add_modality`], [`Pacs::pids`].
//! The seed files are canonical Explicit VR Little Endian: the data set of a file that went
//! through Orthanc or dcmqrscp to storescp is byte-identical to the seed file's (the File Meta
//! Information differs).
//!
//! Observed behaviour of the peers (Orthanc 1.10.1, DCMTK 3.6.7), see the harness for more:
//! - Orthanc C-FIND answers carry only the requested keys (+ SpecificCharacterSet,
//!   QueryRetrieveLevel, RetrieveAETitle); `ModalitiesInStudy=CT\MR` matches any of them.
//!   dcmqrscp ignores ModalitiesInStudy and NumberOfStudyRelatedInstances.
//! - Orthanc C-MOVE (synchronous): N-1 pending responses for N instances; any failure (unknown or
//!   dead destination, refused SOP class, no match) is 0xC000 with zero counts, nothing sent.
//!   dcmqrscp: N pending responses, unknown destination 0xA801, per-instance failures 0xB000
//!   with FailedSOPInstanceUIDList.
//! - Orthanc accepts any called AE (DicomCheckCalledAet=false); dcmqrscp rejects a wrong one.
#![allow(dead_code)]

use std::borrow::Cow;
use std::collections::HashSet;
use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The only host ever contacted.
pub const HOST: &str = "127.0.0.1";
/// The calling AE title the fixture itself uses (echoscu, storescu).
pub const FIXTURE_AET: &str = "FIXTURE";

/// One DICOM application entity on loopback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub aet: String,
    /// Always "127.0.0.1".
    pub host: String,
    pub port: u16,
}

impl Node {
    fn new(aet: &str, port: u16) -> Node {
        Node {
            aet: aet.to_string(),
            host: HOST.to_string(),
            port,
        }
    }

    /// `AET@127.0.0.1:PORT`, the form of dicomkit's `--pacs`.
    pub fn addr(&self) -> String {
        format!("{}@{}:{}", self.aet, self.host, self.port)
    }
}

// ------------------------------------------------------------------------------------- ports --

static TAKEN: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

/// A free loopback port, never the same twice in this process. Picked at random below the
/// kernel's ephemeral range (so outgoing connections do not take it meanwhile) and checked by
/// binding it on 127.0.0.1 (which fails too when a server listens on it on all interfaces).
pub fn free_port() -> u16 {
    let low = fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u32>().ok())
        .unwrap_or(32768);
    let (lo, hi) = if low > 12000 {
        (10000, low)
    } else {
        (low.max(1024), 65535)
    };
    let mut taken = TAKEN.lock().unwrap_or_else(|e| e.into_inner());
    let taken = taken.get_or_insert_with(HashSet::new);
    let mut seed = random_u64();
    for _ in 0..1000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let port = (lo + (seed % u64::from(hi - lo)) as u32) as u16;
        if taken.contains(&port) {
            continue;
        }
        if TcpListener::bind((HOST, port)).is_ok() {
            taken.insert(port);
            return port;
        }
    }
    panic!("no free loopback port found in {lo}..{hi}");
}

fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    h.write_u32(std::process::id());
    h.finish() | 1
}

// ---------------------------------------------------------------------------------- programs --

/// The path of a required program (PATH, then the sbin folders: Orthanc is /usr/sbin/Orthanc);
/// fails the test with the Debian package to install when it is missing.
pub fn program(name: &str, package: &str) -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(["/usr/sbin", "/usr/local/sbin", "/usr/bin"].map(PathBuf::from));
    dirs.into_iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("{name} not found: install the Debian package {package} (scripts/setup.sh does)")
        })
}

/// A DCMTK or Orthanc command with `TCP_NODELAY=1` in its environment.
pub fn peer_command(name: &str) -> Command {
    let package = if name == "Orthanc" {
        "orthanc"
    } else {
        "dcmtk"
    };
    let mut cmd = Command::new(program(name, package));
    cmd.env("TCP_NODELAY", "1");
    cmd
}

// --------------------------------------------------------------------------------- processes --

struct Proc {
    name: &'static str,
    child: Child,
    log: PathBuf,
    /// dcmqrscp forks one child per association.
    forks: bool,
}

#[derive(Default)]
struct Procs(Vec<Proc>);

fn stat_fields(pid: u32) -> Option<(char, u32)> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut it = rest.split(' ');
    let state = it.next()?.chars().next()?;
    let ppid = it.next()?.parse().ok()?;
    Some((state, ppid))
}

/// Whether `pid` is a running process (a zombie counts as gone).
pub fn pid_alive(pid: u32) -> bool {
    matches!(stat_fields(pid), Some((state, _)) if state != 'Z' && state != 'X')
}

fn children_of(pid: u32) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&p| matches!(stat_fields(p), Some((s, pp)) if pp == pid && s != 'Z'))
        .collect()
}

fn signal(sig: &str, pids: &[u32]) {
    if pids.is_empty() {
        return;
    }
    let list: Vec<String> = pids.iter().map(u32::to_string).collect();
    let _ = Command::new("sh")
        .arg("-c")
        .arg(format!("kill -s {sig} {} 2>/dev/null", list.join(" ")))
        .status();
}

fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read(path).unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

impl Procs {
    fn spawn(&mut self, name: &'static str, mut cmd: Command, log: PathBuf, forks: bool) {
        let out = fs::File::create(&log).unwrap();
        let err = out.try_clone().unwrap();
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({cmd:?}): {e}"));
        self.0.push(Proc {
            name,
            child,
            log,
            forks,
        });
    }

    /// A shell that SIGKILLs the peers when this test process is gone without dropping the
    /// [`Pacs`] (killed by a timeout, aborted) and deletes the folder: it waits for EOF on a
    /// pipe whose other end only this process holds (in the `Child`). Killed first on drop.
    fn spawn_watchdog(&mut self, dir: &Path) {
        let log = dir.join("watchdog.log");
        let child = Command::new("sh")
            .arg("-c")
            .arg(
                r#"read -r _
                dir=$1; shift
                for p in "$@"; do
                  kill -s STOP "$p"; pkill -KILL -P "$p"; kill -s KILL "$p"
                done 2>/dev/null
                sleep 0.2; [ -z "$dir" ] || rm -rf "$dir""#,
            )
            .arg("pacs-watchdog")
            .arg(if keep_dir() { Path::new("") } else { dir })
            .args(self.0.iter().map(|p| p.child.id().to_string()))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).unwrap())
            .spawn()
            .expect("sh");
        self.0.push(Proc {
            name: "watchdog",
            child,
            log,
            forks: false,
        });
    }

    fn get(&mut self, name: &str) -> &mut Proc {
        self.0.iter_mut().find(|p| p.name == name).unwrap()
    }

    fn pids(&self) -> Vec<u32> {
        let mut pids = Vec::new();
        for p in &self.0 {
            pids.push(p.child.id());
            if p.forks {
                pids.extend(children_of(p.child.id()));
            }
        }
        pids
    }

    /// SIGKILL everything (dcmqrscp is stopped first so it cannot fork while its children are
    /// collected), reap the direct children, wait until the forked ones are gone.
    fn kill_all(&mut self) {
        if let Some(w) = self.0.iter_mut().find(|p| p.name == "watchdog") {
            let _ = w.child.kill();
            let _ = w.child.wait();
        }
        let mut orphans = Vec::new();
        for p in &mut self.0 {
            let pid = p.child.id();
            if p.forks && matches!(p.child.try_wait(), Ok(None)) {
                signal("STOP", &[pid]);
                let kids = children_of(pid);
                signal("KILL", &kids);
                orphans.extend(kids);
            }
            let _ = p.child.kill();
        }
        for p in &mut self.0 {
            let _ = p.child.wait();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while orphans.iter().any(|&p| pid_alive(p)) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
        self.0.clear();
    }
}

impl Drop for Procs {
    fn drop(&mut self) {
        self.kill_all();
    }
}

// -------------------------------------------------------------------------------------- Pacs --

/// Running peers with seeded data; dropped = every process killed and the folder deleted.
pub struct Pacs {
    /// `ORTHANC`: the PACS (non-strict: any called AE, any calling AE may find/move/get/store).
    pub orthanc: Node,
    /// Orthanc's REST API, `http://127.0.0.1:PORT`.
    pub http: String,
    /// `STORESCP`: a DCMTK storescp writing `*.dcm` into `storescp_dir`.
    pub storescp: Node,
    pub storescp_dir: PathBuf,
    /// `CTONLY`: a storescp that accepts only CT Image Storage (and Verification).
    pub ctonly: Node,
    pub ctonly_dir: PathBuf,
    /// `DCMQRSCP`: DCMTK dcmqrscp, a second PACS (fork per association); its storage folder.
    pub qrscp: Node,
    pub qrscp_dir: PathBuf,
    /// `DICOMKIT` on a reserved free port: a move destination known to Orthanc (modality
    /// `dicomkit`) and dcmqrscp (HostTable `dicomkit`). Nothing listens there until a test starts
    /// dicomkit's own SCP on it.
    pub self_node: Node,
    /// What was C-STOREd into Orthanc and dcmqrscp.
    pub seed: Seed,
    /// The temporary folder: configs, `*.log` of every peer, storage, `seed/`.
    pub dir: PathBuf,
    procs: Procs,
    bulk_count: AtomicU32,
    tmp: Option<tempfile::TempDir>,
}

impl Pacs {
    /// Start Orthanc, storescp (STORESCP), storescp CT-only (CTONLY) and dcmqrscp (DCMQRSCP),
    /// each on a free port with `TCP_NODELAY=1`, wait until each answers C-ECHO, C-STORE the
    /// [`Seed`] into Orthanc and dcmqrscp, return. Panics with the peer's log tail on failure.
    ///
    /// A peer that exits while starting (most likely: another process took its port between
    /// [`free_port`] and its bind) makes it start over on new ports, up to 3 times.
    pub fn start() -> Pacs {
        for attempt in 1.. {
            match Pacs::try_start() {
                Ok(pacs) => return pacs,
                Err(e) if attempt < 3 => eprintln!("pacs fixture: {e}\nretrying on other ports"),
                Err(e) => panic!("{e}"),
            }
        }
        unreachable!()
    }

    fn try_start() -> Result<Pacs, String> {
        let orthanc_bin = program("Orthanc", "orthanc");
        for tool in ["storescp", "storescu", "echoscu", "dcmqrscp"] {
            program(tool, "dcmtk");
        }
        let tmp = tempfile::Builder::new()
            .prefix("dicomkit-pacs-")
            .tempdir()
            .expect("temporary folder");
        let dir = tmp.path().to_path_buf();
        let (oport, hport, sport, cport, qport, self_port) = (
            free_port(),
            free_port(),
            free_port(),
            free_port(),
            free_port(),
            free_port(),
        );
        let orthanc = Node::new("ORTHANC", oport);
        let storescp = Node::new("STORESCP", sport);
        let ctonly = Node::new("CTONLY", cport);
        let qrscp = Node::new("DCMQRSCP", qport);
        let self_node = Node::new("DICOMKIT", self_port);
        let storescp_dir = dir.join("storescp-in");
        let ctonly_dir = dir.join("ctonly-in");
        let qrscp_dir = dir.join("qrscp-db");
        let odir = dir.join("orthanc");
        for d in [&storescp_dir, &ctonly_dir, &qrscp_dir, &odir.join("db")] {
            fs::create_dir_all(d).unwrap();
        }
        let destinations = [&storescp, &ctonly, &qrscp, &self_node];
        fs::write(
            odir.join("orthanc.json"),
            orthanc_config(&odir, oport, hport, &destinations),
        )
        .unwrap();
        fs::write(
            dir.join("dcmqrscp.cfg"),
            qrscp_config(
                &qrscp_dir,
                qport,
                &[&storescp, &orthanc, &ctonly, &self_node],
            ),
        )
        .unwrap();
        fs::write(dir.join("ctonly.cfg"), CTONLY_CONFIG).unwrap();

        let mut procs = Procs::default();
        let mut cmd = Command::new(&orthanc_bin);
        cmd.env("TCP_NODELAY", "1")
            .arg("--no-jobs")
            .arg(odir.join("orthanc.json"));
        procs.spawn("Orthanc", cmd, dir.join("orthanc.log"), false);
        let mut cmd = peer_command("storescp");
        cmd.args(["-aet", "STORESCP", "-od"])
            .arg(&storescp_dir)
            .args(["-fe", ".dcm", "-dhl", &sport.to_string()]);
        procs.spawn("storescp", cmd, dir.join("storescp.log"), false);
        let mut cmd = peer_command("storescp");
        cmd.args(["-aet", "CTONLY", "-od"])
            .arg(&ctonly_dir)
            .args(["-fe", ".dcm", "-dhl", "-xf"])
            .arg(dir.join("ctonly.cfg"))
            .args(["CTOnly", &cport.to_string()]);
        procs.spawn("ctonly", cmd, dir.join("ctonly.log"), false);
        // Default fork-per-association mode: DCMTK 3.6.7's --single-process segfaults after
        // the first association.
        let mut cmd = peer_command("dcmqrscp");
        cmd.args(["-dhl", "-c"]).arg(dir.join("dcmqrscp.cfg"));
        procs.spawn("dcmqrscp", cmd, dir.join("dcmqrscp.log"), true);

        let seed = make_seed(&dir.join("seed"), today_days());

        procs.spawn_watchdog(&dir);

        wait_echo(&mut procs, "storescp", &storescp)?;
        wait_echo(&mut procs, "ctonly", &ctonly)?;
        wait_echo(&mut procs, "dcmqrscp", &qrscp)?;
        wait_echo(&mut procs, "Orthanc", &orthanc)?;
        let http = format!("http://{HOST}:{hport}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while http_request(hport, "GET", "/system", None).is_none() {
            check_alive(&mut procs, "Orthanc")?;
            assert!(
                Instant::now() < deadline,
                "Orthanc: no HTTP answer on port {hport}; orthanc.log:\n{}",
                tail(&dir.join("orthanc.log"), 20)
            );
            thread::sleep(Duration::from_millis(20));
        }
        // A peer that lost its port to another server dies, while C-ECHO reaches the other.
        for name in ["storescp", "ctonly", "dcmqrscp", "Orthanc"] {
            check_alive(&mut procs, name)?;
        }

        let files: Vec<&Path> = seed.files.iter().map(PathBuf::as_path).collect();
        let to_orthanc = storescu(&orthanc, &files, &dir);
        let to_qrscp = storescu(&qrscp, &files, &dir);
        finish_storescu(&mut procs, "Orthanc", to_orthanc);
        finish_storescu(&mut procs, "dcmqrscp", to_qrscp);

        let pacs = Pacs {
            orthanc,
            http,
            storescp,
            storescp_dir,
            ctonly,
            ctonly_dir,
            qrscp,
            qrscp_dir,
            self_node,
            seed,
            dir,
            procs,
            bulk_count: AtomicU32::new(0),
            tmp: Some(tmp),
        };
        let n = pacs.seed.files.len();
        let count = pacs.orthanc_instance_count();
        assert_eq!(
            count,
            n,
            "Orthanc holds {count} instances after seeding {n}; orthanc.log:\n{}",
            tail(&pacs.dir.join("orthanc.log"), 20)
        );
        let stored = fs::read_dir(&pacs.qrscp_dir)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name() != "index.dat")
            .count();
        assert_eq!(
            stored,
            n,
            "dcmqrscp holds {stored} files after seeding {n}; dcmqrscp.log:\n{}",
            tail(&pacs.dir.join("dcmqrscp.log"), 20)
        );
        Ok(pacs)
    }

    /// C-STORE `n` extra CT instances (64×64, 16 bit; series of 250) into Orthanc only: one new
    /// study of patient `BENCH001` (`BENCH^MARK`) per call, dated today. Returns its
    /// StudyInstanceUID. The files stay in `dir/bulk-K/part*/`.
    pub fn seed_bulk(&self, n: usize) -> String {
        let k = self.bulk_count.fetch_add(1, Ordering::SeqCst) + 1;
        let out = self.dir.join(format!("bulk-{k}"));
        fs::create_dir_all(&out).unwrap();
        let study_uid = format!("{BULK_ROOT}{k:03}");
        let date = civil(today_days());
        let before = self.orthanc_instance_count();
        let base = gradient(2 * 64 * 64, 0);
        // Two or more storescu associations in parallel: ~1.5x faster than one into Orthanc.
        let nparts = thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4));
        let parts: Vec<PathBuf> = (0..nparts.min(n.max(1)))
            .map(|j| out.join(format!("part{j}")))
            .collect();
        for p in &parts {
            fs::create_dir_all(p).unwrap();
        }
        for i in 0..n {
            let series = i / 250 + 1;
            let mut ds = Ds::default();
            ds.s(0x0008_0005, "CS", "ISO_IR 100")
                .s(0x0008_0008, "CS", "ORIGINAL\\PRIMARY\\AXIAL")
                .s(0x0008_0016, "UI", CT_IMAGE)
                .s(
                    0x0008_0018,
                    "UI",
                    &format!("{study_uid}{series:03}{:06}", i + 1),
                )
                .s(0x0008_0020, "DA", &date)
                .s(0x0008_0030, "TM", "120000")
                .s(0x0008_0050, "SH", &format!("BENCH{k}"))
                .s(0x0008_0060, "CS", "CT")
                .s(0x0008_0070, "LO", MANUFACTURER)
                .s(0x0008_0090, "PN", "")
                .s(0x0008_1030, "LO", "BULK CT")
                .s(0x0008_103e, "LO", &format!("BULK SERIES {series}"))
                .s(0x0010_0010, "PN", "BENCH^MARK")
                .s(0x0010_0020, "LO", "BENCH001")
                .s(0x0010_0030, "DA", "")
                .s(0x0010_0040, "CS", "O")
                .s(0x0020_000d, "UI", &study_uid)
                .s(0x0020_000e, "UI", &format!("{study_uid}{series:03}"))
                .s(0x0020_0010, "SH", &format!("B{k}"))
                .s(0x0020_0011, "IS", &series.to_string())
                .s(0x0020_0013, "IS", &(i + 1).to_string());
            let shift = (i % 4096) * 2;
            image_pixels(&mut ds, 64, 64, base[shift..shift + 64 * 64 * 2].to_vec());
            ds.write_file(&parts[i % parts.len()].join(format!("{:06}.dcm", i + 1)));
        }
        let runs: Vec<Child> = parts
            .iter()
            .map(|part| {
                peer_command("storescu")
                    .args(["-q", "-aet", FIXTURE_AET, "-aec", &self.orthanc.aet, "+sd"])
                    .args([HOST, &self.orthanc.port.to_string()])
                    .arg(part)
                    .stdin(Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let statuses: Vec<_> = runs.into_iter().map(|mut c| c.wait().unwrap()).collect();
        let ok = statuses.iter().all(|s| s.success());
        let count = self.orthanc_instance_count();
        assert!(
            ok && count == before + n,
            "bulk seed: storescu ok={ok}, Orthanc holds {count} instances, expected {}; \
             orthanc.log:\n{}",
            before + n,
            tail(&self.dir.join("orthanc.log"), 20)
        );
        study_uid
    }

    /// PIDs of every running peer process, dcmqrscp's forked children included.
    pub fn pids(&self) -> Vec<u32> {
        self.procs.pids()
    }

    /// The last `lines` lines of a peer's log: "orthanc", "storescp", "ctonly" or "dcmqrscp".
    pub fn log_tail(&self, peer: &str, lines: usize) -> String {
        tail(&self.dir.join(format!("{peer}.log")), lines)
    }

    /// GET on Orthanc's REST API: the body of a 2xx answer, else None.
    pub fn http_get(&self, path: &str) -> Option<String> {
        http_request(self.http_port(), "GET", path, None)
    }

    /// Register another C-MOVE destination `aet` at 127.0.0.1:`port` in Orthanc (REST; in
    /// memory only). dcmqrscp's HostTable cannot change while it runs.
    pub fn add_modality(&self, aet: &str, port: u16) {
        let body = format!(r#"{{"AET": "{aet}", "Host": "{HOST}", "Port": {port}}}"#);
        let path = format!("/modalities/{}", aet.to_lowercase());
        http_request(self.http_port(), "PUT", &path, Some(&body))
            .unwrap_or_else(|| panic!("Orthanc refused modality {aet}"));
    }

    /// Orthanc's CountInstances (REST /statistics).
    pub fn orthanc_instance_count(&self) -> usize {
        let stats = self.http_get("/statistics").expect("Orthanc /statistics");
        json_number(&stats, "CountInstances").expect("CountInstances in /statistics")
    }

    fn http_port(&self) -> u16 {
        self.http.rsplit(':').next().unwrap().parse().unwrap()
    }
}

impl Drop for Pacs {
    fn drop(&mut self) {
        self.procs.kill_all();
        if let Some(mut tmp) = self.tmp.take() {
            if keep_dir() {
                tmp.disable_cleanup(true);
                eprintln!("pacs fixture kept in {}", self.dir.display());
            }
            drop(tmp);
        }
    }
}

/// `DICOMKIT_PACS_KEEP` set (not empty, not 0): keep the folder for debugging.
fn keep_dir() -> bool {
    std::env::var_os("DICOMKIT_PACS_KEEP").is_some_and(|v| !v.is_empty() && v != "0")
}

fn check_alive(procs: &mut Procs, name: &str) -> Result<(), String> {
    let p = procs.get(name);
    match p.child.try_wait() {
        Ok(Some(status)) => Err(format!(
            "{name} exited ({status}) during start; {}:\n{}",
            p.log.display(),
            tail(&p.log, 20)
        )),
        _ => Ok(()),
    }
}

fn echo_ok(node: &Node) -> bool {
    peer_command("echoscu")
        .args([
            "-q",
            "-to",
            "2",
            "-ta",
            "5",
            "-td",
            "5",
            "-aet",
            FIXTURE_AET,
        ])
        .args(["-aec", &node.aet, HOST, &node.port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn wait_echo(procs: &mut Procs, name: &str, node: &Node) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !echo_ok(node) {
        check_alive(procs, name)?;
        if Instant::now() > deadline {
            let p = procs.get(name);
            panic!(
                "{name}: no C-ECHO answer at {} after 30 s; {}:\n{}",
                node.addr(),
                p.log.display(),
                tail(&p.log, 20)
            );
        }
        thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

fn storescu(to: &Node, files: &[&Path], dir: &Path) -> (Child, PathBuf, String) {
    let log = dir.join(format!("storescu-{}.log", to.aet.to_lowercase()));
    let out = fs::File::create(&log).unwrap();
    let child = peer_command("storescu")
        .args([
            "-aet",
            FIXTURE_AET,
            "-aec",
            &to.aet,
            HOST,
            &to.port.to_string(),
        ])
        .args(files)
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .expect("storescu");
    (child, log, to.addr())
}

fn finish_storescu(procs: &mut Procs, peer: &str, run: (Child, PathBuf, String)) {
    let (mut child, log, addr) = run;
    let status = child.wait().unwrap();
    let out = fs::read_to_string(&log).unwrap_or_default();
    let failed = out
        .lines()
        .any(|l| l.starts_with("E:") || l.starts_with("F:"));
    if !status.success() || failed {
        let plog = &procs.get(peer).log;
        panic!(
            "seeding {addr} failed ({status}):\n{out}\n{}:\n{}",
            plog.display(),
            tail(plog, 20)
        );
    }
}

/// A minimal HTTP/1.0 client for Orthanc's REST API on 127.0.0.1: the body of a 2xx answer.
fn http_request(port: u16, method: &str, path: &str, body: Option<&str>) -> Option<String> {
    let mut s = TcpStream::connect((HOST, port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let body = body.unwrap_or("");
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: {HOST}:{port}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).ok()?;
    let resp = String::from_utf8_lossy(&resp);
    let (head, body) = resp.split_once("\r\n\r\n")?;
    let code: u16 = head.split_whitespace().nth(1)?.parse().ok()?;
    (200..300).contains(&code).then(|| body.to_string())
}

fn json_number(json: &str, key: &str) -> Option<usize> {
    let at = json.find(&format!("\"{key}\""))?;
    let rest = json[at + key.len() + 2..].trim_start().strip_prefix(':')?;
    let digits: String = rest
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

// ----------------------------------------------------------------------------------- configs --

/// The harness's non-strict Orthanc config: one JSON file, no plugins, any called/calling AE.
fn orthanc_config(dir: &Path, dicom_port: u16, http_port: u16, modalities: &[&Node]) -> String {
    let db = dir.join("db");
    let db = db.to_str().unwrap();
    let mods: Vec<String> = modalities
        .iter()
        .map(|n| {
            format!(
                r#"    "{}": {{ "AET": "{}", "Host": "{}", "Port": {} }}"#,
                n.aet.to_lowercase(),
                n.aet,
                n.host,
                n.port
            )
        })
        .collect();
    format!(
        r#"{{
  "Name": "dicomkit-tests",
  "StorageDirectory": "{db}",
  "IndexDirectory": "{db}",
  "Plugins": [],
  "LuaScripts": [],
  "DicomServerEnabled": true,
  "DicomAet": "ORTHANC",
  "DicomPort": {dicom_port},
  "DicomCheckCalledAet": false,
  "DicomCheckModalityHost": false,
  "DicomAlwaysAllowEcho": true,
  "DicomAlwaysAllowStore": true,
  "DicomAlwaysAllowFind": true,
  "DicomAlwaysAllowFindWorklist": false,
  "DicomAlwaysAllowGet": true,
  "DicomAlwaysAllowMove": true,
  "UnknownSopClassAccepted": false,
  "StrictAetComparison": false,
  "SynchronousCMove": true,
  "DicomScuTimeout": 10,
  "DicomScpTimeout": 30,
  "DicomModalities": {{
{}
  }},
  "DicomModalitiesInDatabase": false,
  "HttpServerEnabled": true,
  "HttpPort": {http_port},
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false,
  "WebDavEnabled": false,
  "OrthancExplorerEnabled": false,
  "SaveJobs": false,
  "OverwriteInstances": true,
  "StableAge": 1,
  "SyncStorageArea": false
}}
"#,
        mods.join(",\n")
    )
}

fn qrscp_config(db: &Path, port: u16, hosts: &[&Node]) -> String {
    let hosts: Vec<String> = hosts
        .iter()
        .map(|n| {
            format!(
                "{:<9}= ({}, {}, {})",
                n.aet.to_lowercase(),
                n.aet,
                n.host,
                n.port
            )
        })
        .collect();
    format!(
        "# dcmqrscp config (see /usr/share/doc/dcmtk/examples/dcmqrscp.cfg)\n\
         NetworkTCPPort  = {port}\n\
         MaxPDUSize      = 16384\n\
         MaxAssociations = 16\n\n\
         HostTable BEGIN\n{}\nHostTable END\n\n\
         VendorTable BEGIN\nVendorTable END\n\n\
         # AE title   storage dir   access  quota (max studies, bytes/study)   peers\n\
         AETable BEGIN\n\
         DCMQRSCP     {}   RW  (200, 256mb)   ANY\n\
         AETable END\n",
        hosts.join("\n"),
        db.display()
    )
}

const CTONLY_CONFIG: &str = "[[TransferSyntaxes]]
[Uncompressed]
TransferSyntax1 = LittleEndianExplicit
TransferSyntax2 = LittleEndianImplicit

[[PresentationContexts]]
[CTOnly]
PresentationContext1 = CTImageStorage\\Uncompressed
PresentationContext2 = VerificationSOPClass\\Uncompressed

[[Profiles]]
[CTOnly]
PresentationContexts = CTOnly
";

// -------------------------------------------------------------------------------------- seed --

/// One seeded patient. `name` is the Unicode form; the files carry it in ISO_IR 100 (Latin-1).
#[derive(Clone, Debug)]
pub struct SeedPatient {
    pub id: String,
    pub name: String,
    pub birth_date: String,
    pub sex: String,
}

/// One seeded study. `date` is YYYYMMDD, `time` HHMMSS; `modalities` in series order, distinct.
#[derive(Clone, Debug)]
pub struct SeedStudy {
    pub patient_id: String,
    pub study_uid: String,
    pub date: String,
    pub time: String,
    pub accession: String,
    pub description: String,
    pub modalities: Vec<String>,
    pub instances: Vec<SeedInstance>,
}

/// One seeded instance and its file (Explicit VR Little Endian, in `Pacs::dir/seed/`).
#[derive(Clone, Debug)]
pub struct SeedInstance {
    pub sop_class: String,
    pub sop_instance: String,
    pub series_uid: String,
    pub modality: String,
    pub file: PathBuf,
}

/// What [`Pacs::start`] C-STOREs into Orthanc and dcmqrscp. All files have
/// SpecificCharacterSet `ISO_IR 100`.
///
/// | patient | name | studies: days before today (≈ years) HHMMSS modality×instances |
/// |---|---|---|
/// | PAT001 | DOE^JOHN | 4930 (13.5) 081500 CT×2 · 3470 (9.5) 142000 MR×1 · 2375 (6.5) 101010 CT×3 + MR×2 (two series, "CT MR ABDOMEN") · 1640 (4.5) 160500 MR×1 · 910 (2.5) 093000 ECG×1 · 90 113000 CT×1 · 30 074500 ECG×1 |
/// | PAT002 | ROE^JANE | 2010 (5.5) 120000 MR×1 · 270 154500 CT×1 |
/// | PAT003 | MÜLLER^JÜRGEN | 950 (2.6) 071500 CT×1 ("CT SCHÄDEL") |
/// | PAT004 | SMITH^ANNA | 200 133000 ECG×1 |
///
/// Dates are today (UTC, at seed time) minus those days, so PAT001 has 7 studies over ~13.5
/// years: 2 within 1 or 2 years, 3 within 3 or 4, 4 within 5 or 6, 5 within 7..9, 6 within
/// 10..13, 7 in all; every study is at least 3 months from a whole-year boundary. Study times
/// are all distinct; accession numbers are `ACC<patient><study>` (ACC0101..ACC0107, ACC0201,
/// ACC0202, ACC0301, ACC0401), in date order per patient; StudyID `S<p><ss>`.
/// 16 instances: CT 8, MR 5, ECG 3.
/// ECG = 12-lead ECG Waveform Storage, 12 channels, 500 Hz, 2 s.
#[derive(Clone, Debug)]
pub struct Seed {
    pub patients: Vec<SeedPatient>,
    pub studies: Vec<SeedStudy>,
    /// Every seeded instance file.
    pub files: Vec<PathBuf>,
}

impl Seed {
    /// The studies of one patient, in seeding order (oldest first).
    pub fn studies_of(&self, patient_id: &str) -> Vec<&SeedStudy> {
        self.studies
            .iter()
            .filter(|s| s.patient_id == patient_id)
            .collect()
    }

    /// The study with this accession number.
    pub fn study(&self, accession: &str) -> &SeedStudy {
        self.studies
            .iter()
            .find(|s| s.accession == accession)
            .unwrap_or_else(|| panic!("no seeded study {accession}"))
    }

    /// The seeded instance with this SOPInstanceUID.
    pub fn instance(&self, sop_instance: &str) -> Option<&SeedInstance> {
        self.studies
            .iter()
            .flat_map(|s| &s.instances)
            .find(|i| i.sop_instance == sop_instance)
    }
}

const SEED_ROOT: &str = "2.25.917263481";
const BULK_ROOT: &str = "2.25.917263482";
const MANUFACTURER: &str = "DICOMKIT-TESTS";
const CT_IMAGE: &str = "1.2.840.10008.5.1.4.1.1.2";
const MR_IMAGE: &str = "1.2.840.10008.5.1.4.1.1.4";
const ECG_12_LEAD: &str = "1.2.840.10008.5.1.4.1.1.9.1.1";

const PATIENTS: [(&str, &str, &str, &str); 4] = [
    ("PAT001", "DOE^JOHN", "19600101", "M"),
    ("PAT002", "ROE^JANE", "19751231", "F"),
    ("PAT003", "MÜLLER^JÜRGEN", "19881224", "M"),
    ("PAT004", "SMITH^ANNA", "20010301", "F"),
];

/// (patient index 1.., days before today, time, description, series (modality, instances))
type StudySpec = (
    usize,
    i64,
    &'static str,
    &'static str,
    &'static [(&'static str, usize)],
);
const STUDIES: [StudySpec; 11] = [
    (1, 4930, "081500", "CT CHEST", &[("CT", 2)]),
    (1, 3470, "142000", "MR BRAIN", &[("MR", 1)]),
    (1, 2375, "101010", "CT MR ABDOMEN", &[("CT", 3), ("MR", 2)]),
    (1, 1640, "160500", "MR KNEE", &[("MR", 1)]),
    (1, 910, "093000", "RESTING ECG", &[("ECG", 1)]),
    (1, 90, "113000", "CT HEAD", &[("CT", 1)]),
    (1, 30, "074500", "RESTING ECG", &[("ECG", 1)]),
    (2, 2010, "120000", "MR KNEE", &[("MR", 1)]),
    (2, 270, "154500", "CT CHEST", &[("CT", 1)]),
    (3, 950, "071500", "CT SCHÄDEL", &[("CT", 1)]),
    (4, 200, "133000", "RESTING ECG", &[("ECG", 1)]),
];

fn make_seed(out: &Path, today: i64) -> Seed {
    fs::create_dir_all(out).unwrap();
    let patients: Vec<SeedPatient> = PATIENTS
        .iter()
        .map(|(id, name, bd, sex)| SeedPatient {
            id: id.to_string(),
            name: name.to_string(),
            birth_date: bd.to_string(),
            sex: sex.to_string(),
        })
        .collect();
    let mut studies = Vec::new();
    let mut files = Vec::new();
    let mut per_patient = [0usize; 10];
    for &(p, days, time, desc, series) in &STUDIES {
        per_patient[p] += 1;
        let ss = per_patient[p];
        let pat = &patients[p - 1];
        let study_uid = format!("{SEED_ROOT}{p}{ss:02}");
        let date = civil(today - days);
        let accession = format!("ACC{p:02}{ss:02}");
        let mut study = SeedStudy {
            patient_id: pat.id.clone(),
            study_uid: study_uid.clone(),
            date: date.clone(),
            time: time.to_string(),
            accession: accession.clone(),
            description: desc.to_string(),
            modalities: Vec::new(),
            instances: Vec::new(),
        };
        for (r, &(modality, count)) in series.iter().enumerate() {
            let rr = r + 1;
            let series_uid = format!("{study_uid}{rr:02}");
            if !study.modalities.iter().any(|m| m == modality) {
                study.modalities.push(modality.to_string());
            }
            for ii in 1..=count {
                let sop_instance = format!("{series_uid}{ii:02}");
                let mut ds = Ds::default();
                ds.s(0x0008_0005, "CS", "ISO_IR 100")
                    .s(0x0008_0018, "UI", &sop_instance)
                    .s(0x0008_0020, "DA", &date)
                    .s(0x0008_0030, "TM", time)
                    .s(0x0008_0050, "SH", &accession)
                    .s(0x0008_0060, "CS", modality)
                    .s(0x0008_0070, "LO", MANUFACTURER)
                    .s(0x0008_0080, "LO", "TEST HOSPITAL")
                    .s(0x0008_0090, "PN", "REFERRER^DOC")
                    .s(0x0008_1030, "LO", desc)
                    .s(0x0010_0010, "PN", &pat.name)
                    .s(0x0010_0020, "LO", &pat.id)
                    .s(0x0010_0030, "DA", &pat.birth_date)
                    .s(0x0010_0040, "CS", &pat.sex)
                    .s(0x0020_000d, "UI", &study_uid)
                    .s(0x0020_000e, "UI", &series_uid)
                    .s(0x0020_0010, "SH", &format!("S{p}{ss:02}"))
                    .s(0x0020_0011, "IS", &rr.to_string())
                    .s(0x0020_0013, "IS", &ii.to_string());
                let sop_class = match modality {
                    "ECG" => {
                        ecg(&mut ds, &date, time);
                        ECG_12_LEAD
                    }
                    _ => {
                        let class = if modality == "CT" { CT_IMAGE } else { MR_IMAGE };
                        ds.s(0x0008_0008, "CS", "ORIGINAL\\PRIMARY\\AXIAL")
                            .s(0x0008_0021, "DA", &date)
                            .s(0x0008_0023, "DA", &date)
                            .s(0x0008_0031, "TM", time)
                            .s(0x0008_0033, "TM", time)
                            .s(0x0008_103e, "LO", &format!("{modality} SERIES {rr}"));
                        if modality == "CT" {
                            ds.s(0x0018_0060, "DS", "120")
                                .s(0x0028_1052, "DS", "-1024")
                                .s(0x0028_1053, "DS", "1");
                        }
                        let salt = (p * 100 + ss * 10 + ii) as u32;
                        image_pixels(&mut ds, 16, 16, gradient(16 * 16, salt));
                        class
                    }
                };
                ds.s(0x0008_0016, "UI", sop_class);
                let file = out.join(format!("{modality}_P{p}_{ss:02}_{rr:02}_{ii:02}.dcm"));
                ds.write_file(&file);
                files.push(file.clone());
                study.instances.push(SeedInstance {
                    sop_class: sop_class.to_string(),
                    sop_instance,
                    series_uid: series_uid.clone(),
                    modality: modality.to_string(),
                    file,
                });
            }
        }
        studies.push(study);
    }
    Seed {
        patients,
        studies,
        files,
    }
}

/// `n` 12-bit pixel values (16-bit LE), a sawtooth shifted by `salt`.
fn gradient(n: usize, salt: u32) -> Vec<u8> {
    (0..n as u32)
        .flat_map(|k| (((k * 37 + salt * 7) % 4096) as u16).to_le_bytes())
        .collect()
}

/// Image Pixel module: rows×cols, 16 bit allocated, 12 stored, pixels `px`.
fn image_pixels(ds: &mut Ds, rows: u16, cols: u16, px: Vec<u8>) {
    assert_eq!(px.len(), usize::from(rows) * usize::from(cols) * 2);
    ds.us(0x0028_0002, 1)
        .s(0x0028_0004, "CS", "MONOCHROME2")
        .us(0x0028_0010, rows)
        .us(0x0028_0011, cols)
        .us(0x0028_0100, 16)
        .us(0x0028_0101, 12)
        .us(0x0028_0102, 11)
        .us(0x0028_0103, 0)
        .bytes(0x7fe0_0010, "OW", px);
}

/// 12-lead ECG Waveform module, as the harness's mk_ecg: 12 channels, 500 Hz, 2 s, SS samples
/// in µV (sensitivity 1 uV), MDC lead codes, a crude beat every 0.8 s.
fn ecg(ds: &mut Ds, date: &str, time: &str) {
    const LEADS: [(&str, &str); 12] = [
        ("I", "2:1"),
        ("II", "2:2"),
        ("III", "2:61"),
        ("aVR", "2:62"),
        ("aVL", "2:63"),
        ("aVF", "2:64"),
        ("V1", "2:3"),
        ("V2", "2:4"),
        ("V3", "2:5"),
        ("V4", "2:6"),
        ("V5", "2:7"),
        ("V6", "2:8"),
    ];
    let nsamp: u32 = 1000;
    let code = |value: &str, scheme: &str, meaning: &str| {
        let mut item = Ds::default();
        item.s(0x0008_0100, "SH", value)
            .s(0x0008_0102, "SH", scheme)
            .s(0x0008_0104, "LO", meaning);
        item
    };
    let channels: Vec<Ds> = LEADS
        .iter()
        .map(|(label, mdc)| {
            let mut ch = Ds::default();
            ch.s(0x003a_0203, "SH", label)
                .sq(
                    0x003a_0208,
                    vec![code(mdc, "MDC", &format!("Lead {label}"))],
                )
                .s(0x003a_0210, "DS", "1")
                .sq(0x003a_0211, vec![code("uV", "UCUM", "microvolt")])
                .s(0x003a_0212, "DS", "1")
                .s(0x003a_0213, "DS", "0")
                .s(0x003a_0214, "DS", "0")
                .us(0x003a_021a, 16);
            ch
        })
        .collect();
    let mut data = Vec::with_capacity(nsamp as usize * 24);
    for s in 0..nsamp {
        for c in 0..12 {
            let t = f64::from(s % 400) / 500.0;
            let beat = if t > 0.20 && t < 0.24 { 1200.0 } else { 0.0 };
            let v = 100.0 * (std::f64::consts::TAU * t * 1.25).sin() + beat;
            let v = (v * f64::from(c + 4) / 8.0) as i16;
            data.extend_from_slice(&v.to_le_bytes());
        }
    }
    let mut group = Ds::default();
    group
        .s(0x0018_1068, "DS", "0")
        .s(0x003a_0004, "CS", "ORIGINAL")
        .us(0x003a_0005, 12)
        .ul(0x003a_0010, nsamp)
        .s(0x003a_001a, "DS", "500")
        .s(0x003a_0020, "SH", "RHYTHM")
        .sq(0x003a_0200, channels)
        .us(0x5400_1004, 16)
        .s(0x5400_1006, "CS", "SS")
        .bytes(0x5400_1010, "OW", data);
    ds.s(0x0008_0023, "DA", date)
        .s(0x0008_002a, "DT", &format!("{date}{time}"))
        .s(0x0008_0033, "TM", time)
        .s(0x0008_103e, "LO", "12-LEAD ECG")
        .sq(0x0040_0555, Vec::new())
        .sq(0x5400_0100, vec![group]);
}

// ------------------------------------------------------------------------------------- dates --

/// Days since 1970-01-01 (UTC) today.
fn today_days() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    (secs / 86_400) as i64
}

/// YYYYMMDD of a day number (days since 1970-01-01), proleptic Gregorian (H. Hinnant).
fn civil(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}{m:02}{d:02}")
}

// --------------------------------------------------------------- a tiny DICOM file writer --

enum Val {
    Bytes(Vec<u8>),
    Items(Vec<Ds>),
}

/// A data set written in Explicit VR Little Endian with explicit lengths, elements sorted,
/// values padded to even length (UI with NUL, text with space) - the canonical form DCMTK
/// writes back, so files received after a transfer can be compared byte for byte.
#[derive(Default)]
struct Ds(Vec<(u32, &'static str, Val)>);

fn latin1(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| u8::try_from(u32::from(c)).expect("ISO_IR 100 text"))
        .collect()
}

impl Ds {
    fn s(&mut self, tag: u32, vr: &'static str, value: &str) -> &mut Self {
        let mut v = latin1(value);
        if v.len() % 2 == 1 {
            v.push(if vr == "UI" { 0 } else { b' ' });
        }
        self.put(tag, vr, Val::Bytes(v))
    }
    fn us(&mut self, tag: u32, v: u16) -> &mut Self {
        self.put(tag, "US", Val::Bytes(v.to_le_bytes().to_vec()))
    }
    fn ul(&mut self, tag: u32, v: u32) -> &mut Self {
        self.put(tag, "UL", Val::Bytes(v.to_le_bytes().to_vec()))
    }
    fn bytes(&mut self, tag: u32, vr: &'static str, mut v: Vec<u8>) -> &mut Self {
        if v.len() % 2 == 1 {
            v.push(0);
        }
        self.put(tag, vr, Val::Bytes(v))
    }
    fn sq(&mut self, tag: u32, items: Vec<Ds>) -> &mut Self {
        self.put(tag, "SQ", Val::Items(items))
    }
    fn put(&mut self, tag: u32, vr: &'static str, v: Val) -> &mut Self {
        self.0.retain(|(t, _, _)| *t != tag);
        self.0.push((tag, vr, v));
        self
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let mut els: Vec<&(u32, &str, Val)> = self.0.iter().collect();
        els.sort_by_key(|e| e.0);
        for &&(tag, vr, ref val) in &els {
            let value = match val {
                Val::Bytes(b) => Cow::Borrowed(b.as_slice()),
                Val::Items(items) => {
                    let mut v = Vec::new();
                    for item in items {
                        let mut body = Vec::new();
                        item.encode(&mut body);
                        v.extend_from_slice(&[0xfe, 0xff, 0x00, 0xe0]);
                        v.extend_from_slice(&(body.len() as u32).to_le_bytes());
                        v.extend_from_slice(&body);
                    }
                    Cow::Owned(v)
                }
            };
            out.extend_from_slice(&((tag >> 16) as u16).to_le_bytes());
            out.extend_from_slice(&(tag as u16).to_le_bytes());
            out.extend_from_slice(vr.as_bytes());
            let long = matches!(
                vr,
                "OB" | "OD"
                    | "OF"
                    | "OL"
                    | "OV"
                    | "OW"
                    | "SQ"
                    | "SV"
                    | "UC"
                    | "UN"
                    | "UR"
                    | "UT"
                    | "UV"
            );
            if long {
                out.extend_from_slice(&[0, 0]);
                out.extend_from_slice(&(value.len() as u32).to_le_bytes());
            } else {
                out.extend_from_slice(&u16::try_from(value.len()).unwrap().to_le_bytes());
            }
            out.extend_from_slice(&value);
        }
    }

    /// Preamble, "DICM", File Meta Information, then the data set (Explicit VR Little Endian).
    fn write_file(&self, path: &Path) {
        let find = |tag: u32| match self.0.iter().find(|e| e.0 == tag) {
            Some((_, _, Val::Bytes(b))) => String::from_utf8_lossy(b)
                .trim_end_matches('\0')
                .to_string(),
            _ => panic!("data set without ({:08x})", tag),
        };
        let mut meta = Ds::default();
        meta.bytes(0x0002_0001, "OB", vec![0, 1])
            .s(0x0002_0002, "UI", &find(0x0008_0016))
            .s(0x0002_0003, "UI", &find(0x0008_0018))
            .s(0x0002_0010, "UI", "1.2.840.10008.1.2.1")
            .s(0x0002_0012, "UI", "2.25.917263481999")
            .s(0x0002_0013, "SH", "DICOMKIT_TESTS");
        let mut meta_bytes = Vec::new();
        meta.encode(&mut meta_bytes);
        let mut out = vec![0u8; 128];
        out.extend_from_slice(b"DICM");
        let mut group_len = Ds::default();
        group_len.ul(0x0002_0000, meta_bytes.len() as u32);
        group_len.encode(&mut out);
        out.extend_from_slice(&meta_bytes);
        self.encode(&mut out);
        fs::write(path, out).unwrap();
    }
}

// ------------------------------------------------------------------------------- SilentPeer --

/// A TCP server on 127.0.0.1 that accepts connections and never sends a byte (what it receives
/// is read and thrown away); dropped = listener and every connection closed.
pub struct SilentPeer {
    pub port: u16,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SilentPeer {
    pub fn start() -> SilentPeer {
        let listener = TcpListener::bind((HOST, 0)).expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (acc, st) = (accepted.clone(), stop.clone());
        let thread = thread::spawn(move || {
            let mut conns: Vec<TcpStream> = Vec::new();
            let mut buf = [0u8; 4096];
            while !st.load(Ordering::SeqCst) {
                while let Ok((s, _)) = listener.accept() {
                    let _ = s.set_nonblocking(true);
                    acc.fetch_add(1, Ordering::SeqCst);
                    conns.push(s);
                }
                conns.retain_mut(|s| {
                    loop {
                        match s.read(&mut buf) {
                            Ok(0) => break false,
                            Ok(_) => continue,
                            Err(e) if e.kind() == ErrorKind::WouldBlock => break true,
                            Err(_) => break false,
                        }
                    }
                });
                thread::sleep(Duration::from_millis(5));
            }
            for s in &conns {
                let _ = s.shutdown(Shutdown::Both);
            }
        });
        SilentPeer {
            port,
            accepted,
            stop,
            thread: Some(thread),
        }
    }

    /// A [`Node`] with this port and the given AE title.
    pub fn node(&self, aet: &str) -> Node {
        Node::new(aet, self.port)
    }

    /// How many connections were accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for SilentPeer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
