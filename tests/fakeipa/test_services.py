"""service_* commands."""

from __future__ import annotations

import pytest

from tests.support import REALM

HOST = "web.novajoin.test"
OTHER = "vm1.novajoin.test"
PRINCIPAL = f"HTTP/{HOST}@{REALM}"
SERVICE_DN = f"krbprincipalname={PRINCIPAL},cn=services,cn=accounts,dc=novajoin,dc=test"


@pytest.fixture
def hosts(ipa):
    ipa("host_add", HOST, force=True)
    ipa("host_add", OTHER, force=True)


def test_add_normalizes_the_principal(ipa, hosts):
    result = ipa("service_add", f"HTTP/{HOST.upper()}", force=True)
    assert result["value"] == PRINCIPAL
    assert result["summary"] == f'Added service "{PRINCIPAL}"'
    entry = result["result"]
    assert set(entry) == {"dn", "krbprincipalname", "krbcanonicalname", "objectclass",
                          "ipauniqueid", "managedby_host"}
    assert entry["dn"] == SERVICE_DN
    assert entry["krbprincipalname"] == entry["krbcanonicalname"] == [PRINCIPAL]
    assert entry["managedby_host"] == [HOST]
    assert ipa.error("service_add", f"HTTP/{HOST}@{REALM}", force=True) == {
        "code": 4002, "name": "DuplicateEntry", "data": {},
        "message": f'service with name "{PRINCIPAL}" already exists'}


def test_add_principal_rules(ipa, hosts):
    assert ipa.error("service_add", f"HTTP/{HOST}@OTHER.TEST", force=True) == {
        "code": 4005, "name": "RealmMismatch", "data": {},
        "message": "The realm for the principal does not match the realm for this IPA server"}
    assert ipa.error("service_add", "justaname", force=True)["data"] == {
        "name": "canonical_principal", "error": "Service principal is required"}
    assert ipa.error("service_add", "HTTP/", force=True)["data"] == {
        "name": "canonical_principal", "error": "Malformed principal: 'HTTP/'"}
    assert ipa.error("service_add", f"host/{HOST}") == {
        "code": 4003, "name": "HostService", "data": {},
        "message": "You must enroll a host in order to create a host service"}
    assert ipa("service_add", f"host/{HOST}", force=True)["value"] == f"host/{HOST}@{REALM}"


def test_add_needs_the_host_unless_skipped(ipa):
    assert ipa.error("service_add", f"HTTP/{HOST}", force=True)["data"] == {
        "reason": f"The host '{HOST}' does not exist to add a service to."}
    result = ipa("service_add", f"HTTP/{HOST}", force=True, skip_host_check=True)["result"]
    assert "managedby_host" not in result


def test_add_without_force_needs_dns(ipa, hosts):
    assert ipa.error("service_add", f"HTTP/{HOST}")["code"] == 4019
    ipa("dnsrecord_add", "novajoin.test", "web", arecord="192.0.2.3")
    assert ipa("service_add", f"HTTP/{HOST}")["value"] == PRINCIPAL


def test_add_and_remove_hosts(ipa, hosts):
    ipa("service_add", f"HTTP/{HOST}", force=True)
    added = ipa("service_add_host", f"HTTP/{HOST}", host=[OTHER, "missing.novajoin.test", HOST])
    assert added == {
        "result": {"dn": SERVICE_DN, "krbprincipalname": [PRINCIPAL],
                   "krbcanonicalname": [PRINCIPAL], "managedby_host": [HOST, OTHER]},
        "failed": {"managedby": {"host": [["missing.novajoin.test", "no such entry"],
                                          [HOST, "This entry is already a member"]]}},
        "completed": 1}
    removed = ipa("service_remove_host", f"HTTP/{HOST}", host=[OTHER, OTHER])
    assert removed["completed"] == 1
    assert removed["failed"] == {"managedby": {"host": [[OTHER, "This entry is not a member"]]}}
    assert removed["result"]["managedby_host"] == [HOST]
    assert ipa.error("service_add_host", "HTTP/nothing.novajoin.test", host=[HOST])["data"] == {
        "reason": f"HTTP/nothing.novajoin.test@{REALM}: service not found"}


def test_show_find_and_delete(ipa, hosts):
    ipa("service_add", f"HTTP/{HOST}", force=True)
    ipa("service_add", f"nfs/{OTHER}", force=True)
    shown = ipa("service_show", f"HTTP/{HOST}")
    assert shown["result"]["has_keytab"] is False
    assert shown["result"]["managedby_host"] == [HOST]
    found = ipa("service_find")
    assert [e["krbcanonicalname"][0] for e in found["result"]] == [
        PRINCIPAL, f"nfs/{OTHER}@{REALM}"]
    assert found["summary"] == "2 services matched"
    assert "managedby_host" not in found["result"][0]
    by_host = ipa("service_find", man_by_host=OTHER)
    assert (by_host["count"], by_host["summary"]) == (1, "1 service matched")
    assert ipa("service_find", "nfs/")["count"] == 1
    assert ipa("service_find", man_by_host="nobody.novajoin.test")["count"] == 0
    deleted = ipa("service_del", f"HTTP/{HOST}")
    assert deleted == {"result": {"failed": []}, "value": [PRINCIPAL],
                       "summary": f'Deleted service "{PRINCIPAL}"'}
    missing = {"code": 4001, "name": "NotFound", "message": f"{PRINCIPAL}: service not found",
               "data": {"reason": f"{PRINCIPAL}: service not found"}}
    assert ipa.error("service_show", f"HTTP/{HOST}") == missing
    assert ipa.error("service_del", f"HTTP/{HOST}") == missing


def test_attribute_options(ipa, hosts):
    entry = ipa("service_add", f"HTTP/{HOST}", force=True, ipakrbauthzdata=["MS-PAC"],
                setattr=["krbprincipalauthind=otp"])["result"]
    assert entry["ipakrbauthzdata"] == ["MS-PAC"]
    assert entry["krbprincipalauthind"] == ["otp"]
    error = ipa.error("service_add", f"HTTP/{OTHER}", force=True, ipakrbauthzdata=["BOGUS"])
    assert error["code"] == 3009
    everything = ipa("service_show", f"HTTP/{HOST}", all=True)["result"]
    assert everything["ipakrbokasdelegate"] is False and "objectclass" in everything


def test_managers_given_by_addattr_replace_the_default(ipa, hosts):
    other_dn = f"fqdn={OTHER},cn=computers,cn=accounts,dc=novajoin,dc=test"
    entry = ipa("service_add", f"HTTP/{HOST}", force=True,
                addattr=[f"managedby={other_dn}"])["result"]
    assert entry["managedby_host"] == [OTHER]
    error = ipa.error("service_add", f"nfs/{HOST}", force=True,
                      addattr=["managedby=cn=admins,cn=groups,cn=accounts,dc=novajoin,dc=test"])
    assert (error["code"], error["data"]["name"]) == (3009, "managedby")
