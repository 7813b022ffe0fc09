//! `dicomkit render`: DICOM images and ECG waveforms to PNG/JPEG/GIF (ECGs also SVG).
//!
//! (Being built: usage text, Args and run come with the render work.)

use std::path::PathBuf;

use super::Context;
use crate::error::{Error, Result};

/// Arguments of `dicomkit render`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input files or directories.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output file, pattern or directory (ending in `/`).
    #[arg(short, long, value_name = "OUTPUT")]
    pub output: PathBuf,
}

/// Run `dicomkit render`.
pub fn run(_ctx: &Context, _args: &Args) -> Result<()> {
    Err(Error::Internal("render is not built yet".into()))
}
