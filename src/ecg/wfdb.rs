//! WFDB (PhysioNet) record reader: a `.hea` header and its signal files.
//!
//! Header: the record line (`name nsig [fs [nsamp [base-time [base-date]]]]`) and one line per
//! signal (`file format[xspf][:skew][+offset] gain[(baseline)][/units] adc-resolution adc-zero
//! init-value checksum block-size description`); `#` comments with `Age:`, `Sex:` and `Dx:`
//! (PhysioNet/CinC Challenge style) become the patient's age and sex and `Dx <code>` statements.
//!
//! Signals: `.dat` files in formats 16, 61, 80, 160, 212, 24 and 32 (signals sharing a file are
//! interleaved frame by frame), or a MATLAB v4 `.mat` file (the Challenge layout: one `val`
//! matrix, signals × samples, any numeric class). µV = (adc − baseline) / gain × µV per unit.
//! Multi-segment records, more than one sample per frame and the difference format 8 are
//! refused with a clear error.
//!
//! Not whole ([`Ecg::defects`]), read as far as it goes: a signal file holding fewer samples
//! per signal than the header's sample count (the whole frames there are read), a MATLAB
//! matrix cut short (its whole columns, when each column is a frame), a checksum that
//! disagrees with the samples. Limits: the header's sample count × signals (or, without one,
//! the frames the signal file holds) checked with [`check_sample_counts`](super::check_sample_counts)
//! before decoding; a signal file longer than declared is decoded only as far as declared
//! (warning).

use std::path::Path;

use chrono::{NaiveDate, NaiveTime};

use super::{Ecg, EcgError, Format, Lead, Sex, Waveform, leads};
use crate::input::Input;

/// Bytes read from a signal file beyond what the header declares (a MATLAB header's variable
/// name, rounding).
const SIGNAL_FILE_SLACK: u64 = 4096;

/// Read a WFDB record from its header's bytes; its signal files (format 16 or 212 `.dat`, also
/// 61, 80, 160, 24, 32, or a MATLAB v4 `.mat`) are fetched by name through `fetch(name,
/// max_bytes)`, which reads them from the header's own container (see
/// [`crate::input::Input::companion`]) and never more than `max_bytes`: what the header
/// declares (samples × signals × bytes per sample + byte offset), or, without a sample count,
/// the sample limits of [`super::MAX_SAMPLES_PER_LEAD`] and [`super::MAX_SAMPLES_TOTAL`].
pub fn read(
    header: &[u8],
    mut fetch: impl FnMut(&str, u64) -> Result<Vec<u8>, EcgError>,
) -> Result<Ecg, EcgError> {
    let text = String::from_utf8_lossy(header);
    let hdr = parse_header(&text)?;
    let nsig = hdr.signals.len() as u64;
    // The most frames a signal file is read for: the declared count, or the limits.
    let frames_cap = match hdr.nsamp {
        Some(n) if n > 0 => {
            let n = n as u64;
            super::check_sample_counts(Format::Wfdb, n, n.saturating_mul(nsig))?;
            n
        }
        _ => {
            (super::MAX_SAMPLES_PER_LEAD as u64).min(super::MAX_SAMPLES_TOTAL as u64 / nsig.max(1))
        }
    };
    let mut ecg = Ecg::new(Format::Wfdb);
    read_comments(&hdr.comments, &mut ecg);
    if let (Some(d), Some(t)) = (hdr.base_date, hdr.base_time) {
        ecg.acquired = Some(d.and_time(t));
    }

    // Signals sharing a file, in order of first appearance.
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, s) in hdr.signals.iter().enumerate() {
        match groups.iter_mut().find(|(f, _)| *f == s.file) {
            Some((_, v)) => v.push(i),
            None => groups.push((s.file.clone(), vec![i])),
        }
    }
    let mut adc: Vec<Vec<f64>> = vec![Vec::new(); hdr.signals.len()];
    let mut nsamp = hdr.nsamp;
    for (file, members) in &groups {
        let first = members
            .first()
            .and_then(|&i| hdr.signals.get(i))
            .ok_or_else(|| bad("empty signal group"))?;
        if members
            .iter()
            .any(|&i| hdr.signals.get(i).is_some_and(|s| s.fmt != first.fmt))
        {
            return Err(bad(format!("signals in {file} use different formats")));
        }
        if members
            .iter()
            .any(|&i| hdr.signals.get(i).is_some_and(|s| s.skew != 0))
        {
            ecg.warnings
                .push(format!("skew of the signals in {file} ignored"));
        }
        let declared = nsamp.filter(|&n| n > 0);
        let shape = Shape {
            width: members.len(),
            signals: hdr.signals.len(),
            nsamp: declared,
        };
        let (stream, notes) = read_stream(&mut fetch, file, first, shape, frames_cap)?;
        ecg.warnings.extend(notes.warnings);
        ecg.defects.extend(notes.defects);
        let width = members.len();
        let frames = stream.len() / width;
        let n = match nsamp {
            Some(n) if n > 0 => n,
            _ => frames,
        };
        if frames < n {
            if frames == 0 {
                return Err(bad(format!(
                    "signal file {file} holds no samples, the header declares {n}"
                )));
            }
            ecg.defects.push(format!(
                "signal file {file} holds {frames} samples per signal, the header declares {n} (cut short: {frames} read)"
            ));
        }
        nsamp = Some(n);
        for (k, &i) in members.iter().enumerate() {
            let mut col = Vec::with_capacity(n.min(frames));
            col.extend(stream.iter().skip(k).step_by(width).take(n).copied());
            if let Some(slot) = adc.get_mut(i) {
                *slot = col;
            }
        }
    }

    // All leads as long as the shortest signal file allows.
    let n = adc.iter().map(Vec::len).min().unwrap_or(0);
    for col in &mut adc {
        col.truncate(n);
    }
    if n == 0 || nsamp.unwrap_or(0) == 0 {
        return Err(bad("the record holds no samples"));
    }
    let mut out = Vec::with_capacity(hdr.signals.len());
    for (i, (s, values)) in hdr.signals.iter().zip(adc).enumerate() {
        let name = if s.description.is_empty() {
            format!("Ch{i}")
        } else {
            leads::canonical_name(&s.description)
        };
        // The checksum covers all the declared samples: not checkable on a signal cut short.
        if let Some(sum) = s.checksum
            && hdr
                .nsamp
                .filter(|&d| d > 0)
                .is_none_or(|d| values.len() == d)
            && values.iter().all(|v| v.fract() == 0.0)
        {
            let total = values
                .iter()
                .fold(0i64, |acc, v| acc.wrapping_add(*v as i64));
            if (total - sum) & 0xFFFF != 0 {
                ecg.defects.push(format!(
                    "checksum mismatch in signal {name} (header {sum}, data {})",
                    total as i16
                ));
            }
        }
        if let Some(invalid) = invalid_sample(s.fmt) {
            let count = values.iter().filter(|v| **v == invalid).count();
            if count > 0 {
                ecg.warnings.push(format!(
                    "signal {name}: {count} invalid-sample markers ({invalid}) kept as values"
                ));
            }
        }
        let gain = if s.gain == 0.0 {
            ecg.warnings.push(format!(
                "signal {name} has no ADC gain; the WFDB default 200 per unit is used"
            ));
            200.0
        } else {
            s.gain
        };
        let per_unit = match s.units.as_str() {
            "mV" => 1000.0,
            "uV" | "\u{b5}V" | "\u{3bc}V" => 1.0,
            "V" => 1e6,
            "nV" => 1e-3,
            other => {
                ecg.warnings.push(format!(
                    "signal {name} is in {other:?}, not a voltage; taken as mV"
                ));
                1000.0
            }
        };
        let baseline = s.baseline as f64;
        let samples_uv = values
            .iter()
            .map(|v| (v - baseline) / gain * per_unit)
            .collect();
        out.push(Lead { name, samples_uv });
    }
    ecg.rhythm = Some(Waveform {
        sampling_rate_hz: hdr.fs,
        leads: out,
    });
    Ok(ecg)
}

fn bad(reason: impl Into<String>) -> EcgError {
    EcgError::malformed(Format::Wfdb, reason)
}

struct Signal {
    file: String,
    fmt: u32,
    skew: i64,
    offset: u64,
    gain: f64,
    baseline: i64,
    units: String,
    checksum: Option<i64>,
    description: String,
}

struct Header {
    fs: f64,
    nsamp: Option<usize>,
    base_time: Option<NaiveTime>,
    base_date: Option<NaiveDate>,
    signals: Vec<Signal>,
    comments: Vec<String>,
}

fn parse_header(text: &str) -> Result<Header, EcgError> {
    let mut lines = Vec::new();
    let mut comments = Vec::new();
    for raw in text.lines() {
        let line = raw.trim();
        if let Some(c) = line.strip_prefix('#') {
            comments.push(c.trim().to_owned());
        } else if !line.is_empty() {
            // A comment may also follow the fields of a line.
            let body = line.split('#').next().unwrap_or("").trim();
            if !body.is_empty() {
                lines.push(body);
            }
        }
    }
    let Some(record) = lines.first() else {
        return Err(bad("header has no record line"));
    };
    let tok: Vec<&str> = record.split_whitespace().collect();
    let name = tok.first().copied().unwrap_or("");
    if name.contains('/') {
        return Err(bad("multi-segment records are not supported"));
    }
    let nsig: usize = tok
        .get(1)
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| bad(format!("record line {record:?} has no signal count")))?;
    if nsig == 0 {
        return Err(bad("the record has no signals"));
    }
    if nsig > 4096 {
        return Err(bad(format!("implausible signal count {nsig}")));
    }
    let fs = match tok.get(2) {
        None => 250.0,
        Some(t) => {
            let f = t.split(['/', '(']).next().unwrap_or("");
            f.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite() && *f > 0.0)
                .ok_or_else(|| bad(format!("invalid sampling frequency {t:?}")))?
        }
    };
    let nsamp = match tok.get(3) {
        None => None,
        Some(t) => Some(
            t.parse::<usize>()
                .map_err(|_| bad(format!("invalid number of samples {t:?}")))?,
        ),
    };
    let base_time = tok.get(4).and_then(|t| parse_time(t));
    let base_date = tok
        .get(5)
        .and_then(|t| NaiveDate::parse_from_str(t, "%d/%m/%Y").ok());

    let body = lines.get(1..).unwrap_or_default();
    if body.len() < nsig {
        return Err(bad(format!(
            "{nsig} signals declared, {} signal lines found",
            body.len()
        )));
    }
    if let Some(n) = nsamp {
        let n = n as u64;
        super::check_sample_counts(Format::Wfdb, n, n.saturating_mul(nsig as u64))?;
    }
    let mut signals = Vec::with_capacity(nsig);
    for line in body.iter().take(nsig) {
        signals.push(parse_signal(line)?);
    }
    Ok(Header {
        fs,
        nsamp,
        base_time,
        base_date,
        signals,
        comments,
    })
}

fn parse_time(t: &str) -> Option<NaiveTime> {
    let parts: Vec<&str> = t.split(':').collect();
    let (h, m, s) = match parts.as_slice() {
        [h, m, s] => (h.parse().ok()?, m.parse().ok()?, *s),
        [m, s] => (0, m.parse().ok()?, *s),
        _ => return None,
    };
    let secs: f64 = s
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v >= 0.0 && *v < 61.0)?;
    let whole = secs.trunc() as u32;
    let nanos = ((secs - secs.trunc()) * 1e9).round().min(999_999_999.0) as u32;
    NaiveTime::from_hms_nano_opt(h, m, whole, nanos)
}

fn parse_signal(line: &str) -> Result<Signal, EcgError> {
    let tok: Vec<&str> = line.split_whitespace().collect();
    let (Some(file), Some(fmt_field)) = (tok.first(), tok.get(1)) else {
        return Err(bad(format!("signal line too short: {line:?}")));
    };
    let invalid =
        |what: &str, t: &str| bad(format!("invalid {what} {t:?} in signal line {line:?}"));
    // format[xspf][:skew][+offset]
    let (rest, offset) = match fmt_field.split_once('+') {
        Some((a, o)) => (
            a,
            o.parse::<u64>()
                .map_err(|_| invalid("byte offset", fmt_field))?,
        ),
        None => (*fmt_field, 0),
    };
    let (rest, skew) = match rest.split_once(':') {
        Some((a, s)) => (a, s.parse::<i64>().map_err(|_| invalid("skew", fmt_field))?),
        None => (rest, 0),
    };
    let (fmt, spf) = match rest.split_once('x') {
        Some((f, n)) => (
            f,
            n.parse::<u32>()
                .map_err(|_| invalid("samples per frame", fmt_field))?,
        ),
        None => (rest, 1),
    };
    let fmt = fmt
        .parse::<u32>()
        .map_err(|_| invalid("format", fmt_field))?;
    if spf != 1 {
        return Err(bad(format!(
            "{spf} samples per frame (signal line {line:?}) are not supported"
        )));
    }
    // gain[(baseline)][/units]
    let mut gain = 0.0;
    let mut baseline = None;
    let mut units = "mV".to_owned();
    if let Some(g) = tok.get(2) {
        let (g, u) = match g.split_once('/') {
            Some((g, u)) => (g, Some(u)),
            None => (*g, None),
        };
        let (g, b) = match g.split_once('(') {
            Some((g, b)) => (g, Some(b.trim_end_matches(')'))),
            None => (g, None),
        };
        gain = g
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| invalid("ADC gain", g))?;
        if let Some(b) = b {
            baseline = Some(b.parse::<i64>().map_err(|_| invalid("baseline", b))?);
        }
        if let Some(u) = u {
            units = u.to_owned();
        }
    }
    let int = |i: usize, what: &str| -> Result<Option<i64>, EcgError> {
        tok.get(i)
            .map(|t| t.parse::<i64>().map_err(|_| invalid(what, t)))
            .transpose()
    };
    let _adc_res = int(3, "ADC resolution")?;
    let adc_zero = int(4, "ADC zero")?.unwrap_or(0);
    let _init = int(5, "initial value")?;
    let checksum = int(6, "checksum")?;
    let _block = int(7, "block size")?;
    let description = tok.get(8..).map(|d| d.join(" ")).unwrap_or_default();
    Ok(Signal {
        file: (*file).to_owned(),
        fmt,
        skew,
        offset,
        gain,
        baseline: baseline.unwrap_or(adc_zero),
        units,
        checksum,
        description,
    })
}

/// The value WFDB uses to mark an invalid sample in a format.
fn invalid_sample(fmt: u32) -> Option<f64> {
    match fmt {
        16 | 61 | 160 => Some(-32768.0),
        212 => Some(-2048.0),
        80 => Some(-128.0),
        24 => Some(-8388608.0),
        32 => Some(-2147483648.0),
        _ => None,
    }
}

/// Bytes per sample of a `.dat` storage format, as (numerator, denominator).
fn bytes_per_sample(fmt: u32) -> Option<(u64, u64)> {
    match fmt {
        80 => Some((1, 1)),
        16 | 61 | 160 => Some((2, 1)),
        212 => Some((3, 2)),
        24 => Some((3, 1)),
        32 => Some((4, 1)),
        _ => None,
    }
}

/// What reading a signal file found: odd but whole, not whole.
#[derive(Debug, Default)]
struct Notes {
    warnings: Vec<String>,
    defects: Vec<String>,
}

/// What the header says of a signal file: `width` signals in it, `signals` in the record, and
/// the sample count (per signal), if it has one.
#[derive(Debug, Clone, Copy)]
struct Shape {
    width: usize,
    signals: usize,
    nsamp: Option<usize>,
}

/// The samples of a signal file, frame-interleaved (`shape.width` signals per frame): at most
/// `shape.nsamp` frames (the header's sample count), all the file holds without one; never
/// more bytes are fetched than `frames` frames take (the declared count, or the limits).
fn read_stream(
    fetch: &mut impl FnMut(&str, u64) -> Result<Vec<u8>, EcgError>,
    file: &str,
    sig: &Signal,
    shape: Shape,
    frames: u64,
) -> Result<(Vec<f64>, Notes), EcgError> {
    if file == "~" {
        return Err(bad("null signal files (~) are not supported"));
    }
    let rel = Path::new(file);
    if rel.is_absolute()
        || rel
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(bad(format!(
            "signal file name {file:?} must be relative to the header"
        )));
    }
    let values = frames.saturating_mul(shape.width as u64);
    let cap = if file.to_ascii_lowercase().ends_with(".mat") {
        // 20-byte header, the variable name, at most 8 bytes per value.
        values
            .saturating_mul(8)
            .saturating_add(20 + SIGNAL_FILE_SLACK)
    } else {
        let (num, den) = bytes_per_sample(sig.fmt).ok_or_else(|| {
            bad(format!(
                "signal format {} is not supported (supported: 16, 61, 80, 160, 212, 24, 32)",
                sig.fmt
            ))
        })?;
        values
            .saturating_mul(num)
            .div_ceil(den)
            .saturating_add(sig.offset)
            .saturating_add(SIGNAL_FILE_SLACK)
    };
    let data = fetch(file, cap)?;
    signal_values(&data, file, sig, shape)
}

/// Bytes that `samples` samples take in a `.dat` format (`None`: not a supported format).
fn dat_bytes(fmt: u32, samples: usize) -> Option<usize> {
    match fmt {
        80 => Some(samples),
        16 | 61 | 160 => samples.checked_mul(2),
        24 => samples.checked_mul(3),
        32 => samples.checked_mul(4),
        // Two samples in three bytes; a lone last one in two.
        212 => (samples / 2)
            .checked_mul(3)
            .and_then(|b| b.checked_add(2 * (samples % 2))),
        _ => None,
    }
}

/// The samples of a signal file's bytes, frame-interleaved (`shape.width` signals per frame):
/// at most `shape.nsamp` frames, within the limits before anything is decoded.
fn signal_values(
    data: &[u8],
    file: &str,
    sig: &Signal,
    shape: Shape,
) -> Result<(Vec<f64>, Notes), EcgError> {
    let Shape {
        width,
        signals,
        nsamp,
    } = shape;
    let mut notes = Notes::default();
    if file.to_ascii_lowercase().ends_with(".mat") {
        let values = read_mat(data, file, width, nsamp, &mut notes)?;
        return Ok((values, notes));
    }
    let offset = usize::try_from(sig.offset).unwrap_or(usize::MAX);
    let body = data.get(offset..).ok_or_else(|| {
        bad(format!(
            "byte offset {} is past the end of {file}",
            sig.offset
        ))
    })?;
    let unsupported = || {
        bad(format!(
            "signal format {} is not supported (supported: 16, 61, 80, 160, 212, 24, 32)",
            sig.fmt
        ))
    };
    let width = width.max(1);
    let body = match nsamp {
        Some(n) => {
            // Only what the header declares is decoded.
            let need = n
                .checked_mul(width)
                .and_then(|s| dat_bytes(sig.fmt, s))
                .ok_or_else(unsupported)?;
            if body.len() > need {
                notes.warnings.push(format!(
                    "{} bytes of {file} after the {n} declared samples per signal ignored",
                    body.len() - need
                ));
            }
            body.get(..need).unwrap_or(body)
        }
        None => {
            // No sample count in the header: the file says how many, within the limits.
            let per_frame = dat_bytes(sig.fmt, width).ok_or_else(unsupported)?;
            let frames = (body.len() / per_frame.max(1)) as u64;
            super::check_sample_counts(
                Format::Wfdb,
                frames,
                frames.saturating_mul(signals.max(width) as u64),
            )?;
            body
        }
    };
    let values = decode(body, sig.fmt).ok_or_else(unsupported)?;
    Ok((values, notes))
}

/// Read a WFDB record from its header file on disk, its signal files from the header's folder
/// (a convenience over [`read`] through [`Input::companion`]; no strictness applied: use
/// [`crate::ecg::read`] for the front door).
pub fn read_path(header: &Path) -> Result<Ecg, EcgError> {
    let input = Input::file(header);
    let bytes = input.read().map_err(|e| {
        EcgError::Io(std::io::Error::other(format!(
            "cannot read WFDB header {}: {}",
            header.display(),
            e.reason
        )))
    })?;
    read(&bytes, |name, max| fetch_companion(&input, name, max))
}

/// A signal file of `input` (a header) through [`Input::companion`], its failure a WFDB error.
pub fn fetch_companion(input: &Input, name: &str, max_bytes: u64) -> Result<Vec<u8>, EcgError> {
    input
        .companion(name, max_bytes)
        .map_err(|e| bad(format!("cannot read signal file {}: {}", e.label, e.reason)))
}

/// Fixed-size little pieces of `b` converted by `f` (a trailing partial piece is dropped).
fn each<const N: usize>(b: &[u8], f: impl Fn([u8; N]) -> f64) -> Vec<f64> {
    b.as_chunks::<N>().0.iter().map(|c| f(*c)).collect()
}

/// Decode a byte stream of a WFDB storage format into stored sample values.
fn decode(b: &[u8], fmt: u32) -> Option<Vec<f64>> {
    Some(match fmt {
        16 => each(b, |c| f64::from(i16::from_le_bytes(c))),
        61 => each(b, |c| f64::from(i16::from_be_bytes(c))),
        160 => each(b, |c| f64::from(u16::from_le_bytes(c)) - 32768.0),
        80 => b.iter().map(|&v| f64::from(v) - 128.0).collect(),
        24 => each(b, |[x, y, z]: [u8; 3]| {
            f64::from(i32::from_le_bytes([0, x, y, z]) >> 8)
        }),
        32 => each(b, |c| f64::from(i32::from_le_bytes(c))),
        212 => {
            let twelve = |v: u16| f64::from(((v << 4) as i16) >> 4);
            let (triples, rest) = b.as_chunks::<3>();
            let mut out = Vec::with_capacity(triples.len() * 2 + 1);
            for &[b0, b1, b2] in triples {
                let (b0, b1, b2) = (u16::from(b0), u16::from(b1), u16::from(b2));
                out.push(twelve(b0 | ((b1 & 0x0F) << 8)));
                out.push(twelve(b2 | ((b1 & 0xF0) << 4)));
            }
            // A trailing pair of bytes holds one more sample.
            if let [b0, b1, ..] = rest {
                out.push(twelve(u16::from(*b0) | ((u16::from(*b1) & 0x0F) << 8)));
            }
            out
        }
        _ => return None,
    })
}

/// The first matrix of a MATLAB v4 file, frame-interleaved for `width` signals: the matrix is
/// `width` × samples (the WFDB/Challenge layout, each column a frame) or samples × `width`.
/// At most `nsamp` frames are decoded; a `width` × samples matrix cut short gives its whole
/// columns (a defect in `notes`), the other layout cut short is an error.
fn read_mat(
    data: &[u8],
    file: &str,
    width: usize,
    nsamp: Option<usize>,
    notes: &mut Notes,
) -> Result<Vec<f64>, EcgError> {
    let word = |i: usize, be: bool| -> Option<i64> {
        let b: [u8; 4] = data.get(i * 4..i * 4 + 4)?.try_into().ok()?;
        Some(i64::from(if be {
            i32::from_be_bytes(b)
        } else {
            i32::from_le_bytes(b)
        }))
    };
    let trunc = || bad(format!("{file} is too short for a MATLAB v4 matrix"));
    let le_type = word(0, false).ok_or_else(trunc)?;
    let be = !(0..1000).contains(&le_type);
    let ty = word(0, be).ok_or_else(trunc)?;
    if !(0..2000).contains(&ty) || (ty / 1000 == 1) != be {
        return Err(bad(format!(
            "{file} is not a MATLAB v4 file (type {le_type}); MATLAB v5/v7 files are not supported"
        )));
    }
    let (o, p, t) = ((ty / 100) % 10, (ty / 10) % 10, ty % 10);
    if o != 0 || t != 0 {
        return Err(bad(format!(
            "{file}: MATLAB matrix type {ty} is not a full numeric matrix"
        )));
    }
    let fields: Vec<i64> = (1..5)
        .map(|i| word(i, be))
        .collect::<Option<_>>()
        .ok_or_else(trunc)?;
    let [mrows, ncols, imagf, namlen] = fields.as_slice() else {
        return Err(trunc());
    };
    let dim =
        |v: i64| usize::try_from(v).map_err(|_| bad(format!("{file}: invalid MATLAB header")));
    let (mrows, ncols, namlen) = (dim(*mrows)?, dim(*ncols)?, dim(*namlen)?);
    if *imagf != 0 {
        return Err(bad(format!("{file}: complex MATLAB matrix")));
    }
    let size = match p {
        0 => 8,
        1 | 2 => 4,
        3 | 4 => 2,
        5 => 1,
        _ => return Err(bad(format!("{file}: MATLAB precision {p} not supported"))),
    };
    let start = 20usize.checked_add(namlen).ok_or_else(trunc)?;
    // Signals × samples with one frame per column: as many columns as declared (and held).
    let frame_columns = mrows == width && width > 0;
    let ncols = match nsamp {
        Some(n) if frame_columns && ncols > n => n,
        _ => ncols,
    };
    super::check_sample_counts(
        Format::Wfdb,
        (if frame_columns { ncols } else { mrows }) as u64,
        (mrows as u64).saturating_mul(ncols as u64),
    )?;
    let count = mrows.checked_mul(ncols).ok_or_else(trunc)?;
    let end = count
        .checked_mul(size)
        .and_then(|n| n.checked_add(start))
        .ok_or_else(trunc)?;
    let truncated = || {
        bad(format!(
            "{file} is truncated: the {mrows}x{ncols} matrix needs {end} bytes, the file has {}",
            data.len()
        ))
    };
    let body = match data.get(start..end) {
        Some(b) => b,
        None if frame_columns => {
            // Cut short: the whole columns (frames) there are.
            let held = data.len().saturating_sub(start) / (mrows * size);
            if held == 0 {
                return Err(truncated());
            }
            notes.defects.push(format!(
                "{file} is cut short: its {mrows}x{ncols} matrix needs {end} bytes, the file has {} ({held} samples per signal read)",
                data.len()
            ));
            data.get(start..start + held * mrows * size)
                .ok_or_else(truncated)?
        }
        None => return Err(truncated()),
    };
    let values: Vec<f64> = match (p, be) {
        (0, false) => each(body, f64::from_le_bytes),
        (0, true) => each(body, f64::from_be_bytes),
        (1, false) => each(body, |c| f64::from(f32::from_le_bytes(c))),
        (1, true) => each(body, |c| f64::from(f32::from_be_bytes(c))),
        (2, false) => each(body, |c| f64::from(i32::from_le_bytes(c))),
        (2, true) => each(body, |c| f64::from(i32::from_be_bytes(c))),
        (3, false) => each(body, |c| f64::from(i16::from_le_bytes(c))),
        (3, true) => each(body, |c| f64::from(i16::from_be_bytes(c))),
        (4, false) => each(body, |c| f64::from(u16::from_le_bytes(c))),
        (4, true) => each(body, |c| f64::from(u16::from_be_bytes(c))),
        _ => body.iter().map(|&v| f64::from(v)).collect(),
    };
    if values.iter().any(|v| !v.is_finite()) {
        return Err(bad(format!("{file}: the matrix holds non-finite values")));
    }
    if mrows == width {
        // Column-major signals x samples: already one frame per column.
        Ok(values)
    } else if ncols == width {
        // Samples x signals: element (sample f, signal k) is at k * mrows + f.
        let mut out = Vec::with_capacity(values.len());
        for f in 0..mrows {
            for k in 0..ncols {
                out.push(values.get(k * mrows + f).copied().unwrap_or(0.0));
            }
        }
        Ok(out)
    } else {
        Err(bad(format!(
            "{file}: the matrix is {mrows}x{ncols}, the header has {width} signals in it"
        )))
    }
}

fn read_comments(comments: &[String], ecg: &mut Ecg) {
    for (i, c) in comments.iter().enumerate() {
        let Some((key, value)) = c.split_once(':') else {
            // MIT-BIH style first comment: "69 M 1085 1629 x1".
            if i == 0 {
                let mut t = c.split_whitespace();
                if let (Some(age), Some(sex @ ("M" | "F"))) = (t.next(), t.next()) {
                    ecg.patient.age_years = age
                        .parse::<f64>()
                        .ok()
                        .filter(|a| a.is_finite() && *a >= 0.0);
                    ecg.patient.sex = Some(if sex == "M" { Sex::Male } else { Sex::Female });
                }
            }
            continue;
        };
        let value = value.trim();
        match key.trim().to_ascii_lowercase().as_str() {
            "age" => {
                ecg.patient.age_years = value
                    .parse::<f64>()
                    .ok()
                    .filter(|a| a.is_finite() && *a >= 0.0)
            }
            "sex" | "gender" => {
                ecg.patient.sex = match value.to_ascii_lowercase().as_str() {
                    "m" | "male" => Some(Sex::Male),
                    "f" | "female" => Some(Sex::Female),
                    "" | "unknown" | "nan" | "?" => None,
                    _ => Some(Sex::Other),
                }
            }
            "dx" => ecg.statements.extend(
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
                    .map(|d| format!("Dx {d}")),
            ),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
