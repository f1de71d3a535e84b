"""The WSGI application: FreeIPA's HTTP endpoints plus the emulator's own.

IPA endpoints (``/ipa/...``) behave as Apache + FreeIPA's rpcserver do,
including the order of checks: authentication first (401), then the Referer
(400 "denied" on session endpoints, JSON 911 on ``/ipa/json``), then the
request itself. ``/ipa/json`` without TLS and without a keytab accepts
unauthenticated calls, like FreeIPA's development lite-server, so the
official client can be driven over plain HTTP; with TLS or a keytab it needs
SPNEGO or a session cookie.

Emulator endpoints under ``/ipa/fake/`` need no authentication: ``enroll``
(what ``ipa-client-install -w OTP`` does to a host entry), ``stats``,
``stats/reset``, ``faults`` (latency, random 503s, outage, and per-command IPA
errors such as the CA down), ``user`` (a non-admin user with a password, expired
unless said otherwise), ``cert`` (a certificate in an entry, from the IPA CA or
another) and ``keytab`` (a service gets keys, as ipa-getkeytab does).
The server's behaviour follows doc/freeipa-behaviour.md.
"""

from __future__ import annotations

import base64
import json
import logging
import random
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from webob import Request, Response

from fakeipa import auth, errors
from fakeipa.commands.base import ServerEnv
from fakeipa.commands.host import EnrollmentRefused, enroll_host
from fakeipa.rpc import RpcHandler, Stats
from fakeipa.store import Directory

LOG = logging.getLogger(__name__)
UNAUTHENTICATED = "UNKNOWN"


def _html(status: int, title: str, text: str) -> Response:
    body = (f"<html><head><title>{status} {title}</title></head>"
            f"<body><h1>{title}</h1><p>{text}</p></body></html>")
    return Response(body, status=status, content_type="text/html", charset="utf-8")


def _json(status: int, data: Any) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json",
                    charset="utf-8")


def referer_ok(request: Request, own_host: str) -> bool:
    """FreeIPA's JSON Referer rule (rpcserver.py ``wsgi_execute``; the same prefix test
    guards the login and session endpoints in 4.9.14-4.13.1, see
    doc/freeipa-behaviour.md section 1): a plain, case-sensitive prefix
    ``https://<api.env.host>/ipa``, where ``api.env.host`` is the server's own
    lower-case FQDN. No port, not the request's Host header, not an address the
    client happened to use."""
    referer = request.headers.get("Referer")
    if not referer:
        return False
    return referer.startswith(f"https://{own_host}/ipa")


class _FakeRefused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass
class _Auth:
    """The outcome of authenticating one request."""

    principal: str | None = None
    refusal: Response | None = None  # a 401 to send instead of an answer
    negotiated: bool = False  # authenticated by SPNEGO just now: start a session
    reply: str | None = None  # mutual-authentication token for WWW-Authenticate


class Faults:
    """Injected misbehaviour, changed at run time through ``/ipa/fake/faults``."""

    def __init__(self, latency_ms: int = 0, failure_rate: float = 0.0) -> None:
        self._lock = threading.Lock()
        self._random = random.Random()  # noqa: S311 - chaos, not security
        self.latency_ms = 0
        self.failure_rate = 0.0
        self.outage = False
        self.commands: dict[str, int] = {}
        self.update({"latency_ms": latency_ms, "failure_rate": failure_rate})

    def update(self, changes: dict[str, Any]) -> None:
        """Apply the given settings; ValueError names a bad one.

        ``commands`` maps a command name to an IPA error code that command then fails
        with, at the point FreeIPA would (see ``Call.inject``), or to null to clear it;
        ``{"commands": {}}`` leaves the others, ``{"commands": null}`` clears them all.
        """
        unknown = set(changes) - {"latency_ms", "failure_rate", "outage", "commands"}
        if unknown:
            raise ValueError(f"unknown setting {sorted(unknown)[0]!r}")
        if "commands" in changes:
            wanted = changes["commands"]
            if wanted is not None and not isinstance(wanted, dict):
                raise ValueError("commands must map command names to error codes")
            commands = {} if wanted is None else dict(self.commands)
            for name, code in (wanted or {}).items():
                if code is None:
                    commands.pop(name, None)
                elif isinstance(code, bool) or not isinstance(code, int) \
                        or code not in errors.BY_CODE:
                    raise ValueError(f"{name}: {code!r} is not an IPA error code")
                else:
                    commands[name] = code
            with self._lock:
                self.commands = commands
        latency = changes.get("latency_ms", self.latency_ms)
        rate = changes.get("failure_rate", self.failure_rate)
        outage = changes.get("outage", self.outage)
        if isinstance(latency, bool) or not isinstance(latency, int) or latency < 0:
            raise ValueError("latency_ms must be a non-negative integer")
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError("failure_rate must be a number between 0 and 1")
        if not isinstance(outage, bool):
            raise ValueError("outage must be true or false")
        with self._lock:
            self.latency_ms, self.failure_rate, self.outage = latency, float(rate), outage

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"latency_ms": self.latency_ms, "failure_rate": self.failure_rate,
                    "outage": self.outage, "commands": dict(self.commands)}

    def command_faults(self) -> dict[str, int]:
        with self._lock:
            return self.commands

    def should_fail(self) -> bool:
        with self._lock:
            return self.failure_rate > 0 and self._random.random() < self.failure_rate


class FakeIpaApp:
    """The emulator as a WSGI callable."""

    def __init__(self, env: ServerEnv, store: Directory, *, admin_password: str,
                 keytab: str | None = None, tls: bool = False, session_lifetime: float = 1200,
                 latency_ms: int = 0, failure_rate: float = 0.0) -> None:
        self.env = env
        self.store = store
        self.admin_password = admin_password
        self.tls = tls
        self.stats = Stats()
        self.sessions = auth.Sessions(session_lifetime)
        self.faults = Faults(latency_ms, failure_rate)
        self.rpc = RpcHandler(env, store, self.stats, self.faults.command_faults)
        self.acceptor = auth.SpnegoAcceptor(keytab, env.hostname, env.realm) if keytab else None
        self._routes = {
            "/ipa/session/login_password": self.login_password,
            "/ipa/session/login_kerberos": self.login_kerberos,
            "/ipa/session/json": self.session_json,
            "/ipa/json": self.plain_json,
            "/ipa/fake/enroll": self.fake_enroll,
            "/ipa/fake/stats": self.fake_stats,
            "/ipa/fake/stats/reset": self.fake_stats_reset,
            "/ipa/fake/faults": self.fake_faults,
            "/ipa/fake/user": self.fake_user,
            "/ipa/fake/cert": self.fake_cert,
            "/ipa/fake/keytab": self.fake_keytab,
        }

    def __call__(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        handler = self._routes.get(request.path_info)
        response = handler(request) if handler else _html(404, "Not Found", "no such page")
        return response(environ, start_response)

    # -- authentication ----------------------------------------------------

    def _unauthorized(self, clear_cookie: bool = False) -> Response:
        response = _html(401, "Unauthorized", "Unable to verify your Kerberos credentials")
        response.headers["WWW-Authenticate"] = "Negotiate"
        if clear_cookie:
            response.headers.add("Set-Cookie", auth.session_cookie(""))
        return response

    def _negotiate(self, request: Request) -> tuple[str, str | None] | None:
        """(principal, reply token) when the request carries an acceptable token."""
        if self.acceptor is None or "Authorization" not in request.headers:
            return None
        try:
            return self.acceptor.accept(request.headers["Authorization"])
        except auth.SpnegoError as exc:
            LOG.info("SPNEGO refused: %s", exc)
            return None

    def _new_session(self, response: Response, principal: str) -> None:
        response.headers.add("Set-Cookie", auth.session_cookie(self.sessions.create(principal)))

    def _authenticate(self, request: Request, *, session_only: bool) -> _Auth:
        """Who calls: a session, a SPNEGO token, or (plain HTTP, no keytab) nobody."""
        token = auth.token_from_cookie(request.cookies.get(auth.COOKIE_NAME))
        principal = self.sessions.principal(token)
        if principal is not None:
            return _Auth(principal)
        negotiated = self._negotiate(request)
        if negotiated is not None:
            return _Auth(negotiated[0], negotiated=True, reply=negotiated[1])
        if session_only or self.acceptor is not None or self.tls:
            return _Auth(refusal=self._unauthorized(clear_cookie=token is not None))
        return _Auth(UNAUTHENTICATED)

    # -- IPA endpoints -------------------------------------------------------

    def login_password(self, request: Request) -> Response:
        if self.faults.snapshot()["outage"]:
            return _html(503, "Service Unavailable", "outage")
        if not referer_ok(request, self.env.hostname):
            return _html(400, "Bad Request", "denied")
        if not (request.content_type or "").lower().startswith(
                "application/x-www-form-urlencoded"):
            return _html(400, "Bad Request",
                         "Content-Type must be application/x-www-form-urlencoded")
        if request.method != "POST":
            return _html(400, "Bad Request", "HTTP request method must be POST")
        users, passwords = request.POST.getall("user"), request.POST.getall("password")
        if len(users) != 1:
            return _html(400, "Bad Request",
                         "no user specified" if not users else "more than one user parameter")
        if len(passwords) != 1:
            return _html(400, "Bad Request", "no password specified" if not passwords
                         else "more than one password parameter")
        name = users[0].removesuffix(f"@{self.env.realm}")
        if name == "admin":
            known: tuple[str, bool] | None = (self.admin_password, False)
        else:
            with self.store.reading():
                known = self.store.users.get(name)
        if known is None or not secrets.compare_digest(passwords[0].encode(),
                                                       known[0].encode()):
            return self._login_refused("invalid-password", "invalid password")
        if known[1]:
            # A password an admin set starts expired (ipa-pwd-extop, IPA_CHANGETYPE_ADMIN):
            # kinit needs a new one, rpcserver.py login_password answers 401
            # password-expired (doc/freeipa-behaviour.md section 8e).
            return self._login_refused(
                "password-expired", f"Password has expired for user {name}@{self.env.realm}")
        response = Response(status=200, content_type="text/plain", charset="utf-8")
        self._new_session(response, f"{name}@{self.env.realm}")
        return response

    @staticmethod
    def _login_refused(reason: str, text: str) -> Response:
        response = _html(401, "Unauthorized", text)
        response.headers["X-IPA-Rejection-Reason"] = reason
        return response

    def login_kerberos(self, request: Request) -> Response:
        if self.faults.snapshot()["outage"]:
            return _html(503, "Service Unavailable", "outage")
        negotiated = self._negotiate(request)
        if negotiated is None:
            return self._unauthorized()
        if not referer_ok(request, self.env.hostname):
            return _html(400, "Bad Request", "denied")
        principal, reply = negotiated
        response = Response(status=200, content_type="text/plain", charset="utf-8")
        if reply:
            response.headers["WWW-Authenticate"] = f"Negotiate {reply}"
        self._new_session(response, principal)
        return response

    def session_json(self, request: Request) -> Response:
        return self._jsonrpc(request, session_only=True)

    def plain_json(self, request: Request) -> Response:
        return self._jsonrpc(request, session_only=False)

    def _jsonrpc(self, request: Request, *, session_only: bool) -> Response:
        self.stats.request_started()
        try:
            faults = self.faults.snapshot()
            if faults["outage"]:
                return _html(503, "Service Unavailable", "outage")
            if faults["latency_ms"]:
                time.sleep(faults["latency_ms"] / 1000)
            if self.faults.should_fail():
                return _html(503, "Service Unavailable", "injected failure")
            caller = self._authenticate(request, session_only=session_only)
            if caller.refusal is not None:
                return caller.refusal
            if session_only and not referer_ok(request, self.env.hostname):
                return _html(400, "Bad Request", "denied")
            response = Response(status=200, content_type="application/json", charset="utf-8")
            response.body = self._rpc_body(request, caller.principal)
            if caller.negotiated:
                # mod_auth_gssapi hands out a session after a Negotiate login.
                if caller.reply:
                    response.headers["WWW-Authenticate"] = f"Negotiate {caller.reply}"
                self._new_session(response, caller.principal)
            return response
        finally:
            self.stats.request_finished()

    def _rpc_body(self, request: Request, principal: str) -> bytes:
        if not referer_ok(request, self.env.hostname):
            referer = request.headers.get("Referer") or "missing"
            return self.rpc.marshal(None, errors.IpaRefererError(referer=referer), None,
                                    principal)
        if request.method != "POST" or not (request.content_type or "").startswith(
                "application/json"):
            # FreeIPA then reads the command name from the URL path.
            name = request.path_info.removeprefix("/ipa/").strip("/")
            return self.rpc.marshal(None, errors.IpaCommandNotFound(name=name), None,
                                    principal)
        return self.rpc.handle(request.body, principal)

    # -- emulator endpoints --------------------------------------------------

    def fake_enroll(self, request: Request) -> Response:
        if request.method != "POST":
            return _json(405, {"reason": "use POST"})
        try:
            data = json.loads(request.body or b"null")
            fqdn, otp = data["fqdn"], data["otp"]
        except (ValueError, TypeError, KeyError):
            return _json(400, {"reason": 'body must be JSON {"fqdn": ..., "otp": ...}'})
        try:
            return _json(200, enroll_host(self.store, self.env.realm, fqdn, otp))
        except EnrollmentRefused as exc:
            return _json(exc.status, {"reason": exc.reason})

    def _fake_body(self, request: Request, *keys: str) -> dict:
        if request.method != "POST":
            raise _FakeRefused(405, "use POST")
        try:
            data = json.loads(request.body or b"null")
            if not isinstance(data, dict) or not all(k in data for k in keys):
                raise ValueError
        except ValueError:
            raise _FakeRefused(400, f"body must be a JSON object with {', '.join(keys)}") \
                from None
        return data

    def fake_user(self, request: Request) -> Response:
        """A user other than admin with a password (``user_add --password``): expired
        unless ``"expired": false`` (as if the user had changed it since)."""
        try:
            data = self._fake_body(request, "uid", "password")
        except _FakeRefused as exc:
            return _json(exc.status, {"reason": exc.reason})
        with self.store.writing() as store:
            store.users[str(data["uid"]).lower()] = (str(data["password"]),
                                                     bool(data.get("expired", True)))
        return _json(200, {"uid": str(data["uid"]).lower()})

    def fake_cert(self, request: Request) -> Response:
        """A certificate in a host's or service's userCertificate: issued by the IPA CA
        (``"ipa_ca": true``, the default; Dogtag knows it) or by another CA."""
        try:
            data = self._fake_body(request, "entry")
        except _FakeRefused as exc:
            return _json(exc.status, {"reason": exc.reason})
        cert = base64.b64encode(b"0\x82" + secrets.token_bytes(64)).decode("ascii")
        with self.store.writing() as store:
            entry = store.services.get(data["entry"]) or store.hosts.get(data["entry"])
            if entry is None:
                return _json(404, {"reason": f"{data['entry']}: no such host or service"})
            entry.attrs.setdefault("usercertificate", []).append(cert)
            if data.get("ipa_ca", True):
                store.ca_certs[cert] = False
        return _json(200, {"certificate": cert})

    def fake_keytab(self, request: Request) -> Response:
        """What ipa-getkeytab does to a service: it gets Kerberos keys."""
        try:
            data = self._fake_body(request, "principal")
        except _FakeRefused as exc:
            return _json(exc.status, {"reason": exc.reason})
        with self.store.writing() as store:
            service = store.services.get(data["principal"])
            if service is None:
                return _json(404, {"reason": f"{data['principal']}: service not found"})
            service.has_keytab = True
        return _json(200, {"principal": data["principal"], "has_keytab": True})

    def fake_stats(self, request: Request) -> Response:
        if request.method != "GET":
            return _json(405, {"reason": "use GET"})
        return _json(200, self.stats.snapshot())

    def fake_stats_reset(self, request: Request) -> Response:
        if request.method != "POST":
            return _json(405, {"reason": "use POST"})
        self.stats.reset()
        return _json(200, self.stats.snapshot())

    def fake_faults(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                changes = json.loads(request.body or b"null")
                if not isinstance(changes, dict):
                    raise ValueError("body must be a JSON object")
                self.faults.update(changes)
            except ValueError as exc:
                return _json(400, {"reason": str(exc)})
        elif request.method != "GET":
            return _json(405, {"reason": "use GET or POST"})
        return _json(200, self.faults.snapshot())
