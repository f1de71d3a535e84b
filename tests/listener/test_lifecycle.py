"""Lifecycle actions against FakeIPA, on instances enrolled through the real API path."""

from __future__ import annotations

import threading

import pytest
import requests

from novajoin import exception
from novajoin.domain.ownership import Owner
from novajoin.listener import events
from novajoin.listener.service import HANDLED, REQUEUE, Counters, Policy
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


# -- IPA's fidelity (issue 11; doc/freeipa-behaviour.md) ---------------------------------

def _faults(api, **commands):
    r = requests.post(api.fakeipa.url + "/ipa/fake/faults", json={"commands": commands},
                      timeout=5)
    assert r.status_code == 200, r.text


def _policy(api):
    stopping = threading.Event()
    stopping.set()  # no requeue delay in a test
    counters = Counters()
    return Policy(api.conf, counters, stopping), counters


@pytest.mark.parametrize("code,klass", [(4301, exception.IpaCertificateOperationError),
                                        (907, exception.IpaNetworkError)])
def test_ca_down_requeues_the_delete_until_it_is_back(api, life, code, klass):
    """With a CA, host_del asks Dogtag (cert_find) for each of the host's services and for
    the host; with Dogtag down each batch item fails with NetworkError 907 (4.9-4.12) or
    CertificateOperationError 4301 (4.13), nothing deleted (ipaserver/plugins/dogtag.py,
    host.py host_del; doc/freeipa-behaviour.md section 4). Lifecycle wrapped every batch
    error in Refused, so the listener dropped the delete."""
    md = {"ipa_enroll": "True", "compact_service_HTTP": '["ctl"]'}
    iid, _ = boot(api, "ca-down", md)
    _faults(api, host_del=code, service_del=code, service_remove_host=code)
    policy, counters = _policy(api)
    delete = event("delete", iid, "ca-down", md)
    message = {"message_id": "m-1"}
    with pytest.raises(klass):
        life.delete(delete)
    assert policy.run("compute.instance.delete.end", message,
                      lambda: life.delete(delete)) == REQUEUE
    assert counters.total("requeued") == 1 and exists(api, f"ca-down.{DOMAIN}")
    _faults(api, host_del=None, service_del=None, service_remove_host=None)
    assert policy.run("compute.instance.delete.end", message,
                      lambda: life.delete(delete)) == HANDLED
    assert not exists(api, f"ca-down.{DOMAIN}") and not exists(api, f"ca-down.ctl.{DOMAIN}")


def test_resolver_failure_deletes_the_records_by_name(api, life):
    """host_del(updatedns) finds the zone through the IPA server's resolver; when that
    fails: InternalError 903, the host's services already deleted, records and host left
    (host.py host_del.pre_callback, ipapython/dnsutil.py zone_for_name;
    doc/freeipa-behaviour.md section 7). novajoin dropped the delete as Refused; now it
    removes the A/AAAA and PTR records itself and deletes the host without updatedns."""
    # The reverse zone exists before the boot: novajoin remembers IPA's zones for minutes.
    api.admin.call("dnszone_add", "2.0.192.in-addr.arpa.", force=True, skip_overlap_check=True)
    iid, _ = boot(api, "noresolve")
    fqdn = f"noresolve.{DOMAIN}"
    api.admin.call("dnsrecord_add", f"{DOMAIN}.", "noresolve", arecord=["192.0.2.77"],
                   aaaarecord=["2001:DB8::77"])
    api.admin.call("dnsrecord_add", "2.0.192.in-addr.arpa.", "77", ptrrecord=[fqdn + "."])
    _faults(api, host_del=903)
    life.delete(event("delete", iid, "noresolve"))
    assert not exists(api, fqdn)
    with pytest.raises(exception.IpaNotFound):
        api.admin.call("dnsrecord_show", f"{DOMAIN}.", "noresolve")
    with pytest.raises(exception.IpaNotFound):
        api.admin.call("dnsrecord_show", "2.0.192.in-addr.arpa.", "77")


def test_rebuild_with_service_keys_is_blocked_and_changes_nothing(api, life):
    """host_disable disables the host's own services first: revokes their certificates,
    then needs write on their userCertificate/krbPrincipalKey, which novajoin's role does
    not grant: ACIError 2100 after the revocation, the same on every retry (host.py
    host_disable, service.py service_disable; doc/freeipa-behaviour.md section 3).
    novajoin now refuses such a rebuild before sending anything (RebuildBlocked: dropped,
    counted as outcome 'blocked', doc/operations.md says what to do)."""
    md = {"ipa_enroll": "True", "managed_service_web": f"HTTP/keyed.{DOMAIN}"}
    iid, first = boot(api, "keyed", md)
    fqdn = first["hostname"]
    assert api.enroll(fqdn, first["ipaotp"]).status_code == 200
    principal = f"HTTP/{fqdn}@{api.core.ipa.realm()}"
    requests.post(api.fakeipa.url + "/ipa/fake/keytab", json={"principal": principal},
                  timeout=5).raise_for_status()
    cert = requests.post(api.fakeipa.url + "/ipa/fake/cert", json={"entry": principal},
                         timeout=5).json()["certificate"]
    policy, counters = _policy(api)
    rebuild = event("rebuild", iid, "keyed", md)
    with pytest.raises(exception.RebuildBlocked) as info:
        life.rebuild(rebuild, generation=1_780_000_000)
    assert principal.split("@")[0] in str(info.value) and "ipa host-disable" in str(info.value)
    assert policy.run("compute.instance.rebuild.end", {"message_id": "r-1"},
                      lambda: life.rebuild(rebuild, generation=1_780_000_000)) == HANDLED
    assert counters.total("blocked") == 1
    with api.fakeipa.store.lock:
        assert api.fakeipa.store.ca_certs[cert] is False  # not revoked
        assert api.fakeipa.store.services[principal].has_keytab is True
    assert api.admin.call("host_show", fqdn)["result"]["has_keytab"] is True


def test_rebuild_with_plain_services_still_resets(api, life):
    md = {"ipa_enroll": "True", "managed_service_web": f"HTTP/plain.{DOMAIN}"}
    iid, first = boot(api, "plain", md)
    assert api.enroll(first["hostname"], first["ipaotp"]).status_code == 200
    life.rebuild(event("rebuild", iid, "plain", md), generation=1_780_000_000)
    entry = api.admin.call("host_show", first["hostname"])["result"]
    assert (entry["has_keytab"], entry["has_password"]) == (False, True)


def test_floating_ipv6_stored_in_another_case_is_still_removed(api, life):
    """IPA keeps an AAAA value as it was written and dnsrecord_del removes only the exact
    text (ipaserver/plugins/dns.py AAAARecord, no normaliser; doc/freeipa-behaviour.md
    section 8c), while dnsrecord_find matches case-blind. novajoin sent neutron's text,
    got AttrValueNotFound (taken as "already gone") and left the record in place."""
    iid, _ = boot(api, "six")
    api.admin.call("dnsrecord_add", f"{DOMAIN}.", "six", aaaarecord=["2001:DB8::66"])
    life.floating_ip(events.floating_ip_event("floatingip.update.end",
                                              samples.floating_ip("2001:db8::66", None)))
    assert "aaaarecord" not in records(api, f"{DOMAIN}.", "six")
