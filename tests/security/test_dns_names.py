"""Security round 2, item 1 (issue 12): names that exist in IPA DNS but have no host entry.

An instance named like a corporate record (``www.<domain>``) or IPA's CA name got an OTP:
the guest enrolled under that name, could ask for certificates for it and update its
records, and deleting the instance (host_del with updatedns) removed the records that
were there before. Now a name with DNS records and no host entry is refused (409), and
``ipa-ca`` always; what such a request had added is removed again, the records stay.
"""

from __future__ import annotations

import json

import pytest

from novajoin import exception
from tests.support import DOMAIN, nova_body

ZONE = f"{DOMAIN}."


def records(api, name):
    try:
        return api.admin.call("dnsrecord_show", ZONE, name)["result"]
    except exception.IpaNotFound:
        return None


def no_host(api, fqdn):
    return api.admin.call("host_find", fqdn)["result"] == []


@pytest.mark.parametrize("name", ["www", "intranet"])
def test_a_name_with_dns_records_and_no_host_is_refused(api, name):
    api.admin.call("dnsrecord_add", ZONE, name, arecord=["192.0.2.80"])
    before = records(api, name)
    resp = api.post(nova_body(hostname=name))
    assert resp.status_int == 409
    assert "already has DNS records" in resp.json["errors"][0]["detail"]
    assert "ipaotp" not in resp.text
    assert no_host(api, f"{name}.{DOMAIN}")
    assert records(api, name) == before


def test_a_sub_host_name_with_dns_records_is_refused(api):
    api.admin.call("dnsrecord_add", ZONE, "db.ctl", arecord=["192.0.2.81"])
    resp = api.post(nova_body(hostname="db", metadata={
        "ipa_enroll": "True", "compact_service_HTTP": json.dumps(["ctl"])}))
    assert resp.status_int == 409
    assert no_host(api, f"db.{DOMAIN}") and no_host(api, f"db.ctl.{DOMAIN}")
    assert records(api, "db.ctl")["arecord"] == ["192.0.2.81"]


def test_ipa_ca_is_always_refused(api):
    api.reset_stats()
    resp = api.post(nova_body(hostname="ipa-ca"))
    assert resp.status_int == 400
    assert "IPA's own name for its CA" in resp.json["errors"][0]["detail"]
    assert set(api.stats()["commands"]) <= {"env"}


def test_a_name_without_records_enrolls_and_a_repeat_is_still_its_own(api):
    """Records novajoin publishes later (floating IPs) do not make the host foreign."""
    body = nova_body(hostname="fresh")
    first = api.post(body)
    assert first.status_int == 200
    api.admin.call("dnsrecord_add", ZONE, "fresh", arecord=["192.0.2.82"])
    again = api.post(body)
    assert again.status_int == 200 and again.json["ipaotp"] == first.json["ipaotp"]


def test_without_the_right_to_read_dns_the_check_is_not_skipped(api):
    """On a real IPA a role without "System: Read DNS Entries" sees no DNS zone at all
    (ipaserver/plugins/dns.py: a search under cn=dns finds nothing; cn=dns itself stays
    readable, so no "DNS is not configured"). Taken as "no DNS", the check above would
    be skipped and ``www`` enrolled. It is refused as the misconfiguration it is."""
    from novajoin import ipa_setup

    api.admin.call("dnsrecord_add", ZONE, "www", arecord=["192.0.2.82"])
    api.admin.call("privilege_remove_permission", ipa_setup.PRIVILEGE,
                   permission=["System: Read DNS Entries"])
    resp = api.post(nova_body(hostname="www"))
    assert resp.status_int == 500, resp.json
    error = resp.json["errors"][0]
    assert error["code"] == "novajoin.ipa.forbidden"
    assert "System: Read DNS Entries" in error["detail"]
    assert "ipaotp" not in resp.text
    assert no_host(api, f"www.{DOMAIN}")


def test_without_the_right_to_read_dns_a_delete_waits_and_leaves_nothing_behind(api):
    """host_del(updatedns) as a role that cannot read DNS deletes the host and keeps its
    records (ipaserver/plugins/host.py host_del.pre_callback: its dnsrecord_show finds
    nothing): an address left for the next instance that gets it. The delete is refused
    (retryable: the listener requeues it) until the role is fixed, then done whole."""
    from novajoin import ipa_setup
    from novajoin.listener import events

    body = nova_body(hostname="leaving")
    assert api.post(body).status_int == 200
    api.admin.call("dnsrecord_add", ZONE, "leaving", arecord=["192.0.2.83"])
    api.admin.call("privilege_remove_permission", ipa_setup.PRIVILEGE,
                   permission=["System: Read DNS Entries"])
    api.core.lifecycle.ipa._zones = (0.0, None)  # as after ZONES_TTL
    gone = events.InstanceEvent("delete", body["instance-id"], body["project-id"],
                                "leaving", {})
    with pytest.raises(exception.IpaAuthorizationError) as refused:
        api.core.lifecycle.delete(gone)
    assert refused.value.retryable
    assert not no_host(api, f"leaving.{DOMAIN}")
    assert records(api, "leaving")["arecord"] == ["192.0.2.83"]
    api.admin.call("privilege_add_permission", ipa_setup.PRIVILEGE,
                   permission=["System: Read DNS Entries"])
    api.core.lifecycle.delete(gone)
    assert no_host(api, f"leaving.{DOMAIN}") and records(api, "leaving") is None
