#!/usr/bin/env bash
# Network benchmarks against a real Orthanc on 127.0.0.1 (started here with the shared
# pacs-harness, stopped at the end), each pair in one hyperfine run:
#  1. find with three modalities: `dicomkit find --modality CT,MR,ECG` vs three `findscu` runs
#     (one per modality, as done by hand). Goal: <= 0.5x their wall time.
#  2. move N instances (default 1000) to self: `dicomkit move --to-dir` vs `movescu +P` to its
#     own port. Goal: <= 1.0x.
#   bash bench/net.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
bash scripts/setup.sh >/dev/null
cargo build --locked --release -q
BIN=$PWD/target/release/dicomkit
H=$PWD/../shared/tools/pacs-harness.sh
work=$(mktemp -d)
export PACS_STATE_DIR=$work/harness PACS_QRSCP=0 TCP_NODELAY=1
trap 'bash "$H" stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
bash "$H" start >/dev/null 2>&1
bash "$H" seed >/dev/null 2>&1
. "$PACS_STATE_DIR/pacs.env"
O="ORTHANC@127.0.0.1:$PACS_ORTHANC_PORT"

keys="-k QueryRetrieveLevel=STUDY -k PatientID=PAT001 -k PatientName -k PatientBirthDate -k StudyInstanceUID \
-k StudyDescription -k StudyDate -k StudyTime -k AccessionNumber -k ReferringPhysicianName -k InstitutionName \
-k NumberOfStudyRelatedInstances"
hyperfine -N --warmup 3 --runs "${RUNS:-30}" --export-json "$work/find.json" \
  -n "dicomkit find" "$BIN find --pacs $O --patient-id PAT001 --modality CT,MR,ECG --format csv" \
  -n "findscu x3" "bash -c 'for m in CT MR ECG; do findscu -S -aet BENCH -aec ORTHANC $keys -k ModalitiesInStudy=\$m 127.0.0.1 $PACS_ORTHANC_PORT; done'" >&2

# Move: N instances in one study, to self.
.venv/bin/python bench/gen_instances.py "$N" "$work/gen" > "$work/study_uid"
storescu -q -aet BENCH -aec ORTHANC +sd 127.0.0.1 "$PACS_ORTHANC_PORT" "$work/gen"
study=$(cat "$work/study_uid")
p1=$(( 30000 + RANDOM % 10000 )); p2=$(( p1 + 1 ))
bash "$H" add-modality DKBENCH "$p1" >/dev/null 2>&1
bash "$H" add-modality MVBENCH "$p2" >/dev/null 2>&1
hyperfine -N --warmup 1 --runs "${MOVE_RUNS:-5}" --export-json "$work/move.json" \
  --prepare "rm -rf $work/dk $work/mv" \
  -n "dicomkit move --to-dir" "$BIN move --pacs $O --aet DKBENCH --patient-id BENCH001 --to-dir $work/dk --port $p1 --format csv" \
  -n "movescu +P" "bash -c 'mkdir -p $work/mv && movescu -S -aet MVBENCH -aem MVBENCH +P $p2 -od $work/mv -k QueryRetrieveLevel=STUDY -k StudyInstanceUID=$study 127.0.0.1 $PACS_ORTHANC_PORT'" >&2
# The prepare step of each run deletes the other's folder: check one more run of each.
rm -rf "$work/dk" "$work/mv"; mkdir -p "$work/mv"
"$BIN" move -q --pacs "$O" --aet DKBENCH --patient-id BENCH001 --to-dir "$work/dk" --port "$p1" --format csv >/dev/null
movescu -S -aet MVBENCH -aem MVBENCH +P "$p2" -od "$work/mv" -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$study" 127.0.0.1 "$PACS_ORTHANC_PORT"
got_dk=$(find "$work/dk" -name '*.dcm' | wc -l); got_mv=$(find "$work/mv" -type f | wc -l)
[ "$got_dk" -eq "$N" ] && [ "$got_mv" -eq "$N" ] || { echo "bench: received dicomkit=$got_dk movescu=$got_mv, expected $N" >&2; exit 1; }

python3 - "$work/find.json" "$work/move.json" "$N" <<'PY'
import json, sys
f = {r["command"]: r["mean"] for r in json.load(open(sys.argv[1]))["results"]}
m = {r["command"]: r["mean"] for r in json.load(open(sys.argv[2]))["results"]}
print(f"find: dicomkit={f['dicomkit find']*1000:.1f}ms findscu_x3={f['findscu x3']*1000:.1f}ms "
      f"ratio={f['dicomkit find']/f['findscu x3']:.2f} (goal <= 0.5)")
print(f"move {sys.argv[3]}: dicomkit={m['dicomkit move --to-dir']*1000:.0f}ms movescu={m['movescu +P']*1000:.0f}ms "
      f"ratio={m['dicomkit move --to-dir']/m['movescu +P']:.2f} (goal <= 1.0)")
PY
