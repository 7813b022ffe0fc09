//! Unit tests of the SCP-ECG reader: CRC, Huffman decoding, section parsing, strict reading.

use super::*;

/// [`huffman`] without difference encoding, as (values, short).
fn huff(data: &[u8], count: Option<usize>, tables: &[Table]) -> Result<(Vec<i16>, bool), String> {
    let mut v = Vec::new();
    let short = huffman(data, count, tables, 0, &mut v)?;
    Ok((v, short))
}

/// `n` pseudo-random bytes (xorshift64 from `seed`).
fn xorshift_bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn crc_ccitt_check_value() {
    // CRC-16/CCITT-FALSE check value.
    assert_eq!(crc_ccitt(b"123456789"), 0x29B1);
    assert_eq!(crc_ccitt(b""), 0xFFFF);
    // Slicing-by-16 equals the byte-at-a-time CRC at every length and alignment.
    let data = xorshift_bytes(0x2545_f491_4f6c_dd1d, 1000);
    for start in 0..17 {
        for end in (start..data.len()).step_by(7) {
            let d = &data[start..end];
            assert_eq!(crc_ccitt(d), crc_ccitt_bytewise(d), "{start}..{end}");
        }
    }
}

/// A section's CRC taken from the record's single pass equals the CRC computed over its
/// bytes, for every part of a record at every start, end and length (also across the pass's
/// checkpoints, empty parts and parts outside the pass).
#[test]
fn crc_of_part_from_one_pass() {
    let data = xorshift_bytes(0x9e37_79b9_7f4a_7c15, 1500);
    for end in [data.len(), 1000, 600] {
        let pass = CrcPass::new(&data, end);
        assert_eq!(pass.record(), crc_ccitt(&data[2..end]));
        for a in (0..data.len())
            .step_by(37)
            .chain([2, 257, 258, 259, 513, 514])
        {
            for b in (a..=data.len()).step_by(53).chain([a, a + 1, a + 256]) {
                let Some(part) = data.get(a..b) else { continue };
                assert_eq!(pass.of(part), crc_ccitt_bytewise(part), "{end}: {a}..{b}");
            }
        }
        // A slice of another buffer is computed over its own bytes.
        let other = data.clone();
        assert_eq!(pass.of(&other[10..300]), crc_ccitt(&other[10..300]));
    }
    assert_eq!(crc_shift(0), 1);
    assert_eq!(crc_mulmod(crc_shift(3), crc_shift(5)), crc_shift(8));
}

/// The fast decoder ([`huffman`]: multi-code table, fused difference decoding) agrees with
/// the plain bit-by-bit reference on every lead of the real sample, for every difference
/// order and with and without a count, and on thousands of corrupted copies of the data
/// (bit flips, truncation), values, short flag and error alike; and on random custom tables
/// with switch codes over random data.
#[test]
fn fast_huffman_equals_reference() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/samples/scp-ecg/Example.scp");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let sections = read_sections(&bytes, &mut vec![], &mut vec![]).unwrap();
    let Coding::Huffman(tables) = section2(sections[&2], &mut vec![]).unwrap() else {
        panic!("Example.scp uses Huffman coding")
    };
    let (defs, _) = section3(sections[&3]).unwrap();
    let check = |data: &[u8], count: Option<usize>, tables: &[Table], order: u8| {
        let mut fast = Vec::new();
        let got = huffman(data, count, tables, order, &mut fast).map(|short| (fast, short));
        let want = huffman_reference(data, count, tables, order);
        assert_eq!(got, want, "count {count:?}, order {order}");
    };
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut leads = 0;
    for sid in [5u16, 6] {
        let enc = split_leads(sections[&sid], defs.len(), sid).unwrap();
        for chunk in &enc.leads {
            leads += 1;
            for order in 0..=2 {
                for count in [None, Some(5000), Some(600), Some(17)] {
                    check(chunk, count, &tables, order);
                }
            }
            for _ in 0..100 {
                let mut c = chunk.to_vec();
                for _ in 0..1 + rnd() % 4 {
                    let bit = (rnd() as usize) % (c.len() * 8);
                    c[bit / 8] ^= 0x80 >> (bit % 8);
                }
                c.truncate(c.len() - (rnd() as usize % 3) * (rnd() as usize % c.len()) / 2);
                check(&c, Some(5000), &tables, (rnd() % 3) as u8);
                check(&c, None, &tables, 2);
            }
        }
    }
    assert_eq!(leads, 24);
    // Random complete prefix codes (lengths 1..=14), with extra bits, values and a switch.
    for _ in 0..200 {
        let mut s2 = vec![];
        s2.extend(2u16.to_le_bytes());
        for _t in 0..2 {
            // A complete code: lengths from splitting the code space at random.
            let mut lens = vec![0u8];
            while lens.len() < 12 {
                let i = (rnd() as usize) % lens.len();
                if lens[i] >= 14 {
                    break;
                }
                lens[i] += 1;
                let l = lens[i];
                lens.insert(i + 1, l);
            }
            lens.sort_unstable(); // canonical codes need ascending lengths
            s2.extend((lens.len() as u16).to_le_bytes());
            let mut code = 0u32;
            let mut prev = lens[0];
            for (k, &len) in lens.iter().enumerate() {
                if k > 0 {
                    code = (code + 1) << (len - prev);
                }
                prev = len;
                let extra = [0u8, 0, 0, 3, 8, 16][(rnd() % 6) as usize];
                let mode = u8::from(k != 1);
                let value = if mode == 0 {
                    2 - (rnd() % 2) as i16
                } else {
                    (rnd() % 41) as i16 - 20
                };
                let stored =
                    (0..len).fold(0u32, |acc, i| acc | (((code >> (len - 1 - i)) & 1) << i));
                s2.extend([len, len + extra, mode]);
                s2.extend(value.to_le_bytes());
                s2.extend(stored.to_le_bytes());
            }
        }
        let Coding::Huffman(tables) = section2(&s2, &mut vec![]).unwrap() else {
            panic!()
        };
        let data: Vec<u8> = (0..(rnd() % 300) as usize).map(|_| rnd() as u8).collect();
        for order in 0..=2 {
            check(&data, None, &tables, order);
            check(&data, Some(data.len() * 3), &tables, order);
            check(&data, Some(data.len()), &tables, order);
        }
    }
}

#[test]
fn default_huffman_table() {
    // 0 | 100 | 101 | 1100 | 1111111101 (-8) | 1111111110 + 8 bits (-3) | 1111111111 + 16 bits (1000)
    let bits = "0".to_owned()
        + "100"
        + "101"
        + "1100"
        + "1111111101"
        + "1111111110"
        + "11111101"
        + "1111111111"
        + "0000001111101000";
    let mut bytes2 = vec![0u8; bits.len().div_ceil(8)];
    for (i, c) in bits.chars().enumerate() {
        if c == '1' {
            bytes2[i / 8] |= 0x80 >> (i % 8);
        }
    }
    let (v, short) = huff(&bytes2, Some(7), &[default_table()]).unwrap();
    assert_eq!(v, vec![0, 1, -1, 2, -8, -3, 1000]);
    assert!(!short);
    // Asking for more than the data holds reports a short read.
    let (v, short) = huff(&bytes2, Some(20), &[default_table()]).unwrap();
    assert!(short);
    assert_eq!(&v[..7], &[0, 1, -1, 2, -8, -3, 1000]);
}

#[test]
fn custom_huffman_table_with_switch() {
    // Table 1: "1" = 5, "0" = switch to table 2. Table 2: "1" = -7, "01" = value in 4 bits.
    // Base codes are stored bit-reversed.
    let mut s2 = vec![];
    s2.extend(2u16.to_le_bytes());
    s2.extend(2u16.to_le_bytes());
    for (p, t, m, v, c) in [(1u8, 1u8, 1u8, 5i16, 1u32), (1, 1, 0, 2, 0)] {
        s2.extend([p, t, m]);
        s2.extend(v.to_le_bytes());
        s2.extend(c.to_le_bytes());
    }
    s2.extend(2u16.to_le_bytes());
    for (p, t, m, v, c) in [(1u8, 1u8, 1u8, -7i16, 1u32), (2, 6, 1, 0, 0b10)] {
        s2.extend([p, t, m]);
        s2.extend(v.to_le_bytes());
        s2.extend(c.to_le_bytes());
    }
    let Coding::Huffman(tables) = section2(&s2, &mut vec![]).unwrap() else {
        panic!()
    };
    // 1 | 0 (switch) | 1 | 01 1110 (-2)  -> 5, -7, -2
    let bytes = [0b1010_1111, 0b0000_0000];
    let (v, _) = huff(&bytes, Some(3), &tables).unwrap();
    assert_eq!(v, vec![5, -7, -2]);
}

#[test]
fn long_huffman_codes_use_the_bitwise_search() {
    // "1" = 3 and a 17-bit code 0000000000000000 1 = 9 (stored bit-reversed).
    let mut s2 = vec![];
    s2.extend(1u16.to_le_bytes());
    s2.extend(2u16.to_le_bytes());
    for (p, t, v, c) in [(1u8, 1u8, 3i16, 1u32), (17, 17, 9, 1 << 16)] {
        s2.extend([p, t, 1]);
        s2.extend(v.to_le_bytes());
        s2.extend(c.to_le_bytes());
    }
    let Coding::Huffman(tables) = section2(&s2, &mut vec![]).unwrap() else {
        panic!()
    };
    assert!(tables[0].lut.is_empty());
    // 1 | 00000000 00000000 1 | 1
    let (v, short) = huff(&[0b1000_0000, 0, 0b0110_0000], Some(3), &tables).unwrap();
    assert_eq!((v, short), (vec![3, 9, 3], false));
}

#[test]
fn second_difference_undo() {
    let x: Vec<i16> = vec![10, 12, 15, 15, 11, -4, 30000, -30000];
    let mut d: Vec<i64> = vec![i64::from(x[0]), i64::from(x[1])];
    for n in 2..x.len() {
        d.push(i64::from(x[n]) - 2 * i64::from(x[n - 1]) + i64::from(x[n - 2]));
    }
    let undo = |d: &[i64], order: u8| {
        let mut v: Vec<i16> = d.iter().map(|&v| v as i16).collect();
        undo_differences(&mut v, order);
        v
    };
    assert_eq!(undo(&d, 2), x);
    let d1: Vec<i64> = std::iter::once(i64::from(x[0]))
        .chain(x.windows(2).map(|p| i64::from(p[1]) - i64::from(p[0])))
        .collect();
    assert_eq!(undo(&d1, 1), x);
    assert_eq!(undo(&d, 0), d.iter().map(|&v| v as i16).collect::<Vec<_>>());
}

#[test]
fn bimodal_rebuild() {
    let def = LeadDef {
        start: 1,
        end: 10,
        id: 1,
    };
    // Samples 5..=6 protected, ratio 2: runs 4 (2 values), 2 (2 values), 4 (2 values).
    let (stored, runs) = bimodal_runs(&def, &[(5, 6)], 2);
    assert_eq!(stored, 6);
    assert_eq!(runs, vec![(4, false), (2, true), (4, false)]);
    let out = rebuild_bimodal(&[10, 20, 100, 200, 30, 30], &runs, 2);
    assert_eq!(out.len(), 10);
    assert_eq!(&out[4..6], &[100.0, 200.0]);
    assert_eq!(out[0], 10.0);
    assert_eq!(out[3], 20.0);
    assert!((out[1] - 12.5).abs() < 1e-9 && (out[2] - 17.5).abs() < 1e-9);
}

/// A minimal SCP-ECG record from sections (id, body), with correct CRCs.
fn record(sections: &[(u16, Vec<u8>)], zero_based: bool) -> Vec<u8> {
    let header = |id: u16, body: &[u8]| {
        let mut s = vec![0, 0];
        s.extend(id.to_le_bytes());
        s.extend(((body.len() + HEADER) as u32).to_le_bytes());
        s.extend([20, 20]);
        s.extend(if id == 0 { *b"SCPECG" } else { [0; 6] });
        s.extend(body);
        let crc = crc_ccitt(&s[2..]);
        s[..2].copy_from_slice(&crc.to_le_bytes());
        s
    };
    let sec0_len = HEADER + 10 * (sections.len() + 1);
    let mut pointers = vec![];
    let mut at = 6 + sec0_len;
    let mut rest = vec![];
    let index = |off: usize| (if zero_based { off } else { off + 1 }) as u32;
    pointers.extend(0u16.to_le_bytes());
    pointers.extend((sec0_len as u32).to_le_bytes());
    pointers.extend(index(6).to_le_bytes());
    for (id, body) in sections {
        let s = header(*id, body);
        pointers.extend(id.to_le_bytes());
        pointers.extend((s.len() as u32).to_le_bytes());
        pointers.extend(index(at).to_le_bytes());
        at += s.len();
        rest.extend(s);
    }
    let mut file = vec![0, 0, 0, 0, 0, 0];
    file.extend(header(0, &pointers));
    file.extend(rest);
    let len = file.len() as u32;
    file[2..6].copy_from_slice(&len.to_le_bytes());
    let crc = crc_ccitt(&file[2..]);
    file[..2].copy_from_slice(&crc.to_le_bytes());
    file
}

fn raw_section(avm: u16, interval: u16, order: u8, bimodal: u8, leads: &[Vec<i16>]) -> Vec<u8> {
    let mut s = vec![];
    s.extend(avm.to_le_bytes());
    s.extend(interval.to_le_bytes());
    s.extend([order, bimodal]);
    for l in leads {
        s.extend(((l.len() * 2) as u16).to_le_bytes());
    }
    for l in leads {
        for v in l {
            s.extend(v.to_le_bytes());
        }
    }
    s
}

#[test]
fn reference_beat_added_back_and_bimodal() {
    // Two leads (I, II), samples 1..=12 at 500 Hz; reference beat of 4 samples, fiducial 2;
    // one type-0 QRS at samples 5..=8 with fiducial 6; protected zone 5..=8; rhythm stored at
    // 250 Hz outside it (ratio 2).
    let mut s3 = vec![2u8, 0x01 | 0x04];
    for id in [1u8, 2] {
        s3.extend(1u32.to_le_bytes());
        s3.extend(12u32.to_le_bytes());
        s3.push(id);
    }
    let mut s4 = vec![];
    s4.extend(8u16.to_le_bytes()); // 8 ms = 4 samples
    s4.extend(2u16.to_le_bytes());
    s4.extend(1u16.to_le_bytes());
    s4.extend(0u16.to_le_bytes());
    for v in [5u32, 6, 8, 5, 8] {
        s4.extend(v.to_le_bytes());
    }
    let s5 = raw_section(5000, 2000, 0, 0, &[vec![1, 2, 3, 4], vec![-1, -2, -3, -4]]);
    // Stored: 2 decimated, 4 protected, 2 decimated.
    let s6 = raw_section(
        2500,
        4000,
        0,
        1,
        &[
            vec![0, 0, 10, 10, 10, 10, 0, 0],
            vec![4, 4, 0, 0, 0, 0, 4, 4],
        ],
    );
    let file = record(&[(3, s3), (4, s4), (5, s5), (6, s6)], true);
    let ecg = read(&file).unwrap();
    assert!(
        ecg.warnings
            .iter()
            .any(|w| w.contains("0-based byte offsets")),
        "{:?}",
        ecg.warnings
    );
    let r = ecg.rhythm.unwrap();
    assert_eq!(r.sampling_rate_hz, 500.0);
    let i = &r.lead("I").unwrap().samples_uv;
    assert_eq!(i.len(), 12);
    // Sample 5 gets beat sample 2 - 6 + 5 - 1 = 0 → 10 × 2.5 µV + 1 × 5 µV.
    assert_eq!(&i[4..8], &[30.0, 35.0, 40.0, 45.0]);
    assert_eq!(i[0], 0.0);
    let ii = &r.lead("II").unwrap().samples_uv;
    assert_eq!(&ii[4..8], &[-5.0, -10.0, -15.0, -20.0]);
    assert_eq!(ii[0], 10.0);
    let m = ecg.median.unwrap();
    assert_eq!(m.lead("I").unwrap().samples_uv, vec![5.0, 10.0, 15.0, 20.0]);
}

#[test]
fn section1_tags() {
    let mut s1 = vec![];
    let mut tag = |t: u8, v: &[u8]| {
        s1.push(t);
        s1.extend((v.len() as u16).to_le_bytes());
        s1.extend(v);
    };
    tag(2, b"PID-1\0");
    tag(0, b"Doe\0");
    tag(8, &[2]);
    tag(4, &[40, 0, 1]);
    tag(25, &[0xD2, 0x07, 3, 4]);
    tag(26, &[5, 6, 7]);
    tag(27, &[5, 0]);
    tag(28, &[150, 0]);
    tag(29, &[2]);
    tag(16, b"Hospital\0");
    tag(255, &[]);
    let s3 = vec![1u8, 4, 1, 0, 0, 0, 2, 0, 0, 0, 1];
    let s6 = raw_section(1000, 2000, 1, 0, &[vec![3, 1]]);
    let ecg = read(&record(&[(1, s1), (3, s3), (6, s6)], false)).unwrap();
    assert!(ecg.warnings.is_empty(), "{:?}", ecg.warnings);
    assert_eq!(ecg.patient.id.as_deref(), Some("PID-1"));
    assert_eq!(ecg.patient.family_name.as_deref(), Some("Doe"));
    assert_eq!(ecg.patient.sex, Some(Sex::Female));
    assert_eq!(ecg.patient.age_years, Some(40.0));
    assert_eq!(ecg.acquired.unwrap().to_string(), "2002-03-04 05:06:07");
    assert_eq!(ecg.filters.highpass_hz, Some(0.05));
    assert_eq!(ecg.filters.lowpass_hz, Some(150.0));
    assert_eq!(ecg.filters.notch_hz, Some(50.0));
    assert_eq!(ecg.institution.as_deref(), Some("Hospital"));
    assert_eq!(ecg.rhythm.unwrap().leads[0].samples_uv, vec![3.0, 4.0]);
}

// ---------------------------------------------------------------------------------------------
// Strict reading: defects, limits, 0-based ranges

/// Section 3: `n` leads (ids 1, 2, ...) over samples `start..=end`, all simultaneous.
fn s3(n: u8, start: u32, end: u32) -> Vec<u8> {
    let mut s = vec![n, 0x04];
    for id in 1..=n {
        s.extend(start.to_le_bytes());
        s.extend(end.to_le_bytes());
        s.push(id);
    }
    s
}

/// The record CRC made right again after an edit.
fn fix_record_crc(file: &mut [u8]) {
    let crc = crc_ccitt(&file[2..]);
    file[..2].copy_from_slice(&crc.to_le_bytes());
}

/// A whole two-sample record.
fn small() -> Vec<u8> {
    record(
        &[
            (3, s3(1, 1, 2)),
            (6, raw_section(1000, 2000, 0, 0, &[vec![3, 1]])),
        ],
        false,
    )
}

#[test]
fn small_record_is_whole() {
    let ecg = read(&small()).unwrap();
    assert!(ecg.defects.is_empty(), "{:?}", ecg.defects);
    assert!(ecg.warnings.is_empty(), "{:?}", ecg.warnings);
}

/// A section CRC mismatch (the record CRC right) is a defect in a section that is read, a
/// warning in one that is skipped.
#[test]
fn section_crc_mismatch_is_a_defect_where_the_data_is_used() {
    let mut m = small();
    let last = m.len() - 1; // the last sample byte, in Section 6
    m[last] ^= 1;
    fix_record_crc(&mut m);
    let ecg = read(&m).unwrap();
    assert_eq!(
        ecg.defects,
        ["Section 6 CRC mismatch (its data is damaged)"]
    );

    let mut m = record(
        &[
            (3, s3(1, 1, 2)),
            (6, raw_section(1000, 2000, 0, 0, &[vec![3, 1]])),
            (9, vec![1, 2, 3, 4]),
        ],
        false,
    );
    let last = m.len() - 1; // in Section 9
    m[last] ^= 1;
    fix_record_crc(&mut m);
    let ecg = read(&m).unwrap();
    assert!(ecg.defects.is_empty(), "{:?}", ecg.defects);
    assert!(
        ecg.warnings
            .iter()
            .any(|w| w.contains("Section 9 CRC mismatch")),
        "{:?}",
        ecg.warnings
    );
}

/// Bytes after a record whose length field and CRC agree: a warning. A length field that
/// disagrees with the file and a CRC that does not match: defects.
#[test]
fn record_length_and_crc() {
    let mut file = small();
    file.extend([0u8; 10]);
    let ecg = read(&file).unwrap();
    assert!(ecg.defects.is_empty(), "{:?}", ecg.defects);
    assert!(
        ecg.warnings
            .iter()
            .any(|w| w.starts_with("10 bytes after the")),
        "{:?}",
        ecg.warnings
    );

    let mut file = small();
    let len = file.len() as u32;
    file[2..6].copy_from_slice(&(len + 100).to_le_bytes());
    let ecg = read(&file).unwrap();
    assert_eq!(
        ecg.defects,
        [
            format!(
                "record length field says {} bytes but the file has only {len} (cut short?)",
                len + 100
            ),
            "record CRC mismatch (the record is damaged or cut short)".to_owned()
        ]
    );
}

/// Uncompressed leads holding fewer samples than Section 3 declares (set to 0 after their
/// data) or more: defects, the record read as far as it goes.
#[test]
fn raw_leads_with_other_counts_than_declared_are_defects() {
    let file = record(
        &[
            (3, s3(2, 1, 4)),
            (
                6,
                raw_section(1000, 2000, 0, 0, &[vec![1, 2, 3], vec![1, 2, 3, 4, 5]]),
            ),
        ],
        false,
    );
    let ecg = read(&file).unwrap();
    assert_eq!(
        ecg.defects,
        [
            "Section 6 data ends before the declared sample count (lead 1 (I) 3 of 4); \
             Section 6 holds more samples than declared (lead 2 (II) 5 of 4; the rest ignored)"
        ]
    );
    let r = ecg.rhythm.unwrap();
    assert_eq!(r.leads[0].samples_uv, vec![1.0, 2.0, 3.0]);
    assert_eq!(r.leads[1].samples_uv, vec![1.0, 2.0, 3.0, 4.0]);
}

/// Section 6 Huffman coded with the default table: one byte `100 00000` holds +1 and five 0s.
fn huffman_record(start: u32, end: u32) -> Vec<u8> {
    let mut s6 = vec![];
    s6.extend(1000u16.to_le_bytes());
    s6.extend(2000u16.to_le_bytes());
    s6.extend([0, 0]);
    s6.extend(1u16.to_le_bytes());
    s6.push(0b1000_0000);
    record(
        &[
            (2, DEFAULT_TABLE.to_le_bytes().to_vec()),
            (3, s3(1, start, end)),
            (6, s6),
        ],
        false,
    )
}

#[test]
fn huffman_lead_cut_short_is_a_defect() {
    let ecg = read(&huffman_record(1, 10)).unwrap();
    assert_eq!(
        ecg.defects,
        ["Section 6 data ends before the declared sample count (lead 1 (I) 6 of 10)"]
    );
    // Nothing made up for the missing samples.
    assert_eq!(
        ecg.rhythm.unwrap().leads[0].samples_uv,
        [1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    );
    let ecg = read(&huffman_record(1, 6)).unwrap();
    assert!(ecg.defects.is_empty(), "{:?}", ecg.defects);
}

/// 0-based ranges: the reading the data bears out, with a warning (Huffman: the data ends after
/// exactly `end − start` values; uncompressed: `end − start + 1` values held).
#[test]
fn zero_based_ranges_take_the_reading_the_data_bears_out() {
    let ecg = read(&huffman_record(0, 6)).unwrap();
    assert!(ecg.defects.is_empty(), "{:?}", ecg.defects);
    assert!(
        ecg.warnings.iter().any(|w| w.contains("exclusive end")),
        "{:?}",
        ecg.warnings
    );
    assert_eq!(ecg.rhythm.unwrap().leads[0].samples_uv.len(), 6);

    let file = record(
        &[
            (3, s3(1, 0, 2)),
            (6, raw_section(1000, 2000, 0, 0, &[vec![3, 1, 4]])),
        ],
        false,
    );
    let ecg = read(&file).unwrap();
    assert!(ecg.defects.is_empty(), "{:?}", ecg.defects);
    assert!(
        ecg.warnings.iter().any(|w| w.contains("shifted by one")),
        "{:?}",
        ecg.warnings
    );
    assert_eq!(ecg.rhythm.unwrap().leads[0].samples_uv, vec![3.0, 1.0, 4.0]);
}

/// Declared sample counts beyond the limits are refused before anything is decoded: one lead
/// of 100 M samples; 12 leads of 25 M (each within the limit, 300 M in all); a 5-lead
/// reference beat of 65.5 s at 1 µs per sample (327.7 M in all).
#[test]
fn declared_counts_beyond_the_limits_are_too_large() {
    let too_large = |file: &[u8], want: &str| match read(file) {
        Err(EcgError::TooLarge {
            format: Format::ScpEcg,
            reason,
        }) => assert!(reason.contains(want), "{reason}"),
        Err(e) => panic!("expected TooLarge, got {e}"),
        Ok(ecg) => panic!("expected TooLarge, read with defects {:?}", ecg.defects),
    };
    let s6 = raw_section(1000, 2000, 0, 0, &[vec![1, 2]]);
    too_large(
        &record(&[(3, s3(1, 1, 100_000_000)), (6, s6.clone())], false),
        "a lead of 100000000 samples",
    );
    let twelve = raw_section(1000, 2000, 0, 0, &vec![vec![1]; 12]);
    too_large(
        &record(&[(3, s3(12, 1, 25_000_000)), (6, twelve.clone())], false),
        "300000000 samples in all",
    );
    let mut s4 = vec![];
    s4.extend(65535u16.to_le_bytes());
    s4.extend([1, 0, 0, 0]);
    let s5 = raw_section(1000, 1, 0, 0, &vec![vec![1, 2]; 5]);
    let s6 = raw_section(1000, 2000, 0, 0, &vec![vec![1, 2]; 5]);
    too_large(
        &record(&[(3, s3(5, 1, 2)), (4, s4), (5, s5), (6, s6)], false),
        "327675010 samples in all",
    );
}
