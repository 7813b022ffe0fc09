#!/usr/bin/env bash
# Benchmark: a 10-field CSV of metadata from N DICOM files (default 2000), dicomkit against
# DCMTK's dcmdump reading the same files in one process (`dcmdump +sd +r +P tag ...`), in the
# same hyperfine run so the ratio holds on a noisy machine. Needs hyperfine and dcmtk
# (scripts/setup.sh installs both) and the shared samples.
#
#   bash bench/dump.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2000}
SAMPLES=${DICOMKIT_SAMPLES:-../shared/samples}
bash scripts/setup.sh >/dev/null
cargo build --locked --release -q
BIN=$PWD/target/release/dicomkit

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Copies of the sample images (those dcmdump reads without error), until there are N files.
mapfile -t src < <(find "$SAMPLES/dicom-images" -maxdepth 1 -name '*.dcm' | sort)
ok=()
for f in "${src[@]}"; do dcmdump -q "$f" >/dev/null 2>&1 && ok+=("$f"); done
i=0
while [ "$i" -lt "$N" ]; do
  f=${ok[$((i % ${#ok[@]}))]}
  d="$work/files/$((i / 500))"
  mkdir -p "$d"
  cp "$f" "$d/$i.dcm"
  i=$((i + 1))
done
bytes=$(du -sb "$work/files" | cut -f1)
echo "files: $N copies of ${#ok[@]} samples, $bytes bytes, in $work/files" >&2

FIELDS=PatientName,PatientID,StudyDate,Modality,SOPInstanceUID,StudyInstanceUID,Rows,Columns,BitsAllocated,PhotometricInterpretation
TAGS=(0010,0010 0010,0020 0008,0020 0008,0060 0008,0018 0020,000d 0028,0010 0028,0011 0028,0100 0028,0004)
P=""
for t in "${TAGS[@]}"; do P="$P +P $t"; done

hyperfine --warmup 2 --runs "${RUNS:-10}" --export-json "$work/result.json" \
  -n dicomkit "$BIN dump --fields $FIELDS --format csv $work/files > $work/out.csv" \
  -n "dicomkit -j1" "$BIN dump -j 1 --fields $FIELDS --format csv $work/files > $work/out1.csv" \
  -n dcmdump "dcmdump -q +sd +r $P $work/files > $work/out.txt" >&2

python3 - "$work/result.json" "$N" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
dk, dk1, dd = r["dicomkit"]["mean"], r["dicomkit -j1"]["mean"], r["dcmdump"]["mean"]
print(f"files={sys.argv[2]} dicomkit_s={dk:.4f} dicomkit_j1_s={dk1:.4f} dcmdump_s={dd:.4f} "
      f"ratio={dd/dk:.2f} ratio_j1={dd/dk1:.2f}  (ratio = dcmdump time / dicomkit time)")
PY
rows=$(($(wc -l < "$work/out.csv") - 1))
[ "$rows" -eq "$N" ] || { echo "bench: expected $N CSV rows, got $rows" >&2; exit 1; }
