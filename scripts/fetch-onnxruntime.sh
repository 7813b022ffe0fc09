#!/usr/bin/env bash
# Fetch the ONNX Runtime shared library that `dicomkit ecg-infer` loads at run time (ort load-dynamic).
# Source: the PyPI wheel onnxruntime==1.31.1 (manylinux_2_28 x86_64, pinned by SHA-256), downloaded with pip,
# from which only onnxruntime/capi/libonnxruntime.so.1.31.1 is kept, in .onnxruntime/ (git-ignored).
# Idempotent: does nothing when the library is there and its wheel hash was checked. Prints the library path.
# Needs: a Python with pip (the project venv .venv, else python3), unzip or python3 to extract.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=1.31.1
WHEEL="onnxruntime-${VERSION}-cp311-cp311-manylinux_2_28_x86_64.whl"
WHEEL_SHA256=5752bd508126ae7c49894d3b9d2e83f0c3d487319246d04c444b393308d7ad7f
DIR=.onnxruntime
LIB="$DIR/libonnxruntime.so.${VERSION}"
STAMP="$DIR/.wheel-sha256"

if [ -f "$LIB" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WHEEL_SHA256 $(sha256sum "$LIB" | cut -d' ' -f1)" ]; then
  echo "$PWD/$LIB"
  exit 0
fi

PY=.venv/bin/python
[ -x "$PY" ] || PY=python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch-onnxruntime: downloading $WHEEL with pip" >&2
"$PY" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
  --platform manylinux_2_28_x86_64 --python-version 3.11 "onnxruntime==${VERSION}" -d "$tmp" >&2
got=$(sha256sum "$tmp/$WHEEL" | cut -d' ' -f1)
if [ "$got" != "$WHEEL_SHA256" ]; then
  echo "fetch-onnxruntime: $WHEEL has SHA-256 $got, expected $WHEEL_SHA256; refusing it" >&2
  exit 1
fi
"$PY" - "$tmp/$WHEEL" "$tmp/lib" "onnxruntime/capi/libonnxruntime.so.${VERSION}" <<'PYEOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read(sys.argv[3]))
PYEOF
mkdir -p "$DIR"
mv "$tmp/lib" "$LIB.tmp"
mv "$LIB.tmp" "$LIB"
echo "$WHEEL_SHA256 $(sha256sum "$LIB" | cut -d' ' -f1)" > "$STAMP"
echo "$PWD/$LIB"
