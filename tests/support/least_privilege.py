"""novajoin logged in as production runs it: ``nova/<host>`` with Kerberos, holding only the
role novajoin-ipa-setup creates (issue 11).

The ``fakeipa`` fixture here replaces the plain one for the API, listener, reconcile and
security suites: an emulator that speaks SPNEGO with the test KDC, enforces IPA's
permissions, and on which novajoin-ipa-setup has run. :func:`tests.api.conftest.conf_text`
then configures novajoin with the keytab instead of the admin password, so a right
novajoin's role lacks fails the test that needs it. Tests keep an admin client
(``api.admin``) to arrange and inspect IPA, as an IPA administrator would.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io

import pytest

from tests.support import ADMIN_PASSWORD, DOMAIN


@dataclasses.dataclass(frozen=True)
class NovaIdentity:
    host: str  # novajoin's own host, as novajoin-ipa-setup wants it
    principal: str
    keytab: str


def new_identity(krb_realm, directory, host: str) -> NovaIdentity:
    """A ``nova/<host>`` principal in the test KDC, and its keytab in ``directory``."""
    keytab = str(directory / f"nova-{host}.keytab")
    principal = krb_realm.addprinc(f"nova/{host}@{krb_realm.realm}", keytab)
    return NovaIdentity(host, principal, keytab)


@pytest.fixture(scope="session")
def nova_identity(krb_realm, tmp_path_factory) -> NovaIdentity:
    """One ``nova/<host>`` principal and keytab for the session."""
    return new_identity(krb_realm, tmp_path_factory.mktemp("nova-identity"),
                        f"novajoin-tests.{DOMAIN}")


def prepare(server, nova: NovaIdentity, tmp_path, deployment: str | None = None) -> None:
    """Run novajoin-ipa-setup on ``server`` for ``nova``, as an operator does once; the
    default deployment's identity is the one :func:`tests.api.conftest.conf_text` uses."""
    from novajoin.cmd import ipa_setup

    password = tmp_path / "ipa-admin-password"
    password.write_text(ADMIN_PASSWORD + "\n")
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        rc = ipa_setup.main(["--url", server.json_url, "--hostname", nova.host,
                             "--password-file", str(password),
                             *(["--deployment", deployment] if deployment else [])])
    assert rc == 0, out.getvalue()
    if deployment is None:
        server.nova = nova


def login(nova: NovaIdentity) -> dict[str, str]:
    """join.conf's settings that log in as ``nova``."""
    return {"keytab": nova.keytab, "keytab_principal": nova.principal}


@pytest.fixture
def fakeipa(fakeipa_factory, krb_realm, nova_identity, tmp_path):
    """FakeIPA reached by its own name (the Referer must name it), Kerberos on, and
    novajoin-ipa-setup's permissions, privilege and role given to ``nova/<host>``."""
    server = fakeipa_factory(keytab=krb_realm.http_keytab, hostname=krb_realm.hostname,
                             listen=(krb_realm.hostname, 0))
    prepare(server, nova_identity, tmp_path)
    return server
