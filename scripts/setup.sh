#!/usr/bin/env bash
# One-time, idempotent set-up for building, testing and demoing dicomkit on a fresh Debian machine.
# Installs what is missing and nothing else:
#   - Debian packages the tests use as real peers and oracles (dcmtk, hyperfine), with apt-get when root;
#   - a Python venv in .venv with the oracle libraries (pydicom), pinned.
# Safe to run again: each step is skipped when its result is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
# stdin empty and /dev/null a device (scripts/stdin.sh says why).
source scripts/stdin.sh

DEB_PACKAGES=(dcmtk orthanc dicom3tools hyperfine curl iproute2 cmake libopenjp2-tools)
PY_PACKAGES=(pydicom==3.0.2 ecgdatakit==2.0.3 onnx==1.23.2 onnxruntime==1.31.1 wfdb==4.3.1 neurokit2==0.2.13)

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating Python venv .venv" >&2
  python3 -m venv .venv
fi
stamp=".venv/.dicomkit-${PY_PACKAGES[*]// /_}"
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install -q --disable-pip-version-check "${PY_PACKAGES[@]}"
  touch "$stamp"
fi

bash scripts/fetch-onnxruntime.sh >/dev/null  # ONNX Runtime library for ecg-infer (.onnxruntime/)
