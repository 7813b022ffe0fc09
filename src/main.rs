//! The `dicomkit` binary: parse the command line, set up logging, run, map the outcome to an
//! exit code. Nothing else lives here.

use std::process::ExitCode;

use clap::Parser;
use dicomkit::cli::Cli;
use dicomkit::error::ExitCode as Code;

/// mimalloc: batch commands allocate and free large sample and file buffers per input; glibc
/// serves those with mmap/munmap and page faults on every file, mimalloc reuses them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                Code::Usage.code()
            } else {
                0
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let level = match (cli.global.quiet, cli.global.verbose) {
        (true, _) => tracing::Level::ERROR,
        (false, 0) => tracing::Level::WARN,
        (false, 1) => tracing::Level::INFO,
        (false, 2) => tracing::Level::DEBUG,
        (false, _) => tracing::Level::TRACE,
    };
    // Library warnings (dicom-rs) only with -vv: dicomkit reports its own.
    let filter = if cli.global.verbose >= 2 {
        format!("{level}")
    } else {
        format!("error,dicomkit={level}")
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .init();

    match dicomkit::run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            let message = e.to_string();
            if !message.is_empty() {
                eprintln!("dicomkit: {}", dicomkit::output::escape_controls(&message));
            }
            ExitCode::from(e.exit_code().code())
        }
    }
}
