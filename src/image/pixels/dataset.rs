//! From a read data set to an [`Image`]: attributes, frames, photometric interpretation,
//! palettes, Modality LUT, VOI, overlays and timing.

use std::borrow::Cow;

use dicom_core::dictionary::UidDictionary;
use dicom_dictionary_std::StandardSopClassDictionary;

use super::codec::{self, Colour, Decoded};
use super::{Frame, FrameSelection, Image, Lut, ModalityLut, Overlay, PixelError, Voi};
use crate::dicom::value::Value;
use crate::dicom::{DicomFile, Element, Item, PIXEL_DATA, Tag};

const EXPLICIT_BE: &str = "1.2.840.10008.1.2.2";

/// The largest frame decoded, in samples (a 16k x 16k RGB image).
const MAX_SAMPLES_PER_FRAME: u64 = 16384 * 16384 * 3;

/// Attribute access over one data set's elements.
#[derive(Clone, Copy)]
pub(super) struct Attrs<'a> {
    elements: &'a [Element],
    big_endian: bool,
}

impl<'a> Attrs<'a> {
    fn get(&self, tag: Tag) -> Option<&'a Element> {
        self.elements.iter().find(|e| e.tag == tag)
    }

    /// All numeric values of an element (US/SS/UL/SL, IS/DS text, FL/FD, 16-bit words of OW).
    fn numbers(&self, tag: Tag) -> Vec<f64> {
        match self.get(tag).map(|e| &e.value) {
            Some(Value::UInts(v)) => v.iter().map(|&x| x as f64).collect(),
            Some(Value::Ints(v)) => v.iter().map(|&x| x as f64).collect(),
            Some(Value::F32(v)) => v.iter().map(|&x| f64::from(x)).collect(),
            Some(Value::F64(v)) => v.clone(),
            Some(Value::Strings(v)) => v
                .iter()
                .filter_map(|s| s.trim().parse::<f64>().ok())
                .collect(),
            Some(Value::Bytes(b)) => match self.un_text(tag) {
                Some(text) => text
                    .split('\\')
                    .filter_map(|s| s.trim().parse::<f64>().ok())
                    .collect(),
                None => words(b, self.big_endian)
                    .into_iter()
                    .map(f64::from)
                    .collect(),
            },
            _ => Vec::new(),
        }
    }

    /// The value of a UN element whose dictionary VR is text (e.g. DS, IS, CS read as UN).
    fn un_text(&self, tag: Tag) -> Option<String> {
        let e = self.get(tag)?;
        let Value::Bytes(b) = &e.value else {
            return None;
        };
        if e.vr != dicom_core::VR::UN {
            return None;
        }
        let vr = crate::dicom::dictionary::entry_of(tag.group(), tag.element())?.vr;
        if !matches!(vr, "DS" | "IS" | "CS" | "LO" | "SH" | "UI") {
            return None;
        }
        std::str::from_utf8(b).ok().map(|s| {
            s.trim_matches(|c: char| c == '\0' || c.is_whitespace())
                .to_owned()
        })
    }

    fn number(&self, tag: Tag) -> Option<f64> {
        self.numbers(tag).first().copied().filter(|v| v.is_finite())
    }

    fn uint(&self, tag: Tag) -> Option<u32> {
        self.number(tag)
            .filter(|v| *v >= 0.0 && *v <= f64::from(u32::MAX))
            .map(|v| v as u32)
    }

    fn text(&self, tag: Tag) -> Option<String> {
        if let Some(text) = self.un_text(tag) {
            return Some(
                text.split('\\')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
            )
            .filter(|s| !s.is_empty());
        }
        match self.get(tag).map(|e| &e.value) {
            Some(Value::Strings(v)) => v
                .first()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty()),
            _ => None,
        }
    }

    fn items(&self, tag: Tag) -> &'a [Item] {
        match self.get(tag).map(|e| &e.value) {
            Some(Value::Sequence(items)) => items,
            _ => &[],
        }
    }

    fn first_item(&self, tag: Tag) -> Option<Attrs<'a>> {
        self.items(tag).first().map(|i| Attrs {
            elements: &i.elements,
            big_endian: self.big_endian,
        })
    }

    /// The value as 16-bit words (OW bytes in the data set's byte order, or US/SS values).
    fn words(&self, tag: Tag) -> Option<Vec<u16>> {
        match self.get(tag).map(|e| &e.value) {
            Some(Value::Bytes(b)) => Some(words(b, self.big_endian)),
            Some(Value::UInts(v)) => Some(v.iter().map(|&x| x as u16).collect()),
            Some(Value::Ints(v)) => Some(v.iter().map(|&x| x as u16).collect()),
            _ => None,
        }
    }

    /// The raw bytes of a binary value, little endian order for 16-bit words.
    fn bytes_le(&self, tag: Tag) -> Option<Cow<'a, [u8]>> {
        match self.get(tag).map(|e| &e.value) {
            Some(Value::Bytes(b)) if self.big_endian => Some(Cow::Owned(
                words(b, true)
                    .iter()
                    .flat_map(|w| w.to_le_bytes())
                    .collect(),
            )),
            Some(Value::Bytes(b)) => Some(Cow::Borrowed(b.as_slice())),
            Some(Value::UInts(v)) => Some(Cow::Owned(
                v.iter().flat_map(|&x| (x as u16).to_le_bytes()).collect(),
            )),
            _ => None,
        }
    }
}

/// 16-bit words of `bytes` in the given byte order (an odd last byte is dropped).
fn words(bytes: &[u8], big_endian: bool) -> Vec<u16> {
    bytes
        .chunks_exact(2)
        .map(|c| {
            if big_endian {
                u16::from_be_bytes([c[0], c[1]])
            } else {
                u16::from_le_bytes([c[0], c[1]])
            }
        })
        .collect()
}

/// The pixel format of the frames as stated in the data set.
#[derive(Debug, Clone)]
pub(super) struct Format {
    pub rows: u32,
    pub columns: u32,
    pub samples: u16,
    pub bits_allocated: u16,
    pub bits_stored: u16,
    pub signed: bool,
    pub photometric: String,
    pub planar: bool,
    pub frames: u32,
    pub transfer_syntax: String,
}

impl Format {
    pub fn pixels(&self) -> usize {
        self.rows as usize * self.columns as usize
    }
}

fn t(group: u16, element: u16) -> Tag {
    Tag(group, element)
}

/// Read the file's pixel data into an [`Image`].
pub(super) fn decode_file(mut file: DicomFile, sel: FrameSelection) -> Result<Image, PixelError> {
    let big_endian = file.transfer_syntax == EXPLICIT_BE;
    if let Some(e) = file
        .elements
        .iter()
        .find(|e| e.tag == t(0x7FE0, 0x0008) || e.tag == t(0x7FE0, 0x0009))
    {
        return Err(PixelError::Unsupported(format!(
            "{} pixel data is not supported",
            if e.tag.element() == 8 {
                "float"
            } else {
                "double float"
            }
        )));
    }
    let Some(index) = file.elements.iter().position(|e| e.tag == PIXEL_DATA) else {
        return Err(match &file.error {
            Some(err) => {
                PixelError::Corrupt(format!("the file breaks before any pixel data: {err}"))
            }
            None => PixelError::NoPixelData(no_pixel_message(&file)),
        });
    };
    let pixel_value = std::mem::replace(&mut file.elements[index].value, Value::NotRead);
    let pixel_vr = file.elements[index].vr;
    let attrs = Attrs {
        elements: &file.elements,
        big_endian,
    };
    let format = read_format(&attrs, &file.transfer_syntax)?;

    let wanted: Vec<u32> = match sel {
        FrameSelection::All => (1..=format.frames).collect(),
        FrameSelection::One(n) if n >= 1 && n <= format.frames => vec![n],
        FrameSelection::One(n) => {
            return Err(PixelError::NoSuchFrame {
                asked: n,
                frames: format.frames,
            });
        }
    };

    let palette = if format.photometric == "PALETTE COLOR" {
        Some(read_palette(&attrs, format.signed)?)
    } else {
        None
    };

    let mut frames = Vec::with_capacity(wanted.len());
    match &pixel_value {
        Value::Bytes(bytes) => {
            for &n in &wanted {
                let raw = native_frame(
                    bytes,
                    &format,
                    n,
                    big_endian && pixel_vr == dicom_core::VR::OW,
                )?;
                frames.push((n, interpret(&raw, &format, palette.as_ref())?));
            }
        }
        Value::Fragments {
            offset_table,
            fragments,
        } => {
            let extended = extended_offsets(&attrs);
            for &n in &wanted {
                let data = codec::frame_bytes(
                    fragments,
                    offset_table,
                    extended.as_deref(),
                    format.frames,
                    n - 1,
                )?;
                let raw = codec::decode_frame(&data, &format)?;
                frames.push((n, interpret(&raw, &format, palette.as_ref())?));
            }
        }
        Value::NotRead => {
            return Err(PixelError::Corrupt(match &file.error {
                Some(err) => format!("the pixel data could not be read: {err}"),
                None => "the pixel data could not be read".into(),
            }));
        }
        _ => {
            return Err(PixelError::Corrupt(
                "the Pixel Data element has an unexpected value type".into(),
            ));
        }
    }

    let grey = format.samples == 1 && palette.is_none();
    let functional = functional_groups(&attrs);
    Ok(Image {
        rows: format.rows,
        columns: format.columns,
        frame_count: format.frames,
        frames,
        monochrome1: format.photometric == "MONOCHROME1",
        modality: if grey {
            modality_lut(&attrs, &functional, format.signed)
        } else {
            ModalityLut::Identity
        },
        voi: if grey {
            voi_list(&attrs, &functional)
        } else {
            Vec::new()
        },
        overlays: overlays(&attrs),
        frame_time_ms: frame_time(&attrs),
        photometric: format.photometric,
        bits_stored: format.bits_stored,
        signed: format.signed,
        transfer_syntax: format.transfer_syntax,
    })
}

/// The pixel format attributes, checked.
fn read_format(a: &Attrs, ts: &str) -> Result<Format, PixelError> {
    let required = |tag: Tag, name: &str| {
        a.uint(tag).ok_or_else(|| {
            PixelError::Corrupt(format!(
                "missing or invalid {name} {}",
                crate::dicom::tag_text(tag)
            ))
        })
    };
    let rows = required(t(0x0028, 0x0010), "Rows")?;
    let columns = required(t(0x0028, 0x0011), "Columns")?;
    let bits_allocated = required(t(0x0028, 0x0100), "Bits Allocated")?;
    if rows == 0 || columns == 0 {
        return Err(PixelError::Corrupt(format!(
            "the image is empty: {rows} rows, {columns} columns"
        )));
    }
    if rows > 65535 || columns > 65535 {
        return Err(PixelError::Corrupt(format!(
            "invalid geometry: {rows} rows, {columns} columns"
        )));
    }
    if !matches!(bits_allocated, 1 | 8 | 16 | 32) {
        return Err(PixelError::Unsupported(format!(
            "Bits Allocated {bits_allocated} is not supported (1, 8, 16 or 32)"
        )));
    }
    let samples = a.uint(t(0x0028, 0x0002)).unwrap_or(1);
    if samples != 1 && samples != 3 {
        return Err(PixelError::Unsupported(format!(
            "Samples per Pixel {samples} is not supported (1 or 3)"
        )));
    }
    let mut bits_stored = a.uint(t(0x0028, 0x0101)).unwrap_or(bits_allocated);
    if bits_stored == 0 || bits_stored > bits_allocated {
        bits_stored = bits_allocated;
    }
    let photometric = a
        .text(t(0x0028, 0x0004))
        .map(|s| s.to_ascii_uppercase())
        .unwrap_or_else(|| {
            if samples == 3 {
                "RGB".into()
            } else {
                "MONOCHROME2".into()
            }
        });
    let colour_pi = matches!(
        photometric.as_str(),
        "RGB"
            | "YBR_FULL"
            | "YBR_FULL_422"
            | "YBR_PARTIAL_422"
            | "YBR_PARTIAL_420"
            | "YBR_ICT"
            | "YBR_RCT"
    );
    let grey_pi = matches!(
        photometric.as_str(),
        "MONOCHROME1" | "MONOCHROME2" | "PALETTE COLOR"
    );
    if (samples == 3 && !colour_pi) || (samples == 1 && !grey_pi) {
        return Err(PixelError::Unsupported(format!(
            "photometric interpretation {photometric} with {samples} sample(s) per pixel is not supported"
        )));
    }
    if samples == 3 && bits_allocated != 8 && bits_allocated != 16 {
        return Err(PixelError::Unsupported(format!(
            "colour pixel data with Bits Allocated {bits_allocated} is not supported"
        )));
    }
    // A guard against absurd allocations from a few bytes of header.
    let samples_per_frame = u64::from(rows) * u64::from(columns) * u64::from(samples);
    if samples_per_frame > MAX_SAMPLES_PER_FRAME {
        return Err(PixelError::Unsupported(format!(
            "the image is too large: {columns}x{rows} with {samples} sample(s) per pixel"
        )));
    }
    // Number of Frames: absent, empty or invalid means one frame.
    let frames = a
        .number(t(0x0028, 0x0008))
        .filter(|v| *v >= 1.0 && *v <= 1_000_000.0)
        .map(|v| v as u32)
        .unwrap_or(1);
    Ok(Format {
        rows,
        columns,
        samples: samples as u16,
        bits_allocated: bits_allocated as u16,
        bits_stored: bits_stored as u16,
        signed: a.uint(t(0x0028, 0x0103)) == Some(1),
        photometric,
        planar: a.uint(t(0x0028, 0x0006)) == Some(1),
        frames,
        transfer_syntax: ts.to_owned(),
    })
}

/// Frame `n` (1-based) of native pixel data.
fn native_frame<'a>(
    bytes: &'a [u8],
    f: &Format,
    n: u32,
    swap_words: bool,
) -> Result<Decoded<'a>, PixelError> {
    let index = (n - 1) as usize;
    let pixels = f.pixels();
    let samples = usize::from(f.samples);
    if f.bits_allocated == 1 {
        let bits = pixels * samples;
        let start = index * bits;
        let end_byte = (start + bits).div_ceil(8);
        if end_byte > bytes.len() {
            return Err(truncated(n, end_byte, bytes.len()));
        }
        return Ok(Decoded {
            data: Cow::Borrowed(bytes),
            bytes_per_sample: 0,
            bit_offset: start,
            big_endian: false,
            planar: false,
            colour: Colour::Stated,
            ybr422: false,
        });
    }
    let bps = usize::from(f.bits_allocated / 8);
    let ybr422 = f.photometric.ends_with("_422") && samples == 3;
    let frame_len = if ybr422 {
        pixels.div_ceil(2) * 4 * bps
    } else {
        pixels * samples * bps
    };
    let start = index * frame_len;
    let end = start + frame_len;
    let slice = bytes
        .get(start..end)
        .ok_or_else(|| truncated(n, end, bytes.len()))?;
    // 8-bit data in an OW value of a big endian file: the bytes of each word are swapped.
    let data = if swap_words && bps == 1 {
        let mut v = slice.to_vec();
        for pair in v.chunks_exact_mut(2) {
            pair.swap(0, 1);
        }
        Cow::Owned(v)
    } else {
        Cow::Borrowed(slice)
    };
    Ok(Decoded {
        data,
        bytes_per_sample: bps,
        bit_offset: 0,
        big_endian: f.transfer_syntax == EXPLICIT_BE && bps > 1,
        planar: f.planar && !ybr422,
        colour: Colour::Stated,
        ybr422,
    })
}

fn truncated(n: u32, needed: usize, have: usize) -> PixelError {
    PixelError::Corrupt(format!(
        "the pixel data is truncated: frame {n} needs {needed} bytes, the value has {have}"
    ))
}

/// One sample value, unsigned, as stored.
#[inline(always)]
fn sample_at(d: &Decoded, i: usize) -> u32 {
    let data: &[u8] = &d.data;
    match d.bytes_per_sample {
        0 => {
            let bit = d.bit_offset + i;
            data.get(bit / 8)
                .map_or(0, |b| u32::from((b >> (bit % 8)) & 1))
        }
        1 => data.get(i).map_or(0, |&b| u32::from(b)),
        2 => {
            let o = i * 2;
            match data.get(o..o + 2) {
                Some(&[a, b]) if d.big_endian => u32::from(u16::from_be_bytes([a, b])),
                Some(&[a, b]) => u32::from(u16::from_le_bytes([a, b])),
                _ => 0,
            }
        }
        _ => {
            let o = i * 4;
            match data.get(o..o + 4) {
                Some(&[a, b, c, e]) if d.big_endian => u32::from_be_bytes([a, b, c, e]),
                Some(&[a, b, c, e]) => u32::from_le_bytes([a, b, c, e]),
                _ => 0,
            }
        }
    }
}

/// Grey values: masked to Bits Stored, sign-extended when signed.
fn grey_values(d: &Decoded, f: &Format) -> Vec<i32> {
    let n = f.pixels();
    let bits = u32::from(f.bits_stored.min(32));
    let mask: u64 = if bits >= 32 {
        u64::from(u32::MAX)
    } else {
        (1u64 << bits) - 1
    };
    let sign = 1u64 << (bits - 1);
    let signed = f.signed && f.bits_allocated > 1;
    let convert = move |raw: u32| -> i32 {
        let v = u64::from(raw) & mask;
        let v = if signed && v & sign != 0 {
            v as i64 - (mask as i64 + 1)
        } else {
            v as i64
        };
        v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
    };
    // Fast paths for the common layouts.
    match (d.bytes_per_sample, d.big_endian) {
        (2, false) if d.data.len() >= n * 2 => d.data[..n * 2]
            .chunks_exact(2)
            .map(|c| convert(u32::from(u16::from_le_bytes([c[0], c[1]]))))
            .collect(),
        (1, _) if d.data.len() >= n => d.data[..n].iter().map(|&b| convert(u32::from(b))).collect(),
        _ => (0..n).map(|i| convert(sample_at(d, i))).collect(),
    }
}

/// Turn one decoded frame into a [`Frame`].
fn interpret(d: &Decoded, f: &Format, palette: Option<&Palette>) -> Result<Frame, PixelError> {
    let n = f.pixels();
    if f.samples == 1 {
        let grey = grey_values(d, f);
        return Ok(match palette {
            Some(p) => p.apply(&grey),
            None => Frame::Grey(grey),
        });
    }
    let mut out = vec![0u16; n * 3];
    if d.ybr422 {
        // Y1 Y2 Cb Cr per pair of pixels.
        for pair in 0..n.div_ceil(2) {
            let cb = sample_at(d, pair * 4 + 2) as u16;
            let cr = sample_at(d, pair * 4 + 3) as u16;
            for k in 0..2 {
                let p = pair * 2 + k;
                if p < n {
                    out[p * 3] = sample_at(d, pair * 4 + k) as u16;
                    out[p * 3 + 1] = cb;
                    out[p * 3 + 2] = cr;
                }
            }
        }
    } else if d.planar {
        for (p, px) in out.chunks_exact_mut(3).enumerate() {
            for (s, v) in px.iter_mut().enumerate() {
                *v = sample_at(d, s * n + p) as u16;
            }
        }
    } else if d.bytes_per_sample == 1 && d.data.len() >= n * 3 {
        for (o, &b) in out.iter_mut().zip(d.data.iter()) {
            *o = u16::from(b);
        }
    } else {
        for (i, o) in out.iter_mut().enumerate() {
            *o = sample_at(d, i) as u16;
        }
    }
    // Output depth: the decoded sample size (8 or 16 bits), values scaled to its full range
    // when Bits Stored is smaller.
    let depth: u32 = if d.bytes_per_sample == 1 { 8 } else { 16 };
    let stored = u32::from(f.bits_stored).min(depth);
    let max: u16 = if depth == 8 { 255 } else { 65535 };
    if stored < depth {
        let smax = (1u32 << stored) - 1;
        for v in &mut out {
            let x = u32::from(*v).min(smax);
            *v = ((x * u32::from(max) + smax / 2) / smax) as u16;
        }
    }
    let ybr = d.colour == Colour::Stated
        && f.photometric.starts_with("YBR_")
        && f.photometric != "YBR_RCT"
        && f.photometric != "YBR_ICT";
    if ybr {
        ybr_to_rgb(&mut out, max);
    }
    Ok(Frame::Rgb { samples: out, max })
}

/// YBR_FULL to RGB as pydicom's `convert_color_space` does it (PS3.3 C.7.6.3.1.2), in
/// single precision, rounding half up, clipped.
fn ybr_to_rgb(samples: &mut [u16], max: u16) {
    let half = f32::from(max / 2 + 1);
    let top = f32::from(max);
    let g_cb = (-0.114f32 * 1.772f32) / 0.587f32;
    let g_cr = (-0.299f32 * 1.402f32) / 0.587f32;
    for px in samples.chunks_exact_mut(3) {
        let y = f32::from(px[0]);
        let cb = f32::from(px[1]) - half;
        let cr = f32::from(px[2]) - half;
        let r = y + 0.0 * cb + 1.402f32 * cr;
        let g = y + g_cb * cb + g_cr * cr;
        let b = y + 1.772f32 * cb + 0.0 * cr;
        px[0] = (r + 0.5).floor().clamp(0.0, top) as u16;
        px[1] = (g + 0.5).floor().clamp(0.0, top) as u16;
        px[2] = (b + 0.5).floor().clamp(0.0, top) as u16;
    }
}

/// A Palette Color lookup table, expanded.
struct Palette {
    first: i32,
    red: Vec<u16>,
    green: Vec<u16>,
    blue: Vec<u16>,
    max: u16,
}

impl Palette {
    fn apply(&self, indices: &[i32]) -> Frame {
        let mut out = Vec::with_capacity(indices.len() * 3);
        let last = self.red.len().min(self.green.len()).min(self.blue.len());
        for &v in indices {
            let i = (i64::from(v) - i64::from(self.first)).clamp(0, last as i64 - 1) as usize;
            out.push(self.red.get(i).copied().unwrap_or(0));
            out.push(self.green.get(i).copied().unwrap_or(0));
            out.push(self.blue.get(i).copied().unwrap_or(0));
        }
        Frame::Rgb {
            samples: out,
            max: self.max,
        }
    }
}

/// The LUT descriptor: entries (0 means 65536), first mapped value, bits per entry.
fn descriptor(a: &Attrs, tag: Tag, signed: bool) -> Option<(usize, i32, u16)> {
    let v = a.numbers(tag);
    let entries = match *v.first()? as i64 {
        0 => 65536,
        n if n < 0 => (n + 65536) as usize,
        n => n as usize,
    };
    let mut first = *v.get(1)? as i64;
    if signed && first >= 32768 {
        first -= 65536;
    }
    let bits = *v.get(2)? as u16;
    Some((entries, first as i32, bits))
}

fn read_palette(a: &Attrs, signed: bool) -> Result<Palette, PixelError> {
    let bad = |what: &str| PixelError::Corrupt(format!("PALETTE COLOR image: {what}"));
    let (entries, first, bits) = descriptor(a, t(0x0028, 0x1101), signed)
        .ok_or_else(|| bad("missing or invalid Red Palette Color LUT Descriptor (0028,1101)"))?;
    let mut channels = Vec::with_capacity(3);
    for c in 0..3u16 {
        let lut = if let Some(bytes) = a.bytes_le(t(0x0028, 0x1201 + c)) {
            // Entry size from the data length (8-bit entries may come packed in OW).
            if bytes.len() == entries {
                bytes.iter().map(|&b| u16::from(b)).collect::<Vec<_>>()
            } else {
                words(&bytes, false)
            }
        } else if let Some(bytes) = a.bytes_le(t(0x0028, 0x1221 + c)) {
            let data: Vec<u16> = if bits == 8 {
                bytes.iter().map(|&b| u16::from(b)).collect()
            } else {
                words(&bytes, false)
            };
            expand_segmented(&data, bits == 8, None, None, 0)
                .map_err(|e| bad(&format!("segmented palette: {e}")))?
        } else {
            return Err(bad(
                "no Palette Color LUT Data (0028,1201-1203 or 1221-1223)",
            ));
        };
        if lut.is_empty() {
            return Err(bad("empty Palette Color LUT Data"));
        }
        channels.push(lut);
    }
    let blue = channels.pop().unwrap_or_default();
    let green = channels.pop().unwrap_or_default();
    let red = channels.pop().unwrap_or_default();
    let biggest = red
        .iter()
        .chain(&green)
        .chain(&blue)
        .copied()
        .max()
        .unwrap_or(0);
    let max = if bits <= 8 && biggest <= 255 {
        255
    } else {
        65535
    };
    Ok(Palette {
        first,
        red,
        green,
        blue,
        max,
    })
}

/// Expand a segmented palette (PS3.3 C.7.9.2), as pydicom does: at most `segments` segments
/// when given (indirect segments), linear segments continuing from `last`.
fn expand_segmented(
    data: &[u16],
    eight_bit: bool,
    segments: Option<usize>,
    last: Option<u16>,
    depth: u32,
) -> Result<Vec<u16>, String> {
    if depth > 8 {
        return Err("indirect segments nested too deeply".into());
    }
    let mut lut: Vec<u16> = Vec::new();
    let mut o = 0usize;
    let mut read = 0usize;
    while o + 1 < data.len() {
        let opcode = data[o];
        let length = usize::from(data[o + 1]);
        o += 2;
        match opcode {
            0 => {
                let seg = data
                    .get(o..o + length)
                    .ok_or("discrete segment beyond the data")?;
                lut.extend_from_slice(seg);
                o += length;
            }
            1 => {
                let y0 = lut
                    .last()
                    .copied()
                    .or(last)
                    .ok_or("the first segment is linear")?;
                let y1 = *data.get(o).ok_or("linear segment beyond the data")?;
                o += 1;
                if y0 == y1 {
                    lut.extend(std::iter::repeat_n(y1, length));
                } else {
                    let (y0, y1f) = (f64::from(y0), f64::from(y1));
                    let step = (y1f - y0) / length as f64;
                    for k in 1..=length {
                        lut.push(
                            (y0 + step * k as f64).round_ties_even().clamp(0.0, 65535.0) as u16
                        );
                    }
                }
            }
            2 => {
                let previous = *lut.last().ok_or("the first segment is indirect")?;
                let offset = if eight_bit {
                    let b = data
                        .get(o..o + 4)
                        .ok_or("indirect segment beyond the data")?;
                    o += 4;
                    (usize::from(b[3]) << 24)
                        | (usize::from(b[2]) << 16)
                        | (usize::from(b[1]) << 8)
                        | usize::from(b[0])
                } else {
                    let b = data
                        .get(o..o + 2)
                        .ok_or("indirect segment beyond the data")?;
                    o += 2;
                    (usize::from(b[1]) << 16) | usize::from(b[0])
                };
                let rest = data
                    .get(offset..)
                    .ok_or("indirect segment offset beyond the data")?;
                let copied =
                    expand_segmented(rest, eight_bit, Some(length), Some(previous), depth + 1)?;
                lut.extend_from_slice(&copied);
            }
            other => return Err(format!("unknown segment type {other}")),
        }
        if lut.len() > 1 << 20 {
            return Err("segmented palette too long".into());
        }
        read += 1;
        if segments == Some(read) {
            break;
        }
    }
    Ok(lut)
}

/// Extended Offset Table (7FE0,0001), when present.
fn extended_offsets(a: &Attrs) -> Option<Vec<u64>> {
    let bytes = a.bytes_le(t(0x7FE0, 0x0001))?;
    let v: Vec<u64> = bytes
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect();
    (!v.is_empty()).then_some(v)
}

/// The first items of the shared and per-frame functional groups (enhanced multi-frame).
fn functional_groups<'a>(a: &Attrs<'a>) -> Vec<Attrs<'a>> {
    [t(0x5200, 0x9229), t(0x5200, 0x9230)]
        .into_iter()
        .filter_map(|tag| a.first_item(tag))
        .collect()
}

fn read_lut(item: &Attrs, signed: bool) -> Option<Lut> {
    let (entries, first, bits) = descriptor(item, t(0x0028, 0x3002), signed)?;
    let bytes_or_words = item.get(t(0x0028, 0x3006))?;
    let data = match &bytes_or_words.value {
        Value::Bytes(b) if b.len() == entries && bits <= 8 => {
            b.iter().map(|&x| u16::from(x)).collect()
        }
        _ => item.words(t(0x0028, 0x3006))?,
    };
    if data.is_empty() {
        return None;
    }
    Some(Lut {
        first_mapped: first,
        bits,
        data,
    })
}

fn modality_lut(a: &Attrs, functional: &[Attrs], signed: bool) -> ModalityLut {
    if let Some(lut) = a
        .first_item(t(0x0028, 0x3000))
        .and_then(|item| read_lut(&item, signed))
    {
        return ModalityLut::Table(lut);
    }
    let sources = std::iter::once(*a).chain(
        functional
            .iter()
            .filter_map(|g| g.first_item(t(0x0028, 0x9145))),
    );
    for s in sources {
        let slope = s.number(t(0x0028, 0x1053));
        let intercept = s.number(t(0x0028, 0x1052));
        if slope.is_some() || intercept.is_some() {
            let slope = slope.filter(|v| *v != 0.0).unwrap_or(1.0);
            let intercept = intercept.unwrap_or(0.0);
            if slope == 1.0 && intercept == 0.0 {
                return ModalityLut::Identity;
            }
            return ModalityLut::Rescale { slope, intercept };
        }
    }
    ModalityLut::Identity
}

fn windows(s: &Attrs) -> Vec<Voi> {
    let centers = s.numbers(t(0x0028, 0x1050));
    let widths = s.numbers(t(0x0028, 0x1051));
    let function = s
        .text(t(0x0028, 0x1056))
        .map(|f| f.to_ascii_uppercase())
        .unwrap_or_else(|| "LINEAR".into());
    centers
        .iter()
        .zip(widths.iter())
        .filter(|(c, w)| c.is_finite() && w.is_finite() && **w > 0.0)
        .map(|(&center, &width)| Voi::Window {
            center,
            width,
            function: function.clone(),
        })
        .collect()
}

/// VOI LUT Sequence tables first (as pydicom prefers them), then the windows; the
/// functional groups' Frame VOI LUT when the top level has none.
fn voi_list(a: &Attrs, functional: &[Attrs]) -> Vec<Voi> {
    let mut out: Vec<Voi> = a
        .items(t(0x0028, 0x3010))
        .iter()
        .filter_map(|item| {
            read_lut(
                &Attrs {
                    elements: &item.elements,
                    big_endian: a.big_endian,
                },
                false,
            )
        })
        .map(Voi::Table)
        .collect();
    out.extend(windows(a));
    if out.is_empty() {
        for g in functional {
            if let Some(voi) = g.first_item(t(0x0028, 0x9132)) {
                out.extend(windows(&voi));
                if !out.is_empty() {
                    break;
                }
            }
        }
    }
    out
}

/// Overlay planes with their data in Overlay Data (60xx,3000). `frames[i]` applies to image
/// frame i + 1 (frames before Image Frame Origin are empty); a single entry applies to all.
fn overlays(a: &Attrs) -> Vec<Overlay> {
    let mut out = Vec::new();
    for group in (0x6000u16..=0x601E).step_by(2) {
        let Some(data) = a.bytes_le(t(group, 0x3000)) else {
            continue;
        };
        let (Some(rows), Some(columns)) = (a.uint(t(group, 0x0010)), a.uint(t(group, 0x0011)))
        else {
            continue;
        };
        if rows == 0 || columns == 0 || rows > 65535 || columns > 65535 {
            continue;
        }
        let origin = a.numbers(t(group, 0x0050));
        let origin = (
            origin.first().map_or(1, |&v| v as i32),
            origin.get(1).map_or(1, |&v| v as i32),
        );
        let count = a
            .uint(t(group, 0x0015))
            .filter(|&n| (1..=10_000).contains(&n))
            .unwrap_or(1) as usize;
        let first = a
            .uint(t(group, 0x0051))
            .filter(|&n| (1..=10_000).contains(&n))
            .unwrap_or(1) as usize;
        let size = rows as usize * columns as usize;
        let mut frames: Vec<Vec<bool>> = Vec::new();
        if count > 1 || first > 1 {
            frames.resize(first - 1, Vec::new());
        }
        for k in 0..count {
            let start = k * size;
            // Only planes the data covers (this also bounds the memory used).
            if (start + size).div_ceil(8) > data.len() {
                break;
            }
            frames.push(
                (start..start + size)
                    .map(|bit| data.get(bit / 8).is_some_and(|b| (b >> (bit % 8)) & 1 == 1))
                    .collect(),
            );
        }
        if frames.iter().all(Vec::is_empty) {
            continue;
        }
        out.push(Overlay {
            rows,
            columns,
            origin,
            frames,
        });
    }
    out
}

/// Frame Time, Cine Rate or Recommended Display Frame Rate, in ms between frames.
fn frame_time(a: &Attrs) -> Option<f64> {
    if let Some(ms) = a.number(t(0x0018, 0x1063)).filter(|v| *v > 0.0) {
        return Some(ms);
    }
    [t(0x0018, 0x0040), t(0x0008, 0x2144)]
        .into_iter()
        .find_map(|tag| a.number(tag).filter(|v| *v > 0.0))
        .map(|rate| 1000.0 / rate)
}

/// "no pixel data: this is a …", naming the SOP class.
fn no_pixel_message(file: &DicomFile) -> String {
    let a = Attrs {
        elements: &file.elements,
        big_endian: false,
    };
    let meta = Attrs {
        elements: &file.meta,
        big_endian: false,
    };
    let uid = a
        .text(t(0x0008, 0x0016))
        .or_else(|| meta.text(t(0x0002, 0x0002)));
    match uid {
        Some(uid) => match StandardSopClassDictionary.by_uid(&uid) {
            Some(entry) if uid == "1.2.840.10008.1.3.10" => {
                let _ = entry;
                "no pixel data: this is a DICOMDIR (Media Storage Directory)".into()
            }
            Some(entry) => {
                let name = entry.name.strip_suffix(" Storage").unwrap_or(entry.name);
                let name = name.strip_suffix(" Storage SOP Class").unwrap_or(name);
                format!("no pixel data: this is a {name}")
            }
            None => format!("no pixel data: this is an object of SOP class {uid}"),
        },
        None if a.get(t(0x0004, 0x1220)).is_some() => {
            "no pixel data: this is a DICOMDIR (Media Storage Directory)".into()
        }
        None => "no pixel data (and no SOP Class UID says what the file is)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segmented_palette_expands_like_pydicom() {
        // Discrete 0,1,2 then linear to 10 over 4, then indirect copy of the first segment.
        let data = [0u16, 3, 0, 1, 2, 1, 4, 10, 2, 1, 0, 0];
        let lut = expand_segmented(&data, false, None, None, 0).expect("valid");
        assert_eq!(lut, vec![0, 1, 2, 4, 6, 8, 10, 0, 1, 2]);
    }

    fn el(tag: Tag, vr: dicom_core::VR, value: Value) -> Element {
        Element {
            tag,
            vr,
            length: None,
            value,
        }
    }

    fn ds(text: &str) -> Value {
        Value::Strings(text.split('\\').map(str::to_owned).collect())
    }

    #[test]
    fn frame_time_from_frame_time_or_cine_rate() {
        use dicom_core::VR;
        let by_time = [el(t(0x0018, 0x1063), VR::DS, ds("33.3"))];
        let a = Attrs {
            elements: &by_time,
            big_endian: false,
        };
        assert_eq!(frame_time(&a), Some(33.3));
        let by_rate = [el(t(0x0018, 0x0040), VR::IS, ds("25"))];
        let a = Attrs {
            elements: &by_rate,
            big_endian: false,
        };
        assert_eq!(frame_time(&a), Some(40.0));
        let a = Attrs {
            elements: &[],
            big_endian: false,
        };
        assert_eq!(frame_time(&a), None);
    }

    #[test]
    fn multi_frame_overlay_starts_at_its_image_frame_origin() {
        use dicom_core::VR;
        // 2x4 overlay, 2 overlay frames, applying to image frames 3 and 4.
        let elements = [
            el(t(0x6000, 0x0010), VR::US, Value::UInts(vec![2])),
            el(t(0x6000, 0x0011), VR::US, Value::UInts(vec![4])),
            el(t(0x6000, 0x0015), VR::IS, ds("2")),
            el(t(0x6000, 0x0050), VR::SS, Value::Ints(vec![1, 1])),
            el(t(0x6000, 0x0051), VR::US, Value::UInts(vec![3])),
            el(
                t(0x6000, 0x3000),
                VR::OW,
                Value::Bytes(vec![0b1000_0001, 0b1111_0000]),
            ),
        ];
        let a = Attrs {
            elements: &elements,
            big_endian: false,
        };
        let o = overlays(&a);
        assert_eq!(o.len(), 1);
        let frames = &o[0].frames;
        assert_eq!(frames.len(), 4);
        assert!(frames[0].is_empty() && frames[1].is_empty());
        let bits = |v: &Vec<bool>| v.iter().map(|&b| u8::from(b)).collect::<Vec<_>>();
        assert_eq!(bits(&frames[2]), [1, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(bits(&frames[3]), [0, 0, 0, 0, 1, 1, 1, 1]);
    }

    #[test]
    fn lut_descriptor_quirks() {
        use dicom_core::VR;
        let elements = [el(
            t(0x0028, 0x1101),
            VR::US,
            Value::UInts(vec![0, 65535 - 99, 16]),
        )];
        let a = Attrs {
            elements: &elements,
            big_endian: false,
        };
        // 0 entries means 65536; the first mapped value is signed for signed data.
        assert_eq!(
            descriptor(&a, t(0x0028, 0x1101), true),
            Some((65536, -100, 16))
        );
        assert_eq!(
            descriptor(&a, t(0x0028, 0x1101), false),
            Some((65536, 65436, 16))
        );
    }

    #[test]
    fn ybr_conversion_matches_pydicom_values() {
        let mut px = [76u16, 85, 255, 0, 128, 128];
        ybr_to_rgb(&mut px, 255);
        assert_eq!(px, [254, 0, 0, 0, 0, 0]);
    }
}
