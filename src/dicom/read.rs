//! Reading DICOM files into the [`DicomFile`] model.
//!
//! Accepted inputs: Part 10 files (preamble + `DICM` + meta), meta without preamble, and raw
//! data sets without meta when their first element is recognisable (byte order and explicit or
//! implicit VR are then guessed from its bytes, as `dcmdump -f` does). Element values are read
//! with dicom-parser's token reader in raw mode and decoded here, so that text is decoded with
//! the full Specific Character Set rules ([`super::charset`]), including ISO 2022 code
//! extensions, and nested items honour their own Specific Character Set.

use std::cell::{Cell, RefCell};
use std::fs::File;
use std::io::{self, BufReader, Cursor, Read};
use std::path::Path;
use std::rc::Rc;

use dicom_core::header::{DataElementHeader, SequenceItemHeader};
use dicom_encoding::decode::basic::BasicDecoder;
use dicom_encoding::decode::explicit_be::ExplicitVRBigEndianDecoder;
use dicom_encoding::decode::explicit_le::ExplicitVRLittleEndianDecoder;
use dicom_encoding::decode::implicit_le::StandardImplicitVRLittleEndianDecoder;
use dicom_encoding::decode::{self as enc_decode, DecodeFrom};
use dicom_encoding::text::SpecificCharacterSet;
use dicom_parser::dataset::read::{DataSetReaderOptions, OddLengthStrategy, ValueReadStrategy};
use dicom_parser::dataset::{DataSetReader, DataToken};
use dicom_parser::stateful::decode::StatefulDecoder;

use super::charset::CharacterSets;
use super::value::{self, ByteOrder, Value};
use super::{
    DicomFile, Element, Item, MAX_DEPTH, PIXEL_DATA, SPECIFIC_CHARACTER_SET, TRANSFER_SYNTAX_UID,
    Tag, VR,
};

/// Transfer syntax UIDs read specially.
const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
const EXPLICIT_BE: &str = "1.2.840.10008.1.2.2";
const DEFLATED: [&str; 3] = [
    "1.2.840.10008.1.2.1.99",
    "1.2.840.10008.1.2.4.95",
    "1.2.840.10008.1.2.4.205",
];

/// Largest file meta element value accepted (a guard against garbage lengths).
const MAX_META_VALUE: u32 = 1 << 20;

/// Why a file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// Not recognisable as DICOM.
    #[error("not a DICOM file: {0}")]
    NotDicom(String),
    /// The file meta information is broken.
    #[error("bad file meta information: {0}")]
    BadMeta(String),
}

/// What to read.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Stop before the first top-level element whose tag is greater than this one (its value
    /// is not read). `None` reads the whole file. Stopping before (7FE0,0010) skips the pixel
    /// data of most files.
    pub until: Option<Tag>,
}

/// Where the data set of a Part 10 file starts (after preamble, `DICM` and the group 0002
/// elements); `None` when the bytes do not start with a preamble and `DICM`.
pub fn dataset_offset(bytes: &[u8]) -> Option<usize> {
    if bytes.get(128..132) != Some(b"DICM".as_slice()) {
        return None;
    }
    let mut pos = 132usize;
    while bytes.get(pos..pos + 2) == Some([0x02u8, 0x00].as_slice()) {
        let vr = VR::from_binary([*bytes.get(pos + 4)?, *bytes.get(pos + 5)?])?;
        let (len, header) = if has_long_length(vr) {
            let b = bytes.get(pos + 8..pos + 12)?;
            (u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize, 12)
        } else {
            let b = bytes.get(pos + 6..pos + 8)?;
            (usize::from(u16::from_le_bytes([b[0], b[1]])), 8)
        };
        pos = pos.checked_add(header)?.checked_add(len)?;
    }
    (pos <= bytes.len()).then_some(pos)
}

/// Read a file from disk.
pub fn read_file(path: &Path, options: &ReadOptions) -> Result<DicomFile, ReadError> {
    let file = File::open(path)?;
    let size = file.metadata().ok().map(|m| m.len());
    read_from(BufReader::with_capacity(64 * 1024, file), size, options)
}

/// Read a file held in memory (e.g. a zip member).
pub fn read_bytes(bytes: &[u8], options: &ReadOptions) -> Result<DicomFile, ReadError> {
    read_from(Cursor::new(bytes), Some(bytes.len() as u64), options)
}

/// Read a bare data set (no preamble, no meta) encoded in the transfer syntax `ts` (a UID):
/// a DIMSE command set (always Implicit VR Little Endian) or a data set received over the
/// network. A data set that breaks part-way keeps what was read, with the reason in
/// [`DicomFile::error`].
pub fn read_dataset_bytes(bytes: &[u8], ts: &str) -> DicomFile {
    let mut out = DicomFile {
        transfer_syntax: ts.to_owned(),
        ..DicomFile::default()
    };
    let remaining = Some(bytes.len() as u64);
    if DEFLATED.contains(&ts) {
        let inflated = BufReader::new(flate2::read::DeflateDecoder::new(bytes));
        read_dataset(inflated, ts, None, &ReadOptions::default(), &mut out);
    } else {
        read_dataset(bytes, ts, remaining, &ReadOptions::default(), &mut out);
    }
    out
}

/// Read from any byte source; `size` (when known) guards against element lengths larger than
/// the file.
pub fn read_from<R: Read>(
    mut source: R,
    size: Option<u64>,
    options: &ReadOptions,
) -> Result<DicomFile, ReadError> {
    let mut out = DicomFile::default();
    let mut head = [0u8; 132];
    let got = read_up_to(&mut source, &mut head)?;
    let head = &head[..got];

    // Where the data set (or meta) starts, and the bytes already taken from the source.
    let (mut pushback, mut consumed): (Vec<u8>, u64) =
        if head.len() == 132 && &head[128..132] == b"DICM" {
            out.preamble = true;
            (Vec::new(), 132)
        } else if head.starts_with(b"DICM") {
            (head[4..].to_vec(), 4)
        } else {
            (head.to_vec(), 0)
        };

    // File meta information: group 0002, always Explicit VR Little Endian.
    let mut meta_source = Cursor::new(std::mem::take(&mut pushback)).chain(&mut source);
    let (meta, rest, meta_len) = read_meta(&mut meta_source)?;
    consumed += meta_len;
    out.meta = meta;
    // What read_meta took but did not use, then what it left unread in the pushback buffer.
    let (unread, _) = meta_source.into_inner();
    let position = usize::try_from(unread.position()).unwrap_or(usize::MAX);
    pushback = rest;
    pushback.extend_from_slice(unread.get_ref().get(position..).unwrap_or_default());

    let declared = out
        .meta
        .iter()
        .find(|e| e.tag == TRANSFER_SYNTAX_UID)
        .map(|e| e.value.to_text())
        .filter(|s| !s.is_empty());
    if out.meta.is_empty() && !out.preamble && pushback.is_empty() {
        return Err(ReadError::NotDicom("the file is empty".into()));
    }

    // The first bytes of the data set, to recognise its encoding when it is not declared.
    let ts = match declared {
        Some(ts) => ts,
        None => {
            let mut first = pushback.clone();
            if first.len() < 8 {
                let mut more = vec![0u8; 8 - first.len()];
                let n = read_up_to(&mut source, &mut more)?;
                first.extend_from_slice(&more[..n]);
                pushback = first.clone();
            }
            if first.is_empty() && !out.meta.is_empty() {
                // Meta only, no data set.
                out.transfer_syntax = EXPLICIT_LE.into();
                out.transfer_syntax_guessed = true;
                return Ok(out);
            }
            let guessed = guess_transfer_syntax(&first).ok_or_else(|| {
                if let Some(format) = wrapped_format(&first) {
                    return ReadError::NotDicom(format.to_owned());
                }
                let what = if out.meta.is_empty() {
                    "no preamble, no file meta information, and"
                } else {
                    "no transfer syntax in the file meta information, and"
                };
                ReadError::NotDicom(format!(
                    "{what} the first bytes are not a recognisable data element"
                ))
            })?;
            out.transfer_syntax_guessed = true;
            guessed.to_owned()
        }
    };
    out.transfer_syntax = ts.clone();

    let remaining = size.map(|s| s.saturating_sub(consumed));
    let data = Cursor::new(pushback).chain(source);
    if DEFLATED.contains(&ts.as_str()) {
        let inflated = BufReader::new(flate2::read::DeflateDecoder::new(data));
        read_dataset(inflated, &ts, None, options, &mut out);
    } else {
        read_dataset(data, &ts, remaining, options, &mut out);
    }
    Ok(out)
}

/// Read as many bytes as are there, up to the buffer's size.
fn read_up_to<R: Read>(source: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match source.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Recognise the encoding of a data set from its first element: byte order from which reading
/// of the group number is plausible, explicit VR when bytes 4–5 are a VR code.
///
/// A plausible first group is a low one (0001–00FF: data sets start with their lowest group,
/// usually 0008); text and the usual binary formats never start so (their first two bytes
/// read as a group of 2000 or more either way). Odd groups are accepted because a data set
/// may start with a private or illegal group (e.g. (0001,0001) after a meta without transfer
/// syntax), which dcmdump reads too; for implicit VR the length must then be undefined or
/// below 16 MiB.
fn guess_transfer_syntax(first: &[u8]) -> Option<&'static str> {
    let b: [u8; 8] = first.get(..8)?.try_into().ok()?;
    let group_le = u16::from_le_bytes([b[0], b[1]]);
    let group_be = u16::from_be_bytes([b[0], b[1]]);
    let explicit = VR::from_binary([b[4], b[5]]).is_some();
    let length_le = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
    let usual = |g: u16| g.is_multiple_of(2) && g <= 0x0028;
    let low = |g: u16| (0x0001..=0x00FF).contains(&g);
    if usual(group_le)
        || (low(group_le) && (explicit || length_le == u32::MAX || length_le < 1 << 24))
    {
        Some(if explicit { EXPLICIT_LE } else { IMPLICIT_LE })
    } else if low(group_be) && explicit {
        Some(EXPLICIT_BE)
    } else {
        None
    }
}

/// Why the first bytes are not DICOM, for the formats DICOM files often come wrapped in.
fn wrapped_format(first: &[u8]) -> Option<&'static str> {
    if first.starts_with(&[0x1F, 0x8B]) {
        Some("gzip-compressed data (decompress it first)")
    } else if first.starts_with(b"PK\x03\x04") {
        Some("a zip archive (give it a .zip name, or extract it)")
    } else {
        None
    }
}

/// Read group 0002 elements. Returns them, the bytes read past the meta (to be pushed back)
/// and the number of bytes the meta took.
fn read_meta<R: Read>(source: &mut R) -> Result<(Vec<Element>, Vec<u8>, u64), ReadError> {
    let mut elements = Vec::new();
    let mut taken = 0u64;
    let charsets = CharacterSets::default();
    loop {
        let mut tag = [0u8; 4];
        let n = read_up_to(source, &mut tag)?;
        let group = u16::from_le_bytes([tag[0], tag[1]]);
        if n < 4 || group != 0x0002 {
            return Ok((elements, tag[..n].to_vec(), taken));
        }
        let element = u16::from_le_bytes([tag[2], tag[3]]);
        let tag = Tag(group, element);
        let mut vr_bytes = [0u8; 2];
        read_exact(source, &mut vr_bytes, tag)?;
        let (vr, len, header) = match VR::from_binary(vr_bytes) {
            Some(vr) if has_long_length(vr) => {
                let mut b = [0u8; 6];
                read_exact(source, &mut b, tag)?;
                (vr, u32::from_le_bytes([b[2], b[3], b[4], b[5]]), 12)
            }
            Some(vr) => {
                let mut b = [0u8; 2];
                read_exact(source, &mut b, tag)?;
                (vr, u32::from(u16::from_le_bytes(b)), 8)
            }
            None => {
                // Implicit VR meta (non-conformant): the two bytes start a 4-byte length.
                let mut b = [0u8; 2];
                read_exact(source, &mut b, tag)?;
                let vr = super::dictionary::entry_of(group, element)
                    .and_then(|e| e.vr.get(..2))
                    .and_then(|v| <[u8; 2]>::try_from(v.as_bytes()).ok())
                    .and_then(VR::from_binary)
                    .unwrap_or(VR::UN);
                (
                    vr,
                    u32::from_le_bytes([vr_bytes[0], vr_bytes[1], b[0], b[1]]),
                    8,
                )
            }
        };
        if len > MAX_META_VALUE {
            return Err(ReadError::BadMeta(format!(
                "element {} has length {len}",
                super::tag_text(tag)
            )));
        }
        let mut bytes = vec![0u8; len as usize];
        read_exact(source, &mut bytes, tag)?;
        taken += header + u64::from(len);
        let (value, _) = value::decode(vr, bytes, ByteOrder::Little, &charsets);
        elements.push(Element {
            tag,
            vr,
            length: Some(len),
            value,
        });
    }
}

fn read_exact<R: Read>(source: &mut R, buf: &mut [u8], tag: Tag) -> Result<(), ReadError> {
    source.read_exact(buf).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            ReadError::BadMeta(format!("file ends inside element {}", super::tag_text(tag)))
        } else {
            ReadError::Io(e)
        }
    })
}

/// VRs with a 4-byte length in explicit VR encoding.
fn has_long_length(vr: VR) -> bool {
    use VR::*;
    matches!(
        vr,
        OB | OD | OF | OL | OV | OW | SQ | SV | UC | UN | UR | UT | UV
    )
}

/// Counts the bytes the parser has taken from the source.
struct Counting<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// An open container while the token stream is walked.
enum Frame {
    /// The top-level data set.
    Root,
    /// A sequence being filled with items.
    Sequence {
        tag: Tag,
        vr: VR,
        length: Option<u32>,
        items: Vec<Item>,
    },
    /// An item being filled with elements; it has its own character sets.
    Item {
        length: Option<u32>,
        elements: Vec<Element>,
        charsets: CharacterSets,
    },
    /// Encapsulated pixel data.
    Pixels {
        offset_table: Vec<u32>,
        fragments: Vec<Vec<u8>>,
        /// Items started so far; the first one is the basic offset table.
        items: usize,
    },
}

/// The element encoding of a transfer syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    ImplicitLittle,
    ExplicitLittle,
    ExplicitBig,
}

/// An element header decoder that follows PS3.5 6.2.2 (CP-246): the value of a UN element
/// with undefined length is a sequence encoded in Implicit VR Little Endian, whatever the
/// transfer syntax, up to its Sequence Delimitation Item. dicom-parser's own decoders keep
/// the file's encoding inside such a value (and then read garbage headers), so the data set
/// reader is built on this decoder instead, which switches encoding per open sequence.
///
/// `nesting` holds one entry per open undefined-length sequence (or encapsulated pixel
/// data): whether its content is Implicit VR Little Endian. It is shared with the tree
/// builder, which needs to know how the element at hand was encoded (byte order, VR from the
/// dictionary). Sequences of explicit length need no entry: their content is encoded like
/// their parent's, and they end by length, not by a delimiter the decoder would see.
struct Cp246Decoder {
    encoding: Encoding,
    implicit_le: StandardImplicitVRLittleEndianDecoder,
    explicit_le: ExplicitVRLittleEndianDecoder,
    explicit_be: ExplicitVRBigEndianDecoder,
    nesting: Rc<RefCell<Vec<bool>>>,
}

impl Cp246Decoder {
    fn new(encoding: Encoding, nesting: Rc<RefCell<Vec<bool>>>) -> Self {
        Cp246Decoder {
            encoding,
            implicit_le: StandardImplicitVRLittleEndianDecoder::default(),
            explicit_le: ExplicitVRLittleEndianDecoder::default(),
            explicit_be: ExplicitVRBigEndianDecoder::default(),
            nesting,
        }
    }

    /// The encoding in force at the current position.
    fn current(&self) -> Encoding {
        if self.nesting.borrow().last() == Some(&true) {
            Encoding::ImplicitLittle
        } else {
            self.encoding
        }
    }
}

impl<S: ?Sized + Read> DecodeFrom<S> for Cp246Decoder {
    fn decode_header(&self, source: &mut S) -> enc_decode::Result<(DataElementHeader, usize)> {
        let current = self.current();
        let (header, n) = match current {
            Encoding::ImplicitLittle => DecodeFrom::<S>::decode_header(&self.implicit_le, source)?,
            Encoding::ExplicitLittle => DecodeFrom::<S>::decode_header(&self.explicit_le, source)?,
            Encoding::ExplicitBig => DecodeFrom::<S>::decode_header(&self.explicit_be, source)?,
        };
        let tag = header.tag;
        if tag == Tag(0xFFFE, 0xE0DD) {
            self.nesting.borrow_mut().pop();
        } else if header.len.is_undefined() && tag.group() != 0xFFFE {
            // Opens a sequence, or encapsulated pixel data, closed by a delimiter.
            let implicit =
                current == Encoding::ImplicitLittle || (header.vr == VR::UN && tag != PIXEL_DATA);
            self.nesting.borrow_mut().push(implicit);
        }
        Ok((header, n))
    }

    fn decode_item_header(&self, source: &mut S) -> enc_decode::Result<SequenceItemHeader> {
        let header = match self.current() {
            Encoding::ImplicitLittle => {
                DecodeFrom::<S>::decode_item_header(&self.implicit_le, source)?
            }
            Encoding::ExplicitLittle => {
                DecodeFrom::<S>::decode_item_header(&self.explicit_le, source)?
            }
            Encoding::ExplicitBig => {
                DecodeFrom::<S>::decode_item_header(&self.explicit_be, source)?
            }
        };
        if header == SequenceItemHeader::SequenceDelimiter {
            self.nesting.borrow_mut().pop();
        }
        Ok(header)
    }

    fn decode_tag(&self, source: &mut S) -> enc_decode::Result<Tag> {
        match self.current() {
            Encoding::ImplicitLittle => DecodeFrom::<S>::decode_tag(&self.implicit_le, source),
            Encoding::ExplicitLittle => DecodeFrom::<S>::decode_tag(&self.explicit_le, source),
            Encoding::ExplicitBig => DecodeFrom::<S>::decode_tag(&self.explicit_be, source),
        }
    }
}

/// Tags whose VR is "US or SS" and which DCMTK (like PS3.5 A.1 c) resolves in implicit VR
/// from Pixel Representation (0028,0103) of the same data set: SS when it is 1, else US.
const VR_BY_PIXEL_REPRESENTATION: [Tag; 12] = [
    Tag(0x0018, 0x9810), // ZeroVelocityPixelValue
    Tag(0x0028, 0x0106), // SmallestImagePixelValue
    Tag(0x0028, 0x0107), // LargestImagePixelValue
    Tag(0x0028, 0x0108), // SmallestPixelValueInSeries
    Tag(0x0028, 0x0109), // LargestPixelValueInSeries
    Tag(0x0028, 0x0120), // PixelPaddingValue
    Tag(0x0028, 0x0121), // PixelPaddingRangeLimit
    Tag(0x0028, 0x3002), // LUTDescriptor
    Tag(0x0040, 0x9211), // RealWorldValueLastValueMapped
    Tag(0x0040, 0x9216), // RealWorldValueFirstValueMapped
    Tag(0x0060, 0x3004), // HistogramFirstBinValue
    Tag(0x0060, 0x3006), // HistogramLastBinValue
];

/// Tags whose VR is "OB or OW" and which are resolved in implicit VR from Waveform Bits
/// Allocated (5400,1004) of the same data set: OB when it is 8, else OW.
const VR_BY_WAVEFORM_BITS: [Tag; 4] = [
    Tag(0x5400, 0x0110), // ChannelMinimumValue
    Tag(0x5400, 0x0112), // ChannelMaximumValue
    Tag(0x5400, 0x100A), // WaveformPaddingValue
    Tag(0x5400, 0x1010), // WaveformData
];

/// The VR of an element whose VR came from the dictionary (implicit VR), with the
/// dictionary's "US or SS" / "OB or OW" choices resolved from the data set read so far.
fn resolve_implicit_vr(tag: Tag, vr: VR, siblings: &[Element]) -> VR {
    let number = |of: Tag| {
        siblings
            .iter()
            .rev()
            .find(|e| e.tag == of)
            .and_then(|e| match &e.value {
                Value::UInts(v) => v.first().copied(),
                _ => None,
            })
    };
    if VR_BY_PIXEL_REPRESENTATION.contains(&tag) {
        match number(Tag(0x0028, 0x0103)) {
            Some(1) => VR::SS,
            Some(_) => VR::US,
            None => vr,
        }
    } else if VR_BY_WAVEFORM_BITS.contains(&tag) {
        match number(Tag(0x5400, 0x1004)) {
            Some(8) => VR::OB,
            Some(_) => VR::OW,
            None => vr,
        }
    } else {
        vr
    }
}

/// The elements of the innermost open data set (an item, or the top level).
fn current_elements<'a>(stack: &'a [Frame], out: &'a DicomFile) -> &'a [Element] {
    match stack.last() {
        Some(Frame::Item { elements, .. }) => elements,
        _ => &out.elements,
    }
}

/// Walk the data set tokens and build the element tree into `out`.
fn read_dataset<R: Read>(
    source: R,
    ts: &str,
    remaining: Option<u64>,
    options: &ReadOptions,
    out: &mut DicomFile,
) {
    let count = Rc::new(Cell::new(0u64));
    let source = Counting {
        inner: source,
        count: Rc::clone(&count),
    };
    let encoding = match ts {
        IMPLICIT_LE => Encoding::ImplicitLittle,
        EXPLICIT_BE => Encoding::ExplicitBig,
        _ => Encoding::ExplicitLittle,
    };
    let order = if encoding == Encoding::ExplicitBig {
        ByteOrder::Big
    } else {
        ByteOrder::Little
    };
    let nesting = Rc::new(RefCell::new(Vec::new()));
    let basic = BasicDecoder::from(if encoding == Encoding::ExplicitBig {
        dicom_encoding::Endianness::Big
    } else {
        dicom_encoding::Endianness::Little
    });
    let decoder = StatefulDecoder::new(
        source,
        Cp246Decoder::new(encoding, Rc::clone(&nesting)),
        basic,
        SpecificCharacterSet::default(),
    );
    let mut reader_options = DataSetReaderOptions::default();
    reader_options.value_read = ValueReadStrategy::Raw;
    reader_options.odd_length = OddLengthStrategy::Accept;
    let reader = DataSetReader::new(decoder, reader_options);

    let mut root_charsets = CharacterSets::default();
    let mut stack: Vec<Frame> = vec![Frame::Root];
    // The element header waiting for its value, and whether it was encoded in implicit VR
    // (little endian, VR from the dictionary).
    let mut pending: Option<(Tag, VR, u32, bool)> = None;

    for token in reader {
        let token = match token {
            Ok(t) => t,
            Err(e) => {
                out.error = Some(describe_parse_error(&e));
                break;
            }
        };
        let depth = stack.len();
        match token {
            DataToken::ElementHeader(header) => {
                let tag = header.tag;
                if depth == 1 && options.until.is_some_and(|u| tag > u) {
                    out.stopped_early = true;
                    break;
                }
                let len = header.len.0;
                if let Some(remaining) = remaining {
                    let left = remaining.saturating_sub(count.get());
                    if u64::from(len) > left {
                        out.error = Some(format!(
                            "element {} declares {len} bytes but the file has only {left} left (truncated file?)",
                            super::tag_text(tag)
                        ));
                        // Listed, so that the listing shows where the file breaks.
                        push_element(
                            &mut stack,
                            out,
                            Element {
                                tag,
                                vr: header.vr,
                                length: Some(len),
                                value: Value::NotRead,
                            },
                        );
                        break;
                    }
                }
                let implicit =
                    encoding == Encoding::ImplicitLittle || nesting.borrow().last() == Some(&true);
                pending = Some((tag, header.vr, len, implicit));
            }
            DataToken::PrimitiveValue(v) => {
                let Some((tag, vr, len, implicit)) = pending.take() else {
                    out.error = Some("value without an element header".into());
                    break;
                };
                let bytes = match v {
                    dicom_core::PrimitiveValue::U8(b) => b.into_vec(),
                    other => other.to_bytes().into_owned(),
                };
                let (vr, order) = if implicit {
                    let siblings = current_elements(&stack, out);
                    (resolve_implicit_vr(tag, vr, siblings), ByteOrder::Little)
                } else {
                    (vr, order)
                };
                let charsets = current_charsets(&stack, &root_charsets);
                let (value, warning) = value::decode(vr, bytes, order, charsets);
                if let Some(w) = warning {
                    out.warnings.push(format!("{}: {w}", super::tag_text(tag)));
                }
                if tag == SPECIFIC_CHARACTER_SET
                    && let Value::Strings(terms) = &value
                {
                    let sets = CharacterSets::from_terms(terms);
                    for u in sets.unknown() {
                        out.warnings.push(format!(
                            "unknown Specific Character Set term {u:?}; read as Latin-1"
                        ));
                    }
                    match stack.last_mut() {
                        Some(Frame::Item { charsets, .. }) => *charsets = sets,
                        _ => root_charsets = sets,
                    }
                }
                push_element(
                    &mut stack,
                    out,
                    Element {
                        tag,
                        vr,
                        length: Some(len),
                        value,
                    },
                );
            }
            DataToken::SequenceStart { tag, len } => {
                if depth == 1 && options.until.is_some_and(|u| tag > u) {
                    out.stopped_early = true;
                    break;
                }
                // Counted only when a sequence opens: at most MAX_DEPTH frames to look at.
                let level = 1 + stack
                    .iter()
                    .filter(|f| matches!(f, Frame::Sequence { .. }))
                    .count();
                if level > MAX_DEPTH {
                    out.error = Some(too_deep(tag));
                    break;
                }
                let vr = match super::dictionary::entry_of(tag.group(), tag.element()) {
                    Some(e) if e.vr == "SQ" => VR::SQ,
                    _ if len.is_undefined() => VR::UN,
                    _ => VR::SQ,
                };
                stack.push(Frame::Sequence {
                    tag,
                    vr,
                    length: len.get(),
                    items: Vec::new(),
                });
            }
            DataToken::PixelSequenceStart => {
                if depth == 1 && options.until.is_some_and(|u| PIXEL_DATA > u) {
                    out.stopped_early = true;
                    break;
                }
                stack.push(Frame::Pixels {
                    offset_table: Vec::new(),
                    fragments: Vec::new(),
                    items: 0,
                });
            }
            DataToken::ItemStart { len } => match stack.last_mut() {
                Some(Frame::Sequence { .. }) => {
                    let charsets = current_charsets(&stack, &root_charsets).clone();
                    stack.push(Frame::Item {
                        length: len.get(),
                        elements: Vec::new(),
                        charsets,
                    });
                }
                // An empty basic offset table comes as an item start and nothing else, so
                // items are counted to tell the table from the first fragment.
                Some(Frame::Pixels { items, .. }) => *items += 1,
                _ => {}
            },
            DataToken::ItemEnd => {
                if let Some(Frame::Item { .. }) = stack.last() {
                    close_top(&mut stack, out);
                }
            }
            DataToken::SequenceEnd => close_top(&mut stack, out),
            DataToken::OffsetTable(table) => {
                if let Some(Frame::Pixels { offset_table, .. }) = stack.last_mut() {
                    *offset_table = table;
                }
            }
            DataToken::ItemValue(bytes) => {
                if let Some(Frame::Pixels {
                    offset_table,
                    fragments,
                    items,
                }) = stack.last_mut()
                {
                    if *items <= 1 {
                        // The basic offset table, delivered as bytes.
                        *offset_table = bytes
                            .chunks_exact(4)
                            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                            .collect();
                    } else {
                        fragments.push(bytes);
                    }
                }
            }
        }
    }
    if let Some((tag, vr, len, _)) = pending.take() {
        if out.error.is_none() && !out.stopped_early {
            out.error = Some(format!(
                "file ends inside the value of {}",
                super::tag_text(tag)
            ));
        }
        if out.stopped_early || out.error.is_some() {
            push_element(
                &mut stack,
                out,
                Element {
                    tag,
                    vr,
                    length: Some(len),
                    value: Value::NotRead,
                },
            );
        }
    }
    // Close what the file left open, keeping everything read so far. A container of undefined
    // length must end with its delimitation item: without one the file was cut (dcmdump
    // fails too). One of explicit length that runs past the end only had a wrong length
    // (dcmdump reads such files silently): a warning.
    if stack.len() > 1 && out.error.is_none() && !out.stopped_early {
        let unterminated = stack.iter().rev().find_map(|f| match f {
            Frame::Pixels { .. } => Some(format!(
                "the encapsulated pixel data {}",
                super::tag_text(PIXEL_DATA)
            )),
            Frame::Sequence {
                tag, length: None, ..
            } => Some(format!("the sequence {}", super::tag_text(*tag))),
            _ => None,
        });
        match unterminated {
            Some(what) => {
                out.error = Some(format!(
                    "file ends inside {what} before its sequence delimitation item (truncated file?)"
                ));
            }
            None => out
                .warnings
                .push("the file ends inside a sequence of explicit length (wrong length?)".into()),
        }
    }
    while stack.len() > 1 {
        close_top(&mut stack, out);
    }
}

/// The error of a file nested deeper than [`MAX_DEPTH`]: `tag` opens the first level too many.
pub(crate) fn too_deep(tag: Tag) -> String {
    format!(
        "nesting deeper than {MAX_DEPTH} sequence levels (the sequence {} opens level {})",
        super::tag_text(tag),
        MAX_DEPTH + 1
    )
}

fn current_charsets<'a>(stack: &'a [Frame], root: &'a CharacterSets) -> &'a CharacterSets {
    stack
        .iter()
        .rev()
        .find_map(|f| match f {
            Frame::Item { charsets, .. } => Some(charsets),
            _ => None,
        })
        .unwrap_or(root)
}

/// Add an element to the innermost open data set (an item, or the top level).
fn push_element(stack: &mut [Frame], out: &mut DicomFile, element: Element) {
    match stack.last_mut() {
        Some(Frame::Item { elements, .. }) => elements.push(element),
        Some(Frame::Root) | None => out.elements.push(element),
        // An element directly inside a sequence (no item): keep it in a synthetic item.
        Some(Frame::Sequence { items, .. }) => items.push(Item {
            length: None,
            elements: vec![element],
        }),
        Some(Frame::Pixels { .. }) => {}
    }
}

/// Close the innermost open container and attach it to its parent.
fn close_top(stack: &mut Vec<Frame>, out: &mut DicomFile) {
    let Some(top) = stack.pop() else { return };
    match top {
        Frame::Root => stack.push(Frame::Root),
        Frame::Item {
            length, elements, ..
        } => {
            if let Some(Frame::Sequence { items, .. }) = stack.last_mut() {
                items.push(Item { length, elements });
            }
        }
        Frame::Sequence {
            tag,
            vr,
            length,
            items,
        } => {
            push_element(
                stack,
                out,
                Element {
                    tag,
                    vr,
                    length,
                    value: Value::Sequence(items),
                },
            );
        }
        Frame::Pixels {
            offset_table,
            fragments,
            ..
        } => {
            let value = Value::Fragments {
                offset_table,
                fragments,
            };
            push_element(
                stack,
                out,
                Element {
                    tag: PIXEL_DATA,
                    vr: VR::OB,
                    length: None,
                    value,
                },
            );
        }
    }
}

/// One line for a parser error, without the parser's internal backtrace noise.
fn describe_parse_error(e: &dicom_parser::dataset::read::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Explicit VR Little Endian data set: `levels` nested (0008,1110) sequences of
    /// undefined length, each with one item, (0010,0020) "inner" in the innermost item.
    fn nested(levels: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for _ in 0..levels {
            out.extend_from_slice(&[0x08, 0x00, 0x10, 0x11, b'S', b'Q', 0, 0]);
            out.extend_from_slice(&[0xFF; 4]);
            out.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
        }
        out.extend_from_slice(&[0x10, 0x00, 0x20, 0x00, b'L', b'O', 6, 0]);
        out.extend_from_slice(b"inner ");
        for _ in 0..levels {
            out.extend_from_slice(&[0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0]);
            out.extend_from_slice(&[0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
        }
        out
    }

    /// How many sequences deep the first element chain goes, and the innermost element.
    fn depth_of(elements: &[Element]) -> (usize, Option<&Element>) {
        let mut depth = 0;
        let mut at = elements.first();
        while let Some(Element {
            value: Value::Sequence(items),
            ..
        }) = at
        {
            depth += 1;
            at = items.first().and_then(|i| i.elements.first());
        }
        (depth, at)
    }

    #[test]
    fn nesting_up_to_the_limit_is_read_whole() {
        let file = read_dataset_bytes(&nested(MAX_DEPTH), EXPLICIT_LE);
        assert_eq!(file.error, None);
        let (depth, inner) = depth_of(&file.elements);
        assert_eq!(depth, MAX_DEPTH);
        assert_eq!(inner.map(|e| e.value.to_text()), Some("inner".to_owned()));
    }

    #[test]
    fn nesting_past_the_limit_is_refused_keeping_what_precedes() {
        for levels in [MAX_DEPTH + 1, 2_000, 100_000] {
            let file = read_dataset_bytes(&nested(levels), EXPLICIT_LE);
            let error = file.error.clone().unwrap_or_default();
            assert!(
                error.starts_with("nesting deeper than 128 sequence levels"),
                "{levels}: {error}"
            );
            assert!(error.contains("(0008,1110) opens level 129"), "{error}");
            // The levels within the limit are kept, closed, nothing deeper.
            assert_eq!(depth_of(&file.elements).0, MAX_DEPTH, "{levels}");
        }
    }
}
