//! `dicomkit find`: a patient's studies on a PACS (Study Root C-FIND), filtered.
//!
//! ```text
//! Usage: dicomkit find --pacs AE@HOST:PORT --patient-id ID [--modality CT,MR] [--max-years-old N]
//!                      [--max-results N] [-k KEY[=VALUE]]... [--level patient|study|series|image]
//!
//! One association, one C-FIND at STUDY level (plus, for PACS that do not return
//! ModalitiesInStudy, one SERIES-level C-FIND per study to learn its modalities, on the same
//! association). Filters are sent to the PACS and applied again to the answers. Studies come
//! newest first (StudyDate + StudyTime).
//! Columns (study level): patient_name, patient_id, birth_date, study_instance_uid,
//! study_description, modalities_in_study, study_date, study_time, accession_number,
//! referring_physician_name, institution_name, number_of_instances; then one column per extra
//! -k key (its keyword in snake_case).
//! Exit 3 when nothing matched.
//! ```

use dicom_core::{Tag, VR};

use super::{Context, NetArgs};
use crate::dicom::DicomFile;
use crate::dicom::dictionary;
use crate::error::{Error, Result};
use crate::net::STUDY_ROOT_FIND;
use crate::net::query::{Level, StudyQuery, snake_case, validate_patient_id};
use crate::net::services::text_of;
use crate::output::Value;

/// The query options shared by `find` and `move`.
#[derive(Debug, Clone, clap::Args)]
pub struct QueryArgs {
    /// Patient ID to match (1-64 characters; no wildcards unless --allow-wildcards).
    #[arg(long, value_name = "ID")]
    pub patient_id: Option<String>,

    /// Only studies with any of these modalities (comma-separated, repeatable).
    #[arg(long, short = 'm', value_name = "MOD", value_delimiter = ',')]
    pub modality: Vec<String>,

    /// Only studies at most N years old (StudyDate range from today minus N years).
    #[arg(long, value_name = "N")]
    pub max_years_old: Option<u32>,

    /// Only the N most recent studies.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_results: Option<u64>,

    /// Extra matching (KEY=VALUE) or return (KEY) key, as findscu -k: a keyword or (gggg,eeee); repeatable.
    #[arg(short = 'k', long = "query", value_name = "KEY[=VALUE]")]
    pub keys: Vec<String>,

    /// Query/retrieve level.
    #[arg(long, value_enum, default_value_t = LevelArg::Study)]
    pub level: LevelArg,

    /// Allow *, ? and \ in the patient ID (wildcard matching).
    #[arg(long)]
    pub allow_wildcards: bool,
}

/// `--level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LevelArg {
    /// PATIENT.
    Patient,
    /// STUDY.
    Study,
    /// SERIES.
    Series,
    /// IMAGE.
    Image,
}

impl QueryArgs {
    /// The validated query (exit 2 on bad input, before any connection).
    pub fn query(&self) -> Result<StudyQuery> {
        let level = match self.level {
            LevelArg::Patient => Level::Patient,
            LevelArg::Study => Level::Study,
            LevelArg::Series => Level::Series,
            LevelArg::Image => Level::Image,
        };
        match &self.patient_id {
            Some(id) => validate_patient_id(id, self.allow_wildcards)
                .map_err(|m| Error::Usage(format!("--patient-id: {m}")))?,
            None if matches!(level, Level::Patient | Level::Study) => {
                return Err(Error::Usage(
                    "--patient-id is required at patient and study level".into(),
                ));
            }
            None => {}
        }
        let mut modalities = Vec::new();
        for m in &self.modality {
            let m = m.trim().to_ascii_uppercase();
            if m.is_empty()
                || m.len() > 16
                || !m.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(Error::Usage(format!(
                    "--modality: {m:?} is not a modality code (e.g. CT, MR, ECG)"
                )));
            }
            if !modalities.contains(&m) {
                modalities.push(m);
            }
        }
        if level != Level::Study
            && (!modalities.is_empty()
                || self.max_years_old.is_some()
                || self.max_results.is_some())
        {
            return Err(Error::Usage(
                "--modality, --max-years-old and --max-results apply at study level only".into(),
            ));
        }
        let mut extra = Vec::new();
        for k in &self.keys {
            extra.push(parse_key(k)?);
        }
        Ok(StudyQuery {
            level,
            patient_id: self.patient_id.clone(),
            modalities,
            max_years_old: self.max_years_old,
            max_results: self
                .max_results
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            extra,
        })
    }
}

/// Parse `-k KEY[=VALUE]`: the tag and its VR from the dictionary (LO for unknown tags).
fn parse_key(text: &str) -> Result<(Tag, VR, String)> {
    let (key, value) = text.split_once('=').unwrap_or((text, ""));
    let (g, e) = dictionary::parse_tag_spec(key.trim())
        .map_err(|m| Error::Usage(format!("-k {text:?}: {m}")))?;
    let vr = dictionary::entry_of(g, e)
        .and_then(|d| d.vr.get(..2))
        .and_then(|v| <[u8; 2]>::try_from(v.as_bytes()).ok())
        .and_then(VR::from_binary)
        .unwrap_or(VR::LO);
    if vr == VR::SQ {
        return Err(Error::Usage(format!(
            "-k {text:?}: sequence keys are not supported"
        )));
    }
    Ok((Tag(g, e), vr, value.to_owned()))
}

/// The column name of a key.
pub fn column_of(tag: Tag) -> String {
    dictionary::keyword_of(tag.group(), tag.element())
        .filter(|k| !matches!(*k, "GenericGroupLength" | "PrivateCreator"))
        .map_or_else(
            || format!("{:04x}_{:04x}", tag.group(), tag.element()),
            snake_case,
        )
}

/// The columns of a query's result: the level's default keys, then extra keys.
pub fn columns(query: &StudyQuery) -> Vec<(Tag, String)> {
    let mut cols: Vec<(Tag, String)> = query
        .level
        .default_keys()
        .iter()
        .map(|(t, _, name)| (*t, (*name).to_owned()))
        .collect();
    for (tag, _, _) in &query.extra {
        if !cols.iter().any(|(t, _)| t == tag) && *tag != Tag(0x0008, 0x0052) {
            cols.push((*tag, column_of(*tag)));
        }
    }
    cols
}

/// One result row: text values, IS counts as numbers.
pub fn row(m: &DicomFile, cols: &[(Tag, String)]) -> Vec<Value> {
    cols.iter()
        .map(|(tag, name)| {
            let text = text_of(m, *tag);
            if name.starts_with("number_of_")
                && let Ok(n) = text.trim().parse::<i64>()
            {
                return Value::Int(n);
            }
            if text.is_empty() {
                Value::Null
            } else {
                Value::Text(text)
            }
        })
        .collect()
}

/// Arguments of `dicomkit find`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_long_help = "Examples:
  dicomkit find --pacs ORTHANC@127.0.0.1:4242 --patient-id PAT001
  dicomkit find --pacs ORTHANC@pacs:4242 --patient-id PAT001 --modality CT,MR --max-years-old 5 --max-results 3
  dicomkit find --pacs ORTHANC@pacs:4242 --patient-id PAT001 -k StudyID -k AccessionNumber=ACC0102 --format csv
  dicomkit find --pacs ORTHANC@pacs:4242 --level series -k StudyInstanceUID=1.2.3 -k SeriesDescription")]
pub struct Args {
    /// Network options.
    #[command(flatten)]
    pub net: NetArgs,
    /// Query options.
    #[command(flatten)]
    pub query: QueryArgs,
}

/// Run `dicomkit find`.
pub fn run(ctx: &Context, args: &Args) -> Result<()> {
    let query = args.query.query()?;
    let node = args.net.node()?;
    let mut assoc = args.net.open(&node, &[STUDY_ROOT_FIND])?;
    let today = chrono::Local::now().date_naive();
    let matches = query.run(&mut assoc, today)?;
    if let Err(e) = assoc.release() {
        ctx.warn(&e.to_string());
    }
    if matches.is_empty() {
        return Err(Error::NoMatch(format!(
            "{node}: no {} matched",
            query.level.code().to_ascii_lowercase()
        )));
    }
    let cols = columns(&query);
    let names: Vec<&str> = cols.iter().map(|(_, n)| n.as_str()).collect();
    let mut out = ctx.rows(&names);
    for m in &matches {
        out.row(&row(m, &cols))?;
    }
    out.finish()?;
    Ok(())
}
