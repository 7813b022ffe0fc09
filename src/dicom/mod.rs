//! DICOM data model and file reading for the commands that look at files (`dump`, and later
//! `render`, `store-ecg`, ...).
//!
//! [`read::read_file`] parses a DICOM file — Part 10 with or without preamble, or a raw data set
//! whose encoding can be recognised — into a [`DicomFile`]: a tree of [`Element`]s whose text
//! values are already decoded to UTF-8 with the Specific Character Set in force
//! ([`charset`]), numbers decoded with the transfer syntax's byte order, binary values kept as
//! bytes. Reading stops early when asked (e.g. before the pixel data), and a file that breaks
//! part-way keeps everything read before the break, with the reason in [`DicomFile::error`].
//!
//! ```
//! use dicomkit::dicom::read::{read_bytes, ReadOptions};
//! // A raw Implicit VR Little Endian data set: (0010,0020) PatientID "42".
//! let bytes = [0x10, 0x00, 0x20, 0x00, 2, 0, 0, 0, b'4', b'2'];
//! let file = read_bytes(&bytes, &ReadOptions::default()).unwrap();
//! assert_eq!(file.elements[0].value.to_text(), "42");
//! ```

pub mod charset;
pub mod dictionary;
pub mod json;
pub mod read;
pub mod value;

pub use dicom_core::{Tag, VR};

/// The deepest sequence nesting read: a sequence inside an item of a sequence ... at most this
/// many levels (a top-level sequence is level 1). Real data rarely passes 10 levels (structured
/// reports reach about 20). Deeper nesting is refused while parsing, by every reader of the
/// crate ([`read`] for `dump`, `render`, `store-ecg`, `interpret`, `generate --template`, the
/// network data sets), with the error "nesting deeper than 128 sequence levels": so that no
/// walker of the element tree (the JSON and table writers, dropping the tree) recurses or
/// indents deeper than this, whatever the input. A constant of the build, documented in README.
pub const MAX_DEPTH: usize = 128;

/// The tag of Pixel Data (7FE0,0010).
pub const PIXEL_DATA: Tag = Tag(0x7FE0, 0x0010);
/// The tag of Specific Character Set (0008,0005).
pub const SPECIFIC_CHARACTER_SET: Tag = Tag(0x0008, 0x0005);
/// The tag of Transfer Syntax UID (0002,0010).
pub const TRANSFER_SYNTAX_UID: Tag = Tag(0x0002, 0x0010);

/// One data element.
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    /// The tag.
    pub tag: Tag,
    /// The value representation as encoded (or from the dictionary for implicit VR).
    pub vr: VR,
    /// The value length in the file; `None` for undefined length.
    pub length: Option<u32>,
    /// The decoded value.
    pub value: value::Value,
}

/// One item of a sequence: a nested data set.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Item {
    /// The item length in the file; `None` for undefined length.
    pub length: Option<u32>,
    /// The elements of the item, in file order.
    pub elements: Vec<Element>,
}

/// A parsed file: file meta information, then the data set.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DicomFile {
    /// The 128-byte preamble and `DICM` prefix were present.
    pub preamble: bool,
    /// File meta information elements (group 0002), in file order; empty for a raw data set.
    pub meta: Vec<Element>,
    /// The transfer syntax UID the data set was read with.
    pub transfer_syntax: String,
    /// The transfer syntax was not declared (raw data set, or meta without (0002,0010)) and was
    /// recognised from the first bytes of the data set.
    pub transfer_syntax_guessed: bool,
    /// The data set elements, in file order.
    pub elements: Vec<Element>,
    /// Reading stopped on purpose before the end (e.g. before the pixel data).
    pub stopped_early: bool,
    /// Reading broke part-way: everything before the break is above, this says why.
    pub error: Option<String>,
    /// Things that were read despite being wrong (e.g. an odd length for 16-bit values).
    pub warnings: Vec<String>,
}

impl DicomFile {
    /// The meta elements followed by the data set elements, top level only.
    pub fn top_level(&self) -> impl Iterator<Item = &Element> {
        self.meta.iter().chain(self.elements.iter())
    }

    /// Find a top-level element (meta or data set) by tag.
    pub fn find(&self, tag: Tag) -> Option<&Element> {
        self.top_level().find(|e| e.tag == tag)
    }
}

/// The conventional text of a tag: `(GGGG,EEEE)` in upper-case hex.
pub fn tag_text(tag: Tag) -> String {
    format!("({:04X},{:04X})", tag.group(), tag.element())
}

/// The keyword of a tag from the standard dictionary, if it has one.
pub fn keyword(tag: Tag) -> Option<&'static str> {
    dictionary::keyword_of(tag.group(), tag.element())
}
