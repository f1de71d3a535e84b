"""novajoin's exceptions as HTTP answers: status, stable code, and body.

The codes are public and never change meaning; nova only logs the status, so
the detail is for the operator reading novajoin's or nova's log. Bodies follow
the OpenStack API-WG error format used by placement::

    {"errors": [{"status": 400, "title": "Bad Request", "code": "novajoin.request.invalid",
                 "detail": "Invalid request: 'hostname' is missing", "request_id": "req-..."}]}
"""

from __future__ import annotations

import json

import webob

from novajoin import exception

# Answers made by the middleware below novajoin's handler (keystonemiddleware's 401,
# oslo.middleware's 413), given novajoin's error body by JsonErrors.
_BY_STATUS = {401: "novajoin.auth.unauthenticated", 413: "novajoin.request.too_large"}

NOT_FOUND = "novajoin.route.notfound"
METHOD_NOT_ALLOWED = "novajoin.route.method"
INTERNAL = "novajoin.internal"


def classify(exc: exception.NovajoinError) -> tuple[int, str]:
    """The status and stable code of a novajoin exception: both are read from its class."""
    return exc.http_status, exc.code


class JsonErrors:
    """Give every error answer novajoin's body, whoever made it.

    keystonemiddleware (401) and oslo.middleware (413) answer in their own
    formats; callers and the API description get one. Headers such as
    ``WWW-Authenticate`` are kept.
    """

    # Probes keep their own formats (oslo.middleware's, /ready's, Prometheus').
    PASS = frozenset({"/healthcheck", "/ready", "/metrics"})

    def __init__(self, application) -> None:
        self.application = application

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") in self.PASS:
            return self.application(environ, start_response)
        # Answers below 400 pass through untouched; only an error is read and rewritten.
        started: list = []
        error: list = []

        def _start_response(status, headers, exc_info=None):
            started.append(status)
            if int(status[:3]) < 400:
                return start_response(status, headers, exc_info)
            error[:] = [status, headers]
            return _unused_write

        result = self.application(environ, _start_response)
        if not started:  # an application that starts its answer as it is iterated
            result = _drained(result)
        if not error:
            return result
        resp = webob.Response(status=error[0], headerlist=list(error[1]),
                              body=b"".join(_drained(result)))
        if not _ours(resp):
            detail = resp.status
            if resp.content_type == "application/json":
                try:
                    detail = json.loads(resp.body)["error"]["message"]
                except (ValueError, KeyError, TypeError):
                    detail = resp.status
            new = response(resp.status_int, _BY_STATUS.get(resp.status_int,
                                                           "novajoin.request.invalid"),
                           detail, environ.get("openstack.request_id"))
            for name in ("WWW-Authenticate", "x-openstack-request-id"):
                if name in resp.headers:
                    new.headers[name] = resp.headers[name]
            resp = new
        return resp(environ, start_response)


def _drained(result) -> list[bytes]:
    try:
        return list(result)
    finally:
        getattr(result, "close", lambda: None)()


def _unused_write(data: bytes) -> None:
    raise RuntimeError("novajoin's middleware answers through the iterable, not write()")


def _ours(resp: webob.Response) -> bool:
    if resp.content_type != "application/json":
        return False
    try:
        return "errors" in json.loads(resp.body)
    except ValueError:
        return False


def response(status: int, code: str, detail: str, request_id: str | None,
             headers: dict[str, str] | None = None) -> webob.Response:
    body = {"errors": [{"status": status, "title": webob.Response(status=status).status[4:],
                        "code": code, "detail": detail, "request_id": request_id}]}
    resp = webob.Response(status=status, content_type="application/json", charset="utf-8",
                          body=json.dumps(body).encode())
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp
