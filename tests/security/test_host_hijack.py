"""Attack 3 (and the name half of 2): an instance named like a host that is not its own.

novajoin 1.x set a new OTP (``host_mod userpassword``) on any existing host without a keytab:
naming an instance after a pre-created host handed its identity (HBAC, sudo, automember) to
the tenant, and deleting the instance deleted the host.
"""

from __future__ import annotations

import pytest

from tests.fuzz.ipa_watch import entry, tagged_hosts
from tests.security.helpers import OTHER_PROJECT, PRECREATED_PASSWORD, PROJECT_ID, otps
from tests.support import DOMAIN, nova_body


def claim(api, hostname, project_id=PROJECT_ID, **kw):
    body = nova_body(hostname=hostname, project_id=project_id, **kw)
    return body, api.post(body)


def assert_refused_without_otp(api, body, resp):
    assert resp.status_int == 409, resp.json
    assert resp.json["errors"][0]["code"] == "novajoin.name.conflict"
    assert "ipaotp" not in resp.text
    for candidate in otps(body["instance-id"]):
        assert candidate not in resp.text
    assert tagged_hosts(api.admin, body["instance-id"]) == []


@pytest.mark.parametrize("hostname", ["victim", "VICTIM", "Victim.", f"victim.{DOMAIN}",
                                      f"VICTIM.{DOMAIN.upper()}."])
def test_a_host_without_owner_tag_is_not_taken(api, foreign, hostname):
    body, resp = claim(api, hostname)
    assert_refused_without_otp(api, body, resp)
    foreign.unchanged()  # description, no password set, DNS record, services


@pytest.mark.parametrize("project", [PROJECT_ID, OTHER_PROJECT])
def test_the_host_of_another_instance_is_not_taken(api, foreign, project):
    # other-tenant is another instance's (enrolled) host; its sub-host is taken as well.
    for hostname in ("other-tenant", f"other-tenant.ctl.{DOMAIN}"):
        body, resp = claim(api, hostname, project_id=project)
        assert_refused_without_otp(api, body, resp)
    foreign.unchanged()


def test_a_not_yet_enrolled_instance_keeps_its_otp(api, foreign):
    victim = nova_body(hostname="booting")
    first = api.post(victim).json
    body, resp = claim(api, "booting")
    assert_refused_without_otp(api, body, resp)
    # The legitimate instance still gets, and enrolls with, its own OTP.
    assert api.post(victim).json == first
    assert api.enroll(first["hostname"], first["ipaotp"]).status_code == 200


def test_a_pre_created_host_is_not_handed_out(api, foreign):
    fqdn = f"precreated.{DOMAIN}"
    for hostname in ("precreated", fqdn, "PRECREATED."):
        body, resp = claim(api, hostname)
        assert_refused_without_otp(api, body, resp)
        # None of the OTPs novajoin could give this instance opens the host...
        for candidate in otps(body["instance-id"]):
            assert api.enroll(fqdn, candidate).status_code != 200
    foreign.unchanged()
    # ...and the administrator's enrollment password still does (it was never replaced).
    assert api.enroll(fqdn, PRECREATED_PASSWORD).status_code == 200


def test_the_same_instance_id_in_another_project_is_another_owner(api, foreign):
    first = nova_body(hostname="owned")
    assert api.post(first).status_int == 200
    body, resp = claim(api, "owned", project_id=OTHER_PROJECT, instance_id=first["instance-id"])
    assert resp.status_int == 409 and "ipaotp" not in resp.text
    owner = entry(api.admin, "host", f"owned.{DOMAIN}")["description"]
    assert owner == [f"novajoin owner kind=host instance={first['instance-id']} "
                     f"project={PROJECT_ID} generation=0"]
