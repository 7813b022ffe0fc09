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
python3 bench/scp_copies.py "$SAMPLES/scp-ecg/Example.scp" "$work/scp" "$N"
hyperfine -N --warmup 2 --runs "${RUNS:-10}" --prepare "rm -rf $work/out" \
  -n "old" "$OLD store-ecg -q --dry-run --out $work/out $work/scp --format csv" \
  -n "new" "$NEW store-ecg -q --dry-run --out $work/out $work/scp --format csv"
