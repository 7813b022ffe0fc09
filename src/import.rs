//! The cron-safe import folder of `store-ecg --import-dir`: an OS file lock so two runs never
//! work on one folder, the files that have settled (not written to for a while), an append-only
//! NDJSON journal synced after every record, and moving a file out only after its outcome is
//! journaled. Nothing here deletes a file the caller did not ask to delete.
//!
//! The folder may be writable by others than the user running dicomkit (often root, from
//! cron), so every write here is made safe against what they may have planted:
//! - nothing is ever written through a symbolic link: files are created with `O_CREAT|O_EXCL`
//!   and `O_NOFOLLOW` (a link, even a dangling one, makes the name taken), the lock and the
//!   journal are opened with `O_NOFOLLOW` (a link there is refused with a clear error) and must
//!   be regular files (the journal also with one link only);
//! - nothing is overwritten: a name that is taken gets `.1`, `.2`, ... (files are moved with
//!   `renameat2(RENAME_NOREPLACE)`, or copied into a new file across file systems); the one
//!   documented exception is [`write_replacing`] (the `--out` copy of the same instance);
//! - the text written beside a failed file (`<name>.error.txt`) has its control characters
//!   escaped, so a file name cannot add lines to it.

use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use crate::output::escape_controls;

/// Name of the lock file inside the import folder.
pub const LOCK_NAME: &str = ".dicomkit-store-ecg.lock";
/// Default name of the journal inside the import folder.
pub const JOURNAL_NAME: &str = ".dicomkit-store-ecg.journal.ndjson";
/// How many names (`name`, `name.1`, ...) are tried before giving up.
const MAX_NAMES: usize = 10_000;

/// Why the folder could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Another run holds the lock.
    #[error("{dir}: another dicomkit is importing this folder (it holds the lock on {lock})")]
    Locked {
        /// The folder.
        dir: String,
        /// The lock file.
        lock: String,
    },
    /// A path that must not be written to as it is (a symbolic link, not a regular file, ...).
    #[error("{path}: {why}")]
    Refused {
        /// The path.
        path: String,
        /// Why.
        why: String,
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

/// A path as shown in messages (control characters escaped).
fn shown(path: &Path) -> String {
    escape_controls(&path.display().to_string()).into_owned()
}

/// Options that never follow a symbolic link as the last component of the path, and never
/// block on a FIFO planted there.
fn no_follow(opts: &mut OpenOptions) -> &mut OpenOptions {
    opts.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
}

/// Open an existing-or-new file that must not be a link: a link is refused with a clear reason.
fn open_no_follow(opts: &OpenOptions, path: &Path, what: &str) -> Result<File, ImportError> {
    opts.open(path).map_err(|e| {
        if e.raw_os_error() == Some(libc::ELOOP) {
            ImportError::Refused {
                path: shown(path),
                why: format!(
                    "the {what} is a symbolic link (refused: dicomkit never writes through a link)"
                ),
            }
        } else {
            ImportError::Io {
                what: format!("cannot open the {what} {}", shown(path)),
                source: e,
            }
        }
    })
}

/// Refuse an opened file that is not a regular file, or (with `single`) that has other names
/// (hard links) through which appending would write somewhere else too.
fn check_regular(file: &File, path: &Path, what: &str, single: bool) -> Result<(), ImportError> {
    let meta = file
        .metadata()
        .map_err(io_err(format!("cannot inspect the {what} {}", shown(path))))?;
    let why = if !meta.is_file() {
        Some(format!("the {what} is not a regular file (refused)"))
    } else if single && meta.nlink() > 1 {
        Some(format!(
            "the {what} has {} hard links (refused: appending to it would write elsewhere too)",
            meta.nlink()
        ))
    } else {
        None
    };
    match why {
        Some(why) => Err(ImportError::Refused {
            path: shown(path),
            why,
        }),
        None => Ok(()),
    }
}

/// The lock on an import folder: an OS lock (`flock`) on the lock file, held while this value
/// lives and released by the kernel when it is dropped or the process ends (however it ends).
/// The lock file itself stays: deleting it would race with another run opening it.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// Take the folder's lock, or fail with [`ImportError::Locked`] when another live run holds it.
/// Whatever the lock file holds (a PID from an older dicomkit, of a dead or of an unrelated
/// live process) does not matter: only the OS lock counts. A symbolic link or anything else
/// than a regular file at the lock's path is refused.
pub fn lock(dir: &Path) -> Result<Lock, ImportError> {
    let path = dir.join(LOCK_NAME);
    let mut opts = OpenOptions::new();
    no_follow(opts.read(true).write(true).create(true).mode(0o600));
    let file = open_no_follow(&opts, &path, "lock file")?;
    check_regular(&file, &path, "lock file", false)?;
    match file.try_lock() {
        Ok(()) => Ok(Lock { _file: file }),
        Err(fs::TryLockError::WouldBlock) => Err(ImportError::Locked {
            dir: shown(dir),
            lock: shown(&path),
        }),
        Err(fs::TryLockError::Error(e)) => Err(io_err(format!("cannot lock {}", shown(&path)))(e)),
    }
}

/// The files of `dir` ready to import: regular (symbolic links are skipped), not hidden, not
/// modified within `settle`. Returns them sorted by name, and how many are still being written.
pub fn settled_files(dir: &Path, settle: Duration) -> Result<(Vec<PathBuf>, usize), ImportError> {
    let now = SystemTime::now();
    let mut ready = Vec::new();
    let mut waiting = 0;
    let entries = fs::read_dir(dir).map_err(io_err(format!("cannot list {}", shown(dir))))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') || name.to_string_lossy().ends_with(".error.txt")
        {
            continue;
        }
        // DirEntry::metadata does not follow a symbolic link.
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

/// The signal files of a WFDB header (`rec.hea` → `rec.dat`, `rec.mat` when present, regular
/// files only): they belong to the header and move with it.
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
        .filter(|p| fs::symlink_metadata(p).is_ok_and(|m| m.is_file()))
        .collect()
}

/// An append-only journal: one JSON object per line, synced to disk after each.
#[derive(Debug)]
pub struct Journal {
    file: File,
    path: PathBuf,
}

impl Journal {
    /// Open (create) for appending (`O_APPEND|O_NOFOLLOW`). A symbolic link at `path`, a path
    /// that is not a regular file or a file with other hard links is refused. A last line cut
    /// short (a run killed while writing it) is ended, so that the next record starts a line.
    pub fn open(path: &Path) -> Result<Journal, ImportError> {
        let mut opts = OpenOptions::new();
        no_follow(opts.read(true).append(true).create(true).mode(0o644));
        let file = open_no_follow(&opts, path, "journal")?;
        check_regular(&file, path, "journal", true)?;
        let len = file
            .metadata()
            .map_err(io_err(format!(
                "cannot inspect the journal {}",
                shown(path)
            )))?
            .len();
        let mut journal = Journal {
            file,
            path: path.to_owned(),
        };
        if len > 0 {
            let mut last = [0u8];
            let mut file = &journal.file;
            file.seek(SeekFrom::Start(len - 1))
                .and_then(|_| file.read_exact(&mut last))
                .map_err(io_err(format!("cannot read the journal {}", shown(path))))?;
            if last[0] != b'\n' {
                journal.write_line(b"\n")?;
            }
        }
        Ok(journal)
    }

    fn write_line(&mut self, line: &[u8]) -> Result<(), ImportError> {
        self.file.write_all(line).map_err(io_err(format!(
            "cannot write the journal {}",
            shown(&self.path)
        )))?;
        self.file.sync_data().map_err(io_err(format!(
            "cannot sync the journal {}",
            shown(&self.path)
        )))
    }

    /// Append one record (a timestamp is added) and sync it. The record is one line: JSON
    /// escapes every control character in its strings (a newline in a file name is `\n`).
    pub fn record(&mut self, mut record: serde_json::Value) -> Result<(), ImportError> {
        if let Some(obj) = record.as_object_mut() {
            obj.insert("time".into(), chrono::Local::now().to_rfc3339().into());
        }
        let mut line = record.to_string();
        line.push('\n');
        self.write_line(line.as_bytes())
    }

    /// The SOP Instance UIDs the journal says were stored (to finish files whose erase or
    /// archive was interrupted or failed, without sending them again). Read through the
    /// journal's own open file, never through its path again.
    pub fn stored_instances(&self) -> Result<HashSet<String>, ImportError> {
        let what = || format!("cannot read the journal {}", shown(&self.path));
        let mut file = &self.file;
        file.seek(SeekFrom::Start(0)).map_err(io_err(what()))?;
        let mut found = HashSet::new();
        for line in BufReader::new(file).split(b'\n') {
            let line = line.map_err(io_err(what()))?;
            let Ok(v) = serde_json::from_slice::<serde_json::Value>(&line) else {
                continue;
            };
            if v["outcome"] == "stored"
                && let Some(uid) = v["sop_instance_uid"].as_str()
            {
                found.insert(uid.to_owned());
            }
        }
        Ok(found)
    }
}

/// The `n`th name tried for `name`: `name`, `name.1`, `name.2`, ...
fn nth_name(name: &OsStr, n: usize) -> OsString {
    let mut s = name.to_owned();
    if n > 0 {
        s.push(format!(".{n}"));
    }
    s
}

/// Whether anything (a file, a folder, a link, even a dangling one) has this name.
fn taken(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// Create a new file: fails when anything (a link too) has that name.
pub(crate) fn create_new(path: &Path) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    no_follow(opts.write(true).create_new(true).mode(0o644));
    opts.open(path)
}

/// Rename `from` to `to`, failing with `AlreadyExists` when anything has the name `to` (never
/// replacing it), `CrossesDevices` across file systems.
pub(crate) fn rename_no_replace(from: &Path, to: &Path) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;
        let c = |p: &Path| {
            CString::new(p.as_os_str().as_bytes())
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in a path"))
        };
        let (f, t) = (c(from)?, c(to)?);
        // SAFETY: both are valid NUL-terminated strings that outlive the call; renameat2 only
        // reads them.
        let rc = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                f.as_ptr(),
                libc::AT_FDCWD,
                t.as_ptr(),
                libc::RENAME_NOREPLACE,
            )
        };
        if rc == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        // A file system without RENAME_NOREPLACE: a hard link (which never replaces) and an
        // unlink do the same, non-atomically.
        if !matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS)) {
            return Err(e);
        }
    }
    fs::hard_link(from, to)?;
    if let Err(e) = fs::remove_file(from) {
        let _ = fs::remove_file(to);
        return Err(e);
    }
    Ok(())
}

/// Copy `from` (a regular file, not followed if a link) into the new file `to`, synced.
fn copy_new(from: &Path, to: &Path) -> io::Result<()> {
    let mut opts = OpenOptions::new();
    no_follow(opts.read(true));
    let mut src = opts.open(from)?;
    if !src.metadata()?.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    let mut dst = create_new(to)?;
    let copied = io::copy(&mut src, &mut dst).and_then(|_| dst.sync_all());
    if let Err(e) = copied {
        let _ = fs::remove_file(to);
        return Err(e);
    }
    Ok(())
}

/// Move `from` to the free name `to`: a rename that never replaces; across file systems, a copy
/// into a new file, then `from` removed (the copy is removed again if `from` cannot be).
fn place(from: &Path, to: &Path) -> io::Result<()> {
    match rename_no_replace(from, to) {
        Err(e) if e.kind() == io::ErrorKind::CrossesDevices => {
            copy_new(from, to)?;
            if let Err(e) = fs::remove_file(from) {
                let _ = fs::remove_file(to);
                return Err(e);
            }
            Ok(())
        }
        other => other,
    }
}

fn file_name(file: &Path) -> OsString {
    file.file_name()
        .map(OsStr::to_owned)
        .unwrap_or_else(|| "file".into())
}

fn make_dir(dir: &Path) -> Result<(), ImportError> {
    fs::create_dir_all(dir).map_err(io_err(format!("cannot create {}", shown(dir))))
}

/// Move a file into `dir` under its name, or `name.1`, `name.2`, ... when that is taken (never
/// replacing anything, never writing through a link). Returns where it went.
pub fn move_into(file: &Path, dir: &Path) -> Result<PathBuf, ImportError> {
    make_dir(dir)?;
    let name = file_name(file);
    for n in 0..MAX_NAMES {
        let target = dir.join(nth_name(&name, n));
        if taken(&target) {
            continue;
        }
        match place(file, &target) {
            Ok(()) => return Ok(target),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(io_err(format!(
                    "cannot move {} to {}",
                    shown(file),
                    shown(&target)
                ))(e));
            }
        }
    }
    Err(no_free_name(file, dir))
}

fn no_free_name(file: &Path, dir: &Path) -> ImportError {
    ImportError::Io {
        what: format!("cannot move {} to {}", shown(file), shown(dir)),
        source: io::Error::other(format!("no free name among {MAX_NAMES} tried")),
    }
}

/// Move a file that failed into `dir`, with `<name>.error.txt` beside it giving the reason
/// (the reason is written first, so it is there whenever the file is). The note holds two
/// lines, the file's path and the reason, each with its control characters escaped.
pub fn move_failed(file: &Path, dir: &Path, reason: &str) -> Result<PathBuf, ImportError> {
    make_dir(dir)?;
    let name = file_name(file);
    let text = format!(
        "{}\n{}\n",
        shown(file),
        escape_controls(reason.trim_end_matches('\n'))
    );
    for n in 0..MAX_NAMES {
        let target_name = nth_name(&name, n);
        let target = dir.join(&target_name);
        let mut note_name = target_name.clone();
        note_name.push(".error.txt");
        let note = dir.join(note_name);
        if taken(&target) || taken(&note) {
            continue;
        }
        let mut f = match create_new(&note) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_err(format!("cannot create {}", shown(&note)))(e)),
        };
        if let Err(e) = f.write_all(text.as_bytes()).and_then(|_| f.sync_all()) {
            let _ = fs::remove_file(&note);
            return Err(io_err(format!("cannot write {}", shown(&note)))(e));
        }
        match place(file, &target) {
            Ok(()) => return Ok(target),
            Err(e) => {
                let _ = fs::remove_file(&note);
                if e.kind() == io::ErrorKind::AlreadyExists {
                    continue;
                }
                return Err(io_err(format!(
                    "cannot move {} to {}",
                    shown(file),
                    shown(&target)
                ))(e));
            }
        }
    }
    Err(no_free_name(file, dir))
}

/// Move a file and the files that belong to it (WFDB signal files) into `dir`, all or none:
/// the companions first, then the file (with `<name>.error.txt` when `reason` is given); when
/// one cannot be moved, those already moved are put back where they were. Returns where the
/// file went.
pub fn move_group(
    file: &Path,
    companions: &[PathBuf],
    dir: &Path,
    reason: Option<&str>,
) -> Result<PathBuf, ImportError> {
    let mut moved: Vec<(&Path, PathBuf)> = Vec::new();
    let mut result = Ok(PathBuf::new());
    for c in companions {
        match move_into(c, dir) {
            Ok(to) => moved.push((c, to)),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    if result.is_ok() {
        result = match reason {
            Some(r) => move_failed(file, dir, r),
            None => move_into(file, dir),
        };
    }
    let Err(e) = result else { return result };
    // Put back what was moved, so that the file and its companions stay together.
    let mut stranded = Vec::new();
    for (from, to) in moved {
        if place(&to, from).is_err() {
            stranded.push(format!("{} is now {}", shown(from), shown(&to)));
        }
    }
    if stranded.is_empty() {
        Err(e)
    } else {
        Err(ImportError::Io {
            what: e.to_string(),
            source: io::Error::other(format!("and could not put back: {}", stranded.join(", "))),
        })
    }
}

/// Erase a file, then the files that belong to it. The first failure is returned (with which
/// files were erased before it).
pub fn erase_group(file: &Path, companions: &[PathBuf]) -> Result<(), ImportError> {
    fs::remove_file(file).map_err(io_err(format!("cannot erase {}", shown(file))))?;
    for c in companions {
        fs::remove_file(c).map_err(io_err(format!(
            "{} erased, but cannot erase {}",
            shown(file),
            shown(c)
        )))?;
    }
    Ok(())
}

/// Write `bytes` as `dir/name`, replacing a file of that name if there is one (the documented
/// behaviour of `--out`: the same name is the same SOP instance). Written to a new hidden
/// temporary file in `dir` (created with `O_EXCL|O_NOFOLLOW`) and renamed: a symbolic link at
/// `dir/name` is replaced, never followed, and a file under `name` is always whole.
pub fn write_replacing(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, ImportError> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let target = dir.join(name);
    for _ in 0..MAX_NAMES {
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
        let mut f = match create_new(&tmp) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_err(format!("cannot create {}", shown(&tmp)))(e)),
        };
        let written = f
            .write_all(bytes)
            .map_err(io_err(format!("cannot write {}", shown(&tmp))))
            .and_then(|()| {
                fs::rename(&tmp, &target)
                    .map_err(io_err(format!("cannot write {}", shown(&target))))
            });
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        return written.map(|()| target);
    }
    Err(no_free_name(&target, dir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn tmp(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("dicomkit-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_lock_is_an_os_lock_and_a_stale_file_never_blocks() {
        let dir = tmp("lock");
        // A lock file left behind holding the PID of a live, unrelated process (1).
        fs::write(dir.join(LOCK_NAME), "1\n").unwrap();
        {
            let _l = lock(&dir).unwrap();
            // Held (even within one process, a second open file cannot take it).
            assert!(matches!(lock(&dir), Err(ImportError::Locked { .. })));
        }
        // Released when dropped; the file stays (deleting it would race another run's open).
        assert!(dir.join(LOCK_NAME).exists());
        let _again = lock(&dir).unwrap();
        drop(_again);
        // A symbolic link at the lock's path is refused; its target is not created.
        fs::remove_file(dir.join(LOCK_NAME)).unwrap();
        symlink(dir.join("elsewhere"), dir.join(LOCK_NAME)).unwrap();
        let e = lock(&dir).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert!(!taken(&dir.join("elsewhere")));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn settled_files_skip_fresh_hidden_and_linked_ones() {
        let dir = tmp("settle");
        fs::write(dir.join("a.scp"), b"x").unwrap();
        fs::write(dir.join(".hidden"), b"x").unwrap();
        symlink("/etc/hostname", dir.join("link.scp")).unwrap();
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

    #[test]
    fn the_journal_refuses_links_and_appends_whole_lines() {
        let dir = tmp("journal");
        let outside = dir.join("outside.txt");
        fs::write(&outside, "keep\n").unwrap();
        let path = dir.join(JOURNAL_NAME);
        symlink(&outside, &path).unwrap();
        let e = Journal::open(&path).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        fs::remove_file(&path).unwrap();
        // Another hard link: appending would write there too.
        fs::hard_link(&outside, &path).unwrap();
        let e = Journal::open(&path).unwrap_err();
        assert!(e.to_string().contains("hard links"), "{e}");
        assert_eq!(fs::read_to_string(&outside).unwrap(), "keep\n");
        fs::remove_file(&path).unwrap();
        // A line cut short by a kill is ended before the next record.
        fs::write(
            &path,
            "{\"outcome\":\"stored\",\"sop_instance_uid\":\"1.2\"}\n{\"outc",
        )
        .unwrap();
        let mut j = Journal::open(&path).unwrap();
        j.record(
            serde_json::json!({"outcome": "stored", "sop_instance_uid": "3.4", "path": "a\nb"}),
        )
        .unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(text.contains(r#""path":"a\nb""#), "{text}");
        let uids = j.stored_instances().unwrap();
        assert_eq!(uids, ["1.2", "3.4"].map(String::from).into_iter().collect());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn moves_never_replace_nor_follow_links() {
        let dir = tmp("move");
        let (inbox, done, outside) = (dir.join("in"), dir.join("done"), dir.join("outside"));
        fs::create_dir_all(&inbox).unwrap();
        fs::create_dir_all(&done).unwrap();
        fs::write(inbox.join("a.scp"), b"new").unwrap();
        // A dangling link and a file already where the moved file would go.
        symlink(outside.join("x"), done.join("a.scp")).unwrap();
        fs::write(done.join("a.scp.1"), b"old").unwrap();
        let to = move_into(&inbox.join("a.scp"), &done).unwrap();
        assert_eq!(to, done.join("a.scp.2"));
        assert_eq!(fs::read(done.join("a.scp.1")).unwrap(), b"old");
        assert!(!taken(&outside.join("x")) && !taken(&outside));
        // The same for the copy made across file systems.
        fs::write(inbox.join("b.scp"), b"b").unwrap();
        symlink(outside.join("y"), done.join("b.scp")).unwrap();
        assert_eq!(
            copy_new(&inbox.join("b.scp"), &done.join("b.scp"))
                .unwrap_err()
                .kind(),
            io::ErrorKind::AlreadyExists
        );
        assert!(!taken(&outside));
        // A failed file: the note's name is taken by a link, so another name is used; the
        // note holds two lines whatever the file's name holds.
        let failed = dir.join("failed");
        fs::create_dir_all(&failed).unwrap();
        let odd = inbox.join("c\nd\u{1b}[2J.scp");
        fs::write(&odd, b"c").unwrap();
        symlink(
            outside.join("z"),
            failed.join("c\nd\u{1b}[2J.scp.error.txt"),
        )
        .unwrap();
        let to = move_failed(&odd, &failed, "cannot read it\nFAKE LINE").unwrap();
        assert_eq!(to, failed.join("c\nd\u{1b}[2J.scp.1"));
        let note = fs::read_to_string(failed.join("c\nd\u{1b}[2J.scp.1.error.txt")).unwrap();
        assert_eq!(note.lines().count(), 2, "{note}");
        assert!(
            note.contains("c\\nd\\u{1b}[2J.scp") && note.contains("it\\nFAKE"),
            "{note}"
        );
        assert!(!note.contains('\u{1b}'));
        assert!(!taken(&outside));
        // --out copies: a link at the name is replaced, not followed.
        symlink(outside.join("w"), done.join("1.2.dcm")).unwrap();
        write_replacing(&done, "1.2.dcm", b"dicom").unwrap();
        assert!(!taken(&outside));
        assert!(
            fs::symlink_metadata(done.join("1.2.dcm"))
                .unwrap()
                .is_file()
        );
        assert_eq!(fs::read(done.join("1.2.dcm")).unwrap(), b"dicom");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_group_moves_all_or_nothing() {
        let dir = tmp("group");
        let inbox = dir.join("in");
        fs::create_dir_all(&inbox).unwrap();
        let (hea, mat) = (inbox.join("r.hea"), inbox.join("r.mat"));
        fs::write(&hea, b"h").unwrap();
        fs::write(&mat, b"m").unwrap();
        let with = companions(&hea);
        assert_eq!(with, vec![mat.clone()]);
        // The archive "folder" is a file: nothing moves.
        let blocked = dir.join("blocked");
        fs::write(&blocked, b"").unwrap();
        assert!(move_group(&hea, &with, &blocked, None).is_err());
        assert!(hea.exists() && mat.exists());
        // The file cannot be moved (here: it is gone) after its companion was: the companion
        // is put back.
        let done = dir.join("done");
        assert!(move_group(&inbox.join("gone.hea"), &with, &done, None).is_err());
        assert!(mat.exists() && !done.join("r.mat").exists());
        // Everything moves when it can.
        let to = move_group(&hea, &with, &done, None).unwrap();
        assert_eq!(to, done.join("r.hea"));
        assert!(done.join("r.mat").exists() && !hea.exists() && !mat.exists());
        let _ = fs::remove_dir_all(&dir);
    }
}
