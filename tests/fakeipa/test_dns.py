"""dnszone_* and dnsrecord_* commands."""

from __future__ import annotations

from tests.support import REALM

ZONE = "novajoin.test."
ZONE_DN = f"idnsname={ZONE},cn=dns,dc=novajoin,dc=test"
REVERSE = "2.0.192.in-addr.arpa."


def name(value: str) -> dict:
    return {"__dns_name__": value}


def test_the_domain_zone_exists_at_start(ipa):
    zone = ipa("dnszone_show", "novajoin.test")
    assert zone["value"] == name(ZONE) and zone["summary"] is None
    entry = zone["result"]
    assert entry["dn"] == ZONE_DN
    assert entry["idnsname"] == [name(ZONE)]
    assert entry["idnszoneactive"] == ["TRUE"]
    assert entry["idnsupdatepolicy"] == [
        f"grant {REALM} krb5-self * A; grant {REALM} krb5-self * AAAA; "
        f"grant {REALM} krb5-self * SSHFP;"]
    records = ipa("dnsrecord_find", ZONE)
    assert [r["idnsname"] for r in records["result"]] == [[name("@")], [name("_kerberos")]]
    assert records["result"][1]["txtrecord"] == [REALM]


def test_zone_add_find_delete(ipa):
    added = ipa("dnszone_add", name_from_ip="192.0.2.0/24")
    assert added["value"] == name(REVERSE)
    assert "objectclass" in added["result"]
    assert added["result"]["idnsupdatepolicy"] == [f"grant {REALM} krb5-subdomain {REVERSE} PTR;"]
    assert ipa.error("dnszone_add", REVERSE) == {
        "code": 4002, "name": "DuplicateEntry", "data": {},
        "message": f'DNS zone with name "{REVERSE}" already exists'}
    assert ipa.error("dnszone_add", name_from_ip="not-a-network")["data"] == {
        "name": "name_from_ip", "error": "invalid IP network format"}
    found = ipa("dnszone_find")
    assert [z["idnsname"] for z in found["result"]] == [[name(REVERSE)], [name(ZONE)]]
    assert found["summary"] is None
    assert ipa("dnszone_find", forward_only=True)["count"] == 1
    deleted = ipa("dnszone_del", REVERSE)
    assert deleted == {"result": {"failed": []}, "value": [name(REVERSE)],
                       "summary": f'Deleted DNS zone "{REVERSE}"'}
    assert ipa.error("dnszone_show", REVERSE) == {
        "code": 4001, "name": "NotFound", "message": f"{REVERSE}: DNS zone not found",
        "data": {"reason": f"{REVERSE}: DNS zone not found"}}


def test_record_add_merges_values(ipa):
    first = ipa("dnsrecord_add", ZONE, "vm1", arecord="192.0.2.1")
    assert first == {"value": name("vm1"), "summary": None, "result": {
        "dn": f"idnsname=vm1,{ZONE_DN}", "idnsname": [name("vm1")],
        "arecord": ["192.0.2.1"], "objectclass": ["top", "idnsrecord"]}}
    merged = ipa("dnsrecord_add", ZONE, "vm1", a_part_ip_address="192.0.2.2",
                 aaaarecord="2001:DB8::0:1")
    assert merged["result"]["arecord"] == ["192.0.2.1", "192.0.2.2"]
    # Stored as sent: no normaliser (doc/freeipa-behaviour.md section 8c).
    assert merged["result"]["aaaarecord"] == ["2001:DB8::0:1"]
    assert ipa.error("dnsrecord_add", ZONE, "vm1", arecord="192.0.2.1") == {
        "code": 4202, "name": "EmptyModlist", "message": "no modifications to be performed",
        "data": {}}


def test_record_add_errors(ipa):
    assert ipa.error("dnsrecord_add", "nothing.test", "vm1", arecord="192.0.2.1")["data"] == {
        "reason": "nothing.test.: DNS zone not found"}
    error = ipa.error("dnsrecord_add", ZONE, "vm1")
    assert (error["code"], error["data"]) == (3005, {})
    assert error["message"].startswith("No options to add a specific record provided.")
    assert ipa.error("dnsrecord_add", ZONE, "vm1", arecord="not-an-ip")["data"] == {
        "name": "a_rec", "error": "invalid IP address format"}
    error = ipa.error("dnsrecord_add", ZONE, "vm1", arecord="192.0.2.1",
                      a_part_ip_address="192.0.2.2")
    assert error["data"]["error"] == 'Raw value of a DNS record was already set by "a_rec" option'
    ipa("dnsrecord_add", ZONE, "alias", cnamerecord="vm1")
    assert ipa.error("dnsrecord_add", ZONE, "alias", arecord="192.0.2.9")["data"]["name"] == \
        "cnamerecord"


def test_create_reverse_into_a_managed_zone(ipa):
    ipa("dnszone_add", REVERSE)
    ipa("dnsrecord_add", ZONE, "vm1", a_part_ip_address="192.0.2.5",
        a_extra_create_reverse=True)
    ptr = ipa("dnsrecord_show", REVERSE, "5")["result"]
    assert ptr["ptrrecord"] == ["vm1.novajoin.test."]
    error = ipa.error("dnsrecord_add", ZONE, "vm2", a_part_ip_address="192.0.2.5",
                      a_extra_create_reverse=True)
    assert error == {"code": 4002, "name": "DuplicateEntry", "data": {},
                     "message": "Reverse record for IP address 192.0.2.5 already exists in "
                                f"reverse zone {REVERSE}."}
    assert ipa.error("dnsrecord_show", ZONE, "vm2")["code"] == 4001


def test_create_reverse_without_a_zone_is_non_fatal_after_the_forward_record(ipa):
    error = ipa.error("dnsrecord_add", ZONE, "vm1", a_part_ip_address="198.51.100.5",
                      a_extra_create_reverse=True)
    reason = ('Cannot create reverse record for "198.51.100.5": '
              "DNS reverse zone for IP address 198.51.100.5 not found")
    assert error == {"code": 4304, "name": "NonFatalError", "message": reason,
                     "data": {"reason": reason}}
    assert ipa("dnsrecord_show", ZONE, "vm1")["result"]["arecord"] == ["198.51.100.5"]


def test_find_by_address_and_name(ipa):
    ipa("dnsrecord_add", ZONE, "vm1", arecord=["192.0.2.1", "192.0.2.2"])
    ipa("dnsrecord_add", ZONE, "vm2", arecord="192.0.2.3")
    by_ip = ipa("dnsrecord_find", ZONE, arecord="192.0.2.2")
    assert by_ip == {"count": 1, "truncated": False, "summary": None, "result": [{
        "dn": f"idnsname=vm1,{ZONE_DN}", "idnsname": [name("vm1")],
        "arecord": ["192.0.2.1", "192.0.2.2"]}]}
    assert ipa("dnsrecord_find", ZONE, arecord="192.0.2.9")["count"] == 0
    assert ipa("dnsrecord_find", ZONE, idnsname="vm2")["count"] == 1
    assert ipa("dnsrecord_find", ZONE, "vm")["count"] == 2
    apex = ipa("dnsrecord_find", ZONE, idnsname=name("@"))["result"][0]
    assert apex["dn"] == ZONE_DN and apex["nsrecord"]


def test_record_delete(ipa):
    ipa("dnsrecord_add", ZONE, "vm1", arecord=["192.0.2.1", "192.0.2.2"])
    partial = ipa("dnsrecord_del", ZONE, "vm1", arecord="192.0.2.1")
    assert partial == {"value": [name("vm1")], "summary": None,
                       "result": {"idnsname": [name("vm1")], "arecord": ["192.0.2.2"]}}
    assert ipa.error("dnsrecord_del", ZONE, "vm1", arecord="192.0.2.7") == {
        "code": 4026, "name": "AttrValueNotFound",
        "message": "A record does not contain '192.0.2.7'",
        "data": {"attr": "A record", "value": "192.0.2.7"}}
    last = ipa("dnsrecord_del", ZONE, "vm1", arecord="192.0.2.2")
    assert last == {"value": [name("vm1")], "summary": 'Deleted record "vm1"',
                    "result": {"failed": []}}
    missing = {"code": 4001, "name": "NotFound",
               "message": "vm1: DNS resource record not found",
               "data": {"reason": "vm1: DNS resource record not found"}}
    assert ipa.error("dnsrecord_del", ZONE, "vm1", del_all=True) == missing
    assert ipa.error("dnsrecord_show", ZONE, "vm1") == missing


def test_delete_all_and_apex_protection(ipa):
    ipa("dnsrecord_add", ZONE, "vm1", arecord="192.0.2.1", txtrecord="hello")
    assert ipa("dnsrecord_del", ZONE, "vm1", del_all=True)["summary"] == 'Deleted record "vm1"'
    assert ipa.error("dnsrecord_del", ZONE, "@", del_all=True)["data"] == {
        "name": "del_all", "error": "Zone record '@' cannot be deleted"}
    error = ipa.error("dnsrecord_del", ZONE, "@")
    assert error["code"] == 3005
    assert error["message"].startswith("Neither --del-all nor options to delete")


def test_absolute_record_names_are_made_relative(ipa):
    assert ipa("dnsrecord_add", ZONE, "vm1.novajoin.test.", arecord="192.0.2.1")["value"] == \
        name("vm1")
    assert ipa("dnsrecord_show", ZONE, ZONE)["value"] == name("@")
