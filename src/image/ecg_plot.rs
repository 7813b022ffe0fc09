//! ECG waveforms on standard ECG paper: pink 1 mm / 5 mm grid, 25 mm/s, 10 mm/mV by default,
//! 3×4 layout of 2.5 s per lead plus a lead II rhythm strip, lead labels, calibration pulse,
//! and a header with patient, date/time, sampling rate and the cart's measurements. Raster
//! ([`plot_png`]) and vector ([`plot_svg`]) output share one layout.
//!
//! (The API below is the contract with `dicomkit render`; the plotting is being built.)

use crate::ecg::Ecg;

/// Paper speed, gain and resolution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlotOptions {
    /// Paper speed in mm/s (25 by default).
    pub speed_mm_s: f64,
    /// Gain in mm/mV (10 by default).
    pub gain_mm_mv: f64,
    /// Raster resolution in pixels per mm (PNG only).
    pub px_per_mm: f64,
}

impl Default for PlotOptions {
    fn default() -> Self {
        PlotOptions {
            speed_mm_s: 25.0,
            gain_mm_mv: 10.0,
            px_per_mm: 10.0,
        }
    }
}

/// Why an ECG cannot be plotted.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// No rhythm data, or options out of range.
    #[error("{0}")]
    Invalid(String),
}

/// The ECG on paper as an RGB raster.
pub fn plot_png(ecg: &Ecg, options: &PlotOptions) -> Result<image::RgbImage, PlotError> {
    let _ = (ecg, options);
    Err(PlotError::Invalid("ECG plotting is not built yet".into()))
}

/// The ECG on paper as an SVG document (millimetre units).
pub fn plot_svg(ecg: &Ecg, options: &PlotOptions) -> Result<String, PlotError> {
    let _ = (ecg, options);
    Err(PlotError::Invalid("ECG plotting is not built yet".into()))
}
