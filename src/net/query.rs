//! Study queries as users ask them: a patient's studies, filtered by modalities, age and count,
//! plus any extra keys. Builds the C-FIND identifier, then applies the same filters to the
//! answers (PACS such as dcmqrscp ignore ModalitiesInStudy) and sorts newest first.

use chrono::{Months, NaiveDate};
use dicom_core::{Tag, VR};

use super::assoc::Association;
use super::services::{Identifier, find, text_of};
use super::{NetError, STUDY_ROOT_FIND};
use crate::dicom::value::Value;
use crate::dicom::{DicomFile, Element};

/// Query/retrieve level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Level {
    /// PATIENT.
    Patient,
    /// STUDY (the default).
    #[default]
    Study,
    /// SERIES.
    Series,
    /// IMAGE.
    Image,
}

impl Level {
    /// The Query/Retrieve Level value.
    pub fn code(self) -> &'static str {
        match self {
            Level::Patient => "PATIENT",
            Level::Study => "STUDY",
            Level::Series => "SERIES",
            Level::Image => "IMAGE",
        }
    }

    /// The return keys asked for by default at this level, as (tag, VR, column name).
    pub fn default_keys(self) -> &'static [(Tag, VR, &'static str)] {
        const PATIENT: &[(Tag, VR, &str)] = &[
            (Tag(0x0010, 0x0010), VR::PN, "patient_name"),
            (Tag(0x0010, 0x0020), VR::LO, "patient_id"),
            (Tag(0x0010, 0x0030), VR::DA, "birth_date"),
            (Tag(0x0010, 0x0040), VR::CS, "sex"),
            (Tag(0x0020, 0x1200), VR::IS, "number_of_studies"),
        ];
        const STUDY: &[(Tag, VR, &str)] = &[
            (Tag(0x0010, 0x0010), VR::PN, "patient_name"),
            (Tag(0x0010, 0x0020), VR::LO, "patient_id"),
            (Tag(0x0010, 0x0030), VR::DA, "birth_date"),
            (Tag(0x0020, 0x000D), VR::UI, "study_instance_uid"),
            (Tag(0x0008, 0x1030), VR::LO, "study_description"),
            (Tag(0x0008, 0x0061), VR::CS, "modalities_in_study"),
            (Tag(0x0008, 0x0020), VR::DA, "study_date"),
            (Tag(0x0008, 0x0030), VR::TM, "study_time"),
            (Tag(0x0008, 0x0050), VR::SH, "accession_number"),
            (Tag(0x0008, 0x0090), VR::PN, "referring_physician_name"),
            (Tag(0x0008, 0x0080), VR::LO, "institution_name"),
            (Tag(0x0020, 0x1208), VR::IS, "number_of_instances"),
        ];
        const SERIES: &[(Tag, VR, &str)] = &[
            (Tag(0x0020, 0x000D), VR::UI, "study_instance_uid"),
            (Tag(0x0020, 0x000E), VR::UI, "series_instance_uid"),
            (Tag(0x0008, 0x0060), VR::CS, "modality"),
            (Tag(0x0020, 0x0011), VR::IS, "series_number"),
            (Tag(0x0008, 0x103E), VR::LO, "series_description"),
            (Tag(0x0020, 0x1209), VR::IS, "number_of_instances"),
        ];
        const IMAGE: &[(Tag, VR, &str)] = &[
            (Tag(0x0020, 0x000D), VR::UI, "study_instance_uid"),
            (Tag(0x0020, 0x000E), VR::UI, "series_instance_uid"),
            (Tag(0x0008, 0x0018), VR::UI, "sop_instance_uid"),
            (Tag(0x0008, 0x0016), VR::UI, "sop_class_uid"),
            (Tag(0x0020, 0x0013), VR::IS, "instance_number"),
        ];
        match self {
            Level::Patient => PATIENT,
            Level::Study => STUDY,
            Level::Series => SERIES,
            Level::Image => IMAGE,
        }
    }
}

const PATIENT_ID: Tag = Tag(0x0010, 0x0020);
const STUDY_DATE: Tag = Tag(0x0008, 0x0020);
const STUDY_TIME: Tag = Tag(0x0008, 0x0030);
const STUDY_UID: Tag = Tag(0x0020, 0x000D);
const MODALITIES_IN_STUDY: Tag = Tag(0x0008, 0x0061);
const MODALITY: Tag = Tag(0x0008, 0x0060);

/// A query for a patient's studies (or another level).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StudyQuery {
    /// Query/retrieve level.
    pub level: Level,
    /// Patient ID to match (validated by the caller).
    pub patient_id: Option<String>,
    /// Only studies with any of these modalities (upper case).
    pub modalities: Vec<String>,
    /// Only studies at most this many years old (StudyDate from today minus N years).
    pub max_years_old: Option<u32>,
    /// At most this many studies, the most recent.
    pub max_results: Option<usize>,
    /// Extra matching or return keys (`-k KEY=VALUE`).
    pub extra: Vec<(Tag, VR, String)>,
}

impl StudyQuery {
    /// The earliest StudyDate (YYYYMMDD) allowed by `max_years_old`, counted from `today`.
    pub fn earliest_date(&self, today: NaiveDate) -> Option<String> {
        let years = self.max_years_old?;
        let start = today
            .checked_sub_months(Months::new(years.saturating_mul(12)))
            .unwrap_or(NaiveDate::MIN);
        Some(start.format("%Y%m%d").to_string())
    }

    /// The C-FIND identifier.
    pub fn identifier(&self, today: NaiveDate) -> Identifier {
        let mut id = Identifier::default();
        id.set(Tag(0x0008, 0x0052), VR::CS, self.level.code());
        for (tag, vr, _) in self.level.default_keys() {
            id.set(*tag, *vr, "");
        }
        if let Some(p) = &self.patient_id {
            id.set(PATIENT_ID, VR::LO, p.clone());
        }
        if self.level == Level::Study {
            // Needed to sort and filter the answers, whatever the columns.
            id.set(STUDY_TIME, VR::TM, "");
            if !self.modalities.is_empty() {
                id.set(MODALITIES_IN_STUDY, VR::CS, self.modalities.join("\\"));
            }
            if let Some(start) = self.earliest_date(today) {
                id.set(STUDY_DATE, VR::DA, format!("{start}-"));
            }
        }
        for (tag, vr, value) in &self.extra {
            id.set(*tag, *vr, value.clone());
        }
        id
    }

    /// Run the query on an open association (Study Root), apply the filters, sort newest
    /// first, keep `max_results`. For answers without ModalitiesInStudy (dcmqrscp does not
    /// support it) the study's series are queried on the same association to learn them.
    pub fn run(
        &self,
        assoc: &mut Association,
        today: NaiveDate,
    ) -> Result<Vec<DicomFile>, NetError> {
        let mut matches = find(assoc, STUDY_ROOT_FIND, &self.identifier(today))?;
        if self.level != Level::Study {
            return Ok(matches);
        }
        if !self.modalities.is_empty() {
            let mut kept = Vec::with_capacity(matches.len());
            for m in matches {
                let mut m = m;
                let mut listed = modalities_of(&m);
                if listed.is_empty() {
                    listed = self.series_modalities(assoc, &text_of(&m, STUDY_UID))?;
                    // Fill in what the PACS did not return, so the answer says what matched.
                    m.elements.retain(|e| e.tag != MODALITIES_IN_STUDY);
                    m.elements.push(Element {
                        tag: MODALITIES_IN_STUDY,
                        vr: VR::CS,
                        length: None,
                        value: Value::Strings(listed.clone()),
                    });
                }
                if listed
                    .iter()
                    .any(|x| self.modalities.iter().any(|w| w.eq_ignore_ascii_case(x)))
                {
                    kept.push(m);
                }
            }
            matches = kept;
        }
        if let Some(start) = self.earliest_date(today) {
            matches.retain(|m| {
                let d = text_of(m, STUDY_DATE);
                !d.is_empty() && d >= start
            });
        }
        matches
            .sort_by_key(|m| std::cmp::Reverse((text_of(m, STUDY_DATE), text_of(m, STUDY_TIME))));
        if let Some(n) = self.max_results {
            matches.truncate(n);
        }
        Ok(matches)
    }

    fn series_modalities(
        &self,
        assoc: &mut Association,
        study_uid: &str,
    ) -> Result<Vec<String>, NetError> {
        if study_uid.is_empty() {
            return Ok(Vec::new());
        }
        let mut id = Identifier::default();
        id.set(Tag(0x0008, 0x0052), VR::CS, "SERIES");
        id.set(STUDY_UID, VR::UI, study_uid);
        id.set(MODALITY, VR::CS, "");
        id.set(Tag(0x0020, 0x000E), VR::UI, "");
        let series = find(assoc, STUDY_ROOT_FIND, &id)?;
        let mut out: Vec<String> = series
            .iter()
            .map(|s| text_of(s, MODALITY))
            .filter(|m| !m.is_empty())
            .collect();
        out.sort();
        out.dedup();
        Ok(out)
    }
}

/// The values of ModalitiesInStudy of an answer.
pub fn modalities_of(m: &DicomFile) -> Vec<String> {
    text_of(m, MODALITIES_IN_STUDY)
        .split('\\')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Check a Patient ID like the gateway: 1–64 characters, no `*`, `?` or `\` unless wildcards
/// are allowed, no control characters.
pub fn validate_patient_id(id: &str, allow_wildcards: bool) -> Result<(), String> {
    if id.is_empty() || id.chars().count() > 64 {
        return Err(format!("patient ID {id:?} must be 1-64 characters"));
    }
    if id.chars().any(char::is_control) {
        return Err(format!("patient ID {id:?} has control characters"));
    }
    if !allow_wildcards && id.contains(['*', '?', '\\']) {
        return Err(format!(
            "patient ID {id:?} has a wildcard or backslash (*, ?, \\); use --allow-wildcards to query with wildcards"
        ));
    }
    Ok(())
}

/// `SOPInstanceUID` → `sop_instance_uid`: a column name from a keyword.
pub fn snake_case(keyword: &str) -> String {
    let chars: Vec<char> = keyword.chars().collect();
    let mut out = String::with_capacity(keyword.len() + 4);
    for (i, c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars.get(i - 1).copied().unwrap_or(' ');
            let next = chars.get(i + 1).copied().unwrap_or(' ');
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next.is_ascii_lowercase())
            {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_has_filters_and_return_keys() {
        let q = StudyQuery {
            patient_id: Some("PAT001".into()),
            modalities: vec!["CT".into(), "MR".into()],
            max_years_old: Some(5),
            ..StudyQuery::default()
        };
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap_or_default();
        let id = q.identifier(today);
        assert_eq!(id.get(Tag(0x0008, 0x0052)), Some("STUDY"));
        assert_eq!(id.get(MODALITIES_IN_STUDY), Some("CT\\MR"));
        assert_eq!(id.get(STUDY_DATE), Some("20211122-"));
        assert_eq!(id.get(PATIENT_ID), Some("PAT001"));
        assert_eq!(id.get(Tag(0x0020, 0x1208)), Some(""));
        let feb29 = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap_or_default();
        let q1 = StudyQuery {
            max_years_old: Some(1),
            ..StudyQuery::default()
        };
        assert_eq!(q1.earliest_date(feb29).as_deref(), Some("20230228"));
    }

    #[test]
    fn patient_ids_are_checked() {
        assert!(validate_patient_id("PAT001", false).is_ok());
        assert!(validate_patient_id("", false).is_err());
        assert!(validate_patient_id(&"x".repeat(65), false).is_err());
        assert!(validate_patient_id("PAT*", false).is_err());
        assert!(validate_patient_id("PAT*", true).is_ok());
        assert!(validate_patient_id("A\\B", false).is_err());
    }

    #[test]
    fn column_names() {
        assert_eq!(snake_case("SOPInstanceUID"), "sop_instance_uid");
        assert_eq!(snake_case("ModalitiesInStudy"), "modalities_in_study");
        assert_eq!(snake_case("PatientName"), "patient_name");
        assert_eq!(
            snake_case("NumberOfStudyRelatedInstances"),
            "number_of_study_related_instances"
        );
    }
}
