#!/usr/bin/env bash
# The test command: installs what the tests need on a fresh Debian/Ubuntu machine,
# then runs the linter and the whole test suite. Arguments go to pytest.
#
#   tools/run-tests.sh                 # everything
#   tools/run-tests.sh tests/ipa -x    # a part
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/setup-env.sh

# --- lint, then tests ---------------------------------------------------
say "ruff"
.venv/bin/ruff check novajoin emulator tests files tools bench
say "pytest"
set +e
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
rc=$?
set -e
# pytest's 5 means "no tests collected": that is a failure here, not a pass.
exit $rc
