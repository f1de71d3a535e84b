"""SPNEGO against a real MIT KDC: the emulator accepts with its HTTP/ keytab."""

from __future__ import annotations

import uuid

import gssapi
import pytest
import requests
from fakeipa.server import FakeIpaServer
from requests_gssapi import HTTPSPNEGOAuth

from tests.fakeipa.conftest import Rpc, referer
from tests.support import ADMIN_PASSWORD, DOMAIN, REALM

PING = {"method": "ping", "params": [[], {"version": "2.229"}]}


@pytest.fixture
def kerberized(krb_realm, fakeipa_factory) -> str:
    """The URL of an emulator that knows itself as HTTP/<host>, by host name."""
    server = fakeipa_factory(keytab=krb_realm.http_keytab, hostname=krb_realm.hostname)
    return f"http://{krb_realm.hostname}:{server.port}"


def nova(krb_realm) -> HTTPSPNEGOAuth:
    """SPNEGO as the nova service, from its keytab, with a private ccache."""
    name = gssapi.Name(krb_realm.nova_principal, gssapi.NameType.kerberos_principal)
    credentials = gssapi.Credentials(
        usage="initiate", name=name,
        store={"client_keytab": krb_realm.nova_keytab, "ccache": f"MEMORY:{uuid.uuid4()}"})
    return HTTPSPNEGOAuth(creds=credentials)


def test_kerberos_login_opens_a_session_for_the_principal(kerberized, krb_realm):
    response = requests.post(kerberized + "/ipa/session/login_kerberos", auth=nova(krb_realm),
                             headers={"Referer": referer(kerberized)}, timeout=10)
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["Set-Cookie"].startswith("ipa_session=MagBearerToken=")
    session = requests.Session()
    session.headers["Cookie"] = f"ipa_session={response.cookies['ipa_session']}"
    answer = Rpc(kerberized, path="/ipa/session/json", session=session).envelope("ping")
    assert answer["principal"] == krb_realm.nova_principal


def test_kerberos_login_without_or_with_bad_credentials(kerberized):
    url = kerberized + "/ipa/session/login_kerberos"
    headers = {"Referer": referer(kerberized)}
    plain = requests.post(url, headers=headers, timeout=10)
    assert plain.status_code == 401
    assert plain.headers["WWW-Authenticate"] == "Negotiate"
    forged = requests.post(url, timeout=10,
                           headers={**headers, "Authorization": "Negotiate YWJjZGVm"})
    assert forged.status_code == 401
    assert "Set-Cookie" not in forged.headers


def test_kerberos_login_needs_a_keytab(fakeipa):
    response = requests.post(fakeipa.url + "/ipa/session/login_kerberos",
                             headers={"Referer": referer(fakeipa.url)}, timeout=10)
    assert response.status_code == 401


def test_plain_json_needs_spnego_when_a_keytab_is_set(kerberized, krb_realm):
    rpc = Rpc(kerberized)
    assert rpc.post(PING).status_code == 401
    rpc.http.auth = nova(krb_realm)
    response = rpc.post(PING)
    assert response.status_code == 200
    assert response.json()["principal"] == krb_realm.nova_principal
    assert "ipa_session=MagBearerToken=" in response.headers["Set-Cookie"]
    # Negotiate also opens the session endpoint, as mod_auth_gssapi does.
    session = Rpc(kerberized, path="/ipa/session/json")
    session.http.auth = nova(krb_realm)
    assert session.envelope("ping")["principal"] == krb_realm.nova_principal


def test_keytab_without_the_service_key_is_refused_at_start(krb_realm):
    with pytest.raises(gssapi.exceptions.GSSError):
        FakeIpaServer(REALM, DOMAIN, ADMIN_PASSWORD, keytab=krb_realm.nova_keytab,
                      hostname=krb_realm.hostname)
