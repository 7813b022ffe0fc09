//! `dicomkit move`: find a patient's studies, then C-MOVE them to a destination AE or to
//! dicomkit itself, and say exactly what arrived.
//!
//! ```text
//! Usage: dicomkit move --pacs AE@HOST:PORT --patient-id ID [find filters] (--dest AE | --to-dir DIR [--port P])
//!
//! One association: the C-FIND of `find`, then one C-MOVE per matched study.
//! --dest AE     move to a destination the PACS knows.
//! --to-dir DIR  move to self: dicomkit runs its Storage SCP on --port (default 11112) as
//!               --aet, asks the PACS to move to --aet, and writes the instances to DIR.
//!               The PACS must know that AE (host and port).
//! One row per study: study_instance_uid, patient_id, study_date, modalities_in_study, status,
//! status_meaning, completed, failed, warning, failed_sop_instance_uids. Totals on stderr.
//! Exit 0 all completed; 4 some sub-operations failed or warned (or some studies failed);
//! 5 the move failed outright (e.g. 0xA801 unknown destination); 3 nothing matched.
//! ```

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use dicom_core::{Tag, VR};

use super::find::QueryArgs;
use super::{Context, NetArgs};
use crate::error::{Error, Result};
use crate::net::scp::{ScpEvent, ScpOptions, StorageScp};
use crate::net::services::{Identifier, MoveOutcome, move_to, text_of};
use crate::net::{STUDY_ROOT_FIND, STUDY_ROOT_MOVE, StatusClass, validate_ae};
use crate::output::Value;

/// Arguments of `dicomkit move`.
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["dest", "to_dir"])))]
#[command(after_long_help = "Examples:
  dicomkit move --pacs ORTHANC@127.0.0.1:4242 --patient-id PAT001 --dest STORESCP
  dicomkit move --pacs ORTHANC@pacs:4242 --patient-id PAT001 --modality CT --max-results 1 --to-dir ./in --port 11112")]
pub struct Args {
    /// Network options.
    #[command(flatten)]
    pub net: NetArgs,
    /// Query options (as in `find`).
    #[command(flatten)]
    pub query: QueryArgs,

    /// Move to this AE (known to the PACS).
    #[arg(long, value_name = "AE")]
    pub dest: Option<String>,

    /// Move to self: receive the instances into this folder.
    #[arg(long, value_name = "DIR")]
    pub to_dir: Option<PathBuf>,

    /// With --to-dir: the port our Storage SCP listens on.
    #[arg(long, value_name = "PORT", default_value_t = 11112, requires = "to_dir",
          value_parser = clap::value_parser!(u16).range(1..))]
    pub port: u16,

    /// With --to-dir: the address our Storage SCP listens on.
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "0.0.0.0",
        requires = "to_dir"
    )]
    pub bind: IpAddr,
}

/// Columns of `move`.
pub const COLUMNS: [&str; 10] = [
    "study_instance_uid",
    "patient_id",
    "study_date",
    "modalities_in_study",
    "status",
    "status_meaning",
    "completed",
    "failed",
    "warning",
    "failed_sop_instance_uids",
];

/// Run `dicomkit move`.
pub fn run(ctx: &Context, args: &Args) -> Result<()> {
    let query = args.query.query()?;
    if query.level != crate::net::query::Level::Study {
        return Err(Error::Usage(
            "move works at study level (--level study)".into(),
        ));
    }
    let node = args.net.node()?;
    let destination = match &args.dest {
        Some(d) => {
            validate_ae(d).map_err(|m| Error::Usage(format!("--dest: {m}")))?;
            d.clone()
        }
        None => args.net.aet.clone(),
    };
    let scp = match &args.to_dir {
        Some(dir) => Some(StorageScp::start(ScpOptions {
            ae: args.net.aet.clone(),
            bind: SocketAddr::new(args.bind, args.port),
            dir: dir.clone(),
            max_pdu: args.net.max_pdu,
            timeouts: args.net.timeouts()?,
        })?),
        None => None,
    };

    let mut assoc = args.net.open(&node, &[STUDY_ROOT_FIND, STUDY_ROOT_MOVE])?;
    let today = chrono::Local::now().date_naive();
    let studies = query.run(&mut assoc, today)?;
    if studies.is_empty() {
        let _ = assoc.release();
        if let Some(scp) = scp {
            scp.stop();
        }
        return Err(Error::NoMatch(format!("{node}: no study matched")));
    }

    let bar = ctx.progress_bar("instances", None);
    let mut outcomes: Vec<(usize, MoveOutcome)> = Vec::new();
    let mut done_before = 0u64;
    for (i, study) in studies.iter().enumerate() {
        let mut id = Identifier::default();
        id.set(Tag(0x0008, 0x0052), VR::CS, "STUDY");
        id.set(
            Tag(0x0020, 0x000D),
            VR::UI,
            text_of(study, Tag(0x0020, 0x000D)),
        );
        let mut progress = |_remaining: Option<u32>, completed: u32, failed: u32, warning: u32| {
            bar.set_position(
                done_before + u64::from(completed) + u64::from(failed) + u64::from(warning),
            );
        };
        let outcome = move_to(
            &mut assoc,
            STUDY_ROOT_MOVE,
            &id,
            &destination,
            &mut progress,
        )?;
        done_before +=
            u64::from(outcome.completed) + u64::from(outcome.failed) + u64::from(outcome.warning);
        bar.set_position(done_before);
        let unknown_destination = outcome.status.is_some_and(|s| s.0 == 0xA801);
        outcomes.push((i, outcome));
        if unknown_destination {
            // Every other study would be refused the same way.
            break;
        }
    }
    bar.finish_and_clear();
    if let Err(e) = assoc.release() {
        ctx.warn(&e.to_string());
    }
    let mut received = 0usize;
    if let Some(scp) = scp {
        for event in scp.stop() {
            match event {
                ScpEvent::Stored { .. } => received += 1,
                ScpEvent::Failed {
                    sop_instance,
                    reason,
                } => ctx.item_error(&sop_instance, &reason),
                ScpEvent::AssociationError(e) => ctx.warn(&format!("storage SCP: {e}")),
            }
        }
    }

    let mut out = ctx.rows(&COLUMNS);
    let (mut completed, mut failed, mut warning, mut outright, mut partial) =
        (0u64, 0u64, 0u64, Vec::new(), false);
    for (i, o) in &outcomes {
        let Some(study) = studies.get(*i) else {
            continue;
        };
        let status = o.status.unwrap_or(crate::net::Status(0xC000));
        completed += u64::from(o.completed);
        failed += u64::from(o.failed);
        warning += u64::from(o.warning);
        match status.class() {
            StatusClass::Failure | StatusClass::Cancel if o.completed == 0 && o.warning == 0 => {
                outright.push(format!(
                    "study {} failed with status {status}{}",
                    text_of(study, Tag(0x0020, 0x000D)),
                    o.comment
                        .as_ref()
                        .map(|c| format!(" ({c})"))
                        .unwrap_or_default()
                ));
            }
            StatusClass::Success if o.failed == 0 && o.warning == 0 => {}
            _ => partial = true,
        }
        out.row(&[
            Value::Text(text_of(study, Tag(0x0020, 0x000D))),
            Value::Text(text_of(study, Tag(0x0010, 0x0020))),
            Value::Text(text_of(study, Tag(0x0008, 0x0020))),
            Value::Text(text_of(study, Tag(0x0008, 0x0061))),
            Value::Text(format!("0x{:04X}", status.0)),
            Value::from(status.meaning()),
            Value::Int(i64::from(o.completed)),
            Value::Int(i64::from(o.failed)),
            Value::Int(i64::from(o.warning)),
            Value::Text(o.failed_uids.join("\\")),
        ])?;
    }
    out.finish()?;

    let target = match &args.to_dir {
        Some(dir) => format!(
            "{destination} (this dicomkit, {received} file(s) written to {})",
            dir.display()
        ),
        None => destination.clone(),
    };
    if !ctx.quiet {
        eprintln!(
            "dicomkit: moved {} of {} stud{} to {target}: {completed} completed, {failed} failed, {warning} warning",
            studies.len() - outright.len(),
            studies.len(),
            if studies.len() == 1 { "y" } else { "ies" }
        );
    }
    if outright.len() == outcomes.len() {
        let first = outright.first().cloned().unwrap_or_default();
        return Err(Error::Network(format!(
            "{node}: C-MOVE to {destination:?} failed: {first}{}",
            hint(&outcomes, &destination)
        )));
    }
    for o in &outright {
        ctx.item_error(&node.to_string(), o);
    }
    if partial || !outright.is_empty() || failed > 0 || warning > 0 {
        return Err(Error::Partial(format!(
            "C-MOVE to {destination}: {failed} failed, {warning} warning sub-operation(s), {} stud{} failed",
            outright.len(),
            if outright.len() == 1 { "y" } else { "ies" }
        )));
    }
    Ok(())
}

/// A hint for the usual cause of an outright failure.
fn hint(outcomes: &[(usize, MoveOutcome)], destination: &str) -> String {
    let unknown = outcomes
        .iter()
        .any(|(_, o)| o.status.is_some_and(|s| s.0 == 0xA801));
    if unknown {
        format!(
            " — the PACS does not know the AE {destination:?}: add it to the PACS's list of modalities (AE, host, port)"
        )
    } else {
        format!(
            " — check that the PACS knows the AE {destination:?} (AE, host, port) and that it accepts the studies' SOP classes"
        )
    }
}
