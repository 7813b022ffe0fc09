#!/usr/bin/env bash
# Build dicomkit and show its main jobs on the small synthetic files in testdata/.
# Each finished capability adds its part here.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "demo: cargo is needed (https://rustup.rs)" >&2; exit 1; }
cargo build --locked --release -q
dk() { echo; echo "\$ dicomkit $*"; ./target/release/dicomkit "$@"; }

echo "== dump: every element of one file, like dcmdump (Latin-1 text decoded)"
dk dump testdata/ct_latin1.dcm
echo
echo "== dump: chosen fields, one row per file, from a zip (ISO 2022 Japanese and UTF-8 names)"
dk dump --fields PatientName,PatientID,Modality,Rows,Columns testdata/study.zip
echo
echo "== dump: the same as CSV for scripts, and as JSON Lines"
dk dump --fields PatientName,StudyDate,Rows --format csv testdata
dk dump --fields PatientID,Rows --format ndjson testdata/study.zip
echo
echo "== dump: DICOM JSON model (PS3.18 Annex F) of one file"
dk dump --format json testdata/mr_iso2022_jp.dcm | head -n 20
echo
echo "== dump: look up data dictionary keywords for --fields"
dk dump --dictionary '^window'
