//! Decoding DICOM pixel data of every transfer syntax into frames of stored values ([`decode`]),
//! with everything the display pipeline needs (modality LUT, VOI, photometric interpretation,
//! overlays, frame timing). Codecs: dicom-pixeldata (RLE, JPEG baseline/lossless, JPEG-LS,
//! JPEG 2000), libjpeg-turbo 3.1 through `turbojpeg-sys` (12-bit JPEG extended); native data,
//! photometric interpretations, palettes and overlays are interpreted here.
//!
//! The types below are the contract between the decoder and the display pipeline.
//!
//! Files are read with the crate's own reader ([`crate::dicom::read`]): Part 10 files, raw
//! data sets without meta (Implicit VR Little Endian guessed from the first bytes), Deflated
//! and Big Endian data sets. Native pixel data is interpreted here; encapsulated frames are
//! cut from their fragments here (Basic or Extended Offset Table, one fragment per frame, or
//! start-of-image markers) and decoded by: our own RLE decoder; libjpeg-turbo 3.1 for every
//! JPEG process (baseline, 12-bit extended, lossless), with an Adobe marker added to a colour
//! JPEG that has neither JFIF nor Adobe marker so that the photometric interpretation decides
//! whether its components are RGB or YCbCr; dicom-transfer-syntax-registry's CharLS and
//! OpenJPEG adapters (what dicom-pixeldata uses) for JPEG-LS and JPEG 2000, after checking
//! the codestream's geometry against the data set.

use std::path::Path;

use crate::dicom::read::{ReadOptions, read_bytes, read_file};

mod codec;
mod dataset;

/// Which frames to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameSelection {
    /// One frame, 1-based like the standard.
    One(u32),
    /// Every frame.
    All,
}

/// Why an image cannot be decoded. Every variant is a bad input (exit 6) for the commands.
#[derive(Debug, thiserror::Error)]
pub enum PixelError {
    /// The file has no Pixel Data; the text says what it is instead
    /// (e.g. "no pixel data: this is a Basic Text SR").
    #[error("{0}")]
    NoPixelData(String),
    /// The file cannot be read as DICOM.
    #[error("{0}")]
    Unreadable(String),
    /// A transfer syntax or pixel format that is not supported.
    #[error("{0}")]
    Unsupported(String),
    /// Pixel data that is truncated or corrupt, or attributes that contradict it.
    #[error("{0}")]
    Corrupt(String),
    /// A frame number beyond the image's frames.
    #[error("frame {asked} does not exist: the image has {frames} frame(s)")]
    NoSuchFrame {
        /// The frame asked for (1-based).
        asked: u32,
        /// Frames in the image.
        frames: u32,
    },
}

/// One decoded frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// Grey stored values (before the modality LUT), sign-extended per Pixel Representation
    /// and masked to Bits Stored, row by row; MONOCHROME1/2 and the grey output of a 1-bit
    /// segmentation (0/1).
    Grey(Vec<i32>),
    /// Colour: interleaved R, G, B per pixel (planar data and YBR already converted to RGB,
    /// palettes already applied), each sample in `0..=max` where `max` is 255 for 8-bit and
    /// 65535 for 16-bit output (samples with fewer Bits Stored are scaled to that range; a
    /// palette with 16-bit entries gives 65535).
    Rgb {
        /// Interleaved RGB samples.
        samples: Vec<u16>,
        /// The largest possible sample value (255 or 65535).
        max: u16,
    },
}

/// The Modality LUT stage (PS3.3 C.11.1).
#[derive(Debug, Clone, PartialEq)]
pub enum ModalityLut {
    /// No transformation.
    Identity,
    /// Rescale Slope and Intercept.
    Rescale {
        /// Rescale Slope.
        slope: f64,
        /// Rescale Intercept.
        intercept: f64,
    },
    /// Modality LUT Sequence: values below `first_mapped` map to the first entry, above the last
    /// to the last entry.
    Table(Lut),
}

/// A lookup table (Modality LUT or VOI LUT) from its descriptor and data.
#[derive(Debug, Clone, PartialEq)]
pub struct Lut {
    /// The first stored (or modality) value mapped (descriptor's second value, signed when the
    /// input is signed).
    pub first_mapped: i32,
    /// Bits per entry (descriptor's third value).
    pub bits: u16,
    /// The entries.
    pub data: Vec<u16>,
}

/// One VOI transformation the file states (PS3.3 C.11.2).
#[derive(Debug, Clone, PartialEq)]
pub enum Voi {
    /// Window Center / Width, with VOI LUT Function (`LINEAR` when absent).
    Window {
        /// Window Center.
        center: f64,
        /// Window Width.
        width: f64,
        /// VOI LUT Function: `LINEAR`, `LINEAR_EXACT` or `SIGMOID`.
        function: String,
    },
    /// A VOI LUT Sequence item.
    Table(Lut),
}

/// An overlay plane (60xx group), one bit per pixel.
#[derive(Debug, Clone, PartialEq)]
pub struct Overlay {
    /// Overlay Rows.
    pub rows: u32,
    /// Overlay Columns.
    pub columns: u32,
    /// Overlay Origin (row, column), 1-based like the standard.
    pub origin: (i32, i32),
    /// Bits, row by row, for each overlay frame. A single entry applies to every image frame;
    /// otherwise `frames[i]` applies to image frame `i + 1`, and an empty entry means no
    /// overlay on that frame (the frames before Image Frame Origin (60xx,0051) are empty).
    pub frames: Vec<Vec<bool>>,
}

/// A decoded image: the requested frames and what the display pipeline needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// Rows.
    pub rows: u32,
    /// Columns.
    pub columns: u32,
    /// Frames in the file (Number of Frames, 1 when absent).
    pub frame_count: u32,
    /// The decoded frames, in order, with their 1-based numbers.
    pub frames: Vec<(u32, Frame)>,
    /// Photometric Interpretation as stated in the file.
    pub photometric: String,
    /// Bits Stored.
    pub bits_stored: u16,
    /// Pixel Representation 1 (signed stored values).
    pub signed: bool,
    /// MONOCHROME1: the display is inverted (minimum is white).
    pub monochrome1: bool,
    /// The Modality LUT stage ([`ModalityLut::Identity`] for colour images, and for a slope
    /// of 1 with an intercept of 0). Read from the top level, else from the shared or first
    /// per-frame functional group (enhanced multi-frame).
    pub modality: ModalityLut,
    /// The VOI transformations the file states, first is the default: VOI LUT Sequence tables
    /// first (pydicom's preference), then the windows; the functional groups' Frame VOI LUT
    /// when the top level has none. Empty for colour images.
    pub voi: Vec<Voi>,
    /// Overlay planes (60xx) with Overlay Data (60xx,3000); overlays embedded in unused pixel
    /// bits (retired) are not read.
    pub overlays: Vec<Overlay>,
    /// Time between frames in ms: Frame Time, or 1000 / Cine Rate, or 1000 / Recommended
    /// Display Frame Rate, when stated.
    pub frame_time_ms: Option<f64>,
    /// Transfer syntax UID of the file.
    pub transfer_syntax: String,
}

/// Decode the pixel data of the DICOM file at `path`.
pub fn decode(path: &Path, frames: FrameSelection) -> Result<Image, PixelError> {
    let file = read_file(path, &ReadOptions::default())
        .map_err(|e| PixelError::Unreadable(e.to_string()))?;
    dataset::decode_file(file, frames)
}

/// Decode the pixel data of a DICOM file held in memory (e.g. a zip member).
pub fn decode_bytes(bytes: &[u8], frames: FrameSelection) -> Result<Image, PixelError> {
    let file = read_bytes(bytes, &ReadOptions::default())
        .map_err(|e| PixelError::Unreadable(e.to_string()))?;
    dataset::decode_file(file, frames)
}
