//! The reference preprocessing of ECG-FM (`notebooks/infer_quickstart.ipynb`, ecg-transform 0.1.3),
//! step for step, in f64 like NumPy, cast to f32 at the end:
//! 1. reorder the rhythm leads to I, II, III, aVR, aVL, aVF, V1–V6 (a missing lead is an error,
//!    unless [`Options::derive_leads`] derives missing limb leads from I and II);
//! 2. resample to 500 Hz by endpoint-aligned linear interpolation: `n_new = floor(n·500/fs)`, old
//!    sample i sits at position `i·(n_new−1)/(n−1)`, evaluated at `0..n_new` (skipped at 500 Hz);
//! 3. leads whose standard deviation is 0 become all zeros;
//! 4. z-score each lead over the whole record: `(x − mean) / (std_ddof0 + 1e-8)`;
//! 5. cut non-overlapping 5 s segments of 2500 samples, the remainder dropped.
//!
//! A record shorter than 5 s is an error, or, with [`Options::pad`], one segment zero-padded at
//! the end (flagged in [`Prepared::padded`]; the reference pipeline has no padding).

use ndarray::Array3;

use super::InferError;
use crate::ecg::Ecg;

/// The lead order of the model input.
pub const LEAD_ORDER: [&str; 12] = [
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
];

/// The sampling rate of the model input (Hz).
pub const SAMPLE_RATE_HZ: f64 = 500.0;

/// The samples per segment (5 s at 500 Hz).
pub const SEGMENT_SAMPLES: usize = 2500;

/// The epsilon added to the standard deviation in the z-score.
pub const STD_EPSILON: f64 = 1e-8;

/// Choices beyond the reference pipeline.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Derive missing limb leads (III, aVR, aVL, aVF) from I and II instead of failing.
    pub derive_leads: bool,
    /// Zero-pad a record shorter than one segment instead of failing.
    pub pad: bool,
}

/// The shape of the model input: which leads in which order, the sampling rate and the segment
/// length. [`Geometry::default`] is ECG-FM's (12 leads, 500 Hz, 2500 samples); a model's sidecar
/// JSON may change it.
#[derive(Debug, Clone, PartialEq)]
pub struct Geometry {
    /// Lead names (canonical: I, II, III, aVR, aVL, aVF, V1–V6), in model input order.
    pub leads: Vec<String>,
    /// The model's sampling rate (Hz).
    pub sample_rate_hz: f64,
    /// Samples per segment.
    pub segment_samples: usize,
}

impl Default for Geometry {
    fn default() -> Self {
        Geometry {
            leads: LEAD_ORDER.iter().map(|l| (*l).to_owned()).collect(),
            sample_rate_hz: SAMPLE_RATE_HZ,
            segment_samples: SEGMENT_SAMPLES,
        }
    }
}

/// A record ready for the model.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// The model input `(segments, leads, segment samples)`: `(segments, 12, 2500)` for ECG-FM.
    pub segments: Array3<f32>,
    /// The sampling rate of the source (Hz).
    pub source_rate_hz: f64,
    /// Samples per lead after resampling to the model rate (before segmenting or padding).
    pub resampled_samples: usize,
    /// The record was shorter than one segment and zero-padded.
    pub padded: bool,
    /// Limb leads that were derived from I and II.
    pub derived_leads: Vec<String>,
}

/// Prepare the rhythm leads of an ECG for ECG-FM ([`Geometry::default`]).
pub fn from_ecg(ecg: &Ecg, options: Options) -> Result<Prepared, InferError> {
    from_ecg_with(ecg, &Geometry::default(), options)
}

/// Prepare the rhythm leads of an ECG for a model of this geometry.
pub fn from_ecg_with(
    ecg: &Ecg,
    geometry: &Geometry,
    options: Options,
) -> Result<Prepared, InferError> {
    let rhythm = ecg
        .rhythm
        .as_ref()
        .ok_or_else(|| InferError::Preprocess("the ECG has no rhythm waveform".into()))?;
    let missing: Vec<&str> = geometry
        .leads
        .iter()
        .map(String::as_str)
        .filter(|n| rhythm.lead(n).is_none())
        .collect();
    let mut derived = Vec::new();
    let derived_ecg;
    let rhythm = if !missing.is_empty() && options.derive_leads {
        let mut copy = ecg.clone();
        crate::ecg::derive_limb_leads(&mut copy);
        derived_ecg = copy;
        derived = missing
            .iter()
            .filter(|n| ["III", "aVR", "aVL", "aVF"].contains(n))
            .map(|n| (*n).to_owned())
            .collect();
        derived_ecg.rhythm.as_ref().unwrap_or(rhythm)
    } else {
        rhythm
    };
    let mut leads = Vec::with_capacity(geometry.leads.len());
    let mut still_missing = Vec::new();
    for name in geometry.leads.iter().map(String::as_str) {
        match rhythm.lead(name) {
            Some(l) => leads.push(l.samples_uv.as_slice()),
            None => still_missing.push(name),
        }
    }
    if !still_missing.is_empty() {
        let hint = if options.derive_leads {
            ""
        } else {
            " (missing limb leads can be derived from I and II when asked)"
        };
        return Err(InferError::Preprocess(format!(
            "the ECG lacks lead(s) {}{hint}",
            still_missing.join(", ")
        )));
    }
    let mut out = from_leads_with(&leads, rhythm.sampling_rate_hz, geometry, options)?;
    out.derived_leads = derived;
    Ok(out)
}

/// Prepare 12 leads already in [`LEAD_ORDER`], sampled at `fs` Hz (any unit), for ECG-FM.
pub fn from_leads(leads: &[&[f64]], fs: f64, options: Options) -> Result<Prepared, InferError> {
    from_leads_with(leads, fs, &Geometry::default(), options)
}

/// Prepare leads already in the geometry's order, sampled at `fs` Hz (any unit).
pub fn from_leads_with(
    leads: &[&[f64]],
    fs: f64,
    geometry: &Geometry,
    options: Options,
) -> Result<Prepared, InferError> {
    if leads.len() != geometry.leads.len() {
        return Err(InferError::Preprocess(format!(
            "{} leads given, the model takes {}",
            leads.len(),
            geometry.leads.len()
        )));
    }
    let (target_hz, seg) = (geometry.sample_rate_hz, geometry.segment_samples);
    if !(target_hz.is_finite() && target_hz > 0.0) || seg == 0 {
        return Err(InferError::Preprocess(format!(
            "model geometry {target_hz} Hz × {seg} samples is not usable"
        )));
    }
    if !(fs.is_finite() && fs > 0.0) {
        return Err(InferError::Preprocess(format!(
            "sampling rate {fs} Hz is not a positive number"
        )));
    }
    let n = leads.first().map_or(0, |l| l.len());
    if let Some((i, l)) = leads.iter().enumerate().find(|(_, l)| l.len() != n) {
        return Err(InferError::Preprocess(format!(
            "lead {} has {} samples, lead {} has {n}",
            geometry.leads.get(i).map_or("?", String::as_str),
            l.len(),
            geometry.leads.first().map_or("?", String::as_str)
        )));
    }
    if leads.iter().flat_map(|l| l.iter()).any(|v| !v.is_finite()) {
        return Err(InferError::Preprocess(
            "the signal holds NaN or infinite samples".into(),
        ));
    }
    let resampled: Vec<Vec<f64>> = leads
        .iter()
        .map(|l| resample_to(l, fs, target_hz))
        .collect();
    let n_new = resampled.first().map_or(0, Vec::len);
    let normalised: Vec<Vec<f64>> = resampled.into_iter().map(standardise).collect();

    let (n_segments, padded) = match n_new / seg {
        0 if options.pad && n_new > 0 => (1, true),
        0 => {
            return Err(InferError::Preprocess(format!(
                "the record is {:.3} s long ({n_new} samples at {target_hz} Hz); the model needs at least \
                 {} s (zero-padding it is an option)",
                n_new as f64 / target_hz,
                seg as f64 / target_hz
            )));
        }
        s => (s, false),
    };
    let mut segments = Array3::<f32>::zeros((n_segments, geometry.leads.len(), seg));
    for (lead_index, lead) in normalised.iter().enumerate() {
        for (seg_index, chunk) in lead.chunks(seg).take(n_segments).enumerate() {
            let mut row = segments.slice_mut(ndarray::s![seg_index, lead_index, ..]);
            for (dst, src) in row.iter_mut().zip(chunk) {
                *dst = *src as f32;
            }
        }
    }
    Ok(Prepared {
        segments,
        source_rate_hz: fs,
        resampled_samples: n_new,
        padded,
        derived_leads: Vec::new(),
    })
}

/// Endpoint-aligned linear resampling to 500 Hz (see the module docs); a copy at 500 Hz.
pub fn resample(x: &[f64], fs: f64) -> Vec<f64> {
    resample_to(x, fs, SAMPLE_RATE_HZ)
}

/// Endpoint-aligned linear resampling from `fs` to `target` Hz (see the module docs).
pub fn resample_to(x: &[f64], fs: f64, target: f64) -> Vec<f64> {
    if fs == target {
        return x.to_vec();
    }
    let n = x.len();
    // floor(n·target/fs); a float product above usize::MAX saturates and is caught by the
    // allocation guard below.
    let n_new = (n as f64 * target / fs).floor() as usize;
    if n_new == 0 || n == 0 {
        return Vec::new();
    }
    if n == 1 || n_new == 1 {
        return vec![x.first().copied().unwrap_or(0.0); n_new.min(1 << 30)];
    }
    let step = (n_new - 1) as f64 / (n - 1) as f64;
    let mut out = Vec::with_capacity(n_new.min(1 << 30));
    let mut i = 0usize;
    for j in 0..n_new {
        let t = j as f64;
        // advance to the old interval [i, i+1] holding position t
        while i + 2 < n && (i + 1) as f64 * step <= t {
            i += 1;
        }
        let (Some(&y0), Some(&y1)) = (x.get(i), x.get(i + 1)) else {
            break;
        };
        let x0 = i as f64 * step;
        let x1 = (i + 1) as f64 * step;
        let frac = ((t - x0) / (x1 - x0)).clamp(0.0, 1.0);
        out.push(y0 + (y1 - y0) * frac);
    }
    out
}

/// Constant leads to zero, then `(x − mean) / (std_ddof0 + 1e-8)` over the whole lead.
pub fn standardise(mut x: Vec<f64>) -> Vec<f64> {
    if x.is_empty() {
        return x;
    }
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let std = (x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt();
    if std == 0.0 {
        x.iter_mut().for_each(|v| *v = 0.0);
        return x;
    }
    x.iter_mut()
        .for_each(|v| *v = (*v - mean) / (std + STD_EPSILON));
    x
}

/// The hosted ECG-FM API's request body: `{"signal": [[...] x 12], "fs": 500}` (leads in
/// [`LEAD_ORDER`]; `fs` defaults to 500 when absent).
pub fn from_api_json(text: &str, options: Options) -> Result<Prepared, InferError> {
    let bad = |m: String| InferError::Preprocess(format!("ECG JSON: {m}"));
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    from_api_value(&v, &Geometry::default(), options)
}

/// One hosted-API request object (already parsed), for a model of this geometry: `signal` holds
/// the leads in the geometry's order (the standard 12 for ECG-FM), `fs` the rate (default 500).
pub fn from_api_value(
    v: &serde_json::Value,
    geometry: &Geometry,
    options: Options,
) -> Result<Prepared, InferError> {
    let bad = |m: String| InferError::Preprocess(format!("ECG JSON: {m}"));
    let signal = v
        .get("signal")
        .and_then(|s| s.as_array())
        .ok_or_else(|| bad("no \"signal\" array".into()))?;
    let fs = match v.get("fs") {
        None | Some(serde_json::Value::Null) => SAMPLE_RATE_HZ,
        Some(f) => f
            .as_f64()
            .ok_or_else(|| bad("\"fs\" is not a number".into()))?,
    };
    let leads = signal
        .iter()
        .enumerate()
        .map(|(i, lead)| {
            lead.as_array()
                .ok_or_else(|| bad(format!("signal[{i}] is not an array")))?
                .iter()
                .map(|s| {
                    s.as_f64()
                        .ok_or_else(|| bad(format!("signal[{i}] holds a non-number")))
                })
                .collect::<Result<Vec<f64>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let refs: Vec<&[f64]> = leads.iter().map(Vec::as_slice).collect();
    from_leads_with(&refs, fs, geometry, options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resample_endpoint_aligned() {
        // 4 samples at 1000 Hz -> n_new = 2: first and last sample
        assert_eq!(resample(&[0.0, 1.0, 2.0, 3.0], 1000.0), vec![0.0, 3.0]);
        // 3 samples at 250 Hz -> n_new = 6; old positions 0, 2.5, 5
        let r = resample(&[0.0, 5.0, 10.0], 250.0);
        assert_eq!(r.len(), 6);
        for (j, v) in r.iter().enumerate() {
            assert!((v - 2.0 * j as f64).abs() < 1e-12, "{r:?}");
        }
        assert_eq!(resample(&[1.0, 2.0], 500.0), vec![1.0, 2.0]);
        assert_eq!(resample(&[1.0], 100.0), vec![1.0; 5]);
        assert!(resample(&[1.0], 1000.0).is_empty());
    }

    #[test]
    fn standardise_and_constant() {
        assert_eq!(standardise(vec![3.0; 4]), vec![0.0; 4]);
        let z = standardise(vec![1.0, 3.0]);
        assert!((z[0] + 1.0).abs() < 1e-7 && (z[1] - 1.0).abs() < 1e-7);
    }

    #[test]
    fn segments_pad_and_errors() {
        let lead: Vec<f64> = (0..6000).map(|i| (i as f64 * 0.01).sin()).collect();
        let leads: Vec<&[f64]> = vec![lead.as_slice(); 12];
        let p = from_leads(&leads, 500.0, Options::default()).unwrap();
        assert_eq!(p.segments.shape(), &[2, 12, 2500]);
        assert!(!p.padded);
        let short: Vec<&[f64]> = vec![&lead[..1000]; 12];
        assert!(from_leads(&short, 500.0, Options::default()).is_err());
        let p = from_leads(
            &short,
            500.0,
            Options {
                pad: true,
                ..Options::default()
            },
        )
        .unwrap();
        assert!(p.padded);
        assert_eq!(p.segments.shape(), &[1, 12, 2500]);
        assert_eq!(p.segments[[0, 0, 2499]], 0.0);
        assert!(from_leads(&leads[..11], 500.0, Options::default()).is_err());
        assert!(from_api_json("{\"signal\": [[1,2]], \"fs\": 500}", Options::default()).is_err());
        assert!(from_api_json("not json", Options::default()).is_err());
        let json = serde_json::json!({"signal": vec![lead.clone(); 12], "fs": 500});
        let q = from_api_json(&json.to_string(), Options::default()).unwrap();
        assert_eq!(q.segments.shape(), &[2, 12, 2500]);
    }
}
