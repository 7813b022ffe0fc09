//! The one error type of dicomkit and its map to process exit codes.
//!
//! Cores return their own `thiserror` types; commands turn them into [`Error`], whose
//! [`Error::exit_code`] is what the process exits with. The table is documented in README.md.

use std::fmt;

/// Process exit codes, as documented in README.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// 0: success.
    Success = 0,
    /// 1: unexpected internal error.
    Internal = 1,
    /// 2: usage error (bad arguments).
    Usage = 2,
    /// 3: nothing matched (e.g. a query with no results).
    NoMatch = 3,
    /// 4: partial success (some items of a batch failed).
    Partial = 4,
    /// 5: DICOM or network failure.
    Network = 5,
    /// 6: bad input (a file that cannot be read or parsed, an invalid value).
    BadInput = 6,
}

impl ExitCode {
    /// The numeric code the process exits with.
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// Every error a command can end with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad arguments, found after clap parsed them (exit 2).
    #[error("{0}")]
    Usage(String),
    /// Nothing matched (exit 3).
    #[error("{0}")]
    NoMatch(String),
    /// Some items of a batch failed; the others succeeded (exit 4).
    #[error("{0}")]
    Partial(String),
    /// DICOM or network failure (exit 5).
    #[error("{0}")]
    Network(String),
    /// A file or value that cannot be read or parsed (exit 6).
    #[error("{0}")]
    BadInput(String),
    /// Writing the output failed (exit 1; a closed pipe is not an error, see [`Error::is_broken_pipe`]).
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
    /// A bug: something that should not happen (exit 1).
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The exit code for this error.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Usage(_) => ExitCode::Usage,
            Error::NoMatch(_) => ExitCode::NoMatch,
            Error::Partial(_) => ExitCode::Partial,
            Error::Network(_) => ExitCode::Network,
            Error::BadInput(_) => ExitCode::BadInput,
            Error::Output(_) | Error::Internal(_) => ExitCode::Internal,
        }
    }

    /// True when the output pipe was closed by the reader (`dicomkit dump ... | head`):
    /// the process then stops quietly with exit 0, like other Unix tools.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }

    /// Build a bad-input error naming the input and the cause.
    pub fn bad_input(what: impl fmt::Display, cause: impl fmt::Display) -> Error {
        Error::BadInput(format!("{what}: {cause}"))
    }
}

/// Result with the dicomkit [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How a batch ended: from the numbers of items that succeeded and failed, the outcome the
/// process reports (exit 0 when none failed, 4 when some failed, 6 when all failed).
pub fn batch_outcome(what: &str, ok: usize, failed: usize) -> Result<()> {
    match (ok, failed) {
        (_, 0) => Ok(()),
        (0, n) => Err(Error::BadInput(format!("all {n} {what} failed"))),
        (ok, n) => Err(Error::Partial(format!("{n} of {} {what} failed", ok + n))),
    }
}
