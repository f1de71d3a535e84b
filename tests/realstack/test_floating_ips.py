"""Scenario 6: floating IPs through neutron's API; novajoin-notify publishes and withdraws DNS.

A tenant network (type local), a router to the external network, the instance's port, a
floating IP on it. neutron has no L3 agent: the floating IP stays DOWN, which does not
matter to its notifications.
"""

from __future__ import annotations

import ipaddress

from tests.realstack.stack import DOMAIN, REVERSE_ZONE, join, wait_for


def test_floating_ip_records_follow_association(realstack, name, servers):
    net = realstack.network("POST", "/networks", {"network": {"name": f"{name}-net"}})[
        "network"]
    subnet = realstack.network("POST", "/subnets", {"subnet": {
        "network_id": net["id"], "ip_version": 4, "cidr": "10.10.0.0/24",
        "name": f"{name}-subnet"}})["subnet"]
    router = realstack.network("POST", "/routers", {"router": {
        "name": f"{name}-router",
        "external_gateway_info": {"network_id": realstack.external_net["id"]}}})["router"]
    realstack.network("PUT", f"/routers/{router['id']}/add_router_interface",
                      {"subnet_id": subnet["id"]})

    server = realstack.boot(name, {"ipa_enroll": "True"}, networks=[{"uuid": net["id"]}])
    servers.append(server)
    fqdn = f"{name}.{DOMAIN}"
    ipa = realstack.novajoin
    assert ipa.enroll(fqdn, join(realstack, server)["ipaotp"]).status_code == 200
    port = realstack.network("GET", f"/ports?device_id={server['id']}", admin=True)[
        "ports"][0]
    assert port["binding:vif_type"] == "ovs"  # bound by the tier's ML2 driver

    fip = realstack.network("POST", "/floatingips", {"floatingip": {
        "floating_network_id": realstack.external_net["id"]}})["floatingip"]
    address = fip["floating_ip_address"]
    ptr_name = ipaddress.ip_address(address).reverse_pointer.split(".")[0]
    try:
        realstack.network("PUT", f"/floatingips/{fip['id']}",
                          {"floatingip": {"port_id": port["id"]}})
        wait_for(f"A record {name} -> {address}", lambda: ipa.records(
            f"{DOMAIN}.", name).get("arecord") == [address], timeout=60)
        assert ipa.records(REVERSE_ZONE, ptr_name)["ptrrecord"] == [f"{fqdn}."]

        realstack.network("PUT", f"/floatingips/{fip['id']}",
                          {"floatingip": {"port_id": None}})
        wait_for(f"A record of {name} withdrawn", lambda: "arecord" not in ipa.records(
            f"{DOMAIN}.", name), timeout=60)
        assert ipa.records(REVERSE_ZONE, ptr_name) == {}

        realstack.network("PUT", f"/floatingips/{fip['id']}",
                          {"floatingip": {"port_id": port["id"]}})
        wait_for(f"A record {name} -> {address} again", lambda: ipa.records(
            f"{DOMAIN}.", name).get("arecord") == [address], timeout=60)
        realstack.network("DELETE", f"/floatingips/{fip['id']}")
        fip = None
        wait_for(f"A record of {name} withdrawn on delete", lambda: "arecord" not in
                 ipa.records(f"{DOMAIN}.", name), timeout=60)
        assert ipa.records(REVERSE_ZONE, ptr_name) == {}
    finally:
        if fip is not None:
            realstack.network("DELETE", f"/floatingips/{fip['id']}", ok=(204, 404))
        realstack.delete(server["id"])
        servers.clear()
        realstack.network("PUT", f"/routers/{router['id']}/remove_router_interface",
                          {"subnet_id": subnet["id"]})
        realstack.network("DELETE", f"/routers/{router['id']}")
        realstack.network("DELETE", f"/networks/{net['id']}")
