#!/usr/bin/env bash
# Prepares this checkout on a fresh Debian/Ubuntu machine: the Debian packages the project and
# its tests need, and the virtualenvs (rebuilt when their requirements change). Idempotent.
# Sourced by tools/run-tests.sh and tools/demo.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
python=${PYTHON:-python3}

say() { printf '==> %s\n' "$*" >&2; }

# --- Debian packages: the real services the tests run against -------------
debs=(krb5-kdc krb5-admin-server krb5-user libkrb5-dev libldap-dev gcc rabbitmq-server redis-server cloud-init systemd logrotate
      mariadb-server mariadb-client)  # mariadb: the realstack tier's databases
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    say "missing Debian packages (run as root to install): ${missing[*]}"
  fi
fi

# --- virtualenvs, rebuilt when their requirements change ----------------
venv() {  # venv DIR STAMP-TEXT PIP-ARGS...
  local dir=$1 stamp=$2; shift 2
  if [ ! -x "$dir/bin/python" ] || [ "$(cat "$dir/.stamp" 2>/dev/null)" != "$stamp" ]; then
    say "preparing $dir"
    rm -rf "$dir"
    "$python" -m venv "$dir"
    "$dir/bin/pip" install -q --disable-pip-version-check --upgrade pip
    "$dir/bin/pip" install -q --disable-pip-version-check "$@"
    echo "$stamp" > "$dir/.stamp"
  fi
}
venv .venv "$(cat pyproject.toml emulator/pyproject.toml | sha256sum | cut -c1-16)" \
  -e ".[test]" -e ./emulator
# The official FreeIPA client, only to check the emulator against it (GPL, never imported
# by novajoin itself; it lives in its own virtualenv).
venv .venv-ipalib "ipalib-4.13.1" ipalib==4.13.1 ipaclient==4.13.1 packaging
export NOVAJOIN_IPALIB_PYTHON="$root/.venv-ipalib/bin/python"

