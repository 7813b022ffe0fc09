//! dicomkit: one binary for the people who wire hospitals together.
//!
//! The binary (`src/main.rs`) only parses the command line and maps errors to exit codes; the
//! work is here, in cores that never print and never know clap:
//! - [`dicom`]: the DICOM data model and file reader (with full Specific Character Set support);
//! - [`image`]: pixel decoding, the grey-level pipeline, image encoding, ECG plotting, and
//!   building Secondary Capture objects from pictures;
//! - [`infer`]: ECG foundation-model inference (ECG-FM via ONNX Runtime): runtime, preprocessing,
//!   aggregation;
//! - [`net`]: associations, DIMSE, C-ECHO/C-FIND/C-MOVE as SCU, a Storage SCP;
//! - [`input`]: expanding paths, directories and zip archives into inputs, each knowing its
//!   container (companion files such as WFDB signal files come from the same folder or archive);
//! - [`output`]: the one output layer (table, CSV, JSON, JSON Lines);
//! - [`error`]: the one error type and its exit codes;
//! - [`cmd`]: one module per subcommand, over a shared [`cmd::Context`];
//! - [`cli`]: the clap definitions.
#![deny(missing_docs)]

pub mod cli;
pub mod cmd;
pub mod dicom;
pub mod ecg;
pub mod error;
pub mod image;
pub mod import;
pub mod infer;
pub mod input;
pub mod interpret;
pub mod net;
pub mod output;
pub mod text;
pub mod zip_budget;

use cli::{Cli, Command};
use error::Result;

/// Run a parsed command line.
pub fn run(cli: &Cli) -> Result<()> {
    let g = &cli.global;
    let ctx = cmd::Context::new(g.format, g.verbose, g.quiet, g.no_progress);
    match &cli.command {
        Command::Dump(args) => cmd::dump::run(&ctx, args),
        Command::Echo(args) => cmd::echo::run(&ctx, args),
        Command::Find(args) => cmd::find::run(&ctx, args),
        Command::Move(args) => cmd::r#move::run(&ctx, args),
        Command::StoreEcg(args) => cmd::store_ecg::run(&ctx, args),
        Command::Render(args) => cmd::render::run(&ctx, args),
        Command::Generate(args) => cmd::generate::run(&ctx, args),
        Command::EcgInfer(args) => cmd::ecg_infer::run(&ctx, args),
        Command::Interpret(args) => cmd::interpret::run(&ctx, args),
    }
}
