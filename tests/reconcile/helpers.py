"""Booting instances into the emulator and the nova stand-in, and reading IPA back."""

from __future__ import annotations

from novajoin import exception
from novajoin.listener import events
from tests.listener import samples
from tests.support import DOMAIN, PROJECT_ID, host_exists, nova_body, wait_until


def boot(api, nova, hostname, metadata=None, *, enroll=True, created=None, floating=()):
    """An instance in nova (and its floating IPs in neutron), then its first vendordata
    request; the floating IPs are published by the request that creates the host."""
    body = nova_body(hostname=hostname, metadata=metadata, project_id=PROJECT_ID)
    nova.add(body["instance-id"], PROJECT_ID, hostname, created=created, floating=floating)
    resp = api.post(body)
    assert resp.status_int == 200, resp.json
    if resp.json:
        wait_until(lambda: nova.asked_for_floating_ips(body["instance-id"]) and set(
            floating) <= set(record(api, f"{DOMAIN}.", hostname).get("arecord", ())),
                   f"the floating IPs of {hostname} published after boot")
    if enroll:
        assert api.enroll(resp.json["hostname"], resp.json["ipaotp"]).status_code == 200
    return body["instance-id"]


def attach(api, address, instance_id):
    """A floating IP associated with the instance, as neutron's notification reports it."""
    api.core.lifecycle.floating_ip(events.floating_ip_event(
        "floatingip.create.end", samples.floating_ip(address, instance_id)))


def record(api, zone, name) -> dict:
    try:
        return api.admin.call("dnsrecord_show", zone, name)["result"]
    except exception.IpaNotFound:
        return {}


def exists(api, fqdn):
    return host_exists(api, fqdn)
