"""instance.update churn (issue 17, part 2): updates cost IPA calls only when the service
keys change, none for an instance being deleted, and a delete wins over an update racing it.

nova sends ``compute.instance.update`` and ``instance.update`` (both carrying the full
metadata) on every task-state change: a boot, a rebuild, a delete send several each.
"""

from __future__ import annotations

import json

import pytest

from novajoin.listener import events
from tests.listener import samples
from tests.support import DOMAIN, host_exists, nova_body

SERVICE = {"ipa_enroll": "True", "compact_service_HTTP": json.dumps(["ctl"])}


@pytest.fixture
def api(make_api):
    return make_api(enrollment_recheck_interval=0)


def update(instance_id, hostname, md, task_state=None, state="active", versioned=False):
    if versioned:
        payload = samples.versioned_instance("instance.update", instance_id, hostname, md)
        payload["nova_object.data"].update(state=state, task_state=task_state)
        return events.instance_event("instance.update", payload)
    payload = samples.legacy_instance(instance_id, hostname, md, state=state)
    payload["new_task_state"] = task_state
    return events.instance_event("compute.instance.update", payload)


def boot(api, hostname):
    body = nova_body(hostname=hostname)
    assert api.post(body).status_int == 200
    return body["instance-id"]


def test_an_update_storm_with_unchanged_services_costs_nothing(api):
    iid = boot(api, "storm")
    life = api.core.lifecycle
    life.update(update(iid, "storm", SERVICE))
    assert host_exists(api, f"storm.ctl.{DOMAIN}")
    api.reset_stats()
    for task in (None, "spawning", "networking", "block_device_mapping", None):
        life.update(update(iid, "storm", SERVICE, task_state=task))
        life.update(update(iid, "storm", SERVICE, task_state=task, versioned=True))
    assert api.stats()["http_requests"] == 0
    # A real change is still applied.
    more = {**SERVICE, "compact_service_nfs": json.dumps(["ctl"])}
    life.update(update(iid, "storm", more))
    assert api.admin.call("service_show", f"nfs/storm.ctl.{DOMAIN}")["result"]


def test_an_update_of_an_instance_being_deleted_costs_nothing(api):
    iid = boot(api, "going")
    api.reset_stats()
    life = api.core.lifecycle
    life.update(update(iid, "going", SERVICE, task_state="deleting"))
    life.update(update(iid, "going", SERVICE, state="deleted", versioned=True))
    assert api.stats()["http_requests"] == 0
    assert not host_exists(api, f"going.ctl.{DOMAIN}")


def test_an_update_after_the_delete_recreates_nothing(api):
    iid = boot(api, "late")
    life = api.core.lifecycle
    life.delete(events.instance_event("compute.instance.delete.end",
                                      samples.legacy_instance(iid, "late")))
    api.reset_stats()
    life.update(update(iid, "late", SERVICE))
    assert api.stats()["http_requests"] == 0  # the delete is remembered: IPA is not asked
    assert not host_exists(api, f"late.{DOMAIN}") and not host_exists(api, f"late.ctl.{DOMAIN}")


def test_a_delete_during_an_update_wins(api):
    iid = boot(api, "racing")
    life = api.core.lifecycle
    enroller = api.core.enroller
    real = enroller.add_services

    def add_services_while_deleted(e, entry):
        # The delete runs between the update's read of the host and its service_add.
        life.delete(events.instance_event("compute.instance.delete.end",
                                          samples.legacy_instance(iid, "racing")))
        real(e, entry)

    enroller.add_services = add_services_while_deleted
    life.update(update(iid, "racing", SERVICE))
    assert not host_exists(api, f"racing.{DOMAIN}")
    assert not host_exists(api, f"racing.ctl.{DOMAIN}")


def test_the_updates_of_a_boot_before_the_host_exists_cost_one_lookup(api):
    """nova's boot sends several updates before the guest's first vendordata call."""
    body = nova_body(hostname="booting", metadata=SERVICE)
    life = api.core.lifecycle
    api.reset_stats()
    for task in ("scheduling", "networking", "spawning", None):
        life.update(update(body["instance-id"], "booting", SERVICE, task_state=task))
    assert api.stats()["commands"] == {"host_find": 1}
    assert api.post(body).status_int == 200  # the host, with its service, at first boot
    assert host_exists(api, f"booting.ctl.{DOMAIN}")
