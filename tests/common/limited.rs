//! Bounded runs of the binary: an address-space limit set with setrlimit in the child and a
//! wall-clock deadline past which the child is killed and the test fails. Hostile-input tests
//! use it to prove that a run ends with its documented exit code, never a signal, an abort,
//! the memory limit or a hang.

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How a bounded run ended.
#[derive(Debug)]
pub struct Run {
    /// Exit code (None when ended by a signal).
    pub code: Option<i32>,
    /// The signal that ended it, if any.
    pub signal: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Wall-clock time taken.
    pub took: Duration,
}

impl Run {
    /// Standard error followed by standard output, for assertions and failure messages.
    pub fn text(&self) -> String {
        format!("{}{}", self.stderr, self.stdout)
    }
}

/// Limits of a bounded run.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Address space (RLIMIT_AS) in bytes.
    pub memory: u64,
    /// Wall-clock bound.
    pub deadline: Duration,
}

impl Limits {
    /// `memory` bytes of address space and `seconds` of wall clock.
    pub fn new(memory: u64, seconds: u64) -> Limits {
        Limits {
            memory,
            deadline: Duration::from_secs(seconds),
        }
    }
}

/// Run dicomkit with `args` in `dir` (or the current directory) under `limits`, with the given
/// extra environment. Panics (fails the test) when the deadline passes.
pub fn run(args: &[&str], dir: Option<&Path>, env: &[(&str, &str)], limits: Limits) -> Run {
    let exe = assert_cmd::cargo::cargo_bin("dicomkit");
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .env_remove("NO_COLOR")
        .env_remove("DICOMKIT_ZIP_BUDGET")
        .env_remove("DICOMKIT_ZIP_MEMBER_MAX")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    let memory = limits.memory;
    // SAFETY: only setrlimit, which is async-signal-safe, runs between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: memory,
                rlim_max: memory,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let start = Instant::now();
    let mut child = cmd.spawn().expect("start dicomkit");
    // Read the pipes on threads so that a large output cannot block the child.
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut s).map(|_| s)
    });
    let err = std::thread::spawn(move || {
        let mut s = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut s).map(|_| s)
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > limits.deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "dicomkit {args:?} still running after {:?}",
                limits.deadline
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = start.elapsed();
    let text = |h: std::thread::JoinHandle<std::io::Result<Vec<u8>>>| {
        String::from_utf8_lossy(&h.join().expect("reader thread").expect("read pipe")).into_owned()
    };
    Run {
        code: status.code(),
        signal: status.signal(),
        stdout: text(out),
        stderr: text(err),
        took,
    }
}
