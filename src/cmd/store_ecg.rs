//! `dicomkit store-ecg`: ECGs in any format → DICOM 12-lead (or General) ECG → C-STORE.
//!
//! ```text
//! Usage: dicomkit store-ecg --pacs AE@HOST:PORT [OPTIONS] FILE|DIR...
//!        dicomkit store-ecg --pacs AE@HOST:PORT --import-dir DIR (--erase-on-success | --archive-dir D)
//!                           [--failed-dir D] [--settle SECS] [--watch [SECS]]
//!        dicomkit store-ecg --dry-run [--out DIR] FILE|DIR...
//!
//! FILE|DIR: files, directories (walked) and zip archives (their members); a WFDB header's
//! signal files are read from its own folder or archive, and are not inputs of their own.
//! Each ECG (SCP-ECG, HL7 aECG, DICOM-ECG, WFDB; detected from content) is converted to DICOM,
//! re-read and compared with its source, and C-STOREd; all over one association (reconnected
//! once if it drops). DICOM-ECG files are sent as they are unless --reencode (or an option that
//! changes them). A partial record (cut short, lengths or CRC that disagree) is unreadable
//! unless --accept-partial, which converts it with a note in its waveform annotations (never
//! with --erase-on-success). One row per file: path, format, sop_class_uid, sop_instance_uid,
//! status, outcome, partial, error, note (what the object sent leaves out on purpose: the
//! rhythm cut to 10 s by --mortara-compat).
//!
//! Folder mode (--import-dir): every settled file (not modified within --settle seconds) is
//! processed once; after the PACS confirms (0x0000, or a warning with --accept-warnings) the
//! file is erased or archived; a file that cannot be read or that the PACS refuses goes to
//! --failed-dir with <name>.error.txt (without --failed-dir it stays and is retried). A file
//! stored but that cannot be erased or archived stays (`not erased`/`not archived`; the next
//! run finishes it without sending it again) and the others go on. An OS lock on
//! .dicomkit-store-ecg.lock stops a second run on the same folder; every outcome is appended
//! to the journal (NDJSON). Nothing is written through a symbolic link. A PACS that cannot be
//! reached leaves every file in place. --watch polls again every SECS seconds (default 10)
//! until killed; killing at any moment loses nothing.
//!
//! Exit: 0 all stored; 4 some failed; 5 PACS/network failure; 6 all inputs unreadable.
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use rayon::prelude::*;
use serde_json::json;

use super::{Context, EcgReadArgs, NetArgs};
use crate::ecg::prepare::{PrepareOptions, Prepared, prepare};
use crate::ecg::{EcgError, Format};
use crate::error::{Error, Result};
use crate::import::{self, Journal};
use crate::input::{Input, InputError};
use crate::net::services::StoreSession;
use crate::net::{NetError, StatusClass};
use crate::output::{RowWriter, Value};

/// SOP classes proposed: the ECG classes the reader accepts (12-lead, General, Ambulatory and
/// General 32-bit ECG Waveform Storage), so that any DICOM-ECG read can be sent as it is.
pub use crate::ecg::dicom::ECG_SOP_CLASSES;

/// Columns of `store-ecg`.
pub const COLUMNS: [&str; 9] = [
    "path",
    "format",
    "sop_class_uid",
    "sop_instance_uid",
    "status",
    "outcome",
    "partial",
    "error",
    "note",
];

/// Arguments of `dicomkit store-ecg`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_long_help = "Examples:
  dicomkit store-ecg --pacs ORTHANC@pacs:4242 ecg1.scp ecg2.xml
  dicomkit store-ecg --dry-run --out converted/ carts/
  dicomkit store-ecg --pacs ORTHANC@pacs:4242 --import-dir /srv/ecg-in --archive-dir /srv/ecg-done --failed-dir /srv/ecg-failed
  */5 * * * * dicomkit store-ecg -q --pacs ORTHANC@pacs:4242 --import-dir /srv/ecg-in --erase-on-success --failed-dir /srv/ecg-failed")]
pub struct Args {
    /// Network options (--pacs is not needed with --dry-run).
    #[command(flatten)]
    pub net: NetArgs,

    /// ECG files, directories (read recursively) or zip archives.
    #[arg(
        value_name = "FILE|DIR",
        conflicts_with = "import_dir",
        required_unless_present = "import_dir"
    )]
    pub paths: Vec<PathBuf>,

    /// Replace the patient ID of every ECG.
    #[arg(long, value_name = "ID")]
    pub patient_id: Option<String>,

    /// Also keep the DICOM files sent (or, with --dry-run, written) in this folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Convert and validate only; send nothing (no --pacs needed).
    #[arg(long)]
    pub dry_run: bool,

    /// Convert DICOM-ECG inputs again instead of sending them as they are.
    #[arg(long)]
    pub reencode: bool,

    /// Write the variant some viewers need: Implicit VR LE, padding 0, rhythm 10 s, median 1.2 s.
    #[arg(long)]
    pub mortara_compat: bool,

    /// Derive missing limb leads (III, aVR, aVL, aVF) from I and II.
    #[arg(long)]
    pub derive_leads: bool,

    /// Folder mode: process the files in this folder (not recursive).
    #[arg(long, value_name = "DIR")]
    pub import_dir: Option<PathBuf>,

    /// Folder mode: keep polling every SECS seconds.
    #[arg(long, value_name = "SECS", num_args = 0..=1, default_missing_value = "10", requires = "import_dir")]
    pub watch: Option<f64>,

    /// Folder mode: erase each file once the PACS confirmed it (never with --accept-partial).
    #[arg(
        long,
        requires = "import_dir",
        conflicts_with_all = ["archive_dir", "accept_partial"]
    )]
    pub erase_on_success: bool,

    /// Folder mode: move each file here once the PACS confirmed it.
    #[arg(long, value_name = "DIR", requires = "import_dir")]
    pub archive_dir: Option<PathBuf>,

    /// Folder mode: move files that cannot be read or are refused here, with <name>.error.txt.
    #[arg(long, value_name = "DIR", requires = "import_dir")]
    pub failed_dir: Option<PathBuf>,

    /// Folder mode: a file modified within the last SECS seconds is still being written.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 5.0,
        requires = "import_dir"
    )]
    pub settle: f64,

    /// Treat warning statuses (0xB000...) as stored.
    #[arg(long)]
    pub accept_warnings: bool,

    /// Folder mode: the journal file (default: .dicomkit-store-ecg.journal.ndjson in the folder).
    #[arg(long, value_name = "FILE", requires = "import_dir")]
    pub journal: Option<PathBuf>,

    /// How ECGs are read (--accept-partial).
    #[command(flatten)]
    pub read: EcgReadArgs,
}

/// What was made of an input that could be read.
struct Written {
    sop_class: String,
    sop_instance: String,
    /// What the object leaves out on purpose ([`Prepared::notes`]), for the `note` column.
    note: Option<String>,
}

impl Written {
    fn of(p: &Prepared) -> Written {
        Written {
            sop_class: p.sop_class.clone(),
            sop_instance: p.sop_instance.clone(),
            note: (!p.notes.is_empty()).then(|| p.notes.join("; ")),
        }
    }
}

/// What happened to one input.
struct Outcome {
    path: PathBuf,
    format: Option<Format>,
    prepared: Option<Written>,
    status: Option<String>,
    outcome: &'static str,
    /// Read with --accept-partial from a partial record.
    partial: bool,
    error: Option<String>,
}

impl Outcome {
    fn row(&self) -> Vec<Value> {
        let w = self.prepared.as_ref();
        vec![
            Value::Text(self.path.display().to_string()),
            self.format.map(|f| f.to_string()).into(),
            w.map(|p| p.sop_class.clone()).into(),
            w.map(|p| p.sop_instance.clone()).into(),
            self.status.clone().into(),
            Value::from(self.outcome),
            Value::Bool(self.partial),
            self.error.clone().into(),
            w.and_then(|p| p.note.clone()).into(),
        ]
    }

    fn journal(&self) -> serde_json::Value {
        let w = self.prepared.as_ref();
        json!({
            "path": self.path.display().to_string(),
            "format": self.format.map(|f| f.to_string()),
            "sop_class_uid": w.map(|p| p.sop_class.clone()),
            "sop_instance_uid": w.map(|p| p.sop_instance.clone()),
            "status": self.status,
            "outcome": self.outcome,
            "partial": self.partial,
            "error": self.error,
            "note": w.and_then(|p| p.note.clone()),
        })
    }
}

/// The C-STORE session (none with --dry-run).
struct Sender(Option<StoreSession>);

impl Sender {
    fn send(&mut self, p: &Prepared) -> std::result::Result<crate::net::Status, NetError> {
        match &mut self.0 {
            Some(session) => session.store(
                &p.sop_class,
                &p.sop_instance,
                &p.transfer_syntax,
                p.dataset(),
            ),
            None => Err(NetError::Protocol {
                peer: String::new(),
                what: "no PACS".into(),
            }),
        }
    }

    fn close(&mut self, ctx: &Context) {
        if let Some(session) = &mut self.0
            && let Err(e) = session.close()
        {
            ctx.warn(&e.to_string());
        }
    }
}

/// Run `dicomkit store-ecg`.
pub fn run(ctx: &Context, args: &Args) -> Result<()> {
    let node = if args.dry_run {
        None
    } else {
        Some(args.net.node()?)
    };
    if args.dry_run && args.import_dir.is_some() {
        return Err(Error::Usage(
            "--dry-run does not go with --import-dir".into(),
        ));
    }
    let options = PrepareOptions {
        reencode: args.reencode,
        patient_id: args.patient_id.clone(),
        mortara_compat: args.mortara_compat,
        derive_leads: args.derive_leads,
        read: args.read.options(),
    };
    if let Some(id) = &args.patient_id {
        crate::net::query::validate_patient_id(id, false)
            .map_err(|m| Error::Usage(format!("--patient-id: {m}")))?;
    }
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out)
            .map_err(|e| Error::BadInput(format!("{}: {e}", out.display())))?;
    }
    let session = match node {
        Some(node) => Some(StoreSession::new(
            node,
            &args.net.aet,
            &ECG_SOP_CLASSES,
            args.net.max_pdu,
            args.net.timeouts()?,
        )),
        None => None,
    };
    let mut sender = Sender(session);
    match &args.import_dir {
        Some(dir) => run_folder(ctx, args, dir, &options, &mut sender),
        None => run_files(ctx, args, &options, &mut sender),
    }
}

/// Files converted per batch while the previous batch is sent.
const PIPELINE_BATCH: usize = 32;
/// Batches converted at once (each one's files on all cores), in input order.
const PIPELINE_DEPTH: usize = 3;

/// The `--out` copy: `<SOP Instance UID>.dcm`, written to a temporary file and renamed (a copy
/// of the same instance from an earlier run is replaced; a symbolic link is never followed).
fn keep_copy(args: &Args, p: &Prepared) -> std::result::Result<(), String> {
    if let Some(out) = &args.out {
        let name = crate::net::scp::safe_file_name(&p.sop_instance);
        import::write_replacing(out, &name, &p.part10).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// What converting one walked item gave.
enum Converted {
    /// A WFDB signal file found by walking: read through its header.
    Companion,
    /// The path or member could not be listed or opened.
    Unlisted(InputError),
    /// The conversion, and the copy written (--out).
    Done {
        label: String,
        explicit: bool,
        prepared: std::result::Result<Prepared, EcgError>,
        copy: std::result::Result<(), String>,
    },
}

fn run_files(
    ctx: &Context,
    args: &Args,
    options: &PrepareOptions,
    sender: &mut Sender,
) -> Result<()> {
    // One walker for every command: files, directories, zip archives (lazily).
    let mut inputs = crate::input::expand(&args.paths);
    let mut out = ctx.rows(&COLUMNS);
    let bar = ctx.progress_bar("ECGs", None);
    let (mut ok, mut failed, mut unreadable) = (0usize, 0usize, 0usize);
    let mut network: Option<NetError> = None;
    // Conversion and sending overlap: while one batch is sent (in input order, over one
    // association), the next ones are converted on all cores, each file's copy (--out) written
    // by the thread that converted it.
    let convert = |batch: Vec<std::result::Result<Input, InputError>>| -> Vec<Converted> {
        batch
            .into_par_iter()
            .map(|item| {
                let input = match item {
                    Ok(i) => i,
                    Err(e) => return Converted::Unlisted(e),
                };
                if !input.explicit && crate::ecg::header_of_signal_file(&input).is_some() {
                    return Converted::Companion;
                }
                let prepared = prepare(&input, options);
                let copy = match &prepared {
                    Ok(p) => keep_copy(args, p),
                    Err(_) => Ok(()),
                };
                Converted::Done {
                    label: input.label,
                    explicit: input.explicit,
                    prepared,
                    copy,
                }
            })
            .collect()
    };
    let convert = &convert;
    std::thread::scope(|scope| -> Result<()> {
        // PIPELINE_DEPTH batches are under way at once, so that the cores go on with the next
        // batch while the last files of one are finished (no pause at batch ends).
        let mut pending = std::collections::VecDeque::with_capacity(PIPELINE_DEPTH);
        loop {
            while pending.len() < PIPELINE_DEPTH {
                let batch: Vec<_> = inputs.by_ref().take(PIPELINE_BATCH).collect();
                if batch.is_empty() {
                    break;
                }
                pending.push_back(scope.spawn(move || convert(batch)));
            }
            let Some(job) = pending.pop_front() else {
                break;
            };
            let converted = job
                .join()
                .map_err(|_| Error::Internal("an ECG conversion thread panicked".into()))?;
            for c in converted {
                bar.inc(1);
                let (label, explicit, result, copy) = match c {
                    Converted::Companion => continue,
                    Converted::Unlisted(e) => (
                        e.label,
                        true,
                        Err(EcgError::Io(std::io::Error::other(e.reason))),
                        Ok(()),
                    ),
                    Converted::Done {
                        label,
                        explicit,
                        prepared,
                        copy,
                    } => (label, explicit, prepared, copy),
                };
                let path = PathBuf::from(&label);
                let p = match result {
                    Ok(p) => p,
                    Err(EcgError::UnknownFormat | EcgError::UnknownXml) if !explicit => {
                        tracing::info!("skipped {label}: not an ECG");
                        continue;
                    }
                    Err(e) => {
                        unreadable += 1;
                        bar.suspend(|| ctx.item_error(&label, &e.to_string()));
                        let o = Outcome {
                            path,
                            format: None,
                            prepared: None,
                            status: None,
                            outcome: "unreadable",
                            partial: false,
                            error: Some(e.to_string()),
                        };
                        out.row(&o.row())?;
                        continue;
                    }
                };
                for w in &p.warnings {
                    bar.suspend(|| ctx.warn(&format!("{label}: {w}")));
                }
                let partial = !p.defects.is_empty();
                let ids = Some(Written::of(&p));
                if let Err(e) = copy {
                    failed += 1;
                    ctx.item_error(&label, &e);
                    out.row(
                        &Outcome {
                            path,
                            format: Some(p.format),
                            prepared: ids,
                            status: None,
                            outcome: "failed",
                            partial,
                            error: Some(e),
                        }
                        .row(),
                    )?;
                    continue;
                }
                if args.dry_run {
                    ok += 1;
                    out.row(
                        &Outcome {
                            path,
                            format: Some(p.format),
                            prepared: ids,
                            status: None,
                            outcome: "converted",
                            partial,
                            error: None,
                        }
                        .row(),
                    )?;
                    continue;
                }
                if network.is_some() {
                    out.row(
                        &Outcome {
                            path,
                            format: Some(p.format),
                            prepared: ids,
                            status: None,
                            outcome: "not sent",
                            partial,
                            error: Some("the PACS could not be reached".into()),
                        }
                        .row(),
                    )?;
                    continue;
                }
                let o = match sender.send(&p) {
                    Ok(s) if s.class() == StatusClass::Success || args.accept_warnings => {
                        ok += 1;
                        Outcome {
                            path,
                            format: Some(p.format),
                            prepared: ids,
                            status: Some(format!("0x{:04X}", s.0)),
                            outcome: "stored",
                            partial,
                            error: None,
                        }
                    }
                    Ok(s) => {
                        failed += 1;
                        let e = format!(
                            "the PACS answered {s} (use --accept-warnings to count it as stored)"
                        );
                        ctx.item_error(&label, &e);
                        Outcome {
                            path,
                            format: Some(p.format),
                            prepared: ids,
                            status: Some(format!("0x{:04X}", s.0)),
                            outcome: "failed",
                            partial,
                            error: Some(e),
                        }
                    }
                    Err(e @ (NetError::Status { .. } | NetError::NotAccepted { .. })) => {
                        failed += 1;
                        let status = if let NetError::Status { status, .. } = &e {
                            Some(format!("0x{:04X}", status.0))
                        } else {
                            None
                        };
                        ctx.item_error(&label, &e.to_string());
                        Outcome {
                            path,
                            format: Some(p.format),
                            prepared: ids,
                            status,
                            outcome: "refused",
                            partial,
                            error: Some(e.to_string()),
                        }
                    }
                    Err(e) => {
                        let o = Outcome {
                            path,
                            format: Some(p.format),
                            prepared: ids,
                            status: None,
                            outcome: "not sent",
                            partial,
                            error: Some(e.to_string()),
                        };
                        network = Some(e);
                        o
                    }
                };
                out.row(&o.row())?;
            }
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    sender.close(ctx);
    out.finish()?;
    finish(ok, failed, unreadable, network)
}

fn finish(ok: usize, failed: usize, unreadable: usize, network: Option<NetError>) -> Result<()> {
    if let Some(e) = network {
        return Err(e.into());
    }
    if ok + failed + unreadable == 0 {
        return Err(Error::NoMatch("no ECG file found".into()));
    }
    if ok == 0 && failed == 0 {
        return Err(Error::BadInput(format!(
            "none of the {unreadable} input(s) could be read"
        )));
    }
    if failed + unreadable > 0 {
        return Err(Error::Partial(format!(
            "{} of {} ECG(s) not stored",
            failed + unreadable,
            ok + failed + unreadable
        )));
    }
    Ok(())
}

fn run_folder(
    ctx: &Context,
    args: &Args,
    dir: &Path,
    options: &PrepareOptions,
    sender: &mut Sender,
) -> Result<()> {
    if !args.erase_on_success && args.archive_dir.is_none() {
        return Err(Error::Usage("--import-dir needs --erase-on-success or --archive-dir (what to do with a file once stored)".into()));
    }
    let settle = Duration::try_from_secs_f64(args.settle)
        .map_err(|_| Error::Usage("--settle must be a number of seconds".into()))?;
    let poll = match args.watch {
        Some(s) => Some(
            Duration::try_from_secs_f64(s)
                .map_err(|_| Error::Usage("--watch must be a number of seconds".into()))?,
        ),
        None => None,
    };
    if !dir.is_dir() {
        return Err(Error::BadInput(format!("{}: not a folder", dir.display())));
    }
    let _lock = import::lock(dir).map_err(|e| match e {
        import::ImportError::Locked { .. } => Error::Usage(e.to_string()),
        _ => Error::BadInput(e.to_string()),
    })?;
    let journal_path = args
        .journal
        .clone()
        .unwrap_or_else(|| dir.join(import::JOURNAL_NAME));
    let mut journal = Journal::open(&journal_path).map_err(|e| Error::BadInput(e.to_string()))?;
    loop {
        // One writer per pass, so that a long-running watcher prints (and frees) each pass's
        // rows as it ends; --format ndjson suits services best.
        let mut out = ctx.rows(&COLUMNS);
        let outcome = folder_pass(
            ctx,
            args,
            dir,
            settle,
            options,
            sender,
            &mut journal,
            out.as_mut(),
        );
        sender.close(ctx);
        out.finish()?;
        match (outcome, poll) {
            (Err(e), None) => return Err(e),
            (Ok(counts), None) => {
                return finish(counts.0, counts.1, counts.2, None).or_else(|e| {
                    if matches!(e, Error::NoMatch(_)) {
                        Ok(())
                    } else {
                        Err(e)
                    }
                });
            }
            (Err(e), Some(p)) => {
                ctx.item_error(&dir.display().to_string(), &e.to_string());
                std::thread::sleep(p);
            }
            (Ok(_), Some(p)) => std::thread::sleep(p),
        }
    }
}

/// Move a file that failed (and its companions) to --failed-dir, if given. When that fails the
/// files stay where they are (retried next pass); the reason joins the row's error, stderr and
/// the journal (`not moved`).
fn to_failed_dir(
    ctx: &Context,
    args: &Args,
    o: &mut Outcome,
    with: &[PathBuf],
    journal: &mut Journal,
) -> std::result::Result<(), import::ImportError> {
    let Some(f) = &args.failed_dir else {
        return Ok(());
    };
    let reason = o.error.clone().unwrap_or_default();
    if let Err(e) = import::move_group(&o.path, with, f, Some(&reason)) {
        let e = format!("not moved to the failed folder: {e}");
        ctx.item_error(&o.path.display().to_string(), &e);
        journal.record(json!({
            "path": o.path.display().to_string(),
            "outcome": "not moved",
            "error": e,
        }))?;
        o.error = Some(format!("{reason}; {e}"));
    }
    Ok(())
}

/// One pass over the folder: (stored, failed, unreadable). One file that cannot be moved or
/// erased is reported and left in place; the pass goes on with the others. Only the journal
/// failing (or the PACS becoming unreachable) ends a pass.
#[allow(clippy::too_many_arguments)]
fn folder_pass(
    ctx: &Context,
    args: &Args,
    dir: &Path,
    settle: Duration,
    options: &PrepareOptions,
    sender: &mut Sender,
    journal: &mut Journal,
    out: &mut dyn RowWriter,
) -> Result<(usize, usize, usize)> {
    let jerr = |e: import::ImportError| Error::BadInput(e.to_string());
    let (files, waiting) = import::settled_files(dir, settle).map_err(jerr)?;
    if waiting > 0 {
        tracing::info!("{waiting} file(s) still being written: next pass");
    }
    let already = journal.stored_instances().map_err(jerr)?;
    let (mut ok, mut failed, mut unreadable) = (0, 0, 0);
    // WFDB signal files travel with their header.
    let owned: std::collections::HashSet<PathBuf> =
        files.iter().flat_map(|f| import::companions(f)).collect();
    for path in files.into_iter().filter(|f| !owned.contains(f)) {
        let with = import::companions(&path);
        let shown = path.display().to_string();
        let mut o = Outcome {
            path: path.clone(),
            format: None,
            prepared: None,
            status: None,
            outcome: "failed",
            partial: false,
            error: None,
        };
        let p = match prepare(&Input::file(&path), options) {
            Ok(p) => p,
            Err(e) => {
                unreadable += 1;
                o.outcome = "unreadable";
                o.error = Some(e.to_string());
                ctx.item_error(&shown, &e.to_string());
                journal.record(o.journal()).map_err(jerr)?;
                to_failed_dir(ctx, args, &mut o, &with, journal).map_err(jerr)?;
                out.row(&o.row())?;
                continue;
            }
        };
        for w in &p.warnings {
            ctx.warn(&format!("{shown}: {w}"));
        }
        o.format = Some(p.format);
        o.partial = !p.defects.is_empty();
        o.prepared = Some(Written::of(&p));
        if let Err(e) = keep_copy(args, &p) {
            ctx.warn(&format!("{shown}: {e}"));
        }
        let stored = if already.contains(&p.sop_instance) {
            // Stored by an earlier run that stopped (or failed) before erasing/archiving:
            // finish the job without sending it again.
            o.status = Some("journal".into());
            true
        } else {
            match sender.send(&p) {
                Ok(s) if s.class() == StatusClass::Success || args.accept_warnings => {
                    o.status = Some(format!("0x{:04X}", s.0));
                    true
                }
                Ok(s) => {
                    o.status = Some(format!("0x{:04X}", s.0));
                    o.error = Some(format!(
                        "the PACS answered {s} (use --accept-warnings to count it as stored)"
                    ));
                    false
                }
                Err(e @ (NetError::Status { .. } | NetError::NotAccepted { .. })) => {
                    if let NetError::Status { status, .. } = &e {
                        o.status = Some(format!("0x{:04X}", status.0));
                    }
                    o.outcome = "refused";
                    o.error = Some(e.to_string());
                    false
                }
                Err(e) => {
                    // The PACS cannot be reached: leave every file where it is.
                    o.outcome = "not sent";
                    o.error = Some(e.to_string());
                    journal.record(o.journal()).map_err(jerr)?;
                    out.row(&o.row())?;
                    return Err(e.into());
                }
            }
        };
        if stored {
            o.outcome = "stored";
            journal.record(o.journal()).map_err(jerr)?;
            // The journal now says it is stored: whatever happens to the file below, it is not
            // sent again.
            let done = match &args.archive_dir {
                Some(a) if !args.erase_on_success => import::move_group(&path, &with, a, None)
                    .map(|to| ("archived", Some(to.display().to_string())))
                    .map_err(|e| ("not archived", e)),
                _ => import::erase_group(&path, &with)
                    .map(|()| ("erased", None))
                    .map_err(|e| ("not erased", e)),
            };
            match done {
                Ok((what, to)) => {
                    let mut rec =
                        json!({"path": shown, "sop_instance_uid": p.sop_instance, "outcome": what});
                    if let Some(to) = to {
                        rec["to"] = to.into();
                    }
                    journal.record(rec).map_err(jerr)?;
                    ok += 1;
                }
                Err((what, e)) => {
                    // Stored, but the file stays: reported, and finished by a later run.
                    failed += 1;
                    o.outcome = what;
                    o.error = Some(format!(
                        "stored, but {what} (it stays; the next run finishes it without sending it again): {e}"
                    ));
                    ctx.item_error(&shown, o.error.as_deref().unwrap_or_default());
                    journal
                        .record(json!({"path": shown, "sop_instance_uid": p.sop_instance, "outcome": what, "error": e.to_string()}))
                        .map_err(jerr)?;
                }
            }
        } else {
            failed += 1;
            ctx.item_error(&shown, o.error.as_deref().unwrap_or_default());
            journal.record(o.journal()).map_err(jerr)?;
            to_failed_dir(ctx, args, &mut o, &with, journal).map_err(jerr)?;
        }
        out.row(&o.row())?;
    }
    Ok((ok, failed, unreadable))
}
