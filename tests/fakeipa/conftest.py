"""Helpers for talking to a FakeIPA server over real HTTP, as IPA clients do."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.fakeipa import ipalib
from tests.support import ADMIN_PASSWORD, DOMAIN, REALM, require

CLIENT_VERSION = "2.229"


def base_url(server: Any) -> str:
    """A server's URL; tests pass FakeIpaServer objects or plain URLs."""
    return server if isinstance(server, str) else server.url


def referer(url: str) -> str:
    """The one Referer IPA accepts: https://<its FQDN>/ipa, whatever the scheme, no port
    (doc/freeipa-behaviour.md section 1). The test servers' FQDN is the host of their URL."""
    return f"https://{urlsplit(url).hostname}/ipa"


class Rpc:
    """A minimal JSON-RPC caller for one endpoint of a FakeIPA server."""

    def __init__(self, server: Any, *, path: str = "/ipa/json",
                 version: str | None = CLIENT_VERSION, session: requests.Session | None = None,
                 **request_kwargs: Any) -> None:
        self.base_url = base_url(server)
        self.url = self.base_url + path
        self.version = version
        self.http = session or requests.Session()
        self.request_kwargs = request_kwargs

    def post(self, body: Any, **headers: str) -> requests.Response:
        sent = {"Referer": referer(self.base_url), "Content-Type": "application/json"}
        sent.update(headers)
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        return self.http.post(self.url, data=data, headers=sent, timeout=10,
                              **self.request_kwargs)

    def envelope(self, method: str, *args: Any, **options: Any) -> dict:
        """The whole JSON answer of one call (HTTP 200 is asserted)."""
        if self.version is not None:
            options.setdefault("version", self.version)
        response = self.post({"method": method, "params": [list(args), options], "id": 7})
        assert response.status_code == 200, response.text
        return response.json()

    def __call__(self, method: str, *args: Any, **options: Any) -> dict:
        """The command's output; fails the test on an error."""
        answer = self.envelope(method, *args, **options)
        assert answer["error"] is None, answer["error"]
        return answer["result"]

    def error(self, method: str, *args: Any, **options: Any) -> dict:
        """The error object of a call that must fail."""
        answer = self.envelope(method, *args, **options)
        assert answer["result"] is None
        assert answer["error"] is not None
        return answer["error"]


def login(server: Any, session: requests.Session | None = None, **request_kwargs: Any
          ) -> requests.Session:
    """A session logged in as admin; the cookie is copied so it also works over http
    (the cookie is ``secure``, so requests would only send it over https)."""
    session = session or requests.Session()
    url = base_url(server)
    response = session.post(url + "/ipa/session/login_password",
                            data={"user": "admin", "password": ADMIN_PASSWORD},
                            headers={"Referer": referer(url)}, timeout=10, **request_kwargs)
    assert response.status_code == 200, response.text
    token = response.cookies["ipa_session"]
    session.headers["Cookie"] = f"ipa_session={token}"
    return session


@pytest.fixture
def ipa(fakeipa) -> Rpc:
    """JSON-RPC to the plain-HTTP emulator's /ipa/json (no authentication needed)."""
    return Rpc(fakeipa)


def otp_host(ipa: Rpc, fqdn: str, otp: str = "otp-1", **options: Any) -> dict:
    return ipa("host_add", fqdn, userpassword=otp, force=True, **options)["result"]


def enroll(server, fqdn: str, otp: str) -> requests.Response:
    return requests.post(server.url + "/ipa/fake/enroll", json={"fqdn": fqdn, "otp": otp},
                         timeout=10)


@pytest.fixture
def drive(fakeipa, tmp_path):
    """Run a drive.py scenario against a fresh emulator; returns its report."""
    python = os.environ.get("NOVAJOIN_IPALIB_PYTHON",
                            str(ipalib.ROOT / ".venv-ipalib" / "bin" / "python"))
    require(os.access(python, os.X_OK), f"the ipalib virtualenv ({python})")

    def run(scenario: str) -> dict:
        # ipalib caches server data in ~/.cache/ipa: keep it in the test's directory.
        env = {**os.environ, "HOME": str(tmp_path), "PYTHONWARNINGS": "ignore"}
        done = subprocess.run([python, str(ipalib.SCRIPT), fakeipa.url, REALM, DOMAIN,
                               str(tmp_path), scenario],
                              capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        crashes = {k: v["crash"] for k, v in report.items() if "crash" in v}
        assert not crashes, crashes  # e.g. ipalib's output validation refusing an answer
        return report

    return run
