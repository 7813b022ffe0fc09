//! Encoding displayable pictures: PNG (8- or 16-bit, fast deflate), JPEG (8-bit, quality),
//! GIF (one frame, or animated with a frame delay), resizing with a Lanczos3 filter, and writing
//! files so that no partial file is ever left behind (a temporary file in the target folder,
//! renamed into place once complete).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use image::codecs::gif::{GifEncoder, Repeat};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::imageops::FilterType;
use image::{Delay, DynamicImage, ImageEncoder};

/// An output picture format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// PNG, 8- or 16-bit.
    Png,
    /// JPEG baseline, 8-bit.
    Jpeg,
    /// GIF (8-bit palette; animated for several frames).
    Gif,
    /// SVG (ECG plots only).
    Svg,
}

impl ImageFormat {
    /// The format named by a file extension or `--image-format` value (case-insensitive).
    pub fn from_name(name: &str) -> Option<ImageFormat> {
        match name.to_ascii_lowercase().as_str() {
            "png" => Some(ImageFormat::Png),
            "jpg" | "jpeg" => Some(ImageFormat::Jpeg),
            "gif" => Some(ImageFormat::Gif),
            "svg" => Some(ImageFormat::Svg),
            _ => None,
        }
    }

    /// The format of a path from its extension.
    pub fn from_path(path: &Path) -> Option<ImageFormat> {
        path.extension()
            .and_then(|e| e.to_str())
            .and_then(ImageFormat::from_name)
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Png => "png",
            ImageFormat::Jpeg => "jpg",
            ImageFormat::Gif => "gif",
            ImageFormat::Svg => "svg",
        }
    }
}

/// Why a picture cannot be encoded or written.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// The encoder refused the picture (e.g. a GIF larger than 65535 pixels a side).
    #[error("cannot encode {format}: {reason}")]
    Encode {
        /// The format.
        format: &'static str,
        /// Why.
        reason: String,
    },
    /// The file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The target path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

fn enc(format: &'static str) -> impl Fn(image::ImageError) -> EncodeError {
    move |e| EncodeError::Encode {
        format,
        reason: e.to_string(),
    }
}

/// A resize request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resize {
    /// Exactly this width and height.
    Exact(u32, u32),
    /// Fit within N x N keeping the aspect ratio (never enlarged).
    Max(u32),
}

/// Resize with Lanczos3 (a no-op when the size does not change).
pub fn resize(img: DynamicImage, r: Resize) -> DynamicImage {
    let (w, h) = (img.width(), img.height());
    let (nw, nh) = match r {
        Resize::Exact(nw, nh) => (nw.max(1), nh.max(1)),
        Resize::Max(n) => {
            let n = n.max(1);
            let long = w.max(h);
            if long <= n || long == 0 {
                (w, h)
            } else {
                let s = f64::from(n) / f64::from(long);
                (
                    ((f64::from(w) * s).round() as u32).clamp(1, n),
                    ((f64::from(h) * s).round() as u32).clamp(1, n),
                )
            }
        }
    };
    if (nw, nh) == (w, h) {
        img
    } else {
        img.resize_exact(nw, nh, FilterType::Lanczos3)
    }
}

/// The PNG row filter: one fixed filter instead of trying all five per row (`Adaptive`).
const PNG_FILTER: PngFilter = PngFilter::Up;

/// PNG bytes: Luma8/Luma16/Rgb8/Rgb16 kept as they are; anything else as Rgba8.
pub fn png(img: &DynamicImage) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    let e = PngEncoder::new_with_quality(&mut out, CompressionType::Fast, PNG_FILTER);
    match img {
        DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageLuma16(_)
        | DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgb16(_) => e
            .write_image(
                img.as_bytes(),
                img.width(),
                img.height(),
                img.color().into(),
            )
            .map_err(enc("PNG"))?,
        other => {
            let rgba = other.to_rgba8();
            e.write_image(
                rgba.as_raw(),
                rgba.width(),
                rgba.height(),
                image::ExtendedColorType::Rgba8,
            )
            .map_err(enc("PNG"))?
        }
    }
    // write_image takes PNG 16-bit samples as native-endian bytes (image converts them).
    Ok(out)
}

/// JPEG bytes at `quality` (1–100); 16-bit pictures are reduced to 8 bits.
pub fn jpeg(img: &DynamicImage, quality: u8) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    let e = JpegEncoder::new_with_quality(&mut out, quality.clamp(1, 100));
    match img {
        DynamicImage::ImageLuma8(p) => e
            .write_image(
                p.as_raw(),
                p.width(),
                p.height(),
                image::ExtendedColorType::L8,
            )
            .map_err(enc("JPEG"))?,
        DynamicImage::ImageLuma16(_) => {
            let p = img.to_luma8();
            e.write_image(
                p.as_raw(),
                p.width(),
                p.height(),
                image::ExtendedColorType::L8,
            )
            .map_err(enc("JPEG"))?
        }
        _ => {
            let p = img.to_rgb8();
            e.write_image(
                p.as_raw(),
                p.width(),
                p.height(),
                image::ExtendedColorType::Rgb8,
            )
            .map_err(enc("JPEG"))?
        }
    }
    Ok(out)
}

/// GIF bytes: one frame, or an endlessly looping animation with `delay_ms` between frames.
/// Grey pictures keep their 256 levels exactly; colour pictures are quantised (NeuQuant).
pub fn gif(frames: &[DynamicImage], delay_ms: f64) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    {
        let mut e = GifEncoder::new_with_speed(&mut out, 10);
        if frames.len() > 1 {
            e.set_repeat(Repeat::Infinite).map_err(enc("GIF"))?;
        }
        let ms = if delay_ms.is_finite() && delay_ms > 0.0 {
            delay_ms.round().min(655_350.0) as u32
        } else {
            100
        };
        for f in frames {
            let frame =
                image::Frame::from_parts(f.to_rgba8(), 0, 0, Delay::from_numer_denom_ms(ms, 1));
            e.encode_frame(frame).map_err(enc("GIF"))?;
        }
    }
    Ok(out)
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Write `bytes` to `path` through a temporary file in the same folder renamed into place: a
/// failure never leaves a partial file (nor the temporary one).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), EncodeError> {
    let err = |source| EncodeError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let tmp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.flush()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(err(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayImage, ImageBuffer, Luma};

    #[test]
    fn png_round_trips_8_and_16_bit() {
        let g = GrayImage::from_fn(5, 3, |x, y| Luma([(x * 40 + y) as u8]));
        let bytes = png(&DynamicImage::ImageLuma8(g.clone())).unwrap();
        let back = image::load_from_memory(&bytes).unwrap();
        assert_eq!(back.to_luma8().as_raw(), g.as_raw());
        let g16 = ImageBuffer::<Luma<u16>, _>::from_fn(4, 2, |x, y| Luma([(x * 20000 + y) as u16]));
        let bytes = png(&DynamicImage::ImageLuma16(g16.clone())).unwrap();
        match image::load_from_memory(&bytes).unwrap() {
            DynamicImage::ImageLuma16(p) => assert_eq!(p.as_raw(), g16.as_raw()),
            other => panic!("{:?}", other.color()),
        }
    }

    #[test]
    fn gif_animates_with_delay_and_exact_greys() {
        use image::AnimationDecoder;
        let frames: Vec<DynamicImage> = (0..3)
            .map(|i| {
                DynamicImage::ImageLuma8(GrayImage::from_fn(4, 4, |x, _| {
                    Luma([(x * 60 + i) as u8])
                }))
            })
            .collect();
        let bytes = gif(&frames, 120.0).unwrap();
        let d = image::codecs::gif::GifDecoder::new(std::io::Cursor::new(bytes)).unwrap();
        let got: Vec<image::Frame> = d.into_frames().collect_frames().unwrap();
        assert_eq!(got.len(), 3);
        for (i, f) in got.iter().enumerate() {
            assert_eq!(f.delay().numer_denom_ms(), (120, 1));
            assert_eq!(
                f.buffer().get_pixel(2, 0).0,
                [120 + i as u8, 120 + i as u8, 120 + i as u8, 255]
            );
        }
    }

    #[test]
    fn resize_exact_and_max() {
        let g = DynamicImage::ImageLuma8(GrayImage::new(200, 100));
        assert_eq!(resize(g.clone(), Resize::Max(50)).width(), 50);
        assert_eq!(resize(g.clone(), Resize::Max(50)).height(), 25);
        assert_eq!(resize(g.clone(), Resize::Max(500)).width(), 200);
        let r = resize(g, Resize::Exact(30, 40));
        assert_eq!((r.width(), r.height()), (30, 40));
    }

    #[test]
    fn write_atomic_leaves_nothing_on_failure() {
        let dir = std::env::temp_dir().join(format!("dicomkit-enc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("a.png");
        write_atomic(&target, b"abc").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"abc");
        // A directory in the way: rename fails, and no temporary file stays.
        let blocked = dir.join("sub");
        std::fs::create_dir_all(blocked.join("x")).unwrap();
        assert!(write_atomic(&blocked, b"abc").is_err());
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(left.iter().all(|n| !n.ends_with(".tmp")), "{left:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
