#!/usr/bin/env bash
# ecg-infer benchmark (issue 6). The model is an ECG-FM-shaped clinical ONNX graph: the output of
# tools/ecgfm-to-onnx from a random-weight finetuned checkpoint in the published layout
# (768 wide, 12 layers, 17 labels; 362 MB). The inputs are N ten-second 12-lead ECGs, copies of
# scp-ecg/Example.scp (500 Hz) with distinct patient IDs, 2 segments each. Two sides run with the
# same model, the same intra-op threads and the same batch size. Their runs alternate in ABBA
# order (dicomkit, python, python, dicomkit, ...), and each number is the median of RUNS runs.
#  * dicomkit: `dicomkit ecg-infer --clinical-model M --threads T --batch-size B DIR --format csv -v
#    > /dev/null`, timed as a whole process from start to exit. That includes reading the SCP
#    files, preprocessing, hashing the model, creating the session, inference, sigmoid and
#    aggregation, and the CSV. Its -v line gives the load time, the inference loop and the sum of
#    the session.run calls.
#  * python: bench/infer_ort.py run. It creates an onnxruntime session (graph optimisation ALL,
#    intra_op_num_threads=T, otherwise the defaults), loads the preprocessed tensors (.npy) and
#    calls session.run over slices of B segments. Timed from after `import onnxruntime` to the
#    end of the loop. Not timed: the interpreter start and imports (the process wall time is
#    reported too), and the preprocessing. The tensors are made beforehand, not timed, by
#    `infer_ort.py prepare`: ecgdatakit reads the files and tests/models/preprocess_oracle.py
#    preprocesses them.
# Peak RSS is the ru_maxrss of each process (wait4), i.e. /usr/bin/time -v's "Maximum resident set
# size"; CPU is its user + sys time (less sensitive than wall time to other load on the machine). A warm-up pair runs first and is not counted. It also checks that dicomkit's
# probabilities equal sigmoid + ECG-FM aggregation of the Python logits (max abs diff <= 1e-4).
#
#   RUNS=3 THREADS=2 BATCHES="16" bash bench/infer.sh [N]     (BATCHES: a list, one row each)
#
# Needs: .venv (scripts/setup.sh), the ONNX Runtime library (scripts/fetch-onnxruntime.sh) and, to
# make the model once, the converter's venv tools/ecgfm-to-onnx/.venv. If that venv is missing, this
# script creates it with pip from tools/ecgfm-to-onnx/requirements.txt (torch with its CUDA wheels:
# about 5.5 GB and 2-3 minutes). The model is cached in target/bench-infer/ (git-ignored; override
# with BENCH_INFER_CACHE), so later runs skip torch entirely.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100}
RUNS=${RUNS:-3}
THREADS=${THREADS:-2}
BATCHES=${BATCHES:-16}
SAMPLES=${DICOMKIT_SAMPLES:-../shared/samples}
bash scripts/setup.sh >/dev/null </dev/null
ORT_LIB=$(bash scripts/fetch-onnxruntime.sh </dev/null)
cargo build --locked --release -q </dev/null
BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/dicomkit
PY=$PWD/.venv/bin/python

CACHE=${BENCH_INFER_CACHE:-$PWD/target/bench-infer}
MODEL=$CACHE/ecgfm-clinical-random-768x12.onnx
if [ ! -f "$MODEL" ] || [ ! -f "${MODEL%.onnx}.json" ]; then
  TOOLS=$PWD/tools/ecgfm-to-onnx
  if [ ! -x "$TOOLS/.venv/bin/python" ]; then
    echo "bench: creating the converter venv $TOOLS/.venv (torch: ~5.5 GB)" >&2
    python3 -m venv "$TOOLS/.venv"
    "$TOOLS/.venv/bin/pip" install -q --disable-pip-version-check -r "$TOOLS/requirements.txt" </dev/null
  fi
  mkdir -p "$CACHE"
  "$TOOLS/.venv/bin/python" "$TOOLS/make_random_checkpoint.py" finetuned "$CACHE/finetuned-random.pt" --seed 6 </dev/null >&2
  "$TOOLS/.venv/bin/python" "$TOOLS/ecgfm_to_onnx.py" "$CACHE/finetuned-random.pt" "$MODEL" </dev/null >&2
  rm -f "$CACHE/finetuned-random.pt"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/scp"
python3 bench/scp_copies.py "$SAMPLES/scp-ecg/Example.scp" "$work/scp" "$N"
"$PY" bench/infer_ort.py prepare "$work/tensors.npy" "$work"/scp/*.scp </dev/null

"$PY" - "$BIN" "$ORT_LIB" "$MODEL" "$work" "$N" "$RUNS" "$THREADS" $BATCHES <<'PY'
import csv, json, os, re, statistics, subprocess, sys, time
import numpy as np

binary, ort_lib, model, work, n, runs, threads = sys.argv[1:8]
n, runs, threads = int(n), int(runs), int(threads)
batches = [int(b) for b in sys.argv[8:]]
STAT = re.compile(r"loaded in ([\d.]+) s; inferred (\d+) records \((\d+) segments, (\d+) model runs\) "
                  r"in ([\d.]+) s .*session\.run ([\d.]+) s")


def timed(cmd, stdout):
    """Run cmd; return (wall s, peak RSS KiB, CPU s (user + sys), stdout text, stderr text)."""
    err = open(os.path.join(work, "stderr.txt"), "w+")
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=err, text=True)
    out = p.stdout.read() if stdout == subprocess.PIPE else ""
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    err.seek(0)
    text = err.read()
    if p.returncode != 0:
        sys.exit(f"bench: {cmd[0]} exit {p.returncode}: {text[-2000:]}")
    return wall, ru.ru_maxrss, ru.ru_utime + ru.ru_stime, out, text


def dicomkit(batch, csv_out=None):
    cmd = [binary, "ecg-infer", "--ort-lib", ort_lib, "--clinical-model", model, "--threads", str(threads),
           "--batch-size", str(batch), os.path.join(work, "scp"), "--format", "csv", "-v", "--no-progress"]
    with open(csv_out or os.devnull, "w") as f:
        wall, rss, cpu, _, err = timed(cmd, f)
    m = STAT.search(err)
    if not m:
        sys.exit(f"bench: no statistics line from dicomkit -v: {err[-1000:]}")
    load, recs, segs, nruns, loop, run = m.groups()
    assert int(recs) == n, err
    return {"wall": wall, "rss": rss, "cpu": cpu, "load": float(load), "loop": float(loop), "run": float(run),
            "segments": int(segs), "runs": int(nruns)}


def python(batch, logits=None):
    cmd = [sys.executable, os.path.join(os.getcwd(), "bench/infer_ort.py"), "run", model,
           os.path.join(work, "tensors.npy"), "--records", str(n), "--threads", str(threads),
           "--batch-size", str(batch)] + (["--logits", logits] if logits else [])
    wall, rss, cpu, out, _ = timed(cmd, subprocess.PIPE)
    r = json.loads(out.strip().splitlines()[-1])
    return {"wall": wall, "rss": rss, "cpu": cpu, "timed": r["timed_s"], "create": r["create_s"], "loop": r["loop_s"],
            "run": r["run_s"], "segments": r["segments"], "runs": r["runs"]}


def check(csv_path, logits_path):
    """dicomkit's probabilities vs sigmoid + ECG-FM aggregation of the Python logits."""
    spec = json.load(open(model[:-5] + ".json"))
    labels = spec["labels"]
    aggs = spec["aggregation"]
    logits = np.load(logits_path).astype(np.float64)
    probs = 1 / (1 + np.exp(-logits))
    worst = 0.0
    rows = list(csv.DictReader(open(csv_path)))
    assert len(rows) == n, len(rows)
    seg = 0
    for row in rows:
        k = int(row["segments"])
        p = probs[seg:seg + k]
        seg += k
        cols = [c for c in row if c not in ("source", "record_id", "segments", "padded", "derived_leads", "error")]
        assert len(cols) == len(labels) == p.shape[1]
        for i, (col, label) in enumerate(zip(cols, labels)):
            a = aggs.get(label) if isinstance(aggs, dict) else aggs[i]
            want = p[:, i].max() if a == "max" else p[:, i].mean()
            worst = max(worst, abs(float(row[col]) - want))
    assert seg == probs.shape[0]
    return worst


med = statistics.median
print(f"bench: {n} ECGs (10 s, 2 segments each), {threads} intra-op threads, batch sizes {batches}, "
      f"{runs} runs each, median; {time.strftime('%Y-%m-%d %H:%M')}; load {os.getloadavg()[0]:.1f}", file=sys.stderr)
for b in batches:
    d0 = dicomkit(b, os.path.join(work, "dk.csv"))
    p0 = python(b, os.path.join(work, "logits.npy"))
    diff = check(os.path.join(work, "dk.csv"), os.path.join(work, "logits.npy"))
    print(f"bench: batch {b}: warm-up done (dicomkit {d0['wall']:.1f} s, python {p0['wall']:.1f} s); "
          f"dicomkit probabilities vs python logits: max abs diff {diff:.2e}", file=sys.stderr)
    assert diff <= 1e-4, diff
    D, P = [], []
    for r in range(runs):
        # ABBA order: a trend in the machine's load does not favour one side
        if r % 2 == 0:
            D.append(dicomkit(b))
            P.append(python(b))
        else:
            P.append(python(b))
            D.append(dicomkit(b))
        print(f"bench: batch {b} run {r + 1}: dicomkit wall {D[-1]['wall']:.2f} s (session.run {D[-1]['run']:.2f}), "
              f"python timed {P[-1]['timed']:.2f} s (session.run {P[-1]['run']:.2f}); "
              f"load {os.getloadavg()[0]:.1f}", file=sys.stderr)
    d = {k: med([x[k] for x in D]) for k in D[0]}
    p = {k: med([x[k] for x in P]) for k in P[0]}
    dk_eps, py_eps = n / d["wall"], n / p["timed"]
    print(f"batch {b}, {d['segments']} segments in {d['runs']} runs:")
    print(f"  dicomkit end to end {d['wall']:.2f} s = {dk_eps:.3f} ECGs/s; load {d['load']:.2f} s; loop {d['loop']:.2f} s; "
          f"session.run {d['run']:.2f} s; outside session.run: {100 * (d['wall'] - d['run']) / d['wall']:.2f} % of the process, "
          f"{100 * (d['loop'] - d['run']) / d['loop']:.2f} % of the loop; peak RSS {d['rss'] / 1024:.0f} MiB; CPU {d['cpu']:.1f} s")
    print(f"  python  timed {p['timed']:.2f} s = {py_eps:.3f} ECGs/s (process {p['wall']:.2f} s = {n / p['wall']:.3f} ECGs/s); "
          f"session {p['create']:.2f} s; loop {p['loop']:.2f} s; session.run {p['run']:.2f} s; "
          f"outside session.run {100 * (p['timed'] - p['run']) / p['timed']:.2f} % of the timed part; peak RSS {p['rss'] / 1024:.0f} MiB; "
          f"CPU (whole process) {p['cpu']:.1f} s")
    print(f"  throughput ratio dicomkit/python: end to end {dk_eps / py_eps:.3f} (vs python's whole process "
          f"{p['wall'] / d['wall']:.3f}); inference loop {p['loop'] / d['loop']:.3f}; session.run sums {p['run'] / d['run']:.3f} "
          f"(goal: end to end >= 1.0, <= 5 % outside session.run)")
PY
