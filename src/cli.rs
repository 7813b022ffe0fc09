//! The clap definitions of the `dicomkit` command line. They also generate the shell
//! completions in `completions/` and the man pages in `man/` ([`generate_completions`],
//! [`generate_man_pages`]); a test fails when the committed files are stale.

use std::io;
use std::path::Path;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{CommandFactory, Parser, Subcommand};

use crate::cmd;
use crate::output::Format;

/// dicomkit: DICOM networking, ECG conversion, metadata dumps, rendering and ECG inference in
/// one binary.
#[derive(Debug, Parser)]
#[command(name = "dicomkit", version, about, long_about = None, propagate_version = true)]
#[command(
    after_help = "Exit codes: 0 ok, 1 internal error, 2 usage error, 3 nothing matched, \
4 partial success, 5 DICOM/network failure, 6 bad input."
)]
pub struct Cli {
    /// Options every subcommand takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand takes.
#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// Output format: table (terminal), csv, json, ndjson (one JSON object per line).
    #[arg(long, global = true, value_name = "FORMAT", default_value = "table",
          value_parser = PossibleValuesParser::new(Format::NAMES).try_map(|s| s.parse::<Format>()))]
    pub format: Format,

    /// More detail on stderr (repeatable: -v info, -vv debug, -vvv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// No progress bars (they are shown only when stderr is a terminal anyway).
    #[arg(long, global = true)]
    pub no_progress: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// DICOM metadata of files, directories and zip archives: all elements, or chosen fields
    /// as one row per file.
    Dump(cmd::dump::Args),
    /// C-ECHO a PACS: is it there, and how fast does it answer?
    Echo(cmd::echo::Args),
    /// C-FIND a patient's studies on a PACS (modalities, age, max results, any key).
    Find(cmd::find::Args),
    /// C-FIND a patient's studies, then C-MOVE them to a destination AE or to this machine.
    Move(cmd::r#move::Args),
    /// Convert ECGs (SCP-ECG, HL7 aECG, DICOM-ECG, WFDB) to DICOM and C-STORE them; a cron-safe
    /// import folder mode.
    StoreEcg(cmd::store_ecg::Args),
    /// Render DICOM images (every transfer syntax, multi-frame) and ECG waveforms to
    /// PNG/JPEG/GIF (ECGs also to SVG).
    Render(cmd::render::Args),
    /// Turn pictures (PNG, JPEG, GIF) and metadata into a valid DICOM Secondary Capture object.
    Generate(cmd::generate::Args),
    /// Run the ECG-FM foundation model (ONNX) on ECG files: 17 clinical label probabilities
    /// and/or the embedding per record.
    EcgInfer(cmd::ecg_infer::Args),
    /// A clinical read-out per ECG: findings by group, severity and reasons from ECG-FM's labels
    /// and the heart rate and intervals measured from the signal.
    Interpret(cmd::interpret::Args),
}

/// The clap command (for completions, man pages and tests).
pub fn command() -> clap::Command {
    Cli::command()
}

/// Write bash, zsh and fish completions into `dir`.
pub fn generate_completions(dir: &Path) -> io::Result<()> {
    use clap_complete::{Shell, generate_to};
    std::fs::create_dir_all(dir)?;
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        generate_to(shell, &mut command(), "dicomkit", dir)?;
    }
    Ok(())
}

/// Write the man pages into `dir`: `dicomkit.1` and one `dicomkit-<sub>.1` per subcommand.
pub fn generate_man_pages(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    clap_mangen::generate_to(command(), dir)
}
