"""Attack 1: a tenant claims a service principal that is not its own (peers-and-threats §2.1).

Instance metadata is the tenant's to write at any time. novajoin 1.x created any
``managed_service_*``/``compact_service*`` principal and added the tenant's host to the
managers of an existing one, so the tenant's VM could fetch that service's keytab.
"""

from __future__ import annotations

import json

import pytest

from tests.fuzz.ipa_watch import entry, tagged_hosts
from tests.security.helpers import OTHER_PROJECT, PROJECT_ID
from tests.support import DOMAIN, REALM, nova_body


def attack(api, hostname, metadata, project_id=PROJECT_ID):
    body = nova_body(hostname=hostname, project_id=project_id,
                     metadata={"ipa_enroll": "True", **metadata})
    return body, api.post(body)


def assert_nothing_of(api, body):
    """The refused instance left nothing in IPA."""
    assert tagged_hosts(api.admin, body["instance-id"]) == []


@pytest.mark.parametrize("principal", [
    f"HTTP/victim.{DOMAIN}",  # an existing host of someone else
    f"HTTP/victim.{DOMAIN}@{REALM}",
    f"HTTP/victim.ctl.{DOMAIN}",  # an existing service of someone else
    f"HTTP/other-tenant.ctl.{DOMAIN}",  # another tenant's instance's service
    f"ldap/precreated.{DOMAIN}",  # a host waiting for its enrollment
    f"HTTP/attacker.ctl.x.{DOMAIN}",  # two labels below its own name
    f"HTTP/attacker.{DOMAIN}.evil.test",  # its own name as a prefix elsewhere
    f"HTTP/xattacker.{DOMAIN}",
    "HTTP/www.corp.example.com",  # outside the domain
    f"host/attacker.{DOMAIN}",  # IPA's own host principal
    f"HTTP/attacker.{DOMAIN}@OTHER.REALM",
])
def test_managed_service_on_a_foreign_name_is_refused_before_any_write(api, foreign, watch,
                                                                       principal):
    body, resp = attack(api, "attacker", {"managed_service_x": principal})
    assert resp.status_int in (400, 403), resp.json
    assert resp.json["errors"][0]["code"] in ("novajoin.metadata.forbidden",
                                              "novajoin.name.invalid")
    assert not watch.writes_since_last()
    foreign.unchanged()
    assert_nothing_of(api, body)


@pytest.mark.parametrize("metadata", [
    {"compact_service_HTTP": '["ctl"]'},
    {"compact_services": json.dumps({"HTTP": ["ctl"]})},
    {"managed_service_x": f"HTTP/victim.ctl.{DOMAIN}"},  # its own compact sub-host's name
])
def test_compact_services_on_names_that_exist_are_a_conflict(api, foreign, metadata):
    # An instance named "victim" derives victim.ctl.<domain>: a name that exists, with a
    # service, and is not novajoin's. So is victim.<domain> itself: the host is refused too.
    body, resp = attack(api, "victim", metadata)
    assert resp.status_int == 409, resp.json
    assert "ipaotp" not in resp.text
    foreign.unchanged()
    assert_nothing_of(api, body)


def test_a_new_service_on_an_existing_foreign_sub_host_is_a_conflict(api, foreign):
    # The attacker's own name is free; the sub-host it derives exists and is not novajoin's.
    api.admin.call("host_add", f"free.int.{DOMAIN}", force=True)
    body, resp = attack(api, "free", {"compact_service_ldap": '["int"]'})
    assert resp.status_int == 409, resp.json
    assert entry(api.admin, "service", f"ldap/free.int.{DOMAIN}") is None
    assert entry(api.admin, "host", f"free.{DOMAIN}") is None
    foreign.unchanged()


def test_compact_services_of_another_tenants_instance_are_a_conflict(api, foreign):
    # other-tenant.ctl is another project's instance's sub-host, with its service.
    body, resp = attack(api, f"other-tenant.ctl.{DOMAIN}", {"compact_service_HTTP": '["x"]'})
    assert resp.status_int == 409
    assert_nothing_of(api, body)
    body, resp = attack(api, "other-tenant", {"compact_service_HTTP": '["ctl"]'})
    assert resp.status_int == 409
    assert_nothing_of(api, body)
    foreign.unchanged()


def test_an_allowed_pattern_of_another_project_is_forbidden(make_api, foreign, watch):
    from tests.security.helpers import SECRET, Cloud

    # Only the Dev Team may claim HTTP/vip.*: the Other Team has no allowed_services here.
    api = make_api(cloud=Cloud(), otp_secret=SECRET,
                   sections="[Dev Team]\nallowed_services = HTTP/vip.*\n")
    watch.writes_since_last()
    body, resp = attack(api, "thief", {"managed_service_vip": f"HTTP/vip.{DOMAIN}"},
                        project_id=OTHER_PROJECT)
    assert resp.status_int == 403, resp.json
    assert resp.json["errors"][0]["code"] == "novajoin.metadata.forbidden"
    assert not watch.writes_since_last()
    assert entry(api.admin, "host", f"vip.{DOMAIN}") is None


def test_a_shared_service_of_another_project_is_never_joined(api, foreign):
    # Both projects may claim HTTP/vip.*; the Dev Team did first. The Other Team's instance
    # must not become a manager of the Dev Team's service.
    _, first = attack(api, "node-a", {"managed_service_vip": f"HTTP/vip.{DOMAIN}"})
    assert first.status_int == 200
    before = entry(api.admin, "service", f"HTTP/vip.{DOMAIN}")
    body, resp = attack(api, "thief", {"managed_service_vip": f"HTTP/vip.{DOMAIN}"},
                        project_id=OTHER_PROJECT)
    assert resp.status_int == 409, resp.json
    assert entry(api.admin, "service", f"HTTP/vip.{DOMAIN}") == before
    assert f"thief.{DOMAIN}" not in before["managedby_host"]
    assert_nothing_of(api, body)
    foreign.unchanged()


@pytest.mark.parametrize("target", ["www.corp.example.com", f"mail.{DOMAIN}",
                                    f"node-b.ctl.{DOMAIN}"])
def test_compact_service_names_cannot_carry_a_principal(api, foreign, target):
    # node-b is another instance of the attacker's own project, with a compact service.
    _, sibling = attack(api, "node-b", {"compact_service_HTTP": '["ctl"]'})
    assert sibling.status_int == 200
    before = entry(api.admin, "service", f"HTTP/node-b.ctl.{DOMAIN}")
    body, resp = attack(api, "attacker", {
        "compact_services": json.dumps({f"HTTP/{target}@": ["ctl"]})})
    service = entry(api.admin, "service", f"HTTP/{target}")
    assert f"attacker.{DOMAIN}" not in (service or {}).get("managedby_host", [])
    assert entry(api.admin, "service", f"HTTP/node-b.ctl.{DOMAIN}") == before
    assert resp.status_int in (400, 403), resp.json
    foreign.unchanged()
