"""The floating IP decision (novajoin.domain.dns) as a table: records added and removed."""

from __future__ import annotations

import pytest

from novajoin.domain import dns
from novajoin.domain.calls import IpaCall

ZONES = ["example.test.", "0.10.in-addr.arpa.", "8.b.d.0.1.0.0.2.ip6.arpa."]
ADDR = "10.0.0.5"
PTR = ("0.10.in-addr.arpa.", "5.0")


def add(zone, name, address=ADDR, record="arecord"):
    return IpaCall("dnsrecord_add", (zone, name), {record: [address]})


def rm(zone, name, address=ADDR, record="arecord"):
    return IpaCall("dnsrecord_del", (zone, name), {record: [address]})


def ptr_add(name):
    return IpaCall("dnsrecord_add", PTR, {"ptrrecord": [f"{name}.example.test."]})


def ptr_rm(name):
    return IpaCall("dnsrecord_del", PTR, {"ptrrecord": [f"{name}.example.test."]})


@pytest.mark.parametrize("host,holders,owned,expected", [
    # attach: A and PTR
    ("vm1.example.test", [], set(),
     [add("example.test.", "vm1"), ptr_add("vm1")]),
    # already published: only the PTR is (re)asserted
    ("vm1.example.test", [("example.test.", "vm1")], set(),
     [ptr_add("vm1")]),
    # moved from an owned host: removed there, added here
    ("vm2.example.test", [("example.test.", "vm1")], {"vm1.example.test"},
     [rm("example.test.", "vm1"), ptr_rm("vm1"),
      add("example.test.", "vm2"), ptr_add("vm2")]),
    # someone else's record with the address is never touched
    ("vm2.example.test", [("example.test.", "www")], set(),
     [add("example.test.", "vm2"), ptr_add("vm2")]),
    # detached: the owned record goes, nothing is added
    (None, [("example.test.", "vm1")], {"vm1.example.test"},
     [rm("example.test.", "vm1"), ptr_rm("vm1")]),
    # detached, record not novajoin's: nothing
    (None, [("example.test.", "vm1")], set(), []),
    # a host outside every forward zone gets nothing
    ("vm1.elsewhere.test", [], set(), []),
])
def test_point_address(host, holders, owned, expected):
    assert dns.point_address(ADDR, ZONES, host, holders, owned) == expected


def test_ipv6_uses_aaaa_and_its_reverse_zone():
    address = "2001:db8::5"
    calls = dns.point_address(address, ZONES, "vm1.example.test", [], set())
    assert calls[0] == add("example.test.", "vm1", address, "aaaarecord")
    assert calls[1].method == "dnsrecord_add" and calls[1].args[0] == ZONES[2]


def test_no_ptr_without_the_reverse_zone():
    assert dns.point_address(ADDR, ["example.test."], "vm1.example.test", [], set()) == [
        add("example.test.", "vm1")]


def test_other_holders_excludes_the_target_only():
    holders = [("example.test.", "vm1"), ("example.test.", "www")]
    assert dns.other_holders(holders, "vm1.example.test", ZONES) == ["www.example.test"]
    assert dns.other_holders(holders, None, ZONES) == ["vm1.example.test", "www.example.test"]
