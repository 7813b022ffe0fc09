//! Unit tests of the HL7 aECG reader.

use super::*;

const DOC: &str = r#"<?xml version="1.0"?>
<h:AnnotatedECG xmlns:h="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <h:effectiveTime><h:center value="20240102030405.5"/></h:effectiveTime>
 <h:componentOf><h:timepointEvent><h:componentOf><h:subjectAssignment><h:subject><h:trialSubject>
  <h:id extension="P1"/>
  <h:subjectDemographicPerson><h:name><h:family>Doe</h:family><h:given>Jane</h:given></h:name>
   <h:administrativeGenderCode code="F"/><h:birthTime value="19700101"/></h:subjectDemographicPerson>
 </h:trialSubject></h:subject></h:subjectAssignment></h:componentOf></h:timepointEvent></h:componentOf>
 <h:component><h:series><h:code code="RHYTHM"/>
  <h:component><h:sequenceSet>
   <h:component><h:sequence><h:code code="TIME_RELATIVE"/><h:value xsi:type="GLIST_PQ"><h:head value="0" unit="ms"/><h:increment value="4" unit="ms"/></h:value></h:sequence></h:component>
   <h:component><h:sequence><h:code code="MDC_ECG_LEAD_AVR"/><h:value xsi:type="SLIST_PQ"><h:origin value="1" unit="mV"/><h:scale value="0.005" unit="mV"/>
    <h:digits>
      1 -2
      3<!-- c -->4
    </h:digits></h:value></h:sequence></h:component>
  </h:sequenceSet></h:component>
  <h:subjectOf><h:annotationSet><h:component><h:annotation><h:code code="MDC_ECG_HEART_RATE"/><h:value value="1.25" unit="Hz"/></h:annotation></h:component>
  <h:component><h:annotation><h:code code="MDC_ECG_INTERPRETATION_STATEMENT"/><h:value xsi:type="ST">Sinus &amp; rhythm</h:value></h:annotation></h:component>
  </h:annotationSet></h:subjectOf>
 </h:series></h:component>
</h:AnnotatedECG>"#;

#[test]
fn prefixed_document() {
    let ecg = read(DOC.as_bytes()).expect("reads");
    let r = ecg.rhythm.as_ref().expect("rhythm");
    assert_eq!(r.sampling_rate_hz, 250.0);
    assert_eq!(r.leads[0].name, "aVR");
    // "3<!-- c -->4" is two tokens split by a comment: 3 then 4 joined as "34".
    assert_eq!(r.leads[0].samples_uv, vec![1005.0, 990.0, 1170.0]);
    assert_eq!(ecg.patient.family_name.as_deref(), Some("Doe"));
    assert_eq!(ecg.patient.given_name.as_deref(), Some("Jane"));
    assert_eq!(ecg.patient.sex, Some(Sex::Female));
    assert_eq!(ecg.measurements.heart_rate_bpm, Some(75.0));
    assert_eq!(ecg.statements, vec!["Sinus & rhythm".to_owned()]);
    assert_eq!(
        ecg.acquired.map(|t| t.to_string()).as_deref(),
        Some("2024-01-02 03:04:05.500")
    );
}

/// A lead code with stray text before `MDC_ECG_LEAD_` still names the lead by its usual
/// name ("aVR", not the code's "AVR"), so that the DICOM writer's round trip matches.
#[test]
fn prefixed_lead_code_gets_the_usual_name() {
    let doc = DOC.replace("\"MDC_ECG_LEAD_AVR\"", "\"   0MDC_ECG_LEAD_AVR\"");
    assert_ne!(doc, DOC);
    let ecg = read(doc.as_bytes()).expect("reads");
    assert_eq!(ecg.rhythm.as_ref().expect("rhythm").leads[0].name, "aVR");
    let unknown = DOC.replace("\"MDC_ECG_LEAD_AVR\"", "\"X_ECG_LEAD_Weird\"");
    let ecg = read(unknown.as_bytes()).expect("reads");
    assert_eq!(ecg.rhythm.as_ref().expect("rhythm").leads[0].name, "Weird");
}

/// Digits are counted as they come, before they are stored: a lead or a document beyond
/// the limits is refused. "1 -2 3<!-- c -->4" is three samples (3 and 4 join).
#[test]
fn digits_beyond_the_limits_are_refused() {
    let within = |per_lead, total| read_within(DOC.as_bytes(), Limits { per_lead, total });
    assert_eq!(
        within(3, 3)
            .expect("3 samples fit")
            .rhythm
            .expect("rhythm")
            .leads[0]
            .samples_uv
            .len(),
        3
    );
    for (per_lead, total) in [(2, 100), (100, 2)] {
        match within(per_lead, total) {
            Err(EcgError::TooLarge { format, reason }) => {
                assert_eq!(format, Format::Aecg);
                assert!(
                    reason.contains("a lead of 3 or 3 samples in all"),
                    "{reason}"
                );
            }
            Err(e) => panic!("expected TooLarge, got {e}"),
            Ok(_) => panic!("read beyond the limits ({per_lead}, {total})"),
        }
    }
    // Every sequence counts towards the total: two leads of 3.
    let two = DOC.replace(
        "</h:sequenceSet>",
        r#"<h:component><h:sequence><h:code code="MDC_ECG_LEAD_I"/><h:value xsi:type="SLIST_PQ"><h:digits>7 8 9</h:digits></h:value></h:sequence></h:component></h:sequenceSet>"#,
    );
    assert!(
        read_within(
            two.as_bytes(),
            Limits {
                per_lead: 3,
                total: 6
            }
        )
        .is_ok()
    );
    assert!(matches!(
        read_within(
            two.as_bytes(),
            Limits {
                per_lead: 3,
                total: 5
            }
        ),
        Err(EcgError::TooLarge { .. })
    ));
}

/// Digits broken into many texts (a comment after each) are counted and stored piece by
/// piece, within the limits, amortised.
#[test]
fn digits_in_many_pieces() {
    let pieces = "5 <!-- -->".repeat(10_000);
    let doc = DOC.replace("1 -2\n      3<!-- c -->4", &pieces);
    assert_ne!(doc, DOC);
    let ecg = read_within(
        doc.as_bytes(),
        Limits {
            per_lead: 10_000,
            total: 10_000,
        },
    )
    .expect("reads");
    let lead = &ecg.rhythm.expect("rhythm").leads[0].samples_uv;
    assert_eq!(lead.len(), 10_000);
    assert!(lead.iter().all(|&v| v == 1025.0));
    assert!(matches!(
        read_within(
            doc.as_bytes(),
            Limits {
                per_lead: 9_999,
                total: 10_000,
            },
        ),
        Err(EcgError::TooLarge { .. })
    ));
}

#[test]
fn count_tokens_counts_runs() {
    assert_eq!(count_tokens(""), 0);
    assert_eq!(count_tokens("  ,, "), 0);
    assert_eq!(count_tokens("1"), 1);
    assert_eq!(count_tokens(" 1,2  -3\n4 "), 4);
}

#[test]
fn errors_are_errors() {
    assert!(read(b"").is_err());
    assert!(read(b"<x/>").is_err());
    assert!(read(&DOC.as_bytes()[..DOC.len() / 2]).is_err());
    assert!(read(&[0xff, 0xfe, 0x00]).is_err());
}
