"""Scenario 6: floating IPs through neutron's API; novajoin-notify publishes and withdraws DNS.

A tenant network (type local), a router to the external network, the instance's port, a
floating IP on it. neutron has no L3 agent: the floating IP stays DOWN, which does not
matter to its notifications.
"""

from __future__ import annotations

import ipaddress
import json
import time
from collections.abc import Iterator

import pytest

from tests.realstack.stack import DOMAIN, REVERSE_ZONE, join, wait_for


@pytest.fixture(scope="module")
def tenant_network(realstack) -> Iterator[dict]:
    """Project demo's network, subnet and router (gateway on the external network)."""
    net = realstack.network("POST", "/networks", {"network": {"name": "demo-net"}})["network"]
    subnet = realstack.network("POST", "/subnets", {"subnet": {
        "network_id": net["id"], "ip_version": 4, "cidr": "10.10.0.0/24",
        "name": "demo-subnet"}})["subnet"]
    router = realstack.network("POST", "/routers", {"router": {
        "name": "demo-router",
        "external_gateway_info": {"network_id": realstack.external_net["id"]}}})["router"]
    realstack.network("PUT", f"/routers/{router['id']}/add_router_interface",
                      {"subnet_id": subnet["id"]})
    yield net
    realstack.network("PUT", f"/routers/{router['id']}/remove_router_interface",
                      {"subnet_id": subnet["id"]})
    realstack.network("DELETE", f"/routers/{router['id']}")
    realstack.network("DELETE", f"/networks/{net['id']}")


def _port(realstack, server) -> dict:
    port = realstack.network("GET", f"/ports?device_id={server['id']}", admin=True)[
        "ports"][0]
    assert port["binding:vif_type"] == "ovs"  # bound by the tier's ML2 driver
    return port


def _floating_ip(realstack) -> tuple[dict, str]:
    fip = realstack.network("POST", "/floatingips", {"floatingip": {
        "floating_network_id": realstack.external_net["id"]}})["floatingip"]
    address = fip["floating_ip_address"]
    return fip, ipaddress.ip_address(address).reverse_pointer.split(".")[0]


def _enrolled(realstack, tenant_network, name, servers) -> tuple[dict, str]:
    """A server on the tenant network, enrolled with its OTP: (server, host name)."""
    server = realstack.boot(name, {"ipa_enroll": "True"},
                            networks=[{"uuid": tenant_network["id"]}])
    servers.append(server)
    fqdn = f"{name}.{DOMAIN}"
    assert realstack.novajoin.enroll(fqdn, join(realstack, server)["ipaotp"]).status_code == 200
    return server, fqdn


def test_floating_ip_records_follow_association(realstack, tenant_network, name, servers):
    server, fqdn = _enrolled(realstack, tenant_network, name, servers)
    ipa = realstack.novajoin
    port = _port(realstack, server)
    fip, ptr_name = _floating_ip(realstack)
    address = fip["floating_ip_address"]

    def a_record() -> list[str] | None:
        return ipa.records(f"{DOMAIN}.", name).get("arecord")

    try:
        realstack.network("PUT", f"/floatingips/{fip['id']}",
                          {"floatingip": {"port_id": port["id"]}})
        wait_for(f"A record {name} -> {address}", lambda: a_record() == [address], timeout=60)
        assert ipa.records(REVERSE_ZONE, ptr_name)["ptrrecord"] == [f"{fqdn}."]

        realstack.network("PUT", f"/floatingips/{fip['id']}",
                          {"floatingip": {"port_id": None}})
        wait_for(f"A record of {name} withdrawn", lambda: a_record() is None, timeout=60)
        assert ipa.records(REVERSE_ZONE, ptr_name) == {}

        realstack.network("PUT", f"/floatingips/{fip['id']}",
                          {"floatingip": {"port_id": port["id"]}})
        wait_for(f"A record {name} -> {address} again", lambda: a_record() == [address],
                 timeout=60)
        realstack.network("DELETE", f"/floatingips/{fip['id']}")
        fip = None
        wait_for(f"A record of {name} withdrawn on delete", lambda: a_record() is None,
                 timeout=60)
        assert ipa.records(REVERSE_ZONE, ptr_name) == {}
    finally:
        if fip is not None:
            realstack.network("DELETE", f"/floatingips/{fip['id']}", ok=(204, 404))


def test_floating_ip_attached_before_the_first_metadata_fetch(realstack, tenant_network,
                                                              name, servers):
    """The common order with real guests: server create, floating IP, then the guest asks.

    The floatingip.update.end reaches novajoin-notify before the host exists in IPA; the
    request that creates the host publishes the instance's floating IPs (issue 17).
    """
    server = realstack.boot(name, {"ipa_enroll": "True"},
                            networks=[{"uuid": tenant_network["id"]}])
    servers.append(server)
    fip, _ = _floating_ip(realstack)
    try:
        realstack.network("PUT", f"/floatingips/{fip['id']}",
                          {"floatingip": {"port_id": _port(realstack, server)["id"]}})
        time.sleep(3)  # the floatingip.update.end reaches novajoin-notify before the guest
        fqdn = f"{name}.{DOMAIN}"
        assert realstack.novajoin.enroll(fqdn, join(realstack, server)["ipaotp"]
                                         ).status_code == 200
        wait_for(f"A record {name} -> {fip['floating_ip_address']}", lambda: realstack.novajoin
                 .records(f"{DOMAIN}.", name).get("arecord") == [fip["floating_ip_address"]],
                 timeout=20)
    finally:
        realstack.network("DELETE", f"/floatingips/{fip['id']}", ok=(204, 404))


def test_reconcile_adds_the_records_of_a_floating_ip_attached_while_notify_was_down(
        realstack, tenant_network, name, servers):
    """neutron's notification is lost (the listener down, its queue purged): novajoin-reconcile
    reads the floating IPs from neutron, reports the missing records and adds them (issue 17)."""
    server, fqdn = _enrolled(realstack, tenant_network, name, servers)
    ipa = realstack.novajoin
    fip, ptr_name = _floating_ip(realstack)
    address = fip["floating_ip_address"]
    ipa.stop_process("novajoin-notify")
    try:
        realstack.network("PUT", f"/floatingips/{fip['id']}",
                          {"floatingip": {"port_id": _port(realstack, server)["id"]}})
        time.sleep(2)  # neutron's notification is in the queue
        realstack.vhost.purge("novajoin_notifications.info")
    finally:
        ipa.start_notify()
        ipa.wait_notify()
    try:
        assert ipa.records(f"{DOMAIN}.", name).get("arecord") is None  # nobody told novajoin
        dry = ipa.reconcile("--json")
        assert dry.returncode == 3, dry.stdout + dry.stderr
        report = json.loads(dry.stdout)
        assert [(f["kind"], f["object"]) for f in report["findings"]
                if f["instance"] == server["id"]] == [("missing_record", f"{fqdn} A {address}")]
        fixed = ipa.reconcile("--apply", "--json")
        assert fixed.returncode == 0, fixed.stdout + fixed.stderr
        assert ipa.records(f"{DOMAIN}.", name)["arecord"] == [address]
        assert ipa.records(REVERSE_ZONE, ptr_name)["ptrrecord"] == [f"{fqdn}."]
    finally:
        realstack.network("DELETE", f"/floatingips/{fip['id']}", ok=(204, 404))
