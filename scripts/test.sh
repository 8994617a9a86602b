#!/usr/bin/env bash
# The whole test suite, unit and end-to-end: installs what it needs (scripts/test-deps.sh), then
# `cargo test --workspace` with any arguments given (e.g. `scripts/test.sh -p tether-edge`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test-deps.sh
exec cargo test --workspace "$@"
