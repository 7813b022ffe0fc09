#!/usr/bin/env bash
# Run every test of dicomkit, after installing what the tests need (scripts/setup.sh).
# This is the command README.md gives and .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."
# stdin empty and /dev/null a device (scripts/stdin.sh says why).
source scripts/stdin.sh
bash scripts/setup.sh

echo "== cargo fmt --check" >&2
cargo fmt --all -- --check
echo "== cargo clippy (warnings are errors)" >&2
cargo clippy --locked --all-targets -- -D warnings
echo "== cargo test" >&2
cargo test --locked
