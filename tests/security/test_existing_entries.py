"""Entries that exist before the boot: decided by their owner tags alone (issue 18).

Two checks of ``plan.decide`` that the other suites only reach through one table row each:

* a sub-host that ``allowed_services`` lets projects share, tagged by *another* project, with
  no service on it any more: only the host-level owner check refuses it (when its service
  exists too, the service-level check refuses as well and hides a missing host check);
* a service that exists on a name whose host does not (IPA's ``service_add
  --skip-host-check``): the host is created by this very request, so only the
  service-level check sees that the service is not novajoin's.
"""

from __future__ import annotations

import pytest

from novajoin.domain import ownership
from tests.fuzz.ipa_watch import entry, snapshot, tagged_hosts
from tests.security.helpers import OTHER_PROJECT, PROJECT_ID
from tests.support import DOMAIN, nova_body


def boot(api, hostname, metadata, project_id=PROJECT_ID):
    body = nova_body(hostname=hostname, project_id=project_id,
                     metadata={"ipa_enroll": "True", **metadata})
    return body, api.post(body)


def test_a_shared_sub_host_of_another_project_is_refused_without_its_service(api):
    vip = {"managed_service_vip": f"HTTP/vip.{DOMAIN}"}
    _, first = boot(api, "node-o", vip, project_id=OTHER_PROJECT)
    assert first.status_int == 200, first.json
    # The Other Team's sub-host stays; its service is gone (removed by hand, or never made).
    api.admin.call("service_del", f"HTTP/vip.{DOMAIN}")
    before = snapshot(api.admin, [f"vip.{DOMAIN}"])
    body, resp = boot(api, "thief", vip)  # the Dev Team may claim HTTP/vip.* too
    assert resp.status_int == 409, resp.json
    assert resp.json["errors"][0]["code"] == "novajoin.name.conflict"
    assert "ipaotp" not in resp.text
    # Nothing on the other project's sub-host: no service, no manager, same entry.
    assert entry(api.admin, "service", f"HTTP/vip.{DOMAIN}") is None
    assert snapshot(api.admin, [f"vip.{DOMAIN}"]) == before
    assert tagged_hosts(api.admin, body["instance-id"]) == []


def test_a_shared_sub_host_of_the_same_project_is_taken_without_its_service(api):
    vip = {"managed_service_vip": f"HTTP/vip.{DOMAIN}"}
    assert boot(api, "node-1", vip)[1].status_int == 200
    api.admin.call("service_del", f"HTTP/vip.{DOMAIN}")
    _, resp = boot(api, "node-2", vip)
    assert resp.status_int == 200, resp.json
    svc = entry(api.admin, "service", f"HTTP/vip.{DOMAIN}")
    assert f"node-2.{DOMAIN}" in svc["managedby_host"]


# A claim in metadata, and the administrator's service it names, on a name no host has (yet).
HOSTLESS = [({"compact_service_HTTP": '["ctl"]'}, f"HTTP/free.ctl.{DOMAIN}"),  # compact sub-host
            ({"managed_service_x": f"ldap/free.{DOMAIN}"}, f"ldap/free.{DOMAIN}")]  # own name


@pytest.mark.parametrize("metadata,principal", HOSTLESS)
def test_a_service_without_its_host_is_not_adopted(api, watch, metadata, principal):
    api.admin.call("service_add", principal, force=True, skip_host_check=True)
    watch.writes_since_last()
    body, resp = boot(api, "free", metadata)
    assert resp.status_int == 409, resp.json
    assert resp.json["errors"][0]["code"] == "novajoin.name.conflict"
    assert "ipaotp" not in resp.text
    # What the request created is undone, but the host under the administrator's service
    # stays (host_del would take the service along), released: no owner tag, no OTP.
    assert tagged_hosts(api.admin, body["instance-id"]) == []
    service_host = principal.partition("/")[2]
    kept = entry(api.admin, "host", service_host)
    assert kept is not None and ownership.read(kept) is None
    assert "left in place" in kept["description"][0]
    assert not (kept["has_password"] and kept["fqdn"] == [f"free.{DOMAIN}"]
                and api.enroll(f"free.{DOMAIN}", api.core.enroller.otp(body["instance-id"],
                                                                       0)).status_code == 200)
    for other in {f"free.{DOMAIN}", f"free.ctl.{DOMAIN}"} - {service_host}:
        assert entry(api.admin, "host", other) is None
    assert "service_add_host" not in watch.writes_since_last()


@pytest.mark.parametrize("metadata,principal", HOSTLESS)
def test_a_refused_claim_leaves_a_host_less_service_in_place(api, metadata, principal):
    api.admin.call("service_add", principal, force=True, skip_host_check=True)
    before = snapshot(api.admin, services=[principal])
    assert boot(api, "free", metadata)[1].status_int == 409
    assert snapshot(api.admin, services=[principal]) == before


def test_a_host_less_service_matching_allowed_services_is_not_adopted(api):
    principal = f"HTTP/vip.{DOMAIN}"
    api.admin.call("service_add", principal, force=True, skip_host_check=True)
    body, resp = boot(api, "node-v", {"managed_service_vip": principal})
    service = entry(api.admin, "service", principal) or {}
    assert f"node-v.{DOMAIN}" not in service.get("managedby_host", [])
    assert resp.status_int == 409, resp.json
