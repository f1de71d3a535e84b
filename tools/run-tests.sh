#!/usr/bin/env bash
# The test command: installs what the tests need on a fresh Debian/Ubuntu machine,
# then runs the linter, the type checker and the whole test suite (every tier, see
# tests/tiers.py). Arguments go to pytest.
#
#   tools/run-tests.sh                 # everything: what CI runs
#   tools/run-tests.sh --fast          # unit + functional tiers only, for daily work
#   tools/run-tests.sh tests/ipa -x    # a part
set -euo pipefail
cd "$(dirname "$0")/.."
fast=()
if [ "${1:-}" = "--fast" ]; then
  shift
  fast=(-m "unit or functional")
fi
source tools/setup-env.sh

# --- lint, then tests ---------------------------------------------------
say "ruff"
.venv/bin/ruff check novajoin emulator tests files tools bench
say "mypy"
.venv/bin/mypy
say "pytest"
set +e
.venv/bin/python -m pytest -q -p no:cacheprovider ${fast[@]+"${fast[@]}"} "$@"
rc=$?
set -e
# pytest's 5 means "no tests collected": that is a failure here, not a pass.
exit $rc
