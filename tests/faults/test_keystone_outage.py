"""Keystone unreachable: novajoin-server answers 503 (never 500) and recovers by itself.

The shared Keystone keeps running for the other tests. novajoin-server alone loses it:
its process reaches Keystone only through an HTTP proxy (``http_proxy``) that the test
switches off and on. A proxy rather than a forwarder on ``auth_url``: keystonemiddleware
and openstacksdk validate tokens and look projects up at the URLs of Keystone's catalog,
not at ``auth_url``, so only a proxy cuts every path. novajoin's IPA client ignores proxy
variables (``trust_env = False``), so IPA stays reachable.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.api.conftest import conf_text, keystone_sections
from tests.support import free_port, nova_body, wait_until

_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "te",
               "trailer", "transfer-encoding", "upgrade", "content-length"}


class _Forward(BaseHTTPRequestHandler):
    """Forwards one absolute-form request (``GET http://host:port/path``) upstream."""

    protocol_version = "HTTP/1.1"

    def _forward(self) -> None:
        if self.server.proxy.failing:  # as a balancer with no Keystone left behind it
            self.send_error(503, "No server is available to handle this request")
            return
        target = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        try:
            upstream.request(self.command, (target.path or "/") + (
                f"?{target.query}" if target.query else ""), body, headers)
            answer = upstream.getresponse()
            data = answer.read()
        finally:
            upstream.close()
        self.send_response(answer.status, answer.reason)
        for k, v in answer.getheaders():
            if k.lower() not in _HOP_BY_HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.server.proxy.forwarded += 1

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _forward

    def log_message(self, *args) -> None:  # quiet: the test reports what matters
        pass


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, proxy: SwitchableProxy) -> None:
        super().__init__(address, _Forward)
        self.proxy = proxy
        self.open: set[socket.socket] = set()

    def process_request(self, request, client_address) -> None:
        self.open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        self.open.discard(request)
        super().shutdown_request(request)


class SwitchableProxy:
    """A plain-HTTP forward proxy on a fixed port, in one of three states.

    ``up()``: it forwards. ``refuse()``: the port refuses connections and the open ones
    are cut, as when Keystone's host is gone. ``fail()``: every request is answered 503,
    as a load balancer does when no Keystone is left behind it.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.forwarded = 0  # requests forwarded to Keystone
        self.failing = False
        self._server: _ProxyServer | None = None
        self._thread: threading.Thread | None = None

    def up(self) -> None:
        self.failing = False
        self._listen()

    def fail(self) -> None:
        self.failing = True
        self._listen()

    def _listen(self) -> None:
        if self._server is None:
            self._server = _ProxyServer(("127.0.0.1", self.port), self)
            self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                            name="keystone-proxy", daemon=True)
            self._thread.start()

    def refuse(self) -> None:
        if self._server is None:
            return
        server, self._server = self._server, None
        server.shutdown()
        for conn in list(server.open):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        server.server_close()
        self._thread.join(timeout=10)


@pytest.fixture
def keystone_proxy():
    proxy = SwitchableProxy()
    yield proxy
    proxy.refuse()


@contextlib.contextmanager
def server_behind_proxy(fakeipa, tmp_path, proxy: SwitchableProxy, sections: str, **extra):
    """novajoin-server as a process whose HTTP (but IPA's) goes through ``proxy``."""
    port = free_port()
    conf, log = tmp_path / f"join-{port}.conf", tmp_path / f"server-{port}.log"
    conf.write_text(conf_text(fakeipa, sections, join_listen="127.0.0.1",
                              join_listen_port=port, log_file=log, **extra))
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("no_proxy", "http_proxy")}
    env["http_proxy"] = env["HTTP_PROXY"] = proxy.url
    proc = subprocess.Popen([Path(sys.executable).parent / "novajoin-server",
                             "--config-file", conf], env=env)
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert proc.poll() is None, f"novajoin-server exited: {log.read_text()[-2000:]}"
        try:
            return requests.get(url + "/healthcheck", timeout=1).status_code == 200
        except requests.ConnectionError:
            return False

    try:
        wait_until(up, "novajoin-server to come up", 30)
        yield url, proc
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=40)


@pytest.mark.parametrize("outage", ["refuse", "fail"])
def test_keystone_outage_is_503_and_novajoin_recovers_without_restart(
        fakeipa, tmp_path, keystone, novajoin_user, keystone_proxy, outage):
    keystone_down = getattr(keystone_proxy, outage)
    projects = keystone.project_ids
    seen: list[int] = []

    def boot(server: str, token: str, project: str, name: str) -> requests.Response:
        # project_subdomain: novajoin asks Keystone the project's name, with its own
        # credentials, after keystonemiddleware validated nova's token.
        resp = requests.post(server + "/v1/", headers={"X-Auth-Token": token}, timeout=60,
                             json=nova_body(hostname=name, project_id=projects[project]))
        seen.append(resp.status_code)
        return resp

    def fresh_token() -> str:
        return keystone.issue_token(keystone.nova)  # straight from Keystone, no proxy

    def boots(server: str, project: str, name: str) -> bool:
        status = boot(server, fresh_token(), project, name).status_code
        assert status in (200, 503), status
        return status == 200

    keystone_down()  # from the start: nova's tokens cannot be validated
    with server_behind_proxy(fakeipa, tmp_path, keystone_proxy, keystone_sections(
            novajoin_user), auth_strategy="keystone", project_subdomain="true") as (server, proc):
        for _ in range(2):
            assert boot(server, fresh_token(), "demo", "ks-early").status_code == 503

        keystone_proxy.up()
        wait_until(lambda: boots(server, "demo", "ks-first"), "the first 200", 60)
        assert keystone_proxy.forwarded > 0  # Keystone was reached through the proxy only
        validated = fresh_token()
        assert boot(server, validated, "demo", "ks-cached").status_code == 200

        keystone_down()
        # A token keystonemiddleware never saw: it cannot be validated.
        assert boot(server, fresh_token(), "demo", "ks-down").status_code == 503
        # A token it validated before (its cache) passes; novajoin's own lookup of a
        # project it never named fails: 503 with novajoin's code.
        down = boot(server, validated, "service", "ks-own-lookup")
        assert down.status_code == 503
        assert down.json()["errors"][0]["code"] == "novajoin.openstack.unavailable"

        keystone_proxy.up()
        wait_until(lambda: boots(server, "service", "ks-again"), "a 200 again", 60)
        assert proc.poll() is None  # the same process, never restarted
    assert set(seen) == {200, 503}, seen  # and never a 500
