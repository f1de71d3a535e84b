"""Sessions (the ``ipa_session`` cookie) and Kerberos SPNEGO acceptance.

A real server's session cookie is a mod_session blob whose lifetime is that
of the Kerberos ticket behind it; here it is an opaque random token mapped to
a principal with a configurable lifetime. SPNEGO is real: python-gssapi
accepts the client's token with the ``HTTP/<hostname>`` key of a keytab, so a
client that authenticates here also authenticates against a real KDC setup.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import threading
import time
import urllib.parse

import gssapi

COOKIE_NAME = "ipa_session"
TOKEN_PREFIX = "MagBearerToken="  # noqa: S105 - a cookie prefix, not a secret
COOKIE_ATTRIBUTES = "path=/ipa; httponly; secure; SameSite=strict"


def session_cookie(token: str) -> str:
    """The Set-Cookie value for a new session (``token=""`` clears it)."""
    return f"{COOKIE_NAME}={TOKEN_PREFIX}{token}; {COOKIE_ATTRIBUTES}"


def token_from_cookie(value: str | None) -> str | None:
    """The token inside an ``ipa_session`` cookie value, if it has one."""
    if not value:
        return None
    value = urllib.parse.unquote(value).strip('"')
    if not value.startswith(TOKEN_PREFIX):
        return None
    return value[len(TOKEN_PREFIX):] or None


class Sessions:
    """Session tokens -> (principal, expiry); thread-safe."""

    def __init__(self, lifetime: float) -> None:
        self.lifetime = lifetime
        self._lock = threading.Lock()
        self._table: dict[str, tuple[str, float]] = {}

    def create(self, principal: str) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._table[token] = (principal, time.monotonic() + self.lifetime)
        return token

    def principal(self, token: str | None) -> str | None:
        """The session's principal, or None when unknown or expired."""
        if token is None:
            return None
        with self._lock:
            entry = self._table.get(token)
            if entry is None:
                return None
            if entry[1] <= time.monotonic():
                del self._table[token]
                return None
            return entry[0]

    def expire_all(self) -> None:
        with self._lock:
            self._table.clear()


class SpnegoError(Exception):
    """The client's Negotiate token was missing or not acceptable."""


class SpnegoAcceptor:
    """Accepts SPNEGO tokens for ``HTTP/<hostname>@<realm>`` from a keytab."""

    def __init__(self, keytab: str, hostname: str, realm: str) -> None:
        if not os.access(keytab, os.R_OK):
            raise ValueError(f"keytab {keytab} is not readable")
        self.keytab = keytab
        self.principal = f"HTTP/{hostname}@{realm}"
        # Fail at start, not at the first login, when the key is missing.
        self._credentials()

    def _credentials(self) -> gssapi.Credentials:
        name = gssapi.Name(self.principal, gssapi.NameType.kerberos_principal)
        return gssapi.Credentials(name=name, usage="accept", store={"keytab": self.keytab})

    def accept(self, authorization: str | None) -> tuple[str, str | None]:
        """(client principal, token for the WWW-Authenticate answer or None)."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "negotiate" or not token.strip():
            raise SpnegoError("no Negotiate token")
        try:
            context = gssapi.SecurityContext(creds=self._credentials(), usage="accept")
            answer = context.step(base64.b64decode(token.strip(), validate=True))
        except (gssapi.exceptions.GSSError, binascii.Error, ValueError) as exc:
            raise SpnegoError(str(exc)) from exc
        if not context.complete:
            raise SpnegoError("SPNEGO needs more than one round trip")
        reply = base64.b64encode(answer).decode("ascii") if answer else None
        return str(context.initiator_name), reply
