#!/usr/bin/env bash
# QRS detection speed (issue 7 goal: >= 1,000 ten-second 12-lead ECGs/s on 2 cores), and the whole
# signal measurement interpret does per ECG (detection, median beat, intervals), on real samples
# decoded once into memory and repeated to N records (default 2,000), all cores:
#   bash bench/qrs.sh [N]
# Files: Example.scp/.xml/.dcm (500 Hz), waveform_ecg.dcm (1000 Hz), synthetic_muse.dcm, CPSC 2018
# A0001/A0002 (500 Hz), each cut to its first 10 s. Samples from $DICOMKIT_SAMPLES or ../shared/samples.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/stdin.sh
N=${1:-2000}
S=${DICOMKIT_SAMPLES:-../shared/samples}
cargo build --locked --release -q --example qrs_bench
"${CARGO_TARGET_DIR:-target}/release/examples/qrs_bench" --records "$N" --seconds 10 \
  "$S/scp-ecg/Example.scp" "$S/hl7-aecg/Example.xml" "$S/dicom-ecg/Example.dcm" \
  "$S/dicom-ecg/waveform_ecg.dcm" "$S/dicom-ecg/synthetic_muse.dcm" \
  "$S/other-ecg/cpsc2018/A0001.hea" "$S/other-ecg/cpsc2018/A0002.hea"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
