"""Routes as data, and the one place where novajoin's exceptions become HTTP answers."""

from __future__ import annotations

import json
import logging

import webob

from novajoin.api import errors, vendordata, versions
from novajoin.api.context import ApiServices
from novajoin.exception import NovajoinError

LOG = logging.getLogger(__name__)

# nova's target URL ends in /v1/ (join@http://127.0.0.1:9090/v1/); accept both.
ROUTES = {
    "/": {"GET": versions.list_versions},
    "/v1": {"POST": vendordata.create},
    "/v1/": {"POST": vendordata.create},
}


class Handler:
    """Dispatch to a handler function; map the exceptions it raises to answers."""

    def __init__(self, services: ApiServices) -> None:
        self._services = services

    def __call__(self, environ, start_response):
        req = webob.Request(environ)
        request_id = environ.get("openstack.request_id")
        methods = ROUTES.get(req.path_info)
        if methods is None:
            resp = errors.response(404, errors.NOT_FOUND, f"No route for {req.path_info}",
                                   request_id)
        elif req.method not in methods:
            resp = errors.response(405, errors.METHOD_NOT_ALLOWED,
                                   f"{req.method} is not allowed on {req.path_info}",
                                   request_id, {"Allow": ", ".join(sorted(methods))})
        else:
            try:
                body = json.dumps(methods[req.method](req, self._services)).encode()
                start_response("200 OK", [("Content-Type", "application/json"),
                                          ("Content-Length", str(len(body)))])
                return [body]
            except NovajoinError as exc:  # anything else reaches fault.py's catch-all
                status, code = errors.classify(exc)
                if self._services.metrics is not None and req.path_info in ("/v1", "/v1/"):
                    self._services.metrics.refusals.labels(code).inc()
                log = (LOG.debug if exc.logged_at_source  # logged once per interval
                       else LOG.warning if status >= 500 else LOG.info)
                log("%s %s -> %d %s: %s", req.method, req.path_info, status, code, exc)
                resp = errors.response(status, code, str(exc), request_id)
        return resp(environ, start_response)
