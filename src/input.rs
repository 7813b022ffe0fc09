//! Expanding the paths a user gives into the files to read: files as given, directories
//! walked recursively (sorted by name, symlinks followed, loops detected; walked entries that
//! are not regular files — FIFOs, devices, sockets — skipped), `.zip` archives opened and their
//! members read in order. Expansion is lazy, so a batch of a million files starts at once and
//! holds only the current chunk.
//!
//! Every [`Input`] knows its container, so that the files that belong to it (a WFDB header's
//! signal files) are fetched from the same place ([`Input::companion`]): the same folder for a
//! file on disk, the same archive and member folder for a zip member, nowhere for stdin —
//! never the current directory.

use std::borrow::Cow;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Largest input file read into memory. Zip members have their own, lower limits
/// ([`crate::zip_budget`]).
pub const MAX_INPUT_BYTES: u64 = 2 << 30;

/// Where an input's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    /// A file on disk; its companions are the files of its folder.
    Path(PathBuf),
    /// A member of a zip archive; its companions are the members of the same archive in the
    /// same member folder.
    Member(Member),
    /// Bytes without a container (stdin): no companions.
    Bytes(Vec<u8>),
}

/// A member of a zip archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The archive it is in.
    pub archive: Archive,
    /// Its name in the archive (`folder/name.ext`).
    pub name: String,
    /// Its index in the archive. The member is inflated only when read ([`Input::read`]).
    pub index: usize,
}

/// An input's bytes, as [`Input::read`] gives them: a member's inflated bytes hold a share of
/// the zip memory budget ([`crate::zip_budget`]) until dropped.
#[derive(Debug)]
pub struct Bytes<'a> {
    bytes: Cow<'a, [u8]>,
    _permit: Option<crate::zip_budget::Permit>,
}

impl Bytes<'_> {
    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes
    }

    /// Whether the bytes are borrowed from the input (stdin bytes), not read or inflated.
    pub fn is_borrowed(&self) -> bool {
        matches!(self.bytes, Cow::Borrowed(_))
    }

    /// The bytes as an owned vector. A member's share of the zip budget is given back: the
    /// caller keeps the bytes outside the budget.
    pub fn into_owned(self) -> Vec<u8> {
        self.bytes.into_owned()
    }
}

impl std::ops::Deref for Bytes<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

impl AsRef<[u8]> for Bytes<'_> {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

/// An open zip archive, shared by its members: cloning it shares the file handle and the
/// central directory, so that a member's companions are found without listing the archive
/// again.
#[derive(Clone)]
pub struct Archive {
    path: Arc<Path>,
    zip: zip::ZipArchive<SharedFile>,
}

impl Archive {
    /// Open a zip archive.
    pub fn open(path: &Path) -> Result<Archive, String> {
        let file = File::open(path).map_err(|e| io_reason(&e))?;
        let len = file.metadata().map_err(|e| io_reason(&e))?.len();
        let shared = SharedFile {
            file: Arc::new(file),
            len,
            pos: 0,
        };
        let zip =
            zip::ZipArchive::new(shared).map_err(|e| format!("not a readable zip archive: {e}"))?;
        Ok(Archive {
            path: Arc::from(path),
            zip,
        })
    }

    /// The archive's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl std::fmt::Debug for Archive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Archive").field(&self.path).finish()
    }
}

impl PartialEq for Archive {
    fn eq(&self, other: &Archive) -> bool {
        self.path == other.path
    }
}

impl Eq for Archive {}

/// A file read by position (`pread`), so that clones share one handle and never disturb each
/// other's position.
#[derive(Clone)]
struct SharedFile {
    file: Arc<File>,
    len: u64,
    pos: u64,
}

impl Read for SharedFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read_at(buf, self.pos)?;
        self.pos = self.pos.saturating_add(n as u64);
        Ok(n)
    }
}

impl Seek for SharedFile {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let (base, delta) = match to {
            SeekFrom::Start(n) => {
                self.pos = n;
                return Ok(n);
            }
            SeekFrom::End(d) => (self.len, d),
            SeekFrom::Current(d) => (self.pos, d),
        };
        let pos = base.checked_add_signed(delta).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            )
        })?;
        self.pos = pos;
        Ok(pos)
    }
}

/// One input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// How the input is named in output and messages: the path, or `archive.zip!member`.
    pub label: String,
    /// The bytes, or where they are.
    pub data: Data,
    /// Named by the user directly (not found by walking a directory or an archive). Walked
    /// inputs that are not DICOM at all are skipped; named ones are errors.
    pub explicit: bool,
}

/// An input that could not be listed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{label}: {reason}")]
pub struct InputError {
    /// The path or member.
    pub label: String,
    /// Why.
    pub reason: String,
}

impl Input {
    /// A file on disk named by the user.
    pub fn file(path: impl Into<PathBuf>) -> Input {
        let path = path.into();
        Input {
            label: path.display().to_string(),
            data: Data::Path(path),
            explicit: true,
        }
    }

    /// Bytes without a container (stdin), named `label`; they have no companions.
    pub fn bytes(label: impl Into<String>, bytes: Vec<u8>) -> Input {
        Input {
            label: label.into(),
            data: Data::Bytes(bytes),
            explicit: true,
        }
    }

    /// The file on disk, when the input is one.
    pub fn path(&self) -> Option<&Path> {
        match &self.data {
            Data::Path(p) => Some(p),
            _ => None,
        }
    }

    /// The input's own file name (without its folder or archive): what its extension is read
    /// from.
    pub fn file_name(&self) -> String {
        match &self.data {
            Data::Path(p) => p.file_name().map_or_else(
                || p.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
            Data::Member(m) => m.name.rsplit('/').next().unwrap_or(&m.name).to_owned(),
            Data::Bytes(_) => self.label.clone(),
        }
    }

    /// All the input's bytes (at most [`MAX_INPUT_BYTES`]): borrowed when already in memory.
    pub fn read(&self) -> Result<Bytes<'_>, InputError> {
        let plain = |bytes| Bytes {
            bytes,
            _permit: None,
        };
        match &self.data {
            Data::Path(p) => {
                let fail = |reason: String| InputError {
                    label: self.label.clone(),
                    reason,
                };
                let file = File::open(p).map_err(|e| fail(io_reason(&e)))?;
                let size = file.metadata().map(|m| m.len()).unwrap_or(0);
                if size > MAX_INPUT_BYTES {
                    return Err(fail(format!(
                        "the file is larger than {MAX_INPUT_BYTES} bytes"
                    )));
                }
                let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
                file.take(MAX_INPUT_BYTES + 1)
                    .read_to_end(&mut bytes)
                    .map_err(|e| fail(io_reason(&e)))?;
                if bytes.len() as u64 > MAX_INPUT_BYTES {
                    return Err(fail(format!(
                        "the file is larger than {MAX_INPUT_BYTES} bytes"
                    )));
                }
                Ok(plain(Cow::Owned(bytes)))
            }
            Data::Member(m) => m.inflate(usize::MAX).map_err(|reason| InputError {
                label: self.label.clone(),
                reason,
            }),
            Data::Bytes(b) => Ok(plain(Cow::Borrowed(b))),
        }
    }

    /// The first `n` bytes (fewer when the input is shorter).
    pub fn head(&self, n: usize) -> Result<Cow<'_, [u8]>, InputError> {
        match &self.data {
            Data::Path(p) => {
                let mut bytes = Vec::with_capacity(n.min(1 << 20));
                File::open(p)
                    .and_then(|f| f.take(n as u64).read_to_end(&mut bytes))
                    .map_err(|e| InputError {
                        label: self.label.clone(),
                        reason: io_reason(&e),
                    })?;
                Ok(Cow::Owned(bytes))
            }
            Data::Member(m) => m
                .inflate(n)
                .map(|b| Cow::Owned(b.as_slice().to_vec()))
                .map_err(|reason| InputError {
                    label: self.label.clone(),
                    reason,
                }),
            Data::Bytes(b) => Ok(Cow::Borrowed(b.get(..n).unwrap_or(b))),
        }
    }

    /// Whether a companion `name` exists in the input's container (a regular file beside it,
    /// or a member of its archive's member folder). False for invalid names and for stdin.
    pub fn has_companion(&self, name: &str) -> bool {
        let Ok(parts) = companion_parts(name) else {
            return false;
        };
        match &self.data {
            Data::Path(p) => std::fs::metadata(sibling_path(p, &parts)).is_ok_and(|m| m.is_file()),
            Data::Member(m) => m
                .archive
                .zip
                .index_for_name(&sibling_member(&m.name, &parts))
                .is_some(),
            Data::Bytes(_) => false,
        }
    }

    /// Read a companion file of this input — a file that belongs to it, named relative to it
    /// (a WFDB header's signal file) — from the same container: the input's folder on disk, or
    /// the same member folder of its zip archive; never the current directory. The name must be
    /// relative and stay inside (no `..`, not absolute). On disk the opened file must be a
    /// regular file (a symlink to a device, a FIFO or a folder is refused, without blocking).
    /// At most `max_bytes` are read: the first `max_bytes` bytes of a longer file.
    pub fn companion(&self, name: &str, max_bytes: u64) -> Result<Vec<u8>, InputError> {
        let parts = companion_parts(name).map_err(|reason| InputError {
            label: format!("{}: companion {name:?}", self.label),
            reason,
        })?;
        match &self.data {
            Data::Path(p) => {
                let path = sibling_path(p, &parts);
                let fail = |reason: String| InputError {
                    label: path.display().to_string(),
                    reason,
                };
                // O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer.
                let file = OpenOptions::new()
                    .read(true)
                    .custom_flags(libc::O_NONBLOCK)
                    .open(&path)
                    .map_err(|e| fail(io_reason(&e)))?;
                let meta = file.metadata().map_err(|e| fail(io_reason(&e)))?;
                if !meta.is_file() {
                    return Err(fail(
                        "not a regular file (a device, FIFO, socket or folder)".into(),
                    ));
                }
                read_capped(file, meta.len(), max_bytes).map_err(|e| fail(io_reason(&e)))
            }
            Data::Member(m) => {
                let member = sibling_member(&m.name, &parts);
                let fail = |reason: String| InputError {
                    label: format!("{}!{member}", m.archive.path.display()),
                    reason,
                };
                let mut zip = m.archive.zip.clone();
                let file = zip.by_name(&member).map_err(|e| match e {
                    zip::result::ZipError::FileNotFound => {
                        fail("no such member in the archive".into())
                    }
                    e => fail(e.to_string()),
                })?;
                if !file.is_file() {
                    return Err(fail("not a regular file (a folder or a symlink)".into()));
                }
                let size = file.size();
                read_capped(file, size, max_bytes).map_err(|e| fail(e.to_string()))
            }
            Data::Bytes(_) => Err(InputError {
                label: format!("{}: companion {name:?}", self.label),
                reason:
                    "an input without a folder (stdin) has no companion files: give the file's path"
                        .into(),
            }),
        }
    }
}

impl Member {
    /// Inflate at most `max` bytes of the member (all of it with `usize::MAX`) within the zip
    /// limits ([`crate::zip_budget`]): the declared size is reserved from the budget (refused
    /// above the per-member limit), and the real size and compression ratio are checked while
    /// inflating, in blocks — the declared size is never allocated up front.
    fn inflate(&self, max: usize) -> Result<Bytes<'static>, String> {
        use crate::zip_budget::{MAX_RATIO, RATIO_FLOOR, acquire, limits};
        let limits = limits();
        let mut zip = self.archive.zip.clone();
        let file = zip.by_index(self.index).map_err(|e| e.to_string())?;
        let declared = file.size();
        let compressed = file.compressed_size().max(1);
        if declared > limits.member_max {
            return Err(format!(
                "the member declares {declared} bytes, more than the {} allowed for a zip member \
                 (DICOMKIT_ZIP_MEMBER_MAX)",
                limits.member_max
            ));
        }
        let want = declared.min(max as u64);
        let permit = acquire(want)?;
        // Inflated in blocks, joined once at the end at its real size: a member refused half-way
        // never cost more than what was inflated (no doubling growth), nor its declared size.
        let mut blocks: Vec<Vec<u8>> = Vec::new();
        let mut out: u64 = 0;
        let mut reader = file;
        loop {
            let room = (want - out).min(4 << 20) as usize;
            if room == 0 {
                // Whether the member holds more than it declares (only when all was wanted).
                if want == declared {
                    let mut one = [0u8; 1];
                    if reader.read(&mut one).map_err(|e| e.to_string())? > 0 {
                        return Err(format!(
                            "the member holds more than the {declared} bytes it declares"
                        ));
                    }
                }
                break;
            }
            let mut block = Vec::new();
            let got = (&mut reader)
                .take(room as u64)
                .read_to_end(&mut block)
                .map_err(|e| e.to_string())?;
            if got == 0 {
                break;
            }
            blocks.push(block);
            out += got as u64;
            if out > RATIO_FLOOR && out / compressed > MAX_RATIO {
                return Err(format!(
                    "refused as a zip bomb: {compressed} compressed bytes inflate to more than \
                     {out} (ratio above {MAX_RATIO}:1)"
                ));
            }
        }
        Ok(Bytes {
            bytes: Cow::Owned(blocks.concat()),
            _permit: Some(permit),
        })
    }
}

/// At most `max` bytes of `r` (of `size` declared). The declared size (a zip header's) is only
/// a hint: at most 64 MiB are reserved before the bytes are there.
fn read_capped(r: impl Read, size: u64, max: u64) -> std::io::Result<Vec<u8>> {
    let want = size.min(max).min(64 << 20);
    let mut bytes = Vec::with_capacity(usize::try_from(want).unwrap_or(0));
    r.take(max).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The parts of a companion name (`sub/x.dat` → [`sub`, `x.dat`]), or why it is refused.
fn companion_parts(name: &str) -> Result<Vec<&str>, String> {
    if name.is_empty() {
        return Err("an empty file name".into());
    }
    if name.contains('\0') {
        return Err("a file name with a NUL byte".into());
    }
    if name.starts_with(['/', '\\']) || Path::new(name).is_absolute() || name.get(1..2) == Some(":")
    {
        return Err(
            "an absolute file name: companion files are named relative to their input".into(),
        );
    }
    let parts: Vec<&str> = name
        .split(['/', '\\'])
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if parts.contains(&"..") {
        return Err("a file name with `..`: companion files stay in their input's folder".into());
    }
    if parts.is_empty() {
        return Err("a file name that names a folder".into());
    }
    Ok(parts)
}

/// A companion on disk: in the input's own folder (`p`'s parent; for a bare relative name
/// that is the current directory, where the input itself is).
fn sibling_path(p: &Path, parts: &[&str]) -> PathBuf {
    let mut path = p.parent().map(Path::to_path_buf).unwrap_or_default();
    for part in parts {
        path.push(part);
    }
    path
}

/// A companion in an archive: in the member's own folder.
fn sibling_member(member: &str, parts: &[&str]) -> String {
    let folder = member.rsplit_once('/').map(|(f, _)| f);
    let mut name = String::new();
    if let Some(f) = folder {
        name.push_str(f);
        name.push('/');
    }
    name.push_str(&parts.join("/"));
    name
}

fn is_zip(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

/// All inputs under `paths`, lazily, in a stable order.
pub fn expand(paths: &[PathBuf]) -> impl Iterator<Item = Result<Input, InputError>> + '_ {
    paths.iter().flat_map(|p| expand_one(p))
}

fn expand_one(path: &Path) -> Box<dyn Iterator<Item = Result<Input, InputError>> + '_> {
    let label = path.display().to_string();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            return Box::new(std::iter::once(Err(InputError {
                label,
                reason: io_reason(&e),
            })));
        }
    };
    if meta.is_dir() {
        let walk = walkdir::WalkDir::new(path)
            .follow_links(true)
            .sort_by_file_name();
        Box::new(walk.into_iter().flat_map(
            |entry| -> Box<dyn Iterator<Item = Result<Input, InputError>>> {
                match entry {
                    Ok(e) if e.file_type().is_dir() => Box::new(std::iter::empty()),
                    // FIFOs, devices, sockets: nothing to read (and a FIFO would block).
                    Ok(e) if !e.file_type().is_file() => Box::new(std::iter::empty()),
                    Ok(e) if is_zip(e.path()) => {
                        Box::new(zip_members(e.path().to_path_buf(), false))
                    }
                    Ok(e) => Box::new(std::iter::once(Ok(Input {
                        label: e.path().display().to_string(),
                        data: Data::Path(e.into_path()),
                        explicit: false,
                    }))),
                    Err(e) => {
                        let label = e
                            .path()
                            .map_or_else(String::new, |p| p.display().to_string());
                        let reason = e.io_error().map_or_else(|| e.to_string(), io_reason);
                        Box::new(std::iter::once(Err(InputError { label, reason })))
                    }
                }
            },
        ))
    } else if is_zip(path) {
        Box::new(zip_members(path.to_path_buf(), true))
    } else {
        Box::new(std::iter::once(Ok(Input {
            label,
            data: Data::Path(path.to_path_buf()),
            explicit: true,
        })))
    }
}

/// The members of a zip archive, read one at a time.
fn zip_members(path: PathBuf, explicit: bool) -> ZipMembers {
    let label = path.display().to_string();
    let archive = match Archive::open(&path) {
        Ok(a) => a,
        Err(reason) => {
            return ZipMembers {
                archive: None,
                next: 0,
                first_error: Some(InputError {
                    label: label.clone(),
                    reason,
                }),
                label,
            };
        }
    };
    if archive.zip.is_empty() && explicit {
        let err = InputError {
            label: label.clone(),
            reason: "the zip archive is empty".into(),
        };
        return ZipMembers {
            archive: None,
            next: 0,
            label,
            first_error: Some(err),
        };
    }
    ZipMembers {
        archive: Some(archive),
        next: 0,
        label,
        first_error: None,
    }
}

struct ZipMembers {
    archive: Option<Archive>,
    next: usize,
    label: String,
    first_error: Option<InputError>,
}

impl Iterator for ZipMembers {
    type Item = Result<Input, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.first_error.take() {
            return Some(Err(e));
        }
        let archive = self.archive.as_mut()?;
        loop {
            if self.next >= archive.zip.len() {
                return None;
            }
            let index = self.next;
            self.next += 1;
            let member = match archive.zip.by_index(index) {
                Ok(m) => m,
                Err(e) => {
                    return Some(Err(InputError {
                        label: format!("{}!#{index}", self.label),
                        reason: e.to_string(),
                    }));
                }
            };
            if member.is_dir() {
                continue;
            }
            let name = member
                .name()
                .map_or_else(|_| format!("#{index}"), |n| n.into_owned());
            let label = format!("{}!{name}", self.label);
            let limits = crate::zip_budget::limits();
            if member.size() > limits.member_max {
                // Refused now, without inflating anything.
                return Some(Err(InputError {
                    label,
                    reason: format!(
                        "the member declares {} bytes, more than the {} allowed for a zip member \
                         (DICOMKIT_ZIP_MEMBER_MAX)",
                        member.size(),
                        limits.member_max
                    ),
                }));
            }
            drop(member);
            // Members of an archive named on the command line are still found by walking it.
            return Some(Ok(Input {
                label,
                data: Data::Member(Member {
                    archive: archive.clone(),
                    name,
                    index,
                }),
                explicit: false,
            }));
        }
    }
}

/// A short reason for an I/O error ("No such file or directory").
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn companion_names_stay_inside() {
        for bad in [
            "",
            "..",
            "../x.dat",
            "a/../../x.dat",
            "/abs/x.dat",
            "\\x.dat",
            "C:x.dat",
            "./",
        ] {
            assert!(companion_parts(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(companion_parts("x.dat").unwrap(), ["x.dat"]);
        assert_eq!(companion_parts("./sub/x.dat").unwrap(), ["sub", "x.dat"]);
        assert_eq!(sibling_member("rec/a.hea", &["a.dat"]), "rec/a.dat");
        assert_eq!(sibling_member("a.hea", &["a.dat"]), "a.dat");
    }

    #[test]
    fn companions_on_disk_come_from_the_input_folder_and_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let rec = dir.path().join("rec");
        std::fs::create_dir(&rec).unwrap();
        std::fs::write(rec.join("a.hea"), b"a 1").unwrap();
        std::fs::write(rec.join("a.dat"), [7u8; 100]).unwrap();
        std::fs::write(dir.path().join("outside.dat"), [1u8; 10]).unwrap();
        let input = Input::file(rec.join("a.hea"));
        assert_eq!(input.companion("a.dat", 1000).unwrap(), vec![7u8; 100]);
        // at most max_bytes, whatever the file holds
        assert_eq!(input.companion("a.dat", 10).unwrap().len(), 10);
        assert!(input.has_companion("a.dat") && !input.has_companion("b.dat"));
        // never outside its folder, never from elsewhere
        let e = input.companion("../outside.dat", 1000).unwrap_err();
        assert!(e.reason.contains(".."), "{e}");
        assert!(input.companion("outside.dat", 1000).is_err());
        let abs = dir.path().join("outside.dat");
        let e = input.companion(&abs.to_string_lossy(), 1000).unwrap_err();
        assert!(e.reason.contains("absolute"), "{e}");
        // a symlink to a device and a FIFO are refused (without blocking on the FIFO)
        std::os::unix::fs::symlink("/dev/zero", rec.join("zero.dat")).unwrap();
        let e = input.companion("zero.dat", u64::MAX).unwrap_err();
        assert!(e.reason.contains("not a regular file"), "{e}");
        let fifo = rec.join("fifo.dat");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let e = input.companion("fifo.dat", 1000).unwrap_err();
        assert!(e.reason.contains("not a regular file"), "{e}");
        assert!(input.companion("rec", 1000).is_err());
        // stdin has no folder
        let stdin = Input::bytes("stdin", b"a 1".to_vec());
        let e = stdin.companion("a.dat", 1000).unwrap_err();
        assert!(e.reason.contains("stdin"), "{e}");
    }

    #[test]
    fn companions_in_a_zip_come_from_the_member_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.zip");
        let mut z = zip::ZipWriter::new(File::create(&path).unwrap());
        let opts = zip::write::SimpleFileOptions::default();
        for (name, bytes) in [
            ("rec/a.hea", b"a 1".as_slice()),
            ("rec/a.dat", &[5u8; 64]),
            ("a.dat", &[9u8; 8]),
        ] {
            z.start_file(name, opts).unwrap();
            z.write_all(bytes).unwrap();
        }
        z.add_directory("rec/sub", opts).unwrap();
        z.finish().unwrap();
        let inputs: Vec<Input> = expand(std::slice::from_ref(&path))
            .map(|i| i.unwrap())
            .collect();
        assert_eq!(inputs.len(), 3, "the folder entry is no input");
        let hea = inputs
            .iter()
            .find(|i| i.label.ends_with("!rec/a.hea"))
            .unwrap();
        assert_eq!(hea.file_name(), "a.hea");
        assert_eq!(hea.companion("a.dat", 1000).unwrap(), vec![5u8; 64]);
        assert_eq!(hea.companion("a.dat", 4).unwrap(), vec![5u8; 4]);
        assert!(hea.has_companion("a.dat") && !hea.has_companion("b.dat"));
        let e = hea.companion("b.dat", 1000).unwrap_err();
        assert!(e.label.ends_with("w.zip!rec/b.dat"), "{e}");
        assert!(hea.companion("../a.dat", 1000).is_err());
        assert!(hea.companion("sub", 1000).is_err());
        // the root member sees the root folder
        let root = inputs.iter().find(|i| i.label.ends_with("!a.dat")).unwrap();
        assert_eq!(root.companion("a.dat", 1000).unwrap(), vec![9u8; 8]);
    }

    #[test]
    fn walks_skip_fifos_and_devices() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), b"x").unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(dir.path().join("fifo"))
            .status()
            .unwrap();
        assert!(made.success());
        std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero")).unwrap();
        let labels: Vec<String> = expand(&[dir.path().to_path_buf()])
            .map(|i| i.unwrap().label)
            .collect();
        assert_eq!(labels.len(), 1, "{labels:?}");
        assert!(labels[0].ends_with("a.txt"));
    }
}
