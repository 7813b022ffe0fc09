#!/usr/bin/env bash
# Build dicomkit and show its main jobs on the small synthetic files in testdata/.
# Each finished capability adds its part here.
set -euo pipefail
cd "$(dirname "$0")/.."
# stdin empty and /dev/null a device (scripts/stdin.sh says why).
source scripts/stdin.sh
command -v cargo >/dev/null || { echo "demo: cargo is needed (https://rustup.rs)" >&2; exit 1; }
bash scripts/setup.sh
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

echo
echo "== network: a real Orthanc PACS on 127.0.0.1 (started here with its own config, stopped at the end)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
work=$(mktemp -d)
pacs_port=$(free_port); http_port=$(free_port); self_port=$(free_port)
cat > "$work/orthanc.json" <<JSON
{ "Name": "dicomkit-demo", "StorageDirectory": "$work/db", "IndexDirectory": "$work/db", "Plugins": [],
  "DicomAet": "ORTHANC", "DicomPort": $pacs_port, "HttpPort": $http_port, "RemoteAccessAllowed": false,
  "DicomAlwaysAllowEcho": true, "DicomAlwaysAllowStore": true, "DicomAlwaysAllowFind": true,
  "DicomAlwaysAllowMove": true, "DicomCheckCalledAet": false, "SynchronousCMove": true, "DefaultEncoding": "Utf8",
  "DicomModalities": { "dicomkit": { "AET": "DICOMKIT", "Host": "127.0.0.1", "Port": $self_port } } }
JSON
TCP_NODELAY=1 Orthanc "$work/orthanc.json" >"$work/orthanc.log" 2>&1 &
orthanc_pid=$!
trap 'kill $orthanc_pid 2>/dev/null; wait $orthanc_pid 2>/dev/null; rm -rf "$work"' EXIT
export DICOMKIT_PACS="ORTHANC@127.0.0.1:$pacs_port"
for _ in $(seq 100); do ./target/release/dicomkit echo -q >/dev/null 2>&1 && break; sleep 0.1; done
storescu -q -aec ORTHANC 127.0.0.1 "$pacs_port" testdata/*.dcm
dk echo
dk find --patient-id 'DK*' --allow-wildcards
dk find --patient-id DK0001 --modality CT --max-results 1 --format csv -k StudyID
dk move --patient-id DK0002 --to-dir "$work/incoming" --port "$self_port"
dk dump --fields PatientName,Modality,SOPInstanceUID "$work/incoming"

echo
echo "== store-ecg: a synthetic HL7 aECG converted to a DICOM 12-lead ECG (validated by re-reading), then stored in the PACS"
dk store-ecg --dry-run --out "$work/ecg" testdata/ecg_synthetic.xml
dk store-ecg testdata/ecg_synthetic.xml
dk find --patient-id ECG001 -k StudyDescription

echo
echo "== strict ECG reading: the same aECG with one lead cut short (100 samples fewer) is refused with the"
echo "   reason (exit 6); --accept-partial converts what is there and marks it partial (row, DICOM annotation)"
python3 - testdata/ecg_synthetic.xml "$work/cut.xml" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r'<digits>([^<]*)</digits>', text)
digits = m.group(1).split()
open(sys.argv[2], 'w').write(text[:m.start(1)] + ' '.join(digits[:-100]) + text[m.end(1):])
PY
dk store-ecg --dry-run "$work/cut.xml" || echo "(exit $?)"
dk store-ecg --dry-run --accept-partial --out "$work/partial" "$work/cut.xml"
dk dump --fields SOPInstanceUID "$work/partial"
echo; echo "\$ dcmdump <the written file> | grep PARTIAL"; dcmdump "$work"/partial/*.dcm | grep -m1 "PARTIAL RECORD"

echo
echo "== render: a DICOM image to PNG (its own window), a 16-bit PNG, and the ECG on standard paper (PNG and SVG)"
dk render testdata/ct_latin1.dcm -o "$work/ct.png"
dk render --16bit testdata/ct_latin1.dcm -o "$work/ct16.png"
dk render testdata/ecg_synthetic.xml -o "$work/ecg.png"
dk render --speed 50 testdata/ecg_synthetic.xml -o "$work/ecg.svg"
file "$work/ct.png" "$work/ct16.png" "$work/ecg.png" "$work/ecg.svg" 2>/dev/null || ls -l "$work"/*.png "$work"/*.svg

echo
echo "== generate: the rendered PNG back into a Secondary Capture object for a patient, then dumped"
dk generate "$work/ct.png" -o "$work/sc.dcm" --set PatientName='Demo^Picture' --set PatientID=DK9000 --set StudyDescription='From a PNG'
dk dump --fields SOPClassUID,PatientName,PatientID,Rows,Columns,PhotometricInterpretation "$work/sc.dcm"

echo
echo "== ecg-infer: ECG-FM's 17 label probabilities for the synthetic aECG (a small test model with ECG-FM's"
echo "   signature from tests/models/make_models.py; real weights: tools/ecgfm-to-onnx, see README)"
.venv/bin/python tests/models/make_models.py "$work/models"
dk ecg-infer --clinical-model "$work/models/clinical.onnx" --provenance "$work/provenance.json" testdata/ecg_synthetic.xml --format json

echo
echo "== interpret: a signal-only read-out (heart rate, rhythm, PR/QRS/QT measured from the signal),"
echo "   then ecg-infer's CSV piped into interpret for the read-out of the labels (the test model's are arbitrary)"
dk interpret testdata/ecg_synthetic.xml
echo
echo "\$ dicomkit ecg-infer --clinical-model clinical.onnx testdata/ecg_synthetic.xml --format csv | dicomkit interpret - --format json"
./target/release/dicomkit ecg-infer --clinical-model "$work/models/clinical.onnx" testdata/ecg_synthetic.xml --format csv |
  ./target/release/dicomkit interpret - --format json
