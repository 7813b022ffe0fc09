#!/usr/bin/env bash
# Seed the fuzz corpora with the real samples (../shared/samples, or $DICOMKIT_SAMPLES).
# WFDB inputs are framed as the wfdb target reads them: u16 LE header length, header, signal file.
set -euo pipefail
cd "$(dirname "$0")"
samples="${DICOMKIT_SAMPLES:-../../shared/samples}"
mkdir -p corpus/scp corpus/aecg corpus/wfdb corpus/dicom_ecg
cp "$samples"/scp-ecg/* corpus/scp/
cp "$samples"/hl7-aecg/* corpus/aecg/
cp "$samples"/dicom-ecg/*.dcm corpus/dicom_ecg/
find "$samples"/other-ecg -name '*.hea' | while read -r hea; do
  python3 - "$hea" corpus/wfdb <<'PY'
import os, sys, struct
hea, out = sys.argv[1], sys.argv[2]
header = open(hea, 'rb').read()
lines = [l for l in header.decode('latin-1').splitlines() if l.strip() and not l.startswith('#')]
sig = lines[1].split()[0] if len(lines) > 1 else ''
path = os.path.join(os.path.dirname(hea), sig)
if len(header) < 65536 and os.path.isfile(path):
    body = open(path, 'rb').read()[:200000]
    name = os.path.basename(hea)
    open(os.path.join(out, name + '.bin'), 'wb').write(struct.pack('<H', len(header)) + header + body)
PY
done
echo "corpora: $(ls corpus/scp | wc -l) scp, $(ls corpus/aecg | wc -l) aecg, $(ls corpus/wfdb | wc -l) wfdb, $(ls corpus/dicom_ecg | wc -l) dicom_ecg" >&2
