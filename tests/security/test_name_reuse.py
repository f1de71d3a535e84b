"""Security round 2, item 12 (issue 12): double delivery during a name reuse.

With ``notification_format = both`` every delete arrives twice. Between the two, a new
instance may take the same name. The second delivery finds entries by the deleted
instance's owner tag, so the new instance's host, which carries its own tag, stays.
Published on RabbitMQ as nova publishes them.
"""

from __future__ import annotations

from tests.listener import samples
from tests.support import DOMAIN, PROJECT_ID, host_entry, nova_body, wait_until


def test_the_second_delivery_of_a_delete_spares_the_names_new_owner(api, start_listener, nova):
    listener = start_listener(notification_format="both")
    fqdn = f"reuse.{DOMAIN}"
    old = nova_body(hostname="reuse", project_id=PROJECT_ID)
    assert api.post(old).status_int == 200
    nova.send("compute.c0", "compute.instance.delete.end",
              samples.legacy_instance(old["instance-id"], "reuse"))
    wait_until(lambda: exists(api, fqdn) is None, "the first delivery to delete the host")

    new = nova_body(hostname="reuse", project_id=PROJECT_ID)
    assert api.post(new).status_int == 200
    nova.send("compute.c0", "instance.delete.end",
              samples.versioned_instance("instance.delete.end", old["instance-id"], "reuse"))
    wait_until(lambda: listener.counters.total("handled") == 2, "the second delivery")
    entry = exists(api, fqdn)
    assert entry is not None and new["instance-id"] in entry["description"][0]


def exists(api, fqdn):
    return host_entry(api, fqdn)
