"""novajoin-server as operators run it: a process with a config file and signals."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.api.conftest import conf_text, nova_body

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serves_and_stops_cleanly_on_sigterm(fakeipa, tmp_path):
    port = free_port()
    conf = tmp_path / "join.conf"
    conf.write_text(conf_text(fakeipa, join_listen="127.0.0.1", join_listen_port=port,
                              log_file=tmp_path / "server.log"))
    proc = subprocess.Popen([BIN / "novajoin-server", "--config-file", conf])
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/healthcheck", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "novajoin-server did not come up"
                assert proc.poll() is None, "novajoin-server exited"
                time.sleep(0.1)
        resp = requests.post(f"http://127.0.0.1:{port}/v1/", json=nova_body(hostname="proc"),
                             timeout=10)
        assert resp.status_code == 200
        otp = resp.json()["ipaotp"]
        # Nothing secret on the command line of the process.
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().decode()
        assert otp not in cmdline and "ipa_password" not in cmdline
        assert otp not in (tmp_path / "server.log").read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=15)
    assert rc == 0


def test_missing_domain_is_a_clear_error(fakeipa, tmp_path):
    conf = tmp_path / "join.conf"
    conf.write_text(conf_text(fakeipa).replace("domain = ", "# domain = "))
    result = subprocess.run([BIN / "novajoin-server", "--config-file", conf],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "'domain' option is not set" in result.stderr + result.stdout
