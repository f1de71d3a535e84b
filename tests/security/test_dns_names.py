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
