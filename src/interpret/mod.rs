//! The clinical read-out: label probabilities (ECG-FM's 17, from `ecg-infer`) and the heart rate
//! measured from the signal, through a rule table ([`rules`]), into findings grouped the way a
//! cardiologist reads (rhythm, conduction, ischaemia, structural, other), an overall severity, a
//! primary finding and the reasons.
//!
//! The heart-rate-decisive logic:
//! 1. A label is positive when its probability reaches its threshold.
//! 2. Poor data quality, when positive, sets the confidence to `low` and is the first reason.
//! 3. A positive tachycardia (bradycardia) label is checked against the measured rate: a rate
//!    that is not above `tachycardia_above` (not below `bradycardia_below`) contradicts it — it is
//!    reported as contradicted in the rhythm group and the reasons, and counts for nothing. A
//!    measured rate beyond those limits without the label is a finding of its own.
//! 4. When the only findings are rate/rhythm ones (sinus rhythm, tachycardia, bradycardia), the
//!    measured rate's band sets the severity; otherwise the severity is the highest of the
//!    findings' severities and the rate's band.
//! 5. Without label probabilities (signal only), the rate findings, the rate band and an
//!    irregular rhythm (RR irregularity above `irregularity_above`) make the read-out.
//!
//! ```
//! use dicomkit::interpret::{read_out, rules::{RuleTable, Severity}};
//! let rules = RuleTable::default();
//! let mut p = vec![0.0; 17];
//! p[1] = 0.9; // sinus rhythm
//! p[3] = 0.8; // tachycardia
//! let r = read_out(&rules, Some(&p), Some(72.0), None);
//! assert_eq!(r.severity, Severity::Normal);          // the rate decides, and 72 bpm is normal
//! assert!(r.groups[0].contains("contradicted"));      // the tachycardia label is not kept
//! let r = read_out(&rules, Some(&p), Some(160.0), None);
//! assert_eq!((r.primary_finding.as_str(), r.severity), ("Sinus tachycardia", Severity::Critical));
//! ```

pub mod rules;
pub mod table;

use crate::output::{push_f64, push_u64};
use rules::{Group, Role, RuleTable, Severity};

/// One record's read-out.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadOut {
    /// The most important finding, in words.
    pub primary_finding: String,
    /// The overall severity.
    pub severity: Severity,
    /// `normal`, or `low` when poor data quality is positive.
    pub confidence: &'static str,
    /// Findings per group, `; `-separated, in [`Group::ALL`] order.
    pub groups: [String; 5],
    /// Which rule fired for what, `; `-separated, in order (poor data quality first).
    pub reasons: String,
}

/// A finding's words: a label's text with its probability, or text of its own.
#[derive(Debug, Clone)]
enum Text<'r> {
    /// `Atrial fibrillation (0.90)`.
    Label(&'r str, f64),
    /// `Tachycardia (measured HR 160 bpm)`.
    Own(String),
}

impl Text<'_> {
    fn push(&self, buf: &mut String) {
        match self {
            Text::Label(t, p) => {
                buf.push_str(t);
                buf.push_str(" (");
                push_p(buf, *p);
                buf.push(')');
            }
            Text::Own(t) => buf.push_str(t),
        }
    }

    /// The words without the parenthesised number.
    fn name(&self) -> &str {
        match self {
            Text::Label(t, _) => t,
            Text::Own(t) => t.rfind(" (").and_then(|i| t.get(..i)).unwrap_or(t),
        }
    }
}

#[derive(Debug, Clone)]
struct Finding<'r> {
    text: Text<'r>,
    group: Group,
    severity: Severity,
    /// A rate/rhythm finding (sinus, tachycardia, bradycardia, by label or by rate).
    rate: bool,
    /// Poor data quality (never counts for the severity).
    quality: bool,
    /// Rules-table order (for ties).
    order: usize,
}

/// A probability with two decimals (integer arithmetic: float formatting is slow at 10⁶ rows).
#[cfg(test)]
fn fmt_p(p: f64) -> String {
    let mut s = String::with_capacity(8);
    push_p(&mut s, p);
    s
}

/// Append a probability with two decimals (half away from zero on p·100).
fn push_p(buf: &mut String, p: f64) {
    if !(p.is_finite() && p.abs() < 1e12) {
        buf.push_str(&p.to_string());
        return;
    }
    let c = (p * 100.0).round() as i64;
    if c < 0 {
        buf.push('-');
    }
    let c = c.unsigned_abs();
    push_u64(buf, c / 100);
    buf.push('.');
    let r = c % 100;
    if r < 10 {
        buf.push('0');
    }
    push_u64(buf, r);
}

/// A heart rate with at most one decimal.
#[cfg(test)]
fn fmt_bpm(hr: f64) -> String {
    let mut s = String::new();
    push_bpm(&mut s, hr);
    s
}

/// Append a heart rate with at most one decimal (`72`, `100.1`).
fn push_bpm(buf: &mut String, hr: f64) {
    if hr.is_finite() && hr.abs() < 1e12 {
        push_f64(buf, (hr * 10.0).round() / 10.0);
    } else {
        push_f64(buf, hr);
    }
}

/// Appends text pieces and numbers to a string (no format machinery: read-outs are built
/// millions of times in a batch).
struct Line<'a>(&'a mut String);

impl Line<'_> {
    fn s(self, t: &str) -> Self {
        self.0.push_str(t);
        self
    }
    fn bpm(self, hr: f64) -> Self {
        push_bpm(self.0, hr);
        self
    }
    fn num(self, v: f64) -> Self {
        push_f64(self.0, v);
        self
    }
    fn p(self, p: f64) -> Self {
        push_p(self.0, p);
        self
    }
}

/// `column p >= threshold`.
fn fired<'a>(line: Line<'a>, column: &str, p: f64, threshold: f64) -> Line<'a> {
    line.s(column).s(" ").p(p).s(" >= ").p(threshold)
}

/// `; `-separated reasons in one string.
struct Reasons(String);

impl Reasons {
    /// Start the next reason.
    fn next(&mut self) -> Line<'_> {
        if !self.0.is_empty() {
            self.0.push_str("; ");
        }
        Line(&mut self.0)
    }
}

/// Read out one record. `probabilities` holds one value per rule of `rules.labels` (in that
/// order), or is `None` for a signal-only read-out; `hr_bpm` is the measured heart rate;
/// `rr_irregularity` the measured RR irregularity (used in signal-only read-outs).
pub fn read_out(
    rules: &RuleTable,
    probabilities: Option<&[f64]>,
    hr_bpm: Option<f64>,
    rr_irregularity: Option<f64>,
) -> ReadOut {
    let hr = hr_bpm.filter(|h| h.is_finite() && *h > 0.0);
    let mut findings: Vec<Finding<'_>> = Vec::new();
    let mut reasons = Reasons(String::with_capacity(160));
    let mut contradicted: Vec<String> = Vec::new();
    let mut quality = false;
    let (mut tachy_label, mut brady_label, mut sinus) = (false, false, false);

    if let Some(probs) = probabilities {
        for (order, (rule, p)) in rules.labels.iter().zip(probs).enumerate() {
            let p = *p;
            if p.is_nan() || p < rule.threshold {
                continue;
            }
            let fired = |line| fired(line, &rule.column, p, rule.threshold);
            match rule.role {
                Role::Quality => {
                    quality = true;
                    // said first
                    let mut first = String::new();
                    fired(Line(&mut first))
                        .s(": poor data quality, confidence low, read with care");
                    if !reasons.0.is_empty() {
                        first.push_str("; ");
                    }
                    reasons.0.insert_str(0, &first);
                    findings.push(Finding {
                        text: Text::Label(&rule.text, p),
                        group: rule.group,
                        severity: rule.severity,
                        rate: false,
                        quality: true,
                        order,
                    });
                    continue;
                }
                Role::Tachycardia | Role::Bradycardia => {
                    let tachy = rule.role == Role::Tachycardia;
                    let confirmed = hr.map(|h| {
                        if tachy {
                            h > rules.tachycardia_above
                        } else {
                            h < rules.bradycardia_below
                        }
                    });
                    match (confirmed, hr) {
                        (Some(false), Some(h)) => {
                            let (limit, value) = if tachy {
                                ("not above ", rules.tachycardia_above)
                            } else {
                                ("not below ", rules.bradycardia_below)
                            };
                            let mut c = String::new();
                            Line(&mut c)
                                .s(&rule.text)
                                .s(" label contradicted by measured HR ")
                                .bpm(h)
                                .s(" bpm");
                            contradicted.push(c);
                            fired(reasons.next())
                                .s(" but measured HR ")
                                .bpm(h)
                                .s(" bpm is ")
                                .s(limit)
                                .num(value)
                                .s(": ")
                                .s(&rule.text.to_lowercase())
                                .s(" label contradicted, not counted");
                            continue;
                        }
                        (Some(true), Some(h)) => {
                            fired(reasons.next())
                                .s(", confirmed by measured HR ")
                                .bpm(h)
                                .s(" bpm");
                        }
                        _ => {
                            fired(reasons.next())
                                .s(" -> ")
                                .s(rule.group.name())
                                .s(", ")
                                .s(rule.severity.name())
                                .s(" (rate not measured)");
                        }
                    }
                    if tachy {
                        tachy_label = true;
                    } else {
                        brady_label = true;
                    }
                }
                Role::Sinus | Role::Finding => {
                    sinus |= rule.role == Role::Sinus;
                    fired(reasons.next())
                        .s(" -> ")
                        .s(rule.group.name())
                        .s(", ")
                        .s(rule.severity.name());
                }
            }
            findings.push(Finding {
                text: Text::Label(&rule.text, p),
                group: rule.group,
                severity: rule.severity,
                rate: rule.role != Role::Finding,
                quality: false,
                order,
            });
        }
    }

    // The measured rate as a finding of its own when no label says it.
    let order_of = |role: Role| {
        rules
            .labels
            .iter()
            .position(|l| l.role == role)
            .unwrap_or(usize::MAX)
    };
    if let Some(h) = hr {
        let by_rate = if h > rules.tachycardia_above && !tachy_label {
            tachy_label = true;
            Some((
                "Tachycardia",
                " bpm > ",
                rules.tachycardia_above,
                ": tachycardia by rate",
                Role::Tachycardia,
            ))
        } else if h < rules.bradycardia_below && !brady_label {
            brady_label = true;
            Some((
                "Bradycardia",
                " bpm < ",
                rules.bradycardia_below,
                ": bradycardia by rate",
                Role::Bradycardia,
            ))
        } else {
            None
        };
        if let Some((name, op, limit, tail, role)) = by_rate {
            reasons
                .next()
                .s("measured HR ")
                .bpm(h)
                .s(op)
                .num(limit)
                .s(tail);
            let mut text = String::new();
            Line(&mut text)
                .s(name)
                .s(" (measured HR ")
                .bpm(h)
                .s(" bpm)");
            findings.push(Finding {
                text: Text::Own(text),
                group: Group::Rhythm,
                severity: rules.band(h).unwrap_or(Severity::Minor),
                rate: true,
                quality: false,
                order: order_of(role),
            });
        }
    }
    if probabilities.is_none()
        && let Some(irr) = rr_irregularity.filter(|v| v.is_finite())
        && irr > rules.irregularity_above
    {
        reasons
            .next()
            .s(&format!("RR irregularity {irr:.3} > "))
            .num(rules.irregularity_above)
            .s(": irregular rhythm (atrial fibrillation possible)");
        findings.push(Finding {
            text: Text::Own(format!("Irregular rhythm (RR irregularity {irr:.2})")),
            group: Group::Rhythm,
            severity: Severity::Moderate,
            rate: false,
            quality: false,
            order: order_of(Role::Finding),
        });
    }

    // Severity: the rate decides when only rate/rhythm findings are positive.
    let band = hr.and_then(|h| rules.band_of(h).map(|b| (h, *b)));
    let clinical: Vec<&Finding<'_>> = findings.iter().filter(|f| !f.rate && !f.quality).collect();
    let severity = if clinical.is_empty() {
        match band {
            Some((h, b)) => {
                let line = reasons
                    .next()
                    .s("only rate/rhythm findings: measured HR ")
                    .bpm(h)
                    .s(" bpm is in band ");
                b.push_describe(line.0);
                line.s(" -> ").s(b.severity.name());
                b.severity
            }
            None => findings
                .iter()
                .filter(|f| f.rate)
                .map(|f| f.severity)
                .max()
                .unwrap_or(Severity::Normal),
        }
    } else {
        let worst = clinical
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(Severity::Normal);
        match band {
            Some((h, b)) if b.severity > worst => {
                let line = reasons
                    .next()
                    .s("measured HR ")
                    .bpm(h)
                    .s(" bpm is in band ");
                b.push_describe(line.0);
                line.s(" -> ")
                    .s(b.severity.name())
                    .s(", above the findings' ")
                    .s(worst.name());
                b.severity
            }
            _ => worst,
        }
    };

    let primary_finding = primary(
        &clinical,
        &findings,
        sinus,
        tachy_label,
        brady_label,
        probabilities.is_some(),
        rr_irregularity,
        rules,
    );
    let mut groups: [String; 5] = Default::default();
    for (slot, group) in groups.iter_mut().zip(Group::ALL) {
        for f in findings.iter().filter(|f| f.group == group) {
            if !slot.is_empty() {
                slot.push_str("; ");
            }
            f.text.push(slot);
        }
        if group == Group::Rhythm {
            for c in &contradicted {
                if !slot.is_empty() {
                    slot.push_str("; ");
                }
                slot.push_str(c);
            }
        }
    }
    if reasons.0.is_empty() {
        reasons.0.push_str(match probabilities {
            Some(_) => "no label reached its threshold",
            None => "signal only: no rate or rhythm finding",
        });
    }
    ReadOut {
        primary_finding: primary_finding.to_owned(),
        severity,
        confidence: if quality { "low" } else { "normal" },
        groups,
        reasons: reasons.0,
    }
}

/// The wording of a read-out whose signal was wanted but could not be measured.
pub const NOT_MEASURED: &str = "Signal not measurable";

/// Mark a read-out whose signal was wanted but could not be measured (`reason`): its confidence
/// is `low`, the first reason says why, and a read-out that found nothing no longer says "No
/// finding": it never calls such a signal normal with normal confidence.
pub fn mark_not_measured(r: &mut ReadOut, reason: &str) {
    r.confidence = "low";
    let mut first = String::with_capacity(reason.len() + 64);
    first.push_str("signal not measured (");
    first.push_str(reason);
    first.push_str("): confidence low");
    if !r.reasons.is_empty() {
        first.push_str("; ");
    }
    r.reasons.insert_str(0, &first);
    if r.primary_finding == "No finding" {
        NOT_MEASURED.clone_into(&mut r.primary_finding);
    }
}

/// Mark a read-out made from a partial record (read with `accept_partial`): confidence low,
/// and the defects first among the reasons.
pub fn mark_partial(r: &mut ReadOut, defects: &[String]) {
    r.confidence = "low";
    let mut first = String::from("partial record read with --accept-partial (");
    first.push_str(&defects.join("; "));
    first.push_str("): confidence low");
    if !r.reasons.is_empty() {
        first.push_str("; ");
    }
    r.reasons.insert_str(0, &first);
}

#[allow(clippy::too_many_arguments)]
fn primary<'f>(
    clinical: &[&'f Finding<'_>],
    all: &'f [Finding<'_>],
    sinus: bool,
    tachy: bool,
    brady: bool,
    with_labels: bool,
    irregularity: Option<f64>,
    rules: &RuleTable,
) -> &'f str {
    if let Some(worst) = clinical
        .iter()
        .max_by(|a, b| a.severity.cmp(&b.severity).then(b.order.cmp(&a.order)))
    {
        return worst.text.name();
    }
    match (sinus, tachy, brady) {
        (true, true, _) => return "Sinus tachycardia",
        (true, _, true) => return "Sinus bradycardia",
        (false, true, _) => return "Tachycardia",
        (false, _, true) => return "Bradycardia",
        (true, false, false) => return "Sinus rhythm",
        _ => {}
    }
    if let Some(q) = all.first() {
        return q.text.name();
    }
    if with_labels {
        return "No finding";
    }
    match irregularity {
        Some(v) if v.is_finite() && v <= rules.irregularity_above => "Regular rhythm",
        _ => "No finding",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probs(pairs: &[(usize, f64)]) -> Vec<f64> {
        let mut p = vec![0.01; 17];
        for (i, v) in pairs {
            p[*i] = *v;
        }
        p
    }

    #[test]
    fn number_formats() {
        assert_eq!(fmt_p(0.5), "0.50");
        assert_eq!(fmt_p(0.987), "0.99");
        assert_eq!(fmt_p(1.0), "1.00");
        assert_eq!(fmt_p(0.004), "0.00");
        assert_eq!(fmt_bpm(72.0), "72");
        assert_eq!(fmt_bpm(100.14), "100.1");
        assert_eq!(fmt_bpm(59.96), "60");
        assert_eq!(fmt_bpm(f64::NAN), "NaN");
    }

    #[test]
    fn rate_decides_when_only_rhythm() {
        let r = RuleTable::default();
        let p = probs(&[(1, 0.95)]);
        let o = read_out(&r, Some(&p), Some(35.0), None);
        assert_eq!(o.severity, Severity::Critical);
        assert_eq!(o.primary_finding, "Sinus bradycardia");
        assert!(
            o.groups[0].contains("Bradycardia (measured HR 35 bpm)"),
            "{:?}",
            o.groups
        );
        let o = read_out(&r, Some(&p), Some(75.0), None);
        assert_eq!(
            (o.severity, o.primary_finding.as_str()),
            (Severity::Normal, "Sinus rhythm")
        );
        // bradycardia label, 80 bpm: contradicted
        let p = probs(&[(1, 0.9), (8, 0.7)]);
        let o = read_out(&r, Some(&p), Some(80.0), None);
        assert_eq!(o.severity, Severity::Normal);
        assert!(o.groups[0].contains("Bradycardia label contradicted by measured HR 80 bpm"));
        assert!(o.reasons.contains("contradicted"));
    }

    #[test]
    fn findings_and_quality() {
        let r = RuleTable::default();
        let p = probs(&[(0, 0.8), (6, 0.9), (15, 0.6)]);
        let o = read_out(&r, Some(&p), Some(90.0), None);
        assert_eq!(o.confidence, "low");
        assert!(o.reasons.starts_with("poor_data_quality"));
        assert_eq!(o.primary_finding, "Infarction");
        assert_eq!(o.severity, Severity::Severe);
        assert!(o.groups[0].contains("Atrial fibrillation (0.90)"));
        assert!(o.groups[2].contains("Infarction"));
        assert!(o.groups[4].starts_with("Poor data quality"));
        // a rate band above the findings raises the severity
        let p = probs(&[(13, 0.9)]);
        let o = read_out(&r, Some(&p), Some(170.0), None);
        assert_eq!(o.severity, Severity::Critical);
        // nothing positive
        let o = read_out(&r, Some(&probs(&[])), None, None);
        assert_eq!(
            (o.primary_finding.as_str(), o.severity),
            ("No finding", Severity::Normal)
        );
        // signal only
        let o = read_out(&r, None, Some(72.0), Some(0.3));
        assert_eq!(o.primary_finding, "Irregular rhythm");
        assert_eq!(o.severity, Severity::Moderate);
        let o = read_out(&r, None, Some(72.0), Some(0.02));
        assert_eq!(
            (o.primary_finding.as_str(), o.severity),
            ("Regular rhythm", Severity::Normal)
        );
    }
}
