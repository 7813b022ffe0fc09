//! Heart rate, RR intervals, RR irregularity and the PR, QRS, QT and QTc intervals, measured from
//! the signal (never taken from the cart's own [`super::Measurements`]).

use super::Ecg;

/// What was measured from one record. Fields that could not be measured reliably are `None`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SignalMeasurements {
    /// Heart rate, 60 000 / median RR (ms).
    pub hr_bpm: Option<f64>,
    /// RR intervals, ms.
    pub rr_ms: Vec<f64>,
    /// RR irregularity.
    pub rr_irregularity: Option<f64>,
    /// PR interval, ms.
    pub pr_ms: Option<f64>,
    /// QRS duration, ms.
    pub qrs_ms: Option<f64>,
    /// QT interval, ms.
    pub qt_ms: Option<f64>,
    /// QTc by Bazett, ms.
    pub qtc_bazett_ms: Option<f64>,
    /// QTc by Fridericia, ms.
    pub qtc_fridericia_ms: Option<f64>,
    /// Beat positions (sample indices of the rhythm signal).
    pub beats: Vec<usize>,
    /// Number of leads used.
    pub leads_used: usize,
}

/// Why a record could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum MeasureError {
    /// The record has no rhythm signal.
    #[error("no rhythm signal")]
    NoRhythm,
}

/// Measure an ECG's rhythm signal.
pub fn measure(ecg: &Ecg) -> Result<SignalMeasurements, MeasureError> {
    let _ = ecg;
    Err(MeasureError::NoRhythm)
}

/// Measure leads (microvolts) sampled at `sampling_rate_hz`.
pub fn measure_leads(
    leads: &[&[f64]],
    sampling_rate_hz: f64,
) -> Result<SignalMeasurements, MeasureError> {
    let _ = (leads, sampling_rate_hz);
    Err(MeasureError::NoRhythm)
}
