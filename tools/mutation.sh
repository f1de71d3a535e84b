#!/usr/bin/env bash
# Mutation testing of novajoin's pure, security-critical core against the unit test tier
# (method and counts: doc/testing.md).
#
#   tools/mutation.sh              # the work tree as it is; exit 1 when a mutant survives
#   tools/mutation.sh --rev HEAD   # a commit instead (what others' uncommitted work is not)
#   KEEP=1 tools/mutation.sh       # keep the work directory (its path is printed)
#
# mutmut runs in a copy (of this work tree: tracked and untracked files as they are now; or
# of the commit given), so the checkout is never modified, with one worker process.
# Mutants that survive and are listed in tests/mutation-equivalent.txt (each with the
# reason it cannot change behaviour) count as equivalent; any other survivor, or a mutant
# no unit test reaches, fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
rev=
if [ "${1:-}" = "--rev" ]; then
  rev=${2:?usage: tools/mutation.sh [--rev COMMIT]}
  git rev-parse --verify -q "$rev^{commit}" >/dev/null || { echo "no commit $rev" >&2; exit 2; }
fi
source tools/setup-env.sh

# The modules under test. They are tested by the unit tier (tests/tiers.py: pure tests, no
# fixture of the suite, no service), wherever those tests live.
modules=(
  novajoin/domain/plan.py
  novajoin/domain/naming.py
  novajoin/domain/ownership.py
  novajoin/domain/otp.py
  novajoin/domain/metadata.py
  novajoin/domain/redact.py
  novajoin/api/policies.py
  novajoin/listener/service.py  # only its failure policy (class Policy) is counted
)

work=$(mktemp -d "${TMPDIR:-/tmp}/novajoin-mutation.XXXXXX")
if [ "${KEEP:-}" = 1 ]; then
  say "work directory: $work"
else
  trap 'rm -rf "$work"' EXIT
fi
if [ -n "$rev" ]; then
  git archive "$rev" | tar -xf - -C "$work"
else
  git ls-files -z -co --exclude-standard \
    | tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$work"
fi
{
  echo "[mutmut]"
  echo "source_paths = novajoin"
  echo "only_mutate ="; printf '    %s\n' "${modules[@]%% *}"
  echo "also_copy ="; printf '    %s\n' files etc emulator README.md
  # One argument a line: a line is one argument to pytest.
  echo "pytest_add_cli_args ="; printf '    %s\n' -p no:cacheprovider -q -m unit
  echo "pytest_add_cli_args_test_selection = tests"
} > "$work/setup.cfg"

say "mutmut over ${#modules[@]} modules of ${rev:-the work tree}, unit tier, 1 worker"
start=$(date +%s)
set +e
(cd "$work" && "$root/.venv/bin/mutmut" run --max-children 1 > mutmut.log 2>&1)
rc=$?
set -e
if [ $rc -ne 0 ]; then
  tail -c 4000 "$work/mutmut.log" | tr '\r' '\n' | tail -40 >&2
  say "mutmut failed (exit $rc)"
  exit 2
fi
(cd "$work" && "$root/.venv/bin/mutmut" results --all true > results.txt 2>/dev/null)
elapsed=$(( $(date +%s) - start ))

cd "$work"
"$root/.venv/bin/python" - "$work/tests/mutation-equivalent.txt" "$elapsed" <<'PY'
"""Sort mutmut's verdicts per module; survivors listed as equivalent do not fail the run."""
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

equivalent_file, elapsed = Path(sys.argv[1]), int(sys.argv[2])
MUTMUT = str(Path(sys.executable).parent / "mutmut")
DETECTED = {"killed", "timeout", "segfault", "caught by type check"}
# Only these functions of a module are under test (the rest of service.py is the listener's
# wiring to RabbitMQ, tested against a real broker).
SCOPE = {"novajoin.listener.service": "xǁPolicyǁ"}


def changed_lines(diff: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    minus, plus, body = [], [], False
    for line in diff.splitlines():
        if line.startswith("@@"):
            body = True
        elif body and line.startswith("-"):
            minus.append(" ".join(line[1:].split()))
        elif body and line.startswith("+"):
            plus.append(" ".join(line[1:].split()))
    return tuple(minus), tuple(plus)


def read_equivalents(path: Path) -> dict:
    """Blocks of ``[function]``, ``- line``, ``+ line``, ``why: reason``, blank-separated."""
    out, block = {}, None
    if not path.exists():
        return out
    for raw in path.read_text().splitlines() + [""]:
        line = raw.rstrip()
        if line.startswith("#"):
            continue
        if not line:
            if block:
                key = (block["function"], tuple(block["-"]), tuple(block["+"]))
                assert block.get("why"), f"{path}: no 'why:' for {key}"
                out[key] = block["why"]
            block = None
        elif line.startswith("["):
            block = {"function": line.strip("[]"), "-": [], "+": []}
        elif line.startswith("why:"):
            block["why"] = line[4:].strip()
        elif line[:1] in "-+":
            block[line[0]].append(" ".join(line[1:].split()))
    return out


equivalents = read_equivalents(equivalent_file)
used = set()
counts: dict[str, Counter] = defaultdict(Counter)
failures = []
for line in Path("results.txt").read_text().splitlines():
    name, _, status = line.strip().rpartition(": ")
    if not name:
        continue
    function = name.rsplit("__mutmut_", 1)[0]
    module, _, local = function.rpartition(".")
    if module in SCOPE and not local.startswith(SCOPE[module]):
        continue
    if status in DETECTED:
        counts[module]["killed"] += 1
        continue
    if status == "skipped":
        continue
    diff = subprocess.run([MUTMUT, "show", name], capture_output=True, text=True).stdout
    key = (function, *changed_lines(diff))
    if status == "survived" and key in equivalents:
        counts[module]["equivalent"] += 1
        used.add(key)
        continue
    counts[module]["survived"] += 1
    failures.append((name, status, diff))

for name, status, diff in failures:
    print(f"\n--- {name}: {status}")
    print("\n".join(diff.splitlines()[2:]))
print(f"\n{'module':34} {'killed':>7} {'survived':>9} {'equivalent':>11}")
total = Counter()
for module in sorted(counts):
    c = counts[module]
    total.update(c)
    print(f"{module:34} {c['killed']:7} {c['survived']:9} {c['equivalent']:11}")
print(f"{'total':34} {total['killed']:7} {total['survived']:9} {total['equivalent']:11}")
stale = set(equivalents) - used
for key in sorted(stale):
    print(f"note: listed as equivalent but not a survivor now: [{key[0]}] {key[1]} -> {key[2]}")
print(f"mutation run: {elapsed} s (mutmut, 1 worker)")
sys.exit(1 if failures else 0)
PY
