"""Security round 2, item 2 (issue 12): floating IPs on a spoofed port.

neutron lets a tenant create its own port with ``device_owner=compute:nova`` and the
``device_id`` of another project's instance. Attaching the tenant's floating IP to it
made novajoin publish the attacker's address (A and PTR) under the victim's host name.
The attack runs as neutron's notification on RabbitMQ.
"""

from __future__ import annotations

import uuid

from novajoin import exception
from tests.listener import samples
from tests.security.helpers import OTHER_PROJECT
from tests.support import DOMAIN, PROJECT_ID, nova_body, wait_until


def a_records(api, name):
    try:
        return api.admin.call("dnsrecord_show", f"{DOMAIN}.", name)["result"].get("arecord", [])
    except exception.IpaNotFound:
        return []


def test_a_floating_ip_of_another_project_is_not_published_under_the_victim(
        api, start_listener, neutron):
    victim = nova_body(hostname="victim", project_id=PROJECT_ID)
    assert api.post(victim).status_int == 200
    listener = start_listener()
    attacker_fip = str(uuid.uuid4())
    neutron.send("network.controller-0", "floatingip.update.end", samples.floating_ip(
        "172.24.4.66", victim["instance-id"], attacker_fip, project_id=OTHER_PROJECT))
    # The same event from the victim's own project is published: it is the control.
    own_fip = str(uuid.uuid4())
    neutron.send("network.controller-0", "floatingip.update.end", samples.floating_ip(
        "172.24.4.77", victim["instance-id"], own_fip, project_id=PROJECT_ID))
    wait_until(lambda: a_records(api, "victim") == ["172.24.4.77"], "the victim's own address")
    wait_until(lambda: listener.counters.total("handled") == 2, "both events handled")
    assert a_records(api, "victim") == ["172.24.4.77"]
