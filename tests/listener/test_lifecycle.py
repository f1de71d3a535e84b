"""Lifecycle actions against FakeIPA, on instances enrolled through the real API path."""

from __future__ import annotations

import pytest

from novajoin import exception
from novajoin.domain.ownership import Owner
from novajoin.listener import events
from tests.listener import samples
from tests.support import DOMAIN, host_exists, nova_body


def boot(api, hostname, metadata=None):
    body = nova_body(hostname=hostname, metadata=metadata, project_id=samples.PROJECT)
    resp = api.post(body)
    assert resp.status_int == 200, resp.json
    return body["instance-id"], resp.json


def event(action, instance_id, hostname, metadata=None, project=samples.PROJECT):
    return events.InstanceEvent(action, instance_id, project, hostname,
                                metadata if metadata is not None else {"ipa_enroll": "True"})


@pytest.fixture
def api(make_api):
    return make_api(enrollment_recheck_interval=0,
                    sections="[Dev Team]\nallowed_services = HTTP/vip.*\n")


@pytest.fixture
def life(api):
    return api.core.lifecycle


def test_delete_removes_host_subhosts_services(api, life):
    md = {"ipa_enroll": "True", "compact_service_HTTP": '["ctl"]',
          "managed_service_a": f"ldap/gone.{DOMAIN}"}
    iid, _ = boot(api, "gone", md)
    assert exists(api, f"gone.ctl.{DOMAIN}")
    life.delete(event("delete", iid, "gone", md))
    for name in (f"gone.{DOMAIN}", f"gone.ctl.{DOMAIN}"):
        assert not exists(api, name)
    with pytest.raises(exception.IpaNotFound):
        api.admin.call("service_show", f"HTTP/gone.ctl.{DOMAIN}")
    life.delete(event("delete", iid, "gone", md))  # redelivered: still fine


def test_delete_only_touches_what_the_instance_owns(api, life):
    api.admin.call("host_add", f"bystander.{DOMAIN}", force=True)
    iid, _ = boot(api, "owner")
    # A crafted event: another instance id naming the same host, and metadata naming others.
    life.delete(event("delete", "11111111-1111-1111-1111-111111111111", "owner",
                      {"managed_service_x": f"HTTP/bystander.{DOMAIN}"}))
    assert exists(api, f"owner.{DOMAIN}") and exists(api, f"bystander.{DOMAIN}")
    # The right instance but the wrong project: nothing either.
    life.delete(event("delete", iid, "owner", project="otherproject"))
    assert exists(api, f"owner.{DOMAIN}")
    life.delete(event("delete", iid, "owner"))
    assert not exists(api, f"owner.{DOMAIN}") and exists(api, f"bystander.{DOMAIN}")


def test_a_shared_service_outlives_one_of_its_instances(api, life):
    md = {"ipa_enroll": "True", "managed_service_vip": f"HTTP/vip.{DOMAIN}"}
    first, _ = boot(api, "node1", md)
    second, _ = boot(api, "node2", md)
    life.delete(event("delete", first, "node1", md))
    assert not exists(api, f"node1.{DOMAIN}")
    svc = api.admin.call("service_show", f"HTTP/vip.{DOMAIN}")["result"]
    assert f"node2.{DOMAIN}" in svc["managedby_host"]
    assert f"node1.{DOMAIN}" not in svc["managedby_host"]
    vip = api.admin.call("host_show", f"vip.{DOMAIN}", all=True)["result"]
    assert vip["description"] == [Owner(second, samples.PROJECT).of_subhost().tag()]
    life.delete(event("delete", second, "node2", md))
    assert not exists(api, f"vip.{DOMAIN}")


def test_rebuild_resets_once_and_the_new_otp_enrolls(api, life):
    iid, first = boot(api, "phoenix")
    fqdn = first["hostname"]
    assert api.enroll(fqdn, first["ipaotp"]).status_code == 200
    life.rebuild(event("rebuild", iid, "phoenix"), generation=1_780_000_000)
    entry = api.admin.call("host_show", fqdn)["result"]
    assert entry["has_keytab"] is False and entry["has_password"] is True
    second = api.post(nova_body(hostname="phoenix", instance_id=iid,
                                project_id=samples.PROJECT)).json
    assert second["ipaotp"] != first["ipaotp"]
    # Redelivered: nothing changes, the OTP handed out stays valid.
    life.rebuild(event("rebuild", iid, "phoenix"), generation=1_780_000_000)
    assert api.enroll(fqdn, second["ipaotp"]).status_code == 200


def test_update_adds_services_but_never_creates_a_host(api, life):
    iid, _ = boot(api, "grower")
    md = {"ipa_enroll": "True", "compact_service_HTTP": '["ctl"]'}
    life.update(event("update", iid, "grower", md))
    svc = api.admin.call("service_show", f"HTTP/grower.ctl.{DOMAIN}")["result"]
    assert sorted(svc["managedby_host"]) == [f"grower.ctl.{DOMAIN}", f"grower.{DOMAIN}"]
    life.update(event("update", iid, "grower", md))  # again: nothing new, no error
    stranger = "22222222-2222-2222-2222-222222222222"
    life.update(event("update", stranger, "nobody", md))
    assert not exists(api, f"nobody.{DOMAIN}") and not exists(api, f"nobody.ctl.{DOMAIN}")


def records(api, zone, name):
    try:
        return api.admin.call("dnsrecord_show", zone, name)["result"]
    except exception.IpaNotFound:
        return {}


def test_floating_ip_follows_its_instance(api, life):
    api.admin.call("dnszone_add", "4.24.172.in-addr.arpa.", force=True,
                   idnssoamname=f"ns.{DOMAIN}.")
    a, _ = boot(api, "fipa")
    b, _ = boot(api, "fipb")
    addr = "172.24.4.228"
    fip = "2f245a7b-796b-4f26-9cf9-9e82d248fda7"

    def fire(event_type, payload):
        life.floating_ip(events.floating_ip_event(event_type, payload))

    fire("floatingip.create.end", samples.floating_ip(addr, a, fip))
    assert records(api, f"{DOMAIN}.", "fipa")["arecord"] == [addr]
    assert records(api, "4.24.172.in-addr.arpa.", "228")["ptrrecord"] == [f"fipa.{DOMAIN}."]
    fire("floatingip.update.end", samples.floating_ip(addr, b, fip))  # moved to b
    assert "arecord" not in records(api, f"{DOMAIN}.", "fipa")
    assert records(api, f"{DOMAIN}.", "fipb")["arecord"] == [addr]
    assert records(api, "4.24.172.in-addr.arpa.", "228")["ptrrecord"] == [f"fipb.{DOMAIN}."]
    fire("floatingip.update.end", samples.floating_ip(addr, None, fip))  # detached
    assert "arecord" not in records(api, f"{DOMAIN}.", "fipb")
    assert records(api, "4.24.172.in-addr.arpa.", "228") == {}
    fire("floatingip.update.end", samples.floating_ip(addr, a, fip))
    fire("floatingip.delete.end", samples.floating_ip_deleted(addr, a, fip))
    assert "arecord" not in records(api, f"{DOMAIN}.", "fipa")


def test_floating_ip_without_reverse_zone_and_foreign_records(api, life):
    iid, _ = boot(api, "fipc")
    api.admin.call("dnsrecord_add", f"{DOMAIN}.", "printer", arecord=["203.0.113.9"])
    fire = life.floating_ip
    fire(events.floating_ip_event("floatingip.create.end",
                                  samples.floating_ip("203.0.113.9", iid)))
    # The address now names the instance too; the printer's record is not novajoin's.
    assert records(api, f"{DOMAIN}.", "fipc")["arecord"] == ["203.0.113.9"]
    assert records(api, f"{DOMAIN}.", "printer")["arecord"] == ["203.0.113.9"]
    fire(events.floating_ip_event("floatingip.update.end",
                                  samples.floating_ip("203.0.113.9", None)))
    assert "arecord" not in records(api, f"{DOMAIN}.", "fipc")
    assert records(api, f"{DOMAIN}.", "printer")["arecord"] == ["203.0.113.9"]


def test_instance_delete_removes_its_floating_ip_records(api, life):
    iid, _ = boot(api, "fipd")
    life.floating_ip(events.floating_ip_event("floatingip.create.end",
                                              samples.floating_ip("198.51.100.7", iid)))
    assert records(api, f"{DOMAIN}.", "fipd")["arecord"] == ["198.51.100.7"]
    life.delete(event("delete", iid, "fipd"))
    assert records(api, f"{DOMAIN}.", "fipd") == {}


def exists(api, fqdn):
    return host_exists(api, fqdn)
