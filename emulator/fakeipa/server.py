"""FakeIpaServer: the emulator on a real socket, served by cheroot in a thread.

Requests run on a large thread pool, so injected latency overlaps between
concurrent clients the way a real server's would; only the directory itself
is serialised (one lock, held for the duration of a command).
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any

from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

from fakeipa import seed
from fakeipa.app import FakeIpaApp
from fakeipa.commands.base import ServerEnv
from fakeipa.commands.dns import new_zone
from fakeipa.store import Directory

LOG = logging.getLogger(__name__)
THREADS = 128
POLL_INTERVAL = 0.05


class FakeIpaServer:
    """A FakeIPA server. Not for production: see :mod:`fakeipa`.

    ``hostname`` is the name the server believes it has (default: the listen
    host). It is the host of its ``HTTP/<hostname>@<realm>`` service
    principal, which must be in ``keytab`` for SPNEGO, and of the name server
    of its DNS zones, and the one Referer host it accepts (``https://<hostname>/ipa``,
    no port: see doc/freeipa-behaviour.md section 1). Without TLS and without a
    keytab, ``/ipa/json`` accepts unauthenticated calls (FreeIPA lite-server style).
    """

    def __init__(self, realm: str, domain: str, admin_password: str,
                 listen: tuple[str, int] = ("127.0.0.1", 0), keytab: str | None = None,
                 tls_cert: str | None = None, tls_key: str | None = None,
                 state_file: str | None = None, latency_ms: int = 0,
                 failure_rate: float = 0.0, session_lifetime: float = 1200,
                 hostname: str | None = None, max_hostname_length: int = 64,
                 ipa_version: str | None = None) -> None:
        if bool(tls_cert) != bool(tls_key):
            raise ValueError("tls_cert and tls_key go together")
        self._listen = (listen[0], int(listen[1]))
        self._tls = (tls_cert, tls_key) if tls_cert else None
        self.env = ServerEnv(realm=realm, domain=domain.lower().rstrip("."),
                             hostname=(hostname or listen[0]).lower(),
                             max_hostname_length=max_hostname_length,
                             **({"ipa_version": ipa_version} if ipa_version else {}))
        self._store = Directory(realm, self.env.domain, state_file)
        if not self._store.loaded:
            self._create_domain_zone()
        if not self._store.permissions:  # new, or a state file from before RBAC
            seed.populate(self._store, self.env)
        self._app = FakeIpaApp(self.env, self._store, admin_password=admin_password,
                               keytab=keytab, tls=self._tls is not None,
                               session_lifetime=session_lifetime, latency_ms=latency_ms,
                               failure_rate=failure_rate)
        self._server: wsgi.Server | None = None
        self._thread: threading.Thread | None = None

    def _create_domain_zone(self) -> None:
        name = self.env.domain + "."
        with self._store.writing():
            self._store.zones[name] = new_zone(self.env, name)

    # -- life cycle ------------------------------------------------------------

    def start(self) -> FakeIpaServer:
        if self._server is not None:
            raise RuntimeError("FakeIPA server already started")
        server = wsgi.Server(self._listen, self._app, numthreads=THREADS,
                             server_name="FakeIPA", shutdown_timeout=1,
                             # Many clients at once (benchmarks, fault tests): a deep listen
                             # backlog and as many kept-alive connections as threads.
                             request_queue_size=socket.SOMAXCONN)
        server.keep_alive_conn_limit = THREADS
        # How long the accept loop may sleep, hence how long stop() waits for it.
        server.expiration_interval = POLL_INTERVAL
        server.error_log = _log_http_error
        if self._tls:
            server.ssl_adapter = BuiltinSSLAdapter(*self._tls)
        server.prepare()
        self._server = server
        self._thread = threading.Thread(target=server.serve, name="fakeipa", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.stop()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> FakeIpaServer:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    # -- what tests and tools need -----------------------------------------------

    @property
    def host(self) -> str:
        return self._listen[0]

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeIPA server not started")
        return self._server.bind_addr[1]

    @property
    def url(self) -> str:
        scheme = "https" if self._tls else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    @property
    def json_url(self) -> str:
        return f"{self.url}/ipa/json"

    @property
    def store(self) -> Directory:
        """The directory, for assertions (take ``store.lock`` to read it safely)."""
        return self._store

    @property
    def app(self) -> FakeIpaApp:
        return self._app

    def expire_sessions(self) -> None:
        """End every session now, as if their Kerberos tickets had expired."""
        self._app.sessions.expire_all()


def _log_http_error(msg: str = "", level: int = logging.INFO, traceback: bool = False) -> None:
    """cheroot's connection-level complaints, through logging instead of stderr."""
    LOG.log(level, "%s", msg, exc_info=traceback)
