#!/usr/bin/env bash
# The main job on this machine: FakeIPA, novajoin-server, and a boot request shaped exactly like
# nova's, showing the answer nova would publish and the host it created in IPA.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/setup-env.sh
exec .venv/bin/python tools/demo.py "$@"
