"""host_* commands and the OTP/keytab state machine."""

from __future__ import annotations

from tests.fakeipa.conftest import Rpc, enroll, otp_host
from tests.support import REALM

FQDN = "vm1.novajoin.test"
BASEDN = "dc=novajoin,dc=test"
HOST_DN = f"fqdn={FQDN},cn=computers,cn=accounts,{BASEDN}"
PRINCIPAL = f"host/{FQDN}@{REALM}"
ENROLLED_TEXT = "Password cannot be set on enrolled host."


def test_add_with_otp_has_password_and_no_principal(ipa):
    result = ipa("host_add", FQDN, userpassword="otp", force=True, userclass=["compute"],
                 description="IPA host for OpenStack", nsosversion="fedora 40",
                 nshostlocation="az1")
    assert result["value"] == FQDN
    assert result["summary"] == f'Added host "{FQDN}"'
    entry = result["result"]
    assert set(entry) == {"dn", "fqdn", "description", "userclass", "nsosversion",
                          "nshostlocation", "objectclass", "ipauniqueid", "managedby_host",
                          "has_password", "has_keytab"}
    assert entry["dn"] == HOST_DN
    assert entry["fqdn"] == [FQDN]
    assert entry["userclass"] == ["compute"]
    assert entry["managedby_host"] == [FQDN]
    assert (entry["has_password"], entry["has_keytab"]) == (True, False)
    assert "krbprincipal" not in entry["objectclass"]


def test_add_without_otp_gets_a_principal(ipa):
    entry = ipa("host_add", FQDN, force=True)["result"]
    assert entry["krbprincipalname"] == entry["krbcanonicalname"] == [PRINCIPAL]
    assert {"krbprincipal", "krbprincipalaux"} <= set(entry["objectclass"])
    assert (entry["has_password"], entry["has_keytab"]) == (False, False)


def test_add_random_password_is_returned_once(ipa):
    added = ipa("host_add", FQDN, random=True, force=True)["result"]
    assert len(added["randompassword"]) >= 16 and added["has_password"] is True
    assert "randompassword" not in ipa("host_show", FQDN)["result"]


def test_add_normalizes_and_validates_the_name(ipa):
    assert ipa("host_add", "VM1.NovaJoin.Test.", force=True)["value"] == FQDN
    error = ipa.error("host_add", "shortname", force=True)
    assert error["data"] == {"name": "hostname",
                             "error": "invalid domain-name: not fully qualified"}


def test_add_refuses_names_longer_than_ipamaxhostnamelength(ipa):
    """host.py host_add.pre_callback: ``len(keys[-1]) > ipamaxhostnamelength`` (64 from
    bootstrap-template.ldif) is ValidationError 3009, counted on the normalised name
    (lower case, no trailing dot), before anything is written (doc/freeipa-behaviour.md
    section 2). The old emulator took any length up to 253."""
    longest = "a" * (64 - len(".novajoin.test")) + ".novajoin.test"
    assert len(longest) == 64
    assert ipa("host_add", longest.upper() + ".", force=True)["value"] == longest
    too_long = "b" + longest
    error = ipa.error("host_add", too_long, force=True, userpassword="otp")
    assert error == {"code": 3009, "name": "ValidationError",
                     "message": "invalid 'hostname': can be at most 64 characters",
                     "data": {"name": "hostname", "error": "can be at most 64 characters"}}
    assert ipa.error("host_show", too_long)["code"] == 4001


def test_max_hostname_length_is_the_servers_setting(fakeipa_factory):
    """ipaMaxHostnameLength can be raised (config_mod --maxhostname, 64..255)."""
    ipa = Rpc(fakeipa_factory(max_hostname_length=80))
    name = "c" * 40 + "." + "c" * (80 - 41 - len(".novajoin.test")) + ".novajoin.test"
    assert len(name) == 80
    assert ipa("host_add", name, force=True)["value"] == name
    assert ipa.error("host_add", "d" + name, force=True)["message"] == (
        "invalid 'hostname': can be at most 80 characters")


def test_add_twice_is_a_duplicate_with_empty_data(ipa):
    otp_host(ipa, FQDN)
    assert ipa.error("host_add", FQDN, force=True) == {
        "code": 4002, "name": "DuplicateEntry",
        "message": f'host with name "{FQDN}" already exists', "data": {}}


def test_add_without_force_needs_an_a_record(ipa):
    assert ipa.error("host_add", FQDN) == {
        "code": 4019, "name": "DNSNotARecordError",
        "message": f"Host '{FQDN}' does not have corresponding DNS A/AAAA record",
        "data": {"hostname": FQDN}}
    ipa("dnsrecord_add", "novajoin.test", "vm1", arecord="192.0.2.10")
    assert ipa("host_add", FQDN)["value"] == FQDN


def test_add_with_ip_address_creates_forward_and_reverse_records(ipa):
    ipa("dnszone_add", name_from_ip="192.0.2.0/24")
    ipa("host_add", FQDN, ip_address="192.0.2.10")
    assert ipa("dnsrecord_show", "novajoin.test", "vm1")["result"]["arecord"] == ["192.0.2.10"]
    ptr = ipa("dnsrecord_show", "2.0.192.in-addr.arpa.", "10")["result"]
    assert ptr["ptrrecord"] == [f"{FQDN}."]
    error = ipa.error("host_add", "vm2.novajoin.test", ip_address="192.0.2.10")
    assert error == {"code": 4002, "name": "DuplicateEntry", "data": {},
                     "message": "IP address 192.0.2.10 is already assigned in domain "
                                "novajoin.test.."}


def test_add_with_ip_address_warns_when_the_reverse_zone_is_missing(ipa):
    result = ipa("host_add", FQDN, ip_address="198.51.100.7")
    assert [m["code"] for m in result["messages"]] == [13030]
    assert result["messages"][0]["message"] == (
        "The host was added but the DNS update failed with: "
        "DNS reverse zone for IP address 198.51.100.7 not found")
    assert ipa("dnsrecord_show", "novajoin.test", "vm1")["result"]["arecord"] == ["198.51.100.7"]


def test_add_with_ip_address_outside_managed_zones(ipa):
    error = ipa.error("host_add", "vm1.elsewhere.test", ip_address="192.0.2.1")
    assert error["data"] == {"reason": "DNS zone elsewhere.test. not found"}


def test_show_and_mod_of_a_missing_host(ipa):
    expected = {"code": 4001, "name": "NotFound", "message": f"{FQDN}: host not found",
                "data": {"reason": f"{FQDN}: host not found"}}
    assert ipa.error("host_show", FQDN) == expected
    assert ipa.error("host_mod", FQDN, userpassword="x") == expected
    assert ipa.error("host_del", FQDN) == expected
    assert ipa.error("host_disable", FQDN) == expected


def test_show_has_no_summary_and_all_adds_attributes(ipa):
    otp_host(ipa, FQDN)
    shown = ipa("host_show", FQDN)
    assert shown["summary"] is None
    assert "objectclass" not in shown["result"]
    everything = ipa("host_show", FQDN, all=True)["result"]
    assert everything["cn"] == [FQDN] and everything["serverhostname"] == ["vm1"]
    assert everything["ipakrbrequirespreauth"] is True
    assert everything["ipakrbokasdelegate"] is False
    assert everything["managing_host"] == [FQDN]
    assert "ipauniqueid" in everything and "objectclass" in everything


def test_otp_state_machine(fakeipa, ipa):
    otp_host(ipa, FQDN, "otp-1")
    # An OTP may be replaced while the host is not enrolled.
    reset = ipa("host_mod", FQDN, userpassword="otp-2")
    assert reset["summary"] == f'Modified host "{FQDN}"'
    assert "dn" not in reset["result"]
    assert (reset["result"]["has_password"], reset["result"]["has_keytab"]) == (True, False)
    # The old OTP is gone, the new one enrols.
    assert enroll(fakeipa, FQDN, "otp-1").status_code == 403
    assert enroll(fakeipa, FQDN, "otp-2").json() == {
        "fqdn": FQDN, "principal": PRINCIPAL, "has_keytab": True}
    shown = ipa("host_show", FQDN)["result"]
    assert (shown["has_password"], shown["has_keytab"]) == (False, True)
    assert shown["krbprincipalname"] == [PRINCIPAL]
    # No new OTP on an enrolled host, by option, random or setattr.
    expected = {"code": 3009, "name": "ValidationError",
                "message": f"invalid 'password': {ENROLLED_TEXT}",
                "data": {"name": "password", "error": ENROLLED_TEXT}}
    assert ipa.error("host_mod", FQDN, userpassword="otp-3") == expected
    assert ipa.error("host_mod", FQDN, random=True) == expected
    assert ipa.error("host_mod", FQDN, setattr=["userpassword=otp-3"]) == expected
    # Other changes are still fine.
    assert ipa("host_mod", FQDN, description="still here")["result"]["description"] == \
        ["still here"]
    # host_disable removes the keys; then an OTP is accepted and enrols again.
    disabled = ipa("host_disable", FQDN)
    assert disabled == {"result": True, "value": FQDN, "summary": f'Disabled host "{FQDN}"'}
    assert ipa.error("host_disable", FQDN) == {
        "code": 4010, "name": "AlreadyInactive", "message": "This entry is already disabled",
        "data": {}}
    again = ipa("host_mod", FQDN, userpassword="otp-4")["result"]
    assert (again["has_password"], again["has_keytab"]) == (True, False)
    assert enroll(fakeipa, FQDN, "otp-4").status_code == 200


def test_enroll_refusals(fakeipa, ipa):
    assert enroll(fakeipa, FQDN, "x").status_code == 404
    ipa("host_add", FQDN, force=True)
    refused = enroll(fakeipa, FQDN, "x")
    assert refused.status_code == 403 and "No one-time password" in refused.json()["reason"]
    ipa("host_mod", FQDN, userpassword="right")
    assert enroll(fakeipa, FQDN, "wrong").json() == {"reason": "Incorrect one-time password"}
    assert enroll(fakeipa, FQDN, "right").status_code == 200
    assert enroll(fakeipa, FQDN, "right").json() == {"reason": "Host already enrolled"}


def test_mod_with_nothing_to_change_is_empty_modlist(ipa):
    otp_host(ipa, FQDN, description="d")
    assert ipa.error("host_mod", FQDN, description="d") == {
        "code": 4202, "name": "EmptyModlist", "message": "no modifications to be performed",
        "data": {}}


def test_mod_empty_value_deletes_the_attribute(ipa):
    otp_host(ipa, FQDN, description="d", l="Paris")
    result = ipa("host_mod", FQDN, description="")["result"]
    assert "description" not in result and result["l"] == ["Paris"]


def test_setattr_addattr_delattr(ipa):
    otp_host(ipa, FQDN, userclass=["a"])
    result = ipa("host_mod", FQDN, setattr=["description=set", "l=Lyon"],
                 addattr=["userclass=b", "nshardwareplatform=x86_64"])["result"]
    assert result["description"] == ["set"] and result["l"] == ["Lyon"]
    assert result["userclass"] == ["a", "b"]
    assert result["nshardwareplatform"] == ["x86_64"]
    assert ipa("host_mod", FQDN, delattr=["userclass=a"])["result"]["userclass"] == ["b"]
    assert ipa.error("host_mod", FQDN, delattr=["userclass=zz"]) == {
        "code": 4026, "name": "AttrValueNotFound", "message": "userclass does not contain 'zz'",
        "data": {"attr": "userclass", "value": "zz"}}
    assert ipa.error("host_mod", FQDN, addattr=["l=Nice"])["message"] == \
        "l: Only one value allowed."
    assert ipa.error("host_mod", FQDN, setattr=["cn=other"])["message"] == \
        "Insufficient access: cn is immutable"
    assert ipa.error("host_mod", FQDN, setattr=["nosuchattr=1"])["code"] == 4205
    assert ipa.error("host_mod", FQDN, setattr=["garbage"])["data"] == {
        "name": "setattr", "error": "Invalid format. Should be name=value"}


def test_principal_cannot_be_changed_once_set(ipa):
    ipa("host_add", FQDN, force=True)
    error = ipa.error("host_mod", FQDN, krbprincipalname=[f"host/other@{REALM}"])
    assert error["message"] == \
        "Insufficient access: Principal name already set, it is unchangeable."


def test_find(ipa):
    for name, location in (("b", "az1"), ("a", "az2"), ("c", "az1")):
        otp_host(ipa, f"{name}.novajoin.test", nshostlocation=location)
    everything = ipa("host_find")
    assert [e["fqdn"][0] for e in everything["result"]] == [
        "a.novajoin.test", "b.novajoin.test", "c.novajoin.test"]
    assert everything["summary"] == "3 hosts matched"
    assert not {"has_keytab", "has_password", "managedby_host"} & set(everything["result"][0])
    exact = ipa("host_find", fqdn="B.novajoin.test")
    assert (exact["count"], exact["summary"]) == (1, "1 host matched")
    assert ipa("host_find", fqdn="novajoin.test")["count"] == 0
    assert ipa("host_find", "az1")["count"] == 2
    assert ipa("host_find", nshostlocation="az2")["result"][0]["fqdn"] == ["a.novajoin.test"]
    members = ipa("host_find", fqdn="a.novajoin.test", no_members=False)["result"][0]
    assert members["managedby_host"] == ["a.novajoin.test"]
    assert ipa("host_find", man_by_host="a.novajoin.test")["count"] == 1
    assert ipa("host_find", not_man_by_host="a.novajoin.test")["count"] == 2
    assert ipa("host_find", in_hostgroup="ipaservers")["count"] == 0
    keys = ipa("host_find", pkey_only=True)["result"][0]
    assert set(keys) == {"dn", "fqdn"}
    none = ipa("host_find", "nothing-matches")
    assert (none["count"], none["result"], none["truncated"]) == (0, [], False)


def test_find_follows_each_change_of_the_text_it_searches(ipa, fakeipa):
    # The emulator remembers each host's search text (commands/host.py _search_text).
    otp_host(ipa, "d.novajoin.test", description="first words")
    assert ipa("host_find", "first")["count"] == 1
    assert ipa("host_find", "host/d.novajoin")["count"] == 0
    assert enroll(fakeipa, "d.novajoin.test", "otp-1").status_code == 200
    assert ipa("host_find", "host/d.novajoin")["count"] == 1  # its principal, once enrolled
    ipa("host_mod", "d.novajoin.test", description="Second words")
    assert ipa("host_find", "first")["count"] == 0
    assert ipa("host_find", "second")["count"] == 1
    ipa("host_del", "d.novajoin.test")
    otp_host(ipa, "d.novajoin.test", description="third")
    assert ipa("host_find", "second")["count"] == 0
    otp_host(ipa, "m.novajoin.test")
    ipa("host_mod", "d.novajoin.test",
        addattr=f"managedby=fqdn=m.novajoin.test,cn=computers,cn=accounts,{BASEDN}")
    assert [e["fqdn"][0] for e in ipa("host_find", "m.novajoin")["result"]] == [
        "d.novajoin.test", "m.novajoin.test"]
    ipa("host_del", "m.novajoin.test")  # referential integrity: out of d's managedby
    assert ipa("host_find", "m.novajoin")["count"] == 0


def test_delete_cascades_to_services_and_references(ipa):
    other = "vm2.novajoin.test"
    ipa("host_add", FQDN, force=True)
    ipa("host_add", other, force=True)
    ipa("service_add", f"HTTP/{FQDN}", force=True)
    ipa("service_add", f"HTTP/{other}", force=True)
    ipa("service_add_host", f"HTTP/{other}", host=[FQDN])
    deleted = ipa("host_del", FQDN)
    assert deleted == {"result": {"failed": []}, "value": [FQDN],
                       "summary": f'Deleted host "{FQDN}"'}
    assert ipa.error("service_show", f"HTTP/{FQDN}")["code"] == 4001
    assert ipa("service_show", f"HTTP/{other}")["result"]["managedby_host"] == [other]


def test_delete_with_updatedns_removes_forward_and_reverse_records(ipa):
    ipa("dnszone_add", name_from_ip="192.0.2.0/24")
    ipa("host_add", FQDN, ip_address="192.0.2.10")
    result = ipa("host_del", FQDN, updatedns=True)
    assert "messages" not in result
    assert ipa.error("dnsrecord_show", "novajoin.test", "vm1")["code"] == 4001
    assert ipa.error("dnsrecord_show", "2.0.192.in-addr.arpa.", "10")["code"] == 4001
    ipa("host_add", FQDN, force=True)
    warned = ipa("host_del", FQDN, updatedns=True)
    assert [m["name"] for m in warned["messages"]] == ["FailedToRemoveHostDNSRecords"]


def test_delete_several_and_continue(ipa):
    ipa("host_add", FQDN, force=True)
    assert ipa.error("host_del", "gone.novajoin.test", FQDN)["code"] == 4001
    assert ipa("host_show", FQDN)["value"] == FQDN  # stopped at the first failure
    result = ipa("host_del", "gone.novajoin.test", FQDN, **{"continue": True})
    assert result["result"] == {"failed": ["gone.novajoin.test"]}
    assert result["value"] == [FQDN]


def test_managers_by_attr_options(ipa):
    other = "vm2.novajoin.test"
    other_dn = f"fqdn={other}, cn=computers, cn=accounts, {BASEDN}"
    ipa("host_add", other, force=True)
    ipa("host_add", FQDN, force=True)
    added = ipa("host_mod", FQDN, addattr=[f"managedby={other_dn}"])["result"]
    assert added["managedby_host"] == [FQDN, other]
    assert ipa("host_find", man_by_host=other)["count"] == 2
    removed = ipa("host_mod", FQDN, delattr=[f"managedby={HOST_DN}"])["result"]
    assert removed["managedby_host"] == [other]
