//! Decoding of DICOM text values to UTF-8 according to Specific Character Set (0008,0005).
//!
//! Implements DICOM PS3.5 section 6.1 (character repertoires) and the ISO/IEC 2022 code
//! extension technique of PS3.5 section 6.1.2.5 and PS3.3 C.12.1.1.2 (tables C.12-2 to C.12-5),
//! as used in the examples of PS3.5 Annexes H (Japanese), I (Korean), J (UTF-8 / GB18030) and
//! K (GB2312).
//!
//! Model used here:
//!
//! * **Stand-alone repertoires** (`ISO_IR 192` = UTF-8, `GB18030`, `GBK`): when given as the first
//!   value, the whole element value is decoded with that encoding; no escape sequences are
//!   interpreted and any further values of (0008,0005) are ignored (they are not allowed, PS3.5
//!   6.1.2.5.4 d). As a later value they are ignored too.
//! * **Everything else** goes through one ISO 2022 decoder with two graphic sets: G0 (invoked
//!   in GL, bytes 0x21-0x7E) and G1 (invoked in GR, bytes 0x80-0xFF). The *initial state* is
//!   given by the first value of (0008,0005): G0 is ASCII (ISO-IR 6), or JIS X 0201 romaji for
//!   `ISO 2022 IR 13` / `ISO_IR 13`; G1 is the single-byte set of the first value, or for the
//!   default repertoire (empty first value, `ISO_IR 6`, `ISO 2022 IR 6`, unknown term) ISO 8859-1
//!   as a lenient interpretation of bytes that should not be there.
//!   Escape sequences designate another set into G0 or G1. Every escape sequence listed in
//!   PS3.3 tables C.12-3 and C.12-4 is honoured, even when the corresponding term was not declared
//!   in (0008,0005) (lenient reading of slightly wrong headers).
//! * **Reset to the initial state** (PS3.5 6.1.2.5.3) happens at the start of the value and after
//!   each of these delimiters, when it occurs as a single-byte G0 character: CR, LF, FF, TAB (all
//!   VRs); backslash for the multi-valued VRs SH, LO, UC and PN (not for ST, LT, UT, where a
//!   backslash is an ordinary character); `^` and `=` for PN. When G0 holds a two-byte set
//!   (JIS X 0208, JIS X 0212), bytes 0x21-0x7E are consumed in pairs, so a `\`, `^` or `=` byte
//!   inside a two-byte character is *not* taken as a delimiter (a correct encoder switches back to
//!   ASCII before every delimiter anyway); control characters still reset.
//!
//! All tables come from `encoding_rs`:
//!
//! | term(s)                          | set                         | decoded with                                   |
//! |----------------------------------|-----------------------------|------------------------------------------------|
//! | (none), ISO_IR 6, ISO 2022 IR 6  | ASCII (high bytes Latin-1)  | identity                                        |
//! | ISO_IR 100, ISO 2022 IR 100      | Latin-1, `ESC - A`          | windows-1252 for 0xA0-0xFF (= ISO 8859-1 there) |
//! | ISO_IR 101 / 109 / 110           | Latin-2/3/4, `ESC - B/C/D`  | ISO-8859-2/3/4                                  |
//! | ISO_IR 144                       | Cyrillic, `ESC - L`         | ISO-8859-5                                      |
//! | ISO_IR 127                       | Arabic, `ESC - G`           | ISO-8859-6                                      |
//! | ISO_IR 126                       | Greek, `ESC - F`            | ISO-8859-7                                      |
//! | ISO_IR 138                       | Hebrew, `ESC - H`           | ISO-8859-8                                      |
//! | ISO_IR 148                       | Latin-5, `ESC - M`          | windows-1254 for 0xA0-0xFF (= ISO 8859-9 there) |
//! | ISO_IR 203                       | Latin-9, `ESC - b`          | ISO-8859-15                                     |
//! | ISO_IR 166                       | Thai TIS-620, `ESC - T`     | windows-874 for 0xA0-0xFF (= ISO 8859-11 there) |
//! | ISO_IR 13                        | JIS X 0201, `ESC ) I`, `ESC ( J` | Shift_JIS single bytes                     |
//! | ISO 2022 IR 87                   | JIS X 0208, `ESC $ B`       | EUC-JP (pairs with the high bit set)            |
//! | ISO 2022 IR 159                  | JIS X 0212, `ESC $ ( D`     | EUC-JP (`0x8F` + pair with the high bit set)    |
//! | ISO 2022 IR 149                  | KS X 1001, `ESC $ ) C`      | EUC-KR                                          |
//! | ISO 2022 IR 58                   | GB 2312, `ESC $ ) A`        | GBK (a superset of EUC-CN)                      |
//! | ISO_IR 192                       | UTF-8                       | UTF-8                                           |
//! | GB18030, GBK                     | GB18030, GBK                | GB18030, GBK                                    |
//!
//! In every single-byte G1 set the C1 range 0x80-0x9F decodes to the C1 control characters
//! U+0080-U+009F, as ISO 8859 defines it.
//!
//! Known differences from pydicom 3.0.2 (which uses Python's codecs), all deliberate:
//!
//! * JIS X 0208 rows Python does not know (NEC row 13, IBM extensions) decode to characters, not
//!   U+FFFD; six JIS X 0208 symbols (and one JIS X 0212) are mapped back to their JIS code points
//!   (see `jis_standard_code_point`), so that they match pydicom.
//! * GB 2312 (`ISO 2022 IR 58`) decodes through GBK: 0xA1A4 is U+00B7 MIDDLE DOT and 0xA1AA is
//!   U+2014 EM DASH as in GBK/GB18030 (Python's gb2312 codec: U+30FB and U+2015). pydicom also
//!   leaves the `ESC $ ) A` sequences in its output (a pydicom bug); they are removed here.
//! * GB18030: the WHATWG (GB18030-2022) mapping of `encoding_rs` is used for the few code points
//!   that changed since GB18030-2005 (e.g. 0xA8BC = U+1E3F).
//! * ISO_IR 166: 0xA0 is NO-BREAK SPACE (ISO 8859-11); pydicom gives U+FFFD.
//! * ISO_IR 203 (Latin-9) is supported; pydicom 3.0.2 does not know it.
//! * Values whose encoder did not switch back to the initial state before a delimiter (`\`, `^`,
//!   `=`, CR, LF, ...) are reset as PS3.5 6.1.2.5.3 says; pydicom resets only at control
//!   characters (and `^`/`=` inside PN only in some paths).

use encoding_rs::{
    EUC_JP, EUC_KR, Encoding, GB18030, GBK, ISO_8859_2, ISO_8859_3, ISO_8859_4, ISO_8859_5,
    ISO_8859_6, ISO_8859_7, ISO_8859_8, ISO_8859_15, SHIFT_JIS, WINDOWS_874, WINDOWS_1252,
    WINDOWS_1254,
};

const ESC: u8 = 0x1B;
const REPLACEMENT: char = '\u{FFFD}';

/// One recognised defined term of Specific Character Set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Term {
    /// Default repertoire: empty value, `ISO_IR 6`, `ISO 2022 IR 6`.
    #[default]
    Default,
    /// Single-byte 96-character set invoked in G1 (ISO 8859 family and TIS-620).
    SingleByte(SingleByte),
    /// JIS X 0201 (`ISO_IR 13`, `ISO 2022 IR 13`).
    JisX0201,
    /// JIS X 0208 (`ISO 2022 IR 87`).
    JisX0208,
    /// JIS X 0212 (`ISO 2022 IR 159`).
    JisX0212,
    /// KS X 1001 (`ISO 2022 IR 149`).
    KsX1001,
    /// GB 2312 (`ISO 2022 IR 58`).
    Gb2312,
    /// UTF-8 (`ISO_IR 192`), stand-alone.
    Utf8,
    /// GB18030, stand-alone.
    Gb18030,
    /// GBK, stand-alone.
    Gbk,
}

/// The single-byte character sets that DICOM designates into G1 (`ESC - F`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SingleByte {
    Latin1,
    Latin2,
    Latin3,
    Latin4,
    Cyrillic,
    Arabic,
    Greek,
    Hebrew,
    Latin5,
    Latin9,
    Thai,
}

impl SingleByte {
    /// The `encoding_rs` encoding whose 0xA0-0xFF range equals the set's GR half.
    fn encoding(self) -> &'static Encoding {
        match self {
            // encoding_rs (like the WHATWG Encoding Standard) maps ISO-8859-1 to windows-1252,
            // ISO-8859-9 to windows-1254 and TIS-620 to windows-874; these differ from the ISO
            // sets only in 0x80-0x9F, which is decoded separately as C1 controls.
            SingleByte::Latin1 => WINDOWS_1252,
            SingleByte::Latin2 => ISO_8859_2,
            SingleByte::Latin3 => ISO_8859_3,
            SingleByte::Latin4 => ISO_8859_4,
            SingleByte::Cyrillic => ISO_8859_5,
            SingleByte::Arabic => ISO_8859_6,
            SingleByte::Greek => ISO_8859_7,
            SingleByte::Hebrew => ISO_8859_8,
            SingleByte::Latin5 => WINDOWS_1254,
            SingleByte::Latin9 => ISO_8859_15,
            SingleByte::Thai => WINDOWS_874,
        }
    }

    /// The final byte of the `ESC - F` escape sequence (PS3.3 table C.12-3).
    fn from_final_byte(f: u8) -> Option<SingleByte> {
        Some(match f {
            b'A' => SingleByte::Latin1,
            b'B' => SingleByte::Latin2,
            b'C' => SingleByte::Latin3,
            b'D' => SingleByte::Latin4,
            b'L' => SingleByte::Cyrillic,
            b'G' => SingleByte::Arabic,
            b'F' => SingleByte::Greek,
            b'H' => SingleByte::Hebrew,
            b'M' => SingleByte::Latin5,
            b'b' => SingleByte::Latin9,
            b'T' => SingleByte::Thai,
            _ => return None,
        })
    }
}

impl Term {
    /// Recognise one value of (0008,0005). Surrounding spaces / NULs are ignored, and common
    /// misspellings (`ISO IR 100`, `ISO-IR 100`, `iso_ir 100`, `ISO 2022 IR100`, ...) are accepted:
    /// only letters and digits are compared, case-insensitively.
    fn parse(raw: &str) -> Option<Term> {
        let key: String = raw
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if key.is_empty() {
            return Some(Term::Default);
        }
        match key.as_str() {
            "GB18030" => return Some(Term::Gb18030),
            // "ISO 2022 GBK" and "ISO 2022 58" appear in DICOM CP 1234 (pydicom accepts them).
            "GBK" | "ISO2022GBK" => return Some(Term::Gbk),
            "ISO202258" => return Some(Term::Gb2312),
            _ => {}
        }
        let number = key
            .strip_prefix("ISO2022IR")
            .or_else(|| key.strip_prefix("ISOIR"))?;
        Some(match number {
            "6" => Term::Default,
            "100" => Term::SingleByte(SingleByte::Latin1),
            "101" => Term::SingleByte(SingleByte::Latin2),
            "109" => Term::SingleByte(SingleByte::Latin3),
            "110" => Term::SingleByte(SingleByte::Latin4),
            "144" => Term::SingleByte(SingleByte::Cyrillic),
            "127" => Term::SingleByte(SingleByte::Arabic),
            "126" => Term::SingleByte(SingleByte::Greek),
            "138" => Term::SingleByte(SingleByte::Hebrew),
            "148" => Term::SingleByte(SingleByte::Latin5),
            "203" => Term::SingleByte(SingleByte::Latin9),
            "166" => Term::SingleByte(SingleByte::Thai),
            "13" => Term::JisX0201,
            "87" => Term::JisX0208,
            "159" => Term::JisX0212,
            "149" => Term::KsX1001,
            "58" => Term::Gb2312,
            "192" => Term::Utf8,
            _ => return None,
        })
    }

    fn is_stand_alone(self) -> bool {
        matches!(self, Term::Utf8 | Term::Gb18030 | Term::Gbk)
    }
}

/// What is designated into G0 (GL, bytes 0x21-0x7E).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum G0 {
    /// ASCII (ISO-IR 6). Also used for JIS X 0201 romaji (ISO-IR 14, `ESC ( J`), which differs
    /// only at 0x5C (yen sign) and 0x7E (overline): like Shift_JIS in `encoding_rs` and pydicom,
    /// those two bytes stay `\` and `~`, so that the backslash remains the value delimiter.
    Ascii,
    /// JIS X 0208 (ISO-IR 87), two bytes per character.
    JisX0208,
    /// JIS X 0212 (ISO-IR 159), two bytes per character.
    JisX0212,
}

/// What is designated into G1 (GR, bytes 0x80-0xFF).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum G1 {
    /// A 96-character single-byte set.
    SingleByte(SingleByte),
    /// JIS X 0201 katakana (ISO-IR 13).
    Katakana,
    /// KS X 1001 (ISO-IR 149), two bytes per character.
    KsX1001,
    /// GB 2312 (ISO-IR 58), two bytes per character.
    Gb2312,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct State {
    g0: G0,
    g1: G1,
}

impl State {
    /// The initial state defined by the first value of Specific Character Set.
    fn initial(first: Term) -> State {
        let g1 = match first {
            Term::SingleByte(set) => G1::SingleByte(set),
            Term::JisX0201 => G1::Katakana,
            Term::KsX1001 => G1::KsX1001,
            Term::Gb2312 => G1::Gb2312,
            // Default repertoire (and two-byte G0 sets, which may not be the initial state):
            // bytes above 0x7F are not allowed, read them leniently as Latin-1.
            _ => G1::SingleByte(SingleByte::Latin1),
        };
        State { g0: G0::Ascii, g1 }
    }
}

/// What an escape sequence does.
enum Designation {
    G0(G0),
    G1(G1),
    Unknown,
}

/// Parse the escape sequence at the start of `bytes` (which starts with ESC). Returns its length
/// and meaning. The syntax is the ISO 2022 one: ESC, intermediate bytes 0x20-0x2F, one final byte
/// 0x30-0x7E. A truncated or malformed sequence is reported as `Unknown` with length 1 (just the
/// ESC byte).
fn parse_escape(bytes: &[u8]) -> (usize, Designation) {
    let rest = bytes.get(1..).unwrap_or_default();
    let intermediates = rest
        .iter()
        .take_while(|b| (0x20..=0x2F).contains(*b))
        .count();
    let Some(&fin) = rest.get(intermediates) else {
        return (1, Designation::Unknown);
    };
    if !(0x30..=0x7E).contains(&fin) {
        return (1, Designation::Unknown);
    }
    let len = 2 + intermediates;
    let inter = rest.get(..intermediates).unwrap_or_default();
    let designation = match (inter, fin) {
        // 94-character sets into G0 (PS3.3 table C.12-3)
        (b"(", b'B') | (b"(", b'J') => Designation::G0(G0::Ascii),
        // JIS X 0201 katakana into G1
        (b")", b'I') => Designation::G1(G1::Katakana),
        // 94x94 sets into G0 (table C.12-4); `ESC $ @` (JIS C 6226-1978) and `ESC $ ( B` are
        // accepted as JIS X 0208 for leniency
        (b"$", b'B') | (b"$", b'@') | (b"$(", b'B') => Designation::G0(G0::JisX0208),
        (b"$(", b'D') => Designation::G0(G0::JisX0212),
        // 94x94 sets into G1
        (b"$)", b'C') => Designation::G1(G1::KsX1001),
        (b"$)", b'A') => Designation::G1(G1::Gb2312),
        // 96-character sets into G1; `ESC , F` (the same sets addressed to G0) is accepted
        // leniently as G1 too, since DICOM only ever invokes 96-sets in GR.
        (b"-", f) | (b",", f) => match SingleByte::from_final_byte(f) {
            Some(set) => Designation::G1(G1::SingleByte(set)),
            None => Designation::Unknown,
        },
        _ => Designation::Unknown,
    };
    (len, designation)
}

/// Which VR-dependent delimiters reset the code extension state.
#[derive(Debug, Clone, Copy)]
struct Delimiters {
    backslash: bool,
    person_name: bool,
}

impl Delimiters {
    fn resets(self, b: u8) -> bool {
        match b {
            0x09 | 0x0A | 0x0C | 0x0D => true,
            b'\\' => self.backslash,
            b'^' | b'=' => self.person_name,
            _ => false,
        }
    }
}

/// Decode `bytes` with `encoding` (no BOM sniffing), appending to `out`; malformed sequences
/// become U+FFFD.
fn push_decoded(out: &mut String, encoding: &'static Encoding, bytes: &[u8]) {
    out.push_str(&encoding.decode_without_bom_handling(bytes).0);
}

/// Decode one byte 0x80-0xFF of a single-byte G1 set.
fn single_byte_char(set: SingleByte, b: u8) -> char {
    if b < 0xA0 {
        // C1 controls, identical in every ISO 8859 part
        return char::from(b);
    }
    let byte = [b];
    let (decoded, _) = set.encoding().decode_without_bom_handling(&byte);
    decoded.chars().next().unwrap_or(REPLACEMENT)
}

/// `encoding_rs` decodes JIS X 0208 and JIS X 0212 with the WHATWG tables, which give a few
/// symbols the code points of Windows code page 932. ISO-IR 87 / ISO-IR 159 as mapped by the JIS
/// standard (and by Python's iso2022_jp codecs that pydicom uses, and by iconv) use other ones;
/// this restores them. (This is a correction of 7 code points, not a table.)
fn jis_standard_code_point(c: char, g0: G0) -> char {
    match (g0, c) {
        // JIS X 0212 0x2237 TILDE
        (G0::JisX0212, '\u{FF5E}') => '~',
        (G0::JisX0212, _) => c,
        // JIS X 0208 0x2141 WAVE DASH, 0x2142 DOUBLE VERTICAL LINE, 0x215D MINUS SIGN,
        // 0x2171 CENT SIGN, 0x2172 POUND SIGN, 0x224C NOT SIGN
        (_, '\u{FF5E}') => '\u{301C}',
        (_, '\u{2225}') => '\u{2016}',
        (_, '\u{FF0D}') => '\u{2212}',
        (_, '\u{FFE0}') => '\u{A2}',
        (_, '\u{FFE1}') => '\u{A3}',
        (_, '\u{FFE2}') => '\u{AC}',
        _ => c,
    }
}

/// Byte-ranges of a Shift_JIS two-byte character (used leniently in JIS X 0201 mode).
fn is_sjis_lead(b: u8) -> bool {
    matches!(b, 0x81..=0x9F | 0xE0..=0xFC)
}

fn is_sjis_trail(b: u8) -> bool {
    matches!(b, 0x40..=0x7E | 0x80..=0xFC)
}

/// The character repertoires declared by Specific Character Set (0008,0005), parsed once per data set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CharacterSets {
    /// The first value (decides the initial state); `Default` if absent, empty or unknown.
    first: Term,
    /// The recognised code extensions (values 2..n), for information.
    extensions: Vec<Term>,
    /// Values that were not recognised, trimmed.
    unknown: Vec<String>,
}

impl CharacterSets {
    /// Parse the values of (0008,0005) (already split on backslash, raw, possibly padded with spaces).
    /// Unknown terms are kept as a warning (see `unknown()`), and decoding falls back to the default repertoire / Latin-1 for them.
    ///
    /// An empty slice or an empty first value means the default repertoire (ISO-IR 6). Besides the
    /// exact defined terms, common misspellings are accepted (case, `_`/`-`/space confusions such
    /// as `ISO IR 100` or `ISO-2022-IR 87`). A stand-alone repertoire (`ISO_IR 192`, `GB18030`,
    /// `GBK`) as first value makes any further values irrelevant; as a later value it is ignored.
    ///
    /// Note on `ISO 2022 IR 159` (JIS X 0212): it is decoded through the EUC-JP decoder of
    /// `encoding_rs` (`0x8F` prefix), which carries the JIS X 0212 table of the WHATWG Encoding
    /// Standard; a position that table lacks decodes to U+FFFD. (Checked against Python's
    /// iso2022_jp_2 codec for all 94x94 positions: identical.)
    pub fn from_terms<S: AsRef<str>>(terms: &[S]) -> CharacterSets {
        let mut sets = CharacterSets::default();
        for (index, raw) in terms.iter().enumerate() {
            let raw = raw.as_ref();
            match Term::parse(raw) {
                Some(term) if index == 0 => sets.first = term,
                Some(Term::Default) => {}
                Some(term) => sets.extensions.push(term),
                None => sets.unknown.push(
                    raw.trim_matches(|c: char| c == ' ' || c == '\0')
                        .to_string(),
                ),
            }
        }
        if sets.first.is_stand_alone() {
            sets.extensions.clear();
        }
        sets
    }

    /// Defined terms that were not recognised (for a warning line).
    pub fn unknown(&self) -> &[String] {
        &self.unknown
    }

    /// Decode one element value's raw bytes (the whole value, multi-values still joined by backslash) into UTF-8.
    /// `vr` is the two-letter VR ("PN", "LO", "SH", "ST", "LT", "UT", "UC", ...). Only SH, LO, UC, ST, LT, UT, PN
    /// use the declared character sets; every other VR (CS, AE, DA, UI, DS, IS, ...) uses the default repertoire.
    /// Never fails: bytes that cannot be decoded become U+FFFD. Does not trim padding (caller does).
    ///
    /// The default repertoire is decoded leniently as Latin-1 (every byte maps to the code point
    /// of the same value), so any VR yields a readable string even for non-conformant bytes.
    pub fn decode(&self, bytes: &[u8], vr: &str) -> String {
        let delimiters = match vr.to_ascii_uppercase().as_str() {
            "PN" => Delimiters {
                backslash: true,
                person_name: true,
            },
            "SH" | "LO" | "UC" => Delimiters {
                backslash: true,
                person_name: false,
            },
            "ST" | "LT" | "UT" => Delimiters {
                backslash: false,
                person_name: false,
            },
            _ => return bytes.iter().copied().map(char::from).collect(),
        };
        match self.first {
            Term::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
            Term::Gb18030 => GB18030.decode_without_bom_handling(bytes).0.into_owned(),
            Term::Gbk => GBK.decode_without_bom_handling(bytes).0.into_owned(),
            first => decode_iso2022(bytes, State::initial(first), delimiters),
        }
    }
}

/// The ISO 2022 decoder (see the module documentation).
fn decode_iso2022(bytes: &[u8], initial: State, delimiters: Delimiters) -> String {
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 2);
    let mut state = initial;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let rest = bytes.get(i..).unwrap_or_default();
        match b {
            ESC => {
                let (len, designation) = parse_escape(rest);
                match designation {
                    Designation::G0(g0) => state.g0 = g0,
                    Designation::G1(g1) => state.g1 = g1,
                    Designation::Unknown => out.push(REPLACEMENT),
                }
                i += len;
            }
            0x00..=0x20 | 0x7F => {
                out.push(char::from(b));
                if delimiters.resets(b) {
                    state = initial;
                }
                i += 1;
            }
            0x21..=0x7E => match state.g0 {
                G0::Ascii => {
                    out.push(char::from(b));
                    if delimiters.resets(b) {
                        state = initial;
                    }
                    i += 1;
                }
                G0::JisX0208 | G0::JisX0212 => {
                    let run = rest
                        .iter()
                        .take_while(|c| (0x21..=0x7E).contains(*c))
                        .count();
                    let jis = rest.get(..run).unwrap_or_default();
                    let mut euc = Vec::with_capacity(run / 2 * 3 + 1);
                    for pair in jis.chunks(2) {
                        if let [first, second] = pair {
                            if state.g0 == G0::JisX0212 {
                                euc.push(0x8F);
                            }
                            euc.push(first | 0x80);
                            euc.push(second | 0x80);
                        }
                    }
                    let g0 = state.g0;
                    let (decoded, _) = EUC_JP.decode_without_bom_handling(&euc);
                    out.extend(decoded.chars().map(|c| jis_standard_code_point(c, g0)));
                    if run % 2 == 1 {
                        // a lone byte where a two-byte character was expected
                        out.push(REPLACEMENT);
                    }
                    i += run;
                }
            },
            0x80..=0xFF => match state.g1 {
                G1::SingleByte(set) => {
                    out.push(single_byte_char(set, b));
                    i += 1;
                }
                G1::Katakana => {
                    if (0xA1..=0xDF).contains(&b) {
                        push_decoded(&mut out, SHIFT_JIS, &[b]);
                        i += 1;
                    } else if let Some(pair) = rest.get(..2).filter(|p| {
                        matches!(p, [lead, trail] if is_sjis_lead(*lead) && is_sjis_trail(*trail))
                    }) {
                        // Lenient: Shift_JIS two-byte characters, as written by many Japanese
                        // devices that declare ISO_IR 13 (pydicom decodes ISO_IR 13 as Shift_JIS).
                        push_decoded(&mut out, SHIFT_JIS, pair);
                        i += 2;
                    } else {
                        out.push(REPLACEMENT);
                        i += 1;
                    }
                }
                G1::KsX1001 | G1::Gb2312 => {
                    let run = rest.iter().take_while(|c| **c >= 0x80).count();
                    let encoding = if state.g1 == G1::KsX1001 { EUC_KR } else { GBK };
                    push_decoded(&mut out, encoding, rest.get(..run).unwrap_or_default());
                    i += run;
                }
            },
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (description, Specific Character Set terms, VR, raw value bytes, expected string).
    type Vector = (
        &'static str,
        &'static [&'static str],
        &'static str,
        &'static [u8],
        &'static str,
    );

    /// Test vectors whose expected strings are exactly what pydicom 3.0.2 returns.
    ///
    /// "file" vectors: every SH/LO/UC/ST/LT/UT/PN element with non-ASCII bytes (top level and
    /// inside sequences) of pydicom's `data/charset_files/*.dcm` (chrArab, chrFren, chrFrenMulti,
    /// chrGerm, chrGreek, chrH31, chrH32, chrHbrw, chrI2, chrJapMulti, chrJapMultiExplicitIR6,
    /// chrKoreanMulti, chrRuss, chrSQEncoding, chrSQEncoding1, chrX1, chrX2), raw bytes as stored
    /// in the file and the value pydicom gives after `dcmread`. The terms are those in force for
    /// the element (from the file, or inherited by the sequence item).
    /// "synthetic" vectors: made-up values decoded by pydicom's own `convert_PN` /
    /// `convert_text` / `convert_single_string` with the given terms.
    const PYDICOM: &[Vector] = &[
        // file: chrArab.dcm (0010,0010) PatientName
        ("chrArab.dcm (0010,0010) PatientName", &["ISO_IR 127"], "PN", b"\xe2\xc8\xc7\xe6\xea^\xe4\xe6\xd2\xc7\xd1 ", "قباني^لنزار"),
        // file: chrFren.dcm (0010,0010) PatientName
        ("chrFren.dcm (0010,0010) PatientName", &["ISO_IR 100"], "PN", b"Buc^J\xe9r\xf4me", "Buc^Jérôme"),
        // file: chrFrenMulti.dcm (0010,0010) PatientName
        ("chrFrenMulti.dcm (0010,0010) PatientName", &["ISO_IR 100"], "PN", b"Buc^J\xe9r\xf4me", "Buc^Jérôme"),
        // file: chrFrenMulti.dcm (0010,1001) OtherPatientNames
        ("chrFrenMulti.dcm (0010,1001) OtherPatientNames", &["ISO_IR 100"], "PN", b"Buc^J\xe9r\xf4me\\Buc^J\xe9r\xf4me ", "Buc^Jérôme\\Buc^Jérôme"),
        // file: chrGerm.dcm (0010,0010) PatientName
        ("chrGerm.dcm (0010,0010) PatientName", &["ISO_IR 100"], "PN", b"\xc4neas^R\xfcdiger ", "Äneas^Rüdiger"),
        // file: chrGreek.dcm (0010,0010) PatientName
        ("chrGreek.dcm (0010,0010) PatientName", &["ISO_IR 126"], "PN", b"\xc4\xe9\xef\xed\xf5\xf3\xe9\xef\xf2 ", "Διονυσιος"),
        // file: chrH31.dcm (0010,0010) PatientName
        ("chrH31.dcm (0010,0010) PatientName", &["", "ISO 2022 IR 87"], "PN", b"Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B", "Yamada^Tarou=山田^太郎=やまだ^たろう"),
        // file: chrH32.dcm (0010,0010) PatientName
        ("chrH32.dcm (0010,0010) PatientName", &["ISO 2022 IR 13", "ISO 2022 IR 87"], "PN", b"\xd4\xcf\xc0\xde^\xc0\xdb\xb3=\x1b$B;3ED\x1b(J^\x1b$BB@O:\x1b(J=\x1b$B$d$^$@\x1b(J^\x1b$B$?$m$&\x1b(J", "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう"),
        // file: chrHbrw.dcm (0010,0010) PatientName
        ("chrHbrw.dcm (0010,0010) PatientName", &["ISO_IR 138"], "PN", b"\xf9\xf8\xe5\xef^\xe3\xe1\xe5\xf8\xe4", "שרון^דבורה"),
        // file: chrI2.dcm (0010,0010) PatientName
        ("chrI2.dcm (0010,0010) PatientName", &["", "ISO 2022 IR 149"], "PN", b"Hong^Gildong=\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7=\x1b$)C\xc8\xab^\x1b$)C\xb1\xe6\xb5\xbf", "Hong^Gildong=洪^吉洞=홍^길동"),
        // file: chrJapMulti.dcm (0010,0010) PatientName
        ("chrJapMulti.dcm (0010,0010) PatientName", &["", "ISO 2022 IR 87"], "PN", b"\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B ", "やまだ^たろう"),
        // file: chrJapMulti.dcm (0010,1001) OtherPatientNames
        ("chrJapMulti.dcm (0010,1001) OtherPatientNames", &["", "ISO 2022 IR 87"], "PN", b"\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B\\\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B ", "やまだ^たろう\\やまだ^たろう"),
        // file: chrJapMulti.dcm (0010,21B0) AdditionalPatientHistory
        ("chrJapMulti.dcm (0010,21B0) AdditionalPatientHistory", &["", "ISO 2022 IR 87"], "LT", b"\x1b$B$?$m$&\x1b(B", "たろう"),
        // file: chrJapMultiExplicitIR6.dcm (0010,0010) PatientName
        ("chrJapMultiExplicitIR6.dcm (0010,0010) PatientName", &["ISO 2022 IR 6", "ISO 2022 IR 87"], "PN", b"\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B ", "やまだ^たろう"),
        // file: chrJapMultiExplicitIR6.dcm (0010,1001) OtherPatientNames
        ("chrJapMultiExplicitIR6.dcm (0010,1001) OtherPatientNames", &["ISO 2022 IR 6", "ISO 2022 IR 87"], "PN", b"\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B\\\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B ", "やまだ^たろう\\やまだ^たろう"),
        // file: chrJapMultiExplicitIR6.dcm (0010,21B0) AdditionalPatientHistory
        ("chrJapMultiExplicitIR6.dcm (0010,21B0) AdditionalPatientHistory", &["ISO 2022 IR 6", "ISO 2022 IR 87"], "LT", b"\x1b$B$?$m$&\x1b(B", "たろう"),
        // file: chrKoreanMulti.dcm (0008,1070) OperatorsName
        ("chrKoreanMulti.dcm (0008,1070) OperatorsName", &["", "ISO 2022 IR 149"], "PN", b"\x1b$)C\xb1\xe8\xc8\xf1\xc1\xdf\x1b(B ", "김희중"),
        // file: chrKoreanMulti.dcm (0010,0010) PatientName
        ("chrKoreanMulti.dcm (0010,0010) PatientName", &["", "ISO 2022 IR 149"], "PN", b"\x1b$)C\xb1\xe8\xc8\xf1\xc1\xdf\x1b(B ", "김희중"),
        // file: chrKoreanMulti.dcm (0010,1001) OtherPatientNames
        ("chrKoreanMulti.dcm (0010,1001) OtherPatientNames", &["", "ISO 2022 IR 149"], "PN", b"\x1b$)C\xb1\xe8\xc8\xf1\xc1\xdf\x1b(B\\\x1b$)C\xb1\xe8\xc8\xf1\xc1\xdf\x1b(B ", "김희중\\김희중"),
        // file: chrKoreanMulti.dcm (0010,21B0) AdditionalPatientHistory
        ("chrKoreanMulti.dcm (0010,21B0) AdditionalPatientHistory", &["", "ISO 2022 IR 149"], "LT", b"\x1b$)C\xb1\xe8\xc8\xf1\xc1\xdf\x1b(B ", "김희중"),
        // file: chrRuss.dcm (0010,0010) PatientName
        ("chrRuss.dcm (0010,0010) PatientName", &["ISO_IR 144"], "PN", b"\xbb\xee\xdace\xdc\xd1yp\xd3", "Люкceмбypг"),
        // file: chrSQEncoding.dcm (0032,1064)[0]/(0010,0010) PatientName
        ("chrSQEncoding.dcm (0032,1064)[0]/(0010,0010) PatientName", &["ISO 2022 IR 13", "ISO 2022 IR 87 "], "PN", b"\xd4\xcf\xc0\xde^\xc0\xdb\xb3=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B", "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう"),
        // file: chrSQEncoding1.dcm (0032,1064)[0]/(0010,0010) PatientName
        ("chrSQEncoding1.dcm (0032,1064)[0]/(0010,0010) PatientName", &["ISO 2022 IR 13", "ISO 2022 IR 87"], "PN", b"\xd4\xcf\xc0\xde^\xc0\xdb\xb3=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B", "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう"),
        // file: chrX1.dcm (0010,0010) PatientName
        ("chrX1.dcm (0010,0010) PatientName", &["ISO_IR 192"], "PN", b"Wang^XiaoDong=\xe7\x8e\x8b^\xe5\xb0\x8f\xe6\x9d\xb1= ", "Wang^XiaoDong=王^小東"),
        // file: chrX2.dcm (0010,0010) PatientName
        ("chrX2.dcm (0010,0010) PatientName", &["GB18030"], "PN", b"Wang^XiaoDong=\xcd\xf5^\xd0\xa1\xb6\xab=", "Wang^XiaoDong=王^小东"),
        // synthetic: Latin-2
        ("Latin-2", &["ISO_IR 101"], "PN", b"Dvo\xf8\xe1k^Ji\xf8\xed", "Dvořák^Jiří"),
        // synthetic: Latin-3
        ("Latin-3", &["ISO_IR 109"], "LO", b"\xd5u\xbfeppi \xa1amrun", "Ġużeppi Ħamrun"),
        // synthetic: Latin-4
        ("Latin-4", &["ISO_IR 110"], "LO", b"\xd3\xbani\xf1\xb9 \xa3\xefga", "Ķēniņš Ŗīga"),
        // synthetic: Latin-5
        ("Latin-5", &["ISO_IR 148"], "PN", b"\xc7a\xf0r\xfd^\xde\xfckr\xfc", "Çağrı^Şükrü"),
        // synthetic: Thai
        ("Thai", &["ISO_IR 166"], "PN", b"\xca\xc1\xaa\xd2\xc2^\xe3\xa8\xb4\xd5", "สมชาย^ใจดี"),
        // synthetic: Cyrillic LT
        ("Cyrillic LT", &["ISO_IR 144"], "LT", b"\xbf\xd0\xe6\xd8\xd5\xdd\xe2\r\n\xd6\xd0\xdb\xde\xd1 \xdd\xd5\xe2", "Пациент\r\nжалоб нет"),
        // synthetic: JIS X 0201 katakana
        ("JIS X 0201 katakana", &["ISO_IR 13"], "PN", b"\xd4\xcf\xc0\xde^\xc0\xdb\xb3", "ﾔﾏﾀﾞ^ﾀﾛｳ"),
        // synthetic: Shift_JIS kanji under ISO_IR 13 (lenient)
        ("Shift_JIS kanji under ISO_IR 13 (lenient)", &["ISO_IR 13"], "LO", b"\x8eR\x93c\x91\xbe\x98Y \x83\\\x95\\", "山田太郎 ソ表"),
        // synthetic: UTF-8 LO multi-value
        ("UTF-8 LO multi-value", &["ISO_IR 192"], "LO", b"Gr\xc3\xbc\xc3\x9fe\\\xc3\x84\xc3\x96\xc3\x9c \xe7\x8e\x8b", "Grüße\\ÄÖÜ 王"),
        // synthetic: GB18030 4-byte
        ("GB18030 4-byte", &["GB18030"], "LO", b"\x810\x846 \xa8\xa6 \xa2\xe3\xcd\xf5 \xa2\xa8", "¥ é €王 ⅷ"),
        // synthetic: GBK
        ("GBK", &["GBK"], "PN", b"Wang^XiaoDong=\xcd\xf5^\xd0\xa1\xb6\xab", "Wang^XiaoDong=王^小东"),
        // synthetic: KS X 1001 LO
        ("KS X 1001 LO", &["", "ISO 2022 IR 149"], "LO", b"\x1b$)C\xb1\xe8\xc8\xf1\xc1\xdf", "김희중"),
        // synthetic: KS X 1001 LT two lines
        ("KS X 1001 LT two lines", &["", "ISO 2022 IR 149"], "LT", b"\x1b$)C\xb1\xe8\xc8\xf1\xc1\xdf\r\n\x1b$)C\xc8\xab abc", "김희중\r\n홍 abc"),
        // synthetic: JIS X 0212
        ("JIS X 0212", &["", "ISO 2022 IR 87", "ISO 2022 IR 159"], "LO", b"\x1b$(D0!04\x1b(B", "丂乚"),
        // synthetic: JIS X 0208 LT with CR LF
        ("JIS X 0208 LT with CR LF", &["", "ISO 2022 IR 87"], "LT", b"\x1b$B$?$m$&\x1b(B\r\n\x1b$B;3ED\x1b(B Tarou", "たろう\r\n山田 Tarou"),
        // synthetic: Latin-5 + Thai + Latin-3/4 code extensions
        ("Latin-5 + Thai + Latin-3/4 code extensions", &["ISO 2022 IR 148", "ISO 2022 IR 166", "ISO 2022 IR 109", "ISO 2022 IR 110"], "LO", b"\xdd\x1b-T\xca\xc1\x1b-C\xa1\x1b-D\xa2\x1b-M\xdd", "İสมĦĸİ"),
        // synthetic: Latin-1 + Greek + Cyrillic code extensions, switching back before delimiters
        ("Latin-1 + Greek + Cyrillic code extensions, switching back before delimiters", &["ISO 2022 IR 100", "ISO 2022 IR 126", "ISO 2022 IR 144"], "PN", b"J\xe9r\xf4me^\x1b-F\xc4\xe9\xef\xed\x1b-A^\xe9=\x1b-L\xbb\xee\xda\x1b-A^\x1b-L\xd1\x1b-A", "Jérôme^Διον^é=Люк^б"),
        // synthetic: Latin-2 + Hebrew + Arabic code extensions LO, switching back before the backslash
        ("Latin-2 + Hebrew + Arabic code extensions LO, switching back before the backslash", &["ISO 2022 IR 101", "ISO 2022 IR 138", "ISO 2022 IR 127"], "LO", b"\xf8\x1b-H\xf9\xf8\xe5\xef\x1b-G\xe2\xc8\x1b-B\\\xf8", "řשרוןقب\\ř"),
        // synthetic: ISO 2022 IR 13 katakana + JIS X 0208 LO
        ("ISO 2022 IR 13 katakana + JIS X 0208 LO", &["ISO 2022 IR 13", "ISO 2022 IR 87"], "LO", b"\xd4\xcf\xc0\xde \x1b$B;3ED\x1b(J abc", "ﾔﾏﾀﾞ 山田 abc"),
        // synthetic: Japanese multi-value SH
        ("Japanese multi-value SH", &["", "ISO 2022 IR 87"], "SH", b"\x1b$B;3ED\x1b(B\\\x1b$BB@O:\x1b(B\\ABC ", "山田\\太郎\\ABC"),
        // synthetic: default repertoire, Latin-1 leniency
        ("default repertoire, Latin-1 leniency", &["ISO_IR 6"], "LO", b"Caf\xe9 ", "Café"),
        // synthetic: no Specific Character Set, Latin-1 leniency
        ("no Specific Character Set, Latin-1 leniency", &[], "PN", b"M\xfcller^Hans", "Müller^Hans"),
    ];

    /// pydicom post-processes decoded values: trailing spaces / NULs of every value are
    /// stripped, and for PN trailing empty component groups (a final `=`) are dropped. `decode`
    /// does not trim (the caller does), so the comparison applies the same post-processing.
    fn like_pydicom(decoded: &str, vr: &str) -> String {
        let trim = |v: &str| v.trim_end_matches(['\0', ' ']).to_string();
        match vr {
            "PN" => trim(decoded)
                .split('\\')
                .map(|value| {
                    let mut groups: Vec<&str> = value.split('=').collect();
                    while groups.last().is_some_and(|g| g.is_empty()) {
                        groups.pop();
                    }
                    groups.join("=")
                })
                .collect::<Vec<_>>()
                .join("\\"),
            "SH" | "LO" | "UC" => decoded.split('\\').map(trim).collect::<Vec<_>>().join("\\"),
            _ => trim(decoded),
        }
    }

    fn check(vectors: &[Vector]) {
        let mut failures = Vec::new();
        for (label, terms, vr, raw, expected) in vectors {
            let sets = CharacterSets::from_terms(terms);
            assert!(sets.unknown().is_empty(), "{label}: {:?}", sets.unknown());
            let got = like_pydicom(&sets.decode(raw, vr), vr);
            if got != *expected {
                failures.push(format!("{label}: got {got:?}, expected {expected:?}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn matches_pydicom() {
        check(PYDICOM);
    }

    /// Values where pydicom 3.0.2 gives a different (wrong) result; the expected strings here are
    /// the ones PS3.5 prescribes.
    const NOT_LIKE_PYDICOM: &[Vector] = &[
        // PS3.5 K.2 (ISO 2022 IR 58, GB 2312). pydicom passes the escape sequence to Python's
        // gb2312 codec, which does not strip it:
        // pydicom: "Zhang^XiaoDong=\u{1b}$)A张^\u{1b}$)A小东"
        (
            "GB2312 code extension (PS3.5 K.2)",
            &["", "ISO 2022 IR 58"],
            "PN",
            b"Zhang^XiaoDong=\x1b$)A\xd5\xc5^\x1b$)A\xd0\xa1\xb6\xab=",
            "Zhang^XiaoDong=张^小东",
        ),
        // pydicom: "\u{1b}$)A张小东"
        (
            "GB2312 code extension LO",
            &["", "ISO 2022 IR 58"],
            "LO",
            b"\x1b$)A\xd5\xc5\xd0\xa1\xb6\xab",
            "张小东",
        ),
        // The encoder did not switch back to Latin-2 before the value delimiter. PS3.5 6.1.2.5.3:
        // each value starts in the initial state, so 0xF8 after `\` is Latin-2 `ř`. pydicom does
        // not reset at `\`, fails to decode 0xF8 as Arabic and re-decodes the whole fragment as
        // Latin-2: "řשרון\u{1b}-GâČ\\ř"
        (
            "Latin-2 + Hebrew + Arabic code extensions LO, no switch back before the backslash",
            &["ISO 2022 IR 101", "ISO 2022 IR 138", "ISO 2022 IR 127"],
            "LO",
            b"\xf8\x1b-H\xf9\xf8\xe5\xef\x1b-G\xe2\xc8\\\xf8",
            "řשרוןقب\\ř",
        ),
        // PN whose encoder did not switch back to the initial set before `^`: PS3.5 6.1.2.5.3 puts
        // every component in the initial state (0xD1 = Latin-1 `Ñ`). pydicom first decodes a PN
        // value with the delimiters of the other text VRs (no `^`), so it keeps Cyrillic:
        // pydicom: "Jérôme^Διον^é=Люк^б"
        (
            "Latin-1 + Greek + Cyrillic code extensions, no switch back before `^`",
            &["ISO 2022 IR 100", "ISO 2022 IR 126", "ISO 2022 IR 144"],
            "PN",
            b"J\xe9r\xf4me^\x1b-F\xc4\xe9\xef\xed\x1b-A^\xe9=\x1b-L\xbb\xee\xda^\xd1",
            "Jérôme^Διον^é=Люк^Ñ",
        ),
        // GB18030 versions: encoding_rs follows the WHATWG Encoding Standard (GB18030-2022 for
        // these code points: 0xA8BC = U+1E3F, 0x8135F437 = U+E7C7), Python's gb18030 codec used by
        // pydicom follows GB18030-2005 (0xA8BC = U+E7C7, 0x8135F437 = U+1E3F):
        // pydicom: "\u{e7c7} ḿ"
        (
            "GB18030 2005 vs 2022",
            &["GB18030"],
            "LO",
            b"\xa8\xbc \x815\xf47",
            "ḿ \u{e7c7}",
        ),
        // ISO_IR 166 is ISO 8859-11, where 0xA0 is NO-BREAK SPACE; Python's tis_620 codec (used
        // by pydicom) leaves 0xA0 undefined: pydicom: "ก\u{fffd}ข"
        (
            "Thai 0xA0",
            &["ISO_IR 166"],
            "LO",
            b"\xa1\xa0\xa2",
            "ก\u{a0}ข",
        ),
        // ISO_IR 203 (Latin-9) is not known to pydicom 3.0.2 (it warns and uses Latin-1:
        // "¤¼½ ¾"); expected = Python's iso8859_15 codec.
        (
            "Latin-9",
            &["ISO_IR 203"],
            "LO",
            b"\xa4\xbc\xbd \xbe",
            "€Œœ Ÿ",
        ),
        (
            "Latin-9 code extension",
            &["ISO 2022 IR 6", "ISO 2022 IR 203"],
            "LO",
            b"\xa4 \x1b-b\xa4",
            "¤ €",
        ),
    ];

    #[test]
    fn follows_the_standard_where_pydicom_does_not() {
        check(NOT_LIKE_PYDICOM);
    }

    #[test]
    fn empty_or_missing_first_term_is_the_default_repertoire() {
        let none: &[&str] = &[];
        assert_eq!(CharacterSets::from_terms(none), CharacterSets::default());
        assert_eq!(CharacterSets::from_terms(&[""]), CharacterSets::default());
        assert_eq!(CharacterSets::from_terms(&["  "]), CharacterSets::default());
        assert_eq!(
            CharacterSets::from_terms(&["ISO_IR 6"]),
            CharacterSets::default()
        );
        let sets = CharacterSets::from_terms(&["", "ISO 2022 IR 87"]);
        assert!(sets.unknown().is_empty());
        // bytes above 0x7F in the default repertoire: lenient Latin-1
        assert_eq!(sets.decode(b"Caf\xe9^\x80", "PN"), "Café^\u{80}");
        assert_eq!(
            sets.decode(b"Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B", "PN"),
            "Yamada^Tarou=山田^太郎"
        );
        assert_eq!(
            CharacterSets::default().decode(b"M\xfcller", "LO"),
            "Müller"
        );
    }

    #[test]
    fn unknown_terms_are_reported_and_fall_back() {
        let sets = CharacterSets::from_terms(&["ISO_IR 999 "]);
        assert_eq!(sets.unknown(), ["ISO_IR 999"]);
        assert_eq!(sets.decode(b"Caf\xe9", "LO"), "Café");

        // an unknown extension leaves the first value in force
        let sets = CharacterSets::from_terms(&["ISO_IR 144", "KOI8-R"]);
        assert_eq!(sets.unknown(), ["KOI8-R"]);
        assert_eq!(sets.decode(b"\xbb\xee\xda", "PN"), "Люк");

        // common misspellings are recognised, not reported
        for term in [
            "ISO IR 144",
            "iso-ir 144",
            "ISO_IR144",
            "ISO 2022 IR 144",
            "ISO_2022_IR_144",
        ] {
            let sets = CharacterSets::from_terms(&[term]);
            assert!(sets.unknown().is_empty(), "{term}");
            assert_eq!(sets.decode(b"\xbb\xee\xda", "PN"), "Люк", "{term}");
        }
    }

    #[test]
    fn stand_alone_repertoires_ignore_escape_sequences_and_extensions() {
        let sets = CharacterSets::from_terms(&["ISO_IR 192", "ISO 2022 IR 87"]);
        assert!(sets.unknown().is_empty());
        assert_eq!(sets.decode(b"\x1b$B;3\xe7\x8e\x8b", "LO"), "\u{1b}$B;3王");
        // UTF-8 as a code extension is not allowed and ignored
        let sets = CharacterSets::from_terms(&["", "ISO_IR 192"]);
        assert_eq!(sets.decode(b"\xc3\xa9", "LO"), "Ã©");
    }

    #[test]
    fn invalid_bytes_become_replacement_characters() {
        let utf8 = CharacterSets::from_terms(&["ISO_IR 192"]);
        assert_eq!(
            utf8.decode(b"\xff\xfeabc\xe7\x8e", "LO"),
            "\u{fffd}\u{fffd}abc\u{fffd}"
        );
        // 0xA5 is unassigned in ISO 8859-3
        let latin3 = CharacterSets::from_terms(&["ISO_IR 109"]);
        assert_eq!(latin3.decode(b"a\xa5b", "LO"), "a\u{fffd}b");
        let japanese = CharacterSets::from_terms(&["", "ISO 2022 IR 87"]);
        // odd number of bytes in JIS X 0208 mode
        assert_eq!(japanese.decode(b"\x1b$B;3E\x1b(Bx", "PN"), "山\u{fffd}x");
        // truncated / unknown escape sequences
        assert_eq!(japanese.decode(b"abc\x1b", "LO"), "abc\u{fffd}");
        assert_eq!(japanese.decode(b"a\x1b$", "LO"), "a\u{fffd}$");
        assert_eq!(japanese.decode(b"a\x1b(Zb", "LO"), "a\u{fffd}b");
        assert_eq!(japanese.decode(b"a\x1b\x01b", "LO"), "a\u{fffd}\u{1}b");
        // lone KS X 1001 lead byte
        let korean = CharacterSets::from_terms(&["", "ISO 2022 IR 149"]);
        assert_eq!(korean.decode(b"\x1b$)C\xb1\xe8\xc8", "LO"), "김\u{fffd}");
        // bytes outside JIS X 0201 katakana
        let katakana = CharacterSets::from_terms(&["ISO 2022 IR 13"]);
        assert_eq!(katakana.decode(b"\xb1\xa0\xfd", "LO"), "ｱ\u{fffd}\u{fffd}");
        // nothing panics on arbitrary input, for any term and VR
        let term_sets: &[&[&str]] = &[
            &[],
            &["ISO_IR 100"],
            &["ISO_IR 13"],
            &["ISO 2022 IR 13", "ISO 2022 IR 87", "ISO 2022 IR 159"],
            &["", "ISO 2022 IR 149"],
            &["", "ISO 2022 IR 58"],
            &["ISO 2022 IR 148", "ISO 2022 IR 166"],
            &["ISO_IR 192"],
            &["GB18030"],
            &["GBK"],
        ];
        let alphabet = b"\x1b$()-,BJIDCA@LMTb\\^=\r\n\t \x21\x5c\x7e\x80\x8f\xa1\xd4\xfe\xff";
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..2000 {
            let len = usize::try_from(seed % 24).unwrap_or(0);
            let mut bytes = Vec::with_capacity(len);
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let pick = usize::try_from(seed % 64).unwrap_or(0);
                bytes.push(alphabet.get(pick).copied().unwrap_or((seed >> 8) as u8));
            }
            for terms in term_sets {
                let sets = CharacterSets::from_terms(terms);
                for vr in ["PN", "LO", "LT", "CS", ""] {
                    let decoded = sets.decode(&bytes, vr);
                    assert_eq!(decoded.is_empty(), bytes.is_empty());
                }
            }
            seed = seed.wrapping_add(0x2545_F491_4F6C_DD1D);
        }
    }

    #[test]
    fn each_value_starts_in_the_initial_state() {
        let sets = CharacterSets::from_terms(&["ISO 2022 IR 100", "ISO 2022 IR 144"]);
        // multi-valued: the second and third values start with Latin-1 in G1 again
        assert_eq!(
            sets.decode(b"\x1b-L\xbb\\\xbb\\\x1b-L\xbb", "LO"),
            "Л\\»\\Л"
        );
        assert_eq!(sets.decode(b"\x1b-L\xbb\\\xbb", "SH"), "Л\\»");
        // PN: component and component-group delimiters reset too
        assert_eq!(
            sets.decode(b"\x1b-L\xbb^\xbb=\x1b-L\xbb=\xbb\\\xbb", "PN"),
            "Л^»=Л=»\\»"
        );
        // ST/LT/UT are single-valued: a backslash is an ordinary character, but CR/LF/TAB/FF reset
        assert_eq!(sets.decode(b"\x1b-L\xbb\\\xbb\r\n\xbb", "LT"), "Л\\Л\r\n»");
        assert_eq!(sets.decode(b"\x1b-L\xbb\t\xbb\x0c\xbb", "UT"), "Л\t»\u{c}»");
        // `^` and `=` are ordinary characters outside PN
        assert_eq!(sets.decode(b"\x1b-L\xbb^\xbb=\xbb", "LO"), "Л^Л=Л");
        // G0 is reset as well: JIS X 0208 not switched back before the backslash
        let japanese = CharacterSets::from_terms(&["", "ISO 2022 IR 87"]);
        assert_eq!(japanese.decode(b"\x1b$B;3ED\r\nAB", "LT"), "山田\r\nAB");
        // ... but a delimiter byte inside a two-byte character is part of the character
        assert_eq!(japanese.decode(b"\x1b$B\\!=!^!\x1b(B^A", "PN"), "棔宗沺^A");
    }

    #[test]
    fn jis_symbols_use_the_jis_code_points() {
        let sets = CharacterSets::from_terms(&["", "ISO 2022 IR 87", "ISO 2022 IR 159"]);
        // as Python's iso2022_jp / iso2022_jp_2 codecs (and so pydicom) decode them
        assert_eq!(
            sets.decode(b"\x1b$B!A!B!]!q!r\"L\x1b(B", "LT"),
            "\u{301c}\u{2016}\u{2212}\u{a2}\u{a3}\u{ac}"
        );
        assert_eq!(sets.decode(b"\x1b$(D\"7\x1b(B", "LT"), "~");
        // NEC row 13, unknown to Python's codec, is decoded leniently
        assert_eq!(sets.decode(b"\x1b$B-!\x1b(B", "LT"), "\u{2460}");
    }

    #[test]
    fn other_vrs_use_the_default_repertoire() {
        let sets = CharacterSets::from_terms(&["", "ISO 2022 IR 87"]);
        assert_eq!(sets.decode(b"\x1b$B;3ED", "CS"), "\u{1b}$B;3ED");
        let sets = CharacterSets::from_terms(&["ISO_IR 192"]);
        assert_eq!(sets.decode(b"\xc3\xa9", "AE"), "Ã©");
        assert_eq!(sets.decode(b"\xc3\xa9", "pn"), "é");
        assert_eq!(sets.decode(b"1.2.840\0", "UI"), "1.2.840\0");
    }
}
