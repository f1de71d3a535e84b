"""The IPA client against the emulator's WSGI application in process (no socket, no thread).

The client takes an injected ``requests`` session; here it is a WSGI transport, so the
same login, cookie, batch and error handling run as over HTTP.
"""

from __future__ import annotations

import pytest
from fakeipa.server import FakeIpaServer

from novajoin import exception
from novajoin.domain.calls import IpaCall
from novajoin.ipa import IpaClient
from novajoin.ipa.auth import PasswordLogin
from tests.support import ADMIN_PASSWORD, DOMAIN, REALM
from tests.support.wsgi_transport import wsgi_session


@pytest.fixture
def emulator(tmp_path):
    return FakeIpaServer(REALM, DOMAIN, ADMIN_PASSWORD, hostname="ipa.novajoin.test")


def client(emulator, password=ADMIN_PASSWORD) -> IpaClient:
    return IpaClient("http://ipa.novajoin.test/ipa/json", PasswordLogin("admin", password),
                     session=wsgi_session(emulator.app), connect_retries=0)


def test_login_call_and_batch_in_process(emulator):
    ipa = client(emulator)
    assert ipa.realm() == REALM
    fqdn = f"vm1.{DOMAIN}"
    outcomes = ipa.batch([IpaCall("host_add", (fqdn,), {"force": True}),
                          IpaCall("host_add", (fqdn,), {"force": True})])
    assert outcomes[0].ok
    assert isinstance(outcomes[1].error, exception.IpaDuplicateEntry)
    assert emulator.store.hosts[fqdn].fqdn == fqdn


def test_a_wrong_password_is_an_auth_error(emulator):
    with pytest.raises(exception.IpaAuthError):
        client(emulator, "not-it").realm()
