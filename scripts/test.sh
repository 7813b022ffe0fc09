#!/usr/bin/env bash
# Run every test of dicomkit, after installing what the tests need (scripts/setup.sh).
# This is the command README.md gives and .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."
# Nothing here reads the terminal. cargo lets rustc read stdin when it probes the target
# (`rustc - --print=...`): an inherited stdin with content (a CI log) breaks that probe.
exec </dev/null
bash scripts/setup.sh

echo "== cargo fmt --check" >&2
cargo fmt --all -- --check
echo "== cargo clippy (warnings are errors)" >&2
cargo clippy --locked --all-targets -- -D warnings
echo "== cargo test" >&2
cargo test --locked
