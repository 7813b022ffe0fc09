#!/usr/bin/env bash
# interpret benchmark, one hyperfine run: a CSV of N rows (default 1,000,000) of ECG-FM label
# probabilities and hr_bpm (ecg-infer's columns; random, seeded) read out by
#   dicomkit interpret --signal never IN.csv --format csv      (streamed, all cores)
#   bench/interpret_pandas.py IN.csv OUT.csv                    (pandas, the same rules)
# Both outputs are compared byte for byte first. Peak memory of each with /usr/bin/time, and
# dicomkit's also at N/5 rows (flat memory: the same peak whatever the row count).
# Goal: >= 500,000 rows/s and >= 20x the pandas version, flat memory.
#   bash bench/interpret.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
bash scripts/setup.sh >/dev/null
cargo build --locked --release -q
BIN=$PWD/target/release/dicomkit
PY=$PWD/.venv/bin/python
"$PY" -c 'import pandas' 2>/dev/null || "$PY" -m pip install -q pandas==2.3.3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PY" - "$work" "$N" <<'PY'
import sys
import numpy as np
work, n = sys.argv[1], int(sys.argv[2])
labels = ["poor_data_quality", "sinus_rhythm", "premature_ventricular_contraction", "tachycardia",
          "ventricular_tachycardia", "supraventricular_tachycardia_with_aberrancy", "atrial_fibrillation",
          "atrial_flutter", "bradycardia", "accessory_pathway_conduction", "atrioventricular_block",
          "1st_degree_atrioventricular_block", "bifascicular_block", "right_bundle_branch_block",
          "left_bundle_branch_block", "infarction", "electronic_pacemaker"]
rng = np.random.default_rng(20261122)
for name, rows in (("rows.csv", n), ("small.csv", max(n // 5, 1))):
    p = rng.beta(0.5, 3, size=(rows, 17)).round(4)
    hr = rng.normal(80, 25, size=rows).clip(25, 220).round(1)
    with open(f"{work}/{name}", "w") as f:
        f.write("source,record_id,segments," + ",".join(labels) + ",hr_bpm\n")
        for i in range(rows):
            f.write(f"/data/ecg/{i:07d}.scp,{i:07d},2," + ",".join(map(str, p[i])) + f",{hr[i]}\n")
PY
"$BIN" interpret --signal never "$work/rows.csv" --format csv > "$work/dk.csv"
"$PY" bench/interpret_pandas.py "$work/rows.csv" "$work/pd.csv"
cmp "$work/dk.csv" "$work/pd.csv" && echo "outputs identical ($(($(wc -l < "$work/dk.csv") - 1)) rows)" >&2
hyperfine -N --warmup 1 --runs "${RUNS:-3}" --export-json "$work/h.json" \
  -n "dicomkit interpret" "$BIN interpret --signal never $work/rows.csv --format csv --no-progress" \
  -n "pandas" "$PY bench/interpret_pandas.py $work/rows.csv $work/pd.csv" >&2
peak() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
dk_mem=$(peak "$BIN" interpret --signal never "$work/rows.csv" --format csv)
dk_small=$(peak "$BIN" interpret --signal never "$work/small.csv" --format csv)
pd_mem=$(peak "$PY" bench/interpret_pandas.py "$work/rows.csv" "$work/pd2.csv")
"$PY" - "$work/h.json" "$N" "$dk_mem" "$dk_small" "$pd_mem" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
n = int(sys.argv[2])
dk, pd = r["dicomkit interpret"], r["pandas"]
print(f"interpret {n} rows: dicomkit {dk:.2f} s = {n/dk:,.0f} rows/s; pandas {pd:.2f} s = {n/pd:,.0f} rows/s; "
      f"ratio {pd/dk:.1f}x (goal >= 500,000 rows/s, >= 20x)")
print(f"peak RSS: dicomkit {int(sys.argv[3])/1024:.0f} MB ({n} rows), {int(sys.argv[4])/1024:.0f} MB ({n//5} rows); "
      f"pandas {int(sys.argv[5])/1024:.0f} MB")
PY
