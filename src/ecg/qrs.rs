//! QRS detection on one or more leads at any sampling rate (Pan–Tompkins family, leads fused).
//!
//! Method, per record:
//!
//! 1. every lead is averaged down (boxcar, integer factor) to a working rate of 250–500 Hz
//!    (rates below 375 Hz are kept as they are; non-finite samples hold the last finite value;
//!    leads that are flat — range under 10 µV — or mostly non-finite are left out);
//! 2. band-pass 5–15 Hz (second-order Butterworth high- and low-pass, run forward and backward so
//!    the result has no delay), central derivative, squared;
//! 3. each lead's energy is divided by its robust QRS level (median over 2-s segments of the
//!    segment maximum) and clipped at 4, so that every lead votes with the same weight and one
//!    artefact cannot dominate; the leads are summed: one fused energy signal;
//! 4. moving-window integration (120 ms, centred);
//! 5. adaptive thresholds on the integrated signal's peaks (signal and noise levels updated as in
//!    Pan & Tompkins 1985, threshold = noise + 0.25 × (signal − noise)), a 200 ms refractory
//!    period (a higher peak inside it replaces the previous one), T-wave rejection (a peak within
//!    360 ms of the last QRS whose maximal slope energy is under half of that QRS's is noise), and
//!    search-back with half the threshold when no QRS was found for 1.66 × the mean of the last 8
//!    RR intervals;
//! 6. the fiducial point is the peak of the integrated energy (the centre of the QRS energy),
//!    mapped back to the input's sample index.
//!
//! Every constant is in seconds or hertz and scaled by the sampling rate; the filters are
//! designed for the working rate. Nothing here panics on any input: empty, constant, NaN, a
//! single sample or absurd rates give no beats.

// `!(a > b)` is deliberate throughout: it is true for NaN, which must take the "not usable" branch.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

/// Lowest sampling rate accepted (the band-pass needs content up to 15 Hz).
pub const MIN_RATE_HZ: f64 = 50.0;
/// Highest sampling rate accepted (above it, nothing is detected).
pub const MAX_RATE_HZ: f64 = 1.0e6;
/// Leads with a smaller range (µV) are flat and left out.
pub(crate) const FLAT_UV: f64 = 10.0;

const WORK_RATE_HZ: f64 = 250.0;
const MWI_S: f64 = 0.120;
const REFRACTORY_S: f64 = 0.200;
const T_WAVE_S: f64 = 0.360;
const SEGMENT_S: f64 = 2.0;
const CLIP: f64 = 4.0;
/// Signals filtered side by side by [`Biquad::filtfilt_chain`].
const LANES: usize = 4;

/// Detected beats of one record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Beats {
    /// Sample indices of the fused QRS fiducials (centre of the QRS energy), ascending.
    pub positions: Vec<usize>,
    /// Sampling rate of the signal the positions index, Hz.
    pub sampling_rate_hz: f64,
}

/// Detect QRS complexes in `leads` (any number ≥ 1, microvolts, all at `sampling_rate_hz`).
/// Leads of different lengths are cut to the shortest non-empty one. No beats (never a panic)
/// when the rate is outside [`MIN_RATE_HZ`]..=[`MAX_RATE_HZ`] or no lead has a signal.
pub fn detect(leads: &[&[f64]], sampling_rate_hz: f64) -> Beats {
    let mut beats = Beats {
        positions: Vec::new(),
        sampling_rate_hz,
    };
    let fs = sampling_rate_hz;
    if !(fs.is_finite() && (MIN_RATE_HZ..=MAX_RATE_HZ).contains(&fs)) {
        return beats;
    }
    let n = common_len(leads);
    let k = decimation(fs, WORK_RATE_HZ);
    let fw = fs / k as f64;
    let m = n / k;
    // At least one second of signal.
    if m < 3 || (m as f64) < fw {
        return beats;
    }
    let Some(energy) = fused_energy(leads, n, k, fw) else {
        return beats;
    };
    let mwi = moving_average(&energy, odd_len(MWI_S * fw));
    let peaks = pan_tompkins(&mwi, &energy, fw);
    let min_gap = ((REFRACTORY_S * fs) as usize).max(1);
    let half = odd_len(MWI_S * fw) / 2;
    for p in peaks {
        let c = centre(&mwi, p, half);
        let pos = ((c * k as f64 + (k - 1) as f64 / 2.0).round() as usize).min(n - 1);
        match beats.positions.last() {
            Some(&last) if pos < last + min_gap => {}
            _ => beats.positions.push(pos),
        }
    }
    beats
}

/// The shortest length among non-empty leads (0 when all are empty).
pub(crate) fn common_len(leads: &[&[f64]]) -> usize {
    leads
        .iter()
        .map(|l| l.len())
        .filter(|&l| l > 0)
        .min()
        .unwrap_or(0)
}

/// Integer boxcar factor bringing `fs` down to at most 1.5 × `target`.
pub(crate) fn decimation(fs: f64, target: f64) -> usize {
    let k = (fs / target).floor();
    if k.is_finite() && k >= 2.0 {
        // An input of ≥ 375 Hz is averaged down to 250–375 Hz (for target 250).
        let k = k as usize;
        if fs / (k as f64) < target * 1.5 {
            k
        } else {
            k + 1
        }
    } else {
        1
    }
}

/// Boxcar-average the first `n` samples of `x` by `k` into `out` (n / k samples), holding the
/// last finite value over non-finite samples. `None` when the lead is flat (range under
/// [`FLAT_UV`]) or more than half non-finite.
pub(crate) fn decimate_clean(x: &[f64], n: usize, k: usize, out: &mut Vec<f64>) -> Option<()> {
    out.clear();
    let x = x.get(..n)?;
    let k = k.max(1);
    let first = x.iter().copied().find(|v| v.is_finite())?;
    let mut bad = 0usize;
    if x.iter().fold(true, |a, v| a & v.is_finite()) {
        // The common case, every sample finite: plain averages (the same sums, in the same
        // order, as the general loop below; the usual factors written out so they vectorise).
        match k {
            1 => out.extend(x.iter().map(|&v| 0.0 + v)),
            2 => out.extend(x.chunks_exact(2).map(|c| match c {
                [a, b] => (0.0 + a + b) / 2.0,
                _ => f64::NAN,
            })),
            4 => out.extend(x.chunks_exact(4).map(|c| match c {
                [a, b, d, e] => (0.0 + a + b + d + e) / 4.0,
                _ => f64::NAN,
            })),
            _ => out.extend(
                x.chunks_exact(k)
                    .map(|c| c.iter().fold(0.0, |s, &v| s + v) / k as f64),
            ),
        }
    } else {
        let mut last = first;
        for chunk in x.chunks_exact(k) {
            let mut s = 0.0;
            for &v in chunk {
                if v.is_finite() {
                    last = v;
                } else {
                    bad += 1;
                }
                s += last;
            }
            out.push(s / k as f64);
        }
    }
    let (lo, hi) = range(out);
    if out.is_empty() || bad * 2 > n || !(hi - lo >= FLAT_UV) || !(hi - lo).is_finite() {
        out.clear();
        return None;
    }
    Some(())
}

/// Smallest and largest value, NaN left out (as `f64::min` / `f64::max` folds give), with four
/// independent accumulators so that the comparisons do not wait for each other.
fn range(v: &[f64]) -> (f64, f64) {
    let mut lo = [f64::INFINITY; 4];
    let mut hi = [f64::NEG_INFINITY; 4];
    let mut chunks = v.chunks_exact(4);
    for c in &mut chunks {
        for (j, &x) in c.iter().enumerate() {
            if let (Some(l), Some(h)) = (lo.get_mut(j), hi.get_mut(j)) {
                if x < *l {
                    *l = x;
                }
                if x > *h {
                    *h = x;
                }
            }
        }
    }
    let fold = |a: [f64; 4], rest: &[f64], f: fn(f64, f64) -> f64| {
        rest.iter().copied().fold(a.into_iter().fold(a[0], f), f)
    };
    (
        fold(lo, chunks.remainder(), f64::min),
        fold(hi, chunks.remainder(), f64::max),
    )
}

/// A second-order section (RBJ cookbook, Butterworth Q), direct form II transposed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Biquad {
    b0: f64,
    b1: f64,
    b2: f64,
    a1: f64,
    a2: f64,
}

impl Biquad {
    fn design(fc: f64, fs: f64, high: bool) -> Biquad {
        let fc = fc.clamp(fs * 1e-4, fs * 0.45);
        let w0 = 2.0 * std::f64::consts::PI * fc / fs;
        let (sin, cos) = w0.sin_cos();
        let alpha = sin / std::f64::consts::SQRT_2;
        let a0 = 1.0 + alpha;
        let (b0, b1) = if high {
            ((1.0 + cos) / 2.0, -(1.0 + cos))
        } else {
            ((1.0 - cos) / 2.0, 1.0 - cos)
        };
        Biquad {
            b0: b0 / a0,
            b1: b1 / a0,
            b2: b0 / a0,
            a1: -2.0 * cos / a0,
            a2: (1.0 - alpha) / a0,
        }
    }

    /// Low-pass at `fc` Hz.
    pub(crate) fn lowpass(fc: f64, fs: f64) -> Biquad {
        Biquad::design(fc, fs, false)
    }

    /// High-pass at `fc` Hz.
    pub(crate) fn highpass(fc: f64, fs: f64) -> Biquad {
        Biquad::design(fc, fs, true)
    }

    /// Filter in place, forward then backward (zero phase), starting each pass from the first
    /// sample's steady state so that no step transient appears. The reference for
    /// [`Biquad::filtfilt_chain`], which the code uses.
    #[cfg(test)]
    pub(crate) fn filtfilt(&self, x: &mut [f64]) {
        self.pass(x.iter_mut());
        self.pass(x.iter_mut().rev());
    }

    /// [`Biquad::filtfilt`] with every filter of `chain` in turn, on every signal of `xs`,
    /// [`LANES`] signals at a time: the recursions of different signals are independent, so
    /// running them side by side hides the latency of each one's serial chain. Each signal gets
    /// exactly the values (bit for bit) that `filtfilt` with each filter in turn would give it.
    /// Signals of unequal length are filtered in groups of equal length.
    pub(crate) fn filtfilt_chain(chain: &[Biquad], xs: &mut [Vec<f64>]) {
        let mut lanes: Vec<[f64; LANES]> = Vec::new();
        let mut done = vec![false; xs.len()];
        for first in 0..xs.len() {
            if done.get(first).copied().unwrap_or(true) {
                continue;
            }
            let len = xs.get(first).map_or(0, Vec::len);
            // Up to LANES not yet filtered signals of this length.
            let mut group: Vec<usize> = Vec::with_capacity(LANES);
            for (i, x) in xs.iter().enumerate().skip(first) {
                if group.len() < LANES && x.len() == len && !done.get(i).copied().unwrap_or(true) {
                    group.push(i);
                }
            }
            for &i in &group {
                if let Some(d) = done.get_mut(i) {
                    *d = true;
                }
            }
            if len == 0 {
                continue;
            }
            lanes.clear();
            lanes.resize(len, [0.0; LANES]);
            for (l, &i) in group.iter().enumerate() {
                if let Some(x) = xs.get(i) {
                    for (v, &s) in lanes.iter_mut().zip(x) {
                        v[l] = s;
                    }
                }
            }
            for f in chain {
                f.pass_lanes(lanes.iter_mut());
                f.pass_lanes(lanes.iter_mut().rev());
            }
            for (l, &i) in group.iter().enumerate() {
                if let Some(x) = xs.get_mut(i) {
                    for (s, v) in x.iter_mut().zip(&lanes) {
                        *s = v[l];
                    }
                }
            }
        }
    }

    /// [`Biquad::pass`] on [`LANES`] independent signals at once (same arithmetic per lane).
    fn pass_lanes<'a>(&self, mut it: impl Iterator<Item = &'a mut [f64; LANES]>) {
        let Some(first) = it.next() else { return };
        let dc = (self.b0 + self.b1 + self.b2) / (1.0 + self.a1 + self.a2);
        let x0 = *first;
        let mut s1 = [0.0; LANES];
        let mut s2 = [0.0; LANES];
        for l in 0..LANES {
            let y0 = if dc.is_finite() { dc * x0[l] } else { 0.0 };
            s2[l] = self.b2 * x0[l] - self.a2 * y0;
            s1[l] = self.b1 * x0[l] - self.a1 * y0 + s2[l];
            let y = self.b0 * x0[l] + s1[l];
            s1[l] = self.b1 * x0[l] - self.a1 * y + s2[l];
            s2[l] = self.b2 * x0[l] - self.a2 * y;
            first[l] = y;
        }
        for v in it {
            for l in 0..LANES {
                let x = v[l];
                let y = self.b0 * x + s1[l];
                s1[l] = self.b1 * x - self.a1 * y + s2[l];
                s2[l] = self.b2 * x - self.a2 * y;
                v[l] = y;
            }
        }
    }

    #[cfg(test)]
    fn pass<'a>(&self, mut it: impl Iterator<Item = &'a mut f64>) {
        let Some(first) = it.next() else { return };
        // Steady state for a constant input equal to the first sample.
        let x0 = *first;
        let dc = (self.b0 + self.b1 + self.b2) / (1.0 + self.a1 + self.a2);
        let y0 = if dc.is_finite() { dc * x0 } else { 0.0 };
        let mut s2 = self.b2 * x0 - self.a2 * y0;
        let mut s1 = self.b1 * x0 - self.a1 * y0 + s2;
        let y = self.b0 * x0 + s1;
        s1 = self.b1 * x0 - self.a1 * y + s2;
        s2 = self.b2 * x0 - self.a2 * y;
        *first = y;
        for v in it {
            let x = *v;
            let y = self.b0 * x + s1;
            s1 = self.b1 * x - self.a1 * y + s2;
            s2 = self.b2 * x - self.a2 * y;
            *v = y;
        }
    }
}

/// The fused, per-lead normalised QRS energy at the working rate (`None`: no usable lead).
fn fused_energy(leads: &[&[f64]], n: usize, k: usize, fw: f64) -> Option<Vec<f64>> {
    let m = n / k;
    let hp = Biquad::highpass(5.0, fw);
    let lp = Biquad::lowpass(15.0, fw);
    let seg = ((SEGMENT_S * fw) as usize).max(1);
    let mut sig: Vec<Vec<f64>> = Vec::with_capacity(leads.len());
    for lead in leads {
        let mut buf = Vec::with_capacity(m);
        if decimate_clean(lead, n, k, &mut buf).is_some() {
            sig.push(buf);
        }
    }
    Biquad::filtfilt_chain(&[hp, lp], &mut sig);
    let mut fused = vec![0.0; m];
    let mut e = vec![0.0; m];
    let mut used = 0usize;
    for buf in &sig {
        squared_derivative(buf, &mut e);
        let s = robust_level(&e, seg);
        if !(s > 0.0 && s.is_finite()) {
            continue;
        }
        let inv = 1.0 / s;
        for (f, &v) in fused.iter_mut().zip(&e) {
            *f += (v * inv).min(CLIP);
        }
        used += 1;
    }
    (used > 0).then_some(fused)
}

/// Squared central derivative (ends copied from their neighbours).
fn squared_derivative(x: &[f64], out: &mut [f64]) {
    let m = x.len().min(out.len());
    if m < 3 {
        out.iter_mut().for_each(|v| *v = 0.0);
        return;
    }
    for (i, w) in x.windows(3).enumerate() {
        let d = w[2] - w[0];
        if let Some(o) = out.get_mut(i + 1) {
            *o = d * d;
        }
    }
    out[0] = out[1];
    out[m - 1] = out[m - 2];
}

/// Median over segments of `seg` samples of the segment maximum (a short tail joins the last
/// full segment).
pub(crate) fn robust_level(e: &[f64], seg: usize) -> f64 {
    let seg = seg.max(1);
    let mut maxima: Vec<f64> = Vec::with_capacity(e.len() / seg + 1);
    for c in e.chunks(seg) {
        let mx = c.iter().copied().fold(0.0f64, f64::max);
        match maxima.last_mut() {
            // A short tail (under half a segment) joins the last segment.
            Some(prev) if c.len() * 2 < seg => *prev = prev.max(mx),
            _ => maxima.push(mx),
        }
    }
    median(&mut maxima).unwrap_or(0.0)
}

/// Median (averaging the two middle values for even counts); `None` for an empty slice or
/// non-finite values.
pub(crate) fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() || v.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let n = v.len();
    // Selection, not a full sort: the values are those a sort would put in the middle.
    let (lower, &mut hi, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        Some(hi)
    } else {
        let lo = lower.iter().copied().max_by(f64::total_cmp)?;
        Some((hi + lo) / 2.0)
    }
}

/// Centred moving average of odd length `w`.
fn moving_average(x: &[f64], w: usize) -> Vec<f64> {
    let m = x.len();
    let half = w / 2;
    let mut prefix = Vec::with_capacity(m + 1);
    prefix.push(0.0);
    let mut acc = 0.0;
    for &v in x {
        acc += v;
        prefix.push(acc);
    }
    (0..m)
        .map(|i| {
            let a = i.saturating_sub(half);
            let b = (i + half + 1).min(m);
            let s = prefix.get(b).copied().unwrap_or(0.0) - prefix.get(a).copied().unwrap_or(0.0);
            s / (b - a).max(1) as f64
        })
        .collect()
}

/// The centre of the integrated energy's peak at `p`: the centroid of the part above half the
/// peak, at most `half` samples either side (a sub-sample position, so that where the samples
/// fall on the QRS — a double-humped peak at a low rate — does not move the fiducial).
fn centre(mwi: &[f64], p: usize, half: usize) -> f64 {
    let Some(&top) = mwi.get(p) else {
        return p as f64;
    };
    let thr = 0.5 * top;
    let (mut a, mut b) = (p, p);
    while a > 0 && p - a < half && mwi.get(a - 1).is_some_and(|&v| v >= thr) {
        a -= 1;
    }
    while b - p < half && mwi.get(b + 1).is_some_and(|&v| v >= thr) {
        b += 1;
    }
    let (mut sw, mut swi) = (0.0, 0.0);
    for (i, &v) in mwi.iter().enumerate().take(b + 1).skip(a) {
        let w = v - thr;
        sw += w;
        swi += w * i as f64;
    }
    let c = swi / sw;
    if c.is_finite() { c } else { p as f64 }
}

/// Odd sample count of at least 1 for a duration already multiplied by the rate.
fn odd_len(samples: f64) -> usize {
    let n = if samples.is_finite() && samples >= 1.0 {
        samples.round() as usize
    } else {
        1
    };
    n | 1
}

/// Adaptive-threshold peak picking on the integrated signal; returns working-rate indices.
fn pan_tompkins(mwi: &[f64], energy: &[f64], fw: f64) -> Vec<usize> {
    let m = mwi.len();
    let cands: Vec<usize> = (1..m.saturating_sub(1))
        .filter(|&i| {
            let (a, b, c) = (mwi[i - 1], mwi[i], mwi[i + 1]);
            b > a && b >= c && b > 0.0
        })
        .collect();
    if cands.is_empty() {
        return Vec::new();
    }
    let refr = ((REFRACTORY_S * fw) as usize).max(1);
    let twin = (T_WAVE_S * fw) as usize;
    let slope_half = ((0.075 * fw) as usize).max(1);
    let slope_at = |i: usize| -> f64 {
        let a = i.saturating_sub(slope_half);
        let b = (i + slope_half + 1).min(m);
        energy
            .get(a..b)
            .map(|s| s.iter().copied().fold(0.0, f64::max))
            .unwrap_or(0.0)
    };
    let mut spk = robust_level(mwi, ((SEGMENT_S * fw) as usize).max(1));
    let mut sorted: Vec<f64> = mwi.to_vec();
    let mut npk = median(&mut sorted).unwrap_or(0.0);
    if !(spk > npk) {
        return Vec::new();
    }
    let mut qrs: Vec<usize> = Vec::new();
    let mut last_slope = 0.0f64;
    let thr1 = |spk: f64, npk: f64| npk + 0.25 * (spk - npk);
    let rr_mean = |qrs: &[usize]| -> Option<f64> {
        if qrs.len() < 2 {
            return None;
        }
        let from = qrs.len().saturating_sub(9);
        let w = qrs.get(from..)?;
        let span = (*w.last()? - *w.first()?) as f64;
        Some(span / (w.len() - 1) as f64)
    };
    let is_t_wave = |c: usize, last: Option<usize>, last_slope: f64| -> bool {
        match last {
            Some(l) => c < l + twin && slope_at(c) < 0.5 * last_slope,
            None => false,
        }
    };
    // Candidates are visited in order; `upto` = m marks the end for the final search-back.
    let mut ci = 0usize;
    loop {
        let p = cands.get(ci).copied();
        let now = p.unwrap_or(m);
        // Search-back: nothing found for 1.66 × the mean RR.
        while let (Some(&last), Some(rr)) = (qrs.last(), rr_mean(&qrs)) {
            if (now - last) as f64 <= 1.66 * rr {
                break;
            }
            let thr2 = 0.5 * thr1(spk, npk);
            let lo = cands.partition_point(|&c| c < last + refr);
            let hi = cands.partition_point(|&c| c < now);
            let best = cands
                .get(lo..hi)
                .unwrap_or(&[])
                .iter()
                .copied()
                .filter(|&c| mwi[c] > thr2 && !is_t_wave(c, Some(last), last_slope))
                .max_by(|&a, &b| mwi[a].total_cmp(&mwi[b]));
            match best {
                Some(c) => {
                    spk = 0.25 * mwi[c] + 0.75 * spk;
                    last_slope = slope_at(c);
                    qrs.push(c);
                }
                None => break,
            }
        }
        let Some(p) = p else { break };
        ci += 1;
        let h = mwi[p];
        match qrs.last().copied() {
            Some(last) if p < last + refr => {
                // Inside the refractory period: a higher peak replaces the previous QRS.
                if h > mwi[last] {
                    qrs.pop();
                    qrs.push(p);
                    last_slope = slope_at(p);
                }
            }
            last => {
                if h > thr1(spk, npk) && !is_t_wave(p, last, last_slope) {
                    spk = 0.125 * h + 0.875 * spk;
                    last_slope = slope_at(p);
                    qrs.push(p);
                } else {
                    npk = 0.125 * h + 0.875 * npk;
                }
            }
        }
    }
    qrs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synthetic(fs: f64, secs: f64, bpm: f64) -> (Vec<f64>, Vec<usize>) {
        let n = (fs * secs) as usize;
        let rr = 60.0 / bpm;
        let mut x = vec![0.0; n];
        let mut truth = Vec::new();
        let mut t0 = 0.5;
        while t0 < secs - 0.5 {
            truth.push((t0 * fs).round() as usize);
            for (i, v) in x.iter_mut().enumerate() {
                let t = i as f64 / fs - t0;
                *v += 1000.0 * (-(t / 0.012).powi(2)).exp()
                    + 200.0 * (-((t - 0.3) / 0.05).powi(2)).exp();
            }
            t0 += rr;
        }
        (x, truth)
    }

    /// A small deterministic generator (xorshift) for test signals.
    fn noise(seed: u64, n: usize) -> Vec<f64> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 11) as f64 / (1u64 << 53) as f64 * 2000.0 - 1000.0
            })
            .collect()
    }

    #[test]
    fn filtfilt_chain_equals_filtfilt_bit_for_bit() {
        let chain = [Biquad::highpass(5.0, 250.0), Biquad::lowpass(15.0, 250.0)];
        // Groups of 1..=9 signals (partial lane groups), equal and unequal lengths, empty ones.
        for count in 1..=9usize {
            let lens: Vec<usize> = (0..count)
                .map(|i| {
                    if count % 3 == 0 {
                        500 + 37 * (i % 2)
                    } else {
                        500
                    }
                })
                .chain([0, 1, 2])
                .collect();
            let xs: Vec<Vec<f64>> = lens
                .iter()
                .enumerate()
                .map(|(i, &n)| noise(i as u64 + 7 * count as u64, n))
                .collect();
            let mut want = xs.clone();
            for x in &mut want {
                for f in &chain {
                    f.filtfilt(x);
                }
            }
            let mut got = xs.clone();
            Biquad::filtfilt_chain(&chain, &mut got);
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(g.len(), w.len());
                for (a, b) in g.iter().zip(w) {
                    assert_eq!(a.to_bits(), b.to_bits(), "count {count}");
                }
            }
        }
    }

    #[test]
    fn range_equals_min_max_folds() {
        for n in 0..40usize {
            let mut v = noise(n as u64 + 100, n);
            if n % 3 == 0 && n > 0 {
                v[n / 2] = f64::NAN;
            }
            let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(range(&v), (lo, hi), "n {n}");
        }
    }

    #[test]
    fn median_matches_sorting() {
        for n in 1..60usize {
            let v = noise(n as u64, n);
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            let want = if n % 2 == 1 {
                sorted[n / 2]
            } else {
                (sorted[n / 2] + sorted[n / 2 - 1]) / 2.0
            };
            assert_eq!(median(&mut v.clone()), Some(want), "n {n}");
        }
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [1.0, f64::NAN, 2.0]), None);
    }

    #[test]
    fn finds_synthetic_beats_at_many_rates() {
        for fs in [100.0, 128.0, 250.0, 360.0, 500.0, 1000.0, 2000.0] {
            let (x, truth) = synthetic(fs, 10.0, 72.0);
            let b = detect(&[&x], fs);
            assert_eq!(b.positions.len(), truth.len(), "fs {fs}: {:?}", b.positions);
            for (p, t) in b.positions.iter().zip(&truth) {
                assert!(
                    (*p as f64 - *t as f64).abs() / fs < 0.02,
                    "fs {fs}: {p} vs {t}"
                );
            }
        }
    }
}
