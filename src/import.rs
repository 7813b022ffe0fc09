//! The cron-safe import folder of `store-ecg --import-dir`: a lock file so two runs never work
//! on one folder, the files that have settled (not written to for a while), an append-only
//! NDJSON journal synced after every record, and moving a file out only after its outcome is
//! journaled. Nothing here deletes a file the caller did not ask to delete.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Name of the lock file inside the import folder.
pub const LOCK_NAME: &str = ".dicomkit-store-ecg.lock";
/// Default name of the journal inside the import folder.
pub const JOURNAL_NAME: &str = ".dicomkit-store-ecg.journal.ndjson";

/// Why the folder could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Another run holds the lock.
    #[error("{dir}: another dicomkit (pid {pid}) is importing this folder (lock file {lock})")]
    Locked {
        /// The folder.
        dir: String,
        /// The holder.
        pid: u32,
        /// The lock file.
        lock: String,
    },
    /// A file system operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        #[source]
        source: io::Error,
    },
}

fn io_err(what: impl Into<String>) -> impl FnOnce(io::Error) -> ImportError {
    let what = what.into();
    move |source| ImportError::Io { what, source }
}

/// The lock on an import folder; released (deleted) when dropped.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

fn pid_alive(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            !s.rsplit_once(") ")
                .is_some_and(|(_, rest)| rest.starts_with('Z'))
        })
        .unwrap_or(false)
}

/// Take the folder's lock. A lock left by a process that no longer runs (killed) is taken over.
pub fn lock(dir: &Path) -> Result<Lock, ImportError> {
    let path = dir.join(LOCK_NAME);
    for _ in 0..2 {
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut f) => {
                writeln!(f, "{}", std::process::id())
                    .map_err(io_err(format!("cannot write {}", path.display())))?;
                let _ = f.sync_all();
                return Ok(Lock { path });
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let pid = fs::read_to_string(&path)
                    .ok()
                    .and_then(|s| s.trim().parse::<u32>().ok());
                match pid {
                    Some(pid) if pid_alive(pid) && pid != std::process::id() => {
                        return Err(ImportError::Locked {
                            dir: dir.display().to_string(),
                            pid,
                            lock: path.display().to_string(),
                        });
                    }
                    _ => {
                        // Stale: its process is gone.
                        fs::remove_file(&path).map_err(io_err(format!(
                            "cannot remove the stale lock {}",
                            path.display()
                        )))?;
                    }
                }
            }
            Err(e) => return Err(io_err(format!("cannot create {}", path.display()))(e)),
        }
    }
    Err(ImportError::Io {
        what: format!("cannot take the lock {}", path.display()),
        source: io::Error::other("raced"),
    })
}

/// The files of `dir` ready to import: regular, not hidden, not modified within `settle`.
/// Returns them sorted by name, and how many are still being written.
pub fn settled_files(dir: &Path, settle: Duration) -> Result<(Vec<PathBuf>, usize), ImportError> {
    let now = SystemTime::now();
    let mut ready = Vec::new();
    let mut waiting = 0;
    let entries = fs::read_dir(dir).map_err(io_err(format!("cannot list {}", dir.display())))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') || name.to_string_lossy().ends_with(".error.txt")
        {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        let age = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .unwrap_or_default();
        if age < settle {
            waiting += 1;
        } else {
            ready.push(entry.path());
        }
    }
    ready.sort();
    Ok((ready, waiting))
}

/// The signal files of a WFDB header (`rec.hea` → `rec.dat`, `rec.mat` when present): they
/// belong to the header and move with it.
pub fn companions(path: &Path) -> Vec<PathBuf> {
    if !path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("hea"))
    {
        return Vec::new();
    }
    ["dat", "mat", "DAT", "MAT"]
        .iter()
        .map(|e| path.with_extension(e))
        .filter(|p| p.is_file())
        .collect()
}

/// An append-only journal: one JSON object per line, synced to disk after each.
#[derive(Debug)]
pub struct Journal {
    file: File,
    path: PathBuf,
}

impl Journal {
    /// Open (create) for appending.
    pub fn open(path: &Path) -> Result<Journal, ImportError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io_err(format!(
                "cannot open the journal {}",
                path.display()
            )))?;
        Ok(Journal {
            file,
            path: path.to_owned(),
        })
    }

    /// Append one record (a timestamp is added) and sync it.
    pub fn record(&mut self, mut record: serde_json::Value) -> Result<(), ImportError> {
        if let Some(obj) = record.as_object_mut() {
            obj.insert("time".into(), chrono::Local::now().to_rfc3339().into());
        }
        let mut line = record.to_string();
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .map_err(io_err(format!(
                "cannot write the journal {}",
                self.path.display()
            )))?;
        self.file.sync_data().map_err(io_err(format!(
            "cannot sync the journal {}",
            self.path.display()
        )))
    }

    /// The SOP Instance UIDs the journal says were stored (to finish files whose erase or
    /// archive was interrupted without sending them again).
    pub fn stored_instances(path: &Path) -> std::collections::HashSet<String> {
        let text = fs::read_to_string(path).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["outcome"] == "stored")
            .filter_map(|v| v["sop_instance_uid"].as_str().map(str::to_owned))
            .collect()
    }
}

/// A free name for `name` in `dir` (`name`, `name.1`, `name.2`, ...).
fn free_name(dir: &Path, name: &str) -> PathBuf {
    let mut candidate = dir.join(name);
    let mut n = 1;
    while candidate.exists() {
        candidate = dir.join(format!("{name}.{n}"));
        n += 1;
    }
    candidate
}

/// Move a file into `dir` (atomic rename; copy, sync and remove across file systems).
pub fn move_into(file: &Path, dir: &Path) -> Result<PathBuf, ImportError> {
    fs::create_dir_all(dir).map_err(io_err(format!("cannot create {}", dir.display())))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let target = free_name(dir, &name);
    if fs::rename(file, &target).is_err() {
        fs::copy(file, &target).map_err(io_err(format!(
            "cannot copy {} to {}",
            file.display(),
            target.display()
        )))?;
        File::open(&target)
            .and_then(|f| f.sync_all())
            .map_err(io_err(format!("cannot sync {}", target.display())))?;
        fs::remove_file(file).map_err(io_err(format!("cannot remove {}", file.display())))?;
    }
    Ok(target)
}

/// Move a file that failed into `dir`, with `<name>.error.txt` beside it giving the reason
/// (the reason is written first, so it is there whenever the file is).
pub fn move_failed(file: &Path, dir: &Path, reason: &str) -> Result<PathBuf, ImportError> {
    fs::create_dir_all(dir).map_err(io_err(format!("cannot create {}", dir.display())))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let target = free_name(dir, &name);
    let target_name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or(name);
    let note = dir.join(format!("{target_name}.error.txt"));
    fs::write(&note, format!("{}\n{reason}\n", file.display()))
        .map_err(io_err(format!("cannot write {}", note.display())))?;
    move_into(file, dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_is_exclusive_and_stale_locks_are_taken_over() {
        let dir = std::env::temp_dir().join(format!("dicomkit-lock-{}", std::process::id()));
        let _ = fs::create_dir_all(&dir);
        {
            let _l = lock(&dir).unwrap();
            assert!(dir.join(LOCK_NAME).exists());
            // A lock held by another live process (pid 1) refuses.
            fs::write(dir.join(LOCK_NAME), "1\n").unwrap();
            assert!(matches!(
                lock(&dir),
                Err(ImportError::Locked { pid: 1, .. })
            ));
            // A lock of a dead process is taken over.
            fs::write(dir.join(LOCK_NAME), "4194000\n").unwrap();
            let _again = lock(&dir).unwrap();
        }
        assert!(!dir.join(LOCK_NAME).exists());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn settled_files_skip_fresh_and_hidden_ones() {
        let dir = std::env::temp_dir().join(format!("dicomkit-settle-{}", std::process::id()));
        let _ = fs::create_dir_all(&dir);
        fs::write(dir.join("a.scp"), b"x").unwrap();
        fs::write(dir.join(".hidden"), b"x").unwrap();
        let (ready, waiting) = settled_files(&dir, Duration::from_secs(3600)).unwrap();
        assert!(ready.is_empty());
        assert_eq!(waiting, 1);
        let (ready, _) = settled_files(&dir, Duration::ZERO).unwrap();
        assert_eq!(ready, vec![dir.join("a.scp")]);
        let failed = move_failed(&dir.join("a.scp"), &dir.join("failed"), "bad").unwrap();
        assert!(failed.exists());
        assert!(dir.join("failed/a.scp.error.txt").exists());
        let _ = fs::remove_dir_all(&dir);
    }
}
