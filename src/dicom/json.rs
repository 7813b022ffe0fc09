//! The DICOM JSON Model (PS3.18 Annex F) of a data set.
//!
//! Each element is `"GGGGEEEE": {"vr": "..", "Value": [...]}`: strings for text VRs, numbers
//! for DS, IS and binary numbers, `{"Alphabetic": .., "Ideographic": .., "Phonetic": ..}` for
//! PN, `"GGGGEEEE"` strings for AT, nested objects for sequence items. Empty values have no
//! `Value`; an empty value inside a multi-valued element is `null`. Group length elements
//! (gggg,0000) are left out, as the model requires. Bulk data (OB, OW, OF, OD, OL, OV, UN and
//! encapsulated pixel data) is left out unless `inline_binary` is set, then it is
//! `InlineBinary` (base64 of the value as stored; for encapsulated pixel data, the item stream).

use base64::Engine;
use serde_json::{Map, Value as Json, json};

use super::value::Value;
use super::{Element, MAX_DEPTH, VR};

/// Options for the JSON model.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonOptions {
    /// Write bulk data as `InlineBinary` (base64) instead of leaving it out.
    pub inline_binary: bool,
}

/// The JSON model object of a list of elements.
///
/// Sequences are written down to [`MAX_DEPTH`] levels, the most the reader lets through;
/// the items of a sequence deeper than that (only in a tree built by hand) are left out, so
/// that neither this walk nor the JSON serialiser recurses deeper whatever the tree.
pub fn dataset(elements: &[&Element], options: JsonOptions) -> Json {
    dataset_at(elements, options, 0)
}

/// [`dataset`] of a data set inside `level` sequences.
fn dataset_at(elements: &[&Element], options: JsonOptions, level: usize) -> Json {
    let mut map = Map::with_capacity(elements.len());
    for e in elements {
        if e.tag.element() == 0x0000 {
            continue;
        }
        let key = format!("{:04X}{:04X}", e.tag.group(), e.tag.element());
        map.insert(key, element_at(e, options, level));
    }
    Json::Object(map)
}

/// The JSON model of one element: `{"vr": .., "Value": [..]}` (or `InlineBinary`); nested
/// sequences as in [`dataset`].
pub fn element(e: &Element, options: JsonOptions) -> Json {
    element_at(e, options, 0)
}

/// [`element`] of an element inside `level` sequences.
fn element_at(e: &Element, options: JsonOptions, level: usize) -> Json {
    let mut obj = Map::new();
    let vr = match &e.value {
        Value::Sequence(_) => "SQ".to_owned(),
        _ => e.vr.to_string().to_owned(),
    };
    obj.insert("vr".into(), Json::String(vr));
    match &e.value {
        Value::Strings(v) => {
            let values: Vec<Json> = match e.vr {
                VR::PN => v.iter().map(|s| person_name(s)).collect(),
                VR::DS | VR::IS => v.iter().map(|s| number_from_text(s)).collect(),
                _ => v
                    .iter()
                    .map(|s| {
                        if s.is_empty() {
                            Json::Null
                        } else {
                            Json::String(s.clone())
                        }
                    })
                    .collect(),
            };
            if !(values.is_empty()
                || values.len() == 1 && values.first().is_some_and(Json::is_null))
            {
                obj.insert("Value".into(), Json::Array(values));
            }
        }
        Value::Ints(v) => put_values(&mut obj, v.iter().map(|x| json!(x))),
        Value::UInts(v) => put_values(&mut obj, v.iter().map(|x| json!(x))),
        Value::F32(v) => put_values(&mut obj, v.iter().map(|x| float(f64::from(*x)))),
        Value::F64(v) => put_values(&mut obj, v.iter().map(|x| float(*x))),
        Value::Tags(v) => put_values(
            &mut obj,
            v.iter()
                .map(|t| json!(format!("{:04X}{:04X}", t.group(), t.element()))),
        ),
        Value::Sequence(items) if level < MAX_DEPTH => {
            let items: Vec<Json> = items
                .iter()
                .map(|i| dataset_at(&i.elements.iter().collect::<Vec<_>>(), options, level + 1))
                .collect();
            if !items.is_empty() {
                obj.insert("Value".into(), Json::Array(items));
            }
        }
        Value::Bytes(b) => {
            if options.inline_binary && !b.is_empty() {
                obj.insert(
                    "InlineBinary".into(),
                    json!(base64::engine::general_purpose::STANDARD.encode(b)),
                );
            }
        }
        Value::Fragments {
            offset_table,
            fragments,
        } => {
            if options.inline_binary {
                let stream = item_stream(offset_table, fragments);
                obj.insert(
                    "InlineBinary".into(),
                    json!(base64::engine::general_purpose::STANDARD.encode(stream)),
                );
            }
        }
        Value::Sequence(_) | Value::NotRead => {}
    }
    Json::Object(obj)
}

fn put_values(obj: &mut Map<String, Json>, values: impl Iterator<Item = Json>) {
    let values: Vec<Json> = values.collect();
    if !values.is_empty() {
        obj.insert("Value".into(), Json::Array(values));
    }
}

fn float(x: f64) -> Json {
    serde_json::Number::from_f64(x).map_or(Json::Null, Json::Number)
}

/// DS/IS text as a JSON number; text that is not a number stays a string (never lost).
fn number_from_text(s: &str) -> Json {
    let t = s.trim();
    if t.is_empty() {
        return Json::Null;
    }
    if let Ok(i) = t.parse::<i64>() {
        return json!(i);
    }
    match t.parse::<f64>() {
        Ok(f) if f.is_finite() => float(f),
        _ => Json::String(s.to_owned()),
    }
}

/// A person name split into its component groups.
fn person_name(s: &str) -> Json {
    if s.is_empty() {
        return Json::Null;
    }
    let mut obj = Map::new();
    for (key, part) in ["Alphabetic", "Ideographic", "Phonetic"]
        .iter()
        .zip(s.split('='))
    {
        if !part.is_empty() {
            obj.insert((*key).into(), Json::String(part.to_owned()));
        }
    }
    Json::Object(obj)
}

/// Encapsulated pixel data as its item stream: offset table item, fragment items, delimiter.
fn item_stream(offset_table: &[u32], fragments: &[Vec<u8>]) -> Vec<u8> {
    fn item(out: &mut Vec<u8>, bytes: &[u8]) {
        out.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0]);
        out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(bytes);
    }
    let mut out = Vec::new();
    let table: Vec<u8> = offset_table.iter().flat_map(|o| o.to_le_bytes()).collect();
    item(&mut out, &table);
    for f in fragments {
        item(&mut out, f);
    }
    out.extend_from_slice(&[0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dicom::Tag;

    fn el(tag: Tag, vr: VR, value: Value) -> Element {
        Element {
            tag,
            vr,
            length: Some(0),
            value,
        }
    }

    #[test]
    fn model_follows_ps3_18() {
        let pn = el(
            Tag(0x0010, 0x0010),
            VR::PN,
            Value::Strings(vec!["Yamada^Tarou=山田^太郎".into()]),
        );
        let ds = el(
            Tag(0x0028, 0x0030),
            VR::DS,
            Value::Strings(vec!["0.5".into(), "1".into()]),
        );
        let cs = el(
            Tag(0x0008, 0x0008),
            VR::CS,
            Value::Strings(vec!["ORIGINAL".into(), "".into(), "AXIAL".into()]),
        );
        let empty = el(Tag(0x0010, 0x0020), VR::LO, Value::Strings(vec!["".into()]));
        let gl = el(Tag(0x0008, 0x0000), VR::UL, Value::UInts(vec![4]));
        let ob = el(Tag(0x7FE0, 0x0010), VR::OB, Value::Bytes(vec![1, 2, 3]));
        let all = [&pn, &ds, &cs, &empty, &gl, &ob];
        let j = dataset(&all, JsonOptions::default());
        assert_eq!(j["00100010"]["Value"][0]["Ideographic"], "山田^太郎");
        assert_eq!(j["00280030"]["Value"], json!([0.5, 1]));
        assert_eq!(j["00080008"]["Value"], json!(["ORIGINAL", null, "AXIAL"]));
        assert_eq!(j["00100020"], json!({"vr": "LO"}));
        assert!(j.get("00080000").is_none());
        assert_eq!(j["7FE00010"], json!({"vr": "OB"}));
        let j = dataset(
            &all,
            JsonOptions {
                inline_binary: true,
            },
        );
        assert_eq!(j["7FE00010"]["InlineBinary"], "AQID");
    }

    #[test]
    fn sequences_stop_at_the_depth_limit() {
        // A tree deeper than the reader lets through, built by hand.
        let mut e = el(
            Tag(0x0010, 0x0020),
            VR::LO,
            Value::Strings(vec!["in".into()]),
        );
        for _ in 0..MAX_DEPTH + 5 {
            e = el(
                Tag(0x0040, 0xA730),
                VR::SQ,
                Value::Sequence(vec![crate::dicom::Item {
                    length: None,
                    elements: vec![e],
                }]),
            );
        }
        let j = dataset(&[&e], JsonOptions::default());
        let mut levels = 0;
        let mut at = &j;
        while let Some(inner) = at.get("0040A730") {
            levels += 1;
            match inner.get("Value") {
                Some(v) => at = &v[0],
                None => break,
            }
        }
        assert_eq!(levels, MAX_DEPTH + 1);
        assert_eq!(at, &json!({"0040A730": {"vr": "SQ"}}));
    }

    #[test]
    fn bad_numbers_stay_text() {
        assert_eq!(number_from_text("1A"), json!("1A"));
        assert_eq!(number_from_text(" 12 "), json!(12));
    }
}
