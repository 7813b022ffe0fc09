//! Lead names across formats: canonical names (`I`, `II`, `III`, `aVR`, `aVL`, `aVF`, `V1`–`V6`,
//! ...), SCP-ECG lead identifiers (EN 1064 table 14), MDC codes (ISO/IEEE 11073-10101, as HL7
//! aECG `MDC_ECG_LEAD_*` and DICOM CID 3001 `2:n`), and the legacy DICOM SCPECG codes
//! (`5.6.3-9-n`, which are the SCP-ECG identifiers).

/// One known lead: canonical name, SCP-ECG id, MDC reference id (the `MDC_ECG_LEAD_` suffix),
/// MDC code (the `n` of DICOM `2:n`), DICOM code meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeadInfo {
    /// Canonical name.
    pub name: &'static str,
    /// SCP-ECG lead identifier (also the `n` of the DICOM SCPECG code `5.6.3-9-n`).
    pub scp_id: u8,
    /// `MDC_ECG_LEAD_<this>`.
    pub mdc_ref: &'static str,
    /// MDC numeric code within partition 2 (DICOM `2:n`, coding scheme MDC).
    pub mdc_code: u16,
    /// DICOM code meaning (CID 3001).
    pub meaning: &'static str,
}

/// The leads dicomkit knows by name (the 12 standard leads first, in standard order).
pub const LEADS: &[LeadInfo] = &[
    LeadInfo {
        name: "I",
        scp_id: 1,
        mdc_ref: "I",
        mdc_code: 1,
        meaning: "Lead I",
    },
    LeadInfo {
        name: "II",
        scp_id: 2,
        mdc_ref: "II",
        mdc_code: 2,
        meaning: "Lead II",
    },
    LeadInfo {
        name: "III",
        scp_id: 61,
        mdc_ref: "III",
        mdc_code: 61,
        meaning: "Lead III",
    },
    LeadInfo {
        name: "aVR",
        scp_id: 62,
        mdc_ref: "AVR",
        mdc_code: 62,
        meaning: "Lead aVR",
    },
    LeadInfo {
        name: "aVL",
        scp_id: 63,
        mdc_ref: "AVL",
        mdc_code: 63,
        meaning: "Lead aVL",
    },
    LeadInfo {
        name: "aVF",
        scp_id: 64,
        mdc_ref: "AVF",
        mdc_code: 64,
        meaning: "Lead aVF",
    },
    LeadInfo {
        name: "V1",
        scp_id: 3,
        mdc_ref: "V1",
        mdc_code: 3,
        meaning: "Lead V1",
    },
    LeadInfo {
        name: "V2",
        scp_id: 4,
        mdc_ref: "V2",
        mdc_code: 4,
        meaning: "Lead V2",
    },
    LeadInfo {
        name: "V3",
        scp_id: 5,
        mdc_ref: "V3",
        mdc_code: 5,
        meaning: "Lead V3",
    },
    LeadInfo {
        name: "V4",
        scp_id: 6,
        mdc_ref: "V4",
        mdc_code: 6,
        meaning: "Lead V4",
    },
    LeadInfo {
        name: "V5",
        scp_id: 7,
        mdc_ref: "V5",
        mdc_code: 7,
        meaning: "Lead V5",
    },
    LeadInfo {
        name: "V6",
        scp_id: 8,
        mdc_ref: "V6",
        mdc_code: 8,
        meaning: "Lead V6",
    },
    LeadInfo {
        name: "V7",
        scp_id: 9,
        mdc_ref: "V7",
        mdc_code: 9,
        meaning: "Lead V7",
    },
    LeadInfo {
        name: "V2R",
        scp_id: 10,
        mdc_ref: "V2R",
        mdc_code: 10,
        meaning: "Lead V2R",
    },
    LeadInfo {
        name: "V3R",
        scp_id: 11,
        mdc_ref: "V3R",
        mdc_code: 11,
        meaning: "Lead V3R",
    },
    LeadInfo {
        name: "V4R",
        scp_id: 12,
        mdc_ref: "V4R",
        mdc_code: 12,
        meaning: "Lead V4R",
    },
    LeadInfo {
        name: "V5R",
        scp_id: 13,
        mdc_ref: "V5R",
        mdc_code: 13,
        meaning: "Lead V5R",
    },
    LeadInfo {
        name: "V6R",
        scp_id: 14,
        mdc_ref: "V6R",
        mdc_code: 14,
        meaning: "Lead V6R",
    },
    LeadInfo {
        name: "V7R",
        scp_id: 15,
        mdc_ref: "V7R",
        mdc_code: 15,
        meaning: "Lead V7R",
    },
    LeadInfo {
        name: "X",
        scp_id: 16,
        mdc_ref: "X",
        mdc_code: 16,
        meaning: "Lead X",
    },
    LeadInfo {
        name: "Y",
        scp_id: 17,
        mdc_ref: "Y",
        mdc_code: 17,
        meaning: "Lead Y",
    },
    LeadInfo {
        name: "Z",
        scp_id: 18,
        mdc_ref: "Z",
        mdc_code: 18,
        meaning: "Lead Z",
    },
    LeadInfo {
        name: "V8",
        scp_id: 66,
        mdc_ref: "V8",
        mdc_code: 66,
        meaning: "Lead V8",
    },
    LeadInfo {
        name: "V9",
        scp_id: 67,
        mdc_ref: "V9",
        mdc_code: 67,
        meaning: "Lead V9",
    },
];

/// The 12 standard leads in standard order.
pub const STANDARD_12: [&str; 12] = [
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
];

/// Known lead by canonical name (case-insensitive, `AVR` = `aVR`).
pub fn by_name(name: &str) -> Option<&'static LeadInfo> {
    LEADS
        .iter()
        .find(|l| l.name.eq_ignore_ascii_case(name.trim()))
}

/// Known lead by SCP-ECG identifier.
pub fn by_scp_id(id: u8) -> Option<&'static LeadInfo> {
    LEADS.iter().find(|l| l.scp_id == id)
}

/// Known lead by MDC reference id: `MDC_ECG_LEAD_AVR`, `AVR`, or DICOM `2:62` / MDC numeric code.
pub fn by_mdc(code: &str) -> Option<&'static LeadInfo> {
    let c = code.trim();
    let c = c.strip_prefix("MDC_ECG_LEAD_").unwrap_or(c);
    if let Some(n) = c.strip_prefix("2:").and_then(|n| n.parse::<u16>().ok()) {
        return LEADS.iter().find(|l| l.mdc_code == n);
    }
    LEADS.iter().find(|l| l.mdc_ref.eq_ignore_ascii_case(c))
}

/// Known lead by DICOM SCPECG code `5.6.3-9-n`.
pub fn by_scpecg_code(code: &str) -> Option<&'static LeadInfo> {
    let n = code.trim().strip_prefix("5.6.3-9-")?.parse::<u8>().ok()?;
    by_scp_id(n)
}

/// The canonical name of a lead label as found in a file: a known name, MDC code or SCPECG code;
/// otherwise the label itself, trimmed.
pub fn canonical_name(label: &str) -> String {
    by_name(label)
        .or_else(|| by_mdc(label))
        .or_else(|| by_scpecg_code(label))
        .map_or_else(|| label.trim().to_owned(), |l| l.name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_names() {
        assert_eq!(canonical_name("MDC_ECG_LEAD_AVR"), "aVR");
        assert_eq!(canonical_name("2:61"), "III");
        assert_eq!(canonical_name("5.6.3-9-64"), "aVF");
        assert_eq!(canonical_name("avl"), "aVL");
        assert_eq!(canonical_name(" Pleth "), "Pleth");
        assert_eq!(by_scp_id(3).map(|l| l.name), Some("V1"));
        assert_eq!(
            STANDARD_12.iter().filter(|n| by_name(n).is_some()).count(),
            12
        );
    }
}
