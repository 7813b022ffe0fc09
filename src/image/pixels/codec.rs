//! Encapsulated pixel data: cutting frames from fragments and decoding them (RLE here,
//! JPEG with libjpeg-turbo, JPEG-LS and JPEG 2000 with dicom-transfer-syntax-registry's
//! adapters, i.e. dicom-pixeldata's codec layer).

use std::borrow::Cow;
use std::panic::{AssertUnwindSafe, catch_unwind};

use dicom_encoding::TransferSyntaxIndex;
use dicom_encoding::adapters::{PixelDataObject, PixelDataReader, RawPixelData};
use dicom_encoding::transfer_syntax::Codec;
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;

use super::PixelError;
use super::dataset::Format;

/// Whether the samples of a decoded colour frame still follow the stated photometric
/// interpretation or were already turned into RGB by the codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Colour {
    /// As the Photometric Interpretation says (YBR is converted later).
    Stated,
    /// Already RGB.
    Rgb,
}

/// One frame of samples before interpretation.
pub(super) struct Decoded<'a> {
    pub data: Cow<'a, [u8]>,
    /// 1, 2 or 4; 0 for 1-bit data packed LSB first starting at `bit_offset`.
    pub bytes_per_sample: usize,
    pub bit_offset: usize,
    pub big_endian: bool,
    /// Samples are plane by plane (R…, G…, B…).
    pub planar: bool,
    pub colour: Colour,
    /// Native YBR_FULL_422: Y1 Y2 Cb Cr per pair of pixels.
    pub ybr422: bool,
}

const RLE: &str = "1.2.840.10008.1.2.5";
const JPEG: [&str; 6] = [
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.51",
    "1.2.840.10008.1.2.4.53",
    "1.2.840.10008.1.2.4.55",
    "1.2.840.10008.1.2.4.57",
    "1.2.840.10008.1.2.4.70",
];
const JPEG_LS: [&str; 2] = ["1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"];
const JPEG_2000: [&str; 7] = [
    "1.2.840.10008.1.2.4.90",
    "1.2.840.10008.1.2.4.91",
    "1.2.840.10008.1.2.4.92",
    "1.2.840.10008.1.2.4.93",
    "1.2.840.10008.1.2.4.201",
    "1.2.840.10008.1.2.4.202",
    "1.2.840.10008.1.2.4.203",
];

/// The bytes of frame `index` (0-based): all fragments for a single frame; else by Extended
/// or Basic Offset Table, one fragment per frame, or fragments that start a codestream.
pub(super) fn frame_bytes<'a>(
    fragments: &'a [Vec<u8>],
    offset_table: &[u32],
    extended: Option<&[u64]>,
    frames: u32,
    index: u32,
) -> Result<Cow<'a, [u8]>, PixelError> {
    let i = index as usize;
    let concat = |parts: &[&'a Vec<u8>]| -> Cow<'a, [u8]> {
        match parts {
            [one] => Cow::Borrowed(one.as_slice()),
            _ => Cow::Owned(parts.iter().flat_map(|p| p.iter().copied()).collect()),
        }
    };
    if fragments.is_empty() {
        return Err(PixelError::Corrupt(
            "the encapsulated pixel data has no fragments".into(),
        ));
    }
    if frames == 1 {
        let all: Vec<&Vec<u8>> = fragments.iter().collect();
        return Ok(concat(&all));
    }
    let table: Option<Vec<u64>> = extended.map(<[u64]>::to_vec).or_else(|| {
        (offset_table.len() >= frames as usize)
            .then(|| offset_table.iter().map(|&o| u64::from(o)).collect())
    });
    if let Some(table) = table {
        let start = *table
            .get(i)
            .ok_or_else(|| missing(index, fragments.len()))?;
        let end = table.get(i + 1).copied().unwrap_or(u64::MAX);
        let mut position = 0u64;
        let mut parts = Vec::new();
        for f in fragments {
            if position >= start && position < end {
                parts.push(f);
            }
            position += f.len() as u64 + 8;
        }
        if parts.is_empty() {
            return Err(missing(index, fragments.len()));
        }
        return Ok(concat(&parts));
    }
    if fragments.len() == frames as usize {
        return Ok(Cow::Borrowed(fragments[i].as_slice()));
    }
    // Group fragments by the start of a codestream.
    let starts = |f: &[u8]| {
        f.starts_with(&[0xFF, 0xD8])
            || f.starts_with(&[0xFF, 0x4F, 0xFF, 0x51])
            || f.starts_with(&[0, 0, 0, 0x0C, 0x6A, 0x50])
    };
    let mut groups: Vec<Vec<&Vec<u8>>> = Vec::new();
    for f in fragments {
        match groups.last_mut() {
            Some(g) if !starts(f) => g.push(f),
            _ => groups.push(vec![f]),
        }
    }
    match groups.get(i) {
        Some(g) if groups.len() == frames as usize => Ok(concat(g)),
        _ => Err(PixelError::Corrupt(format!(
            "cannot tell which of the {} fragments hold frame {} of {frames} (no offset table)",
            fragments.len(),
            index + 1
        ))),
    }
}

fn missing(index: u32, fragments: usize) -> PixelError {
    PixelError::Corrupt(format!(
        "frame {} has no data in the {fragments} fragment(s)",
        index + 1
    ))
}

/// Decode one encapsulated frame.
pub(super) fn decode_frame<'a>(data: &[u8], f: &Format) -> Result<Decoded<'a>, PixelError> {
    let ts = f.transfer_syntax.as_str();
    if ts == RLE {
        rle(data, f)
    } else if JPEG.contains(&ts) {
        jpeg(data, f)
    } else if JPEG_LS.contains(&ts) {
        jpeg_ls(data, f)
    } else if JPEG_2000.contains(&ts) {
        jpeg_2000(data, f)
    } else {
        Err(PixelError::Unsupported(format!(
            "transfer syntax {ts}{} is not supported",
            TransferSyntaxRegistry
                .get(ts)
                .map(|t| format!(" ({})", t.name()))
                .unwrap_or_default()
        )))
    }
}

/// RLE Lossless (PS3.5 Annex G): segments per sample byte, most significant first.
fn rle<'a>(data: &[u8], f: &Format) -> Result<Decoded<'a>, PixelError> {
    let bad = |what: String| PixelError::Corrupt(format!("RLE data: {what}"));
    let bps = match f.bits_allocated {
        8 => 1,
        16 => 2,
        32 => 4,
        other => {
            return Err(PixelError::Unsupported(format!(
                "RLE with Bits Allocated {other} is not supported"
            )));
        }
    };
    let spp = usize::from(f.samples);
    let n = f.pixels();
    let header = data
        .get(..64)
        .ok_or_else(|| bad("the frame is shorter than its 64-byte header".into()))?;
    let word = |k: usize| {
        u32::from_le_bytes([
            header[k * 4],
            header[k * 4 + 1],
            header[k * 4 + 2],
            header[k * 4 + 3],
        ]) as usize
    };
    let count = word(0);
    if count != spp * bps {
        return Err(bad(format!(
            "{count} segments, expected {} for {spp} sample(s) of {} bits",
            spp * bps,
            f.bits_allocated
        )));
    }
    let mut out = vec![0u8; n * spp * bps];
    let mut segment = Vec::with_capacity(n);
    for s in 0..count {
        let start = word(s + 1);
        let end = if s + 1 < count {
            word(s + 2)
        } else {
            data.len()
        };
        let bytes = data
            .get(start..end.max(start).min(data.len()))
            .ok_or_else(|| {
                bad(format!(
                    "segment {} offset {start} is beyond the data",
                    s + 1
                ))
            })?;
        segment.clear();
        packbits(bytes, n, &mut segment);
        if segment.len() < n {
            return Err(bad(format!(
                "segment {} decodes to {} bytes, expected {n}",
                s + 1,
                segment.len()
            )));
        }
        let sample = s / bps;
        let byte = bps - 1 - s % bps; // little-endian position of this byte
        for (p, &b) in segment.iter().take(n).enumerate() {
            out[(p * spp + sample) * bps + byte] = b;
        }
    }
    Ok(Decoded {
        data: Cow::Owned(out),
        bytes_per_sample: bps,
        bit_offset: 0,
        big_endian: false,
        planar: false,
        colour: Colour::Stated,
        ybr422: false,
    })
}

/// PackBits, stopping once `limit` bytes are out.
fn packbits(src: &[u8], limit: usize, out: &mut Vec<u8>) {
    let mut i = 0;
    while i < src.len() && out.len() < limit {
        let h = src[i] as i8;
        i += 1;
        if h >= 0 {
            let len = h as usize + 1;
            let end = (i + len).min(src.len());
            out.extend_from_slice(&src[i..end]);
            i = end;
        } else if h != -128 {
            let len = 1 - isize::from(h);
            if let Some(&b) = src.get(i) {
                out.extend(std::iter::repeat_n(b, len as usize));
            }
            i += 1;
        }
    }
    out.truncate(limit);
}

/// What the markers before the first scan say about a JPEG stream.
#[derive(Debug, Default)]
struct JpegInfo {
    jfif: bool,
    adobe: bool,
    lossless: bool,
    components: u8,
}

fn jpeg_info(data: &[u8]) -> JpegInfo {
    let mut info = JpegInfo::default();
    let mut i = 2;
    while i + 4 <= data.len() {
        if data[i] != 0xFF {
            break;
        }
        let marker = data[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([data[i + 2], data[i + 3]]));
        let body = data.get(i + 4..i + 2 + len).unwrap_or_default();
        match marker {
            0xE0 if body.starts_with(b"JFIF\0") => info.jfif = true,
            0xEE if body.starts_with(b"Adobe") => info.adobe = true,
            0xC0..=0xCF if marker != 0xC4 && marker != 0xC8 && marker != 0xCC => {
                info.lossless = matches!(marker, 0xC3 | 0xC7 | 0xCB | 0xCF);
                info.components = body.get(5).copied().unwrap_or(0);
            }
            0xDA => break,
            _ => {}
        }
        i += 2 + len;
    }
    info
}

/// A TurboJPEG decompressor, destroyed on drop.
struct Turbo(turbojpeg_sys::tjhandle);

impl Drop for Turbo {
    fn drop(&mut self) {
        // SAFETY: the handle came from tj3Init and is destroyed once.
        unsafe { turbojpeg_sys::tj3Destroy(self.0) }
    }
}

impl Turbo {
    fn error(&self) -> String {
        // SAFETY: tj3GetErrorStr returns a NUL-terminated static or per-handle string.
        unsafe {
            let p = turbojpeg_sys::tj3GetErrorStr(self.0);
            if p.is_null() {
                "unknown error".into()
            } else {
                std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()
            }
        }
    }
}

/// Every JPEG process libjpeg-turbo 3.1 knows: 8-bit baseline/extended, 12-bit extended,
/// lossless 2–16 bits.
fn jpeg<'a>(data: &[u8], f: &Format) -> Result<Decoded<'a>, PixelError> {
    let bad = |what: String| PixelError::Corrupt(format!("JPEG data: {what}"));
    if !data.starts_with(&[0xFF, 0xD8]) {
        return Err(bad("the frame does not start with a JPEG SOI marker".into()));
    }
    let info = jpeg_info(data);
    // A colour JPEG with neither JFIF nor Adobe marker: libjpeg would guess YCbCr from the
    // component IDs; DICOM's Photometric Interpretation says what the components are, so an
    // Adobe marker stating it is added (transform 1: YCbCr, 0: RGB).
    let stream: Cow<[u8]> = if info.components == 3 && !info.jfif && !info.adobe && !info.lossless {
        let transform = u8::from(f.photometric.starts_with("YBR"));
        let mut v = Vec::with_capacity(data.len() + 16);
        v.extend_from_slice(&data[..2]);
        v.extend_from_slice(&[
            0xFF, 0xEE, 0x00, 0x0E, b'A', b'd', b'o', b'b', b'e', 0x00, 0x64, 0x00, 0x00, 0x00,
            0x00, transform,
        ]);
        v.extend_from_slice(&data[2..]);
        Cow::Owned(v)
    } else {
        Cow::Borrowed(data)
    };
    // SAFETY: plain FFI calls on a handle we own; buffers are sized from the header and the
    // header's size is checked against the data set before decompressing.
    unsafe {
        let handle = turbojpeg_sys::tj3Init(turbojpeg_sys::TJINIT_TJINIT_DECOMPRESS as _);
        if handle.is_null() {
            return Err(PixelError::Unsupported(
                "libjpeg-turbo could not be initialised".into(),
            ));
        }
        let tj = Turbo(handle);
        if turbojpeg_sys::tj3DecompressHeader(tj.0, stream.as_ptr(), stream.len() as _) != 0 {
            return Err(bad(tj.error()));
        }
        let get = |p: turbojpeg_sys::TJPARAM| turbojpeg_sys::tj3Get(tj.0, p as _);
        let width = get(turbojpeg_sys::TJPARAM_TJPARAM_JPEGWIDTH);
        let height = get(turbojpeg_sys::TJPARAM_TJPARAM_JPEGHEIGHT);
        let precision = get(turbojpeg_sys::TJPARAM_TJPARAM_PRECISION);
        let colourspace = get(turbojpeg_sys::TJPARAM_TJPARAM_COLORSPACE);
        if width != f.columns as i32 || height != f.rows as i32 {
            return Err(bad(format!(
                "the JPEG is {width}x{height}, the data set says {}x{}",
                f.columns, f.rows
            )));
        }
        let grey = colourspace == turbojpeg_sys::TJCS_TJCS_GRAY as i32;
        if grey != (f.samples == 1) {
            return Err(bad(format!(
                "the JPEG has {} component(s), the data set says {} sample(s) per pixel",
                if grey { 1 } else { info.components.max(3) },
                f.samples
            )));
        }
        let format: i32 = if grey {
            turbojpeg_sys::TJPF_TJPF_GRAY
        } else {
            turbojpeg_sys::TJPF_TJPF_RGB
        };
        let count = f.pixels() * usize::from(f.samples);
        let (out, bps) = if precision <= 8 {
            let mut buf = vec![0u8; count];
            let r = turbojpeg_sys::tj3Decompress8(
                tj.0,
                stream.as_ptr(),
                stream.len() as _,
                buf.as_mut_ptr(),
                0,
                format,
            );
            if r != 0 {
                return Err(bad(tj.error()));
            }
            (buf, 1)
        } else if precision <= 12 {
            let mut buf = vec![0i16; count];
            let r = turbojpeg_sys::tj3Decompress12(
                tj.0,
                stream.as_ptr(),
                stream.len() as _,
                buf.as_mut_ptr(),
                0,
                format,
            );
            if r != 0 {
                return Err(bad(tj.error()));
            }
            (buf.iter().flat_map(|v| v.to_le_bytes()).collect(), 2)
        } else {
            let mut buf = vec![0u16; count];
            let r = turbojpeg_sys::tj3Decompress16(
                tj.0,
                stream.as_ptr(),
                stream.len() as _,
                buf.as_mut_ptr(),
                0,
                format,
            );
            if r != 0 {
                return Err(bad(tj.error()));
            }
            (buf.iter().flat_map(|v| v.to_le_bytes()).collect(), 2)
        };
        Ok(Decoded {
            data: Cow::Owned(out),
            bytes_per_sample: bps,
            bit_offset: 0,
            big_endian: false,
            planar: false,
            // Lossy colour JPEGs come out of libjpeg as RGB; lossless ones as stored.
            colour: if info.lossless {
                Colour::Stated
            } else {
                Colour::Rgb
            },
            ybr422: false,
        })
    }
}

/// One frame presented to dicom-transfer-syntax-registry's adapters.
struct OneFrame<'d> {
    f: &'d Format,
    data: &'d [u8],
}

impl PixelDataObject for OneFrame<'_> {
    fn transfer_syntax_uid(&self) -> &str {
        &self.f.transfer_syntax
    }
    fn rows(&self) -> Option<u16> {
        u16::try_from(self.f.rows).ok()
    }
    fn cols(&self) -> Option<u16> {
        u16::try_from(self.f.columns).ok()
    }
    fn samples_per_pixel(&self) -> Option<u16> {
        Some(self.f.samples)
    }
    fn bits_allocated(&self) -> Option<u16> {
        Some(self.f.bits_allocated)
    }
    fn bits_stored(&self) -> Option<u16> {
        Some(self.f.bits_stored)
    }
    fn photometric_interpretation(&self) -> Option<&str> {
        Some(&self.f.photometric)
    }
    fn number_of_frames(&self) -> Option<u32> {
        Some(1)
    }
    fn number_of_fragments(&self) -> Option<u32> {
        Some(1)
    }
    fn fragment(&self, fragment: usize) -> Option<Cow<'_, [u8]>> {
        (fragment == 0).then_some(Cow::Borrowed(self.data))
    }
    fn offset_table(&self) -> Option<Cow<'_, [u32]>> {
        Some(Cow::Borrowed(&[]))
    }
    fn raw_pixel_data(&self) -> Option<RawPixelData> {
        Some(RawPixelData {
            fragments: std::iter::once(self.data.to_vec()).collect(),
            offset_table: Default::default(),
        })
    }
}

/// Run an adapter, turning its errors and any panic into [`PixelError::Corrupt`].
fn run_adapter(name: &str, f: &Format, frame: &OneFrame) -> Result<Vec<u8>, PixelError> {
    let reader: &dyn PixelDataReader = match TransferSyntaxRegistry
        .get(&f.transfer_syntax)
        .map(|ts| ts.codec())
    {
        Some(Codec::EncapsulatedPixelData(Some(reader), _)) => reader.as_ref(),
        _ => {
            return Err(PixelError::Unsupported(format!(
                "no {name} decoder for transfer syntax {}",
                f.transfer_syntax
            )));
        }
    };
    let mut out = Vec::new();
    let result = catch_unwind(AssertUnwindSafe(|| reader.decode_frame(frame, 0, &mut out)));
    match result {
        Ok(Ok(())) => Ok(out),
        Ok(Err(e)) => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                text.push_str(": ");
                text.push_str(&s.to_string());
                source = s.source();
            }
            Err(PixelError::Corrupt(format!("{name} data: {text}")))
        }
        Err(_) => Err(PixelError::Corrupt(format!(
            "{name} data: the decoder failed on this frame"
        ))),
    }
}

/// Bytes per decoded sample from the decoded length.
fn decoded_size(name: &str, len: usize, f: &Format) -> Result<usize, PixelError> {
    let samples = f.pixels() * usize::from(f.samples);
    if len == samples {
        Ok(1)
    } else if len == samples * 2 {
        Ok(2)
    } else {
        Err(PixelError::Corrupt(format!(
            "{name} data: decoded {len} bytes, expected {samples} samples of {} bits",
            f.bits_allocated
        )))
    }
}

/// JPEG-LS through CharLS; planar output when the scan is not interleaved.
fn jpeg_ls<'a>(data: &[u8], f: &Format) -> Result<Decoded<'a>, PixelError> {
    // Check SOF55 geometry and find the interleave mode of the first scan.
    let mut i = 2;
    let mut interleave = 1u8;
    let mut size_ok = false;
    if !data.starts_with(&[0xFF, 0xD8]) {
        return Err(PixelError::Corrupt(
            "JPEG-LS data: the frame does not start with an SOI marker".into(),
        ));
    }
    while i + 4 <= data.len() {
        let marker = data[i + 1];
        let len = usize::from(u16::from_be_bytes([data[i + 2], data[i + 3]]));
        let body = data.get(i + 4..i + 2 + len).unwrap_or_default();
        if marker == 0xF7 {
            let h = body.get(1..3).map(|b| u16::from_be_bytes([b[0], b[1]]));
            let w = body.get(3..5).map(|b| u16::from_be_bytes([b[0], b[1]]));
            let c = body.get(5).copied();
            size_ok = h == Some(f.rows as u16)
                && w == Some(f.columns as u16)
                && c == Some(f.samples as u8);
            if !size_ok {
                return Err(PixelError::Corrupt(format!(
                    "JPEG-LS data: the codestream is {}x{} with {} component(s), the data set says {}x{} with {}",
                    w.unwrap_or(0),
                    h.unwrap_or(0),
                    c.unwrap_or(0),
                    f.columns,
                    f.rows,
                    f.samples
                )));
            }
        }
        if marker == 0xDA {
            let ns = usize::from(body.first().copied().unwrap_or(0));
            interleave = body.get(1 + ns * 2 + 1).copied().unwrap_or(1);
            break;
        }
        i += 2 + len;
    }
    if !size_ok {
        return Err(PixelError::Corrupt(
            "JPEG-LS data: no SOF55 frame header".into(),
        ));
    }
    let out = run_adapter("JPEG-LS", f, &OneFrame { f, data })?;
    let bps = decoded_size("JPEG-LS", out.len(), f)?;
    Ok(Decoded {
        data: Cow::Owned(out),
        bytes_per_sample: bps,
        bit_offset: 0,
        big_endian: false,
        planar: f.samples == 3 && interleave == 0,
        colour: Colour::Stated,
        ybr422: false,
    })
}

/// Whether the main header's COD marker says a multiple component transform is used.
fn j2k_mct(data: &[u8]) -> bool {
    let Some(soc) = data.windows(4).position(|w| w == [0xFF, 0x4F, 0xFF, 0x51]) else {
        return false;
    };
    let mut i = soc + 2;
    while let Some(&[0xFF, marker, hi, lo]) = data.get(i..i + 4) {
        if marker == 0x52 {
            // Lcod(2) Scod(1) progression(1) layers(2) MCT(1)
            return data.get(i + 4 + 4).is_some_and(|&m| m == 1);
        }
        if marker == 0x90 || marker == 0x93 {
            return false;
        }
        i += 2 + usize::from(u16::from_be_bytes([hi, lo]));
    }
    false
}

/// JPEG 2000 through OpenJPEG; the codestream's SIZ is checked first (the adapter indexes
/// its output by the codestream's own size).
fn jpeg_2000<'a>(data: &[u8], f: &Format) -> Result<Decoded<'a>, PixelError> {
    let siz = data
        .windows(4)
        .position(|w| w == [0xFF, 0x4F, 0xFF, 0x51])
        .and_then(|p| data.get(p + 4..p + 44));
    let Some(siz) = siz else {
        return Err(PixelError::Corrupt(
            "JPEG 2000 data: no codestream (SOC/SIZ markers) in the frame".into(),
        ));
    };
    let be32 = |o: usize| u32::from_be_bytes([siz[o], siz[o + 1], siz[o + 2], siz[o + 3]]);
    // Lsiz(2) Rsiz(2) Xsiz Ysiz XOsiz YOsiz XTsiz YTsiz XTOsiz YTOsiz Csiz(2)
    let width = be32(4).saturating_sub(be32(12));
    let height = be32(8).saturating_sub(be32(16));
    let components = u16::from_be_bytes([siz[36], siz[37]]);
    if width != f.columns || height != f.rows || components != f.samples {
        return Err(PixelError::Corrupt(format!(
            "JPEG 2000 data: the codestream is {width}x{height} with {components} component(s), the data set says {}x{} with {}",
            f.columns, f.rows, f.samples
        )));
    }
    if f.bits_allocated != 8 && f.bits_allocated != 16 {
        return Err(PixelError::Unsupported(format!(
            "JPEG 2000 with Bits Allocated {} is not supported",
            f.bits_allocated
        )));
    }
    let out = run_adapter("JPEG 2000", f, &OneFrame { f, data })?;
    let bps = usize::from(f.bits_allocated / 8);
    if out.len() != f.pixels() * usize::from(f.samples) * bps {
        return Err(PixelError::Corrupt(format!(
            "JPEG 2000 data: decoded {} bytes, expected {}",
            out.len(),
            f.pixels() * usize::from(f.samples) * bps
        )));
    }
    Ok(Decoded {
        data: Cow::Owned(out),
        bytes_per_sample: bps,
        bit_offset: 0,
        big_endian: false,
        planar: false,
        // OpenJPEG applies the inverse multiple component transform (YBR_RCT / YBR_ICT) when
        // the codestream uses one; without it the samples are as the data set states.
        colour: if matches!(f.photometric.as_str(), "YBR_RCT" | "YBR_ICT") || j2k_mct(data) {
            Colour::Rgb
        } else {
            Colour::Stated
        },
        ybr422: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_from_offset_table_and_from_start_markers() {
        let fragments = vec![vec![0xFF, 0xD8, 1, 2], vec![3, 4], vec![0xFF, 0xD8, 5, 6]];
        // Basic Offset Table: frame 1 at 0, frame 2 at (4 + 8) + (2 + 8) = 22.
        let f = frame_bytes(&fragments, &[0, 22], None, 2, 1).expect("frame 2");
        assert_eq!(&*f, [0xFF, 0xD8, 5, 6]);
        let f = frame_bytes(&fragments, &[0, 22], None, 2, 0).expect("frame 1");
        assert_eq!(&*f, [0xFF, 0xD8, 1, 2, 3, 4]);
        // No table: a fragment starting with SOI starts a frame.
        let f = frame_bytes(&fragments, &[], None, 2, 0).expect("frame 1");
        assert_eq!(&*f, [0xFF, 0xD8, 1, 2, 3, 4]);
        assert!(matches!(
            frame_bytes(&fragments, &[], None, 4, 3),
            Err(PixelError::Corrupt(_))
        ));
        // One frame: every fragment.
        let f = frame_bytes(&fragments, &[], None, 1, 0).expect("frame 1");
        assert_eq!(f.len(), 10);
    }

    #[test]
    fn packbits_runs_and_literals() {
        let mut out = Vec::new();
        // literal of 2, run of 3, no-op, literal of 1
        packbits(&[1, 10, 11, 0xFE, 7, 0x80, 0, 9], 100, &mut out);
        assert_eq!(out, [10, 11, 7, 7, 7, 9]);
        out.clear();
        packbits(&[0xFE, 7], 2, &mut out);
        assert_eq!(out, [7, 7]);
    }

    #[test]
    fn jpeg_markers_are_found() {
        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xE0, 0, 7, b'J', b'F', b'I', b'F', 0, 0xFF, 0xC3, 0, 11, 8, 0, 1, 0,
            1, 3, 0, 0, 0, 0xFF, 0xDA,
        ];
        let info = jpeg_info(&jpeg);
        assert!(info.jfif && !info.adobe && info.lossless);
        assert_eq!(info.components, 3);
    }
}
