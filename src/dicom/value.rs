//! Element values: decoding the raw bytes of a value according to its VR and the transfer
//! syntax's byte order, and the text form used by `dump` (values joined with `\`).

use super::charset::CharacterSets;
use super::{Item, Tag, VR};

/// Byte order of binary numbers in the data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteOrder {
    /// Little endian (every transfer syntax but one).
    Little,
    /// Big endian (Explicit VR Big Endian, retired).
    Big,
}

/// A decoded element value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Text values (text VRs, including DS/IS/DA/TM as written), already in UTF-8 and with
    /// padding removed; one entry per value (split on `\` except for LT, ST, UT, UR).
    Strings(Vec<String>),
    /// Signed integers (SS, SL, SV).
    Ints(Vec<i64>),
    /// Unsigned integers (US, UL, UV).
    UInts(Vec<u64>),
    /// Single-precision floats (FL).
    F32(Vec<f32>),
    /// Double-precision floats (FD).
    F64(Vec<f64>),
    /// Attribute tags (AT).
    Tags(Vec<Tag>),
    /// Binary data (OB, OW, OF, OD, OL, OV, UN), as stored in the file (file byte order).
    Bytes(Vec<u8>),
    /// A sequence of items (SQ, or an undefined-length element read as a sequence).
    Sequence(Vec<Item>),
    /// Encapsulated pixel data: the basic offset table and the fragments.
    Fragments {
        /// Basic offset table entries (empty when the table is empty).
        offset_table: Vec<u32>,
        /// The fragments' bytes, in order.
        fragments: Vec<Vec<u8>>,
    },
    /// The value was not read (reading stopped before it, e.g. pixel data when only metadata
    /// was asked for).
    NotRead,
}

impl Value {
    /// Value multiplicity: how many values (items for a sequence, 1 for binary).
    pub fn multiplicity(&self) -> usize {
        match self {
            Value::Strings(v) => {
                if v.len() == 1 && v.first().is_some_and(String::is_empty) {
                    0
                } else {
                    v.len()
                }
            }
            Value::Ints(v) => v.len(),
            Value::UInts(v) => v.len(),
            Value::F32(v) => v.len(),
            Value::F64(v) => v.len(),
            Value::Tags(v) => v.len(),
            Value::Bytes(b) => usize::from(!b.is_empty()),
            Value::Sequence(items) => items.len(),
            Value::Fragments { fragments, .. } => fragments.len(),
            Value::NotRead => 0,
        }
    }

    /// Text form: values joined with `\`; numbers in their shortest exact decimal form; AT as
    /// `(GGGG,EEEE)`; binary values of up to 8 bytes as hex bytes joined with `\` (like
    /// dcmdump), longer ones summarised by length; sequences and fragments summarised.
    pub fn to_text(&self) -> String {
        fn join<T: ToString>(v: &[T]) -> String {
            v.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\\")
        }
        match self {
            Value::Strings(v) => v.join("\\"),
            Value::Ints(v) => join(v),
            Value::UInts(v) => join(v),
            Value::F32(v) => join(v),
            Value::F64(v) => join(v),
            Value::Tags(v) => v
                .iter()
                .map(|t| super::tag_text(*t))
                .collect::<Vec<_>>()
                .join("\\"),
            Value::Bytes(b) if b.len() <= 8 => b
                .iter()
                .map(|x| format!("{x:02x}"))
                .collect::<Vec<_>>()
                .join("\\"),
            Value::Bytes(b) => format!("(binary, {} bytes)", b.len()),
            Value::Sequence(items) => {
                format!(
                    "(sequence, {} item{})",
                    items.len(),
                    if items.len() == 1 { "" } else { "s" }
                )
            }
            Value::Fragments { fragments, .. } => {
                let total: usize = fragments.iter().map(Vec::len).sum();
                format!(
                    "(encapsulated, {} fragment{}, {total} bytes)",
                    fragments.len(),
                    if fragments.len() == 1 { "" } else { "s" }
                )
            }
            Value::NotRead => "(not read)".to_owned(),
        }
    }
}

/// VRs whose values are text.
pub fn is_text_vr(vr: VR) -> bool {
    use VR::*;
    matches!(
        vr,
        AE | AS | CS | DA | DS | DT | IS | LO | LT | PN | SH | ST | TM | UC | UI | UR | UT
    )
}

/// VRs whose value is always a single value: a backslash in them is a character.
fn is_single_valued_text(vr: VR) -> bool {
    matches!(vr, VR::LT | VR::ST | VR::UT | VR::UR)
}

/// Decode the raw bytes of a primitive value. Returns the value and, when the bytes were not
/// quite right for the VR (e.g. an odd length for 16-bit numbers), a warning.
pub fn decode(
    vr: VR,
    bytes: Vec<u8>,
    order: ByteOrder,
    charsets: &CharacterSets,
) -> (Value, Option<String>) {
    use VR::*;
    let width = match vr {
        US | SS | AT => 2,
        UL | SL | FL => 4,
        UV | SV | FD => 8,
        _ => 0,
    };
    let mut warning = None;
    if width > 0 && !bytes.len().is_multiple_of(width) {
        warning = Some(format!(
            "value length {} is not a multiple of {width} for VR {vr}; the {} trailing byte(s) are ignored",
            bytes.len(),
            bytes.len() % width
        ));
    }
    let value = match vr {
        _ if is_text_vr(vr) => Value::Strings(decode_text(vr, &bytes, charsets)),
        US => Value::UInts(
            words::<2>(&bytes, order)
                .map(|b| u64::from(u16::from_le_bytes(b)))
                .collect(),
        ),
        SS => Value::Ints(
            words::<2>(&bytes, order)
                .map(|b| i64::from(i16::from_le_bytes(b)))
                .collect(),
        ),
        UL => Value::UInts(
            words::<4>(&bytes, order)
                .map(|b| u64::from(u32::from_le_bytes(b)))
                .collect(),
        ),
        SL => Value::Ints(
            words::<4>(&bytes, order)
                .map(|b| i64::from(i32::from_le_bytes(b)))
                .collect(),
        ),
        UV => Value::UInts(words::<8>(&bytes, order).map(u64::from_le_bytes).collect()),
        SV => Value::Ints(words::<8>(&bytes, order).map(i64::from_le_bytes).collect()),
        FL => Value::F32(words::<4>(&bytes, order).map(f32::from_le_bytes).collect()),
        FD => Value::F64(words::<8>(&bytes, order).map(f64::from_le_bytes).collect()),
        AT => {
            let halves: Vec<u16> = words::<2>(&bytes, order).map(u16::from_le_bytes).collect();
            Value::Tags(halves.chunks_exact(2).map(|c| Tag(c[0], c[1])).collect())
        }
        _ => Value::Bytes(bytes),
    };
    (value, warning)
}

/// Fixed-width words of `bytes`, converted to little-endian order (the last partial word is
/// dropped).
fn words<const N: usize>(bytes: &[u8], order: ByteOrder) -> impl Iterator<Item = [u8; N]> + '_ {
    bytes.chunks_exact(N).map(move |c| {
        let mut w = [0u8; N];
        w.copy_from_slice(c);
        if order == ByteOrder::Big {
            w.reverse();
        }
        w
    })
}

/// Decode a text value: character set, split into values, strip padding.
pub fn decode_text(vr: VR, bytes: &[u8], charsets: &CharacterSets) -> Vec<String> {
    let text = charsets.decode(bytes, vr.to_string());
    let parts: Vec<&str> = if is_single_valued_text(vr) {
        vec![text.as_str()]
    } else {
        text.split('\\').collect()
    };
    parts
        .into_iter()
        .map(|p| {
            let p = p.trim_end_matches([' ', '\0']);
            // Leading spaces are significant only in the long free-text VRs.
            if matches!(vr, VR::LT | VR::ST | VR::UT | VR::UR) {
                p.to_owned()
            } else {
                p.trim_start_matches(' ').to_owned()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cs() -> CharacterSets {
        CharacterSets::default()
    }

    #[test]
    fn numbers_in_both_byte_orders() {
        let (v, w) = decode(
            VR::US,
            vec![0x00, 0x02, 0x01, 0x00],
            ByteOrder::Little,
            &cs(),
        );
        assert_eq!(v, Value::UInts(vec![512, 1]));
        assert!(w.is_none());
        let (v, _) = decode(VR::US, vec![0x00, 0x02], ByteOrder::Big, &cs());
        assert_eq!(v, Value::UInts(vec![2]));
        let (v, _) = decode(VR::SS, vec![0xFF, 0xFF], ByteOrder::Little, &cs());
        assert_eq!(v, Value::Ints(vec![-1]));
        let (v, _) = decode(VR::FD, 1.5f64.to_be_bytes().to_vec(), ByteOrder::Big, &cs());
        assert_eq!(v.to_text(), "1.5");
        let (v, _) = decode(
            VR::AT,
            vec![0x10, 0x00, 0x10, 0x00],
            ByteOrder::Little,
            &cs(),
        );
        assert_eq!(v.to_text(), "(0010,0010)");
    }

    #[test]
    fn odd_length_numbers_warn_and_do_not_panic() {
        let (v, w) = decode(VR::UL, vec![1, 0, 0], ByteOrder::Little, &cs());
        assert_eq!(v, Value::UInts(vec![]));
        assert!(w.is_some_and(|w| w.contains("not a multiple of 4")));
    }

    #[test]
    fn text_is_split_and_trimmed_per_vr() {
        let (v, _) = decode(
            VR::CS,
            b"ORIGINAL\\PRIMARY ".to_vec(),
            ByteOrder::Little,
            &cs(),
        );
        assert_eq!(v, Value::Strings(vec!["ORIGINAL".into(), "PRIMARY".into()]));
        let (v, _) = decode(VR::UI, b"1.2.3\0".to_vec(), ByteOrder::Little, &cs());
        assert_eq!(v.to_text(), "1.2.3");
        let (v, _) = decode(VR::LT, b"  a\\b ".to_vec(), ByteOrder::Little, &cs());
        assert_eq!(v, Value::Strings(vec!["  a\\b".into()]));
        assert_eq!(v.multiplicity(), 1);
        let (v, _) = decode(VR::LO, Vec::new(), ByteOrder::Little, &cs());
        assert_eq!(v.multiplicity(), 0);
    }

    #[test]
    fn binary_is_summarised() {
        assert_eq!(Value::Bytes(vec![0, 1]).to_text(), "00\\01");
        assert_eq!(Value::Bytes(vec![0; 100]).to_text(), "(binary, 100 bytes)");
    }
}
