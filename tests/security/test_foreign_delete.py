"""Attack 2: deleting (or rebuilding, or updating) an instance removes someone else's entries.

novajoin 1.x deleted whatever the deleted instance's *metadata* named (services, their
hosts, DNS records) and the host of the instance's *name*. Here a notification only reaches
entries tagged with its instance id and project, whatever else it says; crafted
notifications (another instance's id, a wrong project, metadata naming foreign hosts) are
driven through the lifecycle directly and through a real RabbitMQ.
"""

from __future__ import annotations

import uuid

import oslo_messaging
import pytest

from novajoin import exception
from novajoin.domain import ownership
from novajoin.listener import events
from novajoin.listener.service import Listener
from tests.fuzz.ipa_watch import entry, tagged_hosts
from tests.listener import samples
from tests.security.helpers import OTHER_PROJECT, PROJECT_ID
from tests.support import DOMAIN, nova_body, wait_until
from tests.support.messaging import Publisher

# What a tenant puts in its metadata to have novajoin 1.x delete other people's entries.
GREEDY = {"ipa_enroll": "True",
          "managed_service_a": f"HTTP/victim.{DOMAIN}",
          "managed_service_b": f"HTTP/victim.ctl.{DOMAIN}",
          "managed_service_c": f"HTTP/other-tenant.ctl.{DOMAIN}",
          "compact_service_HTTP": '["ctl"]',
          "compact_services": '{"HTTP": ["ctl"], "ldap": ["ctl"]}'}


@pytest.fixture
def life(api):
    return api.core.lifecycle


def boot(api, hostname, md=None, project=PROJECT_ID) -> str:
    body = nova_body(hostname=hostname, project_id=project, metadata=md)
    resp = api.post(body)
    assert resp.status_int == 200, resp.json
    return body["instance-id"]


def owner_of(api, fqdn) -> ownership.Owner:
    owner = ownership.read(entry(api.admin, "host", fqdn))
    assert owner is not None
    return owner


def event(action, instance_id, hostname, md=None, project=PROJECT_ID):
    return events.InstanceEvent(action, instance_id, project, hostname, md or {})


def test_crafted_deletes_remove_nothing_foreign(api, foreign, life):
    attacker = boot(api, "attacker", {"ipa_enroll": "True", "compact_service_HTTP": '["ctl"]'})
    other = owner_of(api, f"other-tenant.{DOMAIN}")
    for crafted in (
        event("delete", other.instance_id, "other-tenant", project=PROJECT_ID),  # wrong project
        event("delete", other.instance_id, "other-tenant", project="x"),
        event("delete", str(uuid.uuid4()), "other-tenant", GREEDY, project=OTHER_PROJECT),
        event("delete", str(uuid.uuid4()), "victim", GREEDY),
        event("delete", attacker, "attacker", GREEDY, project=OTHER_PROJECT),
    ):
        life.delete(crafted)
        foreign.unchanged()
    assert sorted(tagged_hosts(api.admin, attacker)) == [f"attacker.ctl.{DOMAIN}",
                                                         f"attacker.{DOMAIN}"]
    # The attacker's own delete, with greedy metadata and a victim's name: only its own go.
    life.delete(event("delete", attacker, "victim", GREEDY))
    assert tagged_hosts(api.admin, attacker) == []
    foreign.unchanged()


def test_crafted_payloads_in_both_formats_remove_nothing_foreign(api, foreign, life):
    other = owner_of(api, f"other-tenant.{DOMAIN}")
    for event_type, payload in (
        ("compute.instance.delete.end",
         samples.legacy_instance(other.instance_id, "other-tenant", GREEDY)),
        ("instance.delete.end",
         samples.versioned_instance("instance.delete.end", other.instance_id, "other-tenant",
                                    GREEDY)),
        ("compute.instance.delete.end",
         samples.legacy_instance(str(uuid.uuid4()), "victim", GREEDY, project_id=OTHER_PROJECT)),
    ):
        life.delete(events.instance_event(event_type, payload))
    foreign.unchanged()


def test_a_crafted_rebuild_resets_no_foreign_host(api, foreign, life):
    other = owner_of(api, f"other-tenant.{DOMAIN}")
    life.rebuild(event("rebuild", other.instance_id, "other-tenant"), generation=2_000_000_000)
    life.rebuild(event("rebuild", str(uuid.uuid4()), "victim", project=OTHER_PROJECT),
                 generation=2_000_000_000)
    foreign.unchanged()  # other-tenant keeps its keytab and generation


def test_an_update_naming_foreign_hosts_is_refused(api, foreign, life, watch):
    attacker = boot(api, "attacker")
    watch.writes_since_last()
    for key in ("managed_service_a", "managed_service_b", "managed_service_c"):
        with pytest.raises(exception.ProjectForbidden):
            life.update(event("update", attacker, "attacker", {key: GREEDY[key]}))
    assert not watch.writes_since_last()
    # Another instance's id (wrong project) asking for services: nothing to add them to.
    other = owner_of(api, f"other-tenant.{DOMAIN}")
    life.update(event("update", other.instance_id, "other-tenant",
                      {"compact_service_ldap": '["ctl"]'}))
    assert entry(api.admin, "service", f"ldap/other-tenant.ctl.{DOMAIN}") is None
    # The attacker's own name derives victim's sub-host names: a conflict, nothing touched.
    victim_named = boot(api, "victim2")
    api.admin.call("host_add", f"victim2.ctl.{DOMAIN}", force=True, description="someone's")
    with pytest.raises(exception.Conflict):
        life.update(event("update", victim_named, "victim2", {"compact_service_HTTP": '["ctl"]'}))
    assert entry(api.admin, "host", f"victim2.ctl.{DOMAIN}")["description"] == ["someone's"]
    foreign.unchanged()


def test_floating_ip_events_never_remove_a_foreign_record(api, foreign, life):
    attacker = boot(api, "attacker")
    # victim's address now "points at" the attacker, then at nothing: victim's record stays.
    life.floating_ip(events.floating_ip_event(
        "floatingip.update.end", samples.floating_ip("192.0.2.10", attacker)))
    life.floating_ip(events.floating_ip_event(
        "floatingip.update.end", samples.floating_ip("192.0.2.10", None)))
    life.floating_ip(events.floating_ip_event(
        "floatingip.delete.end",
        samples.floating_ip_deleted("192.0.2.10", attacker, str(uuid.uuid4()))))
    foreign.unchanged()


def test_crafted_notifications_through_rabbitmq_remove_nothing_foreign(api, foreign, rabbitmq):
    topic = "novajoin_security_" + uuid.uuid4().hex[:12]
    attacker = boot(api, "attacker", {"ipa_enroll": "True", "compact_service_HTTP": '["ctl"]'})
    other = owner_of(api, f"other-tenant.{DOMAIN}")
    conf = api.conf
    conf.set_override("notifications_topic", topic)
    conf.set_override("requeue_delay", 0.05)
    listener = Listener(conf, api.core,
                        transport=oslo_messaging.get_notification_transport(conf, url=rabbitmq))
    listener.start()
    nova = Publisher(rabbitmq, "nova", topic)
    messages = [
        ("compute.instance.delete.end",
         samples.legacy_instance(other.instance_id, "other-tenant", GREEDY)),
        ("instance.delete.end",
         samples.versioned_instance("instance.delete.end", other.instance_id, "other-tenant",
                                    GREEDY)),
        ("compute.instance.delete.end",
         samples.legacy_instance(str(uuid.uuid4()), "victim", GREEDY, project_id=OTHER_PROJECT)),
        ("instance.rebuild.start",
         samples.versioned_instance("instance.rebuild.start", other.instance_id, "other-tenant")),
        ("instance.update",
         samples.versioned_instance("instance.update", attacker, "attacker",
                                    {"managed_service_a": f"HTTP/victim.{DOMAIN}"})),
        # Last, the attacker's own delete with greedy metadata and the victim's name.
        ("compute.instance.delete.end", samples.legacy_instance(attacker, "victim", GREEDY)),
    ]
    try:
        for event_type, payload in messages:
            nova.send("compute.compute-0", event_type, payload)

        def done() -> int:
            return sum(listener.counters.total(o) for o in ("handled", "refused", "malformed",
                                                            "dead_letter"))
        wait_until(lambda: done() == len(messages), "every crafted message to be handled")
        assert listener.counters.total("refused") == 1  # the update naming a foreign host
    finally:
        nova.close()
        listener.stop()
    assert tagged_hosts(api.admin, attacker) == []
    foreign.unchanged()
