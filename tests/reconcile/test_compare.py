"""The pure comparison as tables: IPA inventory + nova inventory -> findings and their fixes."""

from __future__ import annotations

import datetime

import pytest

from novajoin.domain.calls import IpaCall
from novajoin.domain.ownership import Owner
from novajoin.reconcile.compare import (
    FloatingIp,
    Instance,
    IpaInventory,
    NovaInventory,
    compare,
    old_otp_hosts,
    orphan_hosts,
    record_hosts,
)

D = "example.test"
P = "4969c491a3c74ee4af974e6d800c62de"
GONE, LIVE, OTHER = ("11111111-1111-1111-1111-111111111111",
                     "22222222-2222-2222-2222-222222222222",
                     "33333333-3333-3333-3333-333333333333")
NOW = datetime.datetime(2026, 5, 20, 12, 0, tzinfo=datetime.timezone.utc)
DAY = datetime.timedelta(days=1)
ZONES = [f"{D}.", "4.24.172.in-addr.arpa."]


def OTP(instance_id, generation):
    return f"otp-{instance_id[:4]}-{generation}"


def host(name: str, instance: str | None = None, kind: str = "host", generation: int = 0,
         **extra) -> tuple[str, dict]:
    fqdn = f"{name}.{D}"
    entry = {"fqdn": [fqdn], **extra}
    if instance:
        entry["description"] = [Owner(instance, P, generation, kind).tag()]
    return fqdn, entry


def service(principal: str, *managers: str) -> dict:
    return {"krbprincipalname": [f"{principal}@EXAMPLE.TEST"],
            "managedby_host": [f"{m}.{D}" for m in managers]}


def nova(*instances: Instance, incomplete: str | None = None) -> NovaInventory:
    return NovaInventory({i.id: i for i in instances}, incomplete)


def live(iid: str = LIVE, created: datetime.datetime = NOW, addresses=("10.0.0.5",),
         ) -> Instance:
    return Instance(iid, P, "ACTIVE", created, frozenset(addresses))


def rows(findings) -> list[tuple]:
    return [(f.kind, f.object, f.instance, f.fix) for f in findings]


def test_an_orphaned_instance_loses_hosts_subhosts_and_services():
    ipa = IpaInventory(dict([host("gone", GONE), host("gone.ctl", GONE, "subhost"),
                             host("web", LIVE)]), ZONES)
    ipa.services = {f"gone.{D}": [service(f"HTTP/gone.ctl.{D}", "gone.ctl", "gone")],
                    f"gone.ctl.{D}": [service(f"HTTP/gone.ctl.{D}", "gone.ctl", "gone")]}
    found = compare(ipa, nova(live()), now=NOW, max_age=None, otp_for=OTP)
    assert rows(found) == [
        ("orphan_service", f"HTTP/gone.ctl.{D}@EXAMPLE.TEST", GONE,
         (IpaCall("service_del", (f"HTTP/gone.ctl.{D}@EXAMPLE.TEST",)),)),
        ("orphan_host", f"gone.{D}", GONE,
         (IpaCall("host_del", (f"gone.{D}",), {"updatedns": True}),)),
        ("orphan_subhost", f"gone.ctl.{D}", GONE,
         (IpaCall("host_del", (f"gone.ctl.{D}",), {"updatedns": True}),)),
    ]
    assert all(f.project == P and "not in nova" in f.reason for f in found)


@pytest.mark.parametrize("listed,expected", [
    ((), [f"gone.{D}", f"web.{D}"]),
    ((GONE,), [f"web.{D}"]),
    ((GONE, LIVE), []),
])
def test_orphan_hosts_are_those_nova_does_not_list(listed, expected):
    ipa = IpaInventory(dict([host("gone", GONE), host("web", LIVE.upper()),
                             host("printer")]), ZONES)
    assert orphan_hosts(ipa, nova(*(live(i) for i in listed))) == expected


def test_entries_without_an_owner_tag_are_never_findings():
    ipa = IpaInventory(dict([host("printer"), host("ldap", description=["a server"])]), ZONES)
    assert compare(ipa, nova(), now=NOW, max_age=DAY, otp_for=OTP) == []


def test_a_shared_service_is_released_and_its_subhost_handed_to_a_live_owner():
    ipa = IpaInventory(dict([host("node1", GONE), host("vip", GONE, "subhost"),
                             host("node2", LIVE)]), ZONES)
    shared = service(f"HTTP/vip.{D}", "vip", "node1", "node2")
    ipa.services = {f"node1.{D}": [shared], f"vip.{D}": [shared]}
    found = compare(ipa, nova(live()), now=NOW, max_age=None, otp_for=OTP)
    assert rows(found) == [
        ("orphan_service", f"HTTP/vip.{D}@EXAMPLE.TEST", GONE,
         (IpaCall("service_remove_host", (f"HTTP/vip.{D}@EXAMPLE.TEST",),
                  {"host": [f"node1.{D}"]}),)),
        ("orphan_host", f"node1.{D}", GONE,
         (IpaCall("host_del", (f"node1.{D}",), {"updatedns": True}),)),
        ("orphan_subhost", f"vip.{D}", GONE,
         (IpaCall("host_mod", (f"vip.{D}",),
                  {"description": Owner(LIVE, P, 0, "subhost").tag()}),)),
    ]


@pytest.mark.parametrize("other_owner", [None, OTHER])  # not novajoin's; an instance gone too
def test_a_subhost_still_used_by_no_live_owner_is_left_alone(other_owner):
    ipa = IpaInventory(dict([host("node1", GONE), host("vip", GONE, "subhost"),
                             host("box", other_owner)]), ZONES)
    shared = service(f"HTTP/vip.{D}", "vip", "node1", "box")
    ipa.services = {f"node1.{D}": [shared], f"vip.{D}": [shared], f"box.{D}": [shared]}
    found = {f.object: f for f in compare(ipa, nova(), now=NOW, max_age=None, otp_for=OTP)}
    assert found[f"vip.{D}"].fix == () and "left alone" in found[f"vip.{D}"].reason


def test_an_orphan_whose_services_could_not_be_listed_gets_no_fix():
    ipa = IpaInventory(dict([host("gone", GONE), host("gone.ctl", GONE, "subhost")]), ZONES)
    ipa.services = {f"gone.{D}": []}  # gone.ctl's listing was truncated
    found = compare(ipa, nova(), now=NOW, max_age=None, otp_for=OTP)
    assert [(f.kind, f.fix) for f in found] == [("orphan_host", ()), ("orphan_subhost", ())]


def records(fqdn: str, **values) -> dict:
    return {fqdn: (f"{D}.", fqdn.split(".")[0], {"idnsname": [fqdn.split(".")[0]], **values})}


@pytest.mark.parametrize("instance,values,stale", [
    # a floating IP detached by a port deletion; the fixed address stays
    (live(addresses=("10.0.0.5",)), {"arecord": ["172.24.4.228", "10.0.0.5"]},
     ["172.24.4.228"]),
    (live(addresses=("10.0.0.5", "172.24.4.228")), {"arecord": ["172.24.4.228"]}, []),
    # IPv6, written differently by IPA and nova
    (live(addresses=("2001:db8::5",)), {"aaaarecord": ["2001:db8:0:0::5", "2001:db8::9"]},
     ["2001:db8::9"]),
    # a server of an unreachable cell: its addresses are unknown, nothing is stale
    (Instance(LIVE, P, "UNKNOWN", NOW, None), {"arecord": ["172.24.4.228"]}, []),
])
def test_stale_address_records(instance, values, stale):
    ipa = IpaInventory(dict([host("fip", LIVE)]), ZONES, records=records(f"fip.{D}", **values))
    found = compare(ipa, nova(instance), now=NOW, max_age=None, otp_for=OTP)
    assert [f.object.rsplit(" ", 1)[1] for f in found] == stale
    assert all(f.kind == "stale_record" for f in found)


def test_a_stale_record_fix_removes_the_value_and_its_ptr():
    ipa = IpaInventory(dict([host("fip", LIVE)]), ZONES,
                       records=records(f"fip.{D}", arecord=["172.24.4.228"]))
    (f,) = compare(ipa, nova(live()), now=NOW, max_age=None, otp_for=OTP)
    assert (f.object, f.fix) == (f"fip.{D} A 172.24.4.228", (
        IpaCall("dnsrecord_del", (f"{D}.", "fip"), {"arecord": ["172.24.4.228"]}),
        IpaCall("dnsrecord_del", ("4.24.172.in-addr.arpa.", "228"),
                {"ptrrecord": [f"fip.{D}."]})))


ATTACKER = "5a5a5a5a5a5a4a5a8a5a5a5a5a5a5a5a"


def fip(address: str, project: str = P, instance: str = LIVE) -> FloatingIp:
    return FloatingIp("f-" + address, address, project, instance)


@pytest.mark.parametrize("values,floating,stale,missing", [
    # attached while novajoin-notify was down: A and PTR missing
    ({"arecord": ["10.0.0.5"]}, [fip("172.24.4.20")], [], ["172.24.4.20"]),
    # published, and still attached
    ({"arecord": ["172.24.4.20"]}, [fip("172.24.4.20")], [], []),
    # nova's cache lags behind neutron: the floating IP's record is not stale
    ({"arecord": ["172.24.4.21"]}, [fip("172.24.4.21")], [], []),
    # a floating IP of another project on a port it made with this instance as device
    ({}, [fip("172.24.4.66", ATTACKER)], [], []),
    ({"arecord": ["172.24.4.66"]}, [fip("172.24.4.66", ATTACKER)], ["172.24.4.66"], []),
    # IPv6 written differently
    ({"aaaarecord": ["2001:DB8::7"]}, [fip("2001:db8::7"), fip("2001:db8::8")], [],
     ["2001:db8::8"]),
])
def test_floating_ips_against_records(values, floating, stale, missing):
    ipa = IpaInventory(dict([host("fip", LIVE)]), ZONES, records=records(f"fip.{D}", **values)
                       if values else {})
    inventory = nova(live(addresses=("10.0.0.5",)))
    inventory.floating_ips = {LIVE: floating}
    found = compare(ipa, inventory, now=NOW, max_age=None, otp_for=OTP)
    by_kind = {k: [f.object.rsplit(" ", 1)[1] for f in found if f.kind == k]
               for k in ("stale_record", "missing_record")}
    assert by_kind == {"stale_record": stale, "missing_record": missing}


def test_a_missing_record_fix_adds_the_address_and_its_ptr():
    ipa = IpaInventory(dict([host("fip", LIVE)]), ZONES)
    inventory = nova(live())
    inventory.floating_ips = {LIVE: [fip("172.24.4.20")], OTHER: [fip("172.24.4.30")]}
    (f,) = compare(ipa, inventory, now=NOW, max_age=None, otp_for=OTP)
    assert (f.kind, f.object, f.instance, f.project) == (
        "missing_record", f"fip.{D} A 172.24.4.20", LIVE, P)
    assert f.fix == (
        IpaCall("dnsrecord_add", (f"{D}.", "fip"), {"arecord": ["172.24.4.20"]}),
        IpaCall("dnsrecord_add", ("4.24.172.in-addr.arpa.", "20"),
                {"ptrrecord": [f"fip.{D}."]}))


def test_no_neutron_listing_reports_nothing_missing():
    ipa = IpaInventory(dict([host("fip", LIVE)]), ZONES)
    assert compare(ipa, nova(live()), now=NOW, max_age=None, otp_for=OTP) == []


def test_records_are_read_for_main_hosts_of_listed_instances_in_a_zone():
    ipa = IpaInventory(dict([host("fip", LIVE), host("fip.ctl", LIVE, "subhost"),
                             host("gone", GONE), host("elsewhere", OTHER)]), ZONES)
    ipa.hosts["x.other.zone"] = {"fqdn": ["x.other.zone"],
                                 "description": [Owner(OTHER, P).tag()]}
    down = Instance(OTHER, P, "UNKNOWN", None, None)
    assert record_hosts(ipa, nova(live(), down)) == {f"fip.{D}": (f"{D}.", "fip")}


def shown(fqdn: str, instance: str, generation: int = 0, **state) -> dict:
    return {fqdn: {"fqdn": [fqdn], "description": [Owner(instance, P, generation).tag()],
                   "has_password": True, "has_keytab": False, **state}}


REBUILT_AN_HOUR_AGO = int((NOW - datetime.timedelta(hours=1)).timestamp())


@pytest.mark.parametrize("created,generation,state,max_age,found", [
    (NOW - 3 * DAY, 0, {}, DAY, True),
    (NOW - 3 * DAY, 0, {}, None, False),  # the check is off
    (NOW - 3 * DAY, 0, {}, 4 * DAY, False),  # not old enough
    (NOW - 3 * DAY, REBUILT_AN_HOUR_AGO, {}, DAY, False),  # a rebuild set a new OTP
    (NOW - 3 * DAY, 0, {"has_password": False, "has_keytab": True}, DAY, False),  # enrolled
    (NOW - 3 * DAY, 0, {"has_password": False}, DAY, False),  # already cleared
    (NOW - 3 * DAY, 7, {}, DAY, False),  # the tag changed since host_find
])
def test_hosts_that_never_enrolled(created, generation, state, max_age, found):
    fqdn, entry = host("old", LIVE)
    ipa = IpaInventory({fqdn: entry}, ZONES, shown=shown(fqdn, LIVE, generation, **state))
    result = compare(ipa, nova(live(created=created)), now=NOW, max_age=max_age, otp_for=OTP)
    retired = Owner(LIVE, P, int(NOW.timestamp()))
    expected = [("unenrolled", fqdn, LIVE, (IpaCall("host_mod", (fqdn,), {
        "description": retired.tag(), "userpassword": OTP(LIVE, retired.generation)}),))]
    assert rows(result) == (expected if found else [])


def test_only_old_main_hosts_are_shown():
    ipa = IpaInventory(dict([host("old", LIVE), host("old.ctl", LIVE, "subhost"),
                             host("young", OTHER), host("gone", GONE)]), ZONES)
    inventory = nova(live(created=NOW - 3 * DAY), live(OTHER, created=NOW - DAY / 2))
    assert old_otp_hosts(ipa, inventory, NOW, DAY) == [f"old.{D}"]
    assert old_otp_hosts(ipa, inventory, NOW, None) == []
