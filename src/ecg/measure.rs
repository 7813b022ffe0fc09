//! Heart rate, RR intervals, RR irregularity and the PR, QRS, QT and QTc intervals, measured from
//! the signal (never copied from the cart's own [`super::Measurements`]).
//!
//! Method, per record:
//!
//! 1. beats from [`super::qrs::detect`] on all leads; RR intervals between successive beats;
//!    heart rate = 60 000 / median RR (ms); RR irregularity (see
//!    [`SignalMeasurements::rr_irregularity`]);
//! 2. the leads are averaged down to 250–750 Hz, baseline wander is removed (first-order
//!    0.5 Hz high-pass, forward and backward), and a window around every beat (up to 450 ms
//!    before the fiducial, up to 700 ms after, both limited by the median RR) is cut out;
//!    premature beats (RR under 85 % of the median) are left out, the others are aligned to a
//!    first median by least squares (±12 ms), beats whose QRS correlates under 0.9 with it are
//!    left out, and the median across the remaining beats (at least 3) gives the median beat of
//!    every lead;
//! 3. delineation on the median beat, all leads together:
//!    - QRS onset and offset: the spatial velocity (root of the sum over leads of the squared
//!      derivative) around the QRS falls to its floor (10th percentile over the window) plus
//!      [`QRS_THRESHOLD`] of its QRS peak above the floor, and stays there for 8 ms;
//!    - T end: the tangent at the steepest descent of the T wave in the spatial magnitude
//!      (root of the sum over leads of the squared signal, each lead referred to its PR
//!      segment) meets the magnitude's level after the T wave;
//!    - P onset: the same tangent construction on the rising limb of the P wave in that
//!      magnitude, looked for in the 300 ms before the QRS; no P (PR `None`) when the hump is
//!      under 20 µV or the rhythm is irregular (AF-like).
//!
//! PR = QRS onset − P onset; QT = T end − QRS onset; QTc by Bazett (QT / √RR) and Fridericia
//! (QT / ∛RR) with the median RR in seconds. Values outside physiological ranges (QRS 40–220,
//! QT 200–700, PR 60–400 ms) are not reported.

// `!(a > b)` is deliberate throughout: it is true for NaN, which must take the "not usable" branch.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use super::Ecg;
use super::qrs::{self, Biquad, MAX_RATE_HZ, MIN_RATE_HZ, decimate_clean, median};

/// Fraction of the QRS peak spatial velocity (above its floor) that marks QRS onset and offset.
pub const QRS_THRESHOLD: f64 = 0.04;
/// Above this [`SignalMeasurements::rr_irregularity`] the rhythm is irregular: no PR interval
/// is reported (the P waves may not belong to their beats, as in atrial fibrillation or
/// frequent ectopy), and it is the read-out's default `irregularity_above` ("Irregular rhythm",
/// [`crate::interpret`]). For RR intervals varying at random it corresponds to a normalised
/// RMSSD (RMSSD / mean RR) of about 0.12, near the 0.1 cut-offs used for atrial fibrillation
/// screening. Unit-tested on RR series: sinus rhythm with strong respiratory sinus arrhythmia
/// (±5 % over a 4 s breath, 60–100 bpm) stays under it (up to 0.05), as does one ectopic beat
/// with its pause; atrial fibrillation with RR varying uniformly by ±20 % or more is over it
/// (±15 % is borderline).
pub const IRREGULARITY_THRESHOLD: f64 = 0.08;
/// Shortest record measured, seconds.
pub const MIN_SECONDS: f64 = 2.0;

/// What was measured from one record. Fields that could not be measured reliably are `None`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SignalMeasurements {
    /// Heart rate, 60 000 / median RR (ms).
    pub hr_bpm: Option<f64>,
    /// RR intervals between successive detected beats, ms.
    pub rr_ms: Vec<f64>,
    /// RR irregularity: the median absolute difference of successive RR intervals divided by
    /// the median RR (a normalised successive difference, robust to a few ectopic beats; needs
    /// at least 4 RR intervals). See [`rr_irregularity`]; above [`IRREGULARITY_THRESHOLD`] no PR
    /// is reported.
    pub rr_irregularity: Option<f64>,
    /// PR interval (P onset to QRS onset) of the median beat, ms.
    pub pr_ms: Option<f64>,
    /// QRS duration (onset to offset) of the median beat, ms.
    pub qrs_ms: Option<f64>,
    /// QT interval (QRS onset to T end) of the median beat, ms.
    pub qt_ms: Option<f64>,
    /// QT corrected by Bazett, QT / √(RR in s), ms.
    pub qtc_bazett_ms: Option<f64>,
    /// QT corrected by Fridericia, QT / ∛(RR in s), ms.
    pub qtc_fridericia_ms: Option<f64>,
    /// Beat positions (sample indices of the input signal).
    pub beats: Vec<usize>,
    /// Leads with a usable signal (not flat, mostly finite).
    pub leads_used: usize,
}

/// Why a record could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum MeasureError {
    /// The ECG has no rhythm signal (only a median beat, or nothing).
    #[error("no rhythm signal to measure")]
    NoRhythm,
    /// No leads were given.
    #[error("no leads")]
    NoLeads,
    /// The sampling rate is not usable.
    #[error("sampling rate {0} Hz is outside {MIN_RATE_HZ}..={MAX_RATE_HZ} Hz")]
    BadRate(f64),
    /// The signal is too short.
    #[error("signal of {0:.2} s is too short (at least {MIN_SECONDS} s needed)")]
    TooShort(f64),
    /// Every lead is flat or not finite.
    #[error("every lead is flat or not finite")]
    Flat,
    /// Fewer than two beats were found.
    #[error("{0} beat(s) detected, at least 2 needed")]
    TooFewBeats(usize),
}

/// Measure an ECG's rhythm signal (all its leads).
pub fn measure(ecg: &Ecg) -> Result<SignalMeasurements, MeasureError> {
    let w = ecg.rhythm.as_ref().ok_or(MeasureError::NoRhythm)?;
    let leads: Vec<&[f64]> = w.leads.iter().map(|l| l.samples_uv.as_slice()).collect();
    measure_leads(&leads, w.sampling_rate_hz)
}

/// Measure leads (microvolts) sampled at `sampling_rate_hz`; leads of different lengths are cut
/// to the shortest non-empty one.
pub fn measure_leads(
    leads: &[&[f64]],
    sampling_rate_hz: f64,
) -> Result<SignalMeasurements, MeasureError> {
    let fs = sampling_rate_hz;
    if leads.is_empty() {
        return Err(MeasureError::NoLeads);
    }
    if !(fs.is_finite() && (MIN_RATE_HZ..=MAX_RATE_HZ).contains(&fs)) {
        return Err(MeasureError::BadRate(fs));
    }
    let n = qrs::common_len(leads);
    let seconds = n as f64 / fs;
    if seconds < MIN_SECONDS {
        return Err(MeasureError::TooShort(seconds));
    }
    // Delineation rate: 250–750 Hz.
    let kd = qrs::decimation(fs, 500.0);
    let fd = fs / kd as f64;
    let mut sig: Vec<Vec<f64>> = Vec::new();
    for lead in leads {
        let mut out = Vec::new();
        if decimate_clean(lead, n, kd, &mut out).is_some() {
            sig.push(out);
        }
    }
    if sig.is_empty() {
        return Err(MeasureError::Flat);
    }
    let beats = qrs::detect(leads, fs).positions;
    if beats.len() < 2 {
        return Err(MeasureError::TooFewBeats(beats.len()));
    }
    let rr_ms: Vec<f64> = beats
        .windows(2)
        .map(|w| (w[1] - w[0]) as f64 * 1000.0 / fs)
        .collect();
    let rr_med = median(&mut rr_ms.clone());
    let hr_bpm = rr_med.filter(|&r| r > 0.0).map(|r| 60_000.0 / r);
    let rr_irregularity = rr_irregularity(&rr_ms);
    let mut m = SignalMeasurements {
        hr_bpm,
        rr_ms,
        rr_irregularity,
        beats: beats.clone(),
        leads_used: sig.len(),
        ..SignalMeasurements::default()
    };
    let Some(rr_med) = rr_med else {
        return Ok(m);
    };
    // Baseline wander out (zero phase).
    let hp = Biquad::highpass(0.5, fd);
    Biquad::filtfilt_chain(&[hp], &mut sig);
    let beats_d: Vec<usize> = beats.iter().map(|&b| b / kd).collect();
    let rr_d = rr_med / 1000.0 * fd;
    let Some(mb) = median_beat(&sig, &beats_d, rr_d, fd) else {
        return Ok(m);
    };
    let d = delineate(&mb, fd);
    let ms = |a: usize, b: usize| (b as f64 - a as f64) * 1000.0 / fd;
    if let (Some(on), Some(off)) = (d.qrs_on, d.qrs_off) {
        m.qrs_ms = Some(ms(on, off)).filter(|v| (40.0..=220.0).contains(v));
    }
    if let (Some(on), Some(t)) = (d.qrs_on, d.t_end) {
        m.qt_ms = Some(ms(on, t)).filter(|v| (200.0..=700.0).contains(v));
    }
    let regular = rr_irregularity.is_none_or(|v| v <= IRREGULARITY_THRESHOLD);
    if let (Some(p), Some(on), true) = (d.p_on, d.qrs_on, regular) {
        m.pr_ms = Some(ms(p, on)).filter(|v| (60.0..=400.0).contains(v));
    }
    if let Some(qt) = m.qt_ms {
        let rr_s = rr_med / 1000.0;
        m.qtc_bazett_ms = Some(qt / rr_s.sqrt());
        m.qtc_fridericia_ms = Some(qt / rr_s.cbrt());
    }
    Ok(m)
}

/// RR irregularity of successive RR intervals (any unit): the median absolute successive
/// difference over the median RR. `None` with fewer than 4 intervals or non-finite values.
/// A median, so a single ectopic beat with its compensatory pause (two large differences) does
/// not move it in a 10 s record.
pub fn rr_irregularity(rr: &[f64]) -> Option<f64> {
    if rr.len() < 4 {
        return None;
    }
    let mut diffs: Vec<f64> = rr.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
    let d = median(&mut diffs)?;
    let r = median(&mut rr.to_vec())?;
    (r > 0.0).then_some(d / r)
}

/// A median beat: per lead, samples around the fiducial at index `fid`.
struct MedianBeat {
    leads: Vec<Vec<f64>>,
    fid: usize,
}

/// Build the median beat (see the module documentation); `None` with fewer than 3 usable beats.
fn median_beat(sig: &[Vec<f64>], beats: &[usize], rr: f64, fs: f64) -> Option<MedianBeat> {
    let len = sig.first()?.len();
    let pre = (0.6 * rr).min(0.45 * fs).max(0.15 * fs) as usize;
    let post = (rr - 0.15 * fs).min(0.7 * fs).max(0.2 * fs) as usize;
    let lag = ((0.012 * fs) as usize).max(1);
    let width = pre + post + 1;
    // Beats whose window (with alignment slack) lies inside the record, not premature.
    let mut chosen: Vec<usize> = Vec::new();
    for (i, &b) in beats.iter().enumerate() {
        if b < pre + lag || b + post + lag >= len {
            continue;
        }
        if i > 0 {
            let prev = beats.get(i - 1).copied().unwrap_or(0);
            if ((b - prev) as f64) < 0.85 * rr {
                continue;
            }
        }
        chosen.push(b - pre);
    }
    if chosen.len() < 3 {
        return None;
    }
    let template = median_of(sig, &chosen, width)?;
    // Align each beat on the template's QRS (±60 ms around the fiducial) by least squares.
    let qa = pre.saturating_sub((0.06 * fs) as usize);
    let qb = (pre + (0.06 * fs) as usize).min(width - 1);
    let mut aligned: Vec<(usize, f64)> = Vec::new();
    for &start in &chosen {
        let mut best = (start, f64::INFINITY);
        for s in (start - lag)..=(start + lag) {
            let mut err = 0.0;
            for (lead, t) in sig.iter().zip(&template) {
                let (Some(x), Some(tq)) = (lead.get(s + qa..=s + qb), t.get(qa..=qb)) else {
                    continue;
                };
                let mx = x.iter().sum::<f64>() / x.len() as f64;
                let mt = tq.iter().sum::<f64>() / tq.len() as f64;
                err += x
                    .iter()
                    .zip(tq)
                    .map(|(a, b)| (a - mx - b + mt).powi(2))
                    .sum::<f64>();
            }
            if err < best.1 {
                best = (s, err);
            }
        }
        let r = correlation(sig, &template, best.0, qa, qb);
        aligned.push((best.0, r));
    }
    let kept: Vec<usize> = aligned
        .iter()
        .filter(|(_, r)| *r >= 0.9)
        .map(|(s, _)| *s)
        .collect();
    let starts = if kept.len() >= 3 {
        kept
    } else {
        aligned.iter().map(|(s, _)| *s).collect()
    };
    let leads = median_of(sig, &starts, width)?;
    Some(MedianBeat { leads, fid: pre })
}

/// Pearson correlation of the beat at `start` with the template over `qa..=qb`, all leads
/// concatenated (each lead's mean removed).
fn correlation(sig: &[Vec<f64>], template: &[Vec<f64>], start: usize, qa: usize, qb: usize) -> f64 {
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (lead, t) in sig.iter().zip(template) {
        let (Some(x), Some(y)) = (lead.get(start + qa..=start + qb), t.get(qa..=qb)) else {
            continue;
        };
        let mx = x.iter().sum::<f64>() / x.len() as f64;
        let my = y.iter().sum::<f64>() / y.len() as f64;
        for (a, b) in x.iter().zip(y) {
            let (a, b) = (a - mx, b - my);
            sxy += a * b;
            sxx += a * a;
            syy += b * b;
        }
    }
    if sxx > 0.0 && syy > 0.0 {
        sxy / (sxx * syy).sqrt()
    } else {
        0.0
    }
}

/// Per lead and sample, the median across the windows starting at `starts`.
///
/// Up to [`NETWORK_MAX`] windows, each lead's windows are sorted sample by sample with a
/// sorting network applied to whole windows at once (every compare-exchange is a branch-free
/// min/max over the window, which vectorises), and the middle row(s) taken: the same values as
/// sorting each sample's column. More windows, or windows running past the signal, take the
/// per-sample path.
fn median_of(sig: &[Vec<f64>], starts: &[usize], width: usize) -> Option<Vec<Vec<f64>>> {
    let k = starts.len();
    let inside = starts.iter().all(|&s| {
        s.checked_add(width)
            .is_some_and(|e| sig.iter().all(|l| e <= l.len()))
    });
    if !(1..=NETWORK_MAX).contains(&k) || !inside || width == 0 {
        return median_of_columns(sig, starts, width);
    }
    let network = sorting_network(k);
    let mut out = Vec::with_capacity(sig.len());
    let mut rows = vec![0.0; k * width];
    for lead in sig {
        for (row, &s) in rows.chunks_exact_mut(width).zip(starts) {
            row.copy_from_slice(lead.get(s..s + width)?);
        }
        if rows.iter().any(|v| !v.is_finite()) {
            return None;
        }
        for &(i, j) in &network {
            let (a, b) = rows.split_at_mut(j * width);
            let (Some(ri), Some(rj)) = (a.get_mut(i * width..(i + 1) * width), b.get_mut(..width))
            else {
                return None;
            };
            for (x, y) in ri.iter_mut().zip(rj.iter_mut()) {
                let (lo, hi) = if *y < *x { (*y, *x) } else { (*x, *y) };
                *x = lo;
                *y = hi;
            }
        }
        let hi = rows.get(k / 2 * width..(k / 2 + 1) * width)?;
        let med = if k % 2 == 1 {
            hi.to_vec()
        } else {
            let lo = rows.get((k / 2 - 1) * width..k / 2 * width)?;
            hi.iter().zip(lo).map(|(h, l)| (h + l) / 2.0).collect()
        };
        out.push(med);
    }
    Some(out)
}

/// Most windows [`median_of`] sorts with a network.
const NETWORK_MAX: usize = 64;

/// Batcher's odd–even merge sort for `n` elements: compare-exchange pairs `(i, j)`, `i < j`,
/// in order (after them, element `i` ≤ element `j` for every `i < j`).
fn sorting_network(n: usize) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    let mut p = 1;
    while p < n {
        let mut k = p;
        while k >= 1 {
            let mut j = k % p;
            while j + k < n {
                for i in 0..k.min(n - j - k) {
                    if (i + j) / (2 * p) == (i + j + k) / (2 * p) {
                        pairs.push((i + j, i + j + k));
                    }
                }
                j += 2 * k;
            }
            k /= 2;
        }
        p *= 2;
    }
    pairs
}

/// [`median_of`] one sample at a time.
fn median_of_columns(sig: &[Vec<f64>], starts: &[usize], width: usize) -> Option<Vec<Vec<f64>>> {
    let mut out = Vec::with_capacity(sig.len());
    let mut buf = Vec::with_capacity(starts.len());
    for lead in sig {
        let mut med = Vec::with_capacity(width);
        for t in 0..width {
            buf.clear();
            buf.extend(starts.iter().filter_map(|&s| lead.get(s + t).copied()));
            med.push(median(&mut buf)?);
        }
        out.push(med);
    }
    Some(out)
}

/// Fiducial points of a median beat (indices into it).
#[derive(Debug, Default)]
struct Delineation {
    p_on: Option<usize>,
    qrs_on: Option<usize>,
    qrs_off: Option<usize>,
    t_end: Option<usize>,
}

fn delineate(mb: &MedianBeat, fs: f64) -> Delineation {
    let mut d = Delineation::default();
    let width = mb.leads.first().map_or(0, |l| l.len());
    let at = |s: f64| (s * fs).round().max(1.0) as usize;
    let h = ((0.004 * fs).round() as usize).max(1);
    if width < 4 * h + 2 {
        return d;
    }
    // Spatial velocity.
    let mut sv = vec![0.0; width];
    for (t, v) in sv.iter_mut().enumerate().take(width - h).skip(h) {
        let s: f64 = mb
            .leads
            .iter()
            .map(|l| {
                let a = l.get(t + h).copied().unwrap_or(0.0);
                let b = l.get(t - h).copied().unwrap_or(0.0);
                (a - b) * (a - b)
            })
            .sum();
        *v = s.sqrt();
    }
    let inner = sv.get(h..width - h).unwrap_or(&[]);
    let mut sorted = inner.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let floor = sorted.get(sorted.len() / 10).copied().unwrap_or(0.0);
    let (a, b) = (
        mb.fid.saturating_sub(at(0.06)).max(h),
        (mb.fid + at(0.06)).min(width - h - 1),
    );
    let Some(pk) = argmax(&sv, a, b) else {
        return d;
    };
    let peak = sv.get(pk).copied().unwrap_or(0.0);
    if !(peak > floor) {
        return d;
    }
    let alpha: f64 = std::env::var("QA")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(QRS_THRESHOLD);
    let thr = floor + alpha * (peak - floor);
    let hold = at(0.008);
    // Onset: going back from the peak, the first stretch of `hold` samples at or below thr.
    let lo = pk.saturating_sub(at(0.15)).max(h);
    let mut run = 0;
    let mut t = pk;
    while t > lo {
        t -= 1;
        if sv.get(t).copied().unwrap_or(0.0) <= thr {
            run += 1;
            if run >= hold {
                d.qrs_on = Some(t + hold - 1);
                break;
            }
        } else {
            run = 0;
        }
    }
    let hi = (pk + at(0.2)).min(width - h - 1);
    run = 0;
    for t in pk..=hi {
        if sv.get(t).copied().unwrap_or(0.0) <= thr {
            run += 1;
            if run >= hold {
                d.qrs_off = Some(t + 1 - hold);
                break;
            }
        } else {
            run = 0;
        }
    }
    let Some(on) = d.qrs_on else { return d };
    // Spatial magnitude, each lead referred to its PR segment (the 14 ms before QRS onset).
    let ra = on.saturating_sub(at(0.02));
    let rb = on.saturating_sub(at(0.006)).max(ra + 1);
    let base: Vec<f64> = mb
        .leads
        .iter()
        .map(|l| {
            let s = l.get(ra..rb).unwrap_or(&[]);
            if s.is_empty() {
                0.0
            } else {
                s.iter().sum::<f64>() / s.len() as f64
            }
        })
        .collect();
    let mag: Vec<f64> = (0..width)
        .map(|t| {
            mb.leads
                .iter()
                .zip(&base)
                .map(|(l, b)| (l.get(t).copied().unwrap_or(0.0) - b).powi(2))
                .sum::<f64>()
                .sqrt()
        })
        .collect();
    let slope_h = at(0.01);
    if let Some(off) = d.qrs_off {
        d.t_end = t_end(
            &mag,
            off + at(0.08),
            (on + at(0.65)).min(width - 1),
            slope_h,
        );
    }
    d.p_on = p_onset(
        &mag,
        on.saturating_sub(at(0.30)),
        on.saturating_sub(at(0.03)),
        slope_h,
        fs,
    );
    d
}

fn argmax(x: &[f64], a: usize, b: usize) -> Option<usize> {
    (a..=b)
        .filter(|&i| i < x.len())
        .max_by(|&i, &j| x[i].total_cmp(&x[j]))
}

fn argmin(x: &[f64], a: usize, b: usize) -> Option<usize> {
    (a..=b)
        .filter(|&i| i < x.len())
        .min_by(|&i, &j| x[i].total_cmp(&x[j]))
}

/// Slope of `x` at `t` over ±`h` samples (per sample).
fn slope(x: &[f64], t: usize, h: usize) -> Option<f64> {
    let a = x.get(t.checked_sub(h)?)?;
    let b = x.get(t + h)?;
    Some((b - a) / (2 * h) as f64)
}

/// T end by the tangent method on the magnitude curve, T searched in `a..=b`.
fn t_end(mag: &[f64], a: usize, b: usize, h: usize) -> Option<usize> {
    if a + 2 * h >= b {
        return None;
    }
    let tp = argmax(mag, a, b)?;
    let end = (b).min(mag.len().checked_sub(h + 1)?);
    let (mut ts, mut sl) = (None, 0.0);
    for t in tp..=end {
        let s = slope(mag, t, h)?;
        if s < sl {
            sl = s;
            ts = Some(t);
        }
    }
    let ts = ts?;
    let floor = argmin(mag, ts, b).and_then(|i| mag.get(i).copied())?;
    let y = *mag.get(ts)?;
    if !(sl < 0.0) || !(y > floor) {
        return None;
    }
    let te = ts as f64 + (floor - y) / sl;
    (te.is_finite() && te >= 0.0).then(|| (te.round() as usize).min(b))
}

/// P onset by the tangent method on the rising limb of the P hump in `a..=b`.
fn p_onset(mag: &[f64], a: usize, b: usize, h: usize, fs: f64) -> Option<usize> {
    if a + 4 * h >= b {
        return None;
    }
    let pp = argmax(mag, a + h, b)?;
    // A hump: the peak is not at the window's start, and it stands out.
    if pp < a + 2 * h {
        return None;
    }
    let fl = argmin(mag, a, pp)?;
    let floor = *mag.get(fl)?;
    let amp = *mag.get(pp)? - floor;
    let _ = fs;
    if !(amp >= 20.0) {
        return None;
    }
    let (mut ts, mut sl) = (None, 0.0);
    for t in fl.max(h)..=pp {
        let s = slope(mag, t, h)?;
        if s > sl {
            sl = s;
            ts = Some(t);
        }
    }
    let ts = ts?;
    let y = *mag.get(ts)?;
    let po = ts as f64 - (y - floor) / sl;
    (po.is_finite() && po >= a as f64).then(|| po.round() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic generator in [0, 1).
    fn uniform(seed: u64) -> impl FnMut() -> f64 {
        let mut x = seed | 1;
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    #[test]
    fn irregularity_separates_sinus_arrhythmia_ectopy_and_atrial_fibrillation() {
        use std::f64::consts::PI;
        // Sinus rhythm at 60–100 bpm with respiratory sinus arrhythmia (RR modulated ±5 % over
        // a 4 s breath, plus ±1 % jitter), 10 s and 60 s records.
        for bpm in [60.0, 75.0, 100.0] {
            for beats in [10usize, 60] {
                let mut u = uniform(bpm as u64 + beats as u64);
                let rr0 = 60_000.0 / bpm;
                let mut t = 0.0;
                let rr: Vec<f64> = (0..beats)
                    .map(|_| {
                        let r = rr0 * (1.0 + 0.05 * (2.0 * PI * t / 4000.0).sin())
                            + rr0 * 0.02 * (u() - 0.5);
                        t += r;
                        r
                    })
                    .collect();
                let v = rr_irregularity(&rr).expect("enough beats");
                assert!(v < IRREGULARITY_THRESHOLD, "sinus {bpm} bpm: {v}");
            }
        }
        // One premature beat and its compensatory pause in a 10 s sinus record.
        let mut rr = vec![800.0; 12];
        rr[5] = 520.0;
        rr[6] = 1080.0;
        let v = rr_irregularity(&rr).expect("enough beats");
        assert!(v < IRREGULARITY_THRESHOLD, "one ectopic beat: {v}");
        // Atrial fibrillation: RR independent from beat to beat, uniform over ±20 % to ±40 %
        // of the mean (coefficient of variation 0.12–0.23), 10 s and 60 s; ±15 % is borderline.
        for spread in [0.2, 0.3, 0.4] {
            for beats in [12usize, 70] {
                let mut u = uniform((spread * 100.0) as u64 + beats as u64);
                let rr: Vec<f64> = (0..beats)
                    .map(|_| 700.0 * (1.0 + spread * (2.0 * u() - 1.0)))
                    .collect();
                let v = rr_irregularity(&rr).expect("enough beats");
                assert!(
                    v > IRREGULARITY_THRESHOLD,
                    "AF ±{spread}, {beats} beats: {v}"
                );
            }
        }
        assert_eq!(rr_irregularity(&[800.0, 810.0, 790.0]), None);
        assert_eq!(
            rr_irregularity(&[800.0, f64::NAN, 790.0, 800.0, 800.0]),
            None
        );
    }

    #[test]
    fn sorting_network_sorts_every_zero_one_input() {
        // The 0–1 principle: a network that sorts every 0/1 input sorts every input.
        for n in 1..=16usize {
            let net = sorting_network(n);
            for bits in 0u32..(1 << n) {
                let mut v: Vec<u32> = (0..n).map(|i| (bits >> i) & 1).collect();
                for &(i, j) in &net {
                    assert!(i < j && j < n);
                    if v[j] < v[i] {
                        v.swap(i, j);
                    }
                }
                assert!(v.windows(2).all(|w| w[0] <= w[1]), "n {n} bits {bits:b}");
            }
        }
    }

    #[test]
    fn network_median_equals_column_median() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64 * 400.0 - 200.0
        };
        let sig: Vec<Vec<f64>> = (0..3).map(|_| (0..400).map(|_| next()).collect()).collect();
        for k in 1..=70usize {
            let starts: Vec<usize> = (0..k).map(|i| (i * 37) % 300).collect();
            let got = median_of(&sig, &starts, 90).expect("finite");
            let want = median_of_columns(&sig, &starts, 90).expect("finite");
            assert_eq!(got.len(), want.len());
            for (g, w) in got.iter().zip(&want) {
                for (a, b) in g.iter().zip(w) {
                    assert_eq!(a, b, "k {k}");
                }
            }
        }
        // A window running past the signal takes the per-sample path.
        assert!(median_of(&sig, &[0, 390], 20).is_some());
        let mut bad = sig.clone();
        bad[1][5] = f64::NAN;
        assert!(median_of(&bad, &[0, 1, 2], 20).is_none());
    }
}
