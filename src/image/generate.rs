//! Building Secondary Capture objects (single- and multi-frame, grey and true colour) from
//! pictures and metadata.
//!
//! - [`read_picture`] turns one PNG, JPEG or GIF file into [`Frame`]s: native pixels (8-bit or
//!   16-bit grey, 8-bit RGB) or, for baseline JPEGs, the JPEG bytes to embed as they are;
//! - [`parse_field`], [`meta_fields`] and [`template_fields`] turn `KEYWORD=VALUE` text, a JSON
//!   object and an existing DICOM file into validated [`Field`]s (each value is checked against
//!   the rules of its value representation, PS3.5 6.2);
//! - [`build`] makes the DICOM file: Secondary Capture Image Storage for one frame, Multi-frame
//!   Grayscale Byte / Grayscale Word / True Color Secondary Capture for several, with every
//!   required attribute the fields do not give filled with a default (reported back).

use std::io::Cursor;
use std::path::Path;

use chrono::{DateTime, Datelike, Local, NaiveDate, Timelike};
use dicom_core::value::{PixelFragmentSequence, PrimitiveValue, Value as CoreValue};
use dicom_core::{DataElement, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use dicom_object::meta::FileMetaTableBuilder;
use image::{AnimationDecoder, DynamicImage, ImageFormat};

use crate::dicom::dictionary;
use crate::ecg::dicom::fresh_uid;

/// Secondary Capture Image Storage (one frame).
pub const SC_IMAGE_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.7";
/// Multi-frame Grayscale Byte Secondary Capture Image Storage.
pub const MF_GRAYSCALE_BYTE_SC: &str = "1.2.840.10008.5.1.4.1.1.7.2";
/// Multi-frame Grayscale Word Secondary Capture Image Storage.
pub const MF_GRAYSCALE_WORD_SC: &str = "1.2.840.10008.5.1.4.1.1.7.3";
/// Multi-frame True Color Secondary Capture Image Storage.
pub const MF_TRUE_COLOR_SC: &str = "1.2.840.10008.5.1.4.1.1.7.4";
/// Explicit VR Little Endian, for native pixels.
pub const EXPLICIT_VR_LE: &str = "1.2.840.10008.1.2.1";
/// JPEG Baseline (Process 1), for embedded JPEGs.
pub const JPEG_BASELINE: &str = "1.2.840.10008.1.2.4.50";

/// What went wrong while generating.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// An input file (picture, template, JSON) that cannot be read or used.
    #[error("{path}: {reason}")]
    Input {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A field or option value that breaks a rule (unknown keyword, invalid value).
    #[error("{0}")]
    Invalid(String),
    /// Encoding the DICOM file failed (a bug).
    #[error("encoding the DICOM file: {0}")]
    Encode(String),
}

fn input_err(path: &Path, reason: impl std::fmt::Display) -> GenerateError {
    GenerateError::Input {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

/// How pixels are stored in the DICOM file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Uncompressed pixels, Explicit VR Little Endian.
    Native,
    /// JPEG Baseline: JPEG inputs embedded as they are, other pictures compressed (quality 90).
    Jpeg,
}

/// The kind of pixels of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelKind {
    /// 8-bit grey (MONOCHROME2).
    Grey8,
    /// 16-bit grey (MONOCHROME2), little endian.
    Grey16,
    /// 8-bit RGB (interleaved), or a 3-component JPEG.
    Rgb8,
}

impl PixelKind {
    fn describe(self) -> &'static str {
        match self {
            PixelKind::Grey8 => "8-bit grey",
            PixelKind::Grey16 => "16-bit grey",
            PixelKind::Rgb8 => "8-bit colour",
        }
    }
}

/// The pixels of one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameData {
    /// Native samples: row by row, RGB interleaved, 16-bit samples little endian.
    Native(Vec<u8>),
    /// A baseline JPEG stream to embed as one fragment, with its Photometric Interpretation.
    Jpeg {
        /// The JPEG file's bytes.
        bytes: Vec<u8>,
        /// `MONOCHROME2`, `YBR_FULL_422` or `RGB`.
        photometric: &'static str,
    },
}

/// One frame of the object to build.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// Width in pixels.
    pub columns: u16,
    /// Height in pixels.
    pub rows: u16,
    /// The pixel kind.
    pub kind: PixelKind,
    /// The pixels.
    pub data: FrameData,
    /// Display time of this frame in milliseconds (animated GIFs).
    pub delay_ms: Option<f64>,
    /// Whether the picture went through lossy compression (JPEG) at some point.
    pub lossy: bool,
}

/// A picture read from a file: its frames and notes on what was changed (alpha dropped, ...).
#[derive(Debug, Clone)]
pub struct Picture {
    /// The frames (several for an animated GIF).
    pub frames: Vec<Frame>,
    /// What the conversion changed, for `-v`.
    pub notes: Vec<String>,
}

/// The header facts of a JPEG stream that decide whether and how it can be embedded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JpegInfo {
    /// The SOF marker (0xC0 baseline, 0xC1 extended, 0xC2 progressive, 0xC3 lossless, ...).
    pub sof: u8,
    /// Sample precision in bits.
    pub precision: u8,
    /// Height.
    pub rows: u16,
    /// Width.
    pub columns: u16,
    /// Component identifiers and sampling factors (H<<4 | V).
    pub components: Vec<(u8, u8)>,
    /// A JFIF APP0 segment is present.
    pub jfif: bool,
    /// The Adobe APP14 colour transform flag, when present.
    pub adobe_transform: Option<u8>,
}

impl JpegInfo {
    /// The Photometric Interpretation of the decoded stream, as DICOM names it.
    #[must_use]
    pub fn photometric(&self) -> &'static str {
        if self.components.len() == 1 {
            return "MONOCHROME2";
        }
        let rgb_ids = self.components.iter().map(|c| c.0).eq([b'R', b'G', b'B']);
        if self.adobe_transform == Some(0)
            || (!self.jfif && self.adobe_transform.is_none() && rgb_ids)
        {
            return "RGB";
        }
        // PS3.5 8.2.1 and DCMTK img2dcm: a YCbCr JPEG Baseline stream is YBR_FULL_422, whatever
        // its sampling factors (dciodvfy rejects YBR_FULL for Secondary Capture).
        "YBR_FULL_422"
    }
}

/// Read the header of a JPEG stream up to its start of scan.
///
/// # Errors
/// Not a JPEG stream, a truncated header, or no frame header before the scan.
pub fn jpeg_info(bytes: &[u8]) -> Result<JpegInfo, String> {
    if bytes.get(..2) != Some(&[0xFF, 0xD8]) {
        return Err("not a JPEG stream (no SOI marker)".into());
    }
    let mut pos = 2usize;
    let mut jfif = false;
    let mut adobe_transform = None;
    loop {
        // Find the next marker, skipping fill bytes.
        while bytes.get(pos) == Some(&0xFF) && bytes.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        if bytes.get(pos) != Some(&0xFF) {
            return Err(format!("corrupt JPEG header: no marker at byte {pos}"));
        }
        let marker = *bytes
            .get(pos + 1)
            .ok_or("truncated JPEG header (no frame header)")?;
        pos += 2;
        if marker == 0x01 || (0xD0..=0xD8).contains(&marker) {
            continue;
        }
        if marker == 0xD9 || marker == 0xDA {
            return Err("no frame header (SOF) before the scan".into());
        }
        let len = match (bytes.get(pos), bytes.get(pos + 1)) {
            (Some(&a), Some(&b)) => usize::from(u16::from_be_bytes([a, b])),
            _ => return Err("truncated JPEG header".into()),
        };
        let seg = bytes
            .get(pos + 2..pos + len.max(2))
            .ok_or("truncated JPEG header segment")?;
        match marker {
            0xE0 if seg.starts_with(b"JFIF\0") => jfif = true,
            0xEE if seg.starts_with(b"Adobe") => adobe_transform = seg.get(11).copied(),
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                let b = |i: usize| seg.get(i).copied().ok_or("truncated JPEG frame header");
                let precision = b(0)?;
                let rows = u16::from_be_bytes([b(1)?, b(2)?]);
                let columns = u16::from_be_bytes([b(3)?, b(4)?]);
                let n = usize::from(b(5)?);
                let mut components = Vec::with_capacity(n);
                for i in 0..n {
                    components.push((b(6 + 3 * i)?, b(7 + 3 * i)?));
                }
                return Ok(JpegInfo {
                    sof: marker,
                    precision,
                    rows,
                    columns,
                    components,
                    jfif,
                    adobe_transform,
                });
            }
            _ => {}
        }
        pos += len;
    }
}

/// Check that a JPEG can be embedded with the JPEG Baseline transfer syntax; give its frame.
fn embeddable_jpeg(path: &Path, bytes: &[u8]) -> Result<Frame, GenerateError> {
    let info = jpeg_info(bytes).map_err(|e| input_err(path, e))?;
    let process = match info.sof {
        0xC0 => None,
        0xC1 => Some("extended sequential"),
        0xC2 => Some("progressive"),
        0xC3 => Some("lossless"),
        _ => Some("hierarchical or arithmetic-coded"),
    };
    if let Some(process) = process {
        return Err(input_err(
            path,
            format!(
                "a {process} JPEG cannot be embedded as JPEG Baseline; use --encode native to store its decoded pixels"
            ),
        ));
    }
    if info.precision != 8 {
        return Err(input_err(
            path,
            format!(
                "a {}-bit JPEG cannot be embedded as JPEG Baseline; use --encode native",
                info.precision
            ),
        ));
    }
    if info.rows == 0 || info.columns == 0 {
        return Err(input_err(
            path,
            "the JPEG frame header gives no size (DNL marker); use --encode native",
        ));
    }
    let kind = match info.components.len() {
        1 => PixelKind::Grey8,
        3 => PixelKind::Rgb8,
        n => {
            return Err(input_err(
                path,
                format!("a JPEG with {n} components cannot be stored (only 1 or 3)"),
            ));
        }
    };
    Ok(Frame {
        columns: info.columns,
        rows: info.rows,
        kind,
        data: FrameData::Jpeg {
            bytes: bytes.to_vec(),
            photometric: info.photometric(),
        },
        delay_ms: None,
        lossy: true,
    })
}

fn dims(path: &Path, w: u32, h: u32) -> Result<(u16, u16), GenerateError> {
    match (u16::try_from(w), u16::try_from(h)) {
        (Ok(w), Ok(h)) if w > 0 && h > 0 => Ok((w, h)),
        _ => Err(input_err(
            path,
            format!(
                "a {w}x{h} picture cannot be stored (DICOM allows 1 to 65535 rows and columns)"
            ),
        )),
    }
}

/// Native frame from a decoded picture; notes what was dropped or reduced.
fn native_frame(
    path: &Path,
    img: DynamicImage,
    lossy: bool,
    notes: &mut Vec<String>,
) -> Result<Frame, GenerateError> {
    let (columns, rows) = dims(path, img.width(), img.height())?;
    let name = path.display();
    let (kind, data) = match img {
        DynamicImage::ImageLuma8(b) => (PixelKind::Grey8, b.into_raw()),
        DynamicImage::ImageLumaA8(_) => {
            notes.push(format!(
                "{name}: alpha channel dropped (grey values kept as they are)"
            ));
            (PixelKind::Grey8, img.to_luma8().into_raw())
        }
        DynamicImage::ImageLuma16(b) => (PixelKind::Grey16, le16(&b.into_raw())),
        DynamicImage::ImageLumaA16(_) => {
            notes.push(format!(
                "{name}: alpha channel dropped (grey values kept as they are)"
            ));
            (PixelKind::Grey16, le16(&img.to_luma16().into_raw()))
        }
        DynamicImage::ImageRgb8(b) => (PixelKind::Rgb8, b.into_raw()),
        DynamicImage::ImageRgba8(_) => {
            notes.push(format!(
                "{name}: alpha channel dropped (colours kept as they are)"
            ));
            (PixelKind::Rgb8, img.to_rgb8().into_raw())
        }
        other => {
            notes.push(format!(
                "{name}: {:?} colour reduced to 8-bit RGB (alpha dropped)",
                other.color()
            ));
            (PixelKind::Rgb8, other.to_rgb8().into_raw())
        }
    };
    Ok(Frame {
        columns,
        rows,
        kind,
        data: FrameData::Native(data),
        delay_ms: None,
        lossy,
    })
}

fn le16(samples: &[u16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

/// Compress a native 8-bit frame to a baseline JPEG (quality 90).
fn to_jpeg(path: &Path, frame: Frame) -> Result<Frame, GenerateError> {
    let FrameData::Native(data) = &frame.data else {
        return Ok(frame);
    };
    let color = match frame.kind {
        PixelKind::Grey8 => image::ExtendedColorType::L8,
        PixelKind::Rgb8 => image::ExtendedColorType::Rgb8,
        PixelKind::Grey16 => {
            return Err(GenerateError::Invalid(format!(
                "{}: 16-bit pictures cannot be stored as JPEG Baseline (8-bit); use --encode native",
                path.display()
            )));
        }
    };
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode(data, u32::from(frame.columns), u32::from(frame.rows), color)
        .map_err(|e| input_err(path, format!("JPEG compression failed: {e}")))?;
    let mut f = embeddable_jpeg(path, &out)?;
    f.delay_ms = frame.delay_ms;
    Ok(f)
}

/// Read one picture file (PNG, JPEG or GIF, recognised by content).
///
/// `encoding`: `None` embeds JPEG files as they are and stores other pictures natively;
/// `Native` decodes JPEGs; `Jpeg` embeds JPEGs and compresses other 8-bit pictures.
///
/// # Errors
/// An unreadable or undecodable file, an unsupported format, a JPEG that cannot be embedded.
pub fn read_picture(path: &Path, encoding: Option<Encoding>) -> Result<Picture, GenerateError> {
    let bytes = std::fs::read(path).map_err(|e| input_err(path, e))?;
    let format = image::guess_format(&bytes)
        .map_err(|_| input_err(path, "not a PNG, JPEG or GIF picture"))?;
    let mut notes = Vec::new();
    let frames = match format {
        ImageFormat::Jpeg if encoding != Some(Encoding::Native) => {
            vec![embeddable_jpeg(path, &bytes)?]
        }
        ImageFormat::Jpeg | ImageFormat::Png => {
            let img = image::load_from_memory_with_format(&bytes, format)
                .map_err(|e| input_err(path, format!("cannot decode: {e}")))?;
            vec![native_frame(
                path,
                img,
                format == ImageFormat::Jpeg,
                &mut notes,
            )?]
        }
        ImageFormat::Gif => {
            let decoder = image::codecs::gif::GifDecoder::new(Cursor::new(&bytes))
                .map_err(|e| input_err(path, format!("cannot decode: {e}")))?;
            let gif_frames = decoder
                .into_frames()
                .collect_frames()
                .map_err(|e| input_err(path, format!("cannot decode: {e}")))?;
            if gif_frames.is_empty() {
                return Err(input_err(path, "the GIF has no frames"));
            }
            notes.push(format!(
                "{}: GIF frames stored as 8-bit RGB (transparency dropped)",
                path.display()
            ));
            let mut frames = Vec::with_capacity(gif_frames.len());
            for f in gif_frames {
                let (n, d) = f.delay().numer_denom_ms();
                let delay = f64::from(n) / f64::from(d.max(1));
                let rgb = DynamicImage::ImageRgba8(f.into_buffer()).to_rgb8();
                let mut frame =
                    native_frame(path, DynamicImage::ImageRgb8(rgb), false, &mut Vec::new())?;
                frame.delay_ms = Some(delay);
                frames.push(frame);
            }
            frames
        }
        other => {
            return Err(input_err(
                path,
                format!("{other:?} pictures are not supported (PNG, JPEG or GIF)"),
            ));
        }
    };
    let frames = if encoding == Some(Encoding::Jpeg) {
        frames
            .into_iter()
            .map(|f| to_jpeg(path, f))
            .collect::<Result<Vec<_>, _>>()?
    } else {
        frames
    };
    Ok(Picture { frames, notes })
}

// ------------------------------------------------------------------------------------------
// Fields: keyword → validated value
// ------------------------------------------------------------------------------------------

/// One attribute to write, validated against its VR and VM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The tag.
    pub tag: (u16, u16),
    /// The keyword (or the tag text when the dictionary has no keyword).
    pub keyword: String,
    /// The VR (the first one for `US or SS` style entries).
    pub vr: VR,
    /// The value text; several values separated by `\`.
    pub value: String,
}

/// Attributes computed from the pictures, which fields cannot set.
const COMPUTED: [(u16, u16); 17] = [
    (0x0008, 0x0005), // SpecificCharacterSet (chosen from the values)
    (0x0008, 0x0016), // SOPClassUID
    (0x0028, 0x0002),
    (0x0028, 0x0004),
    (0x0028, 0x0006),
    (0x0028, 0x0008),
    (0x0028, 0x0009),
    (0x0028, 0x0010),
    (0x0028, 0x0011),
    (0x0028, 0x0100),
    (0x0028, 0x0101),
    (0x0028, 0x0102),
    (0x0028, 0x0103),
    (0x0028, 0x2110),
    (0x0028, 0x2112),
    (0x0028, 0x2114),
    (0x7FE0, 0x0010),
];

/// Parse `KEYWORD` (or a tag like `0010,0010` / `(0010,0010)`) and its value into a [`Field`].
///
/// # Errors
/// An unknown keyword (with close keywords suggested), an attribute that is computed or cannot be
/// set from text, or a value that breaks the rules of the attribute's VR or VM; the message names
/// the attribute and the rule.
pub fn parse_field(key: &str, value: &str) -> Result<Field, String> {
    let (group, element) = dictionary::parse_tag_spec(key)?;
    let entry = dictionary::entry_of(group, element);
    let keyword = entry
        .map(|e| e.keyword.to_owned())
        .unwrap_or_else(|| format!("({group:04X},{element:04X})"));
    let Some(entry) =
        entry.filter(|e| !matches!(e.keyword, "PrivateCreator" | "GenericGroupLength"))
    else {
        return Err(format!(
            "{keyword}: private or unknown tags cannot be set (only attributes of the data dictionary)"
        ));
    };
    if group == 0x0002 || COMPUTED.contains(&(group, element)) {
        return Err(format!(
            "{keyword} is computed from the pictures and cannot be set"
        ));
    }
    let vr_text = entry.vr.split(' ').next().unwrap_or(entry.vr);
    let vr: VR = vr_text
        .parse()
        .map_err(|_| format!("{keyword} ({}) cannot be set from text", entry.vr))?;
    if matches!(
        vr,
        VR::SQ | VR::OB | VR::OW | VR::OF | VR::OD | VR::OL | VR::OV | VR::UN | VR::AT
    ) {
        return Err(format!(
            "{keyword} has VR {vr_text}, which cannot be set from text"
        ));
    }
    validate(vr, entry.vm, value).map_err(|rule| {
        let shown = crate::text::shorten(value, crate::text::ECHO_MAX_CHARS);
        format!("{keyword} ({vr_text}) value {shown:?} is invalid: {rule}")
    })?;
    Ok(Field {
        tag: (group, element),
        keyword,
        vr,
        value: value.to_owned(),
    })
}

/// Whether the VM text (`1`, `1-n`, `2`, `2-2n`, `1-3`) allows `n` values.
fn vm_allows(vm: &str, n: usize) -> bool {
    let (lo, hi) = vm.split_once('-').unwrap_or((vm, vm));
    let lo: usize = lo.trim().parse().unwrap_or(1);
    if n < lo {
        return false;
    }
    let hi = hi.trim();
    if hi.ends_with('n') {
        return true;
    }
    hi.parse::<usize>().map_or(true, |hi| n <= hi)
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn check_len(v: &str, max: usize) -> Result<(), String> {
    let n = v.chars().count();
    if n > max {
        Err(format!("at most {max} characters, got {n}"))
    } else {
        Ok(())
    }
}

fn check_text(v: &str, max: usize, multi_line: bool) -> Result<(), String> {
    check_len(v, max)?;
    if v.chars().any(|c| {
        c.is_control() && c != '\x1b' && !(multi_line && matches!(c, '\r' | '\n' | '\t' | '\x0c'))
    }) {
        return Err("control characters are not allowed".into());
    }
    Ok(())
}

fn check_date(v: &str) -> Result<(), String> {
    let rule = || "a date must be YYYYMMDD (e.g. 20240131), a real calendar date".to_owned();
    if v.len() != 8 || !is_digits(v) {
        return Err(rule());
    }
    NaiveDate::parse_from_str(v, "%Y%m%d")
        .map(|_| ())
        .map_err(|_| rule())
}

fn check_time(v: &str) -> Result<(), String> {
    let rule = || {
        "a time must be HH, HHMM, HHMMSS or HHMMSS.FFFFFF (hours 00-23, minutes 00-59, seconds 00-60)"
            .to_owned()
    };
    let (main, frac) = v.split_once('.').unwrap_or((v, ""));
    if !is_digits(main) || !matches!(main.len(), 2 | 4 | 6) {
        return Err(rule());
    }
    if v.contains('.') && (main.len() != 6 || !is_digits(frac) || frac.len() > 6) {
        return Err(rule());
    }
    let part = |i: usize| main.get(i..i + 2).and_then(|s| s.parse::<u32>().ok());
    let ok = part(0).is_some_and(|h| h <= 23)
        && part(2).is_none_or(|m| m <= 59)
        && part(4).is_none_or(|s| s <= 60);
    if ok { Ok(()) } else { Err(rule()) }
}

fn check_datetime(v: &str) -> Result<(), String> {
    let rule = || {
        "a date-time must be YYYY[MM[DD[HH[MM[SS[.FFFFFF]]]]]][+/-ZZXX] (e.g. 20240131123000), at most 26 characters"
            .to_owned()
    };
    if v.len() > 26 || !v.is_ascii() {
        return Err(rule());
    }
    let (main, zone) = match v.find(['+', '-']) {
        Some(i) => (&v[..i], Some(&v[i + 1..])),
        None => (v, None),
    };
    if let Some(z) = zone {
        let hh = z.get(0..2).and_then(|s| s.parse::<u32>().ok());
        let mm = z.get(2..4).and_then(|s| s.parse::<u32>().ok());
        if z.len() != 4 || !is_digits(z) || hh.is_none_or(|h| h > 14) || mm.is_none_or(|m| m > 59) {
            return Err(rule());
        }
    }
    let (digits, frac) = main.split_once('.').unwrap_or((main, ""));
    if !is_digits(digits) || !matches!(digits.len(), 4 | 6 | 8 | 10 | 12 | 14) {
        return Err(rule());
    }
    if main.contains('.') && (digits.len() != 14 || !is_digits(frac) || frac.len() > 6) {
        return Err(rule());
    }
    let num = |a: usize, b: usize| digits.get(a..b).and_then(|s| s.parse::<u32>().ok());
    let ok = num(4, 6).is_none_or(|m| (1..=12).contains(&m))
        && (digits.len() < 8 || check_date(&digits[..8]).is_ok())
        && (digits.len() < 10 || check_time(&digits[8..]).is_ok());
    if ok { Ok(()) } else { Err(rule()) }
}

fn check_uid(v: &str) -> Result<(), String> {
    let rule = "a UID is at most 64 characters of digits and dots, with no empty component and no leading zero in a component (e.g. 1.2.840.10008.1)";
    if v.len() > 64
        || !v
            .split('.')
            .all(|c| is_digits(c) && (c.len() == 1 || !c.starts_with('0')))
    {
        return Err(rule.into());
    }
    Ok(())
}

fn check_ds(v: &str) -> Result<(), String> {
    let rule = "a decimal string is a number like 12, -1.5 or 3e-2, at most 16 characters";
    let t = v.trim_matches(' ');
    let ok = !t.is_empty()
        && v.len() <= 16
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
        && t.parse::<f64>().is_ok_and(f64::is_finite);
    if ok { Ok(()) } else { Err(rule.into()) }
}

fn check_is(v: &str) -> Result<(), String> {
    let rule =
        "an integer string is a whole number from -2147483648 to 2147483647, at most 12 characters";
    let t = v.trim_matches(' ');
    let ok = v.len() <= 12
        && t.strip_prefix(['+', '-']).map_or(is_digits(t), is_digits)
        && t.parse::<i32>().is_ok();
    if ok { Ok(()) } else { Err(rule.into()) }
}

fn check_pn(v: &str) -> Result<(), String> {
    check_text(v, 64 * 3 + 2, false)?;
    let groups: Vec<&str> = v.split('=').collect();
    if groups.len() > 3 {
        return Err(format!(
            "a person name has at most 3 component groups (alphabetic=ideographic=phonetic), got {}",
            groups.len()
        ));
    }
    for g in groups {
        let n = g.chars().count();
        if n > 64 {
            return Err(format!(
                "each person name component group is at most 64 characters, got {n}"
            ));
        }
        let parts = g.split('^').count();
        if parts > 5 {
            return Err(format!(
                "a person name has at most 5 components (family^given^middle^prefix^suffix), got {parts}"
            ));
        }
    }
    Ok(())
}

/// Check one value (one of several separated by `\`) against its VR rules.
fn validate_one(vr: VR, v: &str) -> Result<(), String> {
    match vr {
        VR::AE => {
            check_len(v, 16)?;
            if !v.chars().all(|c| (' '..='~').contains(&c)) {
                return Err("an AE title is printable ASCII".into());
            }
            Ok(())
        }
        VR::AS => {
            let ok = v.len() == 4
                && v.get(..3).is_some_and(is_digits)
                && matches!(v.get(3..), Some("D" | "W" | "M" | "Y"));
            if ok {
                Ok(())
            } else {
                Err("an age is nnnD, nnnW, nnnM or nnnY (e.g. 045Y)".into())
            }
        }
        VR::CS => {
            check_len(v, 16)?;
            if !v
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == ' ' || c == '_')
            {
                return Err("a code string has only uppercase letters, digits, space and _".into());
            }
            Ok(())
        }
        VR::DA => check_date(v),
        VR::TM => check_time(v),
        VR::DT => check_datetime(v),
        VR::DS => check_ds(v),
        VR::IS => check_is(v),
        VR::UI => check_uid(v),
        VR::PN => check_pn(v),
        VR::LO => check_text(v, 64, false),
        VR::SH => check_text(v, 16, false),
        VR::UC => check_text(v, usize::MAX, false),
        VR::ST => check_text(v, 1024, true),
        VR::LT => check_text(v, 10240, true),
        VR::UT | VR::UR => check_text(v, usize::MAX, true),
        VR::US => v
            .trim()
            .parse::<u16>()
            .map(|_| ())
            .map_err(|_| "a whole number from 0 to 65535".into()),
        VR::SS => v
            .trim()
            .parse::<i16>()
            .map(|_| ())
            .map_err(|_| "a whole number from -32768 to 32767".into()),
        VR::UL => v
            .trim()
            .parse::<u32>()
            .map(|_| ())
            .map_err(|_| "a whole number from 0 to 4294967295".into()),
        VR::SL => v
            .trim()
            .parse::<i32>()
            .map(|_| ())
            .map_err(|_| "a whole number from -2147483648 to 2147483647".into()),
        VR::UV => v
            .trim()
            .parse::<u64>()
            .map(|_| ())
            .map_err(|_| "a whole number from 0 to 2^64-1".into()),
        VR::SV => v
            .trim()
            .parse::<i64>()
            .map(|_| ())
            .map_err(|_| "a whole number from -2^63 to 2^63-1".into()),
        VR::FL | VR::FD => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(|_| ())
            .ok_or_else(|| "a finite number".into()),
        _ => Err("this VR cannot be set from text".into()),
    }
}

/// Check a whole value (`\`-separated values) against VR and VM; empty is always allowed (type 2).
fn validate(vr: VR, vm: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Ok(());
    }
    let single = matches!(vr, VR::LT | VR::ST | VR::UT | VR::UR);
    if single {
        return validate_one(vr, value);
    }
    let values: Vec<&str> = value.split('\\').collect();
    if !vm_allows(vm, values.len()) {
        return Err(format!(
            "{} values given, the attribute takes {vm} (values are separated by \\)",
            values.len()
        ));
    }
    for v in values {
        validate_one(vr, v)?;
    }
    Ok(())
}

/// Fields from a JSON object of keyword (or tag) → value: a string, a number, null (empty) or
/// an array of strings and numbers (several values).
///
/// # Errors
/// Input: not a JSON object, or a value of another type. Invalid: an unknown keyword or an
/// invalid value (the message names the field and the rule).
pub fn meta_fields(path: &Path, text: &str) -> Result<Vec<Field>, GenerateError> {
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| input_err(path, format!("invalid JSON: {e}")))?;
    let serde_json::Value::Object(map) = json else {
        return Err(input_err(
            path,
            "expected a JSON object of keyword → value, like {\"PatientName\": \"Doe^Jane\"}",
        ));
    };
    let scalar = |key: &str, v: &serde_json::Value| -> Result<String, GenerateError> {
        match v {
            serde_json::Value::String(s) => Ok(s.clone()),
            serde_json::Value::Number(n) => Ok(n.to_string()),
            serde_json::Value::Null => Ok(String::new()),
            other => Err(input_err(
                path,
                format!(
                    "{key}: expected a string, a number, null or an array of them, got {other}"
                ),
            )),
        }
    };
    let mut fields = Vec::with_capacity(map.len());
    for (key, v) in &map {
        let text = match v {
            serde_json::Value::Array(items) => items
                .iter()
                .map(|i| scalar(key, i))
                .collect::<Result<Vec<_>, _>>()?
                .join("\\"),
            other => scalar(key, other)?,
        };
        let field = parse_field(key, &text)
            .map_err(|e| GenerateError::Invalid(format!("{}: {e}", path.display())))?;
        fields.push(field);
    }
    Ok(fields)
}

/// The Patient and General Study module attributes a template contributes.
pub const TEMPLATE_KEYWORDS: [&str; 18] = [
    "PatientName",
    "PatientID",
    "IssuerOfPatientID",
    "PatientBirthDate",
    "PatientBirthTime",
    "PatientSex",
    "OtherPatientIDs",
    "EthnicGroup",
    "PatientComments",
    "PatientAge",
    "PatientSize",
    "PatientWeight",
    "StudyInstanceUID",
    "StudyDate",
    "StudyTime",
    "ReferringPhysicianName",
    "StudyID",
    "AccessionNumber",
];

/// Also copied from a template: the study description.
const TEMPLATE_EXTRA: [&str; 1] = ["StudyDescription"];

/// Fields copied from an existing DICOM object: its Patient and General Study attributes
/// ([`TEMPLATE_KEYWORDS`] and StudyDescription) that it has.
///
/// The template is read with the crate's reader ([`crate::dicom::read`]), only as far as the
/// last of these attributes: its limits apply (sequences nested deeper than
/// [`crate::dicom::MAX_DEPTH`] are refused, declared lengths are checked against the file).
///
/// # Errors
/// Input: the file cannot be read as DICOM, it breaks before the last of these attributes, or
/// one of its values breaks the rules of its VR.
pub fn template_fields(path: &Path) -> Result<Vec<Field>, GenerateError> {
    let mut wanted = Vec::new();
    for keyword in TEMPLATE_KEYWORDS.iter().chain(TEMPLATE_EXTRA.iter()) {
        let (group, element) =
            dictionary::parse_tag_spec(keyword).map_err(GenerateError::Encode)?;
        wanted.push((*keyword, Tag(group, element)));
    }
    let options = crate::dicom::read::ReadOptions {
        until: wanted.iter().map(|(_, tag)| *tag).max(),
    };
    let file = crate::dicom::read::read_file(path, &options)
        .map_err(|e| input_err(path, format!("cannot read as DICOM: {e}")))?;
    if let Some(e) = &file.error {
        return Err(input_err(path, format!("cannot read as DICOM: {e}")));
    }
    let mut fields = Vec::new();
    for (keyword, tag) in wanted {
        let Some(elem) = file.elements.iter().find(|e| e.tag == tag) else {
            continue;
        };
        let value = match &elem.value {
            crate::dicom::value::Value::Strings(_) => elem.value.to_text(),
            _ => {
                return Err(input_err(
                    path,
                    format!("{keyword}: not a text value (VR {})", elem.vr),
                ));
            }
        };
        let value = value.trim_end_matches(['\0', ' ']).to_owned();
        let field = parse_field(keyword, &value)
            .map_err(|e| input_err(path, format!("template value: {e}")))?;
        fields.push(field);
    }
    Ok(fields)
}

// ------------------------------------------------------------------------------------------
// Building the object
// ------------------------------------------------------------------------------------------

/// The file built by [`build`] and what describes it.
#[derive(Debug, Clone)]
pub struct Built {
    /// The DICOM file (Part 10: preamble, meta information, data set).
    pub bytes: Vec<u8>,
    /// SOP Class UID.
    pub sop_class_uid: String,
    /// SOP Instance UID.
    pub sop_instance_uid: String,
    /// Number of frames.
    pub frames: usize,
    /// Rows.
    pub rows: u16,
    /// Columns.
    pub columns: u16,
    /// Transfer syntax UID.
    pub transfer_syntax: String,
    /// The attributes filled with a default (`Keyword=value`), in data set order.
    pub defaulted: Vec<String>,
}

fn da(t: &DateTime<Local>) -> String {
    format!("{:04}{:02}{:02}", t.year(), t.month(), t.day())
}

fn tm(t: &DateTime<Local>) -> String {
    format!("{:02}{:02}{:02}", t.hour(), t.minute(), t.second())
}

/// A text element (several values split on `\` unless the VR holds one).
fn text_element(tag: Tag, vr: VR, value: &str) -> Result<DataElement<InMemDicomObject>, String> {
    if value.is_empty() {
        return Ok(DataElement::new(tag, vr, PrimitiveValue::Empty));
    }
    let parts = || value.split('\\').map(str::trim);
    let prim = match vr {
        VR::US => PrimitiveValue::U16(
            parts()
                .map(str::parse)
                .collect::<Result<_, _>>()
                .map_err(|e| format!("{e}"))?,
        ),
        VR::SS => PrimitiveValue::I16(
            parts()
                .map(str::parse)
                .collect::<Result<_, _>>()
                .map_err(|e| format!("{e}"))?,
        ),
        VR::UL => PrimitiveValue::U32(
            parts()
                .map(str::parse)
                .collect::<Result<_, _>>()
                .map_err(|e| format!("{e}"))?,
        ),
        VR::SL => PrimitiveValue::I32(
            parts()
                .map(str::parse)
                .collect::<Result<_, _>>()
                .map_err(|e| format!("{e}"))?,
        ),
        VR::UV => PrimitiveValue::U64(
            parts()
                .map(str::parse)
                .collect::<Result<_, _>>()
                .map_err(|e| format!("{e}"))?,
        ),
        VR::SV => PrimitiveValue::I64(
            parts()
                .map(str::parse)
                .collect::<Result<_, _>>()
                .map_err(|e| format!("{e}"))?,
        ),
        VR::FL => PrimitiveValue::F32(
            parts()
                .map(str::parse)
                .collect::<Result<_, _>>()
                .map_err(|e| format!("{e}"))?,
        ),
        VR::FD => PrimitiveValue::F64(
            parts()
                .map(str::parse)
                .collect::<Result<_, _>>()
                .map_err(|e| format!("{e}"))?,
        ),
        VR::LT | VR::ST | VR::UT | VR::UR => PrimitiveValue::from(value),
        _ if value.contains('\\') => {
            PrimitiveValue::Strs(value.split('\\').map(str::to_owned).collect())
        }
        _ => PrimitiveValue::from(value),
    };
    Ok(DataElement::new(tag, vr, prim))
}

/// Build the DICOM file from frames (all of one size and kind) and fields (later fields win).
///
/// # Errors
/// Invalid: no frames, or frames that differ in size or kind. Encode: the object cannot be
/// written (a bug), or it is too large for a DICOM file.
pub fn build(
    frames: &[(String, Frame)],
    fields: &[Field],
    now: DateTime<Local>,
) -> Result<Built, GenerateError> {
    let (first_name, first) = frames
        .first()
        .ok_or_else(|| GenerateError::Invalid("no pictures given".into()))?;
    let first_photometric = match &first.data {
        FrameData::Native(_) => None,
        FrameData::Jpeg { photometric, .. } => Some(*photometric),
    };
    for (name, f) in frames.iter().skip(1) {
        let photometric = match &f.data {
            FrameData::Native(_) => None,
            FrameData::Jpeg { photometric, .. } => Some(*photometric),
        };
        if f.rows != first.rows
            || f.columns != first.columns
            || f.kind != first.kind
            || photometric != first_photometric
        {
            let describe = |f: &Frame, p: Option<&str>| {
                format!(
                    "{}x{} {}{}",
                    f.columns,
                    f.rows,
                    f.kind.describe(),
                    p.map(|p| format!(" JPEG ({p})")).unwrap_or_default()
                )
            };
            return Err(GenerateError::Invalid(format!(
                "all frames of one file must have the same size and kind: {first_name} is {}, {name} is {}",
                describe(first, first_photometric),
                describe(f, photometric)
            )));
        }
    }
    let n = frames.len();
    let multi = n > 1;
    let sop_class = match (multi, first.kind) {
        (false, _) => SC_IMAGE_STORAGE,
        (true, PixelKind::Grey8) => MF_GRAYSCALE_BYTE_SC,
        (true, PixelKind::Grey16) => MF_GRAYSCALE_WORD_SC,
        (true, PixelKind::Rgb8) => MF_TRUE_COLOR_SC,
    };
    let transfer_syntax = if first_photometric.is_some() {
        JPEG_BASELINE
    } else {
        EXPLICIT_VR_LE
    };
    let lossy = frames.iter().any(|(_, f)| f.lossy);

    // Defaults, in module order: (keyword, value). Fields given replace them.
    let study_uid = fresh_uid();
    let series_uid = fresh_uid();
    let instance_uid = fresh_uid();
    let (date, time) = (da(&now), tm(&now));
    let mut defaults: Vec<(&str, String)> = vec![
        // SOP Common
        ("SOPInstanceUID", instance_uid),
        ("InstanceCreationDate", date.clone()),
        ("InstanceCreationTime", time.clone()),
        // Patient (type 2: empty)
        ("PatientName", String::new()),
        ("PatientID", String::new()),
        ("PatientBirthDate", String::new()),
        ("PatientSex", String::new()),
        // General Study
        ("StudyInstanceUID", study_uid),
        ("StudyDate", date.clone()),
        ("StudyTime", time.clone()),
        ("ReferringPhysicianName", String::new()),
        ("StudyID", "1".into()),
        ("AccessionNumber", String::new()),
        // General Series
        ("Modality", "OT".into()),
        ("SeriesInstanceUID", series_uid),
        ("SeriesNumber", "1".into()),
        ("Laterality", String::new()),
        // General Equipment, SC Equipment
        ("Manufacturer", String::new()),
        ("ConversionType", "WSD".into()),
        // General Image, SC Image
        ("InstanceNumber", "1".into()),
        ("PatientOrientation", String::new()),
        ("ContentDate", date.clone()),
        ("ContentTime", time.clone()),
        ("DateOfSecondaryCapture", date),
        ("TimeOfSecondaryCapture", time),
    ];
    if multi {
        defaults.push(("BurnedInAnnotation", "NO".into()));
    }
    // VOI LUT: a window over the full range shows grey pictures as they looked (identity), not
    // stretched between their darkest and brightest pixel.
    match first.kind {
        PixelKind::Grey8 => {
            defaults.push(("WindowCenter", "128".into()));
            defaults.push(("WindowWidth", "256".into()));
        }
        PixelKind::Grey16 => {
            defaults.push(("WindowCenter", "32768".into()));
            defaults.push(("WindowWidth", "65536".into()));
        }
        PixelKind::Rgb8 => {}
    }
    if multi && first.kind != PixelKind::Rgb8 {
        defaults.push(("PresentationLUTShape", "IDENTITY".into()));
    }
    // Frame increment: frame times for animations, page numbers for separate pictures.
    let mut increment: Option<(Tag, VR, String)> = None;
    if multi {
        let delays: Vec<f64> = frames.iter().filter_map(|(_, f)| f.delay_ms).collect();
        if delays.len() == n {
            let first_delay = delays.first().copied().unwrap_or(0.0);
            if delays.iter().all(|d| (*d - first_delay).abs() < 1e-9) {
                increment = Some((tags::FRAME_TIME, VR::DS, ds(first_delay)));
            } else {
                let mut v = vec!["0".to_owned()];
                v.extend(delays.iter().take(n - 1).map(|d| ds(*d)));
                increment = Some((tags::FRAME_TIME_VECTOR, VR::DS, v.join("\\")));
            }
        } else {
            let pages: Vec<String> = (1..=n).map(|i| i.to_string()).collect();
            increment = Some((tags::PAGE_NUMBER_VECTOR, VR::IS, pages.join("\\")));
        }
    }

    let mut obj = InMemDicomObject::new_empty();
    let mut defaulted = Vec::new();
    let given = |keyword: &str| {
        dictionary::parse_tag_spec(keyword)
            .ok()
            .is_some_and(|t| fields.iter().any(|f| f.tag == t))
    };
    for (keyword, value) in &defaults {
        if given(keyword) {
            continue;
        }
        let field = parse_field(keyword, value).map_err(GenerateError::Encode)?;
        obj.put(
            text_element(Tag(field.tag.0, field.tag.1), field.vr, value)
                .map_err(GenerateError::Encode)?,
        );
        let shown = if value.is_empty() { "(empty)" } else { value };
        defaulted.push(format!("{keyword}={shown}"));
    }
    for f in fields {
        obj.put(
            text_element(Tag(f.tag.0, f.tag.1), f.vr, &f.value).map_err(GenerateError::Encode)?,
        );
    }
    let non_ascii = fields.iter().any(|f| !f.value.is_ascii());
    if non_ascii {
        obj.put(DataElement::new(
            tags::SPECIFIC_CHARACTER_SET,
            VR::CS,
            PrimitiveValue::from("ISO_IR 192"),
        ));
    }
    obj.put(DataElement::new(
        tags::SOP_CLASS_UID,
        VR::UI,
        PrimitiveValue::from(sop_class),
    ));
    let sop_instance_uid = obj
        .element(tags::SOP_INSTANCE_UID)
        .ok()
        .and_then(|e| e.to_str().ok())
        .map(|s| s.trim_end_matches(['\0', ' ']).to_owned())
        .unwrap_or_default();
    if sop_instance_uid.is_empty() {
        return Err(GenerateError::Invalid(
            "SOPInstanceUID cannot be empty".into(),
        ));
    }

    // Image Pixel
    let grey = first.kind != PixelKind::Rgb8;
    let bits: u16 = if first.kind == PixelKind::Grey16 {
        16
    } else {
        8
    };
    let photometric = first_photometric.unwrap_or(if grey { "MONOCHROME2" } else { "RGB" });
    let us = |tag: Tag, v: u16| DataElement::new(tag, VR::US, PrimitiveValue::from(v));
    obj.put(us(tags::SAMPLES_PER_PIXEL, if grey { 1 } else { 3 }));
    obj.put(DataElement::new(
        tags::PHOTOMETRIC_INTERPRETATION,
        VR::CS,
        PrimitiveValue::from(photometric),
    ));
    if !grey {
        obj.put(us(tags::PLANAR_CONFIGURATION, 0));
    }
    if multi {
        obj.put(DataElement::new(
            tags::NUMBER_OF_FRAMES,
            VR::IS,
            PrimitiveValue::from(n.to_string()),
        ));
        if let Some((tag, vr, value)) = &increment {
            obj.put(DataElement::new(
                tags::FRAME_INCREMENT_POINTER,
                VR::AT,
                PrimitiveValue::Tags(std::iter::once(*tag).collect()),
            ));
            obj.put(text_element(*tag, *vr, value).map_err(GenerateError::Encode)?);
        }
    }
    obj.put(us(tags::ROWS, first.rows));
    obj.put(us(tags::COLUMNS, first.columns));
    obj.put(us(tags::BITS_ALLOCATED, bits));
    obj.put(us(tags::BITS_STORED, bits));
    obj.put(us(tags::HIGH_BIT, bits - 1));
    obj.put(us(tags::PIXEL_REPRESENTATION, 0));
    if multi && grey {
        // SC Multi-frame Image module: identity rescale for MONOCHROME2.
        let ds_el = |tag: Tag, v: &str| DataElement::new(tag, VR::DS, PrimitiveValue::from(v));
        obj.put(ds_el(tags::RESCALE_INTERCEPT, "0"));
        obj.put(ds_el(tags::RESCALE_SLOPE, "1"));
        obj.put(DataElement::new(
            tags::RESCALE_TYPE,
            VR::LO,
            PrimitiveValue::from("US"),
        ));
    }
    let samples = if grey { 1u64 } else { 3 };
    let native_len =
        u64::from(first.rows) * u64::from(first.columns) * samples * u64::from(bits / 8);
    let total_native = native_len * n as u64;
    obj.put(DataElement::new(
        tags::LOSSY_IMAGE_COMPRESSION,
        VR::CS,
        PrimitiveValue::from(if lossy { "01" } else { "00" }),
    ));

    let too_large = || {
        GenerateError::Invalid(format!(
            "{n} frames of {}x{} are too large for one DICOM file (pixel data over 4 GiB)",
            first.columns, first.rows
        ))
    };
    if first_photometric.is_some() {
        let mut fragments = Vec::with_capacity(n);
        let mut offsets = Vec::with_capacity(n);
        let mut offset: u64 = 0;
        for (_, f) in frames {
            let FrameData::Jpeg { bytes, .. } = &f.data else {
                return Err(GenerateError::Encode("mixed frame data".into()));
            };
            let mut fragment = bytes.clone();
            if fragment.len() % 2 == 1 {
                fragment.push(0);
            }
            offsets.push(u32::try_from(offset).map_err(|_| too_large())?);
            offset += 8 + fragment.len() as u64;
            fragments.push(fragment);
        }
        u32::try_from(offset).map_err(|_| too_large())?;
        let compressed: u64 = fragments.iter().map(|f| f.len() as u64).sum();
        let ratio = total_native as f64 / compressed.max(1) as f64;
        obj.put(DataElement::new(
            tags::LOSSY_IMAGE_COMPRESSION_RATIO,
            VR::DS,
            PrimitiveValue::from(ds(ratio)),
        ));
        obj.put(DataElement::new(
            tags::LOSSY_IMAGE_COMPRESSION_METHOD,
            VR::CS,
            PrimitiveValue::from("ISO_10918_1"),
        ));
        let offsets = if multi { offsets } else { Vec::new() };
        obj.put(DataElement::new(
            tags::PIXEL_DATA,
            VR::OB,
            CoreValue::PixelSequence(PixelFragmentSequence::new(offsets, fragments)),
        ));
    } else {
        if total_native >= u64::from(u32::MAX) {
            return Err(too_large());
        }
        if lossy {
            obj.put(DataElement::new(
                tags::LOSSY_IMAGE_COMPRESSION_METHOD,
                VR::CS,
                PrimitiveValue::from("ISO_10918_1"),
            ));
        }
        let mut data = Vec::with_capacity(usize::try_from(total_native).unwrap_or(0));
        for (_, f) in frames {
            let FrameData::Native(bytes) = &f.data else {
                return Err(GenerateError::Encode("mixed frame data".into()));
            };
            if bytes.len() as u64 != native_len {
                return Err(GenerateError::Encode(format!(
                    "frame has {} bytes, expected {native_len}",
                    bytes.len()
                )));
            }
            data.extend_from_slice(bytes);
        }
        let element = if bits == 16 {
            let words: Vec<u16> = data
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            DataElement::new(tags::PIXEL_DATA, VR::OW, PrimitiveValue::U16(words.into()))
        } else {
            if data.len() % 2 == 1 {
                data.push(0);
            }
            DataElement::new(tags::PIXEL_DATA, VR::OB, PrimitiveValue::U8(data.into()))
        };
        obj.put(element);
    }

    let version = format!("DICOMKIT_{}", env!("CARGO_PKG_VERSION"));
    let file = obj
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax(transfer_syntax)
                .implementation_class_uid(crate::net::scp::IMPLEMENTATION_CLASS_UID)
                .implementation_version_name(version.chars().take(16).collect::<String>()),
        )
        .map_err(|e| GenerateError::Encode(format!("file meta information: {e}")))?;
    let mut bytes = Vec::new();
    file.write_all(&mut bytes)
        .map_err(|e| GenerateError::Encode(e.to_string()))?;
    Ok(Built {
        bytes,
        sop_class_uid: sop_class.to_owned(),
        sop_instance_uid,
        frames: n,
        rows: first.rows,
        columns: first.columns,
        transfer_syntax: transfer_syntax.to_owned(),
        defaulted,
    })
}

/// A decimal string of at most 16 characters.
fn ds(v: f64) -> String {
    for decimals in (0..=6).rev() {
        let s = format!("{v:.decimals$}");
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            s
        };
        if s.len() <= 16 {
            return s;
        }
    }
    format!("{v:.3e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vr_rules() {
        assert!(parse_field("PatientBirthDate", "20240229").is_ok());
        assert!(parse_field("PatientBirthDate", "20230229").is_err());
        assert!(parse_field("PatientBirthDate", "2024-01-01").is_err());
        assert!(parse_field("StudyTime", "235959.123456").is_ok());
        assert!(parse_field("StudyTime", "2460").is_err());
        assert!(parse_field("AcquisitionDateTime", "20240131123000.5+0100").is_ok());
        assert!(parse_field("AcquisitionDateTime", "2024013112300").is_err());
        assert!(parse_field("StudyInstanceUID", "1.2.840.10008.1").is_ok());
        assert!(parse_field("StudyInstanceUID", "1.02.3").is_err());
        assert!(parse_field("StudyInstanceUID", "1..3").is_err());
        assert!(parse_field("StudyInstanceUID", &format!("1.{}", "2".repeat(63))).is_err());
        assert!(parse_field("PatientID", &"x".repeat(64)).is_ok());
        let e = parse_field("PatientID", &"x".repeat(65)).unwrap_err();
        assert!(e.contains("PatientID") && e.contains("64"), "{e}");
        let e = parse_field("PatientName", "a^b^c^d^e^f").unwrap_err();
        assert!(
            e.contains("PatientName") && e.contains("5 components"),
            "{e}"
        );
        assert!(parse_field("PatientName", "Doe^Jane=山田^花子").is_ok());
        assert!(parse_field("PatientAge", "045Y").is_ok());
        assert!(parse_field("PatientAge", "45Y").is_err());
        assert!(parse_field("SeriesNumber", "12").is_ok());
        assert!(parse_field("SeriesNumber", "1.5").is_err());
        assert!(parse_field("PatientWeight", "72.5").is_ok());
        assert!(parse_field("PatientWeight", "heavy").is_err());
        assert!(parse_field("Modality", "ot").is_err());
        assert!(parse_field("ImageType", "DERIVED\\SECONDARY").is_ok());
        assert!(parse_field("Modality", "OT\\CT").is_err());
        assert!(parse_field("0010,0010", "Doe^J").is_ok_and(|f| f.keyword == "PatientName"));
        assert!(parse_field("Rows", "12").unwrap_err().contains("computed"));
        let e = parse_field("PatientNam", "x").unwrap_err();
        assert!(e.contains("PatientName"), "{e}");
    }

    #[test]
    fn jpeg_header() {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
            .encode(&[10u8; 16 * 8 * 3], 16, 8, image::ExtendedColorType::Rgb8)
            .unwrap();
        let info = jpeg_info(&out).unwrap();
        assert_eq!(
            (info.sof, info.precision, info.columns, info.rows),
            (0xC0, 8, 16, 8)
        );
        assert_eq!(info.components.len(), 3);
        assert_eq!(info.photometric(), "YBR_FULL_422");
        assert!(jpeg_info(b"\xFF\xD8\xFF").is_err());
        assert!(jpeg_info(b"PNG").is_err());
    }

    #[test]
    fn decimal_strings() {
        assert_eq!(ds(100.0), "100");
        assert_eq!(ds(21.818181), "21.818181");
        assert!(ds(1e20).len() <= 16);
    }
}
