//! Expanding the paths a user gives into the files to read: files as given, directories
//! walked recursively (sorted by name, symlinks followed, loops detected), `.zip` archives
//! opened and their members read in order. Expansion is lazy, so a batch of a million files
//! starts at once and holds only the current chunk.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest zip member read into memory (a guard against zip bombs).
const MAX_ZIP_MEMBER: u64 = 2 << 30;

/// Where an input's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    /// A file on disk.
    Path(PathBuf),
    /// Bytes already in memory (a zip member).
    Bytes(Vec<u8>),
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
fn zip_members(path: PathBuf, explicit: bool) -> impl Iterator<Item = Result<Input, InputError>> {
    let label = path.display().to_string();
    let archive = File::open(&path).map_err(|e| io_reason(&e)).and_then(|f| {
        zip::ZipArchive::new(f).map_err(|e| format!("not a readable zip archive: {e}"))
    });
    let mut archive = match archive {
        Ok(a) => a,
        Err(reason) => {
            return ZipMembers {
                archive: None,
                next: 0,
                label,
                first_error: Some(InputError {
                    label: path.display().to_string(),
                    reason,
                }),
                explicit,
            };
        }
    };
    if archive.is_empty() && explicit {
        let err = InputError {
            label: label.clone(),
            reason: "the zip archive is empty".into(),
        };
        return ZipMembers {
            archive: None,
            next: 0,
            label,
            first_error: Some(err),
            explicit,
        };
    }
    let _ = &mut archive;
    ZipMembers {
        archive: Some(archive),
        next: 0,
        label,
        first_error: None,
        explicit,
    }
}

struct ZipMembers {
    archive: Option<zip::ZipArchive<File>>,
    next: usize,
    label: String,
    first_error: Option<InputError>,
    explicit: bool,
}

impl Iterator for ZipMembers {
    type Item = Result<Input, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.first_error.take() {
            return Some(Err(e));
        }
        let archive = self.archive.as_mut()?;
        loop {
            if self.next >= archive.len() {
                return None;
            }
            let index = self.next;
            self.next += 1;
            let mut member = match archive.by_index(index) {
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
            let label = format!(
                "{}!{}",
                self.label,
                member
                    .name()
                    .map_or_else(|_| format!("#{index}"), |n| n.into_owned())
            );
            if member.size() > MAX_ZIP_MEMBER {
                return Some(Err(InputError {
                    label,
                    reason: format!("member is larger than {MAX_ZIP_MEMBER} bytes"),
                }));
            }
            let mut bytes = Vec::with_capacity(usize::try_from(member.size()).unwrap_or(0));
            if let Err(e) = member.by_ref().take(MAX_ZIP_MEMBER).read_to_end(&mut bytes) {
                return Some(Err(InputError {
                    label,
                    reason: e.to_string(),
                }));
            }
            // Members of an archive named on the command line are still found by walking it.
            let _ = self.explicit;
            return Some(Ok(Input {
                label,
                data: Data::Bytes(bytes),
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
