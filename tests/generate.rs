//! `dicomkit generate`: pictures written with the image crate → DICOM Secondary Capture; every
//! output checked with dciodvfy (0 errors), dcmdump, and pydicom (pixels and encapsulated bytes).

mod common;

use std::path::{Path, PathBuf};

use common::{csv_records, dicomkit, python, sample, tool};
use image::codecs::gif::GifEncoder;
use image::{Delay, Frame, ImageBuffer, Luma, LumaA, Rgb, Rgba, RgbaImage};

/// Run generate with `--format csv`; the one row on success.
fn generate(args: &[&str]) -> std::collections::HashMap<String, String> {
    let out = dicomkit()
        .args(["generate", "--format", "csv"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "generate {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = csv_records(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(rows.len(), 1);
    rows.into_iter().next().unwrap()
}

/// Run generate expecting failure: (exit code, stderr).
fn generate_fails(args: &[&str]) -> (i32, String) {
    let out = dicomkit().arg("generate").args(args).output().unwrap();
    assert!(!out.status.success(), "generate {args:?} succeeded");
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// dciodvfy: the IOD it recognised, and no "Error" lines.
fn assert_valid(file: &Path, iod: &str) {
    let out = tool("dciodvfy", "dicom3tools").arg(file).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("Error")).collect();
    assert!(
        errors.is_empty(),
        "dciodvfy errors for {}:\n{text}",
        file.display()
    );
    assert!(
        text.lines().any(|l| l.trim() == iod),
        "dciodvfy did not recognise {iod}:\n{text}"
    );
}

/// dcmdump's text (it must read the file).
fn dcmdump(file: &Path) -> String {
    let out = tool("dcmdump", "dcmtk").arg(file).output().unwrap();
    assert!(
        out.status.success(),
        "dcmdump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// pydicom: (NumberOfFrames, Rows, Columns, SamplesPerPixel, pixel values flattened).
fn pydicom_pixels(file: &Path) -> (u32, u32, u32, u32, Vec<u32>) {
    let out = python()
        .args([
            "-c",
            "import sys, json, pydicom\n\
             ds = pydicom.dcmread(sys.argv[1])\n\
             a = ds.pixel_array\n\
             print(json.dumps([int(ds.get('NumberOfFrames', 1)), ds.Rows, ds.Columns, ds.SamplesPerPixel, [int(v) for v in a.flatten()]]))",
        ])
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pydicom: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let n = |i: usize| v[i].as_u64().unwrap() as u32;
    let px = v[4]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect();
    (n(0), n(1), n(2), n(3), px)
}

/// pydicom: the encapsulated frames' bytes, as hex.
fn pydicom_fragments(file: &Path) -> Vec<Vec<u8>> {
    let out = python()
        .args([
            "-c",
            "import sys, pydicom\n\
             from pydicom.encaps import generate_frames\n\
             ds = pydicom.dcmread(sys.argv[1])\n\
             for f in generate_frames(ds.PixelData, number_of_frames=int(ds.get('NumberOfFrames', 1))):\n\
             \x20   print(f.hex())",
        ])
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pydicom: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            (0..l.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&l[i..i + 2], 16).unwrap())
                .collect()
        })
        .collect()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const W: u32 = 13; // odd, to exercise padding
const H: u32 = 7;

fn grey8(seed: u32) -> ImageBuffer<Luma<u8>, Vec<u8>> {
    ImageBuffer::from_fn(W, H, |x, y| {
        Luma([((x * 19 + y * 31 + seed * 7) % 256) as u8])
    })
}

fn rgb8() -> ImageBuffer<Rgb<u8>, Vec<u8>> {
    ImageBuffer::from_fn(W, H, |x, y| {
        Rgb([(x * 20) as u8, (y * 36) as u8, ((x + y) * 11) as u8])
    })
}

fn write(dir: &Path, name: &str, img: impl Into<image::DynamicImage>) -> PathBuf {
    let p = dir.join(name);
    img.into().save(&p).unwrap();
    p
}

#[test]
fn png_grey8_single_frame_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let img = grey8(0);
    let input = write(dir.path(), "g8.png", img.clone());
    let out = dir.path().join("g8.dcm");
    let row = generate(&[s(&input), "-o", s(&out)]);
    assert_eq!(row["sop_class_uid"], "1.2.840.10008.5.1.4.1.1.7");
    assert_eq!(row["transfer_syntax"], "1.2.840.10008.1.2.1");
    assert_eq!(
        (
            row["frames"].as_str(),
            row["rows"].as_str(),
            row["columns"].as_str()
        ),
        ("1", "7", "13")
    );
    assert!(row["sop_instance_uid"].starts_with("2.25."));
    assert_valid(&out, "SCImage");
    let dump = dcmdump(&out);
    assert!(dump.contains("(0008,0060) CS [OT]"), "{dump}");
    assert!(dump.contains("(0008,0064) CS [WSD]"), "{dump}");
    assert!(dump.contains("MONOCHROME2"), "{dump}");
    // Full-range window: shown as the picture looked.
    assert!(dump.contains("(0028,1050) DS [128]"), "{dump}");
    assert!(dump.contains("(0028,1051) DS [256]"), "{dump}");
    let (frames, rows, cols, spp, px) = pydicom_pixels(&out);
    assert_eq!((frames, rows, cols, spp), (1, H, W, 1));
    let expected: Vec<u32> = img.into_raw().into_iter().map(u32::from).collect();
    assert_eq!(px, expected);
    // No temporary file left beside the output.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn png_grey16_keeps_all_16_bits() {
    let dir = tempfile::tempdir().unwrap();
    let img: ImageBuffer<Luma<u16>, Vec<u16>> =
        ImageBuffer::from_fn(W, H, |x, y| Luma([(x * 4099 + y * 9001) as u16]));
    let input = write(dir.path(), "g16.png", img.clone());
    let out = dir.path().join("g16.dcm");
    generate(&[s(&input), "-o", s(&out)]);
    assert_valid(&out, "SCImage");
    let dump = dcmdump(&out);
    assert!(dump.contains("(0028,0100) US 16"), "{dump}");
    let (_, rows, cols, spp, px) = pydicom_pixels(&out);
    assert_eq!((rows, cols, spp), (H, W, 1));
    let expected: Vec<u32> = img.into_raw().into_iter().map(u32::from).collect();
    assert!(expected.iter().any(|&v| v > 255));
    assert_eq!(px, expected);
}

#[test]
fn png_rgb_and_rgba_and_grey_alpha() {
    let dir = tempfile::tempdir().unwrap();
    let rgb = rgb8();
    let expected: Vec<u32> = rgb.clone().into_raw().into_iter().map(u32::from).collect();
    let rgb_in = write(dir.path(), "rgb.png", rgb.clone());
    let rgba: RgbaImage = ImageBuffer::from_fn(W, H, |x, y| {
        let p = rgb.get_pixel(x, y);
        Rgba([p[0], p[1], p[2], ((x * 17) % 256) as u8])
    });
    let rgba_in = write(dir.path(), "rgba.png", rgba);
    for (input, name) in [(&rgb_in, "rgb.dcm"), (&rgba_in, "rgba.dcm")] {
        let out = dir.path().join(name);
        generate(&[s(input), "-o", s(&out)]);
        assert_valid(&out, "SCImage");
        assert!(dcmdump(&out).contains("(0028,0004) CS [RGB]"));
        let (_, rows, cols, spp, px) = pydicom_pixels(&out);
        assert_eq!((rows, cols, spp), (H, W, 3));
        assert_eq!(px, expected, "{name}: colours kept, alpha dropped");
    }
    // -v says the alpha channel was dropped and lists the defaults.
    let out = dicomkit()
        .args(["generate", "-v", "--format", "csv"])
        .arg(&rgba_in)
        .arg("-o")
        .arg(dir.path().join("rgba2.dcm"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("alpha channel dropped"), "{err}");
    assert!(err.contains("default: Modality=OT"), "{err}");
    let row = &csv_records(&String::from_utf8_lossy(&out.stdout))[0];
    assert!(row["defaulted"].contains("ConversionType=WSD"), "{row:?}");

    // Grey + alpha → grey.
    let la: ImageBuffer<LumaA<u8>, Vec<u8>> =
        ImageBuffer::from_fn(W, H, |x, y| LumaA([(x * 9 + y) as u8, 128]));
    let la_in = write(dir.path(), "la.png", la.clone());
    let out = dir.path().join("la.dcm");
    generate(&[s(&la_in), "-o", s(&out)]);
    assert_valid(&out, "SCImage");
    let (_, _, _, spp, px) = pydicom_pixels(&out);
    assert_eq!(spp, 1);
    assert_eq!(px, la.pixels().map(|p| u32::from(p[0])).collect::<Vec<_>>());
}

fn jpeg_bytes(img: image::DynamicImage) -> Vec<u8> {
    // Encode the buffer itself: a DynamicImage would be encoded as 3 components.
    let mut out = Vec::new();
    let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85);
    match img {
        image::DynamicImage::ImageLuma8(b) => enc.encode_image(&b).unwrap(),
        other => enc.encode_image(&other.to_rgb8()).unwrap(),
    }
    out
}

#[test]
fn jpeg_embedded_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    for (name, img, photometric, spp) in [
        (
            "c.jpg",
            image::DynamicImage::from(rgb8()),
            "YBR_FULL_422",
            3,
        ),
        (
            "g.jpg",
            image::DynamicImage::from(grey8(3)),
            "MONOCHROME2",
            1,
        ),
    ] {
        let bytes = jpeg_bytes(img);
        let input = dir.path().join(name);
        std::fs::write(&input, &bytes).unwrap();
        let out = dir.path().join(format!("{name}.dcm"));
        let row = generate(&[s(&input), "-o", s(&out)]);
        assert_eq!(row["transfer_syntax"], "1.2.840.10008.1.2.4.50");
        assert_eq!(row["sop_class_uid"], "1.2.840.10008.5.1.4.1.1.7");
        assert_valid(&out, "SCImage");
        let dump = dcmdump(&out);
        assert!(
            dump.contains(&format!("(0028,0004) CS [{photometric}")),
            "{dump}"
        );
        assert!(dump.contains(&format!("(0028,0002) US {spp}")), "{dump}");
        assert!(dump.contains("(0028,2110) CS [01]"), "{dump}");
        assert!(dump.contains("ISO_10918_1"), "{dump}");
        let frames = pydicom_fragments(&out);
        assert_eq!(frames.len(), 1);
        let f = &frames[0];
        assert_eq!(
            &f[..bytes.len()],
            &bytes[..],
            "{name}: encapsulated bytes = input"
        );
        assert!(f[bytes.len()..].iter().all(|&b| b == 0) && f.len() - bytes.len() <= 1);
    }
}

#[test]
fn jpeg_decoded_with_encode_native() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = jpeg_bytes(rgb8().into());
    let input = dir.path().join("c.jpg");
    std::fs::write(&input, &bytes).unwrap();
    let out = dir.path().join("c.dcm");
    let row = generate(&[s(&input), "-o", s(&out), "--encode", "native"]);
    assert_eq!(row["transfer_syntax"], "1.2.840.10008.1.2.1");
    assert_valid(&out, "SCImage");
    let dump = dcmdump(&out);
    assert!(dump.contains("(0028,0004) CS [RGB]"), "{dump}");
    assert!(
        dump.contains("(0028,2110) CS [01]"),
        "lossy history kept: {dump}"
    );
    let decoded = image::load_from_memory(&bytes).unwrap().to_rgb8();
    let (_, rows, cols, spp, px) = pydicom_pixels(&out);
    assert_eq!((rows, cols, spp), (H, W, 3));
    assert_eq!(
        px,
        decoded
            .into_raw()
            .into_iter()
            .map(u32::from)
            .collect::<Vec<_>>()
    );
}

#[test]
fn png_compressed_with_encode_jpeg() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "rgb.png", rgb8());
    let out = dir.path().join("rgb.dcm");
    let row = generate(&[s(&input), "-o", s(&out), "--encode", "jpeg"]);
    assert_eq!(row["transfer_syntax"], "1.2.840.10008.1.2.4.50");
    assert_valid(&out, "SCImage");
    let frames = pydicom_fragments(&out);
    assert_eq!(&frames[0][..2], &[0xFF, 0xD8]);
}

#[test]
fn progressive_jpeg_is_refused_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = jpeg_bytes(rgb8().into());
    // Mark the frame as progressive (SOF2): the header check must refuse it.
    let sof = bytes.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    bytes[sof + 1] = 0xC2;
    let input = dir.path().join("p.jpg");
    std::fs::write(&input, &bytes).unwrap();
    let out = dir.path().join("p.dcm");
    let (code, err) = generate_fails(&[s(&input), "-o", s(&out)]);
    assert_eq!(code, 6, "{err}");
    assert!(
        err.contains("progressive") && err.contains("--encode native"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn several_pngs_make_one_multi_frame_object() {
    let dir = tempfile::tempdir().unwrap();
    let imgs: Vec<_> = (0..3).map(grey8).collect();
    let inputs: Vec<PathBuf> = imgs
        .iter()
        .enumerate()
        .map(|(i, img)| write(dir.path(), &format!("p{i}.png"), img.clone()))
        .collect();
    let out = dir.path().join("mf.dcm");
    let mut args: Vec<&str> = inputs.iter().map(|p| s(p)).collect();
    args.extend(["-o", s(&out)]);
    let row = generate(&args);
    assert_eq!(row["sop_class_uid"], "1.2.840.10008.5.1.4.1.1.7.2");
    assert_eq!(row["frames"], "3");
    assert_valid(&out, "MultiframeGrayscaleByteSCImage");
    let dump = dcmdump(&out);
    assert!(dump.contains("(0028,0008) IS [3]"), "{dump}");
    assert!(dump.contains("(0028,0009) AT (0018,2001)"), "{dump}");
    let (frames, rows, cols, spp, px) = pydicom_pixels(&out);
    assert_eq!((frames, rows, cols, spp), (3, H, W, 1));
    let expected: Vec<u32> = imgs
        .into_iter()
        .flat_map(|i| i.into_raw())
        .map(u32::from)
        .collect();
    assert_eq!(px, expected);

    // 16-bit grey frames → Grayscale Word; colour frames → True Color.
    let g16: Vec<PathBuf> = (0..2)
        .map(|i| {
            let img: ImageBuffer<Luma<u16>, Vec<u16>> =
                ImageBuffer::from_fn(W, H, |x, y| Luma([(x * 1000 + y * 7 + i * 3) as u16]));
            write(dir.path(), &format!("w{i}.png"), img)
        })
        .collect();
    let out16 = dir.path().join("mf16.dcm");
    let row = generate(&[s(&g16[0]), s(&g16[1]), "-o", s(&out16)]);
    assert_eq!(row["sop_class_uid"], "1.2.840.10008.5.1.4.1.1.7.3");
    assert_valid(&out16, "MultiframeGrayscaleWordSCImage");
    let c: Vec<PathBuf> = (0..2)
        .map(|i| write(dir.path(), &format!("c{i}.png"), rgb8()))
        .collect();
    let outc = dir.path().join("mfc.dcm");
    let row = generate(&[s(&c[0]), s(&c[1]), "-o", s(&outc)]);
    assert_eq!(row["sop_class_uid"], "1.2.840.10008.5.1.4.1.1.7.4");
    assert_valid(&outc, "MultiframeTrueColorSCImage");

    // Two JPEGs → multi-frame JPEG with one fragment per frame.
    let j: Vec<PathBuf> = (0..2)
        .map(|i| {
            let p = dir.path().join(format!("j{i}.jpg"));
            std::fs::write(&p, jpeg_bytes(grey8(i).into())).unwrap();
            p
        })
        .collect();
    let outj = dir.path().join("mfj.dcm");
    let row = generate(&[s(&j[0]), s(&j[1]), "-o", s(&outj)]);
    assert_eq!(row["transfer_syntax"], "1.2.840.10008.1.2.4.50");
    assert_valid(&outj, "MultiframeGrayscaleByteSCImage");
    let frames = pydicom_fragments(&outj);
    assert_eq!(frames.len(), 2);
    let second = std::fs::read(&j[1]).unwrap();
    assert_eq!(&frames[1][..second.len()], &second[..]);

    // Frames of different sizes → a clear error, no output.
    let small = write(
        dir.path(),
        "small.png",
        ImageBuffer::<Luma<u8>, _>::from_fn(3, 3, |_, _| Luma([1u8])),
    );
    let bad = dir.path().join("bad.dcm");
    let (code, err) = generate_fails(&[s(&inputs[0]), s(&small), "-o", s(&bad)]);
    assert_eq!(code, 6);
    assert!(err.contains("same size") && err.contains("3x3"), "{err}");
    assert!(!bad.exists());
}

#[test]
fn animated_gif_becomes_multi_frame_true_colour() {
    let dir = tempfile::tempdir().unwrap();
    let colours = [[255u8, 0, 0], [0, 128, 255], [20, 200, 40]];
    let pictures: Vec<RgbaImage> = (0..3)
        .map(|i| {
            ImageBuffer::from_fn(W, H, |x, y| {
                let c = colours[((x / 4 + y / 3 + i) % 3) as usize];
                Rgba([c[0], c[1], c[2], 255])
            })
        })
        .collect();
    let input = dir.path().join("anim.gif");
    {
        let f = std::fs::File::create(&input).unwrap();
        let mut enc = GifEncoder::new(f);
        enc.encode_frames(
            pictures
                .iter()
                .map(|p| Frame::from_parts(p.clone(), 0, 0, Delay::from_numer_denom_ms(100, 1))),
        )
        .unwrap();
    }
    let out = dir.path().join("anim.dcm");
    let row = generate(&[s(&input), "-o", s(&out)]);
    assert_eq!(row["sop_class_uid"], "1.2.840.10008.5.1.4.1.1.7.4");
    assert_eq!(row["frames"], "3");
    assert_valid(&out, "MultiframeTrueColorSCImage");
    let dump = dcmdump(&out);
    assert!(dump.contains("(0028,0009) AT (0018,1063)"), "{dump}");
    assert!(dump.contains("(0018,1063) DS [100]"), "{dump}");
    let (frames, rows, cols, spp, px) = pydicom_pixels(&out);
    assert_eq!((frames, rows, cols, spp), (3, H, W, 3));
    let expected: Vec<u32> = pictures
        .iter()
        .flat_map(|p| p.pixels().flat_map(|q| [q[0], q[1], q[2]]))
        .map(u32::from)
        .collect();
    assert_eq!(px, expected);
}

#[test]
fn metadata_from_set_meta_and_template() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "g.png", grey8(1));
    let meta = dir.path().join("meta.json");
    std::fs::write(
        &meta,
        r#"{"StudyDescription": "Wound photo", "PatientWeight": 72.5, "ImageType": ["DERIVED", "SECONDARY"], "PatientSex": "F"}"#,
    )
    .unwrap();
    let out = dir.path().join("m.dcm");
    let template = sample("dicom-images/CT_small.dcm");
    generate(&[
        s(&input),
        "-o",
        s(&out),
        "--template",
        s(&template),
        "--meta",
        s(&meta),
        "--set",
        "PatientID=ABC-123",
        "--set",
        "(0008,0080)=General Hospital",
        "--set",
        "Modality=XC",
        "--set",
        "PatientBirthDate=19800229",
    ]);
    assert_valid(&out, "SCImage");
    let dump = dcmdump(&out);
    for want in [
        // template (Patient + General Study of CT_small)
        "(0010,0010) PN [CompressedSamples^CT1]",
        "(0020,000d) UI [1.3.6.1.4.1.5962.1.2.1.20040119072730.12322]",
        "(0008,0020) DA [20040119]",
        // meta
        "(0008,1030) LO [Wound photo]",
        "(0010,1030) DS [72.5]",
        "(0008,0008) CS [DERIVED\\SECONDARY]",
        "(0010,0040) CS [F]",
        // set (wins over the template's PatientID 1CT1)
        "(0010,0020) LO [ABC-123]",
        "(0008,0080) LO [General Hospital]",
        "(0008,0060) CS [XC]",
        "(0010,0030) DA [19800229]",
    ] {
        assert!(dump.contains(want), "missing {want}:\n{dump}");
    }
    // Non-ASCII values → UTF-8 character set.
    let out2 = dir.path().join("u.dcm");
    generate(&[
        s(&input),
        "-o",
        s(&out2),
        "--set",
        "PatientName=Müller^Jürgen",
    ]);
    assert_valid(&out2, "SCImage");
    let dump = dcmdump(&out2);
    assert!(dump.contains("ISO_IR 192"), "{dump}");
    assert!(dump.contains("Müller^Jürgen"), "{dump}");
}

#[test]
fn unknown_keyword_is_a_usage_error_with_suggestions() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "g.png", grey8(1));
    let out = dir.path().join("x.dcm");
    let (code, err) = generate_fails(&[s(&input), "-o", s(&out), "--set", "PatientNme=Doe"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("PatientNme") && err.contains("PatientName"),
        "{err}"
    );
    let meta = dir.path().join("m.json");
    std::fs::write(&meta, r#"{"StudyDescripton": "x"}"#).unwrap();
    let (code, err) = generate_fails(&[s(&input), "-o", s(&out), "--meta", s(&meta)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("StudyDescription"), "{err}");
    let (code, err) = generate_fails(&[s(&input), "-o", s(&out), "--set", "Rows=5"]);
    assert_eq!(code, 2);
    assert!(err.contains("Rows") && err.contains("computed"), "{err}");
    assert!(!out.exists());
}

#[test]
fn invalid_values_name_the_field_and_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "g.png", grey8(1));
    let out = dir.path().join("x.dcm");
    let long = format!("PatientID={}", "x".repeat(65));
    for (set, field, rule) in [
        ("PatientBirthDate=20231301", "PatientBirthDate", "YYYYMMDD"),
        ("StudyDate=2023-01-01", "StudyDate", "YYYYMMDD"),
        ("StudyInstanceUID=1.2.abc", "StudyInstanceUID", "UID"),
        (
            "StudyInstanceUID=1.2.03",
            "StudyInstanceUID",
            "leading zero",
        ),
        (long.as_str(), "PatientID", "64"),
        ("PatientName=a^b^c^d^e^f", "PatientName", "5 components"),
        ("StudyTime=2561", "StudyTime", "HHMM"),
        ("SeriesNumber=one", "SeriesNumber", "integer"),
        ("PatientAge=45", "PatientAge", "nnnY"),
        ("Modality=ot", "Modality", "uppercase"),
        ("PatientID", "--set", "KEYWORD=VALUE"),
    ] {
        let (code, err) = generate_fails(&[s(&input), "-o", s(&out), "--set", set]);
        assert_eq!(code, 2, "{set}: {err}");
        assert!(err.contains(field) && err.contains(rule), "{set}: {err}");
    }
    assert!(!out.exists());
}

#[test]
fn unreadable_inputs_exit_6() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.png");
    std::fs::write(&text, "not a picture").unwrap();
    let out = dir.path().join("x.dcm");
    let (code, err) = generate_fails(&[s(&text), "-o", s(&out)]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("notes.png"), "{err}");
    let (code, _) = generate_fails(&[s(&dir.path().join("missing.png")), "-o", s(&out)]);
    assert_eq!(code, 6);
    let input = write(dir.path(), "g.png", grey8(1));
    let (code, err) = generate_fails(&[s(&input), "-o", s(&out), "--template", s(&text)]);
    assert_eq!(code, 6, "{err}");
    assert!(!out.exists());
}

#[test]
fn render_gives_back_the_same_pixels() {
    let dir = tempfile::tempdir().unwrap();
    let g8 = grey8(5);
    let g16: ImageBuffer<Luma<u16>, Vec<u16>> =
        ImageBuffer::from_fn(W, H, |x, y| Luma([(x * 4099 + y * 9001) as u16]));
    let rgb = rgb8();
    let cases: [(&str, image::DynamicImage, &[&str]); 3] = [
        ("g8", g8.into(), &[]),
        ("g16", g16.into(), &["--16bit"]),
        ("rgb", rgb.into(), &[]),
    ];
    for (name, img, render_args) in cases {
        let input = write(dir.path(), &format!("{name}.png"), img.clone());
        let dcm = dir.path().join(format!("{name}.dcm"));
        generate(&[s(&input), "-o", s(&dcm)]);
        let back = dir.path().join(format!("{name}-back.png"));
        let out = dicomkit()
            .args(["render", "-q"])
            .arg(&dcm)
            .arg("-o")
            .arg(&back)
            .args(render_args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "render {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let rendered = image::open(&back).unwrap();
        assert_eq!(rendered.color(), img.color(), "{name}");
        assert_eq!(rendered.as_bytes(), img.as_bytes(), "{name}: same pixels");
    }
}

/// An existing output is replaced only with --force; an input is never written over, even
/// with --force; a link at the output's name is never followed.
#[test]
fn never_overwrites_without_force_and_never_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let png = write(dir.path(), "self.png", rgb8());
    let png_bytes = std::fs::read(&png).unwrap();
    let p = |path: &Path| path.to_str().unwrap().to_owned();
    // -o the input itself (today: self.png became DICOM)
    for extra in [&[][..], &["--force"][..]] {
        let mut args = vec![p(&png), "-o".into(), p(&png)];
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, err) = generate_fails(&args);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("is also an input"), "{err}");
        assert_eq!(
            std::fs::read(&png).unwrap(),
            png_bytes,
            "the input is unchanged"
        );
    }
    // -o the template, through a link to it
    let template = dir.path().join("template.dcm");
    std::fs::copy(sample("dicom-images/CT_small.dcm"), &template).unwrap();
    let link = dir.path().join("link.dcm");
    std::os::unix::fs::symlink(&template, &link).unwrap();
    let (code, err) = generate_fails(&[
        &p(&png),
        "--template",
        &p(&template),
        "-o",
        &p(&link),
        "--force",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is also an input"), "{err}");
    // an existing output: refused, unchanged; --force replaces it
    let out = dir.path().join("out.dcm");
    std::fs::write(&out, b"keep me").unwrap();
    let (code, err) = generate_fails(&[&p(&png), "-o", &p(&out)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("exists: use --force"), "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), b"keep me");
    generate(&[&p(&png), "-o", &p(&out), "--force"]);
    assert_eq!(&std::fs::read(&out).unwrap()[128..132], b"DICM");
    // a link at the output's name pointing elsewhere: refused; with --force the link itself is
    // replaced and what it pointed to is untouched
    let elsewhere = dir.path().join("elsewhere.txt");
    std::fs::write(&elsewhere, b"not yours").unwrap();
    let trap = dir.path().join("trap.dcm");
    std::os::unix::fs::symlink(&elsewhere, &trap).unwrap();
    let (code, _) = generate_fails(&[&p(&png), "-o", &p(&trap)]);
    assert_eq!(code, 2);
    generate(&[&p(&png), "-o", &p(&trap), "--force"]);
    assert_eq!(std::fs::read(&elsewhere).unwrap(), b"not yours");
    assert!(
        !std::fs::symlink_metadata(&trap)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    // no temporary file is left behind
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// A --template of a few hundred bytes declaring an element of 0xFFFFFFF0 bytes is refused
/// with a reason, without allocating the declared length (run under a 1 GiB address-space
/// limit: it used to allocate 4.2 GB and abort).
#[test]
fn a_template_declaring_a_huge_length_is_refused_without_allocating_it() {
    let dir = tempfile::tempdir().unwrap();
    let png = write(dir.path(), "p.png", rgb8());
    // Part 10: preamble, DICM, a meta group (with its group length), then PatientName
    // (0010,0010) written as UT with a 4-byte length of 0xFFFFFFF0, and a few bytes.
    fn el(tag: (u16, u16), vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
        let mut e = Vec::new();
        e.extend_from_slice(&tag.0.to_le_bytes());
        e.extend_from_slice(&tag.1.to_le_bytes());
        e.extend_from_slice(vr);
        if matches!(vr, b"OB" | b"UT") {
            e.extend_from_slice(&[0, 0]);
            e.extend_from_slice(&(value.len() as u32).to_le_bytes());
        } else {
            e.extend_from_slice(&(value.len() as u16).to_le_bytes());
        }
        e.extend_from_slice(value);
        e
    }
    let mut meta = el((2, 1), b"OB", &[0, 1]);
    meta.extend(el((2, 2), b"UI", b"1.2.840.10008.5.1.4.1.1.7\0"));
    meta.extend(el((2, 3), b"UI", b"1.2.3.4\0"));
    meta.extend(el((2, 0x10), b"UI", b"1.2.840.10008.1.2.1\0"));
    let mut b = vec![0u8; 128];
    b.extend_from_slice(b"DICM");
    b.extend(el((2, 0), b"UL", &(meta.len() as u32).to_le_bytes()));
    b.extend(meta);
    b.extend_from_slice(&[0x10, 0x00, 0x10, 0x00, b'U', b'T', 0, 0]);
    b.extend_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    b.resize(324, b'A');
    let template = dir.path().join("huge.dcm");
    std::fs::write(&template, &b).unwrap();
    let x = dir.path().join("x.dcm");
    let r = common::limited::run(
        &[
            "generate",
            png.to_str().unwrap(),
            "--template",
            template.to_str().unwrap(),
            "-o",
            x.to_str().unwrap(),
        ],
        None,
        &[],
        common::limited::Limits::new(1 << 30, 120),
    );
    let err = &r.stderr;
    assert_eq!(r.code, Some(6), "{err}");
    assert!(err.contains("huge.dcm"), "{err}");
    assert!(err.contains("cannot read as DICOM"), "{err}");
    assert!(!dir.path().join("x.dcm").exists());
}
