"""The production IPA client against the FakeIPA emulator (and a real KDC)."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

import pytest
import requests

from novajoin import exception
from novajoin.ipa import IpaCall, IpaClient
from novajoin.ipa.auth import KerberosLogin, PasswordLogin
from tests.support import ADMIN_PASSWORD, DOMAIN, REALM

OTP = "Otp-7f3a9c-not-for-logs"


class CountingLogin(PasswordLogin):
    """A real password login that counts how often it is performed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.count = 0
        self._count_lock = threading.Lock()

    def post(self, *args, **kwargs):
        with self._count_lock:
            self.count += 1
        return super().post(*args, **kwargs)


def make_client(server, login=None, **kwargs) -> IpaClient:
    kwargs.setdefault("retry_delay", 0.01)
    return IpaClient(server.json_url, login or PasswordLogin("admin", ADMIN_PASSWORD), **kwargs)


def enroll(server, fqdn: str, otp: str) -> None:
    r = requests.post(server.url + "/ipa/fake/enroll", json={"fqdn": fqdn, "otp": otp},
                      timeout=5)
    assert r.status_code == 200, r.text


@pytest.fixture
def client(fakeipa):
    c = make_client(fakeipa)
    yield c
    c.close()


def test_host_add_and_show(client):
    fqdn = f"vm1.{DOMAIN}"
    out = client.call("host_add", fqdn, force=True, userpassword=OTP, description="d")
    assert out["value"] == fqdn
    assert out["result"]["has_password"] is True
    assert out["result"]["has_keytab"] is False
    shown = client.call("host_show", fqdn)["result"]
    assert shown["fqdn"] == [fqdn]
    assert "krbprincipalname" not in shown


def test_realm_is_discovered(client):
    assert client.realm() == REALM


def test_dns_names_are_decoded_to_strings(client):
    client.call("dnsrecord_add", f"{DOMAIN}.", "vm2", a_part_ip_address="10.0.0.7")
    out = client.call("dnsrecord_show", f"{DOMAIN}.", "vm2")
    assert out["value"] == "vm2"
    assert out["result"]["idnsname"] == ["vm2"]
    assert out["result"]["arecord"] == ["10.0.0.7"]


# (setup calls, failing call, expected class, code, IPA name, text in message)
ERROR_CASES = [
    ("host_show missing", [], IpaCall("host_show", (f"nope.{DOMAIN}",)),
     exception.IpaNotFound, 4001, "NotFound", f"nope.{DOMAIN}: host not found"),
    ("host_add twice", [IpaCall("host_add", (f"dup.{DOMAIN}",), {"force": True})],
     IpaCall("host_add", (f"dup.{DOMAIN}",), {"force": True}),
     exception.IpaDuplicateEntry, 4002, "DuplicateEntry",
     f'host with name "dup.{DOMAIN}" already exists'),
    ("disable a host with no keytab",
     [IpaCall("host_add", (f"cold.{DOMAIN}",), {"force": True, "userpassword": OTP})],
     IpaCall("host_disable", (f"cold.{DOMAIN}",)),
     exception.IpaAlreadyInactive, 4010, "AlreadyInactive", "already disabled"),
    ("unknown option", [], IpaCall("host_show", (f"x.{DOMAIN}",), {"bogus": 1}),
     exception.IpaOptionError, 3005, "OptionError", "Unknown option: bogus"),
    ("unknown command", [], IpaCall("host_frobnicate", ()),
     exception.IpaCommandNotFound, 905, "CommandError", "unknown command 'host_frobnicate'"),
    ("service in a foreign realm", [IpaCall("host_add", (f"s.{DOMAIN}",), {"force": True})],
     IpaCall("service_add", (f"HTTP/s.{DOMAIN}@OTHER.REALM",), {"force": True}),
     exception.IpaRealmMismatch, 4005, "RealmMismatch", "realm"),
    ("host service without force", [IpaCall("host_add", (f"h.{DOMAIN}",), {"force": True})],
     IpaCall("service_add", (f"host/h.{DOMAIN}",)),
     exception.IpaHostService, 4003, "HostService", "enroll a host"),
    ("same DNS value twice",
     [IpaCall("dnsrecord_add", (f"{DOMAIN}.", "r1"), {"a_part_ip_address": "10.1.1.1"})],
     IpaCall("dnsrecord_add", (f"{DOMAIN}.", "r1"), {"a_part_ip_address": "10.1.1.1"}),
     exception.IpaEmptyModlist, 4202, "EmptyModlist", "no modifications"),
    ("delete an absent DNS value",
     [IpaCall("dnsrecord_add", (f"{DOMAIN}.", "r2"), {"arecord": ["10.1.1.2"]})],
     IpaCall("dnsrecord_del", (f"{DOMAIN}.", "r2"), {"arecord": ["10.9.9.9"]}),
     exception.IpaAttrValueNotFound, 4026, "AttrValueNotFound", "does not contain '10.9.9.9'"),
    ("missing DNS record", [], IpaCall("dnsrecord_del", (f"{DOMAIN}.", "ghost"), {"del_all": True}),
     exception.IpaNotFound, 4001, "NotFound", "ghost: DNS resource record not found"),
]


@pytest.mark.parametrize("setup,call,klass,code,name,text", [c[1:] for c in ERROR_CASES],
                         ids=[c[0] for c in ERROR_CASES])
def test_error_mapping(client, setup, call, klass, code, name, text):
    for c in setup:
        client.execute(c)
    with pytest.raises(klass) as info:
        client.execute(call)
    err = info.value
    assert isinstance(err, exception.IpaCommandError)
    assert (err.ipa_code, err.name) == (code, name)
    assert text in err.message


def test_otp_on_enrolled_host_is_the_exact_validation_error(client, fakeipa):
    fqdn = f"enrolled.{DOMAIN}"
    client.call("host_add", fqdn, force=True, userpassword=OTP)
    enroll(fakeipa, fqdn, OTP)
    with pytest.raises(exception.IpaValidationError) as info:
        client.call("host_mod", fqdn, userpassword="another-otp")
    assert info.value.ipa_code == 3009
    assert info.value.data == {"name": "password",
                               "error": "Password cannot be set on enrolled host."}
    assert info.value.message == "invalid 'password': Password cannot be set on enrolled host."
    # The supported way out: disable (drop the keytab), then a new OTP is accepted.
    client.call("host_disable", fqdn)
    assert client.call("host_mod", fqdn, userpassword="another-otp")["result"]["has_password"]


def test_batch_reports_each_outcome_and_does_not_abort(client):
    fqdn = f"web.{DOMAIN}"
    outcomes = client.batch([
        IpaCall("host_add", (fqdn,), {"force": True}),
        IpaCall("host_show", (f"absent.{DOMAIN}",)),
        IpaCall("service_add", (f"HTTP/{fqdn}",), {"force": True}),
        IpaCall("host_add", (fqdn,), {"force": True}),
    ])
    assert [o.ok for o in outcomes] == [True, False, True, False]
    assert outcomes[0].unwrap()["value"] == fqdn
    assert isinstance(outcomes[1].error, exception.IpaNotFound)
    assert outcomes[2].unwrap()["value"] == f"HTTP/{fqdn}@{REALM}"
    assert isinstance(outcomes[3].error, exception.IpaDuplicateEntry)
    with pytest.raises(exception.IpaNotFound):
        outcomes[1].unwrap()
    # The call after the failure really ran.
    assert client.call("service_show", f"HTTP/{fqdn}")["result"]["managedby_host"] == [fqdn]


def test_empty_batch_makes_no_request(client, fakeipa):
    requests.post(fakeipa.url + "/ipa/fake/stats/reset", timeout=5)
    assert client.batch([]) == []
    stats = requests.get(fakeipa.url + "/ipa/fake/stats", timeout=5).json()
    assert stats["http_requests"] == 0


def test_expired_session_logs_in_again_once_under_concurrency(fakeipa):
    login = CountingLogin("admin", ADMIN_PASSWORD)
    client = make_client(fakeipa, login=login, pool_size=32)
    assert client.ping()
    assert login.count == 1
    fakeipa.expire_sessions()

    errors: list[BaseException] = []
    barrier = threading.Barrier(24)

    def worker(i: int) -> None:
        try:
            barrier.wait()
            client.call("host_add", f"c{i}.{DOMAIN}", force=True)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert login.count == 2
    found = client.call("host_find", "c", sizelimit=100)
    assert found["count"] == 24


def test_wrong_password_is_an_auth_error_without_the_password(fakeipa):
    client = make_client(fakeipa, login=PasswordLogin("admin", "Wrong-Pa55word-xyz"))
    with pytest.raises(exception.IpaAuthError) as info:
        client.ping()
    assert "invalid-password" in str(info.value)
    assert "Wrong-Pa55word-xyz" not in str(info.value)
    assert "Wrong-Pa55word-xyz" not in repr(client._login)


def test_secrets_never_reach_the_log(fakeipa, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client(fakeipa)
    client.call("host_add", f"secret.{DOMAIN}", force=True, userpassword=OTP)
    client.batch([IpaCall("host_mod", (f"secret.{DOMAIN}",), {"userpassword": OTP + "2"})])
    with pytest.raises(exception.IpaDuplicateEntry) as info:
        client.call("host_add", f"secret.{DOMAIN}", force=True, userpassword=OTP)
    text = "\n".join(r.getMessage() for r in caplog.records) + str(info.value)
    text += repr(IpaCall("host_mod", ("x",), {"userpassword": OTP}))
    assert "host_add" in text  # the calls were logged...
    assert OTP not in text  # ...without the OTP
    assert ADMIN_PASSWORD not in text


def test_outage_is_unavailable(fakeipa, client):
    assert client.ping()
    requests.post(fakeipa.url + "/ipa/fake/faults", json={"outage": True}, timeout=5)
    with pytest.raises(exception.IpaUnavailable) as info:
        client.ping()
    assert "503" in str(info.value)
    requests.post(fakeipa.url + "/ipa/fake/faults", json={"outage": False}, timeout=5)
    assert client.ping()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_refused_is_retried_then_unavailable(caplog):
    port = _free_port()
    client = IpaClient(f"http://127.0.0.1:{port}/ipa/json", PasswordLogin("admin", "x"),
                       connect_retries=3, retry_delay=0.01)
    caplog.set_level(logging.WARNING)
    with pytest.raises(exception.IpaUnavailable) as info:
        client.ping()
    assert "after 4 attempts" in str(info.value)
    retries = [r for r in caplog.records if "retry" in r.getMessage()]
    assert len(retries) == 3


def test_connection_retries_reach_a_server_that_comes_up(fakeipa_factory):
    port = _free_port()
    started = threading.Event()

    def start_later():
        time.sleep(0.3)
        fakeipa_factory(listen=("127.0.0.1", port))
        started.set()

    t = threading.Thread(target=start_later)
    t.start()
    client = IpaClient(f"http://127.0.0.1:{port}/ipa/json", PasswordLogin("admin", ADMIN_PASSWORD),
                       connect_retries=8, retry_delay=0.1)
    try:
        assert "API version" in client.ping()
    finally:
        t.join()
    assert started.is_set()


def test_tls_verified_with_the_right_ca(fakeipa_factory, tls_files):
    server = fakeipa_factory(tls_cert=tls_files.cert, tls_key=tls_files.key,
                             hostname="localhost")
    assert server.url.startswith("https://")
    url = server.json_url.replace("127.0.0.1", "localhost")
    client = IpaClient(url, PasswordLogin("admin", ADMIN_PASSWORD), cafile=tls_files.ca_cert)
    assert client.realm() == REALM


def test_referer_names_the_server_without_the_port(fakeipa_factory):
    """IPA accepts only ``https://<its own FQDN>/ipa`` as Referer, no port (rpcserver.py
    wsgi_execute and check_referer; doc/freeipa-behaviour.md section 1). The URL carries
    a port here, as it does behind a non-standard port: novajoin used to send it along,
    and the server refused every login and call."""
    server = fakeipa_factory(hostname="localhost")
    client = IpaClient(f"http://localhost:{server.port}/ipa/json",
                       PasswordLogin("admin", ADMIN_PASSWORD))
    assert client._referer == "https://localhost/ipa"
    assert client.realm() == REALM
    client.close()


def test_tls_refuses_an_untrusted_server(fakeipa_factory, tls_files):
    server = fakeipa_factory(tls_cert=tls_files.cert, tls_key=tls_files.key)
    url = server.json_url.replace("127.0.0.1", "localhost")
    client = IpaClient(url, PasswordLogin("admin", ADMIN_PASSWORD),
                       cafile=tls_files.other_ca_cert, connect_retries=0)
    with pytest.raises(exception.IpaUnavailable) as info:
        client.ping()
    assert "TLS verification failed" in str(info.value)


# -- Kerberos ---------------------------------------------------------------

@pytest.fixture
def kerberized_ipa(fakeipa_factory, krb_realm):
    """An emulator with SPNEGO, where nova/<host> may add hosts tagged as novajoin's (IPA
    enforces the permissions: doc/freeipa-behaviour.md section 9)."""
    server = fakeipa_factory(keytab=krb_realm.http_keytab, hostname=krb_realm.hostname)
    admin = IpaClient(server.json_url.replace(server.host, krb_realm.hostname),
                      PasswordLogin("admin", ADMIN_PASSWORD))
    admin.call("permission_add", "Test Add Tagged Hosts", type="host", ipapermright=["add"],
               extratargetfilter=["(description=novajoin owner*)"])
    admin.call("privilege_add", "Test Hosts")
    admin.call("privilege_add_permission", "Test Hosts", permission=["Test Add Tagged Hosts"])
    admin.call("role_add", "Test Nova")
    admin.call("role_add_privilege", "Test Nova", privilege=["Test Hosts"])
    admin.call("service_add", krb_realm.nova_principal, force=True, skip_host_check=True)
    admin.call("role_add_member", "Test Nova", service=[krb_realm.nova_principal])
    admin.close()
    return server


def _kerberos_url(server, krb_realm) -> str:
    return f"http://{krb_realm.hostname}:{server.port}/ipa/json"


def test_keytab_login_with_in_memory_ccache(kerberized_ipa, krb_realm, tmp_path, monkeypatch):
    ccache_file = tmp_path / "ccache"
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{ccache_file}")
    env_before = dict(os.environ)
    client = IpaClient(_kerberos_url(kerberized_ipa, krb_realm),
                       KerberosLogin(krb_realm.nova_keytab, krb_realm.nova_principal))
    out = client.call("host_add", f"kvm.{DOMAIN}", force=True, description="novajoin owner")
    assert out["value"] == f"kvm.{DOMAIN}"
    assert dict(os.environ) == env_before
    assert not ccache_file.exists()  # tickets stayed in memory


def test_the_role_decides_what_nova_may_add(kerberized_ipa, krb_realm):
    """A permission's add right is evaluated on the new entry (389-ds ldbm_add.c): nova may
    add a host carrying the tag, not one without (doc/freeipa-behaviour.md section 9a)."""
    client = IpaClient(_kerberos_url(kerberized_ipa, krb_realm),
                       KerberosLogin(krb_realm.nova_keytab, krb_realm.nova_principal))
    with pytest.raises(exception.IpaACIError) as info:
        client.call("host_add", f"untagged.{DOMAIN}", force=True)
    assert "Insufficient 'add' privilege to add the entry 'fqdn=untagged." in str(info.value)
    assert client.call("host_add", f"tagged.{DOMAIN}", force=True,
                       description="novajoin owner x")["value"] == f"tagged.{DOMAIN}"


def test_keytab_session_expiry_relogs_in(kerberized_ipa, krb_realm):
    client = IpaClient(_kerberos_url(kerberized_ipa, krb_realm),
                       KerberosLogin(krb_realm.nova_keytab, krb_realm.nova_principal))
    assert client.ping()
    kerberized_ipa.expire_sessions()
    assert client.ping()


def test_keytab_without_the_principal_is_an_auth_error(kerberized_ipa, krb_realm):
    client = IpaClient(_kerberos_url(kerberized_ipa, krb_realm),
                       KerberosLogin(krb_realm.nova_keytab, f"someone/else@{REALM}"))
    with pytest.raises(exception.IpaAuthError):
        client.ping()


def test_unreadable_keytab_is_an_auth_error(kerberized_ipa, krb_realm, tmp_path):
    client = IpaClient(_kerberos_url(kerberized_ipa, krb_realm),
                       KerberosLogin(str(tmp_path / "missing.keytab"), krb_realm.nova_principal))
    with pytest.raises(exception.IpaAuthError) as info:
        client.ping()
    assert "not readable" in str(info.value)


def test_server_without_keytab_refuses_kerberos(fakeipa, krb_realm):
    client = IpaClient(f"http://{krb_realm.hostname}:{fakeipa.port}/ipa/json",
                       KerberosLogin(krb_realm.nova_keytab, krb_realm.nova_principal),
                       connect_retries=0)
    with pytest.raises(exception.IpaAuthError):
        client.ping()


def test_an_expired_password_is_an_auth_error_that_says_so(fakeipa):
    """A password an IPA admin sets for a user starts expired: login_password answers 401
    with X-IPA-Rejection-Reason: password-expired (rpcserver.py, ipa-pwd-extop;
    doc/freeipa-behaviour.md section 8e). novajoin said only "password-expired"."""
    requests.post(fakeipa.url + "/ipa/fake/user", json={"uid": "novajoin", "password": "Pw-1"},
                  timeout=5).raise_for_status()
    client = IpaClient(fakeipa.json_url, PasswordLogin("novajoin", "Pw-1"))
    with pytest.raises(exception.IpaAuthError) as info:
        client.ping()
    text = str(info.value)
    assert "IPA user novajoin" in text and "the password has expired" in text
    assert "choose a new one" in text and "Pw-1" not in text
    requests.post(fakeipa.url + "/ipa/fake/user",
                  json={"uid": "novajoin", "password": "Pw-1", "expired": False},
                  timeout=5).raise_for_status()
    assert IpaClient(fakeipa.json_url, PasswordLogin("novajoin", "Pw-1")).ping()


def test_novajoin_never_sends_keeponly_so_a_4_9_server_works(fakeipa_factory):
    """keeponly does not exist before FreeIPA 4.12 (OptionError 3005 for the whole batch;
    doc/freeipa-behaviour.md section 8d). novajoin does not use it; this keeps it so."""
    server = fakeipa_factory(ipa_version="4.9.14")
    client = make_client(server)
    outcomes = client.batch([IpaCall("host_add", (f"old.{DOMAIN}",), {"force": True}),
                             IpaCall("host_show", (f"old.{DOMAIN}",))])
    assert all(o.ok for o in outcomes)
