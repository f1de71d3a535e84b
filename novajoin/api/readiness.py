"""GET /ready: whether this process can enroll instances now (IPA reachable and accepting us).

``/healthcheck`` says the process is alive; ``/ready`` asks IPA (a ``ping``,
which needs a working login) so a load balancer can take a replica whose
IPA connection or credentials fail out of rotation. The answer is remembered
for a few seconds: probes must not become load on IPA.
"""

from __future__ import annotations

import json
import logging
import threading
import time

import webob

from novajoin import exception

LOG = logging.getLogger(__name__)


def _generic(exc: exception.IpaError) -> str:
    if isinstance(exc, exception.IpaAuthError):
        return "IPA refuses novajoin's credentials; see novajoin's log"
    if isinstance(exc, exception.IpaUnavailable):
        return "IPA cannot be reached; see novajoin's log"
    return "IPA answers with an error; see novajoin's log"


class Readiness:
    """The last IPA check, renewed at most every ``ttl`` seconds by one prober at a time.

    While one request pings IPA (which may hang up to ``ipa_timeout``), the
    others get the last answer at once instead of queueing behind it.
    """

    def __init__(self, ipa, ttl: float = 5.0, clock=time.monotonic) -> None:
        self._ipa, self._ttl, self._clock = ipa, ttl, clock
        self._lock = threading.Lock()  # held only to read or store the answer
        self._probing = threading.Lock()
        self._last: tuple[float, bool, str] | None = None

    def check(self) -> tuple[bool, str]:
        with self._lock:
            last = self._last
        if last is not None and self._clock() - last[0] < self._ttl:
            return last[1], last[2]
        if not self._probing.acquire(blocking=last is None):
            assert last is not None  # only a first probe blocks
            return last[1], last[2]  # someone is asking IPA right now
        try:
            try:
                self._ipa.ping()
                ok, detail = True, "IPA answers novajoin"
            except exception.IpaError as exc:
                # /ready answers anyone who can reach the port: the IPA URL, user and
                # error text go to the log only.
                ok, detail = False, _generic(exc)
                LOG.warning("Not ready: %s: %s", type(exc).__name__, exc)
            with self._lock:
                self._last = (self._clock(), ok, detail)  # stamped when known, not when asked
            return ok, detail
        finally:
            self._probing.release()

    def __call__(self, environ, start_response):
        ok, detail = self.check()
        body = {"ready": ok, "checks": {"ipa": {"ok": ok, "detail": detail}}}
        resp = webob.Response(status=200 if ok else 503, content_type="application/json",
                              charset="utf-8", body=json.dumps(body).encode())
        return resp(environ, start_response)
