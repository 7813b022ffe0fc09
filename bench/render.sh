#!/usr/bin/env bash
# Benchmark: N synthetic 512x512 16-bit CT slices (default 100) → 8-bit PNG with the file's
# window, dicomkit render against DCMTK's dcmj2pnm (one process per file, +Wi 1 = the first
# window, as dicomkit's default) and dicom-rs's dicom-toimage (bulk mode, --8bit), in the same
# hyperfine run. Then the same slices as JPEG 2000 lossless: DCMTK has no JPEG 2000 codec, and
# dicom-toimage's default build has none either ("Unsupported TransferSyntax"), so the J2K
# row compares against dicom-toimage only when it can decode them, else records dicomkit alone.
# Inputs are made by bench/render_inputs.py (pydicom + numpy in .venv, openjpeg's opj_compress
# from the Debian package libopenjp2-tools).
#
#   RUNS=5 bash bench/render.sh [N]
# dicom-toimage: $DICOM_TOIMAGE, else on PATH, else /tmp/research5/tools/bin/dicom-toimage, else
# `cargo install --locked dicom-toimage --root target/bench-tools` (about 15 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100}
RUNS=${RUNS:-5}
cargo build --locked --release -q
BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/dicomkit
TOIMAGE=${DICOM_TOIMAGE:-$(command -v dicom-toimage || true)}
[ -n "$TOIMAGE" ] || { [ -x /tmp/research5/tools/bin/dicom-toimage ] && TOIMAGE=/tmp/research5/tools/bin/dicom-toimage; } || true
if [ -z "$TOIMAGE" ]; then
  cargo install --locked dicom-toimage --root target/bench-tools >&2
  TOIMAGE=$PWD/target/bench-tools/bin/dicom-toimage
fi
command -v opj_compress >/dev/null || { echo "bench: opj_compress missing (apt-get install libopenjp2-tools)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
.venv/bin/python bench/render_inputs.py "$work" "$N"
echo "inputs: $N x 512x512 16-bit CT, raw $(du -sb "$work/raw" | cut -f1) bytes, j2k $(du -sb "$work/j2k" | cut -f1) bytes" >&2
mkdir -p "$work/o1" "$work/o2" "$work/o3" "$work/o4" "$work/o5" "$work/o6"

hyperfine --warmup 1 --runs "$RUNS" --export-json "$work/raw.json" \
  -n dicomkit "$BIN render -q $work/raw -o $work/o1/ --format csv > /dev/null" \
  -n "dicomkit 1 thread" "RAYON_NUM_THREADS=1 $BIN render -q $work/raw -o $work/o2/ --format csv > /dev/null" \
  -n dcmj2pnm "for f in $work/raw/*.dcm; do dcmj2pnm +on +Wi 1 \$f $work/o3/\$(basename \$f .dcm).png; done" \
  -n dicom-toimage "$TOIMAGE --8bit -d $work/o4 $work/raw/*.dcm" >&2

j2k_peer=no
if "$TOIMAGE" --8bit -o "$work/probe.png" "$work/j2k/ct-000.dcm" >/dev/null 2>&1; then j2k_peer=yes; fi
if [ "$j2k_peer" = yes ]; then
  hyperfine --warmup 1 --runs "$RUNS" --export-json "$work/j2k.json" \
    -n dicomkit "$BIN render -q $work/j2k -o $work/o5/ --format csv > /dev/null" \
    -n dicom-toimage "$TOIMAGE --8bit -d $work/o6 $work/j2k/*.dcm" >&2
else
  # No renderer peer: openjpeg's own opj_decompress (C, decode only, codestream → PGM, one
  # process per file) is the reference for the JPEG 2000 decoding cost.
  echo "bench: $TOIMAGE cannot decode JPEG 2000: J2K against opj_decompress (decode only)" >&2
  mkdir -p "$work/o7"
  hyperfine --warmup 1 --runs "$RUNS" --export-json "$work/j2k.json" \
    -n dicomkit "$BIN render -q $work/j2k -o $work/o5/ --format csv > /dev/null" \
    -n opj_decompress "for f in $work/tmp/*.j2k; do opj_decompress -i \$f -o $work/o7/\$(basename \$f .j2k).pgm > /dev/null; done" >&2
fi

# Lossless J2K renders exactly as the raw slices (tests/render.rs checks dcmj2pnm agreement).
for f in "$work"/o1/*.png; do cmp -s "$f" "$work/o5/$(basename "$f")" || { echo "bench: raw and J2K renders differ: $f" >&2; exit 1; }; done
[ "$(ls "$work/o1" | wc -l)" -eq "$N" ] || { echo "bench: expected $N PNGs" >&2; exit 1; }

python3 - "$work/raw.json" "$work/j2k.json" "$N" "$j2k_peer" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
j = {x["command"]: x["mean"] for x in json.load(open(sys.argv[2]))["results"]}
n = int(sys.argv[3])
dk, dk1, dc, dr = r["dicomkit"], r["dicomkit 1 thread"], r["dcmj2pnm"], r["dicom-toimage"]
print(f"raw: files={n} dicomkit_s={dk:.3f} dicomkit_1thread_s={dk1:.3f} dcmj2pnm_s={dc:.3f} dicom_toimage_s={dr:.3f} "
      f"vs_dcmj2pnm={dc/dk:.2f} vs_dicom_toimage={dr/dk:.2f} (1 thread: {dc/dk1:.2f}, {dr/dk1:.2f})")
if sys.argv[4] == "yes":
    print(f"j2k: dicomkit_s={j['dicomkit']:.3f} dicom_toimage_s={j['dicom-toimage']:.3f} vs_dicom_toimage={j['dicom-toimage']/j['dicomkit']:.2f}")
else:
    print(f"j2k: dicomkit_s={j['dicomkit']:.3f} opj_decompress_s={j['opj_decompress']:.3f} vs_opj_decompress={j['opj_decompress']/j['dicomkit']:.2f} "
          "(no renderer peer decodes JPEG 2000; opj_decompress only decodes)")
print("(ratios = peer time / dicomkit time; goal >= 1.5)")
PY
