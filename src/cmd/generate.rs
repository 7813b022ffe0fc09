//! `dicomkit generate`: pictures and metadata to a valid DICOM Secondary Capture object.
//!
//! (Being built: usage text, Args and run come with the generate work.)

use std::path::PathBuf;

use super::Context;
use crate::error::{Error, Result};

/// Arguments of `dicomkit generate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input pictures (PNG, JPEG, GIF).
    #[arg(required = true, value_name = "IMAGE")]
    pub inputs: Vec<PathBuf>,
    /// The DICOM file to write.
    #[arg(short, long, value_name = "OUTPUT.dcm")]
    pub output: PathBuf,
}

/// Run `dicomkit generate`.
pub fn run(_ctx: &Context, _args: &Args) -> Result<()> {
    Err(Error::Internal("generate is not built yet".into()))
}
