//! `dicomkit generate`: pictures and metadata to a valid DICOM Secondary Capture object.
//!
//! ```text
//! Usage: dicomkit generate IMAGE... -o OUTPUT.dcm [--force] [--encode native|jpeg]
//!                          [--template FILE.dcm] [--meta FILE.json] [--set KEYWORD=VALUE]...
//!
//! PNG (8/16-bit grey, grey+alpha, RGB, RGBA, palette), JPEG and GIF pictures become one DICOM
//! file. One picture → Secondary Capture Image Storage; several pictures or an animated GIF →
//! one Multi-frame Secondary Capture (Grayscale Byte, Grayscale Word or True Color), every frame
//! of the same size and kind. Alpha is dropped (colours kept as they are, not composited);
//! 16-bit colour is reduced to 8 bits; GIFs are stored as RGB.
//!
//! Pixels: by default JPEG inputs are embedded as they are (JPEG Baseline transfer syntax, one
//! fragment per frame, like DCMTK img2dcm; YBR_FULL_422 for subsampled colour, MONOCHROME2 for
//! grey) and other pictures are stored uncompressed (Explicit VR Little Endian). When JPEGs are
//! mixed with other pictures they are decoded. --encode native decodes JPEGs (needed for
//! progressive or 12-bit JPEGs); --encode jpeg also compresses PNG/GIF pictures (quality 90).
//!
//! Metadata, later sources winning: --template copies the Patient and General Study attributes
//! of an existing object; --meta reads a JSON object {"Keyword": "value" | number | [values] |
//! null}; --set KEYWORD=VALUE (repeatable; a keyword or a tag like 0010,0010). Every value is
//! checked against its VR (dates YYYYMMDD, times HHMMSS, UIDs, lengths, person names, numbers).
//! Anything required and not given gets a default: Modality OT, fresh 2.25 UIDs, today's date
//! and time, Conversion Type WSD, empty patient name and ID, series/instance number 1, and for
//! grey pictures a full-range window (8-bit 128/256, 16-bit 32768/65536: shown as they looked);
//! -v lists them (column `defaulted`) and what the conversion changed.
//!
//! One row: output, sop_class_uid, sop_instance_uid, frames, rows, columns, transfer_syntax.
//! The file is written to a new temporary file beside OUTPUT and renamed; an existing OUTPUT is
//! replaced only with --force, and never when it is one of the inputs.
//! Exit: 0 written; 2 bad arguments or values; 6 unreadable or unusable inputs.
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};

use super::Context;
use crate::error::{Error, Result};
use crate::image::generate::{
    Encoding, Field, GenerateError, build, meta_fields, parse_field, read_picture, template_fields,
};
use crate::output::Value;

/// Columns of `generate`.
pub const COLUMNS: [&str; 7] = [
    "output",
    "sop_class_uid",
    "sop_instance_uid",
    "frames",
    "rows",
    "columns",
    "transfer_syntax",
];

/// Columns of `generate -v`: also the attributes filled with defaults.
pub const COLUMNS_VERBOSE: [&str; 8] = [
    "output",
    "sop_class_uid",
    "sop_instance_uid",
    "frames",
    "rows",
    "columns",
    "transfer_syntax",
    "defaulted",
];

/// How pixels are stored (`--encode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Encode {
    /// Uncompressed pixels (JPEG inputs decoded).
    Native,
    /// JPEG Baseline (JPEG inputs embedded, other pictures compressed).
    Jpeg,
}

/// Arguments of `dicomkit generate`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_long_help = "Examples:
  dicomkit generate photo.jpg -o photo.dcm --set PatientName=Doe^Jane --set PatientID=123
  dicomkit generate page1.png page2.png page3.png -o scan.dcm --template study.dcm
  dicomkit generate clip.gif -o clip.dcm --meta patient.json -v")]
pub struct Args {
    /// Input pictures (PNG, JPEG, GIF; recognised by content). Several make one multi-frame object.
    #[arg(required = true, value_name = "IMAGE")]
    pub inputs: Vec<PathBuf>,

    /// The DICOM file to write (an existing file is replaced only with --force).
    #[arg(short, long, value_name = "OUTPUT.dcm")]
    pub output: PathBuf,

    /// Replace OUTPUT if it exists (never when it is one of the inputs).
    #[arg(long)]
    pub force: bool,

    /// Pixel storage [default: jpeg when every input is a JPEG, else native].
    #[arg(long, value_enum, value_name = "HOW")]
    pub encode: Option<Encode>,

    /// Set an attribute: KEYWORD=VALUE or TAG=VALUE (e.g. PatientName=Doe^Jane, 0010,0020=123).
    #[arg(long = "set", value_name = "KEYWORD=VALUE")]
    pub set: Vec<String>,

    /// Attributes from a JSON object of keyword → value.
    #[arg(long, value_name = "FILE.json")]
    pub meta: Option<PathBuf>,

    /// Copy patient and study attributes from this DICOM file.
    #[arg(long, value_name = "FILE.dcm")]
    pub template: Option<PathBuf>,
}

/// Map a core error: invalid values are usage errors (exit 2), unusable inputs bad input (6).
fn map_err(e: GenerateError) -> Error {
    match e {
        GenerateError::Invalid(m) => Error::Usage(m),
        GenerateError::Input { .. } => Error::BadInput(e.to_string()),
        GenerateError::Encode(m) => Error::Internal(format!("encoding the DICOM file: {m}")),
    }
}

/// Run `dicomkit generate`.
pub fn run(ctx: &Context, args: &Args) -> Result<()> {
    // Arguments first: nothing is read before they are known to be valid.
    let mut set_fields = Vec::with_capacity(args.set.len());
    for spec in &args.set {
        let (key, value) = spec.split_once('=').ok_or_else(|| {
            let spec = crate::text::shorten(spec, crate::text::ECHO_MAX_CHARS);
            Error::Usage(format!(
                "--set {spec:?}: expected KEYWORD=VALUE (e.g. PatientName=Doe^Jane)"
            ))
        })?;
        set_fields.push(parse_field(key, value).map_err(|e| Error::Usage(format!("--set: {e}")))?);
    }
    if args.output.as_os_str().is_empty() || args.output.is_dir() {
        return Err(Error::Usage(format!(
            "-o {}: expected a file name, not a directory",
            args.output.display()
        )));
    }
    check_output(args)?;

    let mut fields: Vec<Field> = Vec::new();
    if let Some(template) = &args.template {
        fields.extend(template_fields(template).map_err(map_err)?);
    }
    if let Some(meta) = &args.meta {
        let text =
            std::fs::read_to_string(meta).map_err(|e| Error::bad_input(meta.display(), e))?;
        fields.extend(meta_fields(meta, &text).map_err(|e| match e {
            GenerateError::Invalid(m) => Error::Usage(format!("--meta {m}")),
            other => map_err(other),
        })?);
    }
    fields.extend(set_fields);

    let encoding = match args.encode {
        Some(Encode::Native) => Some(Encoding::Native),
        Some(Encode::Jpeg) => Some(Encoding::Jpeg),
        None => {
            // Embed JPEGs only when every input is one; a mix is stored natively.
            let all_jpeg = args.inputs.iter().all(|p| is_jpeg(p));
            if all_jpeg {
                None
            } else {
                Some(Encoding::Native)
            }
        }
    };
    let mut frames = Vec::new();
    let mut notes = Vec::new();
    for path in &args.inputs {
        let picture = read_picture(path, encoding).map_err(map_err)?;
        notes.extend(picture.notes);
        let name = path.display().to_string();
        frames.extend(picture.frames.into_iter().map(|f| (name.clone(), f)));
    }
    let built = build(&frames, &fields, chrono::Local::now()).map_err(|e| match e {
        GenerateError::Invalid(m) => Error::BadInput(m),
        other => map_err(other),
    })?;
    write_atomically(&args.output, &built.bytes, args.force)?;

    if ctx.verbose > 0 {
        let mut err = std::io::stderr().lock();
        for note in &notes {
            let _ = writeln!(err, "dicomkit: note: {note}");
        }
        for d in &built.defaulted {
            let _ = writeln!(err, "dicomkit: default: {d}");
        }
    }
    let mut row = vec![
        Value::Text(args.output.display().to_string()),
        Value::Text(built.sop_class_uid.clone()),
        Value::Text(built.sop_instance_uid.clone()),
        Value::Int(i64::try_from(built.frames).unwrap_or(i64::MAX)),
        Value::Int(i64::from(built.rows)),
        Value::Int(i64::from(built.columns)),
        Value::Text(built.transfer_syntax.clone()),
    ];
    let mut out = if ctx.verbose > 0 {
        row.push(Value::Text(built.defaulted.join("; ")));
        ctx.rows(&COLUMNS_VERBOSE)
    } else {
        ctx.rows(&COLUMNS)
    };
    out.row(&row)?;
    out.finish()?;
    Ok(())
}

/// Whether a file starts like a JPEG (unreadable files are left for the reader to report).
fn is_jpeg(path: &Path) -> bool {
    let mut head = [0u8; 3];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok_and(|()| head == [0xFF, 0xD8, 0xFF])
}

/// The output must not be one of the inputs (pictures, --template, --meta), even with --force,
/// and must not exist without --force (a link at its name counts: it is never followed).
fn check_output(args: &Args) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let Ok(out) = std::fs::symlink_metadata(&args.output) else {
        return Ok(());
    };
    let shown = crate::output::escape_controls(&args.output.display().to_string()).into_owned();
    // The file the name leads to, for comparing with the inputs (a link's target too).
    let target = std::fs::metadata(&args.output).unwrap_or(out);
    let inputs = args
        .inputs
        .iter()
        .chain(args.template.as_ref())
        .chain(args.meta.as_ref());
    for input in inputs {
        if std::fs::metadata(input)
            .is_ok_and(|m| m.dev() == target.dev() && m.ino() == target.ino())
        {
            return Err(Error::Usage(format!(
                "-o {shown} is also an input ({}): write the DICOM file elsewhere",
                crate::output::escape_controls(&input.display().to_string()).into_owned()
            )));
        }
    }
    if !args.force {
        return Err(Error::Usage(format!(
            "-o {shown} exists: use --force to replace it"
        )));
    }
    Ok(())
}

/// Write `bytes` to a new temporary file beside `path` (created with `O_EXCL|O_NOFOLLOW`), then
/// rename it to `path`: without `replace` only if nothing has that name by then (never
/// replacing, `renameat2(RENAME_NOREPLACE)`); with it over whatever is there (a link at `path`
/// is replaced, never followed).
fn write_atomically(path: &Path, bytes: &[u8], replace: bool) -> Result<()> {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output.dcm".into());
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
    let shown = || crate::output::escape_controls(&path.display().to_string()).into_owned();
    let result = (|| -> std::io::Result<()> {
        let mut f = crate::import::create_new(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        if replace {
            std::fs::rename(&tmp, path)
        } else {
            crate::import::rename_no_replace(&tmp, path)
        }
    })();
    match result {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                return Err(Error::Usage(format!(
                    "-o {}: appeared while writing; use --force to replace it",
                    shown()
                )));
            }
            Err(Error::bad_input(shown(), format!("cannot write: {e}")))
        }
    }
}
