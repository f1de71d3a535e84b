"""Shims that let novajoin 1.3.0 (PyPI) run on Python 3.11 against FakeIPA.

Imported only by ``launch.py`` inside ``.venv-novajoin13``, never by this
project. Each shim is listed and explained in doc/performance.md. None of them
changes which IPA commands 1.3.0 sends, or when: they replace where it reads its
IPA client configuration, how it obtains Kerberos credentials, the port in
ipalib's Referer header, and keystonemiddleware's token check.
"""

from __future__ import annotations

import configparser
import os
import sys
import types
from urllib.parse import urlsplit


def ipa_default_conf() -> str:
    """The ipalib client configuration 1.3.0 should read ($IPA_CONFDIR/default.conf)."""
    return os.path.join(os.environ["IPA_CONFDIR"], "default.conf")


def apply() -> None:
    """Patch the modules before novajoin 1.3.0's WSGI application is loaded."""
    from ipalib import kinit, rpc

    # 0. Import compatibility. 1.3.0 looks for kinit_keytab in ipapython.ipautil (IPA
    #    < 4.5) or ipalib.install.kinit (IPA 4.5 on); ipalib 4.13.1 (the release this
    #    project checks the emulator against, and which installs on Python 3.11) has it
    #    in ipalib.kinit. Without this alias 1.3.0 sets ipalib_imported = False and
    #    silently skips every IPA call.
    install = types.ModuleType("ipalib.install")
    install.kinit = kinit  # type: ignore[attr-defined]
    sys.modules.setdefault("ipalib.install", install)
    sys.modules.setdefault("ipalib.install.kinit", kinit)
    from novajoin import ipa

    if not ipa.ipalib_imported:
        raise SystemExit("novajoin 1.3.0 could not import ipalib; the shims are out of date")

    # 1. /etc/ipa/default.conf is hard-coded twice in 1.3.0 (is this machine an IPA
    #    client? which host and realm?). ipalib itself honours IPA_CONFDIR, so read the
    #    bench's file from there instead of writing into the machine's /etc.
    def configured(self: object) -> bool:
        return os.path.exists(ipa_default_conf())

    def host_and_realm(self: object) -> tuple[str, str]:
        parser = configparser.ConfigParser()
        parser.read(ipa_default_conf())
        return parser.get("global", "host"), parser.get("global", "realm")

    ipa.IPANovaJoinBase._ipa_client_configured = configured
    ipa.IPANovaJoinBase.get_host_and_realm = host_and_realm

    # 2. No KDC in the bench: 1.3.0 calls kinit_keytab(nova/<host>, keytab) at start and
    #    after a Kerberos error. The emulator over plain HTTP without a keytab accepts
    #    /ipa/json calls without credentials (as FreeIPA's lite-server does), and ipalib
    #    then sends them without a Negotiate header, in the same requests it would send
    #    with Kerberos. So getting a ticket is a no-op here.
    def kinit_keytab(principal: str, keytab: str, ccache: str, *args: object,
                     **kwargs: object) -> None:
        return None

    ipa.kinit_keytab = kinit_keytab

    # 3. ipalib sends "Referer: https://<host>:<port>/ipa/xml"; FreeIPA (and FakeIPA)
    #    want the prefix https://<server fqdn>/ipa, which a real server on port 443 gets.
    #    The emulator listens on a free port, so drop the port from that one header.
    original = rpc.LanguageAwareTransport.get_host_info

    def get_host_info(self: object, host: str) -> tuple:
        host, headers, x509 = original(self, host)
        headers = [(k, f"https://{urlsplit(v).hostname}/ipa/xml") if k == "Referer"
                   else (k, v) for k, v in headers]
        return host, headers, x509

    rpc.LanguageAwareTransport.get_host_info = get_host_info


def fake_authtoken_factory(global_conf: dict, **local_conf: str):
    """Paste filter in place of keystonemiddleware's auth_token (shim 4).

    The bench runs this project's server with ``auth_strategy = noauth``; 1.3.0 has
    no such mode (its paste pipeline always holds auth_token), so this filter sets
    the headers auth_token sets for a valid token of nova's service user in the
    service project, which is what 1.3.0's default policy (join:create) asks for.
    Any X-* identity headers the client sent are replaced, as auth_token does.
    """
    identity = {
        "HTTP_X_IDENTITY_STATUS": "Confirmed",
        "HTTP_X_USER_ID": "0b6a2a3b5c0f4f6f9a1e7f3c2d1b0a99",
        "HTTP_X_USER_NAME": "nova",
        "HTTP_X_USER_DOMAIN_ID": "default",
        "HTTP_X_PROJECT_ID": "6d5b1e0a8c3f4e2a9b7c1d0e2f3a4b5c",
        "HTTP_X_PROJECT_NAME": "service",
        "HTTP_X_PROJECT_DOMAIN_ID": "default",
        "HTTP_X_ROLES": "admin,service",
    }

    def filter_(app):
        def middleware(environ: dict, start_response):
            environ.update(identity)
            return app(environ, start_response)
        return middleware

    return filter_
