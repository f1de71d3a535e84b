"""The server around the emulator: state file, TLS and the command line."""

from __future__ import annotations

import json
import os
import re
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from fakeipa.server import FakeIpaServer
from fakeipa.store import StateError

from tests.fakeipa.conftest import Rpc, enroll, login
from tests.support import ADMIN_PASSWORD, DOMAIN, REALM, require

FQDN = "vm1.novajoin.test"


def test_state_survives_a_restart(fakeipa_factory, tmp_path):
    state = tmp_path / "state.json"
    first = fakeipa_factory(state_file=str(state))
    ipa = Rpc(first)
    ipa("host_add", FQDN, userpassword="otp-1", force=True, description="kept")
    ipa("service_add", f"HTTP/{FQDN}", force=True)
    ipa("dnsrecord_add", "novajoin.test", "vm1", arecord="192.0.2.4")
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temporary files left
    first.stop()

    second = fakeipa_factory(state_file=str(state))
    ipa = Rpc(second)
    host = ipa("host_show", FQDN)["result"]
    assert host["description"] == ["kept"] and host["has_password"] is True
    assert ipa("service_show", f"HTTP/{FQDN}")["result"]["managedby_host"] == [FQDN]
    assert ipa("dnsrecord_show", "novajoin.test", "vm1")["result"]["arecord"] == ["192.0.2.4"]
    assert enroll(second, FQDN, "otp-1").status_code == 200
    second.stop()
    # Enrolment (outside JSON-RPC) is persisted too.
    third = fakeipa_factory(state_file=str(state))
    assert Rpc(third)("host_show", FQDN)["result"]["has_keytab"] is True


def test_state_file_of_another_realm_is_refused(tmp_path):
    state = tmp_path / "state.json"
    FakeIpaServer(REALM, DOMAIN, ADMIN_PASSWORD, state_file=str(state)).store.save()
    assert json.loads(state.read_text())["realm"] == REALM
    with pytest.raises(StateError, match="OTHER.TEST"):
        FakeIpaServer("OTHER.TEST", DOMAIN, ADMIN_PASSWORD, state_file=str(state))


def test_tls(fakeipa_factory, tls_files):
    server = fakeipa_factory(tls_cert=tls_files.cert, tls_key=tls_files.key)
    assert server.url.startswith("https://")
    session = login(server, verify=tls_files.ca_cert)
    rpc = Rpc(server, path="/ipa/session/json", session=session, verify=tls_files.ca_cert)
    assert rpc("ping")["summary"]
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(server.url + "/ipa/fake/stats", verify=tls_files.other_ca_cert, timeout=5)


def test_server_is_a_context_manager():
    with FakeIpaServer(REALM, DOMAIN, ADMIN_PASSWORD) as server:
        assert requests.get(server.url + "/ipa/fake/stats", timeout=5).status_code == 200
        url = server.url
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url + "/ipa/fake/stats", timeout=5)


# --- the command line -----------------------------------------------------------


def _console_script() -> str:
    script = Path(sys.executable).parent / "novajoin-fakeipa"
    found = str(script) if script.exists() else shutil.which("novajoin-fakeipa")
    require(found is not None, "the novajoin-fakeipa console script (pip install -e .)")
    return found


def _wait_for_line(process: subprocess.Popen, pattern: str, timeout: float = 15) -> re.Match:
    """Read the process's stderr until a line matches ``pattern``."""
    selector = selectors.DefaultSelector()
    selector.register(process.stderr, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        if not selector.select(timeout=deadline - time.monotonic()):
            break
        line = process.stderr.readline()
        if not line:
            break
        seen.append(line)
        match = re.search(pattern, line)
        if match:
            return match
    raise AssertionError(f"no line matching {pattern!r} in: {''.join(seen)}")


def test_help_says_it_is_not_production_code():
    output = subprocess.run([_console_script(), "--help"], capture_output=True, text=True,
                            timeout=30, check=True).stdout
    assert "NOT PRODUCTION CODE" in output
    assert "--admin-password-file" in output


def test_command_line_server(tmp_path):
    password_file = tmp_path / "admin-password"
    password_file.write_text(ADMIN_PASSWORD + "\n")
    process = subprocess.Popen(
        [_console_script(), "--listen", "127.0.0.1:0", "--realm", REALM, "--domain", DOMAIN,
         "--admin-password-file", str(password_file), "--state", str(tmp_path / "state.json")],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        match = _wait_for_line(process, r"listening on (http://127\.0\.0\.1:\d+)")
        url = match.group(1)
        assert Rpc(url, path="/ipa/session/json", session=login(url))("ping")["summary"]
        assert ADMIN_PASSWORD not in " ".join(process.args)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
        _wait_for_line(process, "stopping")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()
    assert os.path.exists(tmp_path / "state.json")


def test_command_line_reports_a_bad_start(tmp_path):
    state = tmp_path / "state.json"
    state.write_text("not json")
    done = subprocess.run(
        [_console_script(), "--listen", "127.0.0.1:0", "--realm", REALM, "--domain", DOMAIN,
         "--admin-password", "x", "--state", str(state)],
        capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert "cannot start" in done.stderr and "Traceback" not in done.stderr
