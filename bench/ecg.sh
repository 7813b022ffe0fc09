#!/usr/bin/env bash
# ECG benchmarks, each pair in one hyperfine run:
#  1. 1,000 SCP-ECG files (copies of the sample with distinct patient IDs) -> storescp on
#     127.0.0.1: `dicomkit store-ecg` (conversion included) vs DCMTK `storescu` sending the
#     1,000 already-converted DICOM files over one association. Goal: <= 1.2x, >= 500 ECG/s.
#  2. Conversion alone: `store-ecg --dry-run --out DIR`. Goal: >= 2,000 SCP-ECG files/s.
#     Into a fresh folder per run, and into a folder deleted just before each run (see below).
#   [RUNS=5] [BENCH_TMP=DIR] bash bench/ecg.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
SAMPLES=${DICOMKIT_SAMPLES:-../shared/samples}
bash scripts/setup.sh >/dev/null
cargo build --locked --release -q
BIN=$PWD/target/release/dicomkit
# BENCH_TMP=/dev/shm puts every file (inputs, outputs) on a tmpfs instead of the disk.
work=$(mktemp -d ${BENCH_TMP:+-p "$BENCH_TMP"})
echo "files in $work ($(stat -f -c %T "$work"))" >&2
trap 'kill $scp_pid 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/scp" "$work/dcm" "$work/recv"
python3 bench/scp_copies.py "$SAMPLES/scp-ecg/Example.scp" "$work/scp" "$N"
"$BIN" store-ecg -q --dry-run --out "$work/dcm" "$work/scp" --format csv > /dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TCP_NODELAY=1 storescp -aet BENCHSCP --ignore "$port" >/dev/null 2>&1 &
scp_pid=$!
sleep 0.5
hyperfine -N --warmup 1 --runs "${RUNS:-5}" --export-json "$work/store.json" \
  -n "dicomkit store-ecg" "$BIN store-ecg -q --pacs BENCHSCP@127.0.0.1:$port $work/scp --format csv" \
  -n "storescu" "bash -c 'TCP_NODELAY=1 storescu -aec BENCHSCP +sd 127.0.0.1 $port $work/dcm'" >&2
# Conversion, twice. (a) Into a fresh output folder each run: the previous run's folder is
# moved aside, not deleted. (b) Into a folder deleted just before each run (`rm -rf`). On an
# ext4 without a journal (this machine's), creating files in a block group where many inodes
# were deleted in the last few minutes makes the kernel skip each recently deleted inode
# (`recently_deleted()` in ext4's inode allocator), which costs about as much CPU as the
# conversion itself; (b) shows that effect, (a) the converter. (a) runs first, so that (b)'s
# deletions do not slow it.
printf '[ -d "$1" ] && mv "$1" "$1.$(date +%%s%%N)"; true\n' > "$work/aside.sh"
hyperfine -N --warmup 1 --runs "${RUNS:-5}" --export-json "$work/fresh.json" --prepare "bash $work/aside.sh $work/fresh" \
  -n "dicomkit store-ecg --dry-run (fresh folder)" "$BIN store-ecg -q --dry-run --out $work/fresh $work/scp --format csv" >&2
hyperfine -N --warmup 1 --runs "${RUNS:-5}" --export-json "$work/convert.json" --prepare "rm -rf $work/conv" \
  -n "dicomkit store-ecg --dry-run" "$BIN store-ecg -q --dry-run --out $work/conv $work/scp --format csv" >&2
python3 - "$work/store.json" "$work/convert.json" "$work/fresh.json" "$N" <<'PY'
import json, sys
s = {r["command"]: r["mean"] for r in json.load(open(sys.argv[1]))["results"]}
c = {r["command"]: r["mean"] for r in json.load(open(sys.argv[2]))["results"]}
f = {r["command"]: r["mean"] for r in json.load(open(sys.argv[3]))["results"]}
n = int(sys.argv[4])
dk, su = s["dicomkit store-ecg"], s["storescu"]
cv, fr = c["dicomkit store-ecg --dry-run"], f["dicomkit store-ecg --dry-run (fresh folder)"]
print(f"store {n}: dicomkit={dk*1000:.0f}ms ({n/dk:.0f} ECG/s) storescu={su*1000:.0f}ms ratio={dk/su:.2f} (goal <= 1.2, >= 500/s)")
print(f"convert {n}, fresh output folder: {fr*1000:.0f}ms = {n/fr:.0f} files/s (goal >= 2000/s)")
print(f"convert {n}, output folder deleted just before: {cv*1000:.0f}ms = {n/cv:.0f} files/s")
PY
