"""The two ways novajoin logs in to IPA, each ending in an ``ipa_session`` cookie.

* :class:`KerberosLogin` (the default): SPNEGO to ``/ipa/session/login_kerberos``
  with credentials taken from a keytab into a private ``MEMORY:`` credential
  cache. No ``kinit`` child process and no ``KRB5CCNAME`` in ``os.environ``:
  two clients in one process never share or clobber each other's tickets, and
  no ticket is ever written to disk.
* :class:`PasswordLogin`: a form post to ``/ipa/session/login_password``, for
  deployments that give novajoin a dedicated IPA user instead of a keytab.

Both only *perform* the login request; the client decides what its answer means.
"""

from __future__ import annotations

import os
import socket
import uuid
from typing import Any
from urllib.parse import urlsplit

import requests

from novajoin import exception

# MIT krb5's KRB5_KDC_UNREACH: the KDC is down, which is worth retrying later,
# unlike a wrong key or an unknown principal.
_KRB5_KDC_UNREACH = -1765328228


class KerberosLogin:
    """SPNEGO login with a keytab-backed, in-memory credential cache."""

    def __init__(self, keytab: str, principal: str | None = None) -> None:
        self.keytab = keytab
        self.principal = principal or f"nova/{socket.getfqdn()}"
        # One private cache per client object; it lives as long as the process.
        self._ccache = f"MEMORY:novajoin-{uuid.uuid4().hex}"

    def describe(self) -> str:
        return f"Kerberos principal {self.principal} from keytab {self.keytab}"

    def post(self, session: requests.Session, url: str, **kwargs: Any) -> requests.Response:
        import gssapi
        import requests_gssapi

        if not os.access(self.keytab, os.R_OK):
            raise exception.IpaAuthError(url=url, reason=f"keytab {self.keytab} is not readable")
        host = urlsplit(url).hostname
        try:
            creds = gssapi.Credentials(
                name=gssapi.Name(self.principal, gssapi.NameType.kerberos_principal),
                usage="initiate",
                store={"client_keytab": self.keytab, "ccache": self._ccache},
            )
            auth = requests_gssapi.HTTPSPNEGOAuth(
                creds=creds,
                target_name=gssapi.Name(f"HTTP@{host}", gssapi.NameType.hostbased_service),
                # Send the token with the first request: saves a 401 round trip.
                opportunistic_auth=True,
            )
            return session.post(url, auth=auth, **kwargs)
        except (gssapi.exceptions.GSSError, requests_gssapi.exceptions.SPNEGOExchangeError) as exc:
            reason = f"{self.describe()}: {exc}"
            if (getattr(exc, "min_code", None) == _KRB5_KDC_UNREACH
                    or "Cannot contact any KDC" in str(exc)):
                raise exception.IpaUnavailable(url=url, reason=reason) from exc
            raise exception.IpaAuthError(url=url, reason=reason) from exc


class PasswordLogin:
    """Form login of a dedicated IPA user."""

    def __init__(self, user: str, password: str) -> None:
        self.user = user
        self._password = password

    def describe(self) -> str:
        return f"IPA user {self.user}"

    def __repr__(self) -> str:  # never show the password, even in a debugger dump
        return f"PasswordLogin(user={self.user!r})"

    def post(self, session: requests.Session, url: str, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Accept"] = "text/plain"
        return session.post(url, data={"user": self.user, "password": self._password},
                            headers=headers, **kwargs)
