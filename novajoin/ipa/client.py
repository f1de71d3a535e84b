"""The production client for FreeIPA's JSON-RPC API.

One :class:`IpaClient` per process is shared by every thread (WSGI workers,
notification handlers): requests' connection pool is thread-safe, and the
session cookie is the client's own state behind a lock, so many threads can
find an expired session at once and still log in again only once.

What it speaks (see ``ipa-contract.md`` in the project's reference):

* ``POST /ipa/session/json`` with ``Referer: https://<server>/ipa`` and a
  pinned API version; command errors arrive in HTTP 200 answers and become
  :class:`~novajoin.exception.IpaCommandError` subclasses keyed by IPA's code.
* Login through :mod:`novajoin.ipa.auth`; an HTTP 401 (session expired)
  triggers exactly one new login and one retry of the request.
* ``batch`` returns one :class:`Outcome` per call; a failing call does not
  abort the others, as in IPA itself.

Every foreign error (requests, TLS, JSON) is translated here, once.
"""

from __future__ import annotations

import base64
import datetime
import http.cookiejar
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
import requests.adapters
import requests.structures

from novajoin import exception
from novajoin.domain.calls import IpaCall, Outcome
from novajoin.domain.redact import redact
from novajoin.ipa import auth as ipa_auth
from novajoin.ipa import gather as gather_
from novajoin.ipa import hostconf
from novajoin.ipa.hostconf import HostConf

LOG = logging.getLogger(__name__)

# API 2.229 is FreeIPA 4.6 (RHEL 7.5+). Servers since 4.4 accept any newer
# client minor too, but older ones reject it; 2.229 has every option novajoin
# sends, including service_add's skip_host_check.
API_VERSION = "2.229"

SESSION_COOKIE = "ipa_session"
ZONES_TTL = 300.0
DNS_HIDDEN = ("IPA has DNS but shows novajoin no DNS zone: novajoin's IPA role lacks "
              "'System: Read DNS Entries' (run novajoin-ipa-setup)")


def _decode_markers(obj: dict[str, Any]) -> Any:
    """Undo IPA's typed-value wrapping (``__dns_name__`` and friends)."""
    if len(obj) == 1:
        if "__dns_name__" in obj:
            return obj["__dns_name__"]
        if "__datetime__" in obj:
            return datetime.datetime.strptime(obj["__datetime__"], "%Y%m%d%H%M%SZ").replace(
                tzinfo=datetime.timezone.utc)
        if "__base64__" in obj:
            return base64.b64decode(obj["__base64__"])
    return obj


# rpcserver.py login_password's X-IPA-Rejection-Reason values (doc/freeipa-behaviour.md 8e).
_REJECTIONS = {
    "password-expired": (
        "the password has expired (IPA expires every password an admin sets): log in once "
        "as that user (kinit, or the IPA web UI) to choose a new one, then set it as "
        "ipa_password"),
    "invalid-password": "wrong user name or password",
    "krbprincipal-expired": "the user's Kerberos principal has expired",
    "user-locked": "the user is locked out after too many failed logins",
    "denied": "IPA denied the login",
}


class IpaClient:
    """Thread-safe FreeIPA JSON-RPC client with session login and re-login.

    :param url: IPA's JSON-RPC URL as novajoin 1.x configured it,
        ``https://ipa.example.com/ipa/json``; the session endpoint and the
        login endpoints are derived from it.
    :param login: a :class:`~novajoin.ipa.auth.KerberosLogin` or
        :class:`~novajoin.ipa.auth.PasswordLogin`.
    :param cafile: CA bundle verifying IPA's certificate (``True`` for the
        system store); verification cannot be turned off.
    :param connect_retries: extra attempts when IPA cannot be connected to.
    :param retry_delay: seconds before the first retry, doubled each time.
    """

    def __init__(
        self,
        url: str,
        login: ipa_auth.KerberosLogin | ipa_auth.PasswordLogin,
        *,
        cafile: str | bool = True,
        connect_timeout: float = 5.0,
        timeout: float = 60.0,
        connect_retries: int = 2,
        retry_delay: float = 1.0,
        pool_size: int = 16,
        max_concurrency: int = 0,
        queue_timeout: float = 2.0,
        metrics: Any = None,
        session: requests.Session | None = None,
        gather: int = 0,
    ) -> None:
        """:param gather: with n > 0, callers beyond n requests in flight share batches
        (:mod:`novajoin.ipa.gather`); novajoin-notify's ``ipa_gather_requests``."""
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise exception.ConfigError(reason=f"IPA url {url!r} is not an http(s) URL")
        base = urlunsplit((parts.scheme, parts.netloc, "/ipa", "", ""))
        self.url = url
        self._session_url = base + "/session/json"
        self._login_url = base + (
            "/session/login_password" if isinstance(login, ipa_auth.PasswordLogin)
            else "/session/login_kerberos")
        # IPA accepts only a Referer that starts with https://<its own FQDN>/ipa, byte for
        # byte: no port, whatever the scheme (http only ever reaches the emulator) and port
        # we use (rpcserver.py wsgi_execute; doc/freeipa-behaviour.md section 1). urlsplit
        # lower-cases the host name, as IPA's installer lower-cases its own.
        self._referer = f"https://{parts.hostname}/ipa"
        self._login = login
        self._verify = cafile
        self._timeout = (connect_timeout, timeout)
        # Backpressure: at most max_concurrency requests in flight to IPA.
        self._slots = threading.BoundedSemaphore(max_concurrency) if max_concurrency else None
        self._queue_timeout = queue_timeout
        self._metrics = metrics  # a novajoin.metrics.Metrics, or None
        self._connect_retries = connect_retries
        self._retry_delay = retry_delay

        # ``session`` lets a test mount a transport of its own (the emulator's WSGI
        # application in process); otherwise a pool of kept-alive connections.
        self._http = session or requests.Session()
        if session is None:
            adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=pool_size)
            self._http.mount("https://", adapter)
            self._http.mount("http://", adapter)
        # The cookie is ours to manage (see _session); the shared jar stores nothing.
        self._http.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        self._http.trust_env = False
        # Every JSON-RPC request goes to one URL with the same headers but the cookie:
        # prepared once, not merged and re-validated by requests on each request (see _post).
        self._rpc_url = requests.PreparedRequest()
        self._rpc_url.prepare_url(self._session_url, None)
        self._rpc_headers: requests.structures.CaseInsensitiveDict[str] = (
            requests.structures.CaseInsensitiveDict(
                {k: v if isinstance(v, str) else v.decode("latin-1")
                 for k, v in self._http.headers.items()}))
        self._rpc_headers.update({"Content-Type": "application/json",
                                  "Accept": "application/json", "Referer": self._referer})

        self._lock = threading.Lock()
        self._cookie: str | None = None
        self._generation = 0
        self._env: dict[str, Any] | None = None
        self._env_lock = threading.Lock()
        self._zones: tuple[float, list[str] | None] = (0.0, None)
        self._zones_lock = threading.Lock()
        self._gatherer = (gather_.Gatherer(self._execute_now, self._batch_now, gather)
                          if gather else None)

    @classmethod
    def from_conf(cls, conf: Any, ipa_default_conf: str = hostconf.PATH,
                  metrics: Any = None, gather: int = 0) -> IpaClient:
        """Build the client from novajoin's ``[DEFAULT]`` IPA options.

        Without ``url``, the server of the IPA client this host is (its
        ``/etc/ipa/default.conf``) is used, as novajoin 1.x did through ipalib.
        """
        url = conf.url or HostConf.read(ipa_default_conf).json_url
        if not url:
            raise exception.ConfigError(
                reason=f"the IPA JSON RPC 'url' option is not set and {ipa_default_conf} "
                       f"names no server")
        if conf.ipa_password:
            login: ipa_auth.KerberosLogin | ipa_auth.PasswordLogin = ipa_auth.PasswordLogin(
                conf.ipa_user, conf.ipa_password)
        else:
            login = ipa_auth.KerberosLogin(conf.keytab, conf.keytab_principal)
        return cls(url, login, cafile=conf.cafile, connect_timeout=conf.ipa_connect_timeout,
                   timeout=conf.ipa_timeout, connect_retries=conf.connect_retries,
                   retry_delay=conf.retry_delay, pool_size=conf.ipa_pool_size,
                   max_concurrency=conf.ipa_max_concurrency,
                   queue_timeout=conf.ipa_queue_timeout, metrics=metrics, gather=gather)

    def close(self) -> None:
        self._http.close()

    # -- commands ---------------------------------------------------------

    def call(self, method: str, *args: Any, **options: Any) -> dict[str, Any]:
        """Run one command; return its output (``{"result":…, "value":…, …}``)."""
        return self.execute(IpaCall(method, args, options))

    def execute(self, call: IpaCall) -> dict[str, Any]:
        if self._gatherer is not None:
            return self._gatherer.submit([call])[0].unwrap()
        return self._execute_now(call)

    def _execute_now(self, call: IpaCall) -> dict[str, Any]:
        options = {**call.options, "version": API_VERSION}
        if LOG.isEnabledFor(logging.DEBUG):  # redacting costs more than the call's own work
            LOG.debug("IPA %s %s %s", call.method, list(call.args), redact(options))
        try:
            answer = self._rpc({"method": call.method, "params": [list(call.args), options]})
        except exception.IpaCommandError as exc:
            self._count(call, exc.name)
            raise
        self._count(call, "ok")
        return answer

    def _count(self, call: IpaCall, outcome: str) -> None:
        if self._metrics is not None:
            self._metrics.ipa_call(call.method, outcome)

    def batch(self, calls: Sequence[IpaCall]) -> list[Outcome]:
        """Run several commands in one round trip; one :class:`Outcome` each.

        IPA runs them in order and independently: there is no rollback, so the
        caller plans calls that are safe to repeat.
        """
        if not calls:
            return []
        if self._gatherer is not None:
            return self._gatherer.submit(calls)
        return self._batch_now(calls)

    def _batch_now(self, calls: Sequence[IpaCall]) -> list[Outcome]:
        if LOG.isEnabledFor(logging.DEBUG):
            LOG.debug("IPA batch of %d: %s", len(calls), [c.method for c in calls])
        output = self._rpc({
            "method": "batch",
            "params": [[c.to_wire() for c in calls], {"version": API_VERSION}],
        })
        results = output.get("results")
        if not isinstance(results, list) or len(results) != len(calls):
            raise exception.IpaProtocolError(url=self.url, reason="batch answer does not match")
        outcomes = []
        for call, item in zip(calls, results, strict=True):
            if item.get("error") is None:
                outcomes.append(Outcome(call, output={k: v for k, v in item.items()
                                                      if k != "error"}))
            else:
                outcomes.append(Outcome(call, error=exception.IpaCommandError.from_wire(
                    item.get("error_code", 0), item.get("error_name", "UnknownError"),
                    item["error"], item.get("error_kw"))))
        if self._metrics is not None:
            self._metrics.ipa_outcomes(outcomes)
        return outcomes

    def dns_zones(self) -> list[str]:
        """IPA's DNS zones (names with a trailing dot; [] without DNS), asked again after
        ``ZONES_TTL`` seconds: zones change rarely and every first boot needs them.

        An IPA with DNS has at least its own domain's zone (ipa-server-install creates
        it). None seen means IPA hides them: without "System: Read DNS Entries" a search
        under cn=dns finds nothing, and novajoin would neither see the names it must not
        take nor remove a deleted instance's records. That is refused, not taken as "no
        DNS" (doc/freeipa-behaviour.md section 9b).
        """
        with self._zones_lock:
            stamp, zones = self._zones
            if zones is None or time.monotonic() - stamp >= ZONES_TTL:
                try:
                    found = self.call("dnszone_find", sizelimit=0)["result"]
                    zones = [str(e["idnsname"][0]) for e in found]
                except exception.IpaNotFound:  # "DNS is not configured"
                    zones = []
                else:
                    if not zones:
                        raise exception.IpaAuthorizationError(error=DNS_HIDDEN)
                self._zones = (time.monotonic(), zones)
            return zones

    def server_env(self) -> dict[str, Any]:
        """IPA's realm, base DN and domain: asked once, then remembered."""
        if self._env is None:
            with self._env_lock:  # many threads may ask first; one asks IPA
                if self._env is None:
                    self._env = self.call("env", "realm", "basedn", "domain")["result"]
        return self._env

    def realm(self) -> str:
        return str(self.server_env()["realm"])

    def ping(self) -> str:
        """IPA's version summary; proves reachability and authentication."""
        return str(self.call("ping")["summary"])

    # -- transport ----------------------------------------------------------

    def _rpc(self, body: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(body).encode()
        cookie, generation = self._session()
        response = self._post(data, cookie)
        if response.status_code == 401:
            # The session expired (IPA ties it to the ticket lifetime) or IPA
            # restarted with a new key: log in again once, then resend.
            cookie, generation = self._relogin(generation)
            response = self._post(data, cookie)
            if response.status_code == 401:
                raise exception.IpaAuthError(
                    url=self.url, reason="session refused right after a fresh login")
        return self._unpack(response)

    def _post(self, data: bytes, cookie: str) -> requests.Response:
        """POST ``data`` to the session endpoint with the session cookie.

        The request is what ``Session.post`` would send (the session's default headers,
        ours, the body), built from parts prepared once: requests' per-request merging
        of settings, hooks and cookie jars costs more CPU than the rest of a first boot.
        """
        request = requests.PreparedRequest()
        request.method, request.url, request.body = "POST", self._rpc_url.url, data
        request.headers = self._rpc_headers.copy()
        request.headers["Cookie"] = f"{SESSION_COOKIE}={cookie}"
        request.headers["Content-Length"] = str(len(data))
        return self._send(lambda: self._http.send(
            request, timeout=self._timeout, verify=self._verify))

    def _send(self, request: Callable[[], requests.Response]) -> requests.Response:
        """Send within the concurrency cap, measured; see :meth:`_send_now`."""
        m = self._metrics
        if self._slots is not None and not self._slots.acquire(timeout=self._queue_timeout):
            if m is not None:
                m.ipa_requests.labels("busy").inc()
            raise exception.IpaBusy(url=self.url, reason="all IPA request slots stayed busy "
                                                          f"for {self._queue_timeout} s")
        start = time.monotonic()
        outcome = "unavailable"
        if m is not None:
            m.ipa_in_flight.inc()
        try:
            response = self._send_now(request)
            outcome = "auth" if response.status_code == 401 else "ok"
            return response
        except exception.IpaAuthError:
            outcome = "auth"
            raise
        finally:
            if self._slots is not None:
                self._slots.release()
            if m is not None:
                m.ipa_in_flight.dec()
                m.ipa_requests.labels(outcome).inc()
                m.ipa_seconds.observe(time.monotonic() - start)

    def _send_now(self, request: Callable[[], requests.Response]) -> requests.Response:
        """Send, retrying connection failures.

        Mostly these are failures to connect (nothing reached IPA), but a kept-alive
        connection that drops after the request went out looks the same, so a request
        may run twice: every plan novajoin sends is safe to repeat.
        """
        attempt = 0
        while True:
            try:
                response = request()
            except requests.exceptions.SSLError as exc:
                raise exception.IpaUnavailable(
                    url=self.url, reason=f"TLS verification failed: {exc}") from exc
            except requests.exceptions.ConnectionError as exc:
                if attempt >= self._connect_retries:
                    raise exception.IpaUnavailable(
                        url=self.url, reason=f"cannot connect after {attempt + 1} attempts: "
                                             f"{type(exc).__name__}") from exc
                delay = self._retry_delay * (2 ** attempt) * random.uniform(0.5, 1.0)  # noqa: S311
                LOG.warning("Cannot connect to IPA at %s (%s); retry %d of %d in %.1f s",
                            self.url, type(exc).__name__, attempt + 1, self._connect_retries,
                            delay)
                time.sleep(delay)
                attempt += 1
                continue
            except requests.exceptions.Timeout as exc:
                raise exception.IpaUnavailable(
                    url=self.url, reason=f"no answer within {self._timeout[1]} s") from exc
            except requests.exceptions.RequestException as exc:
                raise exception.IpaUnavailable(url=self.url, reason=str(exc)) from exc
            if response.status_code >= 500:
                raise exception.IpaUnavailable(
                    url=self.url, reason=f"HTTP {response.status_code} {response.reason}")
            return response

    def _unpack(self, response: requests.Response) -> dict[str, Any]:
        if response.status_code != 200:
            raise exception.IpaProtocolError(
                url=self.url, reason=f"HTTP {response.status_code}: {response.text[:200]!r}")
        try:
            envelope = json.loads(response.content, object_hook=_decode_markers)
        except ValueError as exc:
            raise exception.IpaProtocolError(url=self.url, reason="answer is not JSON") from exc
        if not isinstance(envelope, dict):
            raise exception.IpaProtocolError(url=self.url, reason="answer is not an object")
        error = envelope.get("error")
        if error:
            raise exception.IpaCommandError.from_wire(
                error.get("code", 0), error.get("name", "UnknownError"),
                error.get("message", ""), error.get("data"))
        result = envelope.get("result")
        if not isinstance(result, dict):
            raise exception.IpaProtocolError(url=self.url, reason="answer has no result")
        return result

    # -- session --------------------------------------------------------------

    def _session(self) -> tuple[str, int]:
        with self._lock:
            if self._cookie is None:
                self._do_login()
            assert self._cookie is not None
            return self._cookie, self._generation

    def _relogin(self, stale_generation: int) -> tuple[str, int]:
        with self._lock:
            # Threads that saw the same expired session queue up here; only
            # the first logs in, the others take the cookie it got.
            if self._generation == stale_generation:
                self._cookie = None
                self._do_login()
            assert self._cookie is not None
            return self._cookie, self._generation

    def _do_login(self) -> None:
        """Log in (lock held) and keep the session cookie."""
        headers = {"Referer": self._referer}
        response = self._send(lambda: self._login.post(
            self._http, self._login_url, headers=headers, timeout=self._timeout,
            verify=self._verify))
        if response.status_code == 401:
            reason = response.headers.get("X-IPA-Rejection-Reason", "credentials refused")
            raise exception.IpaAuthError(
                url=self.url, reason=f"{self._login.describe()}: " + (
                    f"{_REJECTIONS[reason]} ({reason})" if reason in _REJECTIONS else reason))
        if response.status_code != 200:
            raise exception.IpaProtocolError(
                url=self.url, reason=f"login answered HTTP {response.status_code}")
        cookie = response.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise exception.IpaProtocolError(url=self.url, reason="login set no session cookie")
        self._cookie = cookie
        self._generation += 1
        LOG.info("Logged in to IPA at %s as %s", self.url, self._login.describe())
