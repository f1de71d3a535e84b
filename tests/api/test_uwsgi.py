"""The API under uWSGI with the shipped files/uwsgi/novajoin-api.ini (doc/deployment.md).

uWSGI from PyPI, the build the tests' Keystone runs under; the application from this
project's virtualenv.
"""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import requests

from tests.api.conftest import conf_text, wait_healthy
from tests.openstack.fixtures import _need
from tests.support import free_port, nova_body

INI = Path(__file__).resolve().parents[2] / "files" / "uwsgi" / "novajoin-api.ini"


@contextlib.contextmanager
def uwsgi_server(uwsgi: Path, fakeipa, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    conf = tmp_path / "join.conf"
    conf.write_text(conf_text(fakeipa, log_file=tmp_path / "novajoin.log"))
    out = tmp_path / "uwsgi.log"
    with open(out, "w") as log:
        # As an operator would start it, but on a free port and with this virtualenv.
        proc = subprocess.Popen(
            [uwsgi, "--set-ph", f"novajoin_listen=127.0.0.1:{port}", "--ini", INI,
             "--virtualenv", sys.prefix, "--env", f"NOVAJOIN_CONFIG_FILE={conf}"],
            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, out, "uwsgi", 60)
        yield url, out
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=70)
    assert proc.returncode == 0, out.read_text()[-2000:]


def test_shipped_uwsgi_config_serves_the_api(openstack_venvs, fakeipa, tmp_path):
    uwsgi = _need(openstack_venvs, "keystone").bin("uwsgi")
    with uwsgi_server(uwsgi, fakeipa, tmp_path) as (url, out), requests.Session() as s:
        # One keep-alive connection throughout, as nova's and a Prometheus scraper's.
        body = nova_body(hostname="uwsgi")
        first = s.post(url + "/v1/", json=body, timeout=10)
        assert first.status_code == 200 and first.json()["ipaotp"]
        metrics = s.get(url + "/metrics", timeout=10)  # a body without a length hangs here
        assert metrics.status_code == 200 and "novajoin_" in metrics.text
        again = s.post(url + "/v1/", json=body, timeout=10)
        assert again.json() == first.json()
        # lazy-apps: each of the two workers builds its own application after the fork
        # (without it the master builds one before forking and logs a single line).
        assert workers_that_built_an_app(out, want=2) == 2, out.read_text()[-2000:]


def workers_that_built_an_app(log: Path, want: int, timeout: float = 30) -> int:
    """Each worker imports on its own; one may answer every request before the other is ready."""
    deadline = time.monotonic() + timeout
    while True:
        built = set(re.findall(r"WSGI app 0 .* pid: (\d+)", log.read_text()))
        if len(built) >= want or time.monotonic() > deadline:
            return len(built)
        time.sleep(0.2)
