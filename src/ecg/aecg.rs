//! HL7 v3 Annotated ECG (aECG, `PORT_MT020001`) reader.
//!
//! The document is read in one streaming pass (quick-xml events, no DOM): the `series` with code
//! `RHYTHM` (or any other code but `REPRESENTATIVE_BEAT`) becomes [`Ecg::rhythm`], a
//! `REPRESENTATIVE_BEAT` series (also as `derivation/derivedSeries`) becomes [`Ecg::median`].
//! In a `sequenceSet` the `TIME_ABSOLUTE` / `TIME_RELATIVE` sequence (`GLIST_TS` / `GLIST_PQ`)
//! gives the sampling interval (`increment`); every `MDC_ECG_LEAD_*` sequence (`SLIST_PQ` /
//! `SLIST_INT`) gives µV = origin + scale × digit, units uV, mV, V or nV. Elements are matched by
//! local name, so any namespace prefix works.
//!
//! Also read: subject id, name, birth time, sex and reported age; acquisition time; device
//! (model, software, manufacturer, serial); trial or testing site; filter settings; global
//! measurements (`MDC_ECG_HEART_RATE`, `MDC_ECG_TIME_PD_RR/PR/QRS/QT/QTc*`,
//! `MDC_ECG_ANGLE_P/QRS/T_FRONT`, with or without `_GL`) outside per-beat (`MDC_ECG_BEAT`) and
//! per-lead annotations, values of a human reader winning over the device's; and
//! `MDC_ECG_INTERPRETATION*` statements.
//!
//! Not whole ([`Ecg::defects`]): leads of one series holding different numbers of samples (a
//! lead cut short); a rhythm series whose leads hold more or fewer samples than its
//! `effectiveTime` (`low`…`high`) lasts at its sampling rate, beyond the precision of the two
//! timestamps and one sample. Errors: digits that are not numbers, XML cut short (an unclosed
//! document), no rhythm series. Limits: the digits of every sequence are counted as they are
//! parsed, before they are stored, and a lead or a document beyond
//! [`check_sample_counts`](super::check_sample_counts) is refused at once ([`EcgError::TooLarge`]).

use std::borrow::Cow;

use chrono::{NaiveDate, NaiveDateTime};
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use super::{Ecg, EcgError, Format, Lead, Measurements, Sex, Waveform, leads};

/// Read an HL7 v3 Annotated ECG document.
pub fn read(bytes: &[u8]) -> Result<Ecg, EcgError> {
    read_within(bytes, Limits::default())
}

/// Sample limits beyond [`check_sample_counts`](super::check_sample_counts): the production
/// path uses the documented ones only ([`Limits::default`]); tests set smaller ones.
#[derive(Debug, Clone, Copy)]
struct Limits {
    per_lead: u64,
    total: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            per_lead: super::MAX_SAMPLES_PER_LEAD as u64,
            total: super::MAX_SAMPLES_TOTAL as u64,
        }
    }
}

impl Limits {
    /// Refuse a lead of `per_lead` samples or a document of `total` beyond the limits.
    fn check(self, per_lead: u64, total: u64) -> Result<(), EcgError> {
        super::check_sample_counts(Format::Aecg, per_lead, total)?;
        if per_lead > self.per_lead || total > self.total {
            return Err(EcgError::TooLarge {
                format: Format::Aecg,
                reason: format!(
                    "a lead of {per_lead} or {total} samples in all (at most {} and {})",
                    self.per_lead, self.total
                ),
            });
        }
        Ok(())
    }
}

/// A separator between digits.
fn is_separator(b: u8) -> bool {
    b.is_ascii_whitespace() || b == b','
}

/// How many tokens (runs of non-separators) `s` holds.
fn count_tokens(s: &str) -> usize {
    let mut n = 0;
    let mut after_separator = true;
    for &b in s.as_bytes() {
        let sep = is_separator(b);
        if !sep && after_separator {
            n += 1;
        }
        after_separator = sep;
    }
    n
}

/// [`read`] within `limits`.
fn read_within(bytes: &[u8], limits: Limits) -> Result<Ecg, EcgError> {
    let text = decode(bytes)?;
    let mut parser = Parser {
        limits,
        ..Parser::default()
    };
    let mut reader = Reader::from_str(&text);
    loop {
        let event = reader.read_event().map_err(|e| {
            bad(format!(
                "XML error near byte {}: {e}",
                reader.error_position()
            ))
        })?;
        match event {
            Event::Start(e) => parser.open(&e)?,
            Event::Empty(e) => {
                parser.open(&e)?;
                parser.close()?;
            }
            Event::End(_) => parser.close()?,
            Event::Text(t) => parser.text(&t.xml10_content())?,
            Event::CData(t) => parser.text(&t)?,
            Event::GeneralRef(r) => {
                let resolved = if r.is_char_ref() {
                    r.resolve_char_ref()
                        .ok()
                        .flatten()
                        .map(|c| Cow::Owned(c.to_string()))
                } else {
                    quick_xml::escape::resolve_predefined_entity(&r).map(Cow::Borrowed)
                };
                match resolved {
                    Some(s) => parser.text(&s)?,
                    None => parser.text("\u{fffd}")?,
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    parser.finish()
}

fn bad(reason: impl Into<String>) -> EcgError {
    EcgError::malformed(Format::Aecg, reason)
}

/// The document as UTF-8 text: UTF-8 (with or without BOM), UTF-16 with BOM, or the encoding
/// named in the XML declaration.
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, EcgError> {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let body = bytes.get(bom..).unwrap_or_default();
        let (text, had_errors) = enc.decode_without_bom_handling(body);
        if had_errors {
            return Err(bad(format!("invalid {} text", enc.name())));
        }
        return Ok(text);
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(Cow::Borrowed(s));
    }
    // A declared 8-bit encoding (ISO-8859-1, windows-1252...).
    let head =
        String::from_utf8_lossy(bytes.get(..bytes.len().min(200)).unwrap_or_default()).into_owned();
    let label = head
        .find("encoding=")
        .and_then(|i| head.get(i + 9..))
        .and_then(|rest| {
            let quote = rest.chars().next()?;
            let rest = rest.get(1..)?;
            rest.find(quote).and_then(|end| rest.get(..end))
        })
        .and_then(|l| encoding_rs::Encoding::for_label(l.as_bytes()));
    match label {
        Some(enc) if enc != encoding_rs::UTF_8 => Ok(Cow::Owned(
            enc.decode_without_bom_handling(bytes).0.into_owned(),
        )),
        _ => Err(bad("not UTF-8 text and no other encoding declared")),
    }
}

/// An attribute by local name, trimmed.
fn attr(e: &BytesStart<'_>, key: &str) -> Option<String> {
    let mut attrs = e.attributes();
    attrs.with_checks(false);
    for a in attrs.flatten() {
        if a.key.local_name().as_ref() == key {
            return a
                .normalized_value(XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.trim().to_owned());
        }
    }
    None
}

/// A PQ-like `value` + `unit` pair.
fn pq(e: &BytesStart<'_>) -> Option<(f64, String)> {
    let v = attr(e, "value")?
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())?;
    Some((v, attr(e, "unit").unwrap_or_default()))
}

/// µV per unit of a voltage unit.
fn uv_per(unit: &str) -> Option<f64> {
    match unit.trim() {
        "uV" | "\u{b5}V" | "\u{3bc}V" | "microvolt" => Some(1.0),
        "nV" => Some(1e-3),
        "mV" => Some(1e3),
        "V" => Some(1e6),
        _ => None,
    }
}

/// HL7 TS (`YYYYMMDDHHMMSS.UUUU[+|-ZZzz]`) as a date and time; needs at least minutes.
fn parse_ts(value: &str) -> Option<NaiveDateTime> {
    let v = value.trim();
    let main = v.split(['+', '-']).next()?;
    let (digits, frac) = match main.split_once('.') {
        Some((d, f)) => (d, f),
        None => (main, ""),
    };
    if digits.len() < 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let num = |a: usize, b: usize| digits.get(a..b).and_then(|s| s.parse::<u32>().ok());
    let date = NaiveDate::from_ymd_opt(num(0, 4)? as i32, num(4, 6)?, num(6, 8)?)?;
    let sec = if digits.len() >= 14 { num(12, 14)? } else { 0 };
    let nanos = if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
        0
    } else {
        let mut f: String = frac.chars().take(9).collect();
        while f.len() < 9 {
            f.push('0');
        }
        f.parse::<u32>().unwrap_or(0)
    };
    date.and_hms_nano_opt(num(8, 10)?, num(10, 12)?, sec, nanos)
}

/// HL7 TS as a date and time with its precision in seconds (1 for whole seconds, 0.001 for
/// milliseconds, 60 without seconds).
fn ts_with_precision(value: &str) -> Option<(NaiveDateTime, f64)> {
    let t = parse_ts(value)?;
    let main = value.trim().split(['+', '-']).next()?;
    let precision = match main.split_once('.') {
        Some((_, f)) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
            10f64.powi(-(f.len().min(9) as i32))
        }
        _ if main.len() >= 14 => 1.0,
        _ => 60.0,
    };
    Some((t, precision))
}

/// HL7 TS as a date (day precision at least).
fn parse_date(value: &str) -> Option<NaiveDate> {
    let d = value.trim().get(..8)?;
    if !d.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::from_ymd_opt(
        d.get(0..4)?.parse().ok()?,
        d.get(4..6)?.parse().ok()?,
        d.get(6..8)?.parse().ok()?,
    )
}

/// One open element: local name and the `code` attribute of its `code` child, once seen.
struct Frame {
    name: String,
    code: Option<String>,
}

#[derive(Default)]
struct SeriesState {
    depth: usize,
    code: Option<String>,
    rate_hz: Option<f64>,
    leads: Vec<Lead>,
    sets: usize,
    /// `effectiveTime/low` and `high`, each with the precision of its timestamp in seconds.
    low: Option<(NaiveDateTime, f64)>,
    high: Option<(NaiveDateTime, f64)>,
}

#[derive(Default)]
struct SeqState {
    depth: usize,
    code: Option<String>,
    increment: Option<(f64, String)>,
    origin: Option<(f64, String)>,
    scale: Option<(f64, String)>,
    head: Option<String>,
    digits: Vec<f64>,
    partial: String,
    has_digits: bool,
}

impl SeqState {
    fn feed(&mut self, s: &str) -> Result<(), EcgError> {
        let mut pieces = s.split(|c: char| c.is_ascii_whitespace() || c == ',');
        if let Some(first) = pieces.next() {
            self.partial.push_str(first);
        }
        for p in pieces {
            self.flush()?;
            self.partial.push_str(p);
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), EcgError> {
        if self.partial.is_empty() {
            return Ok(());
        }
        let tok = self.partial.as_str();
        let v = match tok.parse::<i64>() {
            Ok(i) => i as f64,
            Err(_) => tok
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    let shown: String = tok.chars().take(20).collect();
                    bad(format!(
                        "invalid digit {shown:?} in sequence {}",
                        self.code.as_deref().unwrap_or("(no code)")
                    ))
                })?,
        };
        self.digits.push(v);
        self.partial.clear();
        Ok(())
    }
}

struct AnnState {
    depth: usize,
    code: Option<String>,
    in_beat: bool,
    lead_roi: bool,
    value: Option<(f64, String)>,
    value_code: Option<String>,
    value_text: String,
}

#[derive(Default)]
struct Sink {
    m: Measurements,
    statements: Vec<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Capture {
    FamilyName,
    GivenName,
    PlainName,
    Model,
    Software,
    Manufacturer,
    TrialSite,
    TestingSite,
    AnnValue,
}

#[derive(Default)]
struct Parser {
    stack: Vec<Frame>,
    root_seen: bool,
    series: Vec<SeriesState>,
    seq: Option<SeqState>,
    digits_depth: Option<usize>,
    anns: Vec<AnnState>,
    ann_set: Option<(usize, bool)>,
    capture: Option<(usize, Capture, String)>,
    ecg: Option<Ecg>,
    name_parts: (Vec<String>, Vec<String>, String),
    series_time: Option<NaiveDateTime>,
    head_time: Option<NaiveDateTime>,
    trial_site: Option<String>,
    testing_site: Option<String>,
    rhythm_count: usize,
    median_count: usize,
    machine: Sink,
    expert: Sink,
    unknown_sequences: Vec<String>,
    limits: Limits,
    /// Digits of the sequences ended so far (all of them count towards the limit).
    total_digits: u64,
}

impl Parser {
    fn ecg(&mut self) -> &mut Ecg {
        self.ecg.get_or_insert_with(|| Ecg::new(Format::Aecg))
    }

    fn parent(&self) -> Option<&str> {
        self.stack.last().map(|f| f.name.as_str())
    }

    /// The stack ends with these element names (innermost last).
    fn ends_with(&self, path: &[&str]) -> bool {
        path.len() <= self.stack.len()
            && self.stack[self.stack.len() - path.len()..]
                .iter()
                .zip(path)
                .all(|(f, p)| f.name == *p)
    }

    fn in_first_series(&self) -> bool {
        self.series.len() == 1 && self.rhythm_count + self.median_count == 0
    }

    fn open(&mut self, e: &BytesStart<'_>) -> Result<(), EcgError> {
        let local = e.local_name();
        let name: &str = local.as_ref();
        if !self.root_seen {
            if name != "AnnotatedECG" {
                return Err(bad(format!("root element is <{name}>, not <AnnotatedECG>")));
            }
            self.root_seen = true;
            self.ecg();
        }
        let depth = self.stack.len() + 1;
        let parent = self.parent().unwrap_or("").to_owned();
        match name {
            "code" => self.on_code(&parent, attr(e, "code").unwrap_or_default()),
            "series" | "derivedSeries" => self.series.push(SeriesState {
                depth,
                ..Default::default()
            }),
            "sequenceSet" => {
                if let Some(s) = self.series.last_mut() {
                    s.sets += 1;
                    if s.sets == 2 {
                        let note =
                            "a series holds more than one sequenceSet; only the first is read";
                        self.ecg().warnings.push(note.to_owned());
                    }
                }
            }
            "sequence"
                if parent == "component" && self.series.last().is_some_and(|s| s.sets == 1) =>
            {
                self.seq = Some(SeqState {
                    depth,
                    ..Default::default()
                });
            }
            "head" | "increment" | "origin" | "scale" | "digits" if parent == "value" => {
                let under_seq = self.seq.as_ref().is_some_and(|s| s.depth + 2 == depth);
                if let (true, Some(seq)) = (under_seq, self.seq.as_mut()) {
                    match name {
                        "head" => seq.head = attr(e, "value"),
                        "increment" => seq.increment = pq(e),
                        "origin" => seq.origin = pq(e),
                        "scale" => seq.scale = pq(e),
                        _ => {
                            seq.has_digits = true;
                            self.digits_depth = Some(depth);
                        }
                    }
                }
            }
            "annotationSet" => self.ann_set = Some((depth, false)),
            "assignedPerson" => {
                if let Some((d, _)) = self.ann_set
                    && self.anns.is_empty()
                    && self.stack.get(d).is_some_and(|f| f.name == "author")
                {
                    self.ann_set = Some((d, true));
                }
            }
            "annotation" => {
                let in_beat = self
                    .anns
                    .iter()
                    .any(|a| a.code.as_deref() == Some("MDC_ECG_BEAT"));
                self.anns.push(AnnState {
                    depth,
                    code: None,
                    in_beat,
                    lead_roi: false,
                    value: None,
                    value_code: None,
                    value_text: String::new(),
                });
            }
            "value" => self.on_value(e, &parent, depth),
            "id" if parent == "trialSubject" => {
                let id = attr(e, "extension")
                    .filter(|s| !s.is_empty() && !matches!(s.as_str(), "?" | "UNK" | "NA"));
                if id.is_some() {
                    self.ecg().patient.id = id;
                }
            }
            "id" if parent == "manufacturedSeriesDevice" && self.in_first_series() => {
                let id = attr(e, "extension")
                    .filter(|s| !s.is_empty() && !matches!(s.as_str(), "0" | "?" | "UNK"));
                if id.is_some() && self.ecg().device.serial.is_none() {
                    self.ecg().device.serial = id;
                }
            }
            "administrativeGenderCode" if parent == "subjectDemographicPerson" => {
                let sex = match attr(e, "code")
                    .unwrap_or_default()
                    .to_ascii_uppercase()
                    .as_str()
                {
                    "M" => Some(Sex::Male),
                    "F" => Some(Sex::Female),
                    "" => None,
                    _ => Some(Sex::Other),
                };
                self.ecg().patient.sex = sex;
            }
            "birthTime" if parent == "subjectDemographicPerson" => {
                let date = attr(e, "value").as_deref().and_then(parse_date);
                self.ecg().patient.birth_date = date;
            }
            "high" if parent == "effectiveTime" => {
                let t = attr(e, "value").as_deref().and_then(ts_with_precision);
                if let Some(s) = self.series.last_mut().filter(|s| s.depth + 2 == depth) {
                    s.high = t;
                }
            }
            "center" | "low" if parent == "effectiveTime" => {
                let value = attr(e, "value");
                let t = value.as_deref().and_then(parse_ts);
                if name == "low"
                    && let Some(s) = self.series.last_mut().filter(|s| s.depth + 2 == depth)
                {
                    s.low = value.as_deref().and_then(ts_with_precision);
                }
                if depth == 3 {
                    if self.ecg().acquired.is_none() {
                        self.ecg().acquired = t;
                    }
                } else if self.series.last().is_some_and(|s| s.depth + 2 == depth)
                    && self.series_time.is_none()
                {
                    self.series_time = t;
                }
            }
            "name" if parent == "subjectDemographicPerson" => {
                self.capture = Some((depth, Capture::PlainName, String::new()))
            }
            "family" if self.ends_with(&["subjectDemographicPerson", "name"]) => {
                self.capture = Some((depth, Capture::FamilyName, String::new()))
            }
            "given" if self.ends_with(&["subjectDemographicPerson", "name"]) => {
                self.capture = Some((depth, Capture::GivenName, String::new()))
            }
            "manufacturerModelName"
                if parent == "manufacturedSeriesDevice" && self.in_first_series() =>
            {
                self.capture = Some((depth, Capture::Model, String::new()))
            }
            "softwareName" if parent == "manufacturedSeriesDevice" && self.in_first_series() => {
                self.capture = Some((depth, Capture::Software, String::new()))
            }
            "name" if parent == "manufacturerOrganization" && self.in_first_series() => {
                self.capture = Some((depth, Capture::Manufacturer, String::new()))
            }
            "name" if self.ends_with(&["trialSite", "location"]) => {
                self.capture = Some((depth, Capture::TrialSite, String::new()))
            }
            "name" if self.ends_with(&["testingSite", "location"]) => {
                self.capture = Some((depth, Capture::TestingSite, String::new()))
            }
            _ => {}
        }
        self.stack.push(Frame {
            name: name.to_owned(),
            code: None,
        });
        Ok(())
    }

    fn on_code(&mut self, parent: &str, code: String) {
        if let Some(f) = self.stack.last_mut()
            && f.code.is_none()
        {
            f.code = Some(code.clone());
        }
        let depth = self.stack.len();
        match parent {
            "series" | "derivedSeries" => {
                if let Some(s) = self.series.last_mut().filter(|s| s.depth == depth) {
                    s.code.get_or_insert(code);
                }
            }
            "sequence" => {
                if let Some(s) = self.seq.as_mut().filter(|s| s.depth == depth) {
                    s.code.get_or_insert(code);
                }
            }
            "annotation" => {
                if let Some(a) = self.anns.last_mut().filter(|a| a.depth == depth) {
                    a.code.get_or_insert(code);
                }
            }
            "boundary" => {
                if code.to_ascii_uppercase().contains("_ECG_LEAD_")
                    && let Some(a) = self.anns.last_mut()
                {
                    a.lead_roi = true;
                }
            }
            _ => {}
        }
    }

    fn on_value(&mut self, e: &BytesStart<'_>, parent: &str, depth: usize) {
        let parent_code = self
            .stack
            .last()
            .and_then(|f| f.code.clone())
            .unwrap_or_default();
        match parent {
            "annotation" => {
                if let Some(a) = self.anns.last_mut().filter(|a| a.depth + 1 == depth) {
                    a.value = pq(e);
                    a.value_code = attr(e, "displayName")
                        .or_else(|| attr(e, "code"))
                        .filter(|s| !s.is_empty());
                    self.capture = Some((depth, Capture::AnnValue, String::new()));
                }
            }
            "controlVariable" if self.series.len() == 1 => {
                let upper = parent_code.to_ascii_uppercase();
                if !(upper.ends_with("_CUTOFF_FREQ") || upper.ends_with("_NOTCH_FREQ")) {
                    return;
                }
                let Some((mut hz, unit)) = pq(e) else { return };
                match unit.as_str() {
                    "Hz" | "" => {}
                    "kHz" => hz *= 1000.0,
                    "mHz" => hz /= 1000.0,
                    _ => return,
                }
                if hz <= 0.0 {
                    return;
                }
                let kind = self
                    .stack
                    .iter()
                    .rev()
                    .skip(1)
                    .find(|f| f.name == "controlVariable")
                    .and_then(|f| f.code.clone());
                let kind = kind.unwrap_or_default().to_ascii_uppercase();
                let f = &mut self.ecg().filters;
                if kind.ends_with("_FILTER_LOW_PASS") {
                    f.lowpass_hz.get_or_insert(hz);
                } else if kind.ends_with("_FILTER_HIGH_PASS") {
                    f.highpass_hz.get_or_insert(hz);
                } else if kind.ends_with("_FILTER_NOTCH") {
                    f.notch_hz.get_or_insert(hz);
                }
            }
            "relatedObservation" if parent_code == "21612-7" => {
                if let Some((v, unit)) = pq(e) {
                    let factor = match unit.as_str() {
                        "a" | "yr" | "" => Some(1.0),
                        "mo" => Some(1.0 / 12.0),
                        "wk" => Some(7.0 / 365.25),
                        "d" => Some(1.0 / 365.25),
                        "h" => Some(1.0 / 8766.0),
                        _ => None,
                    };
                    if let Some(f) = factor {
                        self.ecg().patient.age_years = Some(v * f);
                    }
                }
            }
            _ => {}
        }
    }

    fn text(&mut self, s: &str) -> Result<(), EcgError> {
        if self.digits_depth.is_some() {
            if let Some(seq) = self.seq.as_mut() {
                // Count before storing: the lead's samples after this text, its last token
                // (maybe continued by the next text) included.
                let continues = !seq.partial.is_empty()
                    && s.as_bytes().first().is_some_and(|&b| !is_separator(b));
                let after =
                    seq.digits.len() + usize::from(!seq.partial.is_empty()) + count_tokens(s)
                        - usize::from(continues);
                self.limits
                    .check(after as u64, self.total_digits.saturating_add(after as u64))?;
                // One big text (the usual case): exactly its size. Many small ones (digits
                // broken by comments or entities): amortised, never one reallocation per piece.
                let extra = after.saturating_sub(seq.digits.len());
                if extra > seq.digits.len() {
                    seq.digits.reserve_exact(extra);
                } else {
                    seq.digits.reserve(extra);
                }
                seq.feed(s)?;
            }
            return Ok(());
        }
        if let Some((_, _, buf)) = self.capture.as_mut()
            && buf.len() < 65536
        {
            buf.push_str(s);
        }
        Ok(())
    }

    fn close(&mut self) -> Result<(), EcgError> {
        let depth = self.stack.len();
        if self.stack.pop().is_none() {
            return Err(bad("unbalanced end tag"));
        }
        if self.digits_depth == Some(depth) {
            self.digits_depth = None;
            if let Some(seq) = self.seq.as_mut() {
                seq.flush()?;
            }
        }
        if let Some((d, _, _)) = &self.capture
            && *d == depth
            && let Some((_, what, text)) = self.capture.take()
        {
            self.captured(what, text);
        }
        if self.seq.as_ref().is_some_and(|s| s.depth == depth)
            && let Some(seq) = self.seq.take()
        {
            self.total_digits = self.total_digits.saturating_add(seq.digits.len() as u64);
            self.end_sequence(seq)?;
        }
        if self.anns.last().is_some_and(|a| a.depth == depth)
            && let Some(ann) = self.anns.pop()
        {
            self.end_annotation(ann);
        }
        if self.ann_set.is_some_and(|(d, _)| d == depth) {
            self.ann_set = None;
        }
        if self.series.last().is_some_and(|s| s.depth == depth)
            && let Some(series) = self.series.pop()
        {
            self.end_series(series);
        }
        Ok(())
    }

    fn captured(&mut self, what: Capture, text: String) {
        let t = text.split_whitespace().collect::<Vec<_>>().join(" ");
        match what {
            Capture::AnnValue => {
                if let Some(a) = self.anns.last_mut() {
                    a.value_text = t;
                }
                return;
            }
            Capture::FamilyName => return self.name_parts.0.push(t),
            Capture::GivenName => return self.name_parts.1.push(t),
            Capture::PlainName => return self.name_parts.2 = t,
            _ => {}
        }
        if t.is_empty() {
            return;
        }
        let ecg = self.ecg();
        match what {
            Capture::Model => ecg.device.model = Some(t),
            Capture::Software => ecg.device.software = Some(t),
            Capture::Manufacturer => ecg.device.manufacturer = Some(t),
            Capture::TrialSite => self.trial_site = Some(t),
            Capture::TestingSite => self.testing_site = Some(t),
            _ => {}
        }
    }

    fn end_sequence(&mut self, seq: SeqState) -> Result<(), EcgError> {
        let code = seq.code.clone().unwrap_or_default();
        let upper = code.to_ascii_uppercase();
        let Some(series) = self.series.last_mut() else {
            return Ok(());
        };
        if upper.starts_with("TIME_") {
            if series.rate_hz.is_some() {
                return Ok(());
            }
            if let Some((inc, unit)) = &seq.increment {
                let seconds = match unit.as_str() {
                    "s" => Some(1.0),
                    "ms" => Some(1e-3),
                    "us" | "\u{b5}s" | "\u{3bc}s" => Some(1e-6),
                    _ => None,
                };
                let Some(factor) = seconds else {
                    return Err(bad(format!("time increment unit {unit:?} not supported")));
                };
                let rate = 1.0 / (inc * factor);
                if !(rate.is_finite() && rate > 0.0) {
                    return Err(bad(format!("invalid time increment {inc} {unit}")));
                }
                let rounded = rate.round();
                series.rate_hz = Some(if (rate - rounded).abs() < 1e-6 * rate.max(1.0) {
                    rounded
                } else {
                    rate
                });
            }
            if upper == "TIME_ABSOLUTE" && self.head_time.is_none() {
                self.head_time = seq.head.as_deref().and_then(parse_ts);
            }
            return Ok(());
        }
        let Some(pos) = upper.find("_ECG_LEAD_") else {
            if !code.is_empty() && !self.unknown_sequences.contains(&code) {
                self.unknown_sequences.push(code);
            }
            return Ok(());
        };
        if !seq.has_digits {
            return Err(bad(format!("lead sequence {code} has no digits")));
        }
        // A known lead by its code, or by what follows `_ECG_LEAD_` (a code with stray text
        // before it), under its usual name; else that text as it is.
        let suffix = code.get(pos + "_ECG_LEAD_".len()..).unwrap_or(&code);
        let name = match leads::by_mdc(&code).or_else(|| leads::by_mdc(suffix)) {
            Some(l) => l.name.to_owned(),
            None => suffix.to_owned(),
        };
        let mut warn = Vec::new();
        let mut to_uv = |pq: &Option<(f64, String)>, what: &str, default: f64| -> f64 {
            match pq {
                None => default,
                Some((v, unit)) => match uv_per(unit) {
                    Some(f) => v * f,
                    None => {
                        warn.push(format!(
                            "lead {name}: {what} unit {unit:?} is not a voltage; taken as uV"
                        ));
                        *v
                    }
                },
            }
        };
        let scale = to_uv(&seq.scale, "scale", 1.0);
        let origin = to_uv(&seq.origin, "origin", 0.0);
        // In place: no second copy of a long lead.
        let samples_uv = seq.digits.into_iter().map(|d| origin + scale * d).collect();
        series.leads.push(Lead { name, samples_uv });
        self.ecg().warnings.extend(warn);
        Ok(())
    }

    fn end_annotation(&mut self, ann: AnnState) {
        let code = ann.code.unwrap_or_default();
        let sink = if self.ann_set.is_some_and(|(_, expert)| expert) {
            &mut self.expert
        } else {
            &mut self.machine
        };
        let upper = code.to_ascii_uppercase();
        if matches!(
            upper.as_str(),
            "MDC_ECG_INTERPRETATION"
                | "MDC_ECG_INTERPRETATION_STATEMENT"
                | "MDC_ECG_INTERPRETATION_SUMMARY"
        ) {
            let text = if ann.value_text.is_empty() {
                ann.value_code.unwrap_or_default()
            } else {
                ann.value_text
            };
            if !text.is_empty() && !sink.statements.contains(&text) {
                sink.statements.push(text);
            }
            return;
        }
        if ann.in_beat || ann.lead_roi {
            return;
        }
        let Some((v, unit)) = ann.value else { return };
        let base = code.strip_suffix("_GL").unwrap_or(&code);
        let time = || match unit.as_str() {
            "ms" | "" => Some(v),
            "s" => Some(v * 1000.0),
            "us" => Some(v / 1000.0),
            _ => None,
        };
        let angle = || match unit.as_str() {
            "deg" | "" | "\u{b0}" => Some(v),
            "rad" => Some(v.to_degrees()),
            _ => None,
        };
        let m = &mut sink.m;
        let (slot, value) = match base {
            "MDC_ECG_HEART_RATE" => (
                &mut m.heart_rate_bpm,
                match unit.as_str() {
                    "bpm" | "/min" | "1/min" | "{beats}/min" | "{beat}/min" | "" => Some(v),
                    "Hz" | "/s" => Some(v * 60.0),
                    _ => None,
                },
            ),
            "MDC_ECG_TIME_PD_RR" => (&mut m.rr_ms, time()),
            "MDC_ECG_TIME_PD_PR" => (&mut m.pr_ms, time()),
            "MDC_ECG_TIME_PD_QRS" => (&mut m.qrs_ms, time()),
            "MDC_ECG_TIME_PD_QT" => (&mut m.qt_ms, time()),
            "MDC_ECG_TIME_PD_QTc"
            | "MDC_ECG_TIME_PD_QTcB"
            | "MDC_ECG_TIME_PD_QTcF"
            | "MDC_ECG_TIME_PD_QTcH" => (&mut m.qtc_ms, time()),
            "MDC_ECG_ANGLE_P_FRONT" => (&mut m.p_axis_deg, angle()),
            "MDC_ECG_ANGLE_QRS_FRONT" => (&mut m.qrs_axis_deg, angle()),
            "MDC_ECG_ANGLE_T_FRONT" => (&mut m.t_axis_deg, angle()),
            _ => return,
        };
        match value {
            Some(v) => {
                slot.get_or_insert(v);
            }
            None => {
                let note = format!("{code}: unit {unit:?} not understood; value ignored");
                self.ecg().warnings.push(note);
            }
        }
    }

    fn end_series(&mut self, series: SeriesState) {
        let code = series.code.unwrap_or_default().to_ascii_uppercase();
        let median = code == "REPRESENTATIVE_BEAT";
        if series.leads.is_empty() {
            return;
        }
        let Some(rate) = series.rate_hz else {
            let note = format!(
                "{} series without a time increment ignored",
                if median {
                    "representative beat"
                } else {
                    "rhythm"
                }
            );
            self.ecg().warnings.push(note);
            return;
        };
        let lens: Vec<usize> = series.leads.iter().map(|l| l.samples_uv.len()).collect();
        let uneven = lens.iter().any(|n| Some(n) != lens.first());
        let wave = Waveform {
            sampling_rate_hz: rate,
            leads: series.leads,
        };
        let label = if median {
            "representative beat"
        } else {
            "rhythm"
        };
        if uneven {
            let note = format!("{label} leads differ in length ({lens:?}): a lead is cut short");
            self.ecg().defects.push(note);
        }
        if !median && let (Some((low, p_low)), Some((high, p_high))) = (series.low, series.high) {
            let seconds = (high - low).num_microseconds().map(|us| us as f64 / 1e6);
            let held = lens.iter().copied().max().unwrap_or(0) as f64;
            if let Some(d) = seconds.filter(|d| *d > 0.0) {
                let p = p_low.max(p_high);
                if held < (d - p) * rate - 1.0 || held > (d + p) * rate + 1.0 {
                    let note = format!(
                        "the rhythm series lasts {d} s by its effectiveTime ({} samples at {rate} Hz) but its leads hold {held}",
                        (d * rate).round()
                    );
                    self.ecg().defects.push(note);
                }
            }
        }
        if median {
            self.median_count += 1;
            if self.median_count == 1 {
                self.ecg().median = Some(wave);
            } else {
                self.ecg().warnings.push(
                    "more than one representative beat series; only the first is read".into(),
                );
            }
        } else {
            self.rhythm_count += 1;
            if self.rhythm_count == 1 {
                self.ecg().rhythm = Some(wave);
            } else {
                self.ecg()
                    .warnings
                    .push("more than one rhythm series; only the first is read".into());
            }
        }
    }

    fn finish(mut self) -> Result<Ecg, EcgError> {
        if !self.root_seen {
            return Err(bad("no <AnnotatedECG> element (empty or not XML)"));
        }
        if let Some(f) = self.stack.last() {
            return Err(bad(format!(
                "document ends inside <{}> (truncated?)",
                f.name
            )));
        }
        let (family, given, plain) = std::mem::take(&mut self.name_parts);
        let family = family
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let given = given
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let institution = self.trial_site.take().or_else(|| self.testing_site.take());
        let fallback_time = self.series_time.or(self.head_time);
        let unknown = std::mem::take(&mut self.unknown_sequences);
        let (machine, expert) = (
            std::mem::take(&mut self.machine),
            std::mem::take(&mut self.expert),
        );
        let mut ecg = self.ecg.take().unwrap_or_else(|| Ecg::new(Format::Aecg));
        if !family.is_empty() || !given.is_empty() {
            ecg.patient.family_name = Some(family).filter(|s| !s.is_empty());
            ecg.patient.given_name = Some(given).filter(|s| !s.is_empty());
        } else if !plain.is_empty() {
            ecg.patient.family_name = Some(plain);
        }
        ecg.institution = institution;
        if ecg.acquired.is_none() {
            ecg.acquired = fallback_time;
        }
        if !unknown.is_empty() {
            ecg.warnings
                .push(format!("sequences not read: {}", unknown.join(", ")));
        }
        let (e, m) = (expert.m, machine.m);
        ecg.measurements = Measurements {
            heart_rate_bpm: e.heart_rate_bpm.or(m.heart_rate_bpm),
            rr_ms: e.rr_ms.or(m.rr_ms),
            pr_ms: e.pr_ms.or(m.pr_ms),
            qrs_ms: e.qrs_ms.or(m.qrs_ms),
            qt_ms: e.qt_ms.or(m.qt_ms),
            qtc_ms: e.qtc_ms.or(m.qtc_ms),
            p_axis_deg: e.p_axis_deg.or(m.p_axis_deg),
            qrs_axis_deg: e.qrs_axis_deg.or(m.qrs_axis_deg),
            t_axis_deg: e.t_axis_deg.or(m.t_axis_deg),
        };
        ecg.statements = if expert.statements.is_empty() {
            machine.statements
        } else {
            expert.statements
        };
        if ecg.rhythm.is_none() {
            let only = if ecg.median.is_some() {
                " (only a representative beat)"
            } else {
                ""
            };
            return Err(bad(format!(
                "no rhythm series with ECG lead sequences{only}"
            )));
        }
        Ok(ecg)
    }
}

#[cfg(test)]
mod tests;
