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
from oslo_policy import policy as oslo_policy

from novajoin import enrollment, exception, metadata, naming
from novajoin.api import request
from novajoin.openstack import CloudUnavailable

# Most specific first: the first class that matches wins.
_TABLE: list[tuple[type[BaseException], int, str]] = [
    (request.InvalidRequest, 400, "novajoin.request.invalid"),
    (naming.InvalidName, 400, "novajoin.name.invalid"),
    (enrollment.Rejected, 400, "novajoin.ipa.rejected"),
    (oslo_policy.PolicyNotAuthorized, 403, "novajoin.policy.forbidden"),
    (metadata.Forbidden, 403, "novajoin.metadata.forbidden"),
    (enrollment.Conflict, 409, "novajoin.name.conflict"),
    (exception.IpaBusy, 503, "novajoin.ipa.busy"),
    (exception.IpaError, 503, "novajoin.ipa.unavailable"),
    (CloudUnavailable, 503, "novajoin.openstack.unavailable"),
    (exception.ConfigError, 500, "novajoin.config"),
]

NOT_FOUND = "novajoin.route.notfound"
METHOD_NOT_ALLOWED = "novajoin.route.method"
INTERNAL = "novajoin.internal"


def classify(exc: BaseException) -> tuple[int, str] | None:
    for klass, status, code in _TABLE:
        if isinstance(exc, klass):
            return status, code
    return None


def response(status: int, code: str, detail: str, request_id: str | None,
             headers: dict[str, str] | None = None) -> webob.Response:
    body = {"errors": [{"status": status, "title": webob.Response(status=status).status[4:],
                        "code": code, "detail": detail, "request_id": request_id}]}
    resp = webob.Response(status=status, content_type="application/json", charset="utf-8",
                          body=json.dumps(body).encode())
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp
