//! One module per subcommand: arguments → core calls → output. Each opens with its usage text.
//! [`Context`] is the configuration every command runs over (the global options).

pub mod dump;
pub mod ecg_infer;
pub mod echo;
pub mod find;
pub mod generate;
pub mod interpret;
pub mod r#move;
pub mod render;
pub mod store_ecg;

use std::io::{self, IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::error::Error;
use crate::net::assoc::{Association, AssociationRequest};
use crate::net::{NetError, Node, Timeouts};
use crate::output::{Format, RowWriter, Style, escape_controls, row_writer};

/// The global options, resolved once, shared by every command.
#[derive(Debug, Clone)]
pub struct Context {
    /// `--format`.
    pub format: Format,
    /// How stdout looks (terminal width, colour).
    pub style: Style,
    /// `-v` count: 0 = warnings and errors, 1 = info, 2 = debug, 3+ = trace.
    pub verbose: u8,
    /// `-q`: errors only.
    pub quiet: bool,
    /// Show progress bars: stderr is a terminal, and neither `--no-progress` nor `-q`.
    pub progress: bool,
}

impl Context {
    /// Resolve from the global options and the process environment.
    pub fn new(format: Format, verbose: u8, quiet: bool, no_progress: bool) -> Context {
        Context {
            format,
            style: Style::detect(),
            verbose,
            quiet,
            progress: !no_progress && !quiet && io::stderr().is_terminal(),
        }
    }

    /// A row writer on stdout in the chosen format.
    pub fn rows(&self, columns: &[&str]) -> Box<dyn RowWriter + 'static> {
        row_writer(self.format, columns, Box::new(io::stdout()), self.style)
    }

    /// Report one failed item on stderr (one line; always shown, even with `-q`). Control
    /// characters in `what` and `reason` (e.g. a newline in a file name) are shown escaped.
    pub fn item_error(&self, what: &str, reason: &str) {
        let mut err = io::stderr().lock();
        let _ = err.write_all(item_error_line(what, reason).as_bytes());
    }

    /// Report a warning on stderr (hidden with `-q`), control characters escaped.
    pub fn warn(&self, message: &str) {
        if !self.quiet {
            let mut err = io::stderr().lock();
            let _ = err.write_all(warning_line(message).as_bytes());
        }
    }

    /// A progress counter on stderr for `what` (e.g. "files"), hidden unless [`Context::progress`].
    pub fn progress_bar(&self, what: &'static str, total: Option<u64>) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let bar = match total {
            Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
        };
        let template = if total.is_some() {
            format!("{{bar:30}} {{pos}}/{{len}} {what} {{elapsed}}")
        } else {
            format!("{{spinner}} {{pos}} {what} {{per_sec}} {{elapsed}}")
        };
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        bar
    }
}

/// The line [`Context::item_error`] writes: exactly one line, whatever the text holds.
fn item_error_line(what: &str, reason: &str) -> String {
    format!(
        "dicomkit: {}: {}\n",
        escape_controls(what),
        escape_controls(reason)
    )
}

/// The line [`Context::warn`] writes: exactly one line, whatever the message holds.
fn warning_line(message: &str) -> String {
    format!("dicomkit: warning: {}\n", escape_controls(message))
}

/// How the ECG commands (store-ecg, interpret, ecg-infer, render) read an ECG.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct EcgReadArgs {
    /// Use a partial ECG (rhythm data missing or cut short, a declared length or CRC that
    /// disagrees with what is there) instead of refusing it; its defects are shown as warnings
    /// and the output marks it partial.
    #[arg(long)]
    pub accept_partial: bool,
}

impl EcgReadArgs {
    /// The reading options these arguments ask for.
    pub fn options(&self) -> crate::ecg::ReadOptions {
        crate::ecg::ReadOptions {
            accept_partial: self.accept_partial,
        }
    }
}

/// Options of every network command: the peer, our AE title, timeouts, PDU size.
#[derive(Debug, Clone, clap::Args)]
pub struct NetArgs {
    /// The PACS as AE@HOST:PORT (e.g. ORTHANC@pacs.example.org:4242).
    #[arg(long, env = "DICOMKIT_PACS", value_name = "AE@HOST:PORT")]
    pub pacs: Option<String>,

    /// Our (calling) AE title; also the move destination for `move --to-dir`.
    #[arg(
        long,
        env = "DICOMKIT_AET",
        value_name = "AE",
        default_value = "DICOMKIT"
    )]
    pub aet: String,

    /// Seconds to wait for the TCP connection.
    #[arg(
        long,
        env = "DICOMKIT_CONNECT_TIMEOUT",
        value_name = "SECONDS",
        default_value_t = 10.0
    )]
    pub connect_timeout: f64,

    /// Seconds to wait for association negotiation and release.
    #[arg(
        long,
        env = "DICOMKIT_ACSE_TIMEOUT",
        value_name = "SECONDS",
        default_value_t = 10.0
    )]
    pub acse_timeout: f64,

    /// Seconds to wait for each DIMSE message (each C-FIND/C-MOVE response).
    #[arg(
        long,
        env = "DICOMKIT_DIMSE_TIMEOUT",
        value_name = "SECONDS",
        default_value_t = 10.0
    )]
    pub dimse_timeout: f64,

    /// Largest PDU we accept, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = crate::net::assoc::DEFAULT_MAX_PDU,
          value_parser = clap::value_parser!(u32).range(4096..=16_777_216))]
    pub max_pdu: u32,
}

impl NetArgs {
    /// The validated peer (exit 2 before any connection when invalid or unresolvable).
    pub fn node(&self) -> Result<Node, Error> {
        let pacs = self.pacs.as_deref().ok_or_else(|| {
            Error::Usage("--pacs AE@HOST:PORT (or DICOMKIT_PACS) is required".into())
        })?;
        let node = Node::parse(pacs).map_err(|m| Error::Usage(format!("--pacs {m}")))?;
        node.resolve()
            .map_err(|m| Error::Usage(format!("--pacs {m}")))?;
        crate::net::validate_ae(&self.aet).map_err(|m| Error::Usage(format!("--aet: {m}")))?;
        Ok(node)
    }

    /// The timeouts (positive, finite seconds).
    pub fn timeouts(&self) -> Result<Timeouts, Error> {
        let secs = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 && v <= 86_400.0 {
                Ok(Duration::from_secs_f64(v))
            } else {
                Err(Error::Usage(format!(
                    "--{name} must be a number of seconds between 0 and 86400, not {v}"
                )))
            }
        };
        Ok(Timeouts {
            connect: secs("connect-timeout", self.connect_timeout)?,
            acse: secs("acse-timeout", self.acse_timeout)?,
            dimse: secs("dimse-timeout", self.dimse_timeout)?,
        })
    }

    /// Open an association to the peer proposing these SOP classes.
    pub fn open(&self, node: &Node, abstract_syntaxes: &[&str]) -> Result<Association, Error> {
        let request = AssociationRequest {
            calling_ae: &self.aet,
            abstract_syntaxes,
            max_pdu: self.max_pdu,
            timeouts: self.timeouts()?,
            one_context_per_transfer_syntax: false,
        };
        Ok(Association::open(node, &request)?)
    }
}

impl From<NetError> for Error {
    fn from(e: NetError) -> Self {
        Error::Network(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stderr_lines_escape_control_characters() {
        let line = item_error_line("in/a\nb.scp", "cannot read in/a\nb.scp\u{1b}[2J");
        assert_eq!(
            line,
            "dicomkit: in/a\\nb.scp: cannot read in/a\\nb.scp\\u{1b}[2J\n"
        );
        assert_eq!(line.matches('\n').count(), 1);
        let line = warning_line("x\r\u{9b}y");
        assert_eq!(line, "dicomkit: warning: x\\r\\u{9b}y\n");
        assert!(!line.contains('\u{1b}') && !line.contains('\r'));
    }
}
