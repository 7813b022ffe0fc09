//! The read-out rule table: for each label a probability threshold, a group and a severity, and
//! the heart-rate bands. [`RuleTable::default`] is documented in README.md; a rule file (TOML or
//! JSON) overrides any part of it:
//!
//! ```toml
//! [labels.atrial_fibrillation]        # by column name (or label text)
//! threshold = 0.6
//! severity = "severe"
//! group = "rhythm"
//!
//! [heart_rate]
//! tachycardia_above = 100             # bpm: a tachycardia label needs a rate above this
//! bradycardia_below = 60              # bpm: a bradycardia label needs a rate below this
//! irregularity_above = 0.08           # rr_irregularity above this: irregular rhythm (signal only)
//! bands = [                           # first match wins; each has one of below / upto / above
//!   { below = 40, severity = "critical" },
//!   { upto = 100, severity = "normal" },
//!   { above = 100, severity = "minor" },
//! ]
//! ```
//!
//! ```
//! use dicomkit::interpret::rules::{RuleTable, Severity};
//! let rules = RuleTable::default();
//! assert_eq!(rules.band(35.0), Some(Severity::Critical));
//! assert_eq!(rules.band(72.0), Some(Severity::Normal));
//! let custom = RuleTable::from_text("[labels.infarction]\nthreshold = 0.8\n", "toml").unwrap();
//! assert_eq!(custom.label("infarction").unwrap().threshold, 0.8);
//! ```

use std::fmt;
use std::path::Path;

use serde_json::Value;

use crate::infer::LABELS;

/// How serious a finding is, in increasing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Nothing to act on.
    Normal,
    /// Worth noting.
    Minor,
    /// Needs a clinician's attention.
    Moderate,
    /// Needs prompt attention.
    Severe,
    /// Needs immediate attention.
    Critical,
}

impl Severity {
    /// All, in order.
    pub const ALL: [Severity; 5] = [
        Severity::Normal,
        Severity::Minor,
        Severity::Moderate,
        Severity::Severe,
        Severity::Critical,
    ];

    /// The lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Normal => "normal",
            Severity::Minor => "minor",
            Severity::Moderate => "moderate",
            Severity::Severe => "severe",
            Severity::Critical => "critical",
        }
    }

    /// Parse a name (case-insensitive).
    pub fn parse(s: &str) -> Option<Severity> {
        Self::ALL
            .into_iter()
            .find(|v| v.name().eq_ignore_ascii_case(s.trim()))
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a cardiologist groups findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// Rhythm and rate.
    Rhythm,
    /// Conduction.
    Conduction,
    /// Ischaemia and infarction.
    Ischemia,
    /// Structural (hypertrophy, enlargement, ...).
    Structural,
    /// Everything else (data quality, pacemaker).
    Other,
}

impl Group {
    /// All, in output column order.
    pub const ALL: [Group; 5] = [
        Group::Rhythm,
        Group::Conduction,
        Group::Ischemia,
        Group::Structural,
        Group::Other,
    ];

    /// The lower-case name (also the output column).
    pub fn name(self) -> &'static str {
        match self {
            Group::Rhythm => "rhythm",
            Group::Conduction => "conduction",
            Group::Ischemia => "ischemia",
            Group::Structural => "structural",
            Group::Other => "other",
        }
    }

    /// Parse a name (case-insensitive; `ischaemia` too).
    pub fn parse(s: &str) -> Option<Group> {
        let s = s.trim().to_ascii_lowercase();
        if s == "ischaemia" {
            return Some(Group::Ischemia);
        }
        Self::ALL.into_iter().find(|g| g.name() == s)
    }
}

/// What a label is, for the read-out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// An ordinary finding.
    Finding,
    /// Sinus rhythm: a rate/rhythm label that is normal by itself.
    Sinus,
    /// Tachycardia: checked against the measured rate.
    Tachycardia,
    /// Bradycardia: checked against the measured rate.
    Bradycardia,
    /// Poor data quality: caps confidence, said first.
    Quality,
}

/// One label's rule.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelRule {
    /// The input column (snake_case).
    pub column: String,
    /// The label text shown in the read-out.
    pub text: String,
    /// Positive when the probability is at least this.
    pub threshold: f64,
    /// Its group.
    pub group: Group,
    /// Its severity when positive.
    pub severity: Severity,
    /// Its part in the heart-rate logic.
    pub role: Role,
}

/// How a heart-rate band is bounded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// HR < value.
    Below(f64),
    /// HR ≤ value.
    Upto(f64),
    /// HR > value.
    Above(f64),
}

/// One heart-rate band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Band {
    /// Where it applies.
    pub bound: Bound,
    /// The severity of a rate in it.
    pub severity: Severity,
}

impl Band {
    fn matches(&self, hr: f64) -> bool {
        match self.bound {
            Bound::Below(v) => hr < v,
            Bound::Upto(v) => hr <= v,
            Bound::Above(v) => hr > v,
        }
    }

    /// `< 40`, `≤ 100`, `> 150`.
    pub fn describe(&self) -> String {
        let mut s = String::new();
        self.push_describe(&mut s);
        s
    }

    /// Append [`Band::describe`] to a buffer.
    pub fn push_describe(&self, buf: &mut String) {
        let (op, v) = match self.bound {
            Bound::Below(v) => ("< ", v),
            Bound::Upto(v) => ("<= ", v),
            Bound::Above(v) => ("> ", v),
        };
        buf.push_str(op);
        crate::output::push_f64(buf, v);
    }
}

/// The whole rule table.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleTable {
    /// One rule per label, in ECG-FM's order (extra labels from a rule file after them).
    pub labels: Vec<LabelRule>,
    /// A tachycardia label needs a measured rate above this (bpm).
    pub tachycardia_above: f64,
    /// A bradycardia label needs a measured rate below this (bpm).
    pub bradycardia_below: f64,
    /// An RR irregularity above this is an irregular rhythm (signal-only read-outs).
    pub irregularity_above: f64,
    /// Heart-rate bands, first match wins.
    pub bands: Vec<Band>,
}

/// The default rules of each ECG-FM label: (column, threshold, group, severity, role).
const DEFAULTS: [(&str, f64, Group, Severity, Role); 17] = [
    (
        "poor_data_quality",
        0.5,
        Group::Other,
        Severity::Minor,
        Role::Quality,
    ),
    (
        "sinus_rhythm",
        0.5,
        Group::Rhythm,
        Severity::Normal,
        Role::Sinus,
    ),
    (
        "premature_ventricular_contraction",
        0.5,
        Group::Rhythm,
        Severity::Minor,
        Role::Finding,
    ),
    (
        "tachycardia",
        0.5,
        Group::Rhythm,
        Severity::Moderate,
        Role::Tachycardia,
    ),
    (
        "ventricular_tachycardia",
        0.5,
        Group::Rhythm,
        Severity::Critical,
        Role::Finding,
    ),
    (
        "supraventricular_tachycardia_with_aberrancy",
        0.5,
        Group::Rhythm,
        Severity::Severe,
        Role::Finding,
    ),
    (
        "atrial_fibrillation",
        0.5,
        Group::Rhythm,
        Severity::Moderate,
        Role::Finding,
    ),
    (
        "atrial_flutter",
        0.5,
        Group::Rhythm,
        Severity::Moderate,
        Role::Finding,
    ),
    (
        "bradycardia",
        0.5,
        Group::Rhythm,
        Severity::Moderate,
        Role::Bradycardia,
    ),
    (
        "accessory_pathway_conduction",
        0.5,
        Group::Conduction,
        Severity::Moderate,
        Role::Finding,
    ),
    (
        "atrioventricular_block",
        0.5,
        Group::Conduction,
        Severity::Severe,
        Role::Finding,
    ),
    (
        "1st_degree_atrioventricular_block",
        0.5,
        Group::Conduction,
        Severity::Minor,
        Role::Finding,
    ),
    (
        "bifascicular_block",
        0.5,
        Group::Conduction,
        Severity::Moderate,
        Role::Finding,
    ),
    (
        "right_bundle_branch_block",
        0.5,
        Group::Conduction,
        Severity::Minor,
        Role::Finding,
    ),
    (
        "left_bundle_branch_block",
        0.5,
        Group::Conduction,
        Severity::Moderate,
        Role::Finding,
    ),
    (
        "infarction",
        0.5,
        Group::Ischemia,
        Severity::Severe,
        Role::Finding,
    ),
    (
        "electronic_pacemaker",
        0.5,
        Group::Other,
        Severity::Minor,
        Role::Finding,
    ),
];

impl Default for RuleTable {
    fn default() -> Self {
        let labels = DEFAULTS
            .iter()
            .map(|(column, threshold, group, severity, role)| LabelRule {
                column: (*column).to_owned(),
                text: LABELS
                    .iter()
                    .find(|l| l.name == *column)
                    .map_or_else(|| (*column).to_owned(), |l| l.text.to_owned()),
                threshold: *threshold,
                group: *group,
                severity: *severity,
                role: *role,
            })
            .collect();
        RuleTable {
            labels,
            tachycardia_above: 100.0,
            bradycardia_below: 60.0,
            irregularity_above: crate::ecg::measure::IRREGULARITY_THRESHOLD,
            bands: vec![
                Band {
                    bound: Bound::Below(40.0),
                    severity: Severity::Critical,
                },
                Band {
                    bound: Bound::Below(50.0),
                    severity: Severity::Moderate,
                },
                Band {
                    bound: Bound::Below(60.0),
                    severity: Severity::Minor,
                },
                Band {
                    bound: Bound::Upto(100.0),
                    severity: Severity::Normal,
                },
                Band {
                    bound: Bound::Upto(120.0),
                    severity: Severity::Minor,
                },
                Band {
                    bound: Bound::Upto(150.0),
                    severity: Severity::Moderate,
                },
                Band {
                    bound: Bound::Above(150.0),
                    severity: Severity::Critical,
                },
            ],
        }
    }
}

impl RuleTable {
    /// The severity band of a heart rate (None when no band matches or the rate is not finite).
    pub fn band(&self, hr: f64) -> Option<Severity> {
        if !hr.is_finite() {
            return None;
        }
        self.bands
            .iter()
            .find(|b| b.matches(hr))
            .map(|b| b.severity)
    }

    /// The band itself.
    pub fn band_of(&self, hr: f64) -> Option<&Band> {
        if !hr.is_finite() {
            return None;
        }
        self.bands.iter().find(|b| b.matches(hr))
    }

    /// A label's rule by column name.
    pub fn label(&self, column: &str) -> Option<&LabelRule> {
        self.labels.iter().find(|l| l.column == column)
    }

    /// Read a rule file: TOML, or JSON when it ends in `.json` (or its text starts with `{`).
    pub fn from_file(path: &Path) -> Result<RuleTable, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let kind = if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            || text.trim_start().starts_with('{')
        {
            "json"
        } else {
            "toml"
        };
        Self::from_text(&text, kind).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The defaults overridden by a rule text (`kind` = `toml` or `json`).
    pub fn from_text(text: &str, kind: &str) -> Result<RuleTable, String> {
        let v: Value = if kind == "json" {
            serde_json::from_str(text).map_err(|e| format!("rule file JSON: {e}"))?
        } else {
            let table: toml::Table = text
                .parse()
                .map_err(|e: toml::de::Error| format!("rule file TOML: {}", e.message()))?;
            serde_json::to_value(table).map_err(|e| format!("rule file: {e}"))?
        };
        let mut rules = RuleTable::default();
        let obj = v
            .as_object()
            .ok_or_else(|| "the rule file is not a table/object".to_owned())?;
        for key in obj.keys() {
            if key != "labels" && key != "heart_rate" {
                return Err(format!(
                    "unknown section {key:?} (expected labels, heart_rate)"
                ));
            }
        }
        if let Some(labels) = obj.get("labels") {
            let labels = labels
                .as_object()
                .ok_or_else(|| "\"labels\" must be a table of label rules".to_owned())?;
            for (name, rule) in labels {
                rules.apply_label(name, rule)?;
            }
        }
        if let Some(hr) = obj.get("heart_rate") {
            rules.apply_heart_rate(hr)?;
        }
        Ok(rules)
    }

    fn apply_label(&mut self, name: &str, rule: &Value) -> Result<(), String> {
        let fields = rule
            .as_object()
            .ok_or_else(|| format!("labels.{name} must be a table"))?;
        let column = crate::infer::spec::column_name(name);
        let index = match self
            .labels
            .iter()
            .position(|l| l.column == column || l.text == name)
        {
            Some(i) => i,
            None => {
                // a label of another model: a plain finding (group and severity required)
                if !(fields.contains_key("group") && fields.contains_key("severity")) {
                    return Err(format!(
                        "labels.{name} is not one of ECG-FM's labels: give its group and severity \
                         (known: {})",
                        self.labels
                            .iter()
                            .map(|l| l.column.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                self.labels.push(LabelRule {
                    column: column.clone(),
                    text: name.to_owned(),
                    threshold: 0.5,
                    group: Group::Other,
                    severity: Severity::Minor,
                    role: Role::Finding,
                });
                self.labels.len() - 1
            }
        };
        let Some(target) = self.labels.get_mut(index) else {
            return Err(format!("labels.{name}: internal index error"));
        };
        for (key, value) in fields {
            match key.as_str() {
                "threshold" => {
                    let t = value
                        .as_f64()
                        .filter(|t| (0.0..=1.0).contains(t))
                        .ok_or_else(|| {
                            format!(
                                "labels.{name}.threshold must be a number from 0 to 1, not {value}"
                            )
                        })?;
                    target.threshold = t;
                }
                "group" => {
                    target.group = value.as_str().and_then(Group::parse).ok_or_else(|| {
                        format!(
                            "labels.{name}.group must be rhythm, conduction, ischemia, structural or other, not {value}"
                        )
                    })?;
                }
                "severity" => {
                    target.severity =
                        value.as_str().and_then(Severity::parse).ok_or_else(|| {
                            format!(
                                "labels.{name}.severity must be normal, minor, moderate, severe or critical, not {value}"
                            )
                        })?;
                }
                "text" => {
                    target.text = value
                        .as_str()
                        .filter(|s| !s.trim().is_empty())
                        .ok_or_else(|| format!("labels.{name}.text must be a non-empty string"))?
                        .to_owned();
                }
                other => {
                    return Err(format!(
                        "labels.{name}: unknown key {other:?} (expected threshold, group, severity, text)"
                    ));
                }
            }
        }
        Ok(())
    }

    fn apply_heart_rate(&mut self, v: &Value) -> Result<(), String> {
        let fields = v
            .as_object()
            .ok_or_else(|| "heart_rate must be a table".to_owned())?;
        let bpm = |key: &str, value: &Value| {
            value
                .as_f64()
                .filter(|x| x.is_finite() && *x >= 0.0 && *x <= 1000.0)
                .ok_or_else(|| format!("heart_rate.{key} must be a number of bpm, not {value}"))
        };
        for (key, value) in fields {
            match key.as_str() {
                "tachycardia_above" => self.tachycardia_above = bpm(key, value)?,
                "bradycardia_below" => self.bradycardia_below = bpm(key, value)?,
                "irregularity_above" => {
                    self.irregularity_above = value
                        .as_f64()
                        .filter(|x| x.is_finite() && *x >= 0.0)
                        .ok_or_else(|| {
                            format!("heart_rate.irregularity_above must be a number, not {value}")
                        })?;
                }
                "bands" => {
                    let list = value
                        .as_array()
                        .filter(|l| !l.is_empty())
                        .ok_or_else(|| "heart_rate.bands must be a non-empty list".to_owned())?;
                    let mut bands = Vec::with_capacity(list.len());
                    for (i, b) in list.iter().enumerate() {
                        let o = b
                            .as_object()
                            .ok_or_else(|| format!("heart_rate.bands[{i}] must be a table"))?;
                        let severity = o
                            .get("severity")
                            .and_then(Value::as_str)
                            .and_then(Severity::parse)
                            .ok_or_else(|| {
                                format!(
                                    "heart_rate.bands[{i}] needs a severity (normal ... critical)"
                                )
                            })?;
                        let bounds: Vec<Bound> = [("below", 0), ("upto", 1), ("above", 2)]
                            .iter()
                            .filter_map(|(k, kind)| {
                                o.get(*k)
                                    .map(|v| (kind, v.as_f64().filter(|x| x.is_finite())))
                            })
                            .map(|(kind, v)| {
                                v.map(|v| match kind {
                                    0 => Bound::Below(v),
                                    1 => Bound::Upto(v),
                                    _ => Bound::Above(v),
                                })
                            })
                            .collect::<Option<Vec<_>>>()
                            .ok_or_else(|| {
                                format!("heart_rate.bands[{i}]: bounds must be numbers")
                            })?;
                        let [bound] = bounds.as_slice() else {
                            return Err(format!(
                                "heart_rate.bands[{i}] needs exactly one of below, upto, above"
                            ));
                        };
                        if let Some(k) = o
                            .keys()
                            .find(|k| !["below", "upto", "above", "severity"].contains(&k.as_str()))
                        {
                            return Err(format!("heart_rate.bands[{i}]: unknown key {k:?}"));
                        }
                        bands.push(Band {
                            bound: *bound,
                            severity,
                        });
                    }
                    self.bands = bands;
                }
                other => {
                    return Err(format!(
                        "heart_rate: unknown key {other:?} (expected tachycardia_above, bradycardia_below, \
                         irregularity_above, bands)"
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_bands_edges() {
        let r = RuleTable::default();
        for (hr, sev) in [
            (0.0, Severity::Critical),
            (39.9, Severity::Critical),
            (40.0, Severity::Moderate),
            (49.9, Severity::Moderate),
            (50.0, Severity::Minor),
            (59.9, Severity::Minor),
            (60.0, Severity::Normal),
            (100.0, Severity::Normal),
            (100.1, Severity::Minor),
            (120.0, Severity::Minor),
            (120.1, Severity::Moderate),
            (150.0, Severity::Moderate),
            (150.1, Severity::Critical),
        ] {
            assert_eq!(r.band(hr), Some(sev), "{hr}");
        }
        assert_eq!(r.band(f64::NAN), None);
    }

    #[test]
    fn overrides_and_errors() {
        let r = RuleTable::from_text(
            r#"{"labels": {"Atrial fibrillation": {"threshold": 0.7, "severity": "severe"},
                           "lvh": {"group": "structural", "severity": "moderate", "text": "LVH"}},
                "heart_rate": {"tachycardia_above": 110, "bands": [{"upto": 200, "severity": "normal"}]}}"#,
            "json",
        )
        .unwrap();
        let af = r.label("atrial_fibrillation").unwrap();
        assert_eq!((af.threshold, af.severity), (0.7, Severity::Severe));
        assert_eq!(r.label("lvh").unwrap().group, Group::Structural);
        assert_eq!(r.tachycardia_above, 110.0);
        assert_eq!(r.band(250.0), None);
        for bad in [
            "[labels.nope]\nthreshold = 0.5\n",
            "[labels.infarction]\nthreshold = 2\n",
            "[labels.infarction]\nseverity = \"bad\"\n",
            "[labels.infarction]\ncolour = 1\n",
            "[heart_rate]\nbands = [{below = 40, above = 10, severity = \"minor\"}]\n",
            "[heart_rate]\nbands = []\n",
            "[other]\n",
            "not toml =",
        ] {
            assert!(RuleTable::from_text(bad, "toml").is_err(), "{bad}");
        }
    }
}
