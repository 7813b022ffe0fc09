//! SCP-ECG reader (EN 1064 / ISO 11073-91064; protocol versions 1.x, 2.x and 3.0).
//!
//! Decoding order, as the standard defines it: Huffman (Section 2 tables, or the default table
//! 19999) → undo first/second differences (16-bit wrapping arithmetic, like the encoders) →
//! rebuild bimodally compressed (decimated) rhythm data → add the reference beat (Section 5) back
//! into the subtraction zones of Section 4 → scale by the amplitude value multiplier (nV per unit,
//! so µV = value × AVM / 1000).
//!
//! What is read:
//! * file header (CRC-CCITT of the whole record, record length) and every section header (its
//!   CRC-CCITT);
//! * Section 0 pointer table; 1-based byte offsets as the standard says, or 0-based offsets as
//!   some devices write them (warning);
//! * Section 1 demographics, acquisition date/time, acquiring device (tag 14; tag 15, the
//!   analysing device, only when tag 14 is absent), institution, filters, text encoding;
//! * Sections 2–6 (signal), 7 (global measurements), 8 and 11 (statements as text), 10 (per-lead
//!   measurements: checked, not kept — the model has no place for them).
//!
//! Section 7 states wave boundaries of the reference beat, not intervals: PR, QRS and QT are the
//! differences of those stated boundaries (QRS onset − P onset, QRS offset − QRS onset, T offset −
//! QRS onset), as the ECG Toolkit writes them to DICOM. The heart rate is the stated ventricular
//! rate, else 60000 / average RR; 29999 means "not given" everywhere; axes 999 are undefined.
//!
//! A record that is not whole gets [`Ecg::defects`](super::Ecg) (refused unless partial records
//! are accepted) and is read as far as it goes: a record CRC mismatch; a record length field
//! larger than the file (cut short) or smaller without a matching CRC; a section that runs past
//! the end of the file or lies beyond it (skipped); a CRC mismatch or a missing section header
//! in a section that is read (0–8, 10, 11); no rhythm data (Section 6) — a reference beat alone
//! is not an ECG to store; an unreadable reference beat; a lead holding fewer samples than
//! Section 3 declares (kept as short as it is: nothing is made up) or, uncompressed, more.
//!
//! Read with a warning in [`Ecg::warnings`](super::Ecg) (odd but whole): bytes after a record
//! whose length field and CRC agree, 0-based section offsets, section length disagreeing between
//! Section 0 and the section header, 0-based lead start samples in Section 3 (see below), leads
//! that are not recorded simultaneously (placed on one time axis, 0 µV outside a lead's range),
//! an amplitude multiplier of 0 (taken as 1000 nV), unreadable parts of Sections 1, 7, 8, 10, 11
//! (skipped from the fault on), CRC mismatches in sections that are not read.
//!
//! 0-based start samples in Section 3: read as shifted by one (inclusive end) when the stored
//! sample counts say so; Contec / "ECG Viewer" files write start 0 with an *exclusive* end
//! (start 0, end 10000, 10000 samples stored), read as such when every lead's stored count is
//! `end − start` (for Huffman-coded leads: when the data ends after exactly that many). Counts
//! that match neither reading are a defect.
//!
//! Limits: Section 3's declared sample counts (and the reference beat's) are checked with
//! [`check_sample_counts`](super::check_sample_counts) before anything is decoded.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::{Ecg, EcgError, Format, Lead, Sex, Waveform, leads};

/// Section header size.
const HEADER: usize = 16;
/// "Value not given" in SCP-ECG numeric fields.
const NOT_GIVEN: u16 = 29999;
/// Section 2 table count meaning "the default Huffman table".
const DEFAULT_TABLE: u16 = 19999;

/// Decode an SCP-ECG file (versions 1.x, 2.x, 3.0).
///
/// The rhythm data (Section 6) goes to `rhythm`, the reference beat (Section 5) to `median`, both
/// in µV, leads in the file's order. Anything odd that could still be read is reported in
/// `warnings`; what cannot be read is an [`EcgError::Malformed`] naming the section and the fault
/// (followed by the first warnings, which often explain it).
///
/// Non-conformant Healforce files (Prince 180D, e.g. `62.SCP`) are **not** decoded: they declare 3
/// leads in Section 3 but hold one 9-byte lead definition (the three leads are interleaved in a
/// single Section 6 stream of packed 10-bit samples, not Huffman coded despite a Section 2). The
/// result is `EcgError::Malformed` whose reason starts with "Section 3 declares 3 leads" and also
/// names the bogus record length and the 0-based section offsets.
pub fn read(bytes: &[u8]) -> Result<Ecg, EcgError> {
    let mut ecg = Ecg::new(Format::ScpEcg);
    match decode(bytes, &mut ecg) {
        Ok(()) => Ok(ecg),
        Err(Stop::Limit(e)) => Err(e),
        Err(Stop::Bad(reason)) => {
            let mut reason = reason;
            let notes: Vec<&String> = ecg.defects.iter().chain(&ecg.warnings).collect();
            if !notes.is_empty() {
                let shown: Vec<&str> = notes.iter().take(3).map(|s| s.as_str()).collect();
                reason.push_str(" (also: ");
                reason.push_str(&shown.join("; "));
                if notes.len() > 3 {
                    reason.push_str(&format!("; {} more", notes.len() - 3));
                }
                reason.push(')');
            }
            Err(EcgError::malformed(Format::ScpEcg, reason))
        }
    }
}

/// Why decoding stopped.
#[derive(Debug)]
enum Stop {
    /// The record cannot be read: why.
    Bad(String),
    /// The record is beyond the limits ([`EcgError::TooLarge`]).
    Limit(EcgError),
}

impl From<String> for Stop {
    fn from(reason: String) -> Stop {
        Stop::Bad(reason)
    }
}

impl From<&str> for Stop {
    fn from(reason: &str) -> Stop {
        Stop::Bad(reason.to_owned())
    }
}

// ---------------------------------------------------------------------------------------------
// Little-endian readers (never panic)

fn u8_at(b: &[u8], pos: usize) -> Option<u8> {
    b.get(pos).copied()
}

fn u16_at(b: &[u8], pos: usize) -> Option<u16> {
    let s = b.get(pos..pos.checked_add(2)?)?;
    Some(u16::from_le_bytes([*s.first()?, *s.get(1)?]))
}

fn i16_at(b: &[u8], pos: usize) -> Option<i16> {
    u16_at(b, pos).map(|v| v as i16)
}

fn u32_at(b: &[u8], pos: usize) -> Option<u32> {
    let s = b.get(pos..pos.checked_add(4)?)?;
    let mut a = [0u8; 4];
    a.copy_from_slice(s);
    Some(u32::from_le_bytes(a))
}

/// CRC-CCITT lookup table (polynomial 0x1021).
const CRC_TABLE: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut k = 0;
        while k < 8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
            k += 1;
        }
        t[i] = crc;
        i += 1;
    }
    t
};

/// Slicing-by-16 tables: `CRC_TABLES[k][v]` is the CRC (from state 0) of byte `v` followed by
/// `k` zero bytes, so that 16 bytes are folded in with 16 independent lookups.
const CRC_TABLES: [[u16; 256]; 16] = {
    let mut t = [[0u16; 256]; 16];
    t[0] = CRC_TABLE;
    let mut k = 1;
    while k < 16 {
        let mut v = 0;
        while v < 256 {
            let prev = t[k - 1][v];
            t[k][v] = (prev << 8) ^ CRC_TABLE[(prev >> 8) as usize];
            v += 1;
        }
        k += 1;
    }
    t
};

/// CRC-CCITT as SCP-ECG uses it: polynomial 0x1021, initial value 0xFFFF, no reflection.
/// Sixteen bytes per step (slicing-by-16); the same value as [`crc_ccitt_bytewise`].
fn crc_ccitt(data: &[u8]) -> u16 {
    crc_sliced(0xFFFF, data)
}

/// [`crc_update`] sixteen bytes per step (slicing-by-16).
fn crc_sliced(mut crc: u16, data: &[u8]) -> u16 {
    let t = &CRC_TABLES;
    let chunks = data.chunks_exact(16);
    let tail = chunks.remainder();
    for c in chunks {
        let Ok(c) = <&[u8; 16]>::try_from(c) else {
            continue;
        };
        // The register folds into the first two bytes; every byte then contributes its CRC
        // shifted by the bytes that follow it.
        let (b0, b1) = (c[0] ^ (crc >> 8) as u8, c[1] ^ crc as u8);
        crc = t[15][usize::from(b0)]
            ^ t[14][usize::from(b1)]
            ^ t[13][usize::from(c[2])]
            ^ t[12][usize::from(c[3])]
            ^ t[11][usize::from(c[4])]
            ^ t[10][usize::from(c[5])]
            ^ t[9][usize::from(c[6])]
            ^ t[8][usize::from(c[7])]
            ^ t[7][usize::from(c[8])]
            ^ t[6][usize::from(c[9])]
            ^ t[5][usize::from(c[10])]
            ^ t[4][usize::from(c[11])]
            ^ t[3][usize::from(c[12])]
            ^ t[2][usize::from(c[13])]
            ^ t[1][usize::from(c[14])]
            ^ t[0][usize::from(c[15])];
    }
    crc_update(crc, tail)
}

/// One byte at a time from `crc` on.
fn crc_update(crc: u16, data: &[u8]) -> u16 {
    data.iter().fold(crc, |crc: u16, &b| {
        (crc << 8) ^ CRC_TABLE[usize::from((crc >> 8) as u8 ^ b)]
    })
}

/// `a · b` modulo the CRC polynomial x^16 + x^12 + x^5 + 1 (carry-less, 16-bit operands).
fn crc_mulmod(a: u16, b: u16) -> u16 {
    let mut r = 0u16;
    for i in (0..16).rev() {
        let top = r & 0x8000 != 0;
        r <<= 1;
        if top {
            r ^= 0x1021;
        }
        if (b >> i) & 1 == 1 {
            r ^= a;
        }
    }
    r
}

/// x^(8·n) modulo the CRC polynomial: what `n` zero bytes do to the CRC register (it is
/// multiplied by this).
fn crc_shift(n: usize) -> u16 {
    let (mut result, mut base, mut e) = (1u16, 0x0100u16, n); // base = x^8
    while e > 0 {
        if e & 1 == 1 {
            result = crc_mulmod(result, base);
        }
        base = crc_mulmod(base, base);
        e >>= 1;
    }
    result
}

/// The CRC register along one pass over a record (from byte 2 on, as the record CRC runs),
/// kept every [`CrcPass::EVERY`] bytes, from which the CRC of any part of the record (a
/// section's) follows without a second pass over its bytes. The register is linear: after
/// bytes `d` from state `s` it is `s · x^(8·|d|) ⊕ crc₀(d)`, so with `S(p)` the state before
/// byte `p`, the CRC of `data[a..b]` from 0xFFFF is `S(b) ⊕ (S(a) ⊕ 0xFFFF) · x^(8·(b − a))`.
struct CrcPass<'a> {
    data: &'a [u8],
    /// The pass covers `data[2..end]`.
    end: usize,
    /// `S(2 + k · EVERY)`.
    states: Vec<u16>,
}

impl<'a> CrcPass<'a> {
    const EVERY: usize = 256;

    /// One pass over `data[2..end]` (`end` ≤ the data's length).
    fn new(data: &'a [u8], end: usize) -> CrcPass<'a> {
        let body = data.get(2..end).unwrap_or_default();
        let mut states = Vec::with_capacity(body.len() / Self::EVERY + 2);
        let mut crc = 0xFFFF;
        states.push(crc);
        for chunk in body.chunks(Self::EVERY) {
            crc = crc_sliced(crc, chunk);
            states.push(crc);
        }
        CrcPass {
            data,
            end: end.max(2),
            states,
        }
    }

    /// The record CRC: over `data[2..end]`.
    fn record(&self) -> u16 {
        self.states.last().copied().unwrap_or(0xFFFF)
    }

    /// `S(p)` for `2 ≤ p ≤ end`.
    fn state(&self, p: usize) -> Option<u16> {
        let k = (p.checked_sub(2)?) / Self::EVERY;
        let from = 2 + k * Self::EVERY;
        let s = *self.states.get(k)?;
        Some(crc_update(s, self.data.get(from..p)?))
    }

    /// The CRC (from 0xFFFF) of `part`, a sub-slice of the data: from the pass when it lies
    /// inside it, else computed over its bytes.
    fn of(&self, part: &[u8]) -> u16 {
        let a = (part.as_ptr() as usize).wrapping_sub(self.data.as_ptr() as usize);
        let b = a.wrapping_add(part.len());
        if a >= 2
            && a <= b
            && b <= self.end
            && let (Some(sa), Some(sb)) = (self.state(a), self.state(b))
        {
            return sb ^ crc_mulmod(sa ^ 0xFFFF, crc_shift(b - a));
        }
        crc_ccitt(part)
    }
}

/// The plain byte-at-a-time CRC-CCITT, the reference for [`crc_ccitt`].
#[cfg(test)]
fn crc_ccitt_bytewise(data: &[u8]) -> u16 {
    crc_update(0xFFFF, data)
}

// ---------------------------------------------------------------------------------------------
// Text

/// Text encoding from the language support code (Section 1, tag 14, byte 17).
#[derive(Debug, Clone, Copy)]
enum Text {
    Latin1,
    Wide,
    Other(&'static encoding_rs::Encoding),
}

impl Text {
    fn from_language(code: u8) -> Text {
        use encoding_rs as e;
        if code & 0x01 == 0 {
            return Text::Latin1; // ASCII only
        }
        match code {
            0x03 => Text::Other(e::ISO_8859_2),
            0x0B => Text::Other(e::ISO_8859_4),
            0x13 => Text::Other(e::ISO_8859_5),
            0x1B => Text::Other(e::ISO_8859_6),
            0x23 => Text::Other(e::ISO_8859_7),
            0x2B => Text::Other(e::ISO_8859_8),
            0x33 => Text::Other(e::WINDOWS_874),
            0x3B => Text::Other(e::ISO_8859_15),
            0x07 => Text::Wide,
            0x0F => Text::Other(e::SHIFT_JIS),
            0x17 | 0x1F => Text::Other(e::EUC_JP),
            0x27 => Text::Other(e::GBK),
            0x2F => Text::Other(e::EUC_KR),
            0x37 => Text::Other(e::UTF_8),
            _ => Text::Latin1,
        }
    }

    /// One NUL-terminated text, trimmed.
    fn decode(self, raw: &[u8]) -> String {
        let s = match self {
            Text::Latin1 => {
                let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
                raw.get(..end)
                    .unwrap_or_default()
                    .iter()
                    .map(|&b| char::from(b))
                    .collect()
            }
            Text::Wide => {
                let units: Vec<u16> = raw
                    .chunks_exact(2)
                    .map(|c| {
                        u16::from_le_bytes([
                            c.first().copied().unwrap_or(0),
                            c.get(1).copied().unwrap_or(0),
                        ])
                    })
                    .take_while(|&u| u != 0)
                    .collect();
                String::from_utf16_lossy(&units)
            }
            Text::Other(enc) => {
                let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
                enc.decode_without_bom_handling(raw.get(..end).unwrap_or_default())
                    .0
                    .into_owned()
            }
        };
        s.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
            .to_owned()
    }

    /// NUL-separated texts (statements), each trimmed, empty ones dropped.
    fn decode_all(self, raw: &[u8]) -> Vec<String> {
        let parts: Vec<&[u8]> = match self {
            Text::Wide => {
                let mut parts = Vec::new();
                let mut start = 0;
                let mut i = 0;
                while i + 1 < raw.len() {
                    if raw.get(i..i + 2) == Some([0u8, 0].as_slice()) {
                        parts.push(raw.get(start..i).unwrap_or_default());
                        start = i + 2;
                    }
                    i += 2;
                }
                parts.push(raw.get(start..).unwrap_or_default());
                parts
            }
            _ => raw.split(|&b| b == 0).collect(),
        };
        parts
            .into_iter()
            .map(|p| self.decode(p))
            .filter(|s| !s.is_empty())
            .collect()
    }
}

fn non_empty(s: String) -> Option<String> {
    if s.is_empty() { None } else { Some(s) }
}

// ---------------------------------------------------------------------------------------------
// Structure: file header, Section 0, section headers

/// Sections whose contents are read: a fault in one of them (CRC, missing) makes the record
/// not whole. The others (9, 12 and manufacturer sections) are skipped.
fn is_read(id: u16) -> bool {
    matches!(id, 0..=8 | 10 | 11)
}

/// At most this many pointer-table problems are listed one by one (a garbled table yields
/// hundreds of them).
const MAX_NOTES: usize = 8;

/// `notes`, the first few of them when there are many, with a count of the rest.
fn capped(mut notes: Vec<String>) -> Vec<String> {
    if notes.len() > MAX_NOTES {
        let more = notes.len() - 5;
        notes.truncate(5);
        notes.push(format!(
            "{more} more problems in the Section 0 pointer table"
        ));
    }
    notes
}

/// The sections found through Section 0: id → body (after the 16-byte header). What makes the
/// record not whole goes to `d` (defects), what is odd but whole to `w`.
fn read_sections<'a>(
    data: &'a [u8],
    w: &mut Vec<String>,
    d: &mut Vec<String>,
) -> Result<BTreeMap<u16, &'a [u8]>, String> {
    if data.len() < 6 + HEADER {
        return Err(format!("file too short for SCP-ECG ({} bytes)", data.len()));
    }
    let declared = u32_at(data, 2).unwrap_or(0) as usize;
    let crc_end = if (6 + HEADER..data.len()).contains(&declared) {
        declared
    } else {
        data.len()
    };
    let stored = u16_at(data, 0).unwrap_or(0);
    // One pass gives the record CRC and every section's.
    let crcs = CrcPass::new(data, crc_end);
    let crc_ok = crcs.record() == stored;
    if declared > data.len() {
        d.push(format!(
            "record length field says {declared} bytes but the file has only {} (cut short?)",
            data.len()
        ));
    } else if declared < data.len() {
        if crc_ok {
            w.push(format!(
                "{} bytes after the {declared}-byte record (its length field and CRC agree) ignored",
                data.len() - declared
            ));
        } else {
            d.push(format!(
                "record length field says {declared} bytes but the file has {}",
                data.len()
            ));
        }
    }
    if !crc_ok {
        d.push("record CRC mismatch (the record is damaged or cut short)".to_owned());
    }

    // Section 0 sits right after the 6-byte record header.
    if u16_at(data, 8) != Some(0) {
        return Err("no Section 0 after the record header (byte 7)".to_owned());
    }
    let sec0_len = u32_at(data, 10).unwrap_or(0) as usize;
    if sec0_len < HEADER {
        return Err(format!(
            "Section 0 length {sec0_len} is shorter than its header"
        ));
    }
    let sec0_end = match 6usize.checked_add(sec0_len) {
        Some(end) if end <= data.len() => end,
        _ => {
            d.push(format!(
                "Section 0 length {sec0_len} runs past the end of the file"
            ));
            data.len()
        }
    };
    let sec0 = data.get(6..sec0_end).unwrap_or_default();
    check_crc(&crcs, sec0, 0, w, d);

    let mut sections = BTreeMap::new();
    let mut zero_based = false;
    // Problems found through the pointer table: (odd, not whole).
    let (mut notes, mut faults) = (Vec::new(), Vec::new());
    let mut pos = 6 + HEADER;
    while pos + 10 <= sec0_end {
        let (Some(id), Some(len), Some(index)) = (
            u16_at(data, pos),
            u32_at(data, pos + 2),
            u32_at(data, pos + 6),
        ) else {
            break;
        };
        pos += 10;
        if len == 0 {
            continue;
        }
        let (len, index) = (len as usize, index as usize);
        // The standard's offsets are 1-based; some devices write 0-based ones.
        let at = |off: usize| off.checked_add(2).and_then(|o| u16_at(data, o)) == Some(id);
        let offset = if index >= 1 && at(index - 1) {
            index - 1
        } else if at(index) {
            zero_based = true;
            index
        } else if index.saturating_add(HEADER) > data.len() {
            faults.push(format!(
                "Section {id} ({len} bytes at byte {index}) lies past the end of the {}-byte file (cut short?)",
                data.len()
            ));
            continue;
        } else {
            let note = format!(
                "Section {id}: no section header at byte {index} named in Section 0, skipped"
            );
            if is_read(id) { &mut faults } else { &mut notes }.push(note);
            continue;
        };
        let header_len = u32_at(data, offset + 4).unwrap_or(0) as usize;
        let mut length = len;
        if header_len != len {
            length = header_len.min(len).max(HEADER);
            notes.push(format!(
                "Section {id} length is {header_len} in its header but {len} in Section 0, using {length}"
            ));
        }
        let Some(raw) = offset
            .checked_add(length)
            .and_then(|end| data.get(offset..end))
        else {
            faults.push(format!(
                "Section {id} ({length} bytes at byte {}) runs past the end of the {}-byte file (cut short?), skipped",
                offset + 1,
                data.len()
            ));
            continue;
        };
        if id == 0 {
            continue;
        }
        check_crc(&crcs, raw, id, &mut notes, &mut faults);
        if sections.contains_key(&id) {
            notes.push(format!(
                "Section {id} listed twice in Section 0, the first kept"
            ));
            continue;
        }
        sections.insert(id, raw.get(HEADER..).unwrap_or_default());
    }
    w.extend(capped(notes));
    d.extend(capped(faults));
    if zero_based {
        w.push("Section 0 uses 0-based byte offsets (non-conformant), accepted".to_owned());
    }
    Ok(sections)
}

/// A section's CRC: a mismatch in a section that is read is a defect, else a warning.
fn check_crc(
    crcs: &CrcPass<'_>,
    section: &[u8],
    id: u16,
    w: &mut Vec<String>,
    d: &mut Vec<String>,
) {
    let stored = u16_at(section, 0).unwrap_or(0);
    if crcs.of(section.get(2..).unwrap_or_default()) != stored {
        if is_read(id) {
            d.push(format!("Section {id} CRC mismatch (its data is damaged)"));
        } else {
            w.push(format!(
                "Section {id} CRC mismatch (a section that is not read)"
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Section 1: header tags

fn date(v: &[u8]) -> Option<NaiveDate> {
    let year = u16_at(v, 0)?;
    if year == 0 {
        return None;
    }
    NaiveDate::from_ymd_opt(
        i32::from(year),
        u32::from(u8_at(v, 2)?),
        u32::from(u8_at(v, 3)?),
    )
}

fn time(v: &[u8]) -> Option<NaiveTime> {
    NaiveTime::from_hms_opt(
        u32::from(u8_at(v, 0)?),
        u32::from(u8_at(v, 1)?),
        u32::from(u8_at(v, 2)?),
    )
}

/// Manufacturer codes of Section 1 tag 14 byte 8.
const MANUFACTURERS: [&str; 21] = [
    "",
    "Burdick",
    "Cambridge",
    "Compumed",
    "Datamed",
    "Fukuda",
    "Hewlett-Packard",
    "Marquette Electronics",
    "Mortara Instruments",
    "Nihon Kohden",
    "Okin",
    "Quinton",
    "Siemens",
    "Spacelabs",
    "Telemed",
    "Hellige",
    "ESA-OTE",
    "Schiller",
    "Picker-Schwarzer",
    "et medical devices",
    "Zwönitz",
];

/// Splits Section 1 into (tag, value); stops with a warning at a tag that overruns the section.
fn tags<'a>(body: &'a [u8], w: &mut Vec<String>) -> Vec<(u8, &'a [u8])> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let (Some(tag), Some(len)) = (u8_at(body, pos), u16_at(body, pos + 1)) {
        pos += 3;
        if tag == 255 {
            break;
        }
        let Some(value) = body.get(pos..pos + usize::from(len)) else {
            w.push(format!(
                "Section 1 tag {tag} ({len} bytes) overruns the section, the rest skipped"
            ));
            break;
        };
        out.push((tag, value));
        pos += usize::from(len);
    }
    out
}

/// Reads Section 1 into `ecg`; returns the text encoding and the protocol revision of tag 14.
fn section1(body: &[u8], ecg: &mut Ecg) -> (Text, u8) {
    let tags = tags(body, &mut ecg.warnings);
    let machine = |t: u8| tags.iter().find(|(tag, _)| *tag == t).map(|(_, v)| *v);
    let device_tag = machine(14).or_else(|| machine(15));
    let text = device_tag
        .and_then(|v| u8_at(v, 16))
        .map_or(Text::Latin1, Text::from_language);
    let mut protocol = 0;
    let (mut acq_date, mut acq_time) = (None, None);
    for &(tag, v) in &tags {
        match tag {
            0 => ecg.patient.family_name = non_empty(text.decode(v)),
            1 => ecg.patient.given_name = non_empty(text.decode(v)),
            2 => ecg.patient.id = non_empty(text.decode(v)),
            4 => {
                if let (Some(age), Some(unit)) = (u16_at(v, 0), u8_at(v, 2)) {
                    let years = match unit {
                        1 => Some(1.0),
                        2 => Some(1.0 / 12.0),
                        3 => Some(7.0 / 365.25),
                        4 => Some(1.0 / 365.25),
                        5 => Some(1.0 / 8766.0),
                        _ => None,
                    };
                    if let (Some(f), true) = (years, age > 0) {
                        ecg.patient.age_years = Some(f64::from(age) * f);
                    }
                }
            }
            5 => ecg.patient.birth_date = date(v),
            8 => {
                ecg.patient.sex = match u8_at(v, 0) {
                    Some(1) => Some(Sex::Male),
                    Some(2) => Some(Sex::Female),
                    Some(9) => Some(Sex::Other),
                    _ => None,
                }
            }
            16 => ecg.institution = non_empty(text.decode(v)),
            25 => acq_date = date(v),
            26 => acq_time = time(v),
            27 => {
                ecg.filters.highpass_hz = u16_at(v, 0)
                    .filter(|&x| x != 0)
                    .map(|x| f64::from(x) / 100.0)
            }
            28 => ecg.filters.lowpass_hz = u16_at(v, 0).filter(|&x| x != 0).map(f64::from),
            29 => {
                ecg.filters.notch_hz = match u8_at(v, 0) {
                    Some(b) if b & 0x01 != 0 => Some(60.0),
                    Some(b) if b & 0x02 != 0 => Some(50.0),
                    _ => None,
                }
            }
            _ => {}
        }
    }
    if let Some(v) = device_tag {
        protocol = u8_at(v, 14).unwrap_or(0);
        ecg.device.model = v.get(8..14).map(|m| text.decode(m)).and_then(non_empty);
        // Byte 36 on: NUL-terminated analysing program revision, serial number, device software,
        // SCP implementation software, manufacturer name.
        let strings: Vec<String> = v
            .get(36..)
            .unwrap_or_default()
            .split(|&b| b == 0)
            .map(|s| text.decode(s))
            .collect();
        let nth = |i: usize| strings.get(i).cloned().and_then(non_empty);
        ecg.device.serial = nth(1);
        ecg.device.software = nth(2);
        ecg.device.manufacturer = nth(4).or_else(|| {
            let code = usize::from(u8_at(v, 7).unwrap_or(0));
            MANUFACTURERS
                .get(code)
                .filter(|m| !m.is_empty())
                .map(|m| (*m).to_owned())
        });
    }
    match (acq_date, acq_time) {
        (Some(d), Some(t)) => ecg.acquired = Some(NaiveDateTime::new(d, t)),
        (Some(d), None) => {
            ecg.warnings
                .push("acquisition time (Section 1 tag 26) missing, midnight assumed".to_owned());
            ecg.acquired = d.and_hms_opt(0, 0, 0);
        }
        _ => {}
    }
    (text, protocol)
}

// ---------------------------------------------------------------------------------------------
// Section 2: Huffman tables

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Bits following the prefix (the value itself, two's complement).
    extra: u8,
    /// Table mode 0: switch to table `value` (1-based).
    switch: bool,
    value: i16,
}

/// Bits of the index of a [`Table::multi`] table.
const MULTI_BITS: u32 = 12;
/// Entries of a [`Table::multi`] table.
const MULTI_LEN: usize = 1 << MULTI_BITS;

/// A multi-code table (see [`Table::multi`]): for every [`MULTI_BITS`]-bit pattern, the values
/// of the plain codes (with their extra bits) that lie wholly in it, up to four, as coded (no
/// difference decoding), and how many there are and how many bits they take.
struct Multi {
    /// The values, unused slots 0: four at once go straight into the output.
    values: Box<[[i16; 4]; MULTI_LEN]>,
    /// Bits taken (bits 0–3) and number of codes (bits 4–6); 0 when the pattern does not hold
    /// one whole plain code.
    meta: Box<[u8; MULTI_LEN]>,
}

impl std::fmt::Debug for Multi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Multi")
    }
}

#[derive(Debug, Clone)]
struct Table {
    codes: HashMap<(u8, u32), Entry>,
    max_prefix: u8,
    /// For `max_prefix` ≤ 16: the entry (and its prefix length) for every `max_prefix`-bit
    /// pattern, the shortest matching code winning.
    lut: Vec<Option<(u8, Entry)>>,
    /// The same patterns packed for the fast loop: prefix length (bits 0–4), extra bits (5–10),
    /// [`FAST_VALID`] (bit 11) for plain codes only, value (bits 16–31).
    fast: Vec<u32>,
    /// Built when first needed: for every 12-bit pattern, the plain codes (with their extra
    /// bits) that lie wholly in it, up to four (see [`Multi`]).
    multi: std::sync::OnceLock<Option<std::sync::Arc<Multi>>>,
}

/// Marks a [`Table::fast`] slot that holds a plain (non-switch) code.
const FAST_VALID: u32 = 1 << 11;

impl Table {
    fn new(codes: HashMap<(u8, u32), Entry>) -> Table {
        let max_prefix = codes.keys().map(|&(len, _)| len).max().unwrap_or(0);
        let mut lut = Vec::new();
        if max_prefix <= 16 {
            lut = vec![None; 1 << max_prefix];
            let mut sorted: Vec<_> = codes.iter().collect();
            sorted.sort_by_key(|((len, code), _)| (*len, *code));
            for (&(len, code), &entry) in sorted {
                let free = u32::from(max_prefix - len);
                let base = (code << free) as usize;
                for slot in lut.iter_mut().skip(base).take(1 << free) {
                    slot.get_or_insert((len, entry));
                }
            }
        }
        let fast = lut
            .iter()
            .map(|slot| match slot {
                Some((len, e)) if !e.switch && *len <= 31 && e.extra <= 32 => {
                    u32::from(*len)
                        | (u32::from(e.extra) << 5)
                        | FAST_VALID
                        | (u32::from(e.value as u16) << 16)
                }
                _ => 0,
            })
            .collect();
        Table {
            codes,
            max_prefix,
            lut,
            fast,
            multi: Default::default(),
        }
    }

    /// The multi-code table (none without a lookup table).
    fn multi(&self) -> Option<&Multi> {
        self.multi.get_or_init(|| self.build_multi()).as_deref()
    }

    fn build_multi(&self) -> Option<std::sync::Arc<Multi>> {
        if self.lut.is_empty() || self.max_prefix == 0 {
            return None;
        }
        let mut values: Box<[[i16; 4]; MULTI_LEN]> = vec![[0i16; 4]; MULTI_LEN]
            .into_boxed_slice()
            .try_into()
            .ok()?;
        let mut meta: Box<[u8; MULTI_LEN]> =
            vec![0u8; MULTI_LEN].into_boxed_slice().try_into().ok()?;
        for (i, (vals, m)) in values.iter_mut().zip(meta.iter_mut()).enumerate() {
            let window = (i as u64) << (64 - MULTI_BITS);
            let mut used = 0u32;
            for (n, v) in vals.iter_mut().enumerate() {
                let w = window << used;
                let index = (w >> (64 - u32::from(self.max_prefix))) as usize;
                let Some(Some((len, e))) = self.lut.get(index) else {
                    break;
                };
                let total = u32::from(*len) + u32::from(e.extra);
                if e.switch || used + total > MULTI_BITS {
                    break;
                }
                let extra = if e.extra == 0 {
                    0
                } else {
                    ((w << len) as i64) >> (64 - u32::from(e.extra))
                };
                *v = (i64::from(e.value) + extra) as i16;
                used += total;
                // used ≤ 12 (4 bits), n + 1 ≤ 4 (3 bits)
                *m = used as u8 | (((n + 1) as u8) << 4);
            }
        }
        Some(std::sync::Arc::new(Multi { values, meta }))
    }
}

#[derive(Debug, Clone)]
enum Coding {
    /// No Section 2: 16-bit samples.
    Raw,
    /// Huffman tables (the default table is shared, built once).
    Huffman(std::borrow::Cow<'static, [Table]>),
}

/// The default Huffman table of the standard (Section 2 table count 19999): `0` = 0; n ones, a
/// zero and a sign bit = ±n (n = 1..8); nine ones then 0 / 1 = an 8-bit / 16-bit value follows.
fn default_table() -> Table {
    let mut codes = HashMap::new();
    codes.insert(
        (1, 0),
        Entry {
            extra: 0,
            switch: false,
            value: 0,
        },
    );
    for n in 1..=8u8 {
        let ones = (1u32 << n) - 1;
        for (sign, value) in [(0u32, i16::from(n)), (1, -i16::from(n))] {
            codes.insert(
                (n + 2, (ones << 2) | sign),
                Entry {
                    extra: 0,
                    switch: false,
                    value,
                },
            );
        }
    }
    codes.insert(
        (10, 0b11_1111_1110),
        Entry {
            extra: 8,
            switch: false,
            value: 0,
        },
    );
    codes.insert(
        (10, 0b11_1111_1111),
        Entry {
            extra: 16,
            switch: false,
            value: 0,
        },
    );
    Table::new(codes)
}

/// The default table, built once per process (with its multi-code tables).
static DEFAULT_TABLES: std::sync::LazyLock<[Table; 1]> =
    std::sync::LazyLock::new(|| [default_table()]);

fn section2(body: &[u8], w: &mut Vec<String>) -> Result<Coding, String> {
    let count = u16_at(body, 0).ok_or("Section 2 is too short")?;
    if count == DEFAULT_TABLE {
        return Ok(Coding::Huffman(std::borrow::Cow::Borrowed(
            DEFAULT_TABLES.as_slice(),
        )));
    }
    if count == 0 {
        w.push("Section 2 declares no Huffman table: data read as 16-bit samples".to_owned());
        return Ok(Coding::Raw);
    }
    let mut pos = 2;
    let mut tables = Vec::new();
    for t in 1..=count {
        let n = u16_at(body, pos)
            .ok_or_else(|| format!("Section 2 ends before Huffman table {t} of {count}"))?;
        pos += 2;
        if pos + 9 * usize::from(n) > body.len() {
            return Err(format!(
                "Section 2 Huffman table {t} of {count} ({n} codes) is truncated"
            ));
        }
        let mut codes = HashMap::new();
        for _ in 0..n {
            let (prefix, total, mode) = (
                u8_at(body, pos).unwrap_or(0),
                u8_at(body, pos + 1).unwrap_or(0),
                u8_at(body, pos + 2).unwrap_or(0),
            );
            let value = i16_at(body, pos + 3).unwrap_or(0);
            let stored = u32_at(body, pos + 5).unwrap_or(0);
            pos += 9;
            if !(1..=32).contains(&prefix) || total < prefix || total - prefix > 32 {
                return Err(format!(
                    "Section 2 table {t}: invalid code lengths (prefix {prefix}, total {total} bits)"
                ));
            }
            // The base code is stored bit-reversed: the first transmitted bit is the LSB.
            let code = (0..prefix).fold(0u32, |acc, i| (acc << 1) | ((stored >> i) & 1));
            codes.entry((prefix, code)).or_insert(Entry {
                extra: total - prefix,
                switch: mode == 0,
                value,
            });
        }
        tables.push(Table::new(codes));
    }
    Ok(Coding::Huffman(std::borrow::Cow::Owned(tables)))
}

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    /// At least 57 bits from `pos` on, left-aligned in a u64; zeros past the end.
    #[inline]
    fn window(&self) -> u64 {
        let byte = self.pos / 8;
        let w = match self.data.get(byte..byte + 8) {
            Some(b) => u64::from_be_bytes(b.try_into().unwrap_or_default()),
            None => {
                let mut b = [0u8; 8];
                let tail = self.data.get(byte..).unwrap_or_default();
                for (d, s) in b.iter_mut().zip(tail) {
                    *d = *s;
                }
                u64::from_be_bytes(b)
            }
        };
        w << (self.pos % 8)
    }

    fn left(&self) -> usize {
        (self.data.len() * 8).saturating_sub(self.pos)
    }

    fn bit(&mut self) -> Option<u32> {
        let byte = *self.data.get(self.pos / 8)?;
        let bit = (byte >> (7 - self.pos % 8)) & 1;
        self.pos += 1;
        Some(u32::from(bit))
    }

    /// `n` (≤ 32) bits as a two's-complement number.
    fn signed(&mut self, n: u8) -> Option<i64> {
        if n == 0 {
            return Some(0);
        }
        if usize::from(n) > self.left() {
            return None;
        }
        let v = (self.window() as i64) >> (64 - u32::from(n));
        self.pos += usize::from(n);
        Some(v)
    }
}

/// Huffman-decodes up to `count` values (as many as the data holds when `None`) into `out`,
/// each wrapped to 16 bits like the encoders' arithmetic, then undoes difference encoding of
/// `order` ([`undo_differences`]). Returns whether the data ended before `count`. Each lead
/// starts with table 1.
fn huffman(
    data: &[u8],
    count: Option<usize>,
    tables: &[Table],
    order: u8,
    out: &mut Vec<i16>,
) -> Result<bool, String> {
    let limit = count.unwrap_or(usize::MAX);
    // Every code takes at least one bit: no more values than bits.
    let cap = limit.min(data.len().saturating_mul(8));
    out.clear();
    // Four slots of slack: the multi-code loop stores four values at a time.
    out.resize(cap.saturating_add(4), 0);
    let mut n = 0;
    let result = decode_values(data, count, cap, tables, &mut n, out);
    out.truncate(n);
    undo(out, order);
    result
}

/// Undo first (1) or second (2) difference encoding in place, in 16-bit wrapping arithmetic
/// (the first `order` values are as coded), as running sums: x += d, or s += d; x += s.
fn undo(values: &mut [i16], order: u8) {
    match order {
        1 => {
            let mut x = 0i16;
            for v in values.iter_mut() {
                x = x.wrapping_add(*v);
                *v = x;
            }
        }
        2 => {
            let Some((head, rest)) = values.split_first_chunk_mut::<2>() else {
                return;
            };
            // x[n] = x[n−1] + (x[n−1] − x[n−2]) + d[n]: the slope s = x[n−1] − x[n−2] runs on.
            let mut x = head[1];
            let mut s = head[1].wrapping_sub(head[0]);
            for v in rest.iter_mut() {
                s = s.wrapping_add(*v);
                x = x.wrapping_add(s);
                *v = x;
            }
        }
        _ => {}
    }
}

/// The Huffman decoding proper (values as coded, differences not undone) into `out`, `n`
/// values so far.
fn decode_values(
    data: &[u8],
    count: Option<usize>,
    cap: usize,
    tables: &[Table],
    n: &mut usize,
    out: &mut [i16],
) -> Result<bool, String> {
    let short = count.is_some();
    let mut bits = Bits { data, pos: 0 };
    let mut table = tables.first().ok_or("no Huffman table")?;
    loop {
        if *n >= cap {
            // `cap` is `count` (done), or the number of bits (the data is used up).
            return Ok(count.is_some_and(|c| *n < c));
        }
        if !table.fast.is_empty()
            && let Some(m) = table.multi()
        {
            multi_run(&mut bits, m, table, n, out, cap);
            if *n >= cap {
                continue;
            }
        }
        let entry = if !table.lut.is_empty() {
            // Prefix and extra bits (≤ 16 + 32 ≤ 57) from one window.
            let w = bits.window();
            let index = (w >> (64 - u32::from(table.max_prefix))) as usize;
            let left = bits.left();
            match table.lut.get(index).copied().flatten() {
                Some((len, e)) if usize::from(len) + usize::from(e.extra) <= left => {
                    bits.pos += usize::from(len);
                    if e.switch {
                        e
                    } else {
                        let extra = if e.extra == 0 {
                            0
                        } else {
                            let v = ((w << len) as i64) >> (64 - u32::from(e.extra));
                            bits.pos += usize::from(e.extra);
                            v
                        };
                        if let Some(slot) = out.get_mut(*n) {
                            *slot = (i64::from(e.value) + extra) as i16;
                        }
                        *n += 1;
                        continue;
                    }
                }
                Some(_) => return Ok(short),
                None if usize::from(table.max_prefix) > left => return Ok(short),
                None => return Err(format!("invalid Huffman code at bit {}", bits.pos)),
            }
        } else {
            let (mut code, mut len) = (0u32, 0u8);
            loop {
                let Some(bit) = bits.bit() else {
                    return Ok(short);
                };
                code = (code << 1) | bit;
                len += 1;
                if let Some(e) = table.codes.get(&(len, code)) {
                    break *e;
                }
                if len >= table.max_prefix {
                    return Err(format!("invalid Huffman code at bit {}", bits.pos));
                }
            }
        };
        if entry.switch {
            table = usize::try_from(entry.value)
                .ok()
                .and_then(|v| v.checked_sub(1))
                .and_then(|i| tables.get(i))
                .ok_or_else(|| format!("switch to unknown Huffman table {}", entry.value))?;
            continue;
        }
        let Some(extra) = bits.signed(entry.extra) else {
            return Ok(short);
        };
        if let Some(slot) = out.get_mut(*n) {
            *slot = (i64::from(entry.value) + extra) as i16;
        }
        *n += 1;
    }
}

/// The common case of [`huffman`] in a tight loop: one table lookup yields up to four short
/// codes' values, stored four slots at a time ([`Table::multi`]); a longer plain code comes from
/// [`Table::fast`]. Runs while at least 8 bytes of data are left (every window is a full one,
/// and every code with its extra bits, ≤ 16 + 32 bits, fits in it) and four more values are
/// wanted; returns at the first switch code or invalid code too. The general loop goes on from
/// there.
#[inline(always)]
fn multi_run(
    bits: &mut Bits<'_>,
    multi: &Multi,
    table: &Table,
    count: &mut usize,
    out: &mut [i16],
    cap: usize,
) {
    let shift = 64 - u32::from(table.max_prefix);
    let fast = table.fast.as_slice();
    let (values, meta) = (&*multi.values, &*multi.meta);
    let data = bits.data;
    let (mut n, mut pos) = (*count, bits.pos);
    // Four lookups store at most 16 values from `n` on; they go into a block of 32 slots, so
    // that an offset masked to 0..=15 needs no bounds check. `n + 16 <= cap` keeps the count
    // within `cap`.
    while n + 16 <= cap {
        let Some(block) = out.get_mut(n..).and_then(|o| o.first_chunk_mut::<32>()) else {
            break;
        };
        // One load serves up to four lookups (4 × 12 ≤ 48 of its ≥ 57 bits): the window is
        // shifted along, keeping the memory load off the lookup-to-lookup dependency chain.
        let Some(b) = data.get(pos / 8..).and_then(|d| d.first_chunk::<8>()) else {
            break;
        };
        let mut w = u64::from_be_bytes(*b) << (pos % 8);
        let (mut used, mut off) = (0u32, 0usize);
        let mut stop = false;
        for _ in 0..4 {
            // < 2^12: in range of both tables.
            let index = (w >> (64 - MULTI_BITS)) as usize;
            let m = meta[index];
            if m == 0 {
                if used > 0 {
                    break; // a fresh window for the long code
                }
                // The first code is longer than the multi table's window (or a switch).
                let slot = fast.get((w >> shift) as usize).copied().unwrap_or(0);
                if slot & FAST_VALID == 0 {
                    stop = true; // a switch or an invalid code: the general loop decides
                    break;
                }
                let len = slot & 0x1f;
                let extra = (slot >> 5) & 0x3f;
                let value = i64::from((slot >> 16) as u16 as i16);
                let d = if extra == 0 {
                    value
                } else {
                    value + (((w << len) as i64) >> (64 - extra))
                };
                block[0] = d as i16;
                off = 1;
                used = len + extra;
                break;
            }
            let o = off & 15;
            if let Some(slots) = block.get_mut(o..o + 4) {
                slots.copy_from_slice(&values[index]);
            }
            let len = u32::from(m & 15);
            w <<= len;
            used += len;
            off += usize::from(m >> 4);
        }
        n += off;
        pos += used as usize;
        if stop {
            break;
        }
    }
    bits.pos = pos;
    *count = n;
}

/// The plain reference decoder (bit by bit through the code map, then the difference decoding
/// as a separate pass) that [`huffman`] must agree with.
#[cfg(test)]
fn huffman_reference(
    data: &[u8],
    count: Option<usize>,
    tables: &[Table],
    order: u8,
) -> Result<(Vec<i16>, bool), String> {
    let limit = count.unwrap_or(usize::MAX);
    let mut out = Vec::new();
    let mut bits = Bits { data, pos: 0 };
    let mut table = tables.first().ok_or("no Huffman table")?;
    let short = count.is_some();
    let finish = |mut v: Vec<i16>, short: bool| {
        undo_differences(&mut v, order);
        Ok((v, short))
    };
    while out.len() < limit {
        let start = bits.pos;
        let (mut code, mut len) = (0u32, 0u8);
        let entry = loop {
            let Some(bit) = bits.bit() else {
                return finish(out, short);
            };
            code = (code << 1) | bit;
            len += 1;
            if let Some(e) = table.codes.get(&(len, code)) {
                break *e;
            }
            if len >= table.max_prefix {
                // The lookup-table decoder names the code's first bit.
                let at = if table.lut.is_empty() {
                    bits.pos
                } else {
                    start
                };
                return Err(format!("invalid Huffman code at bit {at}"));
            }
        };
        if entry.switch {
            // As the lookup-table decoder: a switch code with (meaningless) extra bits that
            // run past the data ends it.
            if !table.lut.is_empty() && usize::from(entry.extra) > bits.left() {
                return finish(out, short);
            }
            table = usize::try_from(entry.value)
                .ok()
                .and_then(|v| v.checked_sub(1))
                .and_then(|i| tables.get(i))
                .ok_or_else(|| format!("switch to unknown Huffman table {}", entry.value))?;
            continue;
        }
        let Some(extra) = bits.signed(entry.extra) else {
            return finish(out, short);
        };
        out.push((i64::from(entry.value) + extra) as i16);
    }
    finish(out, false)
}

/// Undo first (1) or second (2) difference encoding in place, in 16-bit wrapping arithmetic
/// (the first `order` values are as coded): the plain version [`undo`] must agree with.
#[cfg(test)]
fn undo_differences(values: &mut [i16], order: u8) {
    match order {
        1 => {
            let mut prev = 0i16;
            for (n, x) in values.iter_mut().enumerate() {
                if n >= 1 {
                    *x = x.wrapping_add(prev);
                }
                prev = *x;
            }
        }
        2 => {
            let (mut x1, mut x2) = (0i16, 0i16); // x[n-1], x[n-2]
            for (n, x) in values.iter_mut().enumerate() {
                if n >= 2 {
                    *x = x.wrapping_add(x1.wrapping_mul(2)).wrapping_sub(x2);
                }
                x2 = x1;
                x1 = *x;
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Sections 3 and 4

#[derive(Debug, Clone, Copy)]
struct LeadDef {
    start: u64,
    end: u64,
    id: u8,
}

impl LeadDef {
    fn count(&self) -> u64 {
        self.end - self.start + 1
    }
}

/// The lead definitions of Section 3 as declared, and its flags byte. Ranges with a start
/// sample 0 are left as they are: which reading of them holds is decided with the data
/// ([`zero_based_reading`]).
fn section3(body: &[u8]) -> Result<(Vec<LeadDef>, u8), String> {
    let (Some(count), Some(flags)) = (u8_at(body, 0), u8_at(body, 1)) else {
        return Err("Section 3 is too short".to_owned());
    };
    if count == 0 {
        return Err("Section 3 defines no leads".to_owned());
    }
    let held = body.len().saturating_sub(2) / 9;
    if held < usize::from(count) {
        return Err(format!(
            "Section 3 declares {count} leads but holds {held} lead definition{} ({} bytes, 9 per lead)",
            if held == 1 { "" } else { "s" },
            body.len().saturating_sub(2)
        ));
    }
    let mut defs = Vec::with_capacity(usize::from(count));
    for i in 0..usize::from(count) {
        let pos = 2 + 9 * i;
        let (Some(start), Some(end), Some(id)) = (
            u32_at(body, pos),
            u32_at(body, pos + 4),
            u8_at(body, pos + 8),
        ) else {
            return Err("Section 3 is truncated".to_owned());
        };
        defs.push(LeadDef {
            start: u64::from(start),
            end: u64::from(end),
            id,
        });
    }
    for (i, d) in defs.iter().enumerate() {
        if d.end < d.start {
            return Err(format!(
                "Section 3 lead {} has an invalid sample range {}–{}",
                i + 1,
                d.start,
                d.end
            ));
        }
    }
    Ok((defs, flags))
}

#[derive(Debug, Clone, Copy)]
struct Qrs {
    kind: u16,
    start: u64,
    fiducial: u64,
    end: u64,
}

#[derive(Debug, Clone, Default)]
struct Section4 {
    ref_len_ms: u16,
    /// Fiducial point of the reference beat (1-based sample).
    fiducial: u16,
    qrs: Vec<Qrs>,
    /// Protected zones (bimodal compression), 1-based, inclusive.
    protected: Vec<(u64, u64)>,
}

fn section4(body: &[u8], w: &mut Vec<String>) -> Section4 {
    let (Some(ref_len_ms), Some(fiducial), Some(n)) =
        (u16_at(body, 0), u16_at(body, 2), u16_at(body, 4))
    else {
        w.push("Section 4 is too short, ignored".to_owned());
        return Section4::default();
    };
    let mut s = Section4 {
        ref_len_ms,
        fiducial,
        ..Section4::default()
    };
    let n = usize::from(n);
    let mut pos = 6;
    if pos + 14 * n > body.len() {
        w.push(format!(
            "Section 4 declares {n} QRS complexes but is truncated, subtraction zones ignored"
        ));
        return s;
    }
    for _ in 0..n {
        s.qrs.push(Qrs {
            kind: u16_at(body, pos).unwrap_or(0),
            start: u64::from(u32_at(body, pos + 2).unwrap_or(0)),
            fiducial: u64::from(u32_at(body, pos + 6).unwrap_or(0)),
            end: u64::from(u32_at(body, pos + 10).unwrap_or(0)),
        });
        pos += 14;
    }
    if pos + 8 * n <= body.len() {
        for _ in 0..n {
            let (a, b) = (
                u32_at(body, pos).unwrap_or(0),
                u32_at(body, pos + 4).unwrap_or(0),
            );
            if b >= a && a > 0 {
                s.protected.push((u64::from(a), u64::from(b)));
            }
            pos += 8;
        }
        s.protected.sort_unstable();
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Sections 5 and 6

struct Encoded<'a> {
    avm: u16,
    interval_us: u16,
    order: u8,
    flag: u8,
    leads: Vec<&'a [u8]>,
}

fn split_leads<'a>(body: &'a [u8], nleads: usize, sid: u16) -> Result<Encoded<'a>, String> {
    if body.len() < 6 + 2 * nleads {
        return Err(format!(
            "Section {sid} is too short for {nleads} leads ({} bytes)",
            body.len()
        ));
    }
    let enc = Encoded {
        avm: u16_at(body, 0).unwrap_or(0),
        interval_us: u16_at(body, 2).unwrap_or(0),
        order: u8_at(body, 4).unwrap_or(0),
        flag: u8_at(body, 5).unwrap_or(0),
        leads: Vec::new(),
    };
    if enc.order > 2 {
        return Err(format!(
            "Section {sid} has an unknown difference encoding {}",
            enc.order
        ));
    }
    let sizes: Vec<usize> = (0..nleads)
        .map(|i| usize::from(u16_at(body, 6 + 2 * i).unwrap_or(0)))
        .collect();
    let mut pos = 6 + 2 * nleads;
    let total: usize = sizes.iter().sum();
    if pos + total > body.len() {
        return Err(format!(
            "Section {sid} lead data ({total} bytes) exceeds the section ({} bytes after the lead lengths)",
            body.len() - pos
        ));
    }
    let mut leads = Vec::with_capacity(nleads);
    for size in sizes {
        leads.push(body.get(pos..pos + size).unwrap_or_default());
        pos += size;
    }
    Ok(Encoded { leads, ..enc })
}

/// Decodes one lead to 16-bit values, differences undone: `count` values (all the data holds
/// when `None`), fewer when the data ends first — the caller decides what a short lead is.
fn decode_lead(
    chunk: &[u8],
    count: Option<usize>,
    coding: &Coding,
    order: u8,
    what: &str,
) -> Result<Vec<i16>, String> {
    match coding {
        Coding::Raw => {
            let held = chunk.len() / 2;
            let n = count.unwrap_or(held).min(held);
            let mut values: Vec<i16> = chunk
                .chunks_exact(2)
                .take(n)
                .map(|b| {
                    i16::from_le_bytes([
                        b.first().copied().unwrap_or(0),
                        b.get(1).copied().unwrap_or(0),
                    ])
                })
                .collect();
            undo(&mut values, order);
            Ok(values)
        }
        Coding::Huffman(tables) => {
            // Every Huffman code takes at least one bit: `huffman` never makes more values
            // than the data has bits.
            let mut values = Vec::new();
            huffman(chunk, count, tables, order, &mut values)
                .map_err(|e| format!("{what}: {e}"))?;
            Ok(values)
        }
    }
}

/// How many samples an uncompressed lead of `chunk` holds (`None` for an odd byte count, which
/// holds no whole number of them).
fn raw_held(chunk: &[u8]) -> Option<usize> {
    chunk.len().is_multiple_of(2).then_some(chunk.len() / 2)
}

/// Leads that hold fewer (or, uncompressed, more) samples than declared, as one defect:
/// `(lead, held, declared)`. A short lead keeps the samples it holds (nothing is made up for
/// the rest: the record is refused unless partial records are accepted).
fn count_defect(section: u16, wrong: &[(String, usize, usize)]) -> Option<String> {
    let (more, fewer): (Vec<_>, Vec<_>) = wrong.iter().partition(|(_, held, n)| held > n);
    let list = |v: &[&(String, usize, usize)]| {
        let mut parts: Vec<String> = v
            .iter()
            .take(3)
            .map(|(lead, held, n)| format!("{lead} {held} of {n}"))
            .collect();
        if v.len() > 3 {
            parts.push(format!("{} more leads", v.len() - 3));
        }
        parts.join(", ")
    };
    let mut out = Vec::new();
    if !fewer.is_empty() {
        out.push(format!(
            "Section {section} data ends before the declared sample count ({})",
            list(&fewer)
        ));
    }
    if !more.is_empty() {
        out.push(format!(
            "Section {section} holds more samples than declared ({}; the rest ignored)",
            list(&more)
        ));
    }
    (!out.is_empty()).then(|| out.join("; "))
}

/// Reference beat as decoded (16-bit units) with its AVM and sample interval.
struct Median {
    avm: u16,
    interval_us: u16,
    leads: Vec<Vec<i16>>,
}

/// The reference beat. `rhythm_total` is the number of rhythm samples declared, for the limit
/// on all samples.
fn section5(
    body: &[u8],
    defs: &[LeadDef],
    coding: &Coding,
    s4: Option<&Section4>,
    rhythm_total: u64,
    w: &mut Vec<String>,
    d: &mut Vec<String>,
) -> Result<Median, Stop> {
    let enc = split_leads(body, defs.len(), 5)?;
    if enc.interval_us == 0 {
        return Err("Section 5 sample interval is 0".into());
    }
    let count = match s4 {
        Some(s) if s.ref_len_ms > 0 => {
            let i = u64::from(enc.interval_us);
            let n = (u64::from(s.ref_len_ms) * 1000 + i / 2) / i;
            let total = n
                .saturating_mul(defs.len() as u64)
                .saturating_add(rhythm_total);
            super::check_sample_counts(Format::ScpEcg, n, total).map_err(Stop::Limit)?;
            Some(usize::try_from(n).map_err(|_| "Section 5 sample count too large")?)
        }
        _ => {
            if matches!(coding, Coding::Huffman(_)) {
                w.push("reference beat length (Section 4) unknown: Section 5 decoded to the end of its data".to_owned());
            }
            None
        }
    };
    let mut leads = Vec::with_capacity(defs.len());
    let mut short = Vec::new();
    for (i, (chunk, def)) in enc.leads.iter().zip(defs).enumerate() {
        let lead = format!("lead {} ({})", i + 1, lead_name(def.id));
        let values = decode_lead(
            chunk,
            count,
            coding,
            enc.order,
            &format!("Section 5 {lead}"),
        )?;
        if let Some(n) = count
            && values.len() < n
        {
            short.push((lead, values.len(), n));
        }
        leads.push(values);
    }
    d.extend(count_defect(5, &short));
    Ok(Median {
        avm: enc.avm,
        interval_us: enc.interval_us,
        leads,
    })
}

/// Number of stored values of a bimodally compressed lead, and the runs `(len, protected)` of
/// its full-rate timeline.
fn bimodal_runs(def: &LeadDef, zones: &[(u64, u64)], ratio: u64) -> (u64, Vec<(u64, bool)>) {
    let mut runs = Vec::new();
    let mut t = def.start;
    for &(a, b) in zones {
        let (a, b) = (a.max(def.start), b.min(def.end));
        if b < a || b < t {
            continue;
        }
        let a = a.max(t);
        if a > t {
            runs.push((a - t, false));
        }
        runs.push((b - a + 1, true));
        t = b + 1;
    }
    if t <= def.end {
        runs.push((def.end - t + 1, false));
    }
    let stored = runs
        .iter()
        .map(|&(n, p)| if p { n } else { n.div_ceil(ratio) })
        .sum();
    (stored, runs)
}

/// Rebuilds the full-rate signal from bimodal data: protected runs as stored, the other runs
/// from their decimated values (block averages) by linear interpolation between block centres.
fn rebuild_bimodal(stored: &[i16], runs: &[(u64, bool)], ratio: u64) -> Vec<f64> {
    let mut out = Vec::new();
    let mut it = stored.iter().map(|&v| f64::from(v));
    for &(n, protected) in runs {
        if protected {
            out.extend((0..n).map(|_| it.next().unwrap_or(0.0)));
            continue;
        }
        let k = n.div_ceil(ratio);
        let vals: Vec<f64> = (0..k).map(|_| it.next().unwrap_or(0.0)).collect();
        let centre = |j: u64| {
            let len = (n - j * ratio).min(ratio);
            (j * ratio) as f64 + (len as f64 - 1.0) / 2.0
        };
        let value = |j: u64| vals.get(j as usize).copied().unwrap_or(0.0);
        let (first, last) = (centre(0), centre(k.saturating_sub(1)));
        for i in 0..n {
            let x = i as f64;
            out.push(if x <= first {
                value(0)
            } else if x >= last {
                value(k - 1)
            } else {
                // centre(j) <= x < centre(j + 1)
                let mut j = i / ratio;
                if x < centre(j) {
                    j -= 1;
                }
                let (c0, c1, v0, v1) = (centre(j), centre(j + 1), value(j), value(j + 1));
                v0 + (v1 - v0) * (x - c0) / (c1 - c0)
            });
        }
    }
    out
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn lead_name(id: u8) -> String {
    if let Some(l) = leads::by_scp_id(id) {
        return l.name.to_owned();
    }
    // The other identifiers of EN 1064 (Section 3 lead identification table).
    let other = match id {
        0 => "Unspecified",
        19 => "CC5",
        20 => "CM5",
        21 => "LA",
        22 => "RA",
        23 => "LL",
        24 => "fI",
        25 => "fE",
        26 => "fC",
        27 => "fA",
        28 => "fM",
        29 => "fF",
        30 => "fH",
        65 => "-aVR",
        68 => "V8R",
        69 => "V9R",
        70 => "D",
        71 => "A",
        72 => "J",
        73 => "Defib",
        74 => "Extern",
        75 => "A1",
        76 => "A2",
        77 => "A3",
        78 => "A4",
        _ => "",
    };
    if other.is_empty() {
        format!("SCP lead {id}")
    } else {
        other.to_owned()
    }
}

/// One lead of Section 6 in raw units at the full rate: the decoded values, and once needed
/// (bimodal rebuilding, reference beat addition) the same as floats, which then count.
struct RawLead {
    ints: Vec<i16>,
    floats: Option<Vec<f64>>,
}

impl RawLead {
    /// The values as floats (made from the integers the first time).
    fn floats(&mut self) -> &mut Vec<f64> {
        let ints = &self.ints;
        self.floats
            .get_or_insert_with(|| ints.iter().map(|&x| f64::from(x)).collect())
    }

    /// The values times `scale` (µV).
    fn scaled(self, scale: f64) -> Vec<f64> {
        match self.floats {
            None => self.ints.iter().map(|&x| f64::from(x) * scale).collect(),
            Some(v) => v.into_iter().map(|x| x * scale).collect(),
        }
    }
}

/// How 0-based Section 3 ranges (start sample 0) are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// Start and end 0-based and inclusive (`end − start + 1` samples): shifted by one.
    Inclusive,
    /// Start 0-based, end exclusive (`end − start` samples), as Contec / "ECG Viewer" write.
    Exclusive,
}

/// The reading of 0-based ranges that every lead's stored sample count bears out, if one does:
/// `stored[i]` is how many samples lead `i` holds (`None`: no whole number).
fn zero_based_reading(defs: &[LeadDef], stored: &[Option<usize>]) -> Option<Reading> {
    let all = |f: fn(&LeadDef) -> u64| {
        defs.iter()
            .zip(stored)
            .all(|(d, s)| s.and_then(|s| u64::try_from(s).ok()) == Some(f(d)))
    };
    if all(|d| d.end - d.start + 1) {
        Some(Reading::Inclusive)
    } else if all(|d| d.end - d.start) {
        Some(Reading::Exclusive)
    } else {
        None
    }
}

/// `defs` (0-based) as 1-based inclusive ranges under a reading.
fn one_based(defs: &[LeadDef], reading: Reading) -> Vec<LeadDef> {
    defs.iter()
        .map(|d| LeadDef {
            start: d.start + 1,
            end: match reading {
                Reading::Inclusive => d.end + 1,
                Reading::Exclusive => d.end,
            },
            id: d.id,
        })
        .collect()
}

/// Decodes Section 6 into the rhythm waveform (µV), adding the reference beat back when the
/// rhythm was stored as residual. `defs` are as declared in Section 3 (see [`Reading`] for
/// 0-based ones). Leads holding fewer samples than declared are a defect (kept as short as
/// they are); uncompressed leads holding more are one too.
#[allow(clippy::too_many_arguments)]
fn section6(
    body: &[u8],
    defs: &[LeadDef],
    flags: u8,
    coding: &Coding,
    s4: Option<&Section4>,
    median: Option<&Median>,
    protocol: u8,
    w: &mut Vec<String>,
    d: &mut Vec<String>,
) -> Result<Waveform, String> {
    let enc = split_leads(body, defs.len(), 6)?;
    if enc.interval_us == 0 {
        return Err("Section 6 sample interval is 0".to_owned());
    }
    // Byte 6 is the bimodal flag up to 2.x, reserved from 3.0.
    let bimodal_flag = enc.flag != 0 && protocol < 30;
    let mut ratio = 1u64;
    if bimodal_flag {
        let m = median.ok_or(
            "Section 6 uses bimodal compression but there is no reference beat (Section 5)",
        )?;
        let (r, mi) = (u64::from(enc.interval_us), u64::from(m.interval_us));
        if r % mi != 0 || !(1..=4).contains(&(r / mi)) {
            return Err(format!(
                "Section 6 uses bimodal compression with a sample interval of {r} µs against {mi} µs in Section 5 \
                 (the ratio must be an integer 1–4)"
            ));
        }
        ratio = r / mi;
    }
    let full_interval = u64::from(enc.interval_us) / ratio;
    let zones: &[(u64, u64)] = s4.map_or(&[], |s| s.protected.as_slice());
    let zero_based = defs.iter().any(|d| d.start == 0);
    // Decimated leads: the stored count follows from 1-based ranges (the inclusive reading).
    let shifted;
    let mut defs = defs;
    if zero_based && ratio > 1 {
        w.push(
            "Section 3 lead start samples are 0-based (non-conformant), shifted by one".to_owned(),
        );
        shifted = one_based(defs, Reading::Inclusive);
        defs = &shifted;
    }

    // Decode and undo differences: raw units, at the stored rate.
    let mut decoded: Vec<Vec<i16>> = Vec::with_capacity(defs.len());
    let mut stored_counts: Vec<Option<usize>> = Vec::with_capacity(defs.len());
    let mut wanted: Vec<usize> = Vec::with_capacity(defs.len());
    for (i, (def, chunk)) in defs.iter().zip(&enc.leads).enumerate() {
        let what = format!("Section 6 lead {} ({})", i + 1, lead_name(def.id));
        let n = if ratio > 1 {
            bimodal_runs(def, zones, ratio).0
        } else {
            def.count()
        };
        let n = usize::try_from(n).map_err(|_| format!("{what}: sample count too large"))?;
        let values = decode_lead(chunk, Some(n), coding, enc.order, &what)?;
        stored_counts.push(match coding {
            Coding::Raw => raw_held(chunk),
            Coding::Huffman(_) => Some(values.len()),
        });
        decoded.push(values);
        wanted.push(n);
    }

    // 0-based ranges: the reading the stored counts bear out.
    let reread;
    if zero_based && ratio == 1 {
        let reading = zero_based_reading(defs, &stored_counts);
        match reading {
            Some(Reading::Inclusive) => w.push(
                "Section 3 lead start samples are 0-based (non-conformant), shifted by one"
                    .to_owned(),
            ),
            Some(Reading::Exclusive) => w.push(format!(
                "Section 3 lead ranges are 0-based with an exclusive end (start 0, end {end}, {end} samples \
                 stored, as Contec / \"ECG Viewer\" write them), read as {end} samples",
                end = defs.first().map_or(0, |d| d.end)
            )),
            None => {
                let counts: Vec<String> = stored_counts
                    .iter()
                    .take(3)
                    .map(|c| c.map_or("an odd byte count".to_owned(), |c| c.to_string()))
                    .collect();
                d.push(format!(
                    "Section 3 lead ranges are 0-based (lead 1: start {}, end {}) and the stored sample \
                     counts ({}{}) match neither reading (end inclusive or exclusive)",
                    defs.first().map_or(0, |d| d.start),
                    defs.first().map_or(0, |d| d.end),
                    counts.join(", "),
                    if stored_counts.len() > 3 { ", ..." } else { "" }
                ));
            }
        }
        reread = one_based(defs, reading.unwrap_or(Reading::Inclusive));
        defs = &reread;
        for (want, def) in wanted.iter_mut().zip(defs) {
            *want = usize::try_from(def.count()).unwrap_or(usize::MAX);
        }
        if reading == Some(Reading::Exclusive) {
            for (values, &n) in decoded.iter_mut().zip(&wanted) {
                values.truncate(n);
            }
        }
    }
    let mut wrong = Vec::new();
    for (i, ((values, stored), &n)) in decoded.iter().zip(&stored_counts).zip(&wanted).enumerate() {
        let lead = format!(
            "lead {} ({})",
            i + 1,
            defs.get(i).map_or_else(String::new, |d| lead_name(d.id))
        );
        let held = stored.unwrap_or(values.len());
        if values.len() < n {
            wrong.push((lead, values.len(), n));
        } else if matches!(coding, Coding::Raw) && held > n {
            wrong.push((lead, held, n));
        }
    }
    d.extend(count_defect(6, &wrong));

    // Rebuild decimated data: raw units at the full rate.
    let mut raw: Vec<RawLead> = Vec::with_capacity(defs.len());
    for (def, values) in defs.iter().zip(decoded) {
        raw.push(if ratio > 1 {
            RawLead {
                ints: Vec::new(),
                floats: Some(rebuild_bimodal(
                    &values,
                    &bimodal_runs(def, zones, ratio).1,
                    ratio,
                )),
            }
        } else {
            RawLead {
                ints: values,
                floats: None,
            }
        });
    }

    // Scale (and add the reference beat back) in a common integer unit of gcd(AVM5, AVM6) nV.
    let avm6 = if enc.avm == 0 {
        w.push("Section 6 amplitude multiplier is 0, taken as 1000 nV".to_owned());
        1000
    } else {
        u64::from(enc.avm)
    };
    let subtraction = flags & 0x01 != 0;
    let mut unit = avm6;
    if subtraction {
        let m = median.ok_or(
            "Section 6 holds residuals after reference beat subtraction but there is no reference beat (Section 5)",
        )?;
        if u64::from(m.interval_us) != full_interval {
            return Err(format!(
                "reference beat subtraction with the reference beat at {} µs but the rhythm at {full_interval} µs",
                m.interval_us
            ));
        }
        let avm5 = if m.avm == 0 { 1000 } else { u64::from(m.avm) };
        unit = gcd(avm6, avm5);
        let (k6, k5) = ((avm6 / unit) as f64, (avm5 / unit) as f64);
        let s4 = s4.cloned().unwrap_or_default();
        let f = u64::from(s4.fiducial);
        for ((def, lead), beat) in defs.iter().zip(raw.iter_mut()).zip(&m.leads) {
            let lead = lead.floats();
            lead.iter_mut().for_each(|v| *v *= k6);
            let blen = beat.len() as u64;
            for q in s4.qrs.iter().filter(|q| q.kind == 0) {
                // Rhythm sample t (1-based) gets beat sample f − fiducial + t − 1 (0-based).
                let lo = q
                    .start
                    .max(def.start)
                    .max((q.fiducial + 1).saturating_sub(f));
                let hi = q
                    .end
                    .min(def.end)
                    .min((q.fiducial + blen).saturating_sub(f));
                if hi < lo || f + lo < q.fiducial + 1 {
                    continue;
                }
                for t in lo..=hi {
                    let (Some(r), Some(b)) = (
                        usize::try_from(t - def.start)
                            .ok()
                            .and_then(|i| lead.get_mut(i)),
                        usize::try_from(f + t - q.fiducial - 1)
                            .ok()
                            .and_then(|i| beat.get(i)),
                    ) else {
                        continue;
                    };
                    *r += f64::from(*b) * k5;
                }
            }
        }
    }
    let scale = unit as f64 / 1000.0;

    // One time axis for all leads.
    let first = defs.iter().map(|d| d.start).min().unwrap_or(1);
    let last = defs.iter().map(|d| d.end).max().unwrap_or(0);
    let simultaneous = defs.iter().all(|d| d.start == first && d.end == last);
    let span = last.saturating_sub(first) + 1;
    if !simultaneous {
        // Every Huffman code takes a bit: no real lead layout spans more than this.
        if span > 8 * ratio * body.len() as u64 {
            return Err(format!(
                "Section 3 lead ranges span {span} samples, more than the file can hold"
            ));
        }
        w.push(format!(
            "leads not recorded simultaneously (Section 3): placed on one {span}-sample time axis, 0 µV outside each lead's range"
        ));
    }
    let leads = defs
        .iter()
        .zip(raw)
        .map(|(def, lead)| {
            let samples_uv = if simultaneous {
                lead.scaled(scale)
            } else {
                let mut s = vec![0.0; span as usize];
                let off = (def.start - first) as usize;
                for (slot, v) in s.iter_mut().skip(off).zip(lead.scaled(scale)) {
                    *slot = v;
                }
                s
            };
            Lead {
                name: lead_name(def.id),
                samples_uv,
            }
        })
        .collect();
    Ok(Waveform {
        sampling_rate_hz: 1_000_000.0 / full_interval as f64,
        leads,
    })
}

fn median_waveform(m: &Median, defs: &[LeadDef], w: &mut Vec<String>) -> Waveform {
    let avm = if m.avm == 0 {
        w.push("Section 5 amplitude multiplier is 0, taken as 1000 nV".to_owned());
        1000.0
    } else {
        f64::from(m.avm)
    };
    let scale = avm / 1000.0;
    Waveform {
        sampling_rate_hz: 1_000_000.0 / f64::from(m.interval_us),
        leads: defs
            .iter()
            .zip(&m.leads)
            .map(|(d, l)| Lead {
                name: lead_name(d.id),
                samples_uv: l.iter().map(|&v| f64::from(v) * scale).collect(),
            })
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// Sections 7, 8, 10, 11

fn given(v: u16) -> Option<u16> {
    (v != NOT_GIVEN && v != 0xFFFF).then_some(v)
}

fn axis(v: i16) -> Option<f64> {
    (v.unsigned_abs() != 999 && v != NOT_GIVEN as i16 && v != i16::MIN).then_some(f64::from(v))
}

fn section7(body: &[u8], ecg: &mut Ecg) {
    let w = &mut ecg.warnings;
    let (Some(nblocks), Some(nspikes), Some(rr), Some(_pp)) = (
        u8_at(body, 0),
        u8_at(body, 1),
        u16_at(body, 2),
        u16_at(body, 4),
    ) else {
        w.push("Section 7 is too short, ignored".to_owned());
        return;
    };
    let m = &mut ecg.measurements;
    if let Some(rr) = given(rr).filter(|&r| r > 0) {
        m.rr_ms = Some(f64::from(rr));
        m.heart_rate_bpm = Some(60000.0 / f64::from(rr));
    }
    let mut pos = 6;
    if nblocks > 0 {
        // The first block is the reference beat (type 0): boundaries in ms from its start.
        let field = |i: usize| u16_at(body, pos + 2 * i).and_then(given);
        if let (Some(p_on), Some(p_off), Some(q_on)) = (field(0), field(1), field(2))
            && p_off > p_on
            && q_on > p_on
        {
            m.pr_ms = Some(f64::from(q_on - p_on));
        }
        if let (Some(q_on), Some(q_off)) = (field(2), field(3))
            && q_off > q_on
        {
            m.qrs_ms = Some(f64::from(q_off - q_on));
        }
        if let (Some(q_on), Some(t_off)) = (field(2), field(4))
            && t_off > q_on
        {
            m.qt_ms = Some(f64::from(t_off - q_on));
        }
        m.p_axis_deg = i16_at(body, pos + 10).and_then(axis);
        m.qrs_axis_deg = i16_at(body, pos + 12).and_then(axis);
        m.t_axis_deg = i16_at(body, pos + 14).and_then(axis);
    }
    pos += 16 * usize::from(nblocks) + 10 * usize::from(nspikes);
    if pos > body.len() {
        w.push("Section 7 measurement blocks or pacemaker spikes are truncated".to_owned());
        return;
    }
    // Optional: QRS types, then ventricular rate, atrial rate, QTc, QTc formula.
    let Some(nqrs) = u16_at(body, pos) else {
        return;
    };
    pos += 2 + usize::from(nqrs);
    if let Some(vent) = u16_at(body, pos).and_then(given).filter(|&v| v > 0) {
        m.heart_rate_bpm = Some(f64::from(vent));
    }
    if let Some(qtc) = u16_at(body, pos + 4).and_then(given).filter(|&v| v > 0) {
        m.qtc_ms = Some(f64::from(qtc));
    }
}

fn statements(body: &[u8], sid: u16, text: Text, out: &mut Vec<String>, w: &mut Vec<String>) {
    let Some(count) = u8_at(body, 8) else {
        w.push(format!("Section {sid} is too short, ignored"));
        return;
    };
    let mut pos = 9;
    for i in 0..count {
        let Some(len) = u16_at(body, pos + 1) else {
            w.push(format!(
                "Section {sid} ends before statement {} of {count}",
                i + 1
            ));
            return;
        };
        let Some(value) = body.get(pos + 3..pos + 3 + usize::from(len)) else {
            w.push(format!(
                "Section {sid} statement {} of {count} is truncated",
                i + 1
            ));
            return;
        };
        pos += 3 + usize::from(len);
        // Section 11 statements start with a statement type byte.
        let value = if sid == 11 {
            value.get(1..).unwrap_or_default()
        } else {
            value
        };
        let line = text.decode_all(value).join(" ");
        if !line.is_empty() && !out.contains(&line) {
            out.push(line);
        }
    }
}

/// Checks the per-lead measurement blocks of Section 10 (not kept in the model).
fn section10(body: &[u8], w: &mut Vec<String>) {
    let Some(n) = u16_at(body, 0) else {
        w.push("Section 10 is too short, ignored".to_owned());
        return;
    };
    // Block lengths exclude the 4-byte block header; some writers include it.
    let walk = |with_header: bool| {
        let mut pos = 4;
        for _ in 0..n {
            let (Some(_id), Some(len)) = (u16_at(body, pos), u16_at(body, pos + 2)) else {
                return false;
            };
            let len = usize::from(len);
            let data = if with_header {
                len.checked_sub(4)
            } else {
                Some(len)
            };
            match data {
                Some(d) if pos + 4 + d <= body.len() => pos += 4 + d,
                _ => return false,
            }
        }
        true
    };
    if !walk(false) && !walk(true) {
        w.push(format!(
            "Section 10 per-lead measurements ({n} leads) are truncated, ignored"
        ));
    }
}

// ---------------------------------------------------------------------------------------------

fn decode(data: &[u8], ecg: &mut Ecg) -> Result<(), Stop> {
    let sections = read_sections(data, &mut ecg.warnings, &mut ecg.defects)?;
    // Protocol version: Section 0 header byte 10, else Section 1 tag 14.
    let mut protocol = u8_at(data, 15).unwrap_or(0);
    let mut text = Text::Latin1;
    if let Some(s) = sections.get(&1) {
        let (t, p) = section1(s, ecg);
        text = t;
        if protocol == 0 {
            protocol = p;
        }
    }
    let (w, d) = (&mut ecg.warnings, &mut ecg.defects);
    if !matches!(protocol, 0 | 10..=13 | 20..=30) {
        w.push(format!(
            "unknown SCP-ECG protocol version {protocol}, read as 2.x"
        ));
    }
    for id in sections
        .keys()
        .filter(|&&id| id == 12 || id == 9 || id > 12)
    {
        w.push(match id {
            12 => "Section 12 (long-term rhythm, SCP-ECG 3.0) is not supported, skipped".to_owned(),
            9 => "Section 9 (manufacturer-specific) skipped".to_owned(),
            _ => format!("manufacturer Section {id} skipped"),
        });
    }

    let s3 = sections
        .get(&3)
        .ok_or("Section 3 (lead definitions) is missing")?;
    let (defs, flags) = section3(s3)?;
    // The limits, before anything is decoded: all leads on one time axis.
    let first = defs.iter().map(|d| d.start).min().unwrap_or(1);
    let last = defs.iter().map(|d| d.end).max().unwrap_or(0);
    let span = (last + 1).saturating_sub(first);
    let rhythm_total = span.saturating_mul(defs.len() as u64);
    super::check_sample_counts(Format::ScpEcg, span, rhythm_total).map_err(Stop::Limit)?;
    let coding = match sections.get(&2) {
        Some(s) => section2(s, w)?,
        None => Coding::Raw,
    };
    let s4 = sections.get(&4).map(|s| section4(s, w));
    let subtraction = flags & 0x01 != 0;

    let median = match sections.get(&5) {
        Some(s) => match section5(s, &defs, &coding, s4.as_ref(), rhythm_total, w, d) {
            Ok(m) => Some(m),
            Err(Stop::Limit(e)) => return Err(Stop::Limit(e)),
            Err(Stop::Bad(e)) if subtraction => {
                return Err(Stop::Bad(format!(
                    "{e} (the reference beat is needed: Section 6 holds residuals)"
                )));
            }
            Err(Stop::Bad(e)) => {
                d.push(format!("{e}: reference beat (Section 5) skipped"));
                None
            }
        },
        None => None,
    };
    if let Some(s) = sections.get(&6) {
        ecg.rhythm = Some(section6(
            s,
            &defs,
            flags,
            &coding,
            s4.as_ref(),
            median.as_ref(),
            protocol,
            w,
            d,
        )?);
    } else if median.is_some() {
        // A reference beat alone is not an ECG to store: the record is not whole.
        d.push(format!(
            "no rhythm data: Section 6 is missing while Section 3 declares {} rhythm lead{} (only the reference beat is there)",
            defs.len(),
            if defs.len() == 1 { "" } else { "s" }
        ));
    } else {
        return Err("no waveform: Sections 5 and 6 are both missing or unreadable".into());
    }
    if let Some(m) = &median {
        ecg.median = Some(median_waveform(m, &defs, w));
    }

    if let Some(s) = sections.get(&7) {
        section7(s, ecg);
    }
    let w = &mut ecg.warnings;
    for sid in [8u16, 11] {
        if let Some(s) = sections.get(&sid) {
            statements(s, sid, text, &mut ecg.statements, w);
        }
    }
    if let Some(s) = sections.get(&10) {
        section10(s, w);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
