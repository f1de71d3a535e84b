"""novajoin-server as operators run it: a process with a config file and signals."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import requests

from tests.api.conftest import conf_text, running_server
from tests.support import nova_body

BIN = Path(sys.executable).parent


def test_serves_and_stops_cleanly_on_sigterm(fakeipa, tmp_path):
    with running_server(fakeipa, tmp_path) as (url, proc, log):
        resp = requests.post(url + "/v1/", json=nova_body(hostname="proc"), timeout=10)
        assert resp.status_code == 200
        otp = resp.json()["ipaotp"]
        # Nothing secret on the command line of the process, nor in its log.
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().decode()
        assert otp not in cmdline and "ipa_password" not in cmdline
        assert otp not in log.read_text()
    assert proc.returncode == 0


def test_missing_domain_is_a_clear_error(fakeipa, tmp_path):
    conf = tmp_path / "join.conf"
    conf.write_text(conf_text(fakeipa).replace("domain = ", "# domain = "))
    result = subprocess.run([BIN / "novajoin-server", "--config-file", conf],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "'domain' option is not set" in result.stderr + result.stdout


def test_workers_share_the_port_and_stop_together(fakeipa, tmp_path):
    with running_server(fakeipa, tmp_path, join_workers=2) as (url, proc, log):
        for i in range(40):  # new connections: the kernel spreads them over the workers
            resp = requests.post(url + "/v1/", json=nova_body(hostname=f"w{i}"), timeout=10,
                                 headers={"Connection": "close"})
            assert resp.status_code == 200
        text = log.read_text()
        pids = {line.split("(pid ")[1].split(")")[0] for line in text.splitlines()
                if "listening on" in line}
        assert len(pids) == 2
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        assert len(children) == 2
    assert proc.returncode == 0
    for pid in children:
        assert not Path(f"/proc/{pid}").exists()
