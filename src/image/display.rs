//! The display pipeline: decoded frames ([`Image`]) to displayable pictures, in the order of
//! PS3.4 N.2 / PS3.3 C.11: stored values → Modality LUT (Rescale Slope/Intercept or the Modality
//! LUT Sequence) → VOI (Window Center/Width with VOI LUT Function `LINEAR`, `LINEAR_EXACT` or
//! `SIGMOID`, or a VOI LUT Sequence) → presentation (MONOCHROME1 inverted) → overlays burned in.
//!
//! Which VOI is used ([`VoiChoice`]): `--window C,W` when given; otherwise the file's first
//! window or VOI LUT; when the file states none, the minimum and maximum of the modality values
//! of the frames rendered together (what DCMTK's `dcm2pnm +Wm` does: centre (min+max+1)/2, width
//! max−min+1, so min → black and max → white).
//!
//! Colour frames pass through (VOI does not apply to colour); 16-bit output scales the VOI output
//! to 0..65535. Grey frames of at most 2^22 distinct stored values go through one lookup table
//! built per image (stored value → output level), so the per-pixel work is one table read.

use image::{DynamicImage, GrayImage, ImageBuffer, Luma, Rgb, RgbImage};
use rayon::prelude::*;

use super::pixels::{Frame, Image, Lut, ModalityLut, Overlay, Voi};

/// Which VOI transformation to apply to grey images.
#[derive(Debug, Clone, PartialEq)]
pub enum VoiChoice {
    /// The file's first VOI (window or VOI LUT); min/max of the frames when it states none.
    File,
    /// The file's N-th VOI (1-based); an error when it has fewer.
    Index(usize),
    /// Always the min/max of the modality values of the frames.
    MinMax,
    /// This window centre and width (`--window C,W`), `LINEAR`.
    Window(f64, f64),
    /// No VOI: the whole range the modality output can take (from Bits Stored and the
    /// Modality LUT), linearly.
    Full,
}

/// How to turn an [`Image`] into pictures.
#[derive(Debug, Clone, PartialEq)]
pub struct DisplayOptions {
    /// The VOI to use for grey images.
    pub voi: VoiChoice,
    /// Burn overlay planes (60xx) in, white.
    pub overlays: bool,
    /// 16 bits per sample (Luma16 / Rgb16) instead of 8.
    pub sixteen_bit: bool,
}

impl Default for DisplayOptions {
    fn default() -> Self {
        DisplayOptions {
            voi: VoiChoice::File,
            overlays: false,
            sixteen_bit: false,
        }
    }
}

/// Why an image cannot be displayed.
#[derive(Debug, thiserror::Error)]
pub enum DisplayError {
    /// The image's values contradict each other (frame size, LUT), or a VOI asked for is not there.
    #[error("{0}")]
    Invalid(String),
}

/// The pictures of an image and how its grey levels were chosen.
#[derive(Debug, Clone)]
pub struct Displayed {
    /// One picture per decoded frame, with its 1-based frame number.
    pub frames: Vec<(u32, DynamicImage)>,
    /// The VOI used, for people (e.g. `window 40,400`, `min-max 0,1023`, `VOI LUT`, `colour`).
    pub voi: String,
    /// Things that were odd but rendered anyway.
    pub warnings: Vec<String>,
}

/// Stored value → output level.
type GreyFn = Box<dyn Fn(i32) -> u16 + Sync>;

/// The lookup table of [`GreyFn`] over stored values from the first.
type Table = (i32, Vec<u16>);

/// The VOI stage resolved to one function of the modality value, output in 0..=1.
#[derive(Debug, Clone)]
enum VoiFn {
    Linear { center: f64, width: f64 },
    LinearExact { center: f64, width: f64 },
    Sigmoid { center: f64, width: f64 },
    Table(Lut),
}

impl VoiFn {
    /// PS3.3 C.11.2.1.2.1 (LINEAR), C.11.2.1.3.2 (LINEAR_EXACT), C.11.2.1.3.1 (SIGMOID), and
    /// the VOI LUT Sequence, normalised to 0..=1.
    fn apply(&self, x: f64) -> f64 {
        match self {
            VoiFn::Linear { center, width } => {
                let c = center - 0.5;
                let w = width - 1.0;
                if x <= c - w / 2.0 {
                    0.0
                } else if x > c + w / 2.0 || w <= 0.0 {
                    1.0
                } else {
                    ((x - c) / w + 0.5).clamp(0.0, 1.0)
                }
            }
            VoiFn::LinearExact { center, width } => {
                if x <= center - width / 2.0 {
                    0.0
                } else if x > center + width / 2.0 {
                    1.0
                } else {
                    ((x - center) / width + 0.5).clamp(0.0, 1.0)
                }
            }
            VoiFn::Sigmoid { center, width } => 1.0 / (1.0 + (-4.0 * (x - center) / width).exp()),
            VoiFn::Table(lut) => {
                let top = lut_max(lut);
                if top <= 0.0 {
                    return 0.0;
                }
                lut_lookup(lut, x) / top
            }
        }
    }
}

/// The largest value an entry of `lut` can take: 2^bits − 1, or the largest entry when the
/// descriptor's bit count is implausible or too small for the data (a common fault).
fn lut_max(lut: &Lut) -> f64 {
    let data_max = lut.data.iter().copied().max().unwrap_or(0);
    let bits = if (1..=16).contains(&lut.bits) {
        lut.bits
    } else {
        16
    };
    let stated = (1u32 << bits) - 1;
    if u32::from(data_max) > stated {
        f64::from(data_max)
    } else {
        f64::from(stated)
    }
}

/// The LUT entry for input `x`: inputs below the first mapped value take the first entry,
/// above the last the last (PS3.3 C.11.1.1 / C.11.2.1.1).
fn lut_lookup(lut: &Lut, x: f64) -> f64 {
    let last = lut.data.len().saturating_sub(1);
    let i = (x.floor() - f64::from(lut.first_mapped)).clamp(0.0, last as f64) as usize;
    lut.data.get(i).map_or(0.0, |&v| f64::from(v))
}

fn modality_value(m: &ModalityLut, stored: i32) -> f64 {
    match m {
        ModalityLut::Identity => f64::from(stored),
        ModalityLut::Rescale { slope, intercept } => f64::from(stored) * slope + intercept,
        ModalityLut::Table(lut) => lut_lookup(lut, f64::from(stored)),
    }
}

/// The range the modality output can take for stored values of `bits` bits.
fn modality_range(img: &Image) -> (f64, f64) {
    let bits = u32::from(img.bits_stored.clamp(1, 32));
    let (lo, hi) = if img.signed {
        (
            -(2f64.powi(bits as i32 - 1)),
            2f64.powi(bits as i32 - 1) - 1.0,
        )
    } else {
        (0.0, 2f64.powi(bits as i32) - 1.0)
    };
    match &img.modality {
        ModalityLut::Identity => (lo, hi),
        ModalityLut::Rescale { slope, intercept } => {
            let (a, b) = (lo * slope + intercept, hi * slope + intercept);
            (a.min(b), a.max(b))
        }
        ModalityLut::Table(lut) => (0.0, lut_max(lut)),
    }
}

fn voi_from_file(v: &Voi, warnings: &mut Vec<String>) -> Option<(VoiFn, String)> {
    match v {
        Voi::Window {
            center,
            width,
            function,
        } => {
            let f = function.trim().to_ascii_uppercase();
            let label = format!("window {center},{width}");
            match f.as_str() {
                "LINEAR_EXACT" if *width > 0.0 => Some((
                    VoiFn::LinearExact {
                        center: *center,
                        width: *width,
                    },
                    format!("{label} LINEAR_EXACT"),
                )),
                "SIGMOID" if *width > 0.0 => Some((
                    VoiFn::Sigmoid {
                        center: *center,
                        width: *width,
                    },
                    format!("{label} SIGMOID"),
                )),
                _ if *width >= 1.0 && center.is_finite() && width.is_finite() => {
                    if !matches!(f.as_str(), "LINEAR" | "" | "LINEAR_EXACT" | "SIGMOID") {
                        warnings.push(format!(
                            "unknown VOI LUT Function {function:?}: LINEAR used"
                        ));
                    }
                    Some((
                        VoiFn::Linear {
                            center: *center,
                            width: *width,
                        },
                        label,
                    ))
                }
                _ => {
                    warnings.push(format!(
                        "the file's window {center},{width} is invalid: min-max used"
                    ));
                    None
                }
            }
        }
        Voi::Table(lut) if !lut.data.is_empty() => {
            Some((VoiFn::Table(lut.clone()), "VOI LUT".into()))
        }
        Voi::Table(_) => {
            warnings.push("the file's VOI LUT is empty: min-max used".into());
            None
        }
    }
}

/// A linear window mapping `lo` to black and `hi` to white (DCMTK's min-max window).
fn min_max_window(lo: f64, hi: f64) -> VoiFn {
    if hi <= lo {
        // One value only: black, like DCMTK.
        return VoiFn::Linear {
            center: lo + 0.5,
            width: 1.0,
        };
    }
    if lo.fract() != 0.0 || hi.fract() != 0.0 {
        // Non-integral modality values (rescale with fractions): a plain linear map.
        return VoiFn::LinearExact {
            center: (lo + hi) / 2.0,
            width: hi - lo,
        };
    }
    VoiFn::Linear {
        center: (lo + hi + 1.0) / 2.0,
        width: hi - lo + 1.0,
    }
}

/// Min and max of the stored values of the grey frames.
fn stored_min_max(frames: &[&[i32]]) -> Option<(i32, i32)> {
    frames
        .par_iter()
        .filter_map(|f| {
            let lo = f.iter().copied().min()?;
            let hi = f.iter().copied().max()?;
            Some((lo, hi))
        })
        .reduce_with(|a, b| (a.0.min(b.0), a.1.max(b.1)))
}

/// Turn the decoded frames of `img` into pictures.
pub fn display(img: &Image, options: &DisplayOptions) -> Result<Displayed, DisplayError> {
    let pixels = (img.rows as usize)
        .checked_mul(img.columns as usize)
        .ok_or_else(|| DisplayError::Invalid("image too large".into()))?;
    if pixels == 0 {
        return Err(DisplayError::Invalid(format!(
            "empty image ({} x {})",
            img.columns, img.rows
        )));
    }
    let mut warnings = Vec::new();
    let greys: Vec<&[i32]> = img
        .frames
        .iter()
        .filter_map(|(_, f)| match f {
            Frame::Grey(v) => Some(v.as_slice()),
            Frame::Rgb { .. } => None,
        })
        .collect();
    for (n, f) in &img.frames {
        let len = match f {
            Frame::Grey(v) => v.len(),
            Frame::Rgb { samples, .. } => samples.len() / 3,
        };
        if len != pixels {
            return Err(DisplayError::Invalid(format!(
                "frame {n} has {len} pixels, the image {} x {} needs {pixels}",
                img.columns, img.rows
            )));
        }
    }
    let out_max: f64 = if options.sixteen_bit { 65535.0 } else { 255.0 };
    let mut voi_label = String::from("colour");
    // The grey mapping: stored value → output level.
    let grey_map: Option<(GreyFn, Option<Table>)> = match stored_min_max(&greys) {
        None => None,
        Some((smin, smax)) => {
            let (voi, label) = choose_voi(img, options, smin, smax, &mut warnings)?;
            voi_label = label;
            let modality = img.modality.clone();
            let invert = img.monochrome1;
            let f = move |s: i32| -> u16 {
                let y = voi.apply(modality_value(&modality, s));
                let y = if invert { 1.0 - y } else { y };
                (y * out_max).round().clamp(0.0, out_max) as u16
            };
            let span = i64::from(smax) - i64::from(smin);
            let table = (span < (1 << 22)).then(|| {
                let t: Vec<u16> = (smin..=smax).into_par_iter().map(&f).collect();
                (smin, t)
            });
            Some((Box::new(f), table))
        }
    };
    let (w, h) = (img.columns, img.rows);
    let frames: Result<Vec<(u32, DynamicImage)>, DisplayError> = img
        .frames
        .par_iter()
        .map(|(n, frame)| {
            let mut pic = match frame {
                Frame::Grey(v) => {
                    let Some((f, table)) = &grey_map else {
                        return Err(DisplayError::Invalid("no grey mapping".into()));
                    };
                    match (table, options.sixteen_bit) {
                        (Some((smin, t)), false) => {
                            // One pass straight to 8-bit levels: the table's values are <= 255.
                            let t8: Vec<u8> = t.iter().map(|&x| x.min(255) as u8).collect();
                            let smin = *smin;
                            let bytes: Vec<u8> = v
                                .iter()
                                .map(|&s| {
                                    let i = s.wrapping_sub(smin) as u32 as usize;
                                    t8.get(i).copied().unwrap_or(0)
                                })
                                .collect();
                            GrayImage::from_raw(w, h, bytes)
                                .map(DynamicImage::ImageLuma8)
                                .ok_or_else(|| {
                                    DisplayError::Invalid(
                                        "frame size does not match rows x columns".into(),
                                    )
                                })?
                        }
                        (Some((smin, t)), true) => {
                            let smin = *smin;
                            let levels: Vec<u16> = v
                                .iter()
                                .map(|&s| {
                                    let i = s.wrapping_sub(smin) as u32 as usize;
                                    t.get(i).copied().unwrap_or(0)
                                })
                                .collect();
                            grey_picture(w, h, levels, true)?
                        }
                        (None, sixteen) => {
                            grey_picture(w, h, v.iter().map(|&s| f(s)).collect(), sixteen)?
                        }
                    }
                }
                Frame::Rgb { samples, max } => {
                    rgb_picture(w, h, samples, *max, options.sixteen_bit)?
                }
            };
            if options.overlays {
                for o in &img.overlays {
                    burn_overlay(&mut pic, o, *n);
                }
            }
            Ok((*n, pic))
        })
        .collect();
    Ok(Displayed {
        frames: frames?,
        voi: voi_label,
        warnings,
    })
}

fn choose_voi(
    img: &Image,
    options: &DisplayOptions,
    smin: i32,
    smax: i32,
    warnings: &mut Vec<String>,
) -> Result<(VoiFn, String), DisplayError> {
    let min_max = || {
        let (lo, hi) = modality_min_max(img, smin, smax);
        (min_max_window(lo, hi), format!("min-max {lo},{hi}"))
    };
    Ok(match &options.voi {
        VoiChoice::Window(c, w) => {
            if !(*w >= 1.0 && c.is_finite() && w.is_finite()) {
                return Err(DisplayError::Invalid(format!(
                    "window width must be at least 1, not {w}"
                )));
            }
            (
                VoiFn::Linear {
                    center: *c,
                    width: *w,
                },
                format!("window {c},{w}"),
            )
        }
        VoiChoice::MinMax => min_max(),
        VoiChoice::Full => {
            let (lo, hi) = modality_range(img);
            (
                VoiFn::LinearExact {
                    center: (lo + hi) / 2.0,
                    width: (hi - lo).max(f64::MIN_POSITIVE),
                },
                format!("full {lo},{hi}"),
            )
        }
        VoiChoice::Index(i) => {
            let v = i
                .checked_sub(1)
                .and_then(|k| img.voi.get(k))
                .ok_or_else(|| {
                    DisplayError::Invalid(format!(
                        "VOI {i} does not exist: the file states {}",
                        img.voi.len()
                    ))
                })?;
            match voi_from_file(v, warnings) {
                Some(x) => x,
                None => min_max(),
            }
        }
        VoiChoice::File => match img.voi.first().and_then(|v| voi_from_file(v, warnings)) {
            Some(x) => x,
            None => min_max(),
        },
    })
}

/// Min and max modality values of stored values in `smin..=smax` (endpoints for a rescale,
/// every entry in range for a table).
fn modality_min_max(img: &Image, smin: i32, smax: i32) -> (f64, f64) {
    match &img.modality {
        ModalityLut::Table(_) => {
            let mut lo = f64::INFINITY;
            let mut hi = f64::NEG_INFINITY;
            let step = ((i64::from(smax) - i64::from(smin)) / 65536).max(1) as usize;
            for s in (smin..=smax).step_by(step) {
                let m = modality_value(&img.modality, s);
                lo = lo.min(m);
                hi = hi.max(m);
            }
            (lo, hi)
        }
        m => {
            let (a, b) = (modality_value(m, smin), modality_value(m, smax));
            (a.min(b), a.max(b))
        }
    }
}

fn grey_picture(
    w: u32,
    h: u32,
    levels: Vec<u16>,
    sixteen: bool,
) -> Result<DynamicImage, DisplayError> {
    let bad = || DisplayError::Invalid("frame size does not match rows x columns".into());
    if sixteen {
        ImageBuffer::<Luma<u16>, _>::from_raw(w, h, levels)
            .map(DynamicImage::ImageLuma16)
            .ok_or_else(bad)
    } else {
        let bytes: Vec<u8> = levels.into_iter().map(|v| v.min(255) as u8).collect();
        GrayImage::from_raw(w, h, bytes)
            .map(DynamicImage::ImageLuma8)
            .ok_or_else(bad)
    }
}

fn rgb_picture(
    w: u32,
    h: u32,
    samples: &[u16],
    max: u16,
    sixteen: bool,
) -> Result<DynamicImage, DisplayError> {
    let bad = || DisplayError::Invalid("frame size does not match rows x columns".into());
    let max = f64::from(max.max(1));
    if sixteen {
        let v: Vec<u16> = if max == 65535.0 {
            samples.to_vec()
        } else {
            samples
                .iter()
                .map(|&s| (f64::from(s) * 65535.0 / max).round().min(65535.0) as u16)
                .collect()
        };
        ImageBuffer::<Rgb<u16>, _>::from_raw(w, h, v)
            .map(DynamicImage::ImageRgb16)
            .ok_or_else(bad)
    } else {
        let v: Vec<u8> = if max == 255.0 {
            samples.iter().map(|&s| s.min(255) as u8).collect()
        } else {
            samples
                .iter()
                .map(|&s| (f64::from(s) * 255.0 / max).round().min(255.0) as u8)
                .collect()
        };
        RgbImage::from_raw(w, h, v)
            .map(DynamicImage::ImageRgb8)
            .ok_or_else(bad)
    }
}

/// Set the pixels under the overlay's set bits to white. A multi-frame overlay uses its frame
/// `n` (1-based); a single-frame overlay applies to every frame.
fn burn_overlay(pic: &mut DynamicImage, o: &Overlay, n: u32) {
    let bits = if o.frames.len() == 1 {
        o.frames.first()
    } else {
        (n as usize).checked_sub(1).and_then(|i| o.frames.get(i))
    };
    let Some(bits) = bits else { return };
    let (w, h) = (pic.width() as i64, pic.height() as i64);
    let cols = o.columns as usize;
    if cols == 0 {
        return;
    }
    for (i, _) in bits.iter().enumerate().filter(|(_, b)| **b) {
        let (r, c) = ((i / cols) as i64, (i % cols) as i64);
        if r >= i64::from(o.rows) {
            break;
        }
        let y = i64::from(o.origin.0) - 1 + r;
        let x = i64::from(o.origin.1) - 1 + c;
        if x < 0 || y < 0 || x >= w || y >= h {
            continue;
        }
        let (x, y) = (x as u32, y as u32);
        match pic {
            DynamicImage::ImageLuma8(p) => p.put_pixel(x, y, Luma([255])),
            DynamicImage::ImageLuma16(p) => p.put_pixel(x, y, Luma([65535])),
            DynamicImage::ImageRgb8(p) => p.put_pixel(x, y, Rgb([255, 255, 255])),
            DynamicImage::ImageRgb16(p) => p.put_pixel(x, y, Rgb([65535, 65535, 65535])),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grey(rows: u32, columns: u32, frames: Vec<Vec<i32>>) -> Image {
        Image {
            rows,
            columns,
            frame_count: frames.len() as u32,
            frames: frames
                .into_iter()
                .enumerate()
                .map(|(i, f)| (i as u32 + 1, Frame::Grey(f)))
                .collect(),
            photometric: "MONOCHROME2".into(),
            bits_stored: 12,
            signed: false,
            monochrome1: false,
            modality: ModalityLut::Identity,
            voi: Vec::new(),
            overlays: Vec::new(),
            frame_time_ms: None,
            transfer_syntax: "1.2.840.10008.1.2.1".into(),
        }
    }

    fn luma8(d: &Displayed, i: usize) -> Vec<u8> {
        match &d.frames[i].1 {
            DynamicImage::ImageLuma8(p) => p.as_raw().clone(),
            other => panic!("not L8: {:?}", other.color()),
        }
    }

    #[test]
    fn linear_window_follows_ps33_c11_2_1_2_1() {
        // c=100, w=11: x <= 94.5 → 0, x > 104.5 → 255, else ((x-99.5)/10+0.5)*255.
        let img = grey(1, 6, vec![vec![94, 95, 99, 100, 104, 105]]);
        let o = DisplayOptions {
            voi: VoiChoice::Window(100.0, 11.0),
            ..Default::default()
        };
        let d = display(&img, &o).unwrap();
        let want: Vec<u8> = [94.0f64, 95.0, 99.0, 100.0, 104.0, 105.0]
            .iter()
            .map(|&x| {
                if x <= 94.5 {
                    0
                } else if x > 104.5 {
                    255
                } else {
                    (((x - 99.5) / 10.0 + 0.5) * 255.0).round() as u8
                }
            })
            .collect();
        assert_eq!(luma8(&d, 0), want);
        assert_eq!(want, vec![0, 13, 115, 140, 242, 255]);
        assert_eq!(d.voi, "window 100,11");
    }

    #[test]
    fn rescale_then_file_window_then_monochrome1() {
        // Stored 0..4 with slope 10, intercept -1000 → -1000..-960; window -980,21 (LINEAR).
        let mut img = grey(1, 5, vec![vec![0, 1, 2, 3, 4]]);
        img.modality = ModalityLut::Rescale {
            slope: 10.0,
            intercept: -1000.0,
        };
        img.voi = vec![Voi::Window {
            center: -980.0,
            width: 21.0,
            function: "LINEAR".into(),
        }];
        let d = display(&img, &DisplayOptions::default()).unwrap();
        // x=-1000: <= -990.5 → 0; -990 → ((−990+980.5)/20+0.5)*255 = 6.375 → 6; -980 → 133.875 → 134;
        // -970 → 261 → clamp... x > -970.5 → 255; -960 → 255.
        assert_eq!(luma8(&d, 0), vec![0, 6, 134, 255, 255]);
        img.monochrome1 = true;
        let d = display(&img, &DisplayOptions::default()).unwrap();
        assert_eq!(luma8(&d, 0), vec![255, 249, 121, 0, 0]);
    }

    #[test]
    fn linear_exact_and_sigmoid() {
        let mut img = grey(1, 3, vec![vec![90, 100, 110]]);
        img.voi = vec![Voi::Window {
            center: 100.0,
            width: 20.0,
            function: "LINEAR_EXACT".into(),
        }];
        let d = display(&img, &DisplayOptions::default()).unwrap();
        assert_eq!(luma8(&d, 0), vec![0, 128, 255]);
        img.voi = vec![Voi::Window {
            center: 100.0,
            width: 20.0,
            function: "SIGMOID".into(),
        }];
        let d = display(&img, &DisplayOptions::default()).unwrap();
        // 255 / (1 + e^(-4(x-c)/w)): x=90 → 255/(1+e^2) = 30.4 → 30; 100 → 127.5 → 128;
        // 110 → 255/(1+e^-2) = 224.6 → 225.
        assert_eq!(luma8(&d, 0), vec![30, 128, 225]);
    }

    #[test]
    fn min_max_when_no_voi_over_all_frames_and_16_bit() {
        let img = grey(1, 3, vec![vec![10, 20, 30], vec![40, 50, 10]]);
        let d = display(&img, &DisplayOptions::default()).unwrap();
        assert_eq!(d.voi, "min-max 10,50");
        // Window c=30.5 w=41: (x-30)/40+0.5.
        assert_eq!(luma8(&d, 0), vec![0, 64, 128]);
        assert_eq!(luma8(&d, 1), vec![191, 255, 0]);
        let o = DisplayOptions {
            sixteen_bit: true,
            ..Default::default()
        };
        let d = display(&img, &o).unwrap();
        match &d.frames[0].1 {
            DynamicImage::ImageLuma16(p) => assert_eq!(p.as_raw(), &vec![0, 16384, 32768]),
            other => panic!("{:?}", other.color()),
        }
    }

    #[test]
    fn modality_and_voi_lut_tables() {
        let mut img = grey(1, 4, vec![vec![-5, 0, 1, 9]]);
        img.signed = true;
        img.modality = ModalityLut::Table(Lut {
            first_mapped: 0,
            bits: 8,
            data: vec![0, 100, 200],
        });
        img.voi = vec![Voi::Table(Lut {
            first_mapped: 0,
            bits: 8,
            data: (0..=255).rev().collect(),
        })];
        let d = display(&img, &DisplayOptions::default()).unwrap();
        // modality: -5 → 0, 0 → 0, 1 → 100, 9 → 200; VOI LUT reverses: 255-x.
        assert_eq!(luma8(&d, 0), vec![255, 255, 155, 55]);
        assert_eq!(d.voi, "VOI LUT");
    }

    #[test]
    fn colour_passes_through_and_overlays_burn_in() {
        let mut img = grey(2, 2, vec![]);
        img.frames = vec![(
            1,
            Frame::Rgb {
                samples: vec![65535, 0, 0, 0, 65535, 0, 0, 0, 65535, 0, 0, 0],
                max: 65535,
            },
        )];
        img.overlays = vec![Overlay {
            rows: 1,
            columns: 1,
            origin: (2, 2),
            frames: vec![vec![true]],
        }];
        let o = DisplayOptions {
            overlays: true,
            ..Default::default()
        };
        let d = display(&img, &o).unwrap();
        match &d.frames[0].1 {
            DynamicImage::ImageRgb8(p) => assert_eq!(
                p.as_raw(),
                &vec![255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]
            ),
            other => panic!("{:?}", other.color()),
        }
    }

    #[test]
    fn bad_values_are_errors_not_panics() {
        let img = grey(2, 2, vec![vec![1, 2, 3]]);
        assert!(display(&img, &DisplayOptions::default()).is_err());
        let img = grey(1, 1, vec![vec![1]]);
        let o = DisplayOptions {
            voi: VoiChoice::Window(0.0, 0.0),
            ..Default::default()
        };
        assert!(display(&img, &o).is_err());
        let o = DisplayOptions {
            voi: VoiChoice::Index(2),
            ..Default::default()
        };
        assert!(display(&img, &o).is_err());
        // One value only: min-max gives black, no division by zero.
        let d = display(&img, &DisplayOptions::default()).unwrap();
        assert_eq!(luma8(&d, 0), vec![0]);
        // Huge stored range takes the per-pixel path.
        let mut img = grey(1, 2, vec![vec![i32::MIN, i32::MAX]]);
        img.bits_stored = 32;
        let d = display(&img, &DisplayOptions::default()).unwrap();
        assert_eq!(luma8(&d, 0), vec![0, 255]);
    }
}
