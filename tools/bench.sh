#!/usr/bin/env bash
# The benchmarks (bench/run.py): JSON lines on stdout, one per scenario and system, plus the
# ratios between novajoin and novajoin 1.3.0. Needs a quiet machine.
#   tools/bench.sh [--system novajoin|novajoin-1.3.0|both] [--server novajoin-server|uwsgi]
#                  [SCENARIO ...]
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/setup-env.sh
command -v wrk >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; }
# novajoin 1.3.0 from PyPI for the side-by-side scenarios, in its own virtualenv (pinned;
# bench/legacy/ holds the shims it needs on Python 3.11, see doc/performance.md).
case " $* " in
  *" --system novajoin "*|*" --system=novajoin "*) ;;
  *) venv .venv-novajoin13 "$(sha256sum bench/legacy/requirements.txt | cut -c1-16)" \
       -r bench/legacy/requirements.txt ;;
esac
exec .venv/bin/python -m bench.run "$@"
