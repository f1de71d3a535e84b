#!/usr/bin/env bash
# The benchmarks (bench/run.py): one JSON line per scenario on stdout. Needs a quiet machine.
#   tools/bench.sh [first_boot_8_services|non_enroll_fetch|delete_notifications ...]
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/setup-env.sh
command -v wrk >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; }
exec .venv/bin/python -m bench.run "$@"
