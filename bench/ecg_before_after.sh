#!/usr/bin/env bash
# Two dicomkit builds on the same conversion, in one hyperfine run: `store-ecg --dry-run --out`
# on N copies of Example.scp (distinct patient IDs, CRCs fixed), on a tmpfs, the output folder
# deleted before each run (moving it aside slows whichever binary runs second on a tmpfs).
#   bash bench/ecg_before_after.sh OLD_BINARY NEW_BINARY [N]
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=$1 NEW=$2 N=${3:-1000}
SAMPLES=${DICOMKIT_SAMPLES:-../shared/samples}
work=$(mktemp -d -p /dev/shm)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/scp"
python3 - "$SAMPLES/scp-ecg/Example.scp" "$work/scp" "$N" <<'PY'
import sys, binascii, struct
def fix(b):
    b = bytearray(b)
    for p in range(22, 6 + struct.unpack_from("<I", b, 10)[0], 10):
        _, ln, idx = struct.unpack_from("<HII", b, p)
        if ln:
            struct.pack_into("<H", b, idx - 1, binascii.crc_hqx(bytes(b[idx + 1:idx - 1 + ln]), 0xFFFF))
    struct.pack_into("<H", b, 0, binascii.crc_hqx(bytes(b[2:]), 0xFFFF))
    return bytes(b)
src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
b = open(src, "rb").read()
at = b.index(b"SBJ-123")
for i in range(n):
    open(f"{out}/ecg{i:05d}.scp", "wb").write(fix(b[:at] + f"P{i:06d}".encode() + b[at + 7:]))
PY
hyperfine -N --warmup 2 --runs "${RUNS:-10}" --prepare "rm -rf $work/out" \
  -n "old" "$OLD store-ecg -q --dry-run --out $work/out $work/scp --format csv" \
  -n "new" "$NEW store-ecg -q --dry-run --out $work/out $work/scp --format csv"
