#!/usr/bin/env bash
# ECG benchmarks, each pair in one hyperfine run:
#  1. 1,000 SCP-ECG files (copies of the sample with distinct patient IDs) -> storescp on
#     127.0.0.1: `dicomkit store-ecg` (conversion included) vs DCMTK `storescu` sending the
#     1,000 already-converted DICOM files over one association. Goal: <= 1.2x, >= 500 ECG/s.
#  2. Conversion alone: `store-ecg --dry-run --out DIR`. Goal: >= 2,000 SCP-ECG files/s.
#   bash bench/ecg.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
SAMPLES=${DICOMKIT_SAMPLES:-../shared/samples}
bash scripts/setup.sh >/dev/null
cargo build --locked --release -q
BIN=$PWD/target/release/dicomkit
work=$(mktemp -d)
trap 'kill $scp_pid 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/scp" "$work/dcm" "$work/recv"
python3 - "$SAMPLES/scp-ecg/Example.scp" "$work/scp" "$N" <<'PY'
import sys
src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
b = open(src, "rb").read()
at = b.index(b"SBJ-123")
for i in range(n):
    open(f"{out}/ecg{i:05d}.scp", "wb").write(b[:at] + f"P{i:06d}".encode() + b[at + 7:])
PY
"$BIN" store-ecg -q --dry-run --out "$work/dcm" "$work/scp" --format csv > /dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TCP_NODELAY=1 storescp -aet BENCHSCP --ignore "$port" >/dev/null 2>&1 &
scp_pid=$!
sleep 0.5
hyperfine -N --warmup 1 --runs "${RUNS:-5}" --export-json "$work/store.json" \
  -n "dicomkit store-ecg" "$BIN store-ecg -q --pacs BENCHSCP@127.0.0.1:$port $work/scp --format csv" \
  -n "storescu" "bash -c 'TCP_NODELAY=1 storescu -aec BENCHSCP +sd 127.0.0.1 $port $work/dcm'" >&2
hyperfine -N --warmup 1 --runs "${RUNS:-5}" --export-json "$work/convert.json" --prepare "rm -rf $work/conv" \
  -n "dicomkit store-ecg --dry-run" "$BIN store-ecg -q --dry-run --out $work/conv $work/scp --format csv" >&2
python3 - "$work/store.json" "$work/convert.json" "$N" <<'PY'
import json, sys
s = {r["command"]: r["mean"] for r in json.load(open(sys.argv[1]))["results"]}
c = {r["command"]: r["mean"] for r in json.load(open(sys.argv[2]))["results"]}
n = int(sys.argv[3])
dk, su, cv = s["dicomkit store-ecg"], s["storescu"], c["dicomkit store-ecg --dry-run"]
print(f"store {n}: dicomkit={dk*1000:.0f}ms ({n/dk:.0f} ECG/s) storescu={su*1000:.0f}ms ratio={dk/su:.2f} (goal <= 1.2, >= 500/s)")
print(f"convert {n}: {cv*1000:.0f}ms = {n/cv:.0f} files/s (goal >= 2000/s)")
PY
