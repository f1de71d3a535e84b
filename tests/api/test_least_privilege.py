"""The API and listener paths as novajoin runs in production: logged in as ``nova/<host>``
with Kerberos (the test KDC), holding only the role novajoin-ipa-setup creates, against an
emulator that enforces IPA's permissions the way 389-ds evaluates their ACIs
(doc/freeipa-behaviour.md section 9: add filters on the new entry, modify/delete filters on
the entry before the change, the implicit writes of host_del and host_disable).

Every API, listener, reconcile and security test runs so (tests/support/least_privilege.py);
here are an instance's whole life in one test, and each "cannot" of doc/ipa-permissions.md
tried directly with novajoin's IPA client, whatever novajoin itself would send.
"""

from __future__ import annotations

import pytest

from novajoin import exception
from novajoin.listener import events
from tests.listener import samples
from tests.support import DOMAIN, nova_body


@pytest.fixture
def nova_api(make_api):
    api = make_api(enrollment_recheck_interval=0)
    assert api.conf.ipa_password is None and api.conf.keytab_principal.startswith("nova/")
    return api


def exists(api, fqdn) -> bool:
    try:
        api.admin.call("host_show", fqdn)
        return True
    except exception.IpaNotFound:
        return False


def test_the_whole_life_of_an_instance_as_nova(nova_api):
    api = nova_api
    md = {"ipa_enroll": "True", "compact_service_HTTP": '["ctl"]',
          "managed_service_db": f"postgres/lp.{DOMAIN}"}
    body = nova_body(hostname="lp", metadata=md, project_id=samples.PROJECT)
    iid = body["instance-id"]
    first = api.post(body)
    assert first.status_int == 200, first.json
    fqdn = first.json["hostname"]
    assert exists(api, fqdn) and exists(api, f"lp.ctl.{DOMAIN}")
    again = api.post(body)  # a repeated request reads and decides, as nova
    assert again.json["ipaotp"] == first.json["ipaotp"]
    assert api.enroll(fqdn, first.json["ipaotp"]).status_code == 200

    life = api.core.lifecycle
    address = "192.0.2.50"
    life.floating_ip(events.floating_ip_event("floatingip.create.end",
                                              samples.floating_ip(address, iid)))
    assert api.admin.call("dnsrecord_show", f"{DOMAIN}.", "lp")["result"]["arecord"] == [
        address]

    life.rebuild(events.InstanceEvent("rebuild", iid, samples.PROJECT, "lp", md),
                 generation=1_790_000_000)
    shown = api.admin.call("host_show", fqdn)["result"]
    assert (shown["has_keytab"], shown["has_password"]) == (False, True)
    second = api.post(body)
    assert api.enroll(fqdn, second.json["ipaotp"]).status_code == 200

    life.delete(events.InstanceEvent("delete", iid, samples.PROJECT, "lp", md))
    assert not exists(api, fqdn) and not exists(api, f"lp.ctl.{DOMAIN}")
    with pytest.raises(exception.IpaNotFound):
        api.admin.call("dnsrecord_show", f"{DOMAIN}.", "lp")


def test_a_foreign_host_is_refused_by_ipa_itself(nova_api):
    """The role's host rights are filtered on novajoin's owner tag: nova cannot modify or
    delete a host without it, whatever novajoin would send (ipa_setup.py OWNED_HOSTS)."""
    api = nova_api
    api.admin.call("host_add", f"printer.{DOMAIN}", force=True, description="a printer")
    resp = api.post(nova_body(hostname="printer"))
    assert resp.status_int == 409
    nova = api.core.ipa
    with pytest.raises(exception.IpaACIError, match="'delete' privilege"):
        nova.call("host_del", f"printer.{DOMAIN}")
    with pytest.raises(exception.IpaACIError, match="'description' attribute"):
        nova.call("host_mod", f"printer.{DOMAIN}", description="novajoin owner kind=host")
    assert exists(api, f"printer.{DOMAIN}")


def test_what_the_dns_permissions_allow_and_deny(nova_api):
    """doc/ipa-permissions.md, "DNS records carry no owner tag": the add right ignores the
    attributes of the new entry, so nova may create any DNS name with any record (here an
    SRV name); it may change only A, AAAA, PTR and SSHFP values of existing names, and may
    not touch a zone's apex (the filter excludes idnszone entries). 389-ds checks the add
    right even when the name exists (doc/freeipa-behaviour.md section 9c)."""
    nova = nova_api.core.ipa
    zone = f"{DOMAIN}."
    nova.call("dnsrecord_add", zone, "_kerberos._udp",
              srvrecord=[f"0 100 88 kdc.{DOMAIN}."])  # allowed: IPA cannot scope it
    with pytest.raises(exception.IpaACIError, match="'srvrecord' attribute"):
        nova.call("dnsrecord_add", zone, "_kerberos._udp",
                  srvrecord=[f"0 100 88 evil.{DOMAIN}."])
    nova.call("dnsrecord_add", zone, "_kerberos._udp", arecord=["192.0.2.9"])
    with pytest.raises(exception.IpaACIError, match="'add' privilege"):
        nova.call("dnsrecord_add", zone, "@", arecord=["192.0.2.8"])
    nova.call("dnsrecord_del", zone, "_kerberos._udp", arecord=["192.0.2.9"])
    nova.call("dnsrecord_del", zone, "_kerberos._udp", del_all=True)  # a whole name: allowed


def test_a_host_novajoin_creates_must_carry_its_owner_tag(nova_api):
    """The add right's filter is evaluated on the new entry: no untagged host, and no host
    tagged for another deployment (doc/ipa-permissions.md, "How ownership is enforced")."""
    nova = nova_api.core.ipa
    with pytest.raises(exception.IpaACIError, match="'add' privilege"):
        nova.call("host_add", f"untagged.{DOMAIN}", force=True)
    with pytest.raises(exception.IpaACIError, match="'add' privilege"):
        nova.call("host_add", f"west.{DOMAIN}", force=True,
                  description="novajoin owner deployment=west kind=host instance=x")
    assert not exists(nova_api, f"untagged.{DOMAIN}") and not exists(nova_api,
                                                                     f"west.{DOMAIN}")

