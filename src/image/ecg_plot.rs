//! ECG waveforms on standard ECG paper: pink 1 mm / 5 mm grid, 25 mm/s, 10 mm/mV by default,
//! 3×4 layout of 2.5 s per lead plus a lead II rhythm strip, lead labels, calibration pulse,
//! and a header with patient, date/time, sampling rate and the cart's measurements. Raster
//! ([`plot_png`]) and vector ([`plot_svg`]) output share one [`Layout`] (see [`layout`]).
//!
//! # Geometry
//!
//! All lengths are millimetres of paper; `s` is the speed (mm/s), `g` the gain (mm/mV).
//!
//! - Margin [`MARGIN_MM`] = 5 mm on all four sides.
//! - Header: [`HEADER_LINES`] = 8 text lines of 4 mm pitch plus 1 mm = [`HEADER_MM`] = 33 mm below
//!   the top margin; the grid starts at `grid_top = 5 + 33 = 38` mm.
//! - Calibration area left of the traces: `cal = 5 · ceil(0.3 s · s / 5 mm)` mm (10 mm at 25 mm/s,
//!   15 mm at 50 mm/s), so the traces start at `x0 = 5 + cal` mm, on a 5 mm grid line. Each row
//!   starts with a calibration pulse of 1 mV × 200 ms (`g` mm high, `0.2·s` mm wide) between
//!   `x0 − 0.3·s` and `x0`.
//! - Shown duration `T = max(10 s, min(recording length, 30 s))` ([`MIN_DURATION_S`],
//!   [`MAX_DURATION_S`]; longer recordings show their first 30 s, with a note).
//! - Width = `x0 + T·s + 5` mm: 270 mm for 10 s at 25 mm/s, 525 mm at 50 mm/s (trace width 250 →
//!   500 mm).
//! - Rows: row height `3·g` mm (30 mm at 10 mm/mV); the baseline sits at 60 % of the row
//!   (1.8 mV of headroom above, 1.2 mV below); traces are clipped to their row.
//! - Height = `38 + rows · 3·g + 5` mm: 163 mm for the standard layout at 10 mm/mV.
//! - Pixels: `width_px = ceil(width_mm · px_per_mm)` (same for the height); a point at
//!   `(x, y)` mm lies in pixel `(floor(x · px_per_mm), floor(y · px_per_mm))`. Raster images are
//!   limited to [`MAX_PIXELS`] pixels, the paper (PNG and SVG) to [`MAX_PAPER_MM`] a side.
//! - Grid: thin lines every 1 mm ([`GRID_MINOR`], left out below 2 px/mm) and thicker ones
//!   every 5 mm ([`GRID_MAJOR`]), from `(5, grid_top)` to the bottom-right margin.
//!
//! # Layouts
//!
//! - **Standard** (the rhythm waveform has at least 10 of the 12 standard leads): 4 rows; rows
//!   1–3 are the columns I,II,III | aVR,aVL,aVF | V1,V2,V3 | V4,V5,V6, column `c` showing the
//!   time window `[2.5·c, 2.5·(c+1))` s at its own place on the paper (like a cart print); row 4
//!   is the rhythm strip of lead II (the first standard lead present when II is missing) over
//!   `T`. Missing standard leads are left blank with their label and named in a header note;
//!   other leads (V3R, V7, ...) are named as not shown.
//! - **One row per lead** (any other lead set: 8-lead, single-lead, Frank X/Y/Z, ...): every lead
//!   of the file in file order, over `T`, at most [`MAX_ROWS`] rows (a note names how many were
//!   left out).
//!
//! Samples that are NaN interrupt the trace; infinite or huge values are clipped to the row;
//! zero-length leads are blank.
//!
//! PNG text uses the embedded Noto Mono Regular font (SIL Open Font License 1.1, see
//! `assets/NotoMono-LICENSE.txt`); SVG text names the `monospace` family.

use std::fmt::Write as _;

use ab_glyph::{Font, FontRef, ScaleFont, point};
use image::{Rgb, RgbImage};

use crate::ecg::{Ecg, Sex, Waveform};

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

/// Margin on every side, mm.
pub const MARGIN_MM: f64 = 5.0;
/// Text lines of the header.
pub const HEADER_LINES: usize = 8;
/// Pitch of the header lines, mm.
pub const LINE_PITCH_MM: f64 = 4.0;
/// Height of the header (lines plus 1 mm), mm.
pub const HEADER_MM: f64 = HEADER_LINES as f64 * LINE_PITCH_MM + 1.0;
/// Font size (em) of all text, mm.
pub const FONT_MM: f64 = 3.2;
/// Shortest duration laid out (the 4 × 2.5 s columns), s.
pub const MIN_DURATION_S: f64 = 10.0;
/// Longest duration shown; longer recordings show their beginning, s.
pub const MAX_DURATION_S: f64 = 30.0;
/// Duration of one column of the standard layout, s.
pub const COLUMN_S: f64 = 2.5;
/// Row height in mV (times the gain gives mm).
pub const ROW_MV: f64 = 3.0;
/// Where the baseline sits in a row, as a fraction of the row height from its top.
pub const BASELINE_FRACTION: f64 = 0.6;
/// Most rows of the one-row-per-lead layout.
pub const MAX_ROWS: usize = 24;
/// Longest side of the paper, mm (also bounds the SVG).
pub const MAX_PAPER_MM: f64 = 100_000.0;
/// Largest raster image, in pixels.
pub const MAX_PIXELS: u64 = 60_000_000;
/// Paper colour.
pub const PAPER: [u8; 3] = [255, 255, 255];
/// Colour of the 1 mm grid lines.
pub const GRID_MINOR: [u8; 3] = [255, 205, 215];
/// Colour of the 5 mm grid lines.
pub const GRID_MAJOR: [u8; 3] = [240, 130, 155];
/// Colour of traces and calibration pulses.
pub const TRACE: [u8; 3] = [0, 0, 0];
/// Colour of text.
pub const TEXT: [u8; 3] = [25, 25, 90];
/// Trace line width, mm (at least 1.5 px in rasters).
pub const TRACE_MM: f64 = 0.2;

/// The 12 standard leads in the order of the standard layout (column by column).
pub const STANDARD_LEADS: [&str; 12] = [
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
];

const FONT_BYTES: &[u8] = include_bytes!("../../assets/NotoMono-Regular.ttf");

/// How the leads are arranged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayoutKind {
    /// 3 rows × 4 columns of 2.5 s plus a rhythm strip.
    Standard,
    /// One full-length row per lead.
    RowPerLead,
}

/// One lead drawn over a time window at one place of a row.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// The lead's name (the label printed).
    pub lead: String,
    /// Index of the lead in the rhythm waveform; `None` when the file lacks it (blank).
    pub lead_index: Option<usize>,
    /// Start of the window, s from the start of the recording.
    pub start_s: f64,
    /// End of the window, s.
    pub end_s: f64,
    /// Where the window's start is on the paper, mm from the left edge.
    pub x_mm: f64,
}

/// One row of traces.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Top of the row band, mm from the top edge.
    pub top_mm: f64,
    /// The 0 mV line, mm from the top edge.
    pub baseline_mm: f64,
    /// Bottom of the row band, mm.
    pub bottom_mm: f64,
    /// The leads of the row, left to right.
    pub segments: Vec<Segment>,
}

/// Everything about where things go on the paper (see the module docs for the formulas).
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Arrangement of the leads.
    pub kind: LayoutKind,
    /// The options used.
    pub options: PlotOptions,
    /// Paper width, mm.
    pub width_mm: f64,
    /// Paper height, mm.
    pub height_mm: f64,
    /// Raster width, px (`ceil(width_mm · px_per_mm)`).
    pub width_px: u32,
    /// Raster height, px.
    pub height_px: u32,
    /// Left edge of the grid, mm.
    pub grid_left_mm: f64,
    /// Top edge of the grid, mm.
    pub grid_top_mm: f64,
    /// Right edge of the grid, mm.
    pub grid_right_mm: f64,
    /// Bottom edge of the grid, mm.
    pub grid_bottom_mm: f64,
    /// Where time 0 of the traces is, mm from the left edge.
    pub trace_left_mm: f64,
    /// Duration laid out, s.
    pub duration_s: f64,
    /// Row height, mm.
    pub row_height_mm: f64,
    /// The rows, top to bottom.
    pub rows: Vec<Row>,
    /// The header text, one entry per line ([`HEADER_LINES`], some may be empty).
    pub header: Vec<String>,
    /// Notes about what is not shown (also the last header line).
    pub notes: Vec<String>,
}

impl Layout {
    /// A length in mm as pixels.
    pub fn px(&self, mm: f64) -> f64 {
        mm * self.options.px_per_mm
    }

    /// The paper position (mm) of a sample value `uv` µV of a row.
    pub fn y_mm(&self, row: &Row, uv: f64) -> f64 {
        let y = row.baseline_mm - uv / 1000.0 * self.options.gain_mm_mv;
        if y.is_nan() {
            row.baseline_mm
        } else {
            y.clamp(row.top_mm, row.bottom_mm)
        }
    }

    /// The paper position (mm) of time `t_s` of a segment.
    pub fn x_mm(&self, segment: &Segment, t_s: f64) -> f64 {
        segment.x_mm + (t_s - segment.start_s) * self.options.speed_mm_s
    }
}

fn invalid(msg: impl Into<String>) -> PlotError {
    PlotError::Invalid(msg.into())
}

/// Compute the layout of an ECG (checks the options and the rhythm data).
pub fn layout(ecg: &Ecg, options: &PlotOptions) -> Result<Layout, PlotError> {
    for (name, v, unit) in [
        ("speed", options.speed_mm_s, "mm/s"),
        ("gain", options.gain_mm_mv, "mm/mV"),
        ("resolution", options.px_per_mm, "px/mm"),
    ] {
        if !(v.is_finite() && v > 0.0) {
            return Err(invalid(format!(
                "{name} must be a positive number of {unit}, not {v}"
            )));
        }
    }
    let rhythm = ecg
        .rhythm
        .as_ref()
        .ok_or_else(|| invalid("the ECG has no rhythm data (no full-length waveform) to plot"))?;
    if rhythm.leads.is_empty() {
        return Err(invalid("the ECG's rhythm waveform has no leads to plot"));
    }
    let fs = rhythm.sampling_rate_hz;
    if !(fs.is_finite() && fs > 0.0) {
        return Err(invalid(format!(
            "the ECG's sampling rate is not usable: {fs} Hz"
        )));
    }
    let samples = rhythm.samples_per_lead();
    if samples == 0 {
        return Err(invalid("the ECG's leads have no samples"));
    }
    let speed = options.speed_mm_s;
    let gain = options.gain_mm_mv;
    let recorded_s = samples as f64 / fs;
    let duration_s = recorded_s.clamp(MIN_DURATION_S, MAX_DURATION_S);
    let mut notes = Vec::new();
    if recorded_s > MAX_DURATION_S {
        notes.push(format!(
            "first {} s of {} s shown",
            num(MAX_DURATION_S),
            num1(recorded_s)
        ));
    }

    let cal_mm = 5.0 * (0.3 * speed / 5.0).ceil().max(1.0);
    let trace_left_mm = MARGIN_MM + cal_mm;
    let grid_top_mm = MARGIN_MM + HEADER_MM;
    let row_height_mm = ROW_MV * gain;
    let width_mm = trace_left_mm + duration_s * speed + MARGIN_MM;

    let index_of = |name: &str| rhythm.leads.iter().position(|l| l.name == name);
    let present = STANDARD_LEADS
        .iter()
        .filter(|n| index_of(n).is_some())
        .count();
    let kind = if present >= 10 {
        LayoutKind::Standard
    } else {
        LayoutKind::RowPerLead
    };
    let make_row = |r: usize, segments: Vec<Segment>| {
        let top_mm = grid_top_mm + r as f64 * row_height_mm;
        Row {
            top_mm,
            baseline_mm: top_mm + BASELINE_FRACTION * row_height_mm,
            bottom_mm: top_mm + row_height_mm,
            segments,
        }
    };
    let mut rows = Vec::new();
    match kind {
        LayoutKind::Standard => {
            for r in 0..3 {
                let mut segments = Vec::new();
                for c in 0..4 {
                    let Some(name) = STANDARD_LEADS.get(c * 3 + r) else {
                        continue;
                    };
                    let start_s = c as f64 * COLUMN_S;
                    segments.push(Segment {
                        lead: (*name).to_owned(),
                        lead_index: index_of(name),
                        start_s,
                        end_s: start_s + COLUMN_S,
                        x_mm: trace_left_mm + start_s * speed,
                    });
                }
                rows.push(make_row(r, segments));
            }
            let strip = ["II"]
                .iter()
                .chain(STANDARD_LEADS.iter())
                .find_map(|n| index_of(n).map(|i| (*n, i)));
            if let Some((name, i)) = strip {
                rows.push(make_row(
                    3,
                    vec![Segment {
                        lead: name.to_owned(),
                        lead_index: Some(i),
                        start_s: 0.0,
                        end_s: duration_s,
                        x_mm: trace_left_mm,
                    }],
                ));
            }
            let missing: Vec<&str> = STANDARD_LEADS
                .iter()
                .copied()
                .filter(|n| index_of(n).is_none())
                .collect();
            if !missing.is_empty() {
                notes.push(format!(
                    "leads missing in the file (left blank): {}",
                    missing.join(", ")
                ));
            }
            let others: Vec<&str> = rhythm
                .leads
                .iter()
                .map(|l| l.name.as_str())
                .filter(|n| !STANDARD_LEADS.contains(n))
                .collect();
            if !others.is_empty() {
                notes.push(format!("leads not shown: {}", others.join(", ")));
            }
        }
        LayoutKind::RowPerLead => {
            for (i, lead) in rhythm.leads.iter().enumerate().take(MAX_ROWS) {
                rows.push(make_row(
                    i,
                    vec![Segment {
                        lead: lead.name.clone(),
                        lead_index: Some(i),
                        start_s: 0.0,
                        end_s: duration_s,
                        x_mm: trace_left_mm,
                    }],
                ));
            }
            notes.push(format!(
                "one row per lead ({} of the 12 standard leads present)",
                present
            ));
            if rhythm.leads.len() > MAX_ROWS {
                notes.push(format!(
                    "first {MAX_ROWS} of {} leads shown",
                    rhythm.leads.len()
                ));
            }
        }
    }
    for (i, lead) in rhythm.leads.iter().enumerate() {
        if lead.samples_uv.is_empty()
            && rows
                .iter()
                .any(|r| r.segments.iter().any(|s| s.lead_index == Some(i)))
        {
            notes.push(format!("lead {} has no samples", lead.name));
        }
    }
    let height_mm = grid_top_mm + rows.len() as f64 * row_height_mm + MARGIN_MM;
    if !(width_mm <= MAX_PAPER_MM && height_mm <= MAX_PAPER_MM) {
        return Err(invalid(format!(
            "the paper would be {} × {} mm (more than {} mm a side): lower the speed or gain",
            num1(width_mm),
            num1(height_mm),
            num(MAX_PAPER_MM)
        )));
    }
    let ppm = options.px_per_mm;
    let width_px = to_px_count(width_mm * ppm);
    let height_px = to_px_count(height_mm * ppm);
    let header = header_lines(ecg, rhythm, options, recorded_s, &notes);
    Ok(Layout {
        kind,
        options: *options,
        width_mm,
        height_mm,
        width_px,
        height_px,
        grid_left_mm: MARGIN_MM,
        grid_top_mm,
        grid_right_mm: width_mm - MARGIN_MM,
        grid_bottom_mm: height_mm - MARGIN_MM,
        trace_left_mm,
        duration_s,
        row_height_mm,
        rows,
        header,
        notes,
    })
}

fn to_px_count(v: f64) -> u32 {
    let c = v.ceil();
    if c.is_finite() && c >= 1.0 && c <= u32::MAX as f64 {
        c as u32
    } else if c.is_finite() && c > 0.0 {
        u32::MAX
    } else {
        1
    }
}

/// A number without needless decimals (at most 2).
fn num(v: f64) -> String {
    let r = (v * 100.0).round() / 100.0;
    let s = format!("{r:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn num1(v: f64) -> String {
    let s = format!("{:.1}", v);
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn header_lines(
    ecg: &Ecg,
    rhythm: &Waveform,
    options: &PlotOptions,
    recorded_s: f64,
    notes: &[String],
) -> Vec<String> {
    let p = &ecg.patient;
    let mut l1 = Vec::new();
    let name = match (&p.family_name, &p.given_name) {
        (Some(f), Some(g)) => Some(format!("{f}, {g}")),
        (Some(f), None) => Some(f.clone()),
        (None, Some(g)) => Some(g.clone()),
        (None, None) => None,
    };
    l1.push(format!("Patient: {}", name.as_deref().unwrap_or("-")));
    l1.push(format!("ID: {}", p.id.as_deref().unwrap_or("-")));
    l1.push(format!(
        "Sex: {}",
        match p.sex {
            Some(Sex::Male) => "M",
            Some(Sex::Female) => "F",
            Some(Sex::Other) => "O",
            None => "-",
        }
    ));
    let age = p.age_years.map(|a| a.floor()).or_else(|| {
        let born = p.birth_date?;
        let at = ecg.acquired?.date();
        at.years_since(born).map(f64::from)
    });
    let mut born = format!(
        "Born: {}",
        p.birth_date
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| "-".into())
    );
    if let Some(a) = age {
        let _ = write!(born, " (age {})", num(a));
    }
    l1.push(born);

    let mut l2 = vec![format!(
        "Acquired: {}",
        ecg.acquired
            .map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|| "-".into())
    )];
    let device: Vec<&str> = [&ecg.device.manufacturer, &ecg.device.model]
        .iter()
        .filter_map(|s| s.as_deref())
        .collect();
    if !device.is_empty() {
        l2.push(format!("Device: {}", device.join(" ")));
    }
    if let Some(i) = &ecg.institution {
        l2.push(format!("Institution: {i}"));
    }

    let f = &ecg.filters;
    let mut filters = Vec::new();
    if let Some(v) = f.highpass_hz {
        filters.push(format!("HP {} Hz", num(v)));
    }
    if let Some(v) = f.lowpass_hz {
        filters.push(format!("LP {} Hz", num(v)));
    }
    if let Some(v) = f.notch_hz {
        filters.push(format!("notch {} Hz", num(v)));
    }
    let l3 = [
        format!(
            "Sampling: {} Hz, {} s, {} leads",
            num(rhythm.sampling_rate_hz),
            num1(recorded_s),
            rhythm.leads.len()
        ),
        format!("Speed: {} mm/s", num(options.speed_mm_s)),
        format!("Gain: {} mm/mV", num(options.gain_mm_mv)),
        format!(
            "Filters: {}",
            if filters.is_empty() {
                "-".to_owned()
            } else {
                filters.join(", ")
            }
        ),
    ];

    let m = &ecg.measurements;
    let ms = |v: Option<f64>| v.map(num).unwrap_or_else(|| "-".into());
    let mut l4 = Vec::new();
    if let Some(hr) = m.heart_rate_bpm {
        l4.push(format!("HR {} bpm", num(hr)));
    }
    if let Some(rr) = m.rr_ms {
        l4.push(format!("RR {} ms", num(rr)));
    }
    if let Some(pr) = m.pr_ms {
        l4.push(format!("PR {} ms", num(pr)));
    }
    if let Some(q) = m.qrs_ms {
        l4.push(format!("QRS {} ms", num(q)));
    }
    if m.qt_ms.is_some() || m.qtc_ms.is_some() {
        l4.push(format!("QT/QTc {}/{} ms", ms(m.qt_ms), ms(m.qtc_ms)));
    }
    if m.p_axis_deg.is_some() || m.qrs_axis_deg.is_some() || m.t_axis_deg.is_some() {
        l4.push(format!(
            "Axes P/QRS/T {}/{}/{}°",
            ms(m.p_axis_deg),
            ms(m.qrs_axis_deg),
            ms(m.t_axis_deg)
        ));
    }
    let l4 = if l4.is_empty() {
        "Measurements: none in the file".to_owned()
    } else {
        l4.join("   ")
    };

    let mut lines = vec![l1.join("   "), l2.join("   "), l3.join("   "), l4];
    let statements: Vec<&String> = ecg
        .statements
        .iter()
        .filter(|s| !s.trim().is_empty())
        .collect();
    for k in 0..3 {
        let line = match statements.get(k) {
            None => String::new(),
            Some(s) => {
                let prefix = if k == 0 {
                    "Interpretation: "
                } else {
                    "                "
                };
                let mut t = format!("{prefix}{}", s.trim());
                if k == 2 && statements.len() > 3 {
                    let _ = write!(t, " (+{} more)", statements.len() - 3);
                }
                t
            }
        };
        lines.push(line);
    }
    lines.push(if notes.is_empty() {
        String::new()
    } else {
        format!("Note: {}", notes.join("; "))
    });
    lines.iter().map(|l| clean_text(l)).collect()
}

/// Control characters out (they are not allowed in XML and have no glyph).
fn clean_text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Text cut to `max` characters (with an ellipsis).
fn fit(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// What is drawn, in mm, shared by the raster and the vector output.
struct Drawing {
    /// Polylines of the traces and calibration pulses (NaN samples split them).
    lines: Vec<Vec<(f64, f64)>>,
    /// Texts: x, baseline y, content, is a lead label.
    texts: Vec<(f64, f64, String, bool)>,
}

fn drawing(ecg: &Ecg, lay: &Layout) -> Drawing {
    let speed = lay.options.speed_mm_s;
    let gain = lay.options.gain_mm_mv;
    let mut lines = Vec::new();
    let mut texts = Vec::new();
    let max_chars = ((lay.width_mm - 2.0 * MARGIN_MM) / (0.6 * FONT_MM)).floor();
    let max_chars = if max_chars >= 1.0 {
        max_chars as usize
    } else {
        1
    };
    for (k, line) in lay.header.iter().enumerate() {
        if !line.is_empty() {
            texts.push((
                MARGIN_MM,
                MARGIN_MM + FONT_MM + k as f64 * LINE_PITCH_MM,
                fit(line, max_chars),
                false,
            ));
        }
    }
    let rhythm = ecg.rhythm.as_ref();
    let fs = rhythm.map(|r| r.sampling_rate_hz).unwrap_or(0.0);
    for row in &lay.rows {
        // Calibration pulse: 1 mV × 200 ms, ending at the trace start.
        let b = row.baseline_mm;
        let top = (b - gain).max(row.top_mm);
        let x = lay.trace_left_mm - 0.3 * speed;
        lines.push(vec![
            (x, b),
            (x + 0.05 * speed, b),
            (x + 0.05 * speed, top),
            (x + 0.25 * speed, top),
            (x + 0.25 * speed, b),
            (x + 0.3 * speed, b),
        ]);
        for seg in &row.segments {
            texts.push((
                seg.x_mm + 1.0,
                row.top_mm + FONT_MM + 0.5,
                clean_text(&seg.lead),
                true,
            ));
            let Some(lead) = seg
                .lead_index
                .and_then(|i| rhythm.and_then(|r| r.leads.get(i)))
            else {
                continue;
            };
            let n = lead.samples_uv.len();
            if n == 0 || fs <= 0.0 {
                continue;
            }
            let first = (seg.start_s * fs).ceil().max(0.0);
            let last = (seg.end_s * fs).floor().min(n as f64 - 1.0);
            if first.is_nan() || last.is_nan() || first > last {
                continue;
            }
            let (first, last) = (first as usize, last as usize);
            let mut current: Vec<(f64, f64)> = Vec::new();
            for (i, v) in lead
                .samples_uv
                .iter()
                .enumerate()
                .take(last + 1)
                .skip(first)
            {
                if v.is_nan() {
                    if current.len() > 1 {
                        lines.push(std::mem::take(&mut current));
                    }
                    current.clear();
                    continue;
                }
                let t = i as f64 / fs;
                current.push((lay.x_mm(seg, t), lay.y_mm(row, *v)));
            }
            if !current.is_empty() {
                lines.push(current);
            }
        }
    }
    Drawing { lines, texts }
}

/// The ECG on paper as an RGB raster.
pub fn plot_png(ecg: &Ecg, options: &PlotOptions) -> Result<image::RgbImage, PlotError> {
    let lay = layout(ecg, options)?;
    let (w, h) = (lay.width_px, lay.height_px);
    let pixels = u64::from(w) * u64::from(h);
    if pixels > MAX_PIXELS {
        return Err(invalid(format!(
            "the image would be {w}×{h} px (more than {MAX_PIXELS} pixels): lower the resolution, speed or gain"
        )));
    }
    let font = FontRef::try_from_slice(FONT_BYTES)
        .map_err(|e| invalid(format!("the embedded font cannot be read: {e}")))?;
    let ppm = options.px_per_mm;
    let mut img = RgbImage::from_pixel(w, h, Rgb(PAPER));
    draw_grid(&mut img, &lay);

    let d = drawing(ecg, &lay);
    // Traces: coverage (max over segments, so joints do not darken), then one composite.
    let mut cover = vec![0u8; usize::try_from(pixels).unwrap_or(0)];
    let half = (TRACE_MM * ppm).max(1.5) / 2.0;
    for line in &d.lines {
        let pts: Vec<(f64, f64)> = line.iter().map(|&(x, y)| (x * ppm, y * ppm)).collect();
        if let [only] = pts.as_slice() {
            stroke(&mut cover, w, h, *only, *only, half);
        }
        for pair in pts.windows(2) {
            if let [a, b] = pair {
                stroke(&mut cover, w, h, *a, *b, half);
            }
        }
    }
    for (p, c) in img.pixels_mut().zip(&cover) {
        if *c > 0 {
            *p = Rgb(blend(p.0, TRACE, f32::from(*c) / 255.0));
        }
    }
    for (x, y, s, _) in &d.texts {
        draw_text(&mut img, &font, s, x * ppm, y * ppm, FONT_MM * ppm);
    }
    Ok(img)
}

fn blend(under: [u8; 3], over: [u8; 3], a: f32) -> [u8; 3] {
    let a = a.clamp(0.0, 1.0);
    let mix = |u: u8, o: u8| (f32::from(u) * (1.0 - a) + f32::from(o) * a).round() as u8;
    [
        mix(under[0], over[0]),
        mix(under[1], over[1]),
        mix(under[2], over[2]),
    ]
}

fn draw_grid(img: &mut RgbImage, lay: &Layout) {
    let ppm = lay.options.px_per_mm;
    let (w, h) = (img.width(), img.height());
    let px = |mm: f64| -> u32 { ((mm * ppm).floor().max(0.0) as u32).min(w.max(h)) };
    let (x0, x1) = (px(lay.grid_left_mm), px(lay.grid_right_mm).min(w - 1));
    let (y0, y1) = (px(lay.grid_top_mm), px(lay.grid_bottom_mm).min(h - 1));
    let cols = (lay.grid_right_mm - lay.grid_left_mm).floor().max(0.0) as u32;
    let rows = (lay.grid_bottom_mm - lay.grid_top_mm).floor().max(0.0) as u32;
    let major_px = ((0.15 * ppm).round() as u32).max(1);
    for pass in [false, true] {
        if !pass && ppm < 2.0 {
            continue;
        }
        for k in 0..=cols {
            if (k % 5 == 0) != pass {
                continue;
            }
            let x = px(lay.grid_left_mm + f64::from(k));
            let (colour, thick) = if pass {
                (GRID_MAJOR, major_px)
            } else {
                (GRID_MINOR, 1)
            };
            for dx in 0..thick {
                let Some(xx) = x.checked_add(dx).filter(|v| *v < w) else {
                    continue;
                };
                for y in y0..=y1 {
                    img.put_pixel(xx, y, Rgb(colour));
                }
            }
        }
        for k in 0..=rows {
            if (k % 5 == 0) != pass {
                continue;
            }
            let y = px(lay.grid_top_mm + f64::from(k));
            let (colour, thick) = if pass {
                (GRID_MAJOR, major_px)
            } else {
                (GRID_MINOR, 1)
            };
            for dy in 0..thick {
                let Some(yy) = y.checked_add(dy).filter(|v| *v < h) else {
                    continue;
                };
                for x in x0..=x1 {
                    img.put_pixel(x, yy, Rgb(colour));
                }
            }
        }
    }
}

/// An anti-aliased thick segment into the coverage buffer (distance to the segment).
fn stroke(cover: &mut [u8], w: u32, h: u32, a: (f64, f64), b: (f64, f64), half: f64) {
    let pad = half + 1.0;
    let min_x = (a.0.min(b.0) - pad).floor().max(0.0);
    let max_x = (a.0.max(b.0) + pad).ceil().min(f64::from(w) - 1.0);
    let min_y = (a.1.min(b.1) - pad).floor().max(0.0);
    let max_y = (a.1.max(b.1) + pad).ceil().min(f64::from(h) - 1.0);
    if !(min_x <= max_x && min_y <= max_y) {
        return;
    }
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    for y in (min_y as u32)..=(max_y as u32) {
        let cy = f64::from(y) + 0.5;
        for x in (min_x as u32)..=(max_x as u32) {
            let cx = f64::from(x) + 0.5;
            let t = if len2 > 0.0 {
                (((cx - a.0) * dx + (cy - a.1) * dy) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let (px, py) = (a.0 + t * dx - cx, a.1 + t * dy - cy);
            let d = (px * px + py * py).sqrt();
            let c = (half + 0.5 - d).clamp(0.0, 1.0);
            if c > 0.0 {
                let i = y as usize * w as usize + x as usize;
                if let Some(slot) = cover.get_mut(i) {
                    let v = (c * 255.0).round() as u8;
                    if v > *slot {
                        *slot = v;
                    }
                }
            }
        }
    }
}

fn draw_text(img: &mut RgbImage, font: &FontRef<'_>, s: &str, x: f64, baseline: f64, em_px: f64) {
    // ab_glyph scales by the font's height (ascent − descent); the size asked for is the em.
    let Some(units) = font.units_per_em().filter(|u| *u > 0.0) else {
        return;
    };
    let scale = ab_glyph::PxScale::from(em_px as f32 * font.height_unscaled() / units);
    let scaled = font.as_scaled(scale);
    let (w, h) = (img.width(), img.height());
    let mut caret = x as f32;
    for c in s.chars() {
        let mut glyph = scaled.scaled_glyph(c);
        glyph.position = point(caret, baseline as f32);
        caret += scaled.h_advance(glyph.id);
        if let Some(outlined) = scaled.outline_glyph(glyph) {
            let bounds = outlined.px_bounds();
            outlined.draw(|gx, gy, cov| {
                let px = bounds.min.x as i64 + i64::from(gx);
                let py = bounds.min.y as i64 + i64::from(gy);
                if let (Ok(px), Ok(py)) = (u32::try_from(px), u32::try_from(py))
                    && px < w
                    && py < h
                {
                    let p = img.get_pixel_mut(px, py);
                    *p = Rgb(blend(p.0, TEXT, cov));
                }
            });
        }
    }
}

fn hex(c: [u8; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The ECG on paper as an SVG document (millimetre units).
pub fn plot_svg(ecg: &Ecg, options: &PlotOptions) -> Result<String, PlotError> {
    let lay = layout(ecg, options)?;
    let d = drawing(ecg, &lay);
    let (wm, hm) = (lay.width_mm, lay.height_mm);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{w}mm" height="{h}mm" viewBox="0 0 {w} {h}">
<rect x="0" y="0" width="{w}" height="{h}" fill="{paper}"/>"#,
        w = f(wm),
        h = f(hm),
        paper = hex(PAPER)
    );
    let (gl, gt, gr, gb) = (
        lay.grid_left_mm,
        lay.grid_top_mm,
        lay.grid_right_mm,
        lay.grid_bottom_mm,
    );
    let cols = (gr - gl).floor().max(0.0) as u32;
    let rows = (gb - gt).floor().max(0.0) as u32;
    for major in [false, true] {
        let mut path = String::new();
        for k in (0..=cols).filter(|k| (k % 5 == 0) == major) {
            let x = gl + f64::from(k);
            let _ = write!(path, "M{} {}V{}", f(x), f(gt), f(gb));
        }
        for k in (0..=rows).filter(|k| (k % 5 == 0) == major) {
            let y = gt + f64::from(k);
            let _ = write!(path, "M{} {}H{}", f(gl), f(y), f(gr));
        }
        let _ = writeln!(
            s,
            r#"<path class="{}" d="{path}" stroke="{}" stroke-width="{}" fill="none"/>"#,
            if major { "grid-major" } else { "grid-minor" },
            hex(if major { GRID_MAJOR } else { GRID_MINOR }),
            if major { "0.2" } else { "0.1" }
        );
    }
    let _ = writeln!(
        s,
        r#"<g class="traces" fill="none" stroke="{}" stroke-width="{}" stroke-linejoin="round" stroke-linecap="round">"#,
        hex(TRACE),
        TRACE_MM
    );
    for line in &d.lines {
        s.push_str("<polyline points=\"");
        for (i, (x, y)) in line.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            let _ = write!(s, "{},{}", f(*x), f(*y));
        }
        s.push_str("\"/>\n");
    }
    s.push_str("</g>\n");
    let _ = writeln!(
        s,
        r#"<g font-family="'Noto Mono', 'DejaVu Sans Mono', monospace" font-size="{}" fill="{}" xml:space="preserve">"#,
        FONT_MM,
        hex(TEXT)
    );
    for (x, y, t, label) in &d.texts {
        let _ = writeln!(
            s,
            r#"<text class="{}" x="{}" y="{}">{}</text>"#,
            if *label { "lead" } else { "header" },
            f(*x),
            f(*y),
            xml_escape(t)
        );
    }
    s.push_str("</g>\n</svg>\n");
    Ok(s)
}

/// A coordinate with at most 3 decimals, no trailing zeros.
fn f(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecg::{Format, Lead};

    fn ecg_with(names: &[&str], fs: f64, n: usize, f: impl Fn(usize, usize) -> f64) -> Ecg {
        let mut ecg = Ecg::new(Format::Aecg);
        ecg.rhythm = Some(Waveform {
            sampling_rate_hz: fs,
            leads: names
                .iter()
                .enumerate()
                .map(|(k, name)| Lead {
                    name: (*name).to_owned(),
                    samples_uv: (0..n).map(|i| f(k, i)).collect(),
                })
                .collect(),
        });
        ecg
    }

    fn twelve(n: usize) -> Ecg {
        ecg_with(&STANDARD_LEADS, 500.0, n, |k, i| {
            ((i as f64) / 50.0).sin() * 100.0 * (k as f64 + 1.0)
        })
    }

    #[test]
    fn standard_geometry_at_default_options() {
        let lay = layout(&twelve(5000), &PlotOptions::default()).unwrap();
        assert_eq!(lay.kind, LayoutKind::Standard);
        assert_eq!(lay.trace_left_mm, 15.0);
        assert_eq!(lay.width_mm, 270.0);
        assert_eq!(lay.height_mm, 38.0 + 120.0 + 5.0);
        assert_eq!((lay.width_px, lay.height_px), (2700, 1630));
        assert_eq!(lay.rows.len(), 4);
        let leads: Vec<&str> = lay.rows[..3]
            .iter()
            .flat_map(|r| r.segments.iter().map(|s| s.lead.as_str()))
            .collect();
        assert_eq!(
            leads,
            [
                "I", "aVR", "V1", "V4", "II", "aVL", "V2", "V5", "III", "aVF", "V3", "V6"
            ]
        );
        assert_eq!(lay.rows[1].segments[2].start_s, 5.0);
        assert_eq!(lay.rows[1].segments[2].x_mm, 15.0 + 125.0);
        assert_eq!(lay.rows[3].segments[0].lead, "II");
        assert_eq!(lay.rows[3].baseline_mm, 38.0 + 90.0 + 18.0);
        assert!(lay.notes.is_empty(), "{:?}", lay.notes);
    }

    #[test]
    fn speed_and_gain_scale_the_paper() {
        let o = PlotOptions {
            speed_mm_s: 50.0,
            gain_mm_mv: 20.0,
            px_per_mm: 4.0,
        };
        let lay = layout(&twelve(5000), &o).unwrap();
        assert_eq!(lay.trace_left_mm, 20.0);
        assert_eq!(lay.width_mm, 20.0 + 500.0 + 5.0);
        assert_eq!(lay.row_height_mm, 60.0);
        assert_eq!(lay.height_mm, 38.0 + 240.0 + 5.0);
        assert_eq!(lay.width_px, 2100);
    }

    #[test]
    fn long_recordings_are_cut_and_short_ones_padded() {
        let long = ecg_with(&["II"], 100.0, 100 * 300, |_, _| 0.0);
        let lay = layout(&long, &PlotOptions::default()).unwrap();
        assert_eq!(lay.duration_s, 30.0);
        assert_eq!(lay.kind, LayoutKind::RowPerLead);
        assert!(lay.notes.iter().any(|n| n.contains("first 30 s of 300 s")));
        let short = ecg_with(&["II"], 100.0, 300, |_, _| 0.0);
        assert_eq!(
            layout(&short, &PlotOptions::default()).unwrap().duration_s,
            10.0
        );
        let fifteen = ecg_with(&["II"], 500.0, 7500, |_, _| 0.0);
        let lay = layout(&fifteen, &PlotOptions::default()).unwrap();
        assert_eq!(lay.width_mm, 15.0 + 375.0 + 5.0);
    }

    #[test]
    fn missing_and_extra_leads_are_noted() {
        let names = [
            "I", "II", "III", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6", "V4R",
        ];
        let ecg = ecg_with(&names, 500.0, 5000, |_, _| 0.0);
        let lay = layout(&ecg, &PlotOptions::default()).unwrap();
        assert_eq!(lay.kind, LayoutKind::Standard);
        let avr = &lay.rows[0].segments[1];
        assert_eq!((avr.lead.as_str(), avr.lead_index), ("aVR", None));
        assert!(
            lay.header[7].contains("left blank): aVR"),
            "{}",
            lay.header[7]
        );
        assert!(lay.header[7].contains("not shown: V4R"));
        // SVG still has the blank lead's label.
        let svg = plot_svg(&ecg, &PlotOptions::default()).unwrap();
        assert!(svg.contains(">aVR</text>"));
    }

    #[test]
    fn eight_leads_get_one_row_each() {
        let names = ["I", "II", "V1", "V2", "V3", "V4", "V5", "V6"];
        let ecg = ecg_with(&names, 500.0, 5000, |_, _| 0.0);
        let lay = layout(&ecg, &PlotOptions::default()).unwrap();
        assert_eq!(lay.kind, LayoutKind::RowPerLead);
        assert_eq!(lay.rows.len(), 8);
        assert_eq!(lay.height_mm, 38.0 + 240.0 + 5.0);
        assert_eq!(lay.rows[7].segments[0].lead, "V6");
        let img = plot_png(
            &ecg,
            &PlotOptions {
                px_per_mm: 2.0,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!((img.width(), img.height()), (540, 566));
    }

    #[test]
    fn bad_options_and_data_are_refused() {
        let ecg = twelve(100);
        for o in [
            PlotOptions {
                speed_mm_s: 0.0,
                ..Default::default()
            },
            PlotOptions {
                gain_mm_mv: -10.0,
                ..Default::default()
            },
            PlotOptions {
                px_per_mm: f64::NAN,
                ..Default::default()
            },
            PlotOptions {
                speed_mm_s: f64::INFINITY,
                ..Default::default()
            },
        ] {
            let e = plot_png(&ecg, &o).unwrap_err().to_string();
            assert!(e.contains("must be a positive number"), "{e}");
        }
        let mut none = twelve(10);
        none.rhythm = None;
        assert!(
            plot_svg(&none, &PlotOptions::default())
                .unwrap_err()
                .to_string()
                .contains("no rhythm data")
        );
        let empty = ecg_with(&[], 500.0, 10, |_, _| 0.0);
        assert!(
            plot_png(&empty, &PlotOptions::default())
                .unwrap_err()
                .to_string()
                .contains("no leads")
        );
        let zero = ecg_with(&["I", "II"], 500.0, 0, |_, _| 0.0);
        assert!(
            plot_png(&zero, &PlotOptions::default())
                .unwrap_err()
                .to_string()
                .contains("no samples")
        );
        let rate = ecg_with(&["I"], 0.0, 10, |_, _| 0.0);
        assert!(
            plot_png(&rate, &PlotOptions::default())
                .unwrap_err()
                .to_string()
                .contains("sampling rate")
        );
        let huge = PlotOptions {
            px_per_mm: 1000.0,
            ..Default::default()
        };
        let fast = PlotOptions {
            speed_mm_s: 1e12,
            ..Default::default()
        };
        let e = plot_svg(&twelve(5000), &fast).unwrap_err().to_string();
        assert!(e.contains("lower the speed or gain"), "{e}");
        assert!(
            plot_png(&twelve(5000), &huge)
                .unwrap_err()
                .to_string()
                .contains("lower the resolution")
        );
    }

    #[test]
    fn nan_huge_and_empty_leads_do_not_panic() {
        let mut ecg = ecg_with(&["I", "II", "V1"], 500.0, 5000, |k, i| match (k, i % 7) {
            (0, 3) => f64::NAN,
            (0, _) => 1e300,
            (1, _) => f64::NEG_INFINITY,
            _ => 0.0,
        });
        if let Some(r) = ecg.rhythm.as_mut() {
            r.leads[2].samples_uv.clear();
        }
        let o = PlotOptions {
            px_per_mm: 3.0,
            ..Default::default()
        };
        let lay = layout(&ecg, &o).unwrap();
        assert!(lay.notes.iter().any(|n| n == "lead V1 has no samples"));
        // Huge values sit at the top of the row, −∞ at its bottom.
        assert_eq!(lay.y_mm(&lay.rows[0], 1e300), lay.rows[0].top_mm);
        assert_eq!(
            lay.y_mm(&lay.rows[1], f64::NEG_INFINITY),
            lay.rows[1].bottom_mm
        );
        let img = plot_png(&ecg, &o).unwrap();
        assert_eq!(img.width(), lay.width_px);
        // Row 0 is clipped at its top: the trace runs along the top edge.
        let y = (lay.px(lay.rows[0].top_mm)).floor() as u32;
        let x = lay.px(lay.trace_left_mm + 100.0).floor() as u32;
        assert!(
            (y.saturating_sub(1)..=y + 1).any(|yy| img
                .get_pixel(x, yy)
                .0
                .iter()
                .all(|c| *c <= 120))
        );
        let svg = plot_svg(&ecg, &o).unwrap();
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn text_is_escaped_and_fitted() {
        let mut ecg = twelve(5000);
        ecg.patient.family_name = Some("<Doe & \"Sons\">\u{1}".into());
        ecg.statements = (0..5).map(|i| format!("statement {i}")).collect();
        let svg = plot_svg(&ecg, &PlotOptions::default()).unwrap();
        assert!(svg.contains("Patient: &lt;Doe &amp; &quot;Sons&quot;&gt; "));
        assert!(svg.contains("statement 2 (+2 more)"));
        assert!(!svg.contains("statement 3"));
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(num(25.0), "25");
        assert_eq!(num(12.5), "12.5");
        assert_eq!(num(0.05), "0.05");
        assert_eq!(f(-0.0001), "0");
        assert_eq!(f(1.23456), "1.235");
    }
}
