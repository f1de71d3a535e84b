"""novajoin-notify on a real RabbitMQ, fed by oslo.messaging's Notifier as nova and neutron are."""

from __future__ import annotations

import subprocess
import uuid

import oslo_messaging
import pytest
import requests

from novajoin import exception
from novajoin.listener.service import Listener
from tests.listener import samples
from tests.support import DOMAIN, host_exists, nova_body, wait_until
from tests.support.messaging import Publisher


@pytest.fixture
def api(make_api):
    return make_api(enrollment_recheck_interval=0, requeue_delay=0.05, requeue_max_delay=0.5)


def boot(api, hostname, metadata=None):
    body = nova_body(hostname=hostname, metadata=metadata, project_id=samples.PROJECT)
    resp = api.post(body)
    assert resp.status_int == 200, resp.json
    return body["instance-id"]


def test_deletes_in_both_formats_from_any_publisher(api, start_listener, nova):
    start_listener()
    a, b, c = boot(api, "del-a"), boot(api, "del-b"), boot(api, "del-c")
    nova.send("compute.compute-0", "compute.instance.delete.end",
              samples.legacy_instance(a, "del-a"))
    # A "local delete" (never scheduled, or its compute down) comes from nova-api.
    nova.send("nova-api:api-0", "instance.delete.end",
              samples.versioned_instance("instance.delete.end", b, "del-b"))
    nova.send("nova-compute:compute-1", "instance.delete.end",
              samples.versioned_instance("instance.delete.end", c, "del-c"))
    for name in ("del-a", "del-b", "del-c"):
        wait_until(lambda n=name: gone(api, f"{n}.{DOMAIN}"), f"{name} to be deleted")


def test_only_the_configured_format_is_handled(api, start_listener, nova):
    listener = start_listener(notification_format="versioned")
    a = boot(api, "fmt-a")
    nova.send("compute.compute-0", "compute.instance.delete.end",
              samples.legacy_instance(a, "fmt-a"))
    nova.send("nova-compute:compute-0", "instance.delete.end",
              samples.versioned_instance("instance.delete.end", a, "fmt-a"))
    wait_until(lambda: gone(api, f"fmt-a.{DOMAIN}"), "the versioned delete")
    wait_until(lambda: listener.counters.total("handled") == 1, "one handled message")
    assert listener.counters.by_event[("compute.instance.delete.end", "handled")] == 0


def test_floating_ip_records_from_neutron(api, start_listener, neutron):
    start_listener()
    iid = boot(api, "fip")
    addr, fip = "172.24.4.10", str(uuid.uuid4())

    def a_records():
        try:
            return api.admin.call("dnsrecord_show", f"{DOMAIN}.", "fip")["result"].get(
                "arecord", [])
        except exception.IpaNotFound:
            return []

    neutron.send("network.controller-0", "floatingip.create.end",
                 samples.floating_ip(addr, iid, fip))
    wait_until(lambda: a_records() == [addr], "the A record")
    neutron.send("network.controller-0", "floatingip.delete.end",
                 samples.floating_ip_deleted(addr, iid, fip))
    wait_until(lambda: a_records() == [], "the A record to go")


def test_ipa_outage_loses_no_delete(api, start_listener, nova):
    names = [f"out-{i}" for i in range(12)]
    ids = [boot(api, n) for n in names]
    listener = start_listener()
    requests.post(api.fakeipa.url + "/ipa/fake/faults", json={"outage": True}, timeout=5)
    try:
        for iid, name in zip(ids, names, strict=True):
            nova.send("compute.compute-0", "compute.instance.delete.end",
                      samples.legacy_instance(iid, name))
        wait_until(lambda: listener.counters.total("requeued") >= len(names),
                   "the deletes to be requeued during the outage")
    finally:
        requests.post(api.fakeipa.url + "/ipa/fake/faults", json={"outage": False}, timeout=5)
    for name in names:
        wait_until(lambda n=name: gone(api, f"{n}.{DOMAIN}"), f"{name} after the outage")
    assert listener.counters.total("handled") == len(names)


@pytest.mark.parametrize("gather", [0, 2])
def test_a_burst_of_deletes_shares_ipa_requests(api, start_listener, nova, gather):
    # novajoin-notify builds its core with ipa_gather_requests (default 4; cmd/notify.py).
    from novajoin.core import Core

    names = [f"burst-{i}" for i in range(24)]
    ids = [boot(api, n) for n in names]
    core = Core.from_conf(api.conf, cloud=api.core.cloud, gather=gather)
    listener = start_listener(core=core)
    requests.post(api.fakeipa.url + "/ipa/fake/faults", json={"latency_ms": 100}, timeout=5)
    api.reset_stats()
    for iid, name in zip(ids, names, strict=True):
        nova.send("compute.compute-0", "compute.instance.delete.end",
                  samples.legacy_instance(iid, name))
    wait_until(lambda: listener.counters.total("handled") == len(names), "the deletes", 60)
    requests.post(api.fakeipa.url + "/ipa/fake/faults", json={"latency_ms": 0}, timeout=5)
    stats = api.stats()
    assert not any(host_exists(api, f"{n}.{DOMAIN}") for n in names)
    # Each delete: a host_find, then a batch of deletes; gathered, far fewer requests.
    # Besides, once per process, the DNS zones (that novajoin may read DNS at all).
    assert stats["commands"]["host_find"] == stats["commands"]["host_del"] == len(names)
    zones = stats["commands"].get("dnszone_find", 0)
    assert zones <= 1, stats
    requests_per_delete = (stats["http_requests"] - zones) / len(names)
    assert requests_per_delete == 2 if not gather else requests_per_delete < 1, stats


def test_malformed_messages_are_dropped_and_counted(api, start_listener, nova):
    listener = start_listener()
    nova.send("compute.compute-0", "compute.instance.delete.end", {"instance_id": "garbage"})
    nova.send("nova-compute:c", "instance.update",
              samples.versioned_instance("instance.update", str(uuid.uuid4()), "x",
                                         version="9.0"))
    iid = boot(api, "after-garbage")
    nova.send("compute.compute-0", "compute.instance.delete.end",
              samples.legacy_instance(iid, "after-garbage"))
    wait_until(lambda: gone(api, f"after-garbage.{DOMAIN}"), "the valid delete")
    wait_until(lambda: listener.counters.total("malformed") == 2, "two malformed messages")


def test_reconnects_after_the_connection_drops(api, start_listener, nova):
    listener = start_listener()
    first = boot(api, "conn-1")
    nova.send("compute.compute-0", "compute.instance.delete.end",
              samples.legacy_instance(first, "conn-1"))
    wait_until(lambda: gone(api, f"conn-1.{DOMAIN}"), "the first delete")
    closed = subprocess.run(["rabbitmqctl", "close_all_connections", "novajoin test"],
                            capture_output=True, text=True, timeout=60)
    assert closed.returncode == 0, closed.stderr
    second = boot(api, "conn-2")
    nova.send("compute.compute-0", "compute.instance.delete.end",
              samples.legacy_instance(second, "conn-2"))
    wait_until(lambda: gone(api, f"conn-2.{DOMAIN}"), "a delete after the reconnect", 90)
    assert listener.counters.total("handled") == 2


def test_two_listeners_share_the_queue_without_doing_anything_twice(api, start_listener, nova):
    one, two = start_listener(), start_listener()
    names = [f"pair-{i}" for i in range(20)]
    ids = [boot(api, n) for n in names]
    for iid, name in zip(ids, names, strict=True):
        nova.send("compute.compute-0", "compute.instance.delete.end",
                  samples.legacy_instance(iid, name))
    for name in names:
        wait_until(lambda n=name: gone(api, f"{n}.{DOMAIN}"), f"{name} to be deleted")
    wait_until(lambda: one.counters.total("handled") + two.counters.total("handled") == 20,
               "20 handled messages")
    assert one.counters.total("requeued") + two.counters.total("requeued") == 0


def test_api_and_listener_agree_on_names_with_project_subdomain(make_api, rabbitmq, topic):
    api = make_api(project_subdomain="true", enrollment_recheck_interval=0)
    body = nova_body(hostname="named", project_id=samples.PROJECT,
                     metadata={"ipa_enroll": "True", "compact_service_HTTP": '["ctl"]'})
    answer = api.post(body).json
    naming = api.core.naming
    project = api.core.cloud.project_name(samples.PROJECT)
    event_payload = samples.legacy_instance(body["instance-id"], "named")
    # The names the listener derives from the notification are the API's names.
    assert naming.host_fqdn(event_payload["hostname"], project) == answer["hostname"]
    assert naming.compact_host(answer["hostname"], "ctl", project) == f"named.ctl.dev-team.{DOMAIN}"
    conf = api.conf
    conf.set_override("notifications_topic", topic)
    listener = Listener(conf, api.core,
                        transport=oslo_messaging.get_notification_transport(conf, url=rabbitmq))
    listener.start()
    nova = Publisher(rabbitmq, "nova", topic)
    try:
        nova.send("compute.compute-0", "compute.instance.delete.end", event_payload)
        wait_until(lambda: gone(api, answer["hostname"]), "the host")
        assert gone(api, f"named.ctl.dev-team.{DOMAIN}")
    finally:
        nova.close()
        listener.stop()


def test_metrics_and_audit_carry_the_notification(api, start_listener, nova, caplog):
    import logging

    from prometheus_client.parser import text_string_to_metric_families

    from tests.api.conftest import free_port

    caplog.set_level(logging.INFO, logger="novajoin.audit")
    port = free_port()
    start_listener(metrics_listen_port=port)
    iid = boot(api, "audited")
    # As nova sends it: its RequestContext, serialized to a dict.
    from oslo_context import context as oslo_context

    class ContextSerializer(oslo_messaging.NoOpSerializer):  # nova's does the same
        def serialize_context(self, context):
            return context.to_dict()

    serializer = ContextSerializer()
    notifier = oslo_messaging.Notifier(nova.transport, publisher_id="compute.c0",
                                       driver="messagingv2", topics=[nova.topic],
                                       serializer=serializer)
    global_id = "req-" + str(uuid.uuid4())
    ctx = oslo_context.RequestContext(request_id="req-" + str(uuid.uuid4()),
                                      global_request_id=global_id, overwrite=False)
    notifier.info(ctx, "compute.instance.delete.end", samples.legacy_instance(iid, "audited"))
    wait_until(lambda: gone(api, f"audited.{DOMAIN}"), "the delete")

    def audited() -> bool:  # written just after IPA's answer: it may trail the delete
        lines = [r.getMessage() for r in caplog.records if r.name == "novajoin.audit"
                 and "operation=delete" in r.getMessage()]
        return any(f"instance={iid}" in line and f"request={global_id}" in line
                   for line in lines)
    wait_until(audited, "the delete's audit line with nova's request id")

    def handled() -> list[float]:
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        return [s.value for f in text_string_to_metric_families(text) for s in f.samples
                if s.name == "novajoin_notifications_total"
                and s.labels == {"event_type": "compute.instance.delete.end",
                                 "outcome": "handled"}]
    wait_until(lambda: handled() == [1.0], "the delete counted as handled")


def gone(api, fqdn):
    return not host_exists(api, fqdn)
