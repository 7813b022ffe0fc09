//! The round-trip check's fast path: the file the writer just made is walked in place (Explicit
//! VR Little Endian, sequences and items of defined or undefined length) and every
//! 16-bit sample is compared with the source straight from the Waveform Data bytes, with the
//! generic check's arithmetic (`(raw × sensitivity × correction + baseline) × unit`, padding as
//! 0 µV) and tolerance. It only ever *accepts*: anything it does not expect (another transfer
//! syntax or character set, an odd structure, other sample widths, a mismatch) answers `None`
//! and the caller runs the generic check, whose verdict and message then stand. Tests check
//! that it never accepts what the generic check rejects.

use dicom_core::Tag as CoreTag;
use dicom_dictionary_std::tags;

use super::{ECG_SOP_CLASSES, MORTARA_MEDIAN_S, MORTARA_RHYTHM_S, channel_name_of, unit_factor};
use super::{assign_by, long_vr};
use crate::ecg::{Waveform, leads};

const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";

/// What the check read from the file's meta information.
pub(super) struct Ids {
    pub sop_class: String,
    pub sop_instance: String,
    pub transfer_syntax: String,
    pub dataset_start: usize,
}

/// One element: tag, VR (explicit files only), value bytes or items.
struct El<'a> {
    tag: (u16, u16),
    vr: Option<[u8; 2]>,
    value: &'a [u8],
    items: Vec<Vec<El<'a>>>,
}

fn key(t: CoreTag) -> (u16, u16) {
    (t.0, t.1)
}

struct Walker<'a> {
    b: &'a [u8],
    pos: usize,
    implicit: bool,
}

impl<'a> Walker<'a> {
    fn u16(&mut self) -> Option<u16> {
        let v = self.b.get(self.pos..self.pos + 2)?;
        self.pos += 2;
        Some(u16::from_le_bytes([*v.first()?, *v.get(1)?]))
    }

    fn u32(&mut self) -> Option<u32> {
        let v = self.b.get(self.pos..self.pos + 4)?;
        self.pos += 4;
        Some(u32::from_le_bytes(v.try_into().ok()?))
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let v = self.b.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(v)
    }

    /// Elements until `end` (an offset) or, with `None`, until an item delimiter (consumed).
    fn elements(&mut self, end: Option<usize>, depth: u8) -> Option<Vec<El<'a>>> {
        if depth > 8 {
            return None;
        }
        let mut out: Vec<El<'a>> = Vec::new();
        loop {
            if end == Some(self.pos) {
                return Some(out);
            }
            let tag = (self.u16()?, self.u16()?);
            if tag == (0xFFFE, 0xE00D) {
                // Item delimiter: only where an undefined-length item ends, with length 0.
                return (end.is_none() && self.u32()? == 0).then_some(out);
            }
            if tag.0 == 0xFFFE {
                return None;
            }
            // Ascending tags, as the standard (and the writer) has them.
            if out.last().is_some_and(|l| l.tag >= tag) {
                return None;
            }
            let (vr, len) = if self.implicit {
                (None, self.u32()?)
            } else {
                let vr = [*self.b.get(self.pos)?, *self.b.get(self.pos + 1)?];
                self.pos += 2;
                if !known_vr(vr) {
                    return None;
                }
                let len = if long_vr(vr) {
                    if self.u16()? != 0 {
                        return None;
                    }
                    self.u32()?
                } else {
                    u32::from(self.u16()?)
                };
                (Some(vr), len)
            };
            let is_seq = match vr {
                Some(v) => &v == b"SQ",
                None => len == u32::MAX,
            };
            let el = if is_seq {
                let items = self.items(len, depth)?;
                El {
                    tag,
                    vr,
                    value: &[],
                    items,
                }
            } else {
                if len == u32::MAX || len % 2 == 1 {
                    return None;
                }
                El {
                    tag,
                    vr,
                    value: self.take(len as usize)?,
                    items: Vec::new(),
                }
            };
            out.push(el);
            if end.is_some_and(|e| self.pos > e) {
                return None;
            }
        }
    }

    /// The items of a sequence of length `len` (undefined: up to the sequence delimiter).
    fn items(&mut self, len: u32, depth: u8) -> Option<Vec<Vec<El<'a>>>> {
        let end = if len == u32::MAX {
            None
        } else {
            Some(self.pos.checked_add(len as usize)?)
        };
        let mut items = Vec::new();
        loop {
            if end == Some(self.pos) {
                return Some(items);
            }
            let tag = (self.u16()?, self.u16()?);
            let n = self.u32()?;
            match tag {
                (0xFFFE, 0xE0DD) if end.is_none() && n == 0 => return Some(items),
                (0xFFFE, 0xE000) if n == u32::MAX => items.push(self.elements(None, depth + 1)?),
                (0xFFFE, 0xE000) => {
                    let item_end = self.pos.checked_add(n as usize)?;
                    items.push(self.elements(Some(item_end), depth + 1)?);
                }
                _ => return None,
            }
            if end.is_some_and(|e| self.pos > e) {
                return None;
            }
        }
    }
}

/// The VRs of PS3.5 the writer may use (UN excluded: it would be read differently).
fn known_vr(vr: [u8; 2]) -> bool {
    matches!(
        &vr,
        b"AE"
            | b"AS"
            | b"AT"
            | b"CS"
            | b"DA"
            | b"DS"
            | b"DT"
            | b"FD"
            | b"FL"
            | b"IS"
            | b"LO"
            | b"LT"
            | b"OB"
            | b"OD"
            | b"OF"
            | b"OL"
            | b"OV"
            | b"OW"
            | b"PN"
            | b"SH"
            | b"SL"
            | b"SQ"
            | b"SS"
            | b"ST"
            | b"SV"
            | b"TM"
            | b"UC"
            | b"UI"
            | b"UL"
            | b"UR"
            | b"US"
            | b"UT"
            | b"UV"
    )
}

fn find<'e, 'a>(els: &'e [El<'a>], tag: CoreTag) -> Option<&'e El<'a>> {
    let k = key(tag);
    els.iter().find(|e| e.tag == k)
}

/// The value of a text element with the VR it must have (implicit files: any). Plain ASCII,
/// or UTF-8 in SH and LO values when the character set is ISO_IR 192 (`utf8`): what the
/// generic reader decodes to the same text; anything else gives up.
fn raw_text<'a>(els: &[El<'a>], tag: CoreTag, vr: &[u8; 2], utf8: bool) -> Option<Option<&'a str>> {
    let Some(e) = find(els, tag) else {
        return Some(None);
    };
    if e.vr.is_some_and(|v| &v != vr) {
        return None;
    }
    let s = std::str::from_utf8(e.value).ok()?;
    (s.is_ascii() || (utf8 && matches!(vr, b"SH" | b"LO"))).then_some(Some(s))
}

/// First value, trimmed (NULs too), `None` when empty; the outer `None` gives up.
fn first_text(els: &[El<'_>], tag: CoreTag, vr: &[u8; 2]) -> Option<Option<String>> {
    text_in(els, tag, vr, false)
}

/// [`first_text`] for SH/LO values that may be UTF-8 (`utf8`: the file says ISO_IR 192).
fn text_in(els: &[El<'_>], tag: CoreTag, vr: &[u8; 2], utf8: bool) -> Option<Option<String>> {
    Some(raw_text(els, tag, vr, utf8)?.and_then(|s| {
        let first = s.split('\\').next().unwrap_or_default();
        let t = first.trim_matches(|c: char| c.is_whitespace() || c == '\0');
        (!t.is_empty()).then(|| t.to_owned())
    }))
}

fn number(els: &[El<'_>], tag: CoreTag) -> Option<Option<f64>> {
    Some(
        first_text(els, tag, b"DS")?
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|v| v.is_finite()),
    )
}

fn binary_uint(els: &[El<'_>], tag: CoreTag, vr: &[u8; 2]) -> Option<u64> {
    let e = find(els, tag)?;
    if e.vr.is_some_and(|v| &v != vr) {
        return None;
    }
    match (vr, e.value) {
        (b"US", [a, b, ..]) => Some(u64::from(u16::from_le_bytes([*a, *b]))),
        (b"UL", [a, b, c, d, ..]) => Some(u64::from(u32::from_le_bytes([*a, *b, *c, *d]))),
        _ => None,
    }
}

/// The first item's code (value, scheme, meaning) of a code sequence, as the generic reader's
/// `code` gives it.
fn code(els: &[El<'_>], tag: CoreTag, utf8: bool) -> Option<Option<(String, String, String)>> {
    let Some(item) = find(els, tag).and_then(|e| e.items.first()) else {
        return Some(None);
    };
    let value = text_in(item, tags::CODE_VALUE, b"SH", utf8)?;
    let value = match value {
        Some(v) => Some(v),
        None => match first_text(item, tags::LONG_CODE_VALUE, b"UC")? {
            Some(v) => Some(v),
            None => first_text(item, tags::URN_CODE_VALUE, b"UR")?,
        },
    };
    let scheme = text_in(item, tags::CODING_SCHEME_DESIGNATOR, b"SH", utf8)?.unwrap_or_default();
    let meaning = text_in(item, tags::CODE_MEANING, b"LO", utf8)?.unwrap_or_default();
    if value.is_none() && meaning.is_empty() {
        return Some(None);
    }
    Some(Some((value.unwrap_or_default(), scheme, meaning)))
}

/// One channel: its canonical name, one step in µV and the generic reader's scale.
struct Channel {
    name: String,
    step_uv: f64,
    scale: (f64, f64, f64, f64),
}

/// One multiplex group, its samples left in the file's bytes.
struct Group<'a> {
    label: Option<String>,
    rate: f64,
    samples: usize,
    channels: Vec<Channel>,
    data: &'a [u8],
    padding: Option<i16>,
}

fn group<'a>(els: &[El<'a>], utf8: bool) -> Option<Group<'a>> {
    let label = text_in(els, tags::MULTIPLEX_GROUP_LABEL, b"SH", utf8)?;
    let nch = binary_uint(els, tags::NUMBER_OF_WAVEFORM_CHANNELS, b"US")?;
    let ns = binary_uint(els, tags::NUMBER_OF_WAVEFORM_SAMPLES, b"UL")?;
    let rate = number(els, tags::SAMPLING_FREQUENCY)??;
    if nch == 0 || rate <= 0.0 {
        return None;
    }
    let bits = binary_uint(els, tags::WAVEFORM_BITS_ALLOCATED, b"US")?;
    let interp = first_text(els, tags::WAVEFORM_SAMPLE_INTERPRETATION, b"CS")??;
    if bits != 16 || !interp.eq_ignore_ascii_case("SS") {
        return None;
    }
    let nch = usize::try_from(nch).ok()?;
    let samples = usize::try_from(ns).ok()?;
    let need = samples.checked_mul(nch)?.checked_mul(2)?;
    let data_el = find(els, tags::WAVEFORM_DATA)?;
    if data_el.vr.is_some_and(|v| &v != b"OW") {
        return None;
    }
    let data = data_el.value.get(..need)?;
    let padding = match find(els, tags::WAVEFORM_PADDING_VALUE) {
        None => None,
        Some(e) => match (e.vr, e.value) {
            (Some([b'O', b'W']) | None, [a, b, ..]) => Some(i16::from_le_bytes([*a, *b])),
            _ => return None,
        },
    }
    .filter(|p| *p != 0);
    let defs = &find(els, tags::CHANNEL_DEFINITION_SEQUENCE)?.items;
    let mut channels = Vec::with_capacity(nch);
    for ch in 0..nch {
        let def: &[El<'_>] = defs.get(ch).map_or(&[], Vec::as_slice);
        let sensitivity = number(def, tags::CHANNEL_SENSITIVITY)?.unwrap_or(1.0);
        let correction = number(def, tags::CHANNEL_SENSITIVITY_CORRECTION_FACTOR)?.unwrap_or(1.0);
        let baseline = number(def, tags::CHANNEL_BASELINE)?.unwrap_or(0.0);
        let unit = code(def, tags::CHANNEL_SENSITIVITY_UNITS_SEQUENCE, utf8)?.map(|(v, _, _)| v);
        let factor = match unit.as_deref() {
            None => 1.0,
            Some(u) => unit_factor(u).unwrap_or(1.0),
        };
        let label = text_in(def, tags::CHANNEL_LABEL, b"SH", utf8)?;
        let source = code(def, tags::CHANNEL_SOURCE_SEQUENCE, utf8)?;
        channels.push(Channel {
            name: channel_name_of(source, || label.clone(), ch),
            step_uv: (sensitivity * correction * factor).abs(),
            scale: (sensitivity, correction, baseline, factor),
        });
    }
    Some(Group {
        label,
        rate,
        samples,
        channels,
        data,
        padding,
    })
}

/// `compare`'s verdict without its message: true when the written group holds the source.
fn same(original: Option<&Waveform>, written: Option<&Group<'_>>, fixed_s: f64) -> bool {
    let original = original.filter(|w| !w.leads.is_empty() && w.samples_per_lead() > 0);
    let (o, w) = match (original, written) {
        (None, None) => return true,
        (Some(o), Some(w)) => (o, w),
        _ => return false,
    };
    if (o.sampling_rate_hz - w.rate).abs() > 1e-6 * o.sampling_rate_hz.max(1.0) {
        return false;
    }
    if o.leads.len() != w.channels.len() {
        return false;
    }
    let n_orig = o.samples_per_lead();
    let fixed = (fixed_s * o.sampling_rate_hz).round() as usize;
    if w.samples != n_orig && w.samples != fixed {
        return false;
    }
    let nch = w.channels.len();
    // The channel's raw values, out of the interleaved frames.
    let stride = 2 * nch;
    let Some(data) = w.data.get(..w.samples * stride) else {
        return false;
    };
    let (pairs, _) = data.as_chunks::<2>();
    let mut column: Vec<i16> = Vec::new();
    for (c, (lead, ch)) in o.leads.iter().zip(&w.channels).enumerate() {
        if leads::by_name(&lead.name).is_some_and(|l| ch.name != l.name) {
            return false;
        }
        let tolerance = ch.step_uv * (1.0 + 1e-9) + 1e-9;
        let (sensitivity, correction, baseline, unit) = ch.scale;
        // The writer's own scale (correction 1, baseline 0, µV) and no padding: the generic
        // reader's value `(raw × s × 1 + 0) × 1` is `raw × s` but for the sign of a zero,
        // which no |g − x| notices. A lead whose every |g − x| is within a finite tolerance
        // holds only finite samples, so it passes the check below; any other goes there.
        if lead.samples_uv.len() == w.samples
            && correction == 1.0
            && baseline == 0.0
            && unit == 1.0
            && w.padding.is_none()
            && tolerance.is_finite()
            && within(pairs, nch, c, &lead.samples_uv, sensitivity, tolerance)
        {
            continue;
        }
        let padding = w.padding.map_or(i32::MAX, i32::from);
        column.clear();
        column.extend(
            pairs
                .iter()
                .skip(c)
                .step_by(nch.max(1))
                .map(|p| i16::from_le_bytes(*p)),
        );
        let value = |raw: i16| {
            // The generic reader's order of operations, so that values agree to the bit.
            let g = (f64::from(raw) * sensitivity * correction + baseline) * unit;
            if i32::from(raw) == padding { 0.0 } else { g }
        };
        let mut bad = 0u8;
        // Branch-free per sample (one verdict per lead): a finite source sample must be within
        // the tolerance, a non-finite one read back as 0.
        for (&raw, &x) in column.iter().zip(&lead.samples_uv) {
            let g = value(raw);
            let finite = x.abs() < f64::INFINITY;
            let off = (finite & ((g - x).abs() > tolerance)) | (!finite & (g != 0.0));
            bad |= u8::from(off);
        }
        let mut bad = bad != 0;
        // Samples past the source's end read back as 0.
        for &raw in column.iter().skip(lead.samples_uv.len()) {
            bad |= value(raw) != 0.0;
        }
        if bad {
            return false;
        }
    }
    true
}

/// Whether every sample `xs[i]` is within `tolerance` of `raw × sensitivity`, the raw value
/// being channel `c` of frame `i` (`pairs`: frames of `nch` 16-bit little-endian values).
/// NaN never is. Branch-free, one verdict per lead; the common channel counts have their own
/// copy, whose strided loads need no bounds check per sample.
fn within(
    pairs: &[[u8; 2]],
    nch: usize,
    c: usize,
    xs: &[f64],
    sensitivity: f64,
    tolerance: f64,
) -> bool {
    #[inline(always)]
    fn fixed<const N: usize>(
        pairs: &[[u8; 2]],
        c: usize,
        xs: &[f64],
        sensitivity: f64,
        tolerance: f64,
    ) -> bool {
        let (frames, _) = pairs.as_chunks::<N>();
        if frames.len() != xs.len() || c >= N {
            return false;
        }
        let mut ok = true;
        for (f, &x) in frames.iter().zip(xs) {
            let raw = f.get(c).map_or(0, |p| i16::from_le_bytes(*p));
            ok &= (f64::from(raw) * sensitivity - x).abs() <= tolerance;
        }
        ok
    }
    match nch {
        1 => fixed::<1>(pairs, c, xs, sensitivity, tolerance),
        2 => fixed::<2>(pairs, c, xs, sensitivity, tolerance),
        3 => fixed::<3>(pairs, c, xs, sensitivity, tolerance),
        8 => fixed::<8>(pairs, c, xs, sensitivity, tolerance),
        12 => fixed::<12>(pairs, c, xs, sensitivity, tolerance),
        13 => fixed::<13>(pairs, c, xs, sensitivity, tolerance),
        15 => fixed::<15>(pairs, c, xs, sensitivity, tolerance),
        16 => fixed::<16>(pairs, c, xs, sensitivity, tolerance),
        _ => {
            let mut ok = pairs.len() == xs.len() * nch;
            for (p, &x) in pairs.iter().skip(c).step_by(nch.max(1)).zip(xs) {
                ok &= (f64::from(i16::from_le_bytes(*p)) * sensitivity - x).abs() <= tolerance;
            }
            ok
        }
    }
}

/// The fast round-trip check: `Some` (with the file's identifiers) when the written `bytes`
/// hold `ecg`'s waveforms as the generic check would find; `None` when not, or not sure.
pub(super) fn verify(ecg: &crate::ecg::Ecg, bytes: &[u8]) -> Option<Ids> {
    if bytes.get(128..132) != Some(b"DICM".as_slice()) {
        return None;
    }
    let start = crate::dicom::read::dataset_offset(bytes)?;
    let mut meta = Walker {
        b: bytes.get(..start)?,
        pos: 132,
        implicit: false,
    };
    let meta = meta.elements(Some(start), 0)?;
    let ts = first_text(&meta, tags::TRANSFER_SYNTAX_UID, b"UI")??;
    // Implicit VR files (the Mortara variant) go the generic way: without VRs, telling a
    // defined-length sequence from a value needs the data dictionary.
    let implicit = match ts.as_str() {
        EXPLICIT_LE => false,
        _ => return None,
    };
    let mut walker = Walker {
        b: bytes,
        pos: start,
        implicit,
    };
    let els = walker.elements(Some(bytes.len()), 0)?;
    // UTF-8 (ISO_IR 192) or the default repertoire (then plain ASCII) only.
    let utf8 = match first_text(&els, tags::SPECIFIC_CHARACTER_SET, b"CS")? {
        None => false,
        Some(cs) if cs == "ISO_IR 192" => true,
        Some(_) => return None,
    };
    let sop_class = first_text(&els, tags::SOP_CLASS_UID, b"UI")?;
    let meta_class = first_text(&meta, tags::MEDIA_STORAGE_SOP_CLASS_UID, b"UI")?;
    let class = sop_class.clone().or(meta_class.clone())?;
    if !ECG_SOP_CLASSES.contains(&class.as_str()) {
        return None;
    }
    let seq = &find(&els, tags::WAVEFORM_SEQUENCE)?.items;
    if seq.is_empty() {
        return None;
    }
    let groups: Vec<Group<'_>> = seq.iter().map(|i| group(i, utf8)).collect::<Option<_>>()?;
    let (rhythm, median) = assign_by(groups, |g| g.label.as_deref(), &mut Vec::new());
    if !same(ecg.rhythm.as_ref(), rhythm.as_ref(), MORTARA_RHYTHM_S)
        || !same(ecg.median.as_ref(), median.as_ref(), MORTARA_MEDIAN_S)
    {
        return None;
    }
    Some(Ids {
        sop_class: meta_class.or(sop_class)?,
        sop_instance: first_text(&meta, tags::MEDIA_STORAGE_SOP_INSTANCE_UID, b"UI")?
            .or(first_text(&els, tags::SOP_INSTANCE_UID, b"UI")?)?,
        transfer_syntax: ts,
        dataset_start: start,
    })
}
