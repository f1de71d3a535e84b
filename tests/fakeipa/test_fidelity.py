"""Where FreeIPA's server does more than the obvious, as doc/freeipa-behaviour.md reads it.

host_disable's implicit writes and the order in which it fails (section 3), the CA
(Dogtag) being down (section 4), host_del's resolver failure (section 7), certificate
scope (8b) and non-admin password logins (8e). Each test names the FreeIPA code it follows.
"""

from __future__ import annotations

import requests

from tests.fakeipa.conftest import Rpc, enroll, otp_host, referer
from tests.support import REALM

DOMAIN = "novajoin.test"
BASEDN = "dc=novajoin,dc=test"
FQDN = f"web.{DOMAIN}"
HTTP = f"HTTP/{FQDN}@{REALM}"
HTTP_DN = f"krbprincipalname={HTTP},cn=services,cn=accounts,{BASEDN}"
USER, PASSWORD = "enroller", "Enroller.pw-1"
# What a caller with only host rights holds: the host keytab, certificates and the
# certificate virtual operations, nothing on services.
HOST_ONLY = ["System: Manage Host Keytab", "System: Manage Host Certificates",
             "Retrieve Certificates from the CA", "Revoke Certificate"]


def fake(server, what: str, **body) -> dict:
    response = requests.post(f"{server.url}/ipa/fake/{what}", json=body, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def user_rpc(server, permissions: list[str], user: str = USER) -> Rpc:
    """A logged-in non-admin user holding ``permissions`` through a role."""
    admin = Rpc(server)
    fake(server, "user", uid=user, password=PASSWORD, expired=False)
    admin("privilege_add", f"{user} privilege")
    admin("privilege_add_permission", f"{user} privilege", permission=permissions)
    admin("role_add", f"{user} role")
    admin("role_add_privilege", f"{user} role", privilege=[f"{user} privilege"])
    admin("role_add_member", f"{user} role", user=[user])
    session = requests.Session()
    response = session.post(server.url + "/ipa/session/login_password",
                            data={"user": user, "password": PASSWORD},
                            headers={"Referer": referer(server.url)}, timeout=10)
    assert response.status_code == 200, response.text
    session.headers["Cookie"] = f"ipa_session={response.cookies['ipa_session']}"
    return Rpc(server, path="/ipa/session/json", session=session)


def enrolled_host_with_service(server, ipa: Rpc) -> None:
    otp_host(ipa, FQDN, "otp-1")
    assert enroll(server, FQDN, "otp-1").status_code == 200
    ipa("service_add", HTTP, force=True)


def set_faults(server, **commands) -> None:
    response = requests.post(server.url + "/ipa/fake/faults", json={"commands": commands},
                             timeout=5)
    assert response.status_code == 200, response.text


# -- host_disable (section 3) ----------------------------------------------------------

def test_host_disable_refused_on_a_service_cert_after_revoking_it(fakeipa, ipa):
    """host.py host_disable.execute -> service.py service_disable: cert_find, revoke_certs
    (committed in Dogtag), then the LDAP delete of the service's userCertificate, which a
    caller without write on services may not do: ACIError 2100. The service's cert stays
    in LDAP (revoked), its keys and the host are untouched; a retry fails the same way.
    The old emulator let anyone disable anything."""
    enrolled_host_with_service(fakeipa, ipa)
    cert = fake(fakeipa, "cert", entry=HTTP)["certificate"]
    fake(fakeipa, "keytab", principal=HTTP)
    nova = user_rpc(fakeipa, HOST_ONLY)
    expected = {"code": 2100, "name": "ACIError",
                "message": "Insufficient access: Insufficient 'write' privilege to the "
                           f"'usercertificate' attribute of entry '{HTTP_DN}'.",
                "data": {"info": "Insufficient 'write' privilege to the 'usercertificate' "
                                 f"attribute of entry '{HTTP_DN}'."}}
    assert nova.error("host_disable", FQDN) == expected
    store = fakeipa.store
    with store.lock:
        assert store.ca_certs[cert] is True  # revoked in the CA ...
        assert store.services[HTTP].attrs["usercertificate"] == [cert]  # ... still in LDAP
        assert store.services[HTTP].has_keytab is True
        assert store.hosts[FQDN].has_keytab is True
    assert nova.error("host_disable", FQDN) == expected  # a retry: the same


def test_host_disable_refused_on_service_keys_changes_nothing(fakeipa, ipa):
    """service_disable's remove_principal_key is a MOD_REPLACE of krbprincipalkey and
    krblastpwdchange: 389-ds (acl.c acl_check_mods) needs write on both even without a
    value (doc/freeipa-behaviour.md sections 3 and 9a)."""
    enrolled_host_with_service(fakeipa, ipa)
    fake(fakeipa, "keytab", principal=HTTP)
    nova = user_rpc(fakeipa, HOST_ONLY)
    error = nova.error("host_disable", FQDN)
    assert (error["code"], error["data"]["info"]) == (
        2100, f"Insufficient 'write' privilege to the 'krbprincipalkey' attribute of entry "
              f"'{HTTP_DN}'.")
    with fakeipa.store.lock:
        assert fakeipa.store.services[HTTP].has_keytab is True
        assert fakeipa.store.hosts[FQDN].has_keytab is True


def test_host_disable_without_the_certificate_operations_revokes_nothing(fakeipa, ipa):
    """cert_revoke checks the virtual operation "retrieve certificate" first (cert.py
    cert_revoke.execute, virtual.py check_operation_access)."""
    otp_host(ipa, FQDN, "otp-1")
    cert = fake(fakeipa, "cert", entry=FQDN)["certificate"]
    nova = user_rpc(fakeipa, ["System: Manage Host Certificates"])
    assert nova.error("host_disable", FQDN)["message"] == (
        "Insufficient access: not allowed to perform operation: retrieve certificate")
    with fakeipa.store.lock:
        assert fakeipa.store.ca_certs[cert] is False
        assert fakeipa.store.hosts[FQDN].attrs["usercertificate"] == [cert]


def test_host_with_plain_services_is_disabled_with_host_rights(fakeipa, ipa):
    """A service without certificates or keys: service_disable has nothing to do
    (AlreadyInactive, swallowed); the host's own keys go."""
    enrolled_host_with_service(fakeipa, ipa)
    nova = user_rpc(fakeipa, HOST_ONLY)
    assert nova("host_disable", FQDN)["result"] is True
    assert ipa("host_show", FQDN)["result"]["has_keytab"] is False


def test_host_disable_revokes_ipa_ca_certs_and_removes_every_cert(fakeipa, ipa):
    """revoke_certs revokes only what the IPA CA issued (cacn); but once cert_find found
    one, the whole userCertificate attribute is deleted, third-party certificates too
    (doc/freeipa-behaviour.md section 8b). The old emulator dropped the host's certs
    without revoking any and never touched the services'."""
    enrolled_host_with_service(fakeipa, ipa)
    ours = fake(fakeipa, "cert", entry=HTTP)["certificate"]
    theirs = fake(fakeipa, "cert", entry=HTTP, ipa_ca=False)["certificate"]
    host_cert = fake(fakeipa, "cert", entry=FQDN)["certificate"]
    assert ipa("host_disable", FQDN)["result"] is True
    with fakeipa.store.lock:
        store = fakeipa.store
        assert (store.ca_certs[ours], store.ca_certs[host_cert]) == (True, True)
        assert theirs not in store.ca_certs
        assert "usercertificate" not in store.services[HTTP].attrs
        assert "usercertificate" not in store.hosts[FQDN].attrs


def test_only_third_party_certs_are_left_alone(fakeipa, ipa):
    """cert_find finds nothing the IPA CA knows: nothing to revoke, nothing removed."""
    otp_host(ipa, FQDN, "otp-1")
    theirs = fake(fakeipa, "cert", entry=FQDN, ipa_ca=False)["certificate"]
    assert ipa.error("host_disable", FQDN)["code"] == 4010
    with fakeipa.store.lock:
        assert fakeipa.store.hosts[FQDN].attrs["usercertificate"] == [theirs]


def test_host_disable_leaves_the_otp(fakeipa, ipa):
    """host_disable never touches userPassword: a host that never enrolled answers
    AlreadyInactive 4010 and its OTP stays valid (doc/freeipa-behaviour.md section 5)."""
    otp_host(ipa, FQDN, "otp-1")
    assert ipa.error("host_disable", FQDN)["code"] == 4010
    assert ipa("host_show", FQDN)["result"]["has_password"] is True


# -- the CA down (section 4) -------------------------------------------------------------

def test_ca_down_fails_host_del_before_anything_when_it_has_services(fakeipa, ipa):
    """host_del deletes services first, each service_del asks Dogtag (cert_find) before
    deleting: with the CA down, nothing is deleted. 4.13: CertificateOperationError 4301
    (python-pki); 4.9-4.12 NetworkError 907 for an unreachable CA."""
    enrolled_host_with_service(fakeipa, ipa)
    for code, name in ((4301, "CertificateOperationError"), (907, "NetworkError")):
        set_faults(fakeipa, host_del=code, service_del=code, host_disable=code)
        for method, arg in (("host_del", FQDN), ("service_del", HTTP),
                            ("host_disable", FQDN)):
            error = ipa.error(method, arg)
            assert (error["code"], error["name"]) == (code, name), method
        assert ipa("service_show", HTTP)["result"]["krbprincipalname"] == [HTTP]
        assert ipa("host_show", FQDN)["result"]["has_keytab"] is True
    assert ipa.error("host_del", FQDN)["message"].startswith("cannot connect to 'https://")
    set_faults(fakeipa, host_del=4301)
    assert ipa.error("host_del", FQDN)["message"] == (
        "Certificate operation cannot be completed: Unable to communicate with CMS (503)")
    set_faults(fakeipa, host_del=None)
    assert ipa("host_del", FQDN)["value"] == [FQDN]


def test_ca_down_host_del_without_services_has_removed_dns_already(fakeipa, ipa):
    """Without services, host_del(updatedns) removes the DNS records, then fails at the
    host's cert_find: the records are gone, the host stays (section 4, 'Partial state')."""
    ipa("host_add", FQDN, ip_address="192.0.2.10", force=True)
    set_faults(fakeipa, host_del=4301)
    result = ipa("batch", [{"method": "host_del", "params": [[FQDN], {"updatedns": True}]}])
    item = result["results"][0]
    assert (item["error_code"], item["error_name"]) == (4301, "CertificateOperationError")
    assert ipa.error("dnsrecord_show", f"{DOMAIN}.", "web")["code"] == 4001
    assert ipa("host_show", FQDN)["value"] == FQDN


def test_a_fault_on_a_command_without_a_ca_step_fails_it_at_once(fakeipa, ipa):
    """Any other command with an injected error fails before doing anything."""
    set_faults(fakeipa, host_add=4301, dnsrecord_add=2100)
    assert ipa.error("host_add", FQDN, force=True)["code"] == 4301
    assert ipa.error("dnsrecord_add", f"{DOMAIN}.", "x", arecord=["192.0.2.1"])["code"] == 2100
    assert ipa.error("host_show", FQDN)["code"] == 4001
    set_faults(fakeipa, host_add=None, dnsrecord_add=None)
    assert ipa("host_add", FQDN, force=True)["value"] == FQDN


# -- host_del's resolver (section 7) -------------------------------------------------------

def test_resolver_failure_is_internal_error_after_the_services_are_gone(fakeipa, ipa):
    """host_del(updatedns): services deleted, then zone_for_name asks the server's
    resolver; its exception is not caught: InternalError 903 (batch: error_code 903,
    error_kw {}). The records and the host are still there."""
    ipa("host_add", FQDN, ip_address="192.0.2.11", force=True)
    ipa("service_add", HTTP, force=True)
    set_faults(fakeipa, host_del=903)
    item = ipa("batch", [{"method": "host_del",
                          "params": [[FQDN], {"updatedns": True}]}])["results"][0]
    assert item == {"error": "an internal error has occurred", "error_code": 903,
                    "error_name": "InternalError", "error_kw": {}}
    assert ipa.error("service_show", HTTP)["code"] == 4001
    assert ipa("dnsrecord_show", f"{DOMAIN}.", "web")["result"]["arecord"] == ["192.0.2.11"]
    assert ipa("host_show", FQDN)["value"] == FQDN
    # Without updatedns the resolver is not asked.
    assert ipa("host_del", FQDN)["value"] == [FQDN]


# -- who may read DNS (section 9b) ---------------------------------------------------------

DNS_WRITER = ["System: Add Hosts", "System: Remove Hosts", "System: Add DNS Entries",
              "System: Update DNS Entries", "System: Remove DNS Entries"]


def test_dns_is_hidden_from_a_caller_without_read_dns_entries(fakeipa, ipa):
    """Only "System: Read DNS Entries" reads under cn=dns (its ACI has no bind rule for
    all: ACI.txt, ipaserver/plugins/dns.py managed_permissions). cn=dns itself is an
    nsContainer everyone may read (install/updates/20-aci.update "Anonymous read access
    to containers"), so dns_container_exists holds and nothing says "DNS is not
    configured": dnszone_find finds no zone, check_zone's read of the zone answers
    NotFound, and host_del(updatedns)'s dnsrecord_show finds nothing, so it deletes the
    host and leaves its records (host.py host_del.pre_callback, FailedToRemoveHostDNSRecords)."""
    zone = f"{DOMAIN}."
    ipa("host_add", FQDN, ip_address="192.0.2.20", force=True)
    user = user_rpc(fakeipa, DNS_WRITER)
    assert user("dnszone_find", sizelimit=0)["count"] == 0
    assert ipa("dnszone_find", sizelimit=0)["count"] >= 1
    assert user.error("dnszone_show", zone)["message"] == f"{zone}: DNS zone not found"
    assert user.error("dnsrecord_show", zone, "web")["message"] == f"{zone}: DNS zone not found"
    error = user.error("dnsrecord_add", zone, "other", arecord=["192.0.2.21"])
    assert (error["code"], error["message"]) == (4001, f"{zone}: DNS zone not found")
    error = user.error("host_add", f"new.{DOMAIN}", ip_address="192.0.2.22")
    assert (error["code"], error["message"]) == (4001, f"DNS zone {zone} not found")
    deleted = user("host_del", FQDN, updatedns=True)
    assert deleted["value"] == [FQDN]
    assert [m["name"] for m in deleted.get("messages", [])] == ["FailedToRemoveHostDNSRecords"]
    assert ipa("dnsrecord_show", zone, "web")["result"]["arecord"] == ["192.0.2.20"]


def test_read_dns_entries_shows_dns_and_lets_host_del_clean_it(fakeipa, ipa):
    zone = f"{DOMAIN}."
    ipa("host_add", FQDN, ip_address="192.0.2.30", force=True)
    user = user_rpc(fakeipa, [*DNS_WRITER, "System: Read DNS Entries"])
    assert zone in [z["idnsname"][0]["__dns_name__"]
                    for z in user("dnszone_find", sizelimit=0)["result"]]
    assert user("dnsrecord_show", zone, "web")["result"]["arecord"] == ["192.0.2.30"]
    assert not user("host_del", FQDN, updatedns=True).get("messages")
    assert ipa.error("dnsrecord_show", zone, "web")["code"] == 4001


# -- non-admin password login (section 8e) ------------------------------------------------

def test_a_users_admin_set_password_is_expired_at_login(fakeipa):
    """rpcserver.py login_password works for any user; a password set by an admin is
    already expired (ipa-pwd-extop common.c, IPA_CHANGETYPE_ADMIN): 401 with
    X-IPA-Rejection-Reason: password-expired. The old emulator knew only admin."""
    fake(fakeipa, "user", uid="svc-novajoin", password=PASSWORD)
    url = fakeipa.url + "/ipa/session/login_password"
    headers = {"Referer": referer(fakeipa.url)}
    expired = requests.post(url, data={"user": "svc-novajoin", "password": PASSWORD},
                            headers=headers, timeout=5)
    assert expired.status_code == 401
    assert expired.headers["X-IPA-Rejection-Reason"] == "password-expired"
    wrong = requests.post(url, data={"user": "svc-novajoin", "password": "nope"},
                          headers=headers, timeout=5)
    assert wrong.headers["X-IPA-Rejection-Reason"] == "invalid-password"
    fake(fakeipa, "user", uid="svc-novajoin", password=PASSWORD, expired=False)
    ok = requests.post(url, data={"user": f"svc-novajoin@{REALM}", "password": PASSWORD},
                       headers=headers, timeout=5)
    assert ok.status_code == 200 and "ipa_session" in ok.cookies


# -- smaller points (section 8) -----------------------------------------------------------

def test_host_add_is_always_managed_by_itself(ipa):
    """host.py host_add.pre_callback sets managedby = the new DN after the *attr options
    (section 8a): an addattr'd manager is accepted and overwritten. The old emulator
    kept it."""
    ipa("host_add", f"boss.{DOMAIN}", force=True)
    other = f"fqdn=boss.{DOMAIN},cn=computers,cn=accounts,{BASEDN}"
    entry = ipa("host_add", FQDN, force=True, addattr=[f"managedby={other}"])["result"]
    assert entry["managedby_host"] == [FQDN]


def test_address_records_are_stored_as_given_and_matched_exactly(ipa):
    """dns.py AAAARecord has a validator, no normaliser; add merges and del removes exact
    strings in Python; LDAP compares case-blind (caseIgnoreIA5Match), so another case of
    the same text is "Type or value exists"; find is an LDAP filter: case-blind, textual
    (section 8c). The old emulator canonicalised every address."""
    zone = f"{DOMAIN}."
    ipa("dnsrecord_add", zone, "six", aaaarecord=["2001:DB8:0::1"])
    assert ipa("dnsrecord_show", zone, "six")["result"]["aaaarecord"] == ["2001:DB8:0::1"]
    assert ipa.error("dnsrecord_add", zone, "six", aaaarecord=["2001:DB8:0::1"])["code"] == 4202
    assert ipa.error("dnsrecord_add", zone, "six", aaaarecord=["2001:db8:0::1"])["code"] == 4002
    ipa("dnsrecord_add", zone, "six", aaaarecord=["2001:db8::1"])  # another text: stored too
    assert ipa("dnsrecord_show", zone, "six")["result"]["aaaarecord"] == [
        "2001:DB8:0::1", "2001:db8::1"]
    found = ipa("dnsrecord_find", zone, aaaarecord="2001:db8:0::1")["result"]
    assert [r["idnsname"][0] for r in found] == [{"__dns_name__": "six"}]
    error = ipa.error("dnsrecord_del", zone, "six", aaaarecord=["2001:db8:0::1"])
    assert error["code"] == 4026
    ipa("dnsrecord_del", zone, "six", aaaarecord=["2001:DB8:0::1", "2001:db8::1"])
    assert ipa.error("dnsrecord_show", zone, "six")["code"] == 4001


def test_keeponly_is_an_unknown_option_before_4_12(fakeipa_factory):
    """batch.py got keeponly in 4.12.0 (commit 9e861693f): on 4.9-4.11 it is OptionError
    3005 for the whole batch, nothing run (section 8d)."""
    old = Rpc(fakeipa_factory(ipa_version="4.9.14"))
    error = old.error("batch", [{"method": "ping", "params": [[], {}]}], keeponly=["value"])
    assert (error["code"], error["message"]) == (3005, "Unknown option: keeponly")
    assert old("batch", [{"method": "ping", "params": [[], {}]}])["count"] == 1
    new = Rpc(fakeipa_factory())
    assert new("batch", [{"method": "ping", "params": [[], {}]}], keeponly=["value"])["count"] == 1
