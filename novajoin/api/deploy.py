"""The WSGI stack of novajoin-server, composed in code.

From the outside in, a request meets:

1. ``HTTPProxyToWSGI`` — trusts X-Forwarded-* from a TLS-terminating proxy
   (in the stack only when ``[oslo_middleware] enable_proxy_headers_parsing``
   is on), so URLs in answers are the ones nova used.
2. ``RequestId`` — gives the request an id (``x-openstack-request-id``) that
   every log line and error body carries.
3. ``RequestLog`` — one access line per request (method, path, status, time)
   and the request metrics.
4. ``JsonErrors`` — gives the answers of the layers below it (the 401 of
   keystonemiddleware, the 413 of the size limit) novajoin's error body.
5. ``RequestBodySizeLimiter`` — refuses bodies over
   ``[oslo_middleware] max_request_body_size`` before anything reads them.
6. ``/healthcheck`` (alive), ``/ready`` (IPA reachable and accepting
   novajoin's credentials) and ``/metrics`` — answered here, before
   authentication, for load balancers and Prometheus.
7. keystonemiddleware ``auth_token`` — validates nova's service token
   (skipped with ``auth_strategy = noauth``).
8. ``ContextMiddleware`` — turns the token's identity into an oslo.context
   ``RequestContext`` for policy checks.
9. ``FaultWrapper`` — the one catch-all: anything unexpected becomes a JSON 500.
10. ``Handler`` — routes, handler functions, and the mapping of novajoin's
   exceptions to 4xx/5xx answers.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import prometheus_client
from keystonemiddleware import auth_token
from oslo_context import context as oslo_context
from oslo_middleware import healthcheck, http_proxy_to_wsgi, request_id, sizelimit

from novajoin.api.context import ApiServices
from novajoin.api.errors import JsonErrors
from novajoin.api.fault import FaultWrapper
from novajoin.api.handler import ROUTES, Handler
from novajoin.api.readiness import Readiness

LOG = logging.getLogger("novajoin.api.access")
# Routes measured by their own label; anything else is "other" (bounded labels).
KNOWN_PATHS = frozenset(ROUTES) | {"/healthcheck", "/metrics", "/ready"}


class ContextMiddleware:
    """Put a ``RequestContext`` built from the validated token in the environ."""

    def __init__(self, application, noauth: bool = False) -> None:
        self.application = application
        self.noauth = noauth

    def __call__(self, environ, start_response):
        if self.noauth:
            ctx = oslo_context.RequestContext(roles=["admin"], is_admin=True,
                                              request_id=environ.get("openstack.request_id"))
        else:
            ctx = oslo_context.RequestContext.from_environ(environ)
        environ["novajoin.context"] = ctx
        return self.application(environ, start_response)


class RequestLog:
    """One access log line and the request metrics per request; never the body."""

    def __init__(self, application, metrics=None) -> None:
        self.application = application
        self.metrics = metrics

    def __call__(self, environ, start_response):
        start = time.monotonic()
        status_holder = []

        def _start_response(status, headers, exc_info=None):
            status_holder.append(status)
            return start_response(status, headers, exc_info)

        result = self.application(environ, _start_response)
        elapsed = time.monotonic() - start
        status = status_holder[0].split(" ", 1)[0] if status_holder else "-"
        LOG.info("%s %s %s %s %.1fms", environ.get("REMOTE_ADDR", "-"),
                 environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"), status, elapsed * 1000)
        if self.metrics is not None:
            path = environ.get("PATH_INFO", "")
            route = path if path in KNOWN_PATHS else "other"
            self.metrics.requests.labels(route, environ.get("REQUEST_METHOD", "-"),
                                         status).inc()
            self.metrics.request_seconds.labels(route).observe(elapsed)
        return result


class PathSplit:
    """Send one exact path to another application (health check, metrics)."""

    def __init__(self, application, path: str, other) -> None:
        self.application, self.path, self.other = application, path, other

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == self.path:
            return self.other(environ, start_response)
        return self.application(environ, start_response)


def with_content_length(application):
    """``application``'s answers with a Content-Length.

    prometheus_client's has none; cheroot then sends the body chunked, but uWSGI's
    HTTP/1.1 socket sends it as is and keeps the connection, so a keep-alive client
    (a Prometheus scraper) waits for the end of a body that never comes.
    """
    def sized(environ, start_response):
        answer: list = []
        written: list[bytes] = []

        def capture(status, headers, exc_info=None):
            answer[:] = [status, headers, exc_info]
            return written.append

        rest = b"".join(application(environ, capture))
        body = b"".join(written) + rest
        status, headers, exc_info = answer
        if not any(name.lower() == "content-length" for name, _ in headers):
            headers = [*headers, ("Content-Length", str(len(body)))]
        start_response(status, headers, exc_info)
        return [body]
    return sized


def deploy(services: ApiServices):
    """The novajoin-server WSGI application for ``services``."""
    conf = services.conf
    noauth = conf.auth_strategy == "noauth"
    if noauth:
        logging.getLogger(__name__).warning(
            "auth_strategy = noauth: novajoin-server accepts requests from anyone who can "
            "reach it and will create IPA hosts for them. Use this for development only.")
    auth = None if noauth else auth_token.filter_factory({}, oslo_config_config=conf)

    metrics_app = (with_content_length(prometheus_client.make_wsgi_app(
        services.metrics.registry)) if services.metrics is not None else None)
    application: Any = Handler(services)
    # Innermost first; see the module docstring for what each layer does.
    for middleware in (
        FaultWrapper,
        lambda app: ContextMiddleware(app, noauth=noauth),
        auth,
        lambda app: PathSplit(app, "/healthcheck", healthcheck.Healthcheck(None, conf)),
        metrics_app and (lambda app: PathSplit(app, "/metrics", metrics_app)),
        lambda app: PathSplit(app, "/ready", Readiness(services.ipa)),
        lambda app: sizelimit.RequestBodySizeLimiter(app, conf),
        JsonErrors,
        lambda app: RequestLog(app, services.metrics),
        lambda app: request_id.RequestId(app, conf),
        lambda app: _proxy_headers(app, conf),
    ):
        if middleware is not None:
            application = middleware(application)
    return application


def _proxy_headers(application, conf):
    """``HTTPProxyToWSGI`` when ``enable_proxy_headers_parsing`` is on; else nothing.

    Off, the middleware passes every request through unchanged, yet costs a webob
    request and an ``inspect`` of its own method per request. Building it registers
    its options, so the setting can be read afterwards.
    """
    proxy = http_proxy_to_wsgi.HTTPProxyToWSGI(application, conf)
    return proxy if conf.oslo_middleware.enable_proxy_headers_parsing else application
