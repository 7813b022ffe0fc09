//! One module per subcommand: arguments → core calls → output. Each opens with its usage text.
//! [`Context`] is the configuration every command runs over (the global options).

pub mod dump;

use std::io::{self, IsTerminal, Write};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::output::{Format, RowWriter, Style, row_writer};

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

    /// Report one failed item on stderr (one line; always shown, even with `-q`).
    pub fn item_error(&self, what: &str, reason: &str) {
        let mut err = io::stderr().lock();
        let _ = writeln!(err, "dicomkit: {what}: {reason}");
    }

    /// Report a warning on stderr (hidden with `-q`).
    pub fn warn(&self, message: &str) {
        if !self.quiet {
            let mut err = io::stderr().lock();
            let _ = writeln!(err, "dicomkit: warning: {message}");
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
