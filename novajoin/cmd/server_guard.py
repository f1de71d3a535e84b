"""Connections that cannot hold novajoin-server's threads by sending slowly (slowloris).

cheroot gives each connection a worker thread once its first bytes arrive, and that
thread then blocks until the request is read; its socket timeout applies per read,
so a client sending one header line every few seconds keeps the thread forever.

* Every read of a request (headers and body) shares one deadline,
  ``join_read_timeout`` after the request began: past it the read times out and
  cheroot answers 408.
* One client address may have at most ``join_client_reading`` connections in the
  middle of sending a request; more are closed at once. A request that has been read
  (and waits on IPA) no longer counts.
"""

from __future__ import annotations

import collections
import socket
import threading
import time
from typing import Any

from cheroot import server as cheroot_server
from cheroot.makefile import MakeFile


class _DeadlineSocket:
    """A socket whose reads end at a deadline the connection sets per request."""

    def __init__(self, sock: socket.socket, timeout: float) -> None:
        self._sock = sock
        self._timeout = timeout
        self.deadline: float | None = None

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("timed out")
            self._sock.settimeout(min(left, self._timeout) if self._timeout else left)
        try:
            return self._sock.recv_into(buffer, nbytes, flags)
        except TimeoutError as exc:
            raise TimeoutError("timed out") from exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class Reading:
    """How many connections of each client address are still sending their request."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._count: collections.Counter[str] = collections.Counter()

    def enter(self, client: str) -> bool:
        with self._lock:
            if self._count[client] >= self.limit:
                return False
            self._count[client] += 1
            return True

    def leave(self, client: str) -> None:
        with self._lock:
            self._count[client] -= 1
            if self._count[client] <= 0:
                del self._count[client]


def connection_class(read_timeout: float, reading: Reading) -> type[cheroot_server.HTTPConnection]:
    """A cheroot connection class enforcing ``read_timeout`` and ``reading``'s limit."""

    class Request(cheroot_server.HTTPRequest):
        def parse_request(self) -> None:
            try:
                super().parse_request()
            finally:
                self.conn.done_reading_headers()

    class GuardedConnection(cheroot_server.HTTPConnection):
        RequestHandlerClass = Request

        def __init__(self, server: Any, sock: Any, makefile: Any = MakeFile) -> None:
            self._guarded = _DeadlineSocket(sock, getattr(server, "timeout", 10) or 0)
            super().__init__(server, self._guarded, makefile)
            self.socket = sock
            self._counted = False

        def done_reading_headers(self) -> None:
            if self._counted:
                self._counted = False
                reading.leave(str(self.remote_addr))

        def communicate(self) -> bool:
            client = str(self.remote_addr)
            if not reading.enter(client):
                return False  # this client already has its share of threads
            self._counted = True
            # Headers and body share one deadline (the body is read by the application).
            self._guarded.deadline = time.monotonic() + read_timeout
            try:
                return bool(super().communicate())
            finally:
                self.done_reading_headers()
                self._guarded.deadline = None

    return GuardedConnection
