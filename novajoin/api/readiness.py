"""GET /ready: whether this process can enroll instances now (IPA reachable and accepting us).

``/healthcheck`` says the process is alive; ``/ready`` asks IPA (a ``ping``,
which needs a working login) so a load balancer can take a replica whose
IPA connection or credentials fail out of rotation. The answer is remembered
for a few seconds: probes must not become load on IPA.
"""

from __future__ import annotations

import json
import threading
import time

import webob

from novajoin import exception


class Readiness:
    def __init__(self, ipa, ttl: float = 5.0, clock=time.monotonic) -> None:
        self._ipa, self._ttl, self._clock = ipa, ttl, clock
        self._lock = threading.Lock()
        self._last: tuple[float, bool, str] | None = None

    def check(self) -> tuple[bool, str]:
        with self._lock:
            now = self._clock()
            if self._last is None or now - self._last[0] >= self._ttl:
                try:
                    ok, detail = True, self._ipa.ping()
                except exception.IpaError as exc:
                    ok, detail = False, f"{type(exc).__name__}: {exc}"
                self._last = (now, ok, detail)
            return self._last[1], self._last[2]

    def __call__(self, environ, start_response):
        ok, detail = self.check()
        body = {"ready": ok, "checks": {"ipa": {"ok": ok, "detail": detail}}}
        resp = webob.Response(status=200 if ok else 503, content_type="application/json",
                              charset="utf-8", body=json.dumps(body).encode())
        return resp(environ, start_response)
