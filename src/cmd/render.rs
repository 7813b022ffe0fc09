//! `dicomkit render`: DICOM images and ECG waveforms to PNG/JPEG/GIF (ECGs also SVG).
//!
//! ```text
//! Usage: dicomkit render INPUT -o OUTPUT.(png|jpg|gif|svg) [OPTIONS]
//!        dicomkit render INPUT... -o DIR/ [OPTIONS]
//!
//! Images (DICOM with Pixel Data, every supported transfer syntax) go through the standard
//! grey pipeline: Modality LUT (rescale or table) → VOI → MONOCHROME1 inversion → overlays
//! (with --overlays). The VOI: --window C,W when given; otherwise --voi:
//!   auto     the file's first window (VOI LUT Function LINEAR, LINEAR_EXACT or SIGMOID) or
//!            VOI LUT; when the file states none, min-max of the frames (= dcm2pnm +Wm)  [default]
//!   minmax   always min-max of the frames (all frames rendered together share it)
//!   full     the whole range of the modality output (from Bits Stored), linearly
//!   N        the file's N-th window or VOI LUT (1-based, = dcm2pnm +Wi N)
//! Colour images pass through. 16-bit PNG (--16bit) scales the VOI output to 0..65535.
//! ECGs (DICOM-ECG, SCP-ECG, HL7 aECG, WFDB) are plotted on ECG paper (PNG/JPEG/GIF or SVG); a
//! partial ECG is refused unless --accept-partial (then plotted, with a warning). Zip members
//! are rendered like files (a zipped WFDB header reads its signal file from the zip).
//!
//! Output type: --image-format, else OUTPUT's extension. Frames: the first frame by default
//! (GIF: every frame, animated, delay from Frame Time / Cine Rate or --fps); --frame N picks
//! one (1-based); --frame all writes one file per frame: OUTPUT is a pattern whose {frame} is
//! the frame number (out-{frame}.png → out-1.png, out-2.png, ...); without {frame}, -{frame} is
//! inserted before the extension (out.png → out-1.png, ...).
//! Several inputs (or directories): OUTPUT is a directory (trailing / or existing), each
//! output named after its input (CT.dcm → DIR/CT.png; unknown extensions are kept:
//! 1.2.3 → DIR/1.2.3.png; repeats get -2, -3), rendered in parallel. One row per input:
//! input, output, kind, frames, width, height, voi, error.
//! Files are written to a temporary name and renamed: a failure leaves no partial file.
//!
//! Exit: 0 all rendered; 2 usage; 4 some inputs failed; 6 every input failed (no pixel data,
//! corrupt or unsupported pixel data, not DICOM).
//! ```

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{Context, EcgReadArgs};
use crate::ecg::Format as EcgFormat;
use crate::error::{Error, Result, batch_outcome};
use crate::image::display::{DisplayOptions, VoiChoice, display};
use crate::image::ecg_plot::{PlotOptions, plot_png, plot_svg};
use crate::image::encode::{self, ImageFormat, Resize};
use crate::image::pixels::{self, FrameSelection, PixelError};
use crate::input::{Data, Input, expand};
use crate::output::Value;

/// Columns of `render`.
pub const COLUMNS: [&str; 8] = [
    "input", "output", "kind", "frames", "width", "height", "voi", "error",
];

/// Arguments of `dicomkit render`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_long_help = "Examples:
  dicomkit render CT.dcm -o ct.png
  dicomkit render CT.dcm -o ct.png --window 40,400 --max-size 256
  dicomkit render cine.dcm -o cine.gif --fps 15
  dicomkit render cine.dcm -o frames/cine-{frame}.png --frame all
  dicomkit render study/ -o pngs/ --16bit
  dicomkit render ecg.scp -o ecg.svg --speed 50")]
pub struct Args {
    /// Input files or directories (read recursively; walked files that are not DICOM or ECG
    /// are skipped).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Output file, frame pattern ({frame}) or directory (trailing `/` or existing).
    #[arg(short, long, value_name = "OUTPUT")]
    pub output: PathBuf,

    /// Output type (default: OUTPUT's extension; png in directory mode).
    #[arg(long, value_name = "png|jpeg|gif|svg", value_parser = parse_format)]
    pub image_format: Option<ImageFormat>,

    /// 16-bit PNG (the VOI output scaled to 0..65535).
    #[arg(long = "16bit")]
    pub sixteen_bit: bool,

    /// JPEG quality, 1–100.
    #[arg(long, value_name = "Q", default_value_t = 90,
          value_parser = clap::value_parser!(u8).range(1..=100))]
    pub quality: u8,

    /// Frame to render, 1-based, or `all` (one file per frame, or one animated GIF).
    #[arg(long, value_name = "N|all", value_parser = parse_frame)]
    pub frame: Option<FrameSelection>,

    /// Animated GIF frame rate (default: Frame Time / Cine Rate of the file, else 10).
    #[arg(long, value_name = "FPS")]
    pub fps: Option<f64>,

    /// Window centre and width (LINEAR), overriding the file's VOI.
    #[arg(long, value_name = "C,W", value_parser = parse_window, allow_hyphen_values = true)]
    pub window: Option<(f64, f64)>,

    /// VOI when --window is not given: auto, minmax, full, or N (the file's N-th).
    #[arg(long, value_name = "auto|minmax|full|N", default_value = "auto", value_parser = parse_voi)]
    pub voi: VoiChoice,

    /// Burn overlay planes (60xx) in, white.
    #[arg(long)]
    pub overlays: bool,

    /// Resize to exactly W x H (Lanczos3).
    #[arg(long, value_name = "WxH", value_parser = parse_size, conflicts_with = "max_size")]
    pub size: Option<(u32, u32)>,

    /// Shrink to fit within N x N, keeping the aspect ratio (Lanczos3; never enlarges).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=65535))]
    pub max_size: Option<u32>,

    /// ECG paper speed in mm/s.
    #[arg(long, value_name = "MM_S", default_value_t = 25.0)]
    pub speed: f64,

    /// ECG gain in mm/mV.
    #[arg(long, value_name = "MM_MV", default_value_t = 10.0)]
    pub gain: f64,

    /// How ECGs are read (--accept-partial: a partial record is plotted, with a warning).
    #[command(flatten)]
    pub read: EcgReadArgs,
}

fn parse_format(s: &str) -> std::result::Result<ImageFormat, String> {
    ImageFormat::from_name(s)
        .ok_or_else(|| format!("unknown image format {s:?} (png, jpeg, gif or svg)"))
}

fn parse_frame(s: &str) -> std::result::Result<FrameSelection, String> {
    if s.eq_ignore_ascii_case("all") {
        return Ok(FrameSelection::All);
    }
    match s.parse::<u32>() {
        Ok(n) if n >= 1 => Ok(FrameSelection::One(n)),
        _ => Err(format!(
            "expected a frame number from 1 or `all`, not {s:?}"
        )),
    }
}

fn parse_window(s: &str) -> std::result::Result<(f64, f64), String> {
    let bad = || format!("expected CENTER,WIDTH (e.g. 40,400), not {s:?}");
    let (c, w) = s.split_once(',').ok_or_else(bad)?;
    let c: f64 = c.trim().parse().map_err(|_| bad())?;
    let w: f64 = w.trim().parse().map_err(|_| bad())?;
    if !c.is_finite() || !w.is_finite() || w < 1.0 {
        return Err(format!(
            "window width must be at least 1 (PS3.3 C.11.2.1.2), in {s:?}"
        ));
    }
    Ok((c, w))
}

fn parse_voi(s: &str) -> std::result::Result<VoiChoice, String> {
    match s.to_ascii_lowercase().as_str() {
        "auto" | "file" => Ok(VoiChoice::File),
        "minmax" | "min-max" => Ok(VoiChoice::MinMax),
        "full" | "none" => Ok(VoiChoice::Full),
        n => match n.parse::<usize>() {
            Ok(i) if i >= 1 => Ok(VoiChoice::Index(i)),
            _ => Err(format!(
                "expected auto, minmax, full or a number from 1, not {s:?}"
            )),
        },
    }
}

fn parse_size(s: &str) -> std::result::Result<(u32, u32), String> {
    let bad = || format!("expected WIDTHxHEIGHT (e.g. 256x256), not {s:?}");
    let (w, h) = s
        .to_ascii_lowercase()
        .split_once('x')
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .ok_or_else(bad)?;
    let w: u32 = w.trim().parse().map_err(|_| bad())?;
    let h: u32 = h.trim().parse().map_err(|_| bad())?;
    if w == 0 || h == 0 || w > 65535 || h > 65535 {
        return Err(format!("sizes go from 1 to 65535, not {s:?}"));
    }
    Ok((w, h))
}

/// Where one input's output goes.
#[derive(Debug, Clone)]
struct Target {
    /// The output file, or the pattern with `{frame}` when one file per frame.
    path: PathBuf,
    format: ImageFormat,
}

/// What happened to one input.
#[derive(Debug, Default)]
struct Outcome {
    input: String,
    output: Option<String>,
    kind: Option<&'static str>,
    frames: Option<usize>,
    size: Option<(u32, u32)>,
    voi: Option<String>,
    error: Option<Failure>,
    warnings: Vec<String>,
    skipped: bool,
}

#[derive(Debug)]
enum Failure {
    /// The input cannot be rendered (exit 6 alone, 4/6 in a batch).
    Input(String),
    /// The output cannot be written.
    Output(String),
}

impl Failure {
    fn text(&self) -> &str {
        match self {
            Failure::Input(s) | Failure::Output(s) => s,
        }
    }
}

impl Outcome {
    fn row(&self) -> Vec<Value> {
        vec![
            Value::Text(self.input.clone()),
            self.output.clone().into(),
            self.kind.map(Value::from).into(),
            self.frames.map(|n| Value::Int(n as i64)).into(),
            self.size.map(|s| Value::Int(i64::from(s.0))).into(),
            self.size.map(|s| Value::Int(i64::from(s.1))).into(),
            self.voi.clone().into(),
            self.error.as_ref().map(|e| e.text().to_owned()).into(),
        ]
    }
}

/// The per-frame pattern of an output path: as given when its file name has `{frame}`, else
/// with `-{frame}` inserted before the extension (`out.png` → `out-{frame}.png`).
pub fn frame_pattern(output: &Path) -> PathBuf {
    let name = output
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.contains("{frame}") {
        return output.to_path_buf();
    }
    let new = match name.rfind('.') {
        Some(i) if i > 0 => format!("{}-{{frame}}{}", &name[..i], &name[i..]),
        _ => format!("{name}-{{frame}}"),
    };
    output.with_file_name(new)
}

/// The output path of frame `n` (1-based) for a pattern from [`frame_pattern`].
pub fn frame_path(pattern: &Path, n: u32) -> PathBuf {
    let name = pattern
        .file_name()
        .map(|s| s.to_string_lossy().replace("{frame}", &n.to_string()))
        .unwrap_or_default();
    pattern.with_file_name(name)
}

/// Extensions stripped from input names in directory mode (others are kept: UIDs as names).
const INPUT_EXTENSIONS: [&str; 10] = [
    "dcm", "dicom", "dic", "ima", "img", "xml", "scp", "ecg", "hea", "dat",
];

fn output_name(input: &Path, format: ImageFormat) -> String {
    let name = input
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let stem = match input.extension().and_then(|e| e.to_str()) {
        Some(e) if INPUT_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()) => input
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or(name),
        _ => name,
    };
    format!("{stem}.{}", format.extension())
}

/// Run `dicomkit render`.
pub fn run(ctx: &Context, args: &Args) -> Result<()> {
    if !(args.speed.is_finite() && args.speed > 0.0 && args.speed <= 1000.0) {
        return Err(Error::Usage(format!(
            "--speed must be between 0 and 1000 mm/s, not {}",
            args.speed
        )));
    }
    if !(args.gain.is_finite() && args.gain > 0.0 && args.gain <= 1000.0) {
        return Err(Error::Usage(format!(
            "--gain must be between 0 and 1000 mm/mV, not {}",
            args.gain
        )));
    }
    if let Some(fps) = args.fps
        && !(fps.is_finite() && fps > 0.0 && fps <= 100.0)
    {
        return Err(Error::Usage(format!(
            "--fps must be between 0 and 100, not {fps}"
        )));
    }
    let mut inputs = Vec::new();
    let mut listing_errors = Vec::new();
    for item in expand(&args.inputs) {
        match item {
            // A WFDB signal file found by walking is rendered through its header.
            Ok(i) if !i.explicit && crate::ecg::header_of_signal_file(&i).is_some() => {}
            Ok(i) => inputs.push(i),
            Err(e) => listing_errors.push(e),
        }
    }
    let out_text = args.output.to_string_lossy();
    let dir_mode = inputs.len() + listing_errors.len() > 1
        || out_text.ends_with('/')
        || out_text.ends_with(std::path::MAIN_SEPARATOR)
        || args.output.is_dir();
    let format = match (args.image_format, dir_mode) {
        (Some(f), _) => f,
        (None, true) => ImageFormat::Png,
        (None, false) => ImageFormat::from_path(&args.output).ok_or_else(|| {
            Error::Usage(format!(
                "cannot tell the image type of {}: use a .png, .jpg, .gif or .svg name, or --image-format",
                args.output.display()
            ))
        })?,
    };
    if args.sixteen_bit && format != ImageFormat::Png {
        return Err(Error::Usage("--16bit needs PNG output".into()));
    }
    if dir_mode {
        if args.output.exists() && !args.output.is_dir() {
            return Err(Error::Usage(format!(
                "{} is not a directory: several inputs need -o DIR/",
                args.output.display()
            )));
        }
        std::fs::create_dir_all(&args.output)
            .map_err(|e| Error::Usage(format!("cannot create {}: {e}", args.output.display())))?;
    } else if let Some(parent) = args.output.parent()
        && !parent.as_os_str().is_empty()
        && !parent.is_dir()
    {
        return Err(Error::Usage(format!(
            "the output folder {} does not exist",
            parent.display()
        )));
    }

    // Targets, decided in input order (names made unique).
    let mut used = HashSet::new();
    let jobs: Vec<(Input, Target)> = inputs
        .into_iter()
        .map(|input| {
            let path = if dir_mode {
                let base = match &input.data {
                    Data::Path(p) => output_name(p, format),
                    _ => output_name(Path::new(&input.file_name()), format),
                };
                let mut name = base.clone();
                let mut k = 2;
                while !used.insert(name.clone()) {
                    let p = Path::new(&base);
                    let stem = p
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    name = format!("{stem}-{k}.{}", format.extension());
                    k += 1;
                }
                args.output.join(name)
            } else {
                args.output.clone()
            };
            (input, Target { path, format })
        })
        .collect();

    let mut out = ctx.rows(&COLUMNS);
    let bar = ctx.progress_bar("inputs", Some((jobs.len() + listing_errors.len()) as u64));
    let (mut ok, mut failed) = (0usize, 0usize);
    let mut last_failure: Option<Failure> = None;
    for e in listing_errors {
        failed += 1;
        bar.inc(1);
        bar.suspend(|| ctx.item_error(&e.label, &e.reason));
        let o = Outcome {
            input: e.label.clone(),
            error: Some(Failure::Input(e.reason.clone())),
            ..Default::default()
        };
        out.row(&o.row())?;
        last_failure = Some(Failure::Input(format!("{}: {}", e.label, e.reason)));
    }
    for chunk in jobs.chunks(64) {
        let outcomes: Vec<Outcome> = chunk
            .par_iter()
            .map(|(input, target)| {
                let o = render_one(args, input, target);
                bar.inc(1);
                o
            })
            .collect();
        for o in outcomes {
            if o.skipped {
                tracing::info!("skipped {}: not DICOM or an ECG", o.input);
                continue;
            }
            for w in &o.warnings {
                bar.suspend(|| ctx.warn(&format!("{}: {w}", o.input)));
            }
            match &o.error {
                None => ok += 1,
                Some(f) => {
                    failed += 1;
                    if dir_mode {
                        bar.suspend(|| ctx.item_error(&o.input, f.text()));
                    }
                    last_failure = Some(match f {
                        Failure::Input(s) => Failure::Input(format!("{}: {s}", o.input)),
                        Failure::Output(s) => Failure::Output(s.clone()),
                    });
                }
            }
            out.row(&o.row())?;
        }
    }
    bar.finish_and_clear();
    out.finish()?;
    if !dir_mode && failed == 1 && ok == 0 {
        return Err(match last_failure {
            Some(Failure::Output(s)) => Error::Output(std::io::Error::other(s)),
            Some(Failure::Input(s)) => Error::BadInput(s),
            None => Error::BadInput("nothing rendered".into()),
        });
    }
    if ok + failed == 0 {
        return Err(Error::BadInput(
            "no DICOM image or ECG found in the inputs".into(),
        ));
    }
    batch_outcome("inputs", ok, failed)
}

/// Render one input; never panics on bad input, never leaves a partial file.
fn render_one(args: &Args, input: &Input, target: &Target) -> Outcome {
    let mut o = Outcome {
        input: input.label.clone(),
        ..Default::default()
    };
    let head = match input.head(4096) {
        Ok(h) => h,
        Err(e) => {
            o.error = Some(Failure::Input(e.reason));
            return o;
        }
    };
    let detected = crate::ecg::detect(Path::new(&input.file_name()), &head);
    let is_dicom = head.get(128..132) == Some(b"DICM".as_slice());
    let result = match detected {
        Some(EcgFormat::Aecg | EcgFormat::Wfdb) => render_ecg(args, input, target, &mut o),
        Some(EcgFormat::ScpEcg) if !is_dicom => match render_ecg(args, input, target, &mut o) {
            Ok(()) => Ok(()),
            Err(ecg_err) => match render_image(args, input, target, &mut o) {
                Ok(()) => Ok(()),
                Err(Failure::Input(_)) => Err(ecg_err),
                Err(e) => Err(e),
            },
        },
        _ => match render_image(args, input, target, &mut o) {
            Err(Failure::Input(msg)) if o.kind == Some("no-pixel-data") && is_dicom => {
                // A DICOM waveform has no Pixel Data: plot it when it is an ECG.
                match crate::ecg::read(input, &args.read.options()) {
                    Ok(ecg) => render_ecg_read(args, ecg, target, &mut o),
                    Err(e @ crate::ecg::EcgError::Partial { .. }) => {
                        Err(Failure::Input(e.to_string()))
                    }
                    Err(_) => Err(Failure::Input(msg)),
                }
            }
            Err(Failure::Input(_))
                if o.kind == Some("unreadable") && !is_dicom && !input.explicit =>
            {
                // A walked file that is not DICOM at all (README, thumbnails...).
                o.skipped = true;
                Ok(())
            }
            r => r,
        },
    };
    if o.kind == Some("no-pixel-data") || o.kind == Some("unreadable") {
        o.kind = None;
    }
    if let Err(f) = result {
        o.error = Some(f);
        o.output = None;
        o.frames = None;
    }
    o
}

/// Decode an input's pixel data, from its file or from its bytes (a zip member).
fn decode_input(
    input: &Input,
    frames: FrameSelection,
) -> std::result::Result<pixels::Image, PixelError> {
    match &input.data {
        Data::Path(p) => pixels::decode(p, frames),
        Data::Member(_) => match input.read() {
            Ok(b) => pixels::decode_bytes(&b, frames),
            // Not "unreadable": a member refused by the zip limits is a failure, not skipped.
            Err(e) => Err(PixelError::Corrupt(e.reason)),
        },
        Data::Bytes(b) => pixels::decode_bytes(b, frames),
    }
}

fn resize_of(args: &Args) -> Option<Resize> {
    match (args.size, args.max_size) {
        (Some((w, h)), _) => Some(Resize::Exact(w, h)),
        (None, Some(n)) => Some(Resize::Max(n)),
        (None, None) => None,
    }
}

fn write(path: &Path, bytes: &[u8]) -> std::result::Result<(), Failure> {
    encode::write_atomic(path, bytes).map_err(|e| Failure::Output(e.to_string()))
}

fn encode_one(
    args: &Args,
    format: ImageFormat,
    pic: &image::DynamicImage,
) -> std::result::Result<Vec<u8>, Failure> {
    let r = match format {
        ImageFormat::Png => encode::png(pic),
        ImageFormat::Jpeg => encode::jpeg(pic, args.quality),
        ImageFormat::Gif => encode::gif(std::slice::from_ref(pic), 100.0),
        ImageFormat::Svg => {
            return Err(Failure::Input(
                "SVG output is for ECGs only: use png, jpeg or gif for images".into(),
            ));
        }
    };
    r.map_err(|e| Failure::Input(e.to_string()))
}

fn render_image(
    args: &Args,
    input: &Input,
    target: &Target,
    o: &mut Outcome,
) -> std::result::Result<(), Failure> {
    if target.format == ImageFormat::Svg {
        // Decode anyway so that an ECG without pixel data is still recognised.
        if let Err(e) = decode_input(input, FrameSelection::One(1)) {
            return Err(pixel_failure(e, o));
        }
        return Err(Failure::Input(
            "SVG output is for ECGs only: use png, jpeg or gif for images".into(),
        ));
    }
    let selection = match (args.frame, target.format) {
        (Some(s), _) => s,
        (None, ImageFormat::Gif) => FrameSelection::All,
        (None, _) => FrameSelection::One(1),
    };
    let img = decode_input(input, selection).map_err(|e| pixel_failure(e, o))?;
    o.kind = Some("image");
    let options = DisplayOptions {
        voi: match args.window {
            Some((c, w)) => VoiChoice::Window(c, w),
            None => args.voi.clone(),
        },
        overlays: args.overlays,
        sixteen_bit: args.sixteen_bit,
    };
    let shown = display(&img, &options).map_err(|e| Failure::Input(e.to_string()))?;
    o.warnings.extend(shown.warnings);
    o.voi = Some(shown.voi);
    let resize = resize_of(args);
    let pics: Vec<(u32, image::DynamicImage)> = shown
        .frames
        .into_par_iter()
        .map(|(n, p)| match resize {
            Some(r) => (n, encode::resize(p, r)),
            None => (n, p),
        })
        .collect();
    let Some((_, first)) = pics.first() else {
        return Err(Failure::Input("no frame decoded".into()));
    };
    o.size = Some((first.width(), first.height()));
    o.frames = Some(pics.len());
    if target.format == ImageFormat::Gif {
        let delay = match (args.fps, img.frame_time_ms) {
            (Some(fps), _) => 1000.0 / fps,
            (None, Some(ms)) if ms.is_finite() && ms > 0.0 => ms,
            _ => 100.0,
        };
        let frames: Vec<image::DynamicImage> = pics.into_iter().map(|(_, p)| p).collect();
        let bytes = encode::gif(&frames, delay).map_err(|e| Failure::Input(e.to_string()))?;
        write(&target.path, &bytes)?;
        o.output = Some(target.path.display().to_string());
        return Ok(());
    }
    if args.frame == Some(FrameSelection::All) {
        let pattern = frame_pattern(&target.path);
        let encoded: Vec<(u32, std::result::Result<Vec<u8>, Failure>)> = pics
            .par_iter()
            .map(|(n, p)| (*n, encode_one(args, target.format, p)))
            .collect();
        for (n, bytes) in encoded {
            write(&frame_path(&pattern, n), &bytes?)?;
        }
        o.output = Some(pattern.display().to_string());
        return Ok(());
    }
    let bytes = encode_one(args, target.format, first)?;
    write(&target.path, &bytes)?;
    o.output = Some(target.path.display().to_string());
    Ok(())
}

fn pixel_failure(e: PixelError, o: &mut Outcome) -> Failure {
    o.kind = match e {
        PixelError::NoPixelData(_) => Some("no-pixel-data"),
        PixelError::Unreadable(_) => Some("unreadable"),
        _ => None,
    };
    Failure::Input(e.to_string())
}

fn render_ecg(
    args: &Args,
    input: &Input,
    target: &Target,
    o: &mut Outcome,
) -> std::result::Result<(), Failure> {
    let ecg =
        crate::ecg::read(input, &args.read.options()).map_err(|e| Failure::Input(e.to_string()))?;
    render_ecg_read(args, ecg, target, o)
}

fn render_ecg_read(
    args: &Args,
    ecg: crate::ecg::Ecg,
    target: &Target,
    o: &mut Outcome,
) -> std::result::Result<(), Failure> {
    o.kind = Some("ecg");
    o.voi = None;
    o.warnings.extend(ecg.warnings.iter().cloned());
    let options = PlotOptions {
        speed_mm_s: args.speed,
        gain_mm_mv: args.gain,
        ..PlotOptions::default()
    };
    let bytes = if target.format == ImageFormat::Svg {
        plot_svg(&ecg, &options)
            .map_err(|e| Failure::Input(e.to_string()))?
            .into_bytes()
    } else {
        let raster = plot_png(&ecg, &options).map_err(|e| Failure::Input(e.to_string()))?;
        let mut pic = image::DynamicImage::ImageRgb8(raster);
        if let Some(r) = resize_of(args) {
            pic = encode::resize(pic, r);
        }
        o.size = Some((pic.width(), pic.height()));
        encode_one(args, target.format, &pic)?
    };
    write(&target.path, &bytes)?;
    o.frames = Some(1);
    o.output = Some(target.path.display().to_string());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_patterns() {
        let p = |s: &str, n| frame_path(&frame_pattern(Path::new(s)), n);
        assert_eq!(p("d/out-{frame}.png", 3), PathBuf::from("d/out-3.png"));
        assert_eq!(p("d/out.png", 12), PathBuf::from("d/out-12.png"));
        assert_eq!(p("out", 2), PathBuf::from("out-2"));
        assert_eq!(
            frame_pattern(Path::new("a.b/x.png")),
            PathBuf::from("a.b/x-{frame}.png")
        );
    }

    #[test]
    fn output_names_keep_uid_names() {
        assert_eq!(
            output_name(Path::new("a/CT_small.dcm"), ImageFormat::Png),
            "CT_small.png"
        );
        assert_eq!(
            output_name(Path::new("1.2.840.5"), ImageFormat::Gif),
            "1.2.840.5.gif"
        );
        assert_eq!(
            output_name(Path::new("IM000001"), ImageFormat::Jpeg),
            "IM000001.jpg"
        );
    }

    #[test]
    fn option_parsers() {
        assert_eq!(parse_window("-600,1500"), Ok((-600.0, 1500.0)));
        assert!(parse_window("40,0").is_err());
        assert_eq!(parse_size("256x128"), Ok((256, 128)));
        assert!(parse_size("0x1").is_err());
        assert_eq!(parse_frame("all"), Ok(FrameSelection::All));
        assert_eq!(parse_frame("2"), Ok(FrameSelection::One(2)));
        assert!(parse_frame("0").is_err());
        assert_eq!(parse_voi("3"), Ok(VoiChoice::Index(3)));
        assert_eq!(parse_voi("minmax"), Ok(VoiChoice::MinMax));
    }
}
