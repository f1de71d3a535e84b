"""Booting instances into the emulator and the nova stand-in, and reading IPA back."""

from __future__ import annotations

from novajoin import exception
from novajoin.listener import events
from tests.listener import samples
from tests.support import PROJECT_ID, host_exists, nova_body


def boot(api, nova, hostname, metadata=None, *, enroll=True, created=None, floating=()):
    body = nova_body(hostname=hostname, metadata=metadata, project_id=PROJECT_ID)
    resp = api.post(body)
    assert resp.status_int == 200, resp.json
    nova.add(body["instance-id"], PROJECT_ID, hostname, created=created, floating=floating)
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
