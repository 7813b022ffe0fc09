//! CLI tests of `dicomkit render` on the real samples: every decodable sample renders, families of
//! identical pixels give identical PNGs, windowed renders match DCMTK's dcm2pnm/dcmj2pnm within
//! one grey level, animated GIFs, frame patterns, resizing, 16-bit PNG, ECG plots, batch mode,
//! and malformed inputs (exit 6, no panic, no file left behind).

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::{csv_records, dicomkit, sample, samples, tool};
use image::{AnimationDecoder, DynamicImage};

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn render(args: &[&str]) -> std::process::Output {
    dicomkit()
        .arg("render")
        .args(["--format", "csv"])
        .args(args)
        .output()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn luma8(path: &Path) -> image::GrayImage {
    match image::open(path).unwrap() {
        DynamicImage::ImageLuma8(p) => p,
        other => panic!("{} is {:?}, not 8-bit grey", path.display(), other.color()),
    }
}

/// Files left in a folder (temporary files included).
fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Render `file` with our options and with DCMTK, compare every pixel (at most 1 level apart).
fn compare_with_dcmtk(rel: &str, ours: &[&str], dcmtk: &str, dcmtk_args: &[&str]) {
    let dir = tmp();
    let input = sample(rel);
    let a = dir.path().join("dicomkit.png");
    let b = dir.path().join("dcmtk.png");
    let mut args = vec![s(&input), "-o", s(&a)];
    args.extend_from_slice(ours);
    ok(&render(&args));
    let st = tool(dcmtk, "dcmtk")
        .args(["+on"])
        .args(dcmtk_args)
        .arg(&input)
        .arg(&b)
        .status()
        .unwrap();
    assert!(st.success(), "{dcmtk} failed on {rel}");
    let (a, b) = (luma8(&a), luma8(&b));
    assert_eq!(a.dimensions(), b.dimensions(), "{rel}");
    let mut worst = 0i32;
    let mut differing = 0usize;
    for (x, y) in a.pixels().zip(b.pixels()) {
        let d = (i32::from(x.0[0]) - i32::from(y.0[0])).abs();
        worst = worst.max(d);
        differing += usize::from(d > 0);
    }
    assert!(
        worst <= 1,
        "{rel} {ours:?} vs {dcmtk} {dcmtk_args:?}: max difference {worst} ({differing} pixels differ)"
    );
    // Not trivially black: the picture has contrast.
    let (lo, hi) = a
        .pixels()
        .fold((255u8, 0u8), |(l, h), p| (l.min(p.0[0]), h.max(p.0[0])));
    assert!(hi - lo > 30, "{rel}: grey range only {lo}..{hi}");
}

#[test]
fn ct_small_window_and_min_max_match_dcm2pnm() {
    compare_with_dcmtk(
        "dicom-images/CT_small.dcm",
        &["--window", "40,400"],
        "dcm2pnm",
        &["+Ww", "40", "400"],
    );
    // CT_small states no window: the default is min-max, like +Wm.
    compare_with_dcmtk("dicom-images/CT_small.dcm", &[], "dcm2pnm", &["+Wm"]);
    compare_with_dcmtk(
        "dicom-images/CT_small.dcm",
        &["--voi", "minmax"],
        "dcm2pnm",
        &["+Wm"],
    );
}

#[test]
fn mr_small_first_window_matches_dcm2pnm() {
    compare_with_dcmtk("dicom-images/MR_small.dcm", &[], "dcm2pnm", &["+Wi", "1"]);
    compare_with_dcmtk(
        "dicom-images/MR_small.dcm",
        &["--window", "300,700"],
        "dcm2pnm",
        &["+Ww", "300", "700"],
    );
}

#[test]
fn monochrome1_cr_matches_dcm2pnm() {
    // MONOCHROME1, rescale 0.684/200, window 1600/2800: inverted after the VOI.
    compare_with_dcmtk(
        "dicom-images/dicomdir/77654033/CR3/6278",
        &[],
        "dcm2pnm",
        &["+Wi", "1"],
    );
    compare_with_dcmtk(
        "dicom-images/dicomdir/77654033/CR1/6154",
        &["--voi", "minmax"],
        "dcm2pnm",
        &["+Wm"],
    );
}

#[test]
fn jpeg_extended_12_bit_matches_dcmj2pnm() {
    compare_with_dcmtk("dicom-images/JPGExtended.dcm", &[], "dcmj2pnm", &["+Wm"]);
    compare_with_dcmtk(
        "dicom-images/JPEG-LL.dcm",
        &["--voi", "minmax"],
        "dcmj2pnm",
        &["+Wm"],
    );
}

#[test]
fn identical_pixel_families_render_byte_identical_pngs() {
    let families: [&[&str]; 4] = [
        &[
            "MR_small.dcm",
            "MR_small_implicit.dcm",
            "MR_small_bigendian.dcm",
            "MR_small_RLE.dcm",
            "MR_small_jp2klossless.dcm",
            "MR_small_jpeg_ls_lossless.dcm",
        ],
        &[
            "emri_small.dcm",
            "emri_small_RLE.dcm",
            "emri_small_big_endian.dcm",
            "emri_small_jpeg_2k_lossless.dcm",
        ],
        &["SC_rgb.dcm", "SC_rgb_rle.dcm", "SC_rgb_jpeg_gdcm.dcm"],
        &["chrArab.dcm", "chrH31.dcm", "chrRuss.dcm", "chrX1.dcm"],
    ];
    for family in families {
        let dir = tmp();
        let inputs: Vec<PathBuf> = family
            .iter()
            .map(|f| sample(&format!("dicom-images/{f}")))
            .collect();
        let mut cmd = dicomkit();
        cmd.args(["render", "--format", "csv"]).args(&inputs);
        cmd.arg("-o").arg(format!("{}/", dir.path().display()));
        let out = cmd.output().unwrap();
        ok(&out);
        let first = std::fs::read(dir.path().join(family[0].replace(".dcm", ".png"))).unwrap();
        assert!(first.starts_with(b"\x89PNG"));
        for f in &family[1..] {
            let other = std::fs::read(dir.path().join(f.replace(".dcm", ".png"))).unwrap();
            assert!(other == first, "{f} renders differently from {}", family[0]);
        }
    }
}

#[test]
fn every_decodable_sample_renders_and_the_others_say_why() {
    let dir = tmp();
    let out = render(&[
        s(&samples().join("dicom-images")),
        "-o",
        &format!("{}/", dir.path().display()),
    ]);
    // Some inputs have no pixel data: exit 4.
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = csv_records(&String::from_utf8(out.stdout).unwrap());
    let by_name: HashMap<String, &HashMap<String, String>> = rows
        .iter()
        .map(|r| {
            let name = Path::new(&r["input"])
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (name, r)
        })
        .collect();
    // (file, Columns, Rows) as dcmdump reads them; the first frame is written.
    let decodable: [(&str, u32, u32); 33] = [
        ("693_J2KI.dcm", 512, 512),
        ("CT_small.dcm", 128, 128),
        ("ExplVR_BigEnd.dcm", 80, 60),
        ("JPEG-LL.dcm", 256, 1024),
        ("JPEG2000.dcm", 256, 1024),
        ("JPEGLSNearLossless_08.dcm", 10, 45),
        ("JPGExtended.dcm", 256, 1024),
        ("MR_small.dcm", 64, 64),
        ("MR_small_RLE.dcm", 64, 64),
        ("MR_small_jp2klossless.dcm", 64, 64),
        ("MR_small_jpeg_ls_lossless.dcm", 64, 64),
        ("OBXXXX1A_rle.dcm", 800, 600),
        ("OT-PAL-8-face.dcm", 640, 480),
        ("SC_rgb.dcm", 100, 100),
        ("SC_rgb_dcmtk_+eb+cr.dcm", 100, 100),
        ("SC_rgb_dcmtk_+eb+cy+s2.dcm", 100, 100),
        ("SC_rgb_jpeg_dcmtk.dcm", 100, 100),
        ("SC_rgb_rle_16bit_2frame.dcm", 100, 100),
        ("SC_rgb_small_odd.dcm", 3, 3),
        ("SC_ybr_full_422_uncompressed.dcm", 100, 100),
        ("SC_ybr_full_uncompressed.dcm", 100, 100),
        ("chrArab.dcm", 32, 32),
        ("eCT_Supplemental.dcm", 512, 512),
        ("emri_small.dcm", 64, 64),
        ("examples_overlay.dcm", 484, 300),
        ("examples_palette.dcm", 800, 350),
        ("examples_jpeg2k.dcm", 640, 480),
        ("examples_rgb_color.dcm", 320, 240),
        ("explicit_VR-UN.dcm", 512, 512),
        ("liver.dcm", 512, 512),
        ("rtdose.dcm", 10, 10),
        ("image_dfl.dcm", 512, 512),
        ("mlut_18.dcm", 512, 512),
    ];
    let mut problems = Vec::new();
    for (name, w, h) in decodable {
        let Some(r) = by_name.get(name) else {
            problems.push(format!("{name}: no row"));
            continue;
        };
        if !r["error"].is_empty() {
            problems.push(format!("{name}: {}", r["error"]));
            continue;
        }
        let png = PathBuf::from(&r["output"]);
        let pic = image::open(&png).unwrap();
        if pic.width() != w || pic.height() != h {
            problems.push(format!(
                "{name}: {}x{} written, the file is {w}x{h} (according to dcmdump)",
                pic.width(),
                pic.height()
            ));
        }
        assert_eq!(r["width"], pic.width().to_string());
        assert_eq!(r["kind"], "image");
        assert_eq!(r["frames"], "1");
    }
    for name in [
        "test-SR.dcm",
        "reportsi.dcm",
        "chrSQEncoding.dcm",
        "priv_SQ.dcm",
    ] {
        let r = by_name.get(name).expect(name);
        assert!(
            r["error"].contains("no pixel data"),
            "{name}: {:?}",
            r["error"]
        );
        assert!(r["output"].is_empty());
    }
    assert!(problems.is_empty(), "{problems:#?}");
    // Nothing temporary left in the output folder; every PNG is complete.
    for f in files_in(dir.path()) {
        assert!(f.ends_with(".png"), "{f}");
        image::open(dir.path().join(&f)).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
}

#[test]
fn multi_frame_gif_is_animated_with_the_frame_delay() {
    let dir = tmp();
    let gif = dir.path().join("emri.gif");
    let input = sample("dicom-images/emri_small.dcm");
    let text = ok(&render(&[s(&input), "-o", s(&gif)]));
    let rows = csv_records(&text);
    assert_eq!(rows[0]["frames"], "10");
    let decode = |p: &Path| -> Vec<image::Frame> {
        let f = std::fs::File::open(p).unwrap();
        image::codecs::gif::GifDecoder::new(std::io::BufReader::new(f))
            .unwrap()
            .into_frames()
            .collect_frames()
            .unwrap()
    };
    let frames = decode(&gif);
    assert_eq!(frames.len(), 10);
    // emri_small states neither Frame Time nor Cine Rate: 100 ms.
    for f in &frames {
        assert_eq!(f.delay().numer_denom_ms(), (100, 1));
    }
    assert_eq!(frames[4].buffer().dimensions(), (64, 64));
    // Different frames differ.
    assert_ne!(frames[0].buffer().as_raw(), frames[9].buffer().as_raw());
    // --fps overrides.
    let gif2 = dir.path().join("fps.gif");
    ok(&render(&[s(&input), "-o", s(&gif2), "--fps", "4"]));
    let frames2 = decode(&gif2);
    assert_eq!(frames2.len(), 10);
    assert_eq!(frames2[3].delay().numer_denom_ms(), (250, 1));
    // A single frame with --frame.
    let gif3 = dir.path().join("one.gif");
    ok(&render(&[s(&input), "-o", s(&gif3), "--frame", "3"]));
    assert_eq!(decode(&gif3).len(), 1);
    // With a fixed window, the GIF frame's greys are the PNG frame's greys exactly.
    let gif4 = dir.path().join("w.gif");
    ok(&render(&[s(&input), "-o", s(&gif4), "--window", "100,200"]));
    let png4 = dir.path().join("w5.png");
    ok(&render(&[
        s(&input),
        "-o",
        s(&png4),
        "--window",
        "100,200",
        "--frame",
        "5",
    ]));
    let g = decode(&gif4);
    let p = luma8(&png4);
    for (a, b) in g[4].buffer().pixels().zip(p.pixels()) {
        assert_eq!(a.0[0], b.0[0]);
    }
}

#[test]
fn frame_all_writes_one_file_per_frame_from_the_pattern() {
    let dir = tmp();
    let input = sample("dicom-images/emri_small.dcm");
    let text = ok(&render(&[
        s(&input),
        "-o",
        s(&dir.path().join("e.png")),
        "--frame",
        "all",
        "--window",
        "100,200",
    ]));
    let rows = csv_records(&text);
    assert_eq!(rows[0]["frames"], "10");
    assert!(rows[0]["output"].ends_with("e-{frame}.png"));
    let want: Vec<String> = {
        let mut v: Vec<String> = (1..=10).map(|n| format!("e-{n}.png")).collect();
        v.sort();
        v
    };
    assert_eq!(files_in(dir.path()), want);
    // {frame} in the middle of a name.
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    ok(&render(&[
        s(&input),
        "-o",
        s(&sub.join("f{frame}x.jpg")),
        "--frame",
        "all",
    ]));
    assert_eq!(files_in(&sub).len(), 10);
    assert!(sub.join("f7x.jpg").is_file());
    // Frame 7 of the pattern is `--frame 7`.
    let single = dir.path().join("seven.png");
    ok(&render(&[
        s(&input),
        "-o",
        s(&single),
        "--frame",
        "7",
        "--window",
        "100,200",
    ]));
    assert_eq!(
        luma8(&single).as_raw(),
        luma8(&dir.path().join("e-7.png")).as_raw()
    );
    // A frame that does not exist: exit 6, no file.
    let out = render(&[
        s(&input),
        "-o",
        s(&dir.path().join("x.png")),
        "--frame",
        "11",
    ]);
    assert_eq!(out.status.code(), Some(6));
    assert!(!dir.path().join("x.png").exists());
}

#[test]
fn size_max_size_jpeg_quality_and_16_bit() {
    let dir = tmp();
    let ct = sample("dicom-images/CT_small.dcm");
    let p = dir.path().join("s.png");
    ok(&render(&[s(&ct), "-o", s(&p), "--size", "64x32"]));
    assert_eq!(image::open(&p).unwrap().dimensions_tuple(), (64, 32));
    let jpg = sample("dicom-images/JPGExtended.dcm");
    let m = dir.path().join("m.png");
    let text = ok(&render(&[s(&jpg), "-o", s(&m), "--max-size", "100"]));
    assert_eq!(image::open(&m).unwrap().dimensions_tuple(), (25, 100));
    assert_eq!(csv_records(&text)[0]["height"], "100");
    // JPEG quality changes the size; both decode at the image size.
    let lo = dir.path().join("lo.jpg");
    let hi = dir.path().join("hi.jpeg");
    ok(&render(&[s(&ct), "-o", s(&lo), "--quality", "10"]));
    ok(&render(&[s(&ct), "-o", s(&hi), "--quality", "100"]));
    let (lo_len, hi_len) = (
        std::fs::metadata(&lo).unwrap().len(),
        std::fs::metadata(&hi).unwrap().len(),
    );
    assert!(lo_len < hi_len, "{lo_len} vs {hi_len}");
    assert_eq!(image::open(&hi).unwrap().dimensions_tuple(), (128, 128));
    // --image-format wins over the extension.
    let forced = dir.path().join("forced.out");
    ok(&render(&[
        s(&ct),
        "-o",
        s(&forced),
        "--image-format",
        "jpeg",
    ]));
    assert!(std::fs::read(&forced).unwrap().starts_with(&[0xFF, 0xD8]));
    // 16-bit PNG: the same VOI scaled to 0..65535 (within one 8-bit level of the 8-bit render).
    let p8 = dir.path().join("8.png");
    let p16 = dir.path().join("16.png");
    ok(&render(&[s(&ct), "-o", s(&p8), "--window", "40,400"]));
    ok(&render(&[
        s(&ct),
        "-o",
        s(&p16),
        "--window",
        "40,400",
        "--16bit",
    ]));
    let DynamicImage::ImageLuma16(w) = image::open(&p16).unwrap() else {
        panic!("not 16-bit")
    };
    let n = luma8(&p8);
    let mut max16 = 0;
    for (a, b) in w.pixels().zip(n.pixels()) {
        let scaled = (f64::from(a.0[0]) / 257.0).round() as i32;
        assert!((scaled - i32::from(b.0[0])).abs() <= 1);
        max16 = max16.max(a.0[0]);
    }
    assert_eq!(max16, 65535);
}

trait Dims {
    fn dimensions_tuple(&self) -> (u32, u32);
}
impl Dims for DynamicImage {
    fn dimensions_tuple(&self) -> (u32, u32) {
        (self.width(), self.height())
    }
}

#[test]
fn no_pixel_data_is_one_clear_line_exit_6_and_no_file() {
    let dir = tmp();
    let out_png = dir.path().join("sr.png");
    let out = render(&[s(&sample("dicom-images/test-SR.dcm")), "-o", s(&out_png)]);
    assert_eq!(out.status.code(), Some(6));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("dicomkit: ") && err.contains("no pixel data"),
        "{err}"
    );
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn malformed_samples_never_panic_nor_leave_files() {
    let dir = tmp();
    let mut must_fail = vec![
        "MR_truncated.dcm",
        "rtplan_truncated.dcm",
        "zipMR.gz",
        "JPEG2000-embedded-sequence-delimiter.dcm",
        "reportsi_with_empty_number_tags.dcm",
    ];
    for entry in std::fs::read_dir(samples().join("dicom-malformed")).unwrap() {
        let input = entry.unwrap().path();
        let name = input.file_name().unwrap().to_string_lossy().into_owned();
        let target = dir.path().join(format!("{name}.png"));
        let out = render(&[s(&input), "-o", s(&target)]);
        let code = out.status.code();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!err.contains("panicked"), "{name}: {err}");
        match code {
            Some(0) => {
                image::open(&target).unwrap_or_else(|e| panic!("{name}: {e}"));
            }
            Some(6) => {
                assert!(!target.exists(), "{name}: output left behind");
                assert_eq!(err.lines().count(), 1, "{name}: {err}");
            }
            other => panic!("{name}: exit {other:?}: {err}"),
        }
        if let Some(i) = must_fail.iter().position(|m| *m == name) {
            assert_eq!(code, Some(6), "{name} must be refused: {err}");
            must_fail.remove(i);
        }
    }
    assert!(must_fail.is_empty(), "samples missing: {must_fail:?}");
    for f in files_in(dir.path()) {
        assert!(!f.ends_with(".tmp"), "temporary file left: {f}");
    }
}

#[test]
fn batch_reports_one_row_per_input_and_exit_codes() {
    let dir = tmp();
    let out_dir = format!("{}/out/", dir.path().display());
    let ct = sample("dicom-images/CT_small.dcm");
    let mr = sample("dicom-images/MR_small.dcm");
    let sr = sample("dicom-images/test-SR.dcm");
    let out = render(&[s(&ct), s(&mr), s(&sr), "-o", &out_dir]);
    assert_eq!(out.status.code(), Some(4));
    let rows = csv_records(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["output"], format!("{out_dir}CT_small.png"));
    assert_eq!(
        (rows[0]["width"].as_str(), rows[0]["height"].as_str()),
        ("128", "128")
    );
    assert!(
        rows[0]["voi"].starts_with("min-max"),
        "{:?}",
        rows[0]["voi"]
    );
    assert_eq!(rows[1]["voi"], "window 600,1600");
    assert!(rows[2]["error"].contains("no pixel data"));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("test-SR.dcm") && err.contains("no pixel data"),
        "{err}"
    );
    assert_eq!(
        files_in(&dir.path().join("out")),
        vec!["CT_small.png".to_string(), "MR_small.png".to_string()]
    );
    // Every input unreadable: exit 6.
    let out = render(&[
        s(&sr),
        s(&sample("dicom-images/reportsi.dcm")),
        "-o",
        &out_dir,
    ]);
    assert_eq!(out.status.code(), Some(6));
    // Same names from different folders are kept apart.
    let cr1 = sample("dicom-images/dicomdir/77654033/CR1/6154");
    let out2 = format!("{}/dup/", dir.path().display());
    ok(&render(&[s(&cr1), s(&cr1), "-o", &out2]));
    assert_eq!(
        files_in(&dir.path().join("dup")),
        vec!["6154-2.png".to_string(), "6154.png".to_string()]
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = tmp();
    let ct = sample("dicom-images/CT_small.dcm");
    let mr = sample("dicom-images/MR_small.dcm");
    let file = dir.path().join("a.png");
    std::fs::write(&file, b"x").unwrap();
    for args in [
        vec![s(&ct), s(&mr), "-o", s(&file)],
        vec![s(&ct), "-o", "noext"],
        vec![s(&ct), "-o", "a.jpg", "--16bit"],
        vec![s(&ct), "-o", "a.png", "--window", "40"],
        vec![s(&ct), "-o", "a.png", "--frame", "0"],
        vec![s(&ct), "-o", "a.png", "--size", "10x10", "--max-size", "5"],
        vec![s(&ct), "-o", "/nonexistent-dir/a.png"],
    ] {
        let out = render(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
}

#[test]
fn ecgs_plot_to_png_and_svg() {
    let dir = tmp();
    for (rel, out) in [
        ("dicom-ecg/Example.dcm", "dicom.png"),
        ("scp-ecg/Example.scp", "scp.svg"),
        ("hl7-aecg/Example.xml", "aecg.png"),
    ] {
        let target = dir.path().join(out);
        let text = ok(&render(&[s(&sample(rel)), "-o", s(&target)]));
        let rows = csv_records(&text);
        assert_eq!(rows[0]["kind"], "ecg", "{rel}");
        let bytes = std::fs::read(&target).unwrap();
        if out.ends_with(".svg") {
            let t = String::from_utf8(bytes).unwrap();
            assert!(t.contains("<svg"), "{rel}");
        } else {
            let pic = image::load_from_memory(&bytes).unwrap();
            // Landscape paper.
            assert!(pic.width() > pic.height(), "{rel}");
        }
    }
    // Speed doubles the paper width of the traces: a wider picture.
    let a = dir.path().join("25.png");
    let b = dir.path().join("50.png");
    let ecg = sample("scp-ecg/Example.scp");
    ok(&render(&[s(&ecg), "-o", s(&a)]));
    ok(&render(&[s(&ecg), "-o", s(&b), "--speed", "50"]));
    assert_ne!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    // SVG is for ECGs only.
    let out = render(&[
        s(&sample("dicom-images/CT_small.dcm")),
        "-o",
        s(&dir.path().join("ct.svg")),
    ]);
    assert_eq!(out.status.code(), Some(6));
    assert!(!dir.path().join("ct.svg").exists());
}

#[test]
fn overlays_burn_in_white_only_when_asked() {
    let dir = tmp();
    let input = sample("dicom-images/examples_overlay.dcm");
    let plain = dir.path().join("plain.png");
    let burnt = dir.path().join("burnt.png");
    ok(&render(&[s(&input), "-o", s(&plain)]));
    ok(&render(&[s(&input), "-o", s(&burnt), "--overlays"]));
    let (a, b) = (luma8(&plain), luma8(&burnt));
    let mut changed = 0;
    for (x, y) in a.pixels().zip(b.pixels()) {
        if x != y {
            changed += 1;
            assert_eq!(y.0[0], 255, "overlay pixels are white");
        }
    }
    // The 64x64 overlay plane has set bits over the image.
    assert!(
        changed > 0 && changed <= 64 * 64,
        "{changed} pixels changed"
    );
}
