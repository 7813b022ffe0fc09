//! ECG plotting on the real samples: paper geometry from speed and gain, traces where the
//! samples say, the pink grid, SVG structure, PNG round trip; the same ECG from SCP-ECG and
//! HL7 aECG draws the same traces.

mod common;

use dicomkit::ecg::Ecg;
use dicomkit::ecg::prepare::read_path;
use dicomkit::image::ecg_plot::{
    GRID_MAJOR, GRID_MINOR, Layout, LayoutKind, PAPER, PlotOptions, STANDARD_LEADS, layout,
    plot_png, plot_svg,
};
use image::RgbImage;

fn load(rel: &str) -> Ecg {
    read_path(&common::sample(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn opts(speed: f64, gain: f64, ppm: f64) -> PlotOptions {
    PlotOptions {
        speed_mm_s: speed,
        gain_mm_mv: gain,
        px_per_mm: ppm,
    }
}

fn is_dark(img: &RgbImage, x: u32, y: u32) -> bool {
    img.get_pixel_checked(x, y)
        .is_some_and(|p| p.0.iter().all(|c| *c <= 64))
}

/// Is there a dark (trace) pixel within ±2 px of (x, y)?
fn dark_near(img: &RgbImage, x: u32, y: u32) -> bool {
    (x.saturating_sub(2)..=x + 2)
        .any(|xx| (y.saturating_sub(2)..=y + 2).any(|yy| is_dark(img, xx, yy)))
}

#[test]
fn dicom_ecg_paper_size_follows_speed_and_gain() {
    let ecg = load("dicom-ecg/waveform_ecg.dcm");
    let rhythm = ecg.rhythm.as_ref().unwrap();
    assert_eq!(rhythm.samples_per_lead(), 10000);
    assert_eq!(rhythm.sampling_rate_hz, 1000.0);

    let base = layout(&ecg, &opts(25.0, 10.0, 10.0)).unwrap();
    assert_eq!(base.kind, LayoutKind::Standard);
    assert_eq!(base.duration_s, 10.0);
    // width = 5 + 10 (calibration) + 10 s × 25 mm/s + 5; height = 5 + 33 + 4 × 30 + 5.
    assert_eq!((base.width_mm, base.height_mm), (270.0, 163.0));
    let img = plot_png(&ecg, &opts(25.0, 10.0, 10.0)).unwrap();
    assert_eq!(img.dimensions(), (2700, 1630));

    // 50 mm/s doubles the trace width (250 → 500 mm); the calibration area grows by 5 mm.
    let fast = layout(&ecg, &opts(50.0, 10.0, 10.0)).unwrap();
    let trace = |l: &Layout| l.grid_right_mm - l.trace_left_mm;
    assert_eq!(trace(&base), 250.0);
    assert_eq!(trace(&fast), 500.0);
    assert_eq!(fast.width_mm, 525.0);
    let img = plot_png(&ecg, &opts(50.0, 10.0, 4.0)).unwrap();
    assert_eq!(img.dimensions(), (2100, 652));

    // 20 mm/mV doubles the rows (30 → 60 mm each).
    let tall = layout(&ecg, &opts(25.0, 20.0, 10.0)).unwrap();
    assert_eq!(tall.row_height_mm, 60.0);
    assert_eq!(tall.height_mm, 5.0 + 33.0 + 240.0 + 5.0);

    // A 15 s WFDB record (CPSC 2018 A0001, 12 leads @ 500 Hz): the rhythm strip is 15 s long.
    let wfdb = load("other-ecg/cpsc2018/A0001.hea");
    let lay = layout(&wfdb, &opts(25.0, 10.0, 10.0)).unwrap();
    assert_eq!(lay.kind, LayoutKind::Standard);
    assert_eq!(lay.duration_s, 15.0);
    assert_eq!(lay.width_mm, 15.0 + 375.0 + 5.0);
    assert_eq!(lay.rows[3].segments[0].end_s, 15.0);
    assert_eq!(
        plot_png(&wfdb, &opts(25.0, 10.0, 2.0))
            .unwrap()
            .dimensions(),
        (790, 326)
    );
}

#[test]
fn dicom_ecg_header_has_the_carts_measurements() {
    let ecg = load("dicom-ecg/waveform_ecg.dcm");
    let lay = layout(&ecg, &PlotOptions::default()).unwrap();
    let header = lay.header.join("\n");
    for want in [
        "Sampling: 1000 Hz, 10 s, 12 leads",
        "Speed: 25 mm/s",
        "Gain: 10 mm/mV",
        "PR 161 ms",
        "QRS 75 ms",
        "QT/QTc 368/370 ms",
        "Axes P/QRS/T 74/52/57°",
        "Interpretation: RITMO SINUSALE",
        "ECG NORMALE",
        "Acquired: 2013-01-25",
    ] {
        assert!(header.contains(want), "{want:?} not in\n{header}");
    }
    assert!(lay.notes.is_empty(), "{:?}", lay.notes);
}

/// The biggest and smallest sample of lead II in the rhythm strip, and the biggest of V2 in its
/// column (5–7.5 s), are drawn where baseline + value × gain × px/mm puts them.
#[test]
fn dicom_ecg_traces_are_where_the_samples_say() {
    let ecg = load("dicom-ecg/waveform_ecg.dcm");
    let o = opts(25.0, 10.0, 10.0);
    let lay = layout(&ecg, &o).unwrap();
    let img = plot_png(&ecg, &o).unwrap();
    let rhythm = ecg.rhythm.as_ref().unwrap();
    let fs = rhythm.sampling_rate_hz;

    let ii = &rhythm.lead("II").unwrap().samples_uv;
    let (imax, vmax) = ii
        .iter()
        .copied()
        .enumerate()
        .fold((0, f64::MIN), |a, (i, v)| if v > a.1 { (i, v) } else { a });
    let (imin, vmin) = ii
        .iter()
        .copied()
        .enumerate()
        .fold((0, f64::MAX), |a, (i, v)| if v < a.1 { (i, v) } else { a });
    assert!(
        vmax > 500.0 && vmin < 0.0,
        "lead II range {vmin}..{vmax} µV"
    );

    // Rhythm strip: row 4, baseline at 38 + 3 × 30 + 0.6 × 30 = 146 mm; time 0 at 15 mm.
    let strip = &lay.rows[3];
    assert_eq!(strip.segments[0].lead, "II");
    assert_eq!(strip.baseline_mm, 146.0);
    for (i, v) in [(imax, vmax), (imin, vmin)] {
        let x = ((15.0 + i as f64 / fs * 25.0) * 10.0).floor() as u32;
        let y = ((146.0 - v / 1000.0 * 10.0) * 10.0).floor() as u32;
        assert!(
            dark_near(&img, x, y),
            "no trace near ({x}, {y}) for sample {i} = {v} µV"
        );
        // ... and not 5 mm above or below it (the trace is a line, not a smear).
        assert!(!is_dark(&img, x, y - 50) || !is_dark(&img, x, y + 50));
    }
    // Paper above the peak is free of trace.
    let x = ((15.0 + imax as f64 / fs * 25.0) * 10.0).floor() as u32;
    let ypeak = ((146.0 - vmax / 1000.0 * 10.0) * 10.0).floor() as u32;
    assert!(!is_dark(&img, x, ypeak - 20), "trace above the peak?");

    // V2: row 2, column 3 (5 ≤ t < 7.5 s), baseline 38 + 30 + 18 = 86 mm.
    let v2 = &rhythm.lead("V2").unwrap().samples_uv;
    let (i, v) = v2
        .iter()
        .copied()
        .enumerate()
        .take(7500)
        .skip(5000)
        .fold((0, f64::MIN), |a, (i, v)| if v > a.1 { (i, v) } else { a });
    let seg = &lay.rows[1].segments[2];
    assert_eq!((seg.lead.as_str(), seg.start_s), ("V2", 5.0));
    let y_mm = (86.0 - v / 1000.0 * 10.0).clamp(68.0, 98.0);
    let x = ((15.0 + i as f64 / fs * 25.0) * 10.0).floor() as u32;
    let y = (y_mm * 10.0).floor() as u32;
    assert!(
        dark_near(&img, x, y),
        "V2 peak {v} µV at sample {i} not at ({x}, {y})"
    );
}

#[test]
fn dicom_ecg_grid_is_pink() {
    let ecg = load("dicom-ecg/waveform_ecg.dcm");
    let o = PlotOptions::default();
    let img = plot_png(&ecg, &o).unwrap();
    // 5 mm line at x = 20 mm (5 mm right of the trace start), 0.5 mm below the grid top (38 mm).
    assert_eq!(img.get_pixel(200, 385).0, GRID_MAJOR);
    // 1 mm line at x = 21 mm; paper between lines at 21.5 mm.
    assert_eq!(img.get_pixel(210, 385).0, GRID_MINOR);
    assert_eq!(img.get_pixel(215, 385).0, PAPER);
    // Horizontal 5 mm line at y = 43 mm, between two lines at x = 22.5 mm.
    assert_eq!(img.get_pixel(225, 430).0, GRID_MAJOR);
    // The header is plain paper (no grid) away from the text.
    assert_eq!(img.get_pixel(2650, 360).0, PAPER);
    // Calibration pulse of row 1: 1 mV high, from 0.05 s to 0.25 s before... its top at
    // baseline 56 mm − 10 mm = 46 mm, between x = 8.75 and 13.75 mm.
    assert!(dark_near(&img, 110, 460));
    assert!(dark_near(&img, 88, 510));
}

#[test]
fn dicom_ecg_svg_is_xml_in_millimetres_with_12_leads() {
    let ecg = load("dicom-ecg/waveform_ecg.dcm");
    let svg = plot_svg(&ecg, &PlotOptions::default()).unwrap();
    let mut reader = quick_xml::reader::Reader::from_str(&svg);
    let mut root = None;
    let mut labels = Vec::new();
    let mut polylines = 0;
    let mut in_label = false;
    loop {
        match reader.read_event().expect("well-formed SVG") {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                let attr = |name: &str| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.local_name().as_ref() == name)
                        .and_then(|a| {
                            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .ok()
                                .map(|v| v.into_owned())
                        })
                };
                match e.local_name().as_ref() {
                    "svg" => root = Some((attr("viewBox"), attr("width"), attr("height"))),
                    "polyline" => polylines += 1,
                    "text" => in_label = attr("class").as_deref() == Some("lead"),
                    _ => {}
                }
            }
            quick_xml::events::Event::Text(t) if in_label => {
                labels.push(t.xml10_content().into_owned());
                in_label = false;
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    let (view_box, width, height) = root.expect("svg root");
    assert_eq!(view_box.as_deref(), Some("0 0 270 163"));
    assert_eq!(width.as_deref(), Some("270mm"));
    assert_eq!(height.as_deref(), Some("163mm"));
    // 12 leads + the rhythm strip's II; 13 traces + 4 calibration pulses.
    assert_eq!(labels.len(), 13, "{labels:?}");
    let mut unique: Vec<&str> = labels.iter().map(String::as_str).collect();
    unique.sort();
    unique.dedup();
    let mut want = STANDARD_LEADS.to_vec();
    want.sort();
    assert_eq!(unique, want);
    assert_eq!(polylines, 17);
}

#[test]
fn png_survives_encoding() {
    let ecg = load("dicom-ecg/waveform_ecg.dcm");
    let img = plot_png(&ecg, &opts(25.0, 10.0, 3.0)).unwrap();
    let mut bytes = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::Png,
    )
    .unwrap();
    assert_eq!(bytes.get(..8), Some(b"\x89PNG\r\n\x1a\n".as_slice()));
    let back = image::load_from_memory(&bytes).unwrap().to_rgb8();
    assert_eq!(back.dimensions(), (810, 489));
    assert!(back == img);
}

/// Example.scp and Example.xml hold the same signal (MANIFEST): the paper below the header is
/// identical pixel for pixel, whatever the lead order of the file.
#[test]
fn scp_and_aecg_draw_the_same_traces() {
    let scp = load("scp-ecg/Example.scp");
    let xml = load("hl7-aecg/Example.xml");
    let o = opts(25.0, 10.0, 5.0);
    let a = plot_png(&scp, &o).unwrap();
    let b = plot_png(&xml, &o).unwrap();
    assert_eq!(a.dimensions(), (1350, 815));
    assert_eq!(b.dimensions(), a.dimensions());
    let lay = layout(&scp, &o).unwrap();
    assert_eq!(lay.kind, LayoutKind::Standard);
    let top = (lay.grid_top_mm * 5.0) as u32;
    let mut differing = 0;
    let mut dark = 0;
    for y in top..a.height() {
        for x in 0..a.width() {
            if a.get_pixel(x, y) != b.get_pixel(x, y) {
                differing += 1;
            }
            if is_dark(&a, x, y) {
                dark += 1;
            }
        }
    }
    assert_eq!(differing, 0);
    assert!(dark > 10_000, "only {dark} trace pixels");
    let svg = plot_svg(&xml, &o).unwrap();
    assert!(svg.contains("viewBox=\"0 0 270 163\""));
}

/// `dicomkit render` on a DICOM-ECG: a PNG of the paper size at the default 10 px/mm, and an SVG
/// in millimetres.
#[test]
fn cli_renders_a_dicom_ecg() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("out.png");
    common::dicomkit()
        .arg("render")
        .arg(common::sample("dicom-ecg/waveform_ecg.dcm"))
        .arg("-o")
        .arg(&png)
        .assert()
        .success();
    let img = image::open(&png).unwrap();
    assert_eq!((img.width(), img.height()), (2700, 1630));
    let svg = dir.path().join("out.svg");
    common::dicomkit()
        .arg("render")
        .arg(common::sample("dicom-ecg/waveform_ecg.dcm"))
        .args(["--speed", "50", "-o"])
        .arg(&svg)
        .assert()
        .success();
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains(r#"width="525mm" height="163mm" viewBox="0 0 525 163""#));
}
