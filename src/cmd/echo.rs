//! `dicomkit echo`: is the PACS there? C-ECHO, with the peer and the round-trip time.
//!
//! ```text
//! Usage: dicomkit echo --pacs AE@HOST:PORT [--aet AE] [timeouts]
//!
//! Opens an association proposing Verification, sends C-ECHO, releases.
//! Prints one row: peer, calling_ae, association_ms, echo_ms, status.
//! Exit 0 when the PACS answered success; 5 when it could not be reached, rejected the
//! association, did not answer in time, or answered a failure status; 2 for a bad address.
//! ```

use std::time::Instant;

use super::{Context, NetArgs};
use crate::error::Result;
use crate::net::{VERIFICATION, services};
use crate::output::Value;

/// Arguments of `dicomkit echo`.
#[derive(Debug, Clone, clap::Args)]
#[command(
    after_long_help = "Examples:\n  dicomkit echo --pacs ORTHANC@127.0.0.1:4242\n  DICOMKIT_PACS=PACS@pacs.local:104 dicomkit echo --format json"
)]
pub struct Args {
    /// Network options.
    #[command(flatten)]
    pub net: NetArgs,
}

/// Columns of `echo`.
pub const COLUMNS: [&str; 5] = ["peer", "calling_ae", "association_ms", "echo_ms", "status"];

/// Run `dicomkit echo`.
pub fn run(ctx: &Context, args: &Args) -> Result<()> {
    let node = args.net.node()?;
    let start = Instant::now();
    let mut assoc = args.net.open(&node, &[VERIFICATION])?;
    let association_ms = start.elapsed().as_secs_f64() * 1000.0;
    let rtt = services::echo(&mut assoc)?;
    if let Err(e) = assoc.release() {
        ctx.warn(&e.to_string());
    }
    let mut out = ctx.rows(&COLUMNS);
    out.row(&[
        Value::Text(node.to_string()),
        Value::Text(args.net.aet.clone()),
        Value::Float((association_ms * 10.0).round() / 10.0),
        Value::Float((rtt.as_secs_f64() * 10_000.0).round() / 10.0),
        Value::from("success"),
    ])?;
    out.finish()?;
    Ok(())
}
