//! Reading DICOM files into the [`DicomFile`] model.
//!
//! Accepted inputs: Part 10 files (preamble + `DICM` + meta), meta without preamble, and raw
//! data sets without meta when their first element is recognisable (byte order and explicit or
//! implicit VR are then guessed from its bytes, as `dcmdump -f` does). Element values are read
//! with dicom-parser's token reader in raw mode and decoded here, so that text is decoded with
//! the full Specific Character Set rules ([`super::charset`]), including ISO 2022 code
//! extensions, and nested items honour their own Specific Character Set.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufReader, Cursor, Read};
use std::path::Path;
use std::rc::Rc;

use dicom_parser::dataset::read::{DataSetReaderOptions, OddLengthStrategy, ValueReadStrategy};
use dicom_parser::dataset::{DataSetReader, DataToken};
use dicom_transfer_syntax_registry::entries;

use super::charset::CharacterSets;
use super::value::{self, ByteOrder, Value};
use super::{
    DicomFile, Element, Item, PIXEL_DATA, SPECIFIC_CHARACTER_SET, TRANSFER_SYNTAX_UID, Tag, VR,
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
fn guess_transfer_syntax(first: &[u8]) -> Option<&'static str> {
    let b: [u8; 8] = first.get(..8)?.try_into().ok()?;
    let group_le = u16::from_le_bytes([b[0], b[1]]);
    let group_be = u16::from_be_bytes([b[0], b[1]]);
    let explicit = VR::from_binary([b[4], b[5]]).is_some();
    let plausible = |g: u16| g % 2 == 0 && g <= 0x0028;
    if plausible(group_le) {
        Some(if explicit { EXPLICIT_LE } else { IMPLICIT_LE })
    } else if plausible(group_be) && explicit {
        Some(EXPLICIT_BE)
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
        first_item: bool,
    },
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
    let syntax = match ts {
        IMPLICIT_LE => entries::IMPLICIT_VR_LITTLE_ENDIAN.erased(),
        EXPLICIT_BE => entries::EXPLICIT_VR_BIG_ENDIAN.erased(),
        _ => entries::EXPLICIT_VR_LITTLE_ENDIAN.erased(),
    };
    let order = if ts == EXPLICIT_BE {
        ByteOrder::Big
    } else {
        ByteOrder::Little
    };
    let mut reader_options = DataSetReaderOptions::default();
    reader_options.value_read = ValueReadStrategy::Raw;
    reader_options.odd_length = OddLengthStrategy::Accept;
    let reader = match DataSetReader::new_with_ts_options(source, &syntax, reader_options) {
        Ok(r) => r,
        Err(e) => {
            out.error = Some(e.to_string());
            return;
        }
    };

    let mut root_charsets = CharacterSets::default();
    let mut stack: Vec<Frame> = vec![Frame::Root];
    let mut pending: Option<(Tag, VR, u32)> = None;

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
                        break;
                    }
                }
                pending = Some((tag, header.vr, len));
            }
            DataToken::PrimitiveValue(v) => {
                let Some((tag, vr, len)) = pending.take() else {
                    out.error = Some("value without an element header".into());
                    break;
                };
                let bytes = match v {
                    dicom_core::PrimitiveValue::U8(b) => b.into_vec(),
                    other => other.to_bytes().into_owned(),
                };
                let charsets = current_charsets(&stack, &root_charsets);
                let (value, warning) = value::decode(vr, bytes, order, charsets);
                if let Some(w) = warning {
                    out.warnings.push(format!("{}: {w}", super::tag_text(tag)));
                }
                if tag == SPECIFIC_CHARACTER_SET {
                    if let Value::Strings(terms) = &value {
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
                    first_item: true,
                });
            }
            DataToken::ItemStart { len } => {
                if let Some(Frame::Sequence { .. }) = stack.last() {
                    let charsets = current_charsets(&stack, &root_charsets).clone();
                    stack.push(Frame::Item {
                        length: len.get(),
                        elements: Vec::new(),
                        charsets,
                    });
                }
            }
            DataToken::ItemEnd => {
                if let Some(Frame::Item { .. }) = stack.last() {
                    close_top(&mut stack, out);
                }
            }
            DataToken::SequenceEnd => close_top(&mut stack, out),
            DataToken::OffsetTable(table) => {
                if let Some(Frame::Pixels {
                    offset_table,
                    first_item,
                    ..
                }) = stack.last_mut()
                {
                    *offset_table = table;
                    *first_item = false;
                }
            }
            DataToken::ItemValue(bytes) => {
                if let Some(Frame::Pixels {
                    offset_table,
                    fragments,
                    first_item,
                }) = stack.last_mut()
                {
                    if *first_item {
                        // The basic offset table, delivered as bytes.
                        *offset_table = bytes
                            .chunks_exact(4)
                            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                            .collect();
                        *first_item = false;
                    } else {
                        fragments.push(bytes);
                    }
                }
            }
        }
    }
    if let Some((tag, vr, len)) = pending.take() {
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
    // Close what the file left open, keeping everything read so far.
    if stack.len() > 1 && out.error.is_none() && !out.stopped_early {
        out.warnings.push("the file ends inside a sequence".into());
    }
    while stack.len() > 1 {
        close_top(&mut stack, out);
    }
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
