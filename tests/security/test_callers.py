"""Attack 5: callers other than nova's service user (peers-and-threats §2.5), against Keystone.

novajoin 1.x took any token (up to 1.1.0), then compared user and project *names*
(``user_name:nova and project_name:service``), which a same-named user in another Keystone
domain also matches. Every refusal here must come before IPA is asked anything.
"""

from __future__ import annotations

import uuid

import pytest

from tests.api.conftest import keystone_sections
from tests.openstack.services import Credentials
from tests.support import nova_body

# Headers keystonemiddleware sets for a validated token: a caller must not set them itself.
SPOOFED = {"X-Identity-Status": "Confirmed", "X-Roles": "admin,service",
           "X-Service-Roles": "service", "X-User-Name": "nova", "X-Project-Name": "service",
           "X-User-Id": "nova", "X-Project-Id": "service", "X-Is-Admin-Project": "True",
           "X-Service-Identity-Status": "Confirmed"}


@pytest.fixture
def keyed_api(make_api, novajoin_user):
    return make_api(auth_strategy="keystone", sections=keystone_sections(novajoin_user))


def refused(api, status, headers=None, code=None):
    api.reset_stats()
    resp = api.post(nova_body(hostname="intruder-" + uuid.uuid4().hex[:6]), headers=headers)
    assert resp.status_int == status, resp.body[:300]
    if code:
        assert resp.json["errors"][0]["code"] == code
    assert "ipaotp" not in resp.text
    assert api.stats()["http_requests"] == 0  # IPA was not even asked
    return resp


def test_no_token_is_401(keyed_api):
    refused(keyed_api, 401)


def test_identity_headers_without_a_token_are_401(keyed_api):
    refused(keyed_api, 401, headers=SPOOFED)


def test_a_forged_token_is_401(keyed_api):
    refused(keyed_api, 401, headers={"X-Auth-Token": "gAAAAABforged" + "A" * 150})


def test_a_tenant_token_is_403(keyed_api, keystone):
    token = keystone.issue_token(keystone.member)
    refused(keyed_api, 403, {"X-Auth-Token": token}, "novajoin.policy.forbidden")
    # ...even with identity headers claiming the service role.
    refused(keyed_api, 403, {"X-Auth-Token": token, **SPOOFED}, "novajoin.policy.forbidden")


def test_a_revoked_token_is_401(keyed_api, keystone):
    token = keystone.issue_token(keystone.nova)
    keystone.admin_session().delete(f"{keystone.auth_url}/auth/tokens",
                                    headers={"X-Subject-Token": token})
    refused(keyed_api, 401, {"X-Auth-Token": token})


def test_the_service_token_works_until_revoked(make_api, novajoin_user, keystone):
    # keystonemiddleware remembers a validated token for token_cache_time (300 s by
    # default): a deployment that needs revocation to bite at once lowers it. Here it is
    # off, so the same token is refused right after its revocation.
    sections = keystone_sections(novajoin_user).replace(
        "[service_credentials]", "token_cache_time = -1\n[service_credentials]")
    api = make_api(auth_strategy="keystone", sections=sections)
    token = keystone.issue_token(keystone.nova)
    ok = api.post(nova_body(hostname="before-revocation"), headers={"X-Auth-Token": token})
    assert ok.status_int == 200, ok.body[:300]
    keystone.admin_session().delete(f"{keystone.auth_url}/auth/tokens",
                                    headers={"X-Subject-Token": token})
    refused(api, 401, {"X-Auth-Token": token})


@pytest.fixture(scope="module")
def nova_of_another_domain(keystone):
    """A user named "nova" in project "service", both in another Keystone domain, with the
    role a domain's own administrator can hand out (member)."""
    domain = keystone.api("POST", "/domains", {"domain": {
        "name": "tenant-domain-" + uuid.uuid4().hex[:6]}})["domain"]
    project = keystone.api("POST", "/projects", {"project": {
        "name": "service", "domain_id": domain["id"]}})["project"]
    creds = Credentials(keystone.auth_url, "nova", "pw-" + uuid.uuid4().hex, "service",
                        user_domain_name=domain["name"], project_domain_name=domain["name"])
    user = keystone.api("POST", "/users", {"user": {
        "name": "nova", "password": creds.password, "domain_id": domain["id"],
        "default_project_id": project["id"]}})["user"]
    keystone.api("PUT", f"/projects/{project['id']}/users/{user['id']}/roles/"
                        f"{keystone.role_ids['member']}")
    return creds


def test_a_nova_user_of_another_domain_is_403(keyed_api, keystone, nova_of_another_domain):
    token = keystone.issue_token(nova_of_another_domain)
    seen = keystone.validate_token(token)
    assert (seen["user"]["name"], seen["project"]["name"]) == ("nova", "service")
    refused(keyed_api, 403, {"X-Auth-Token": token}, "novajoin.policy.forbidden")


def test_only_the_policy_keeps_it_out(make_api, novajoin_user, keystone,
                                      nova_of_another_domain, tmp_path):
    # The control for the test above: the impostor's token is valid for novajoin, and the
    # role-based default is what refuses it (a policy letting members in lets it in).
    policy = tmp_path / "policy.yaml"
    policy.write_text('"join:create": "role:member"\n')
    api = make_api(auth_strategy="keystone", sections=keystone_sections(novajoin_user)
                   + f"[oslo_policy]\npolicy_file = {policy}\n")
    token = keystone.issue_token(nova_of_another_domain)
    resp = api.post(nova_body(hostname="impostor"), headers={"X-Auth-Token": token})
    assert resp.status_int == 200 and resp.json["ipaotp"]


def test_the_1x_rule_in_a_policy_file_lets_nova_in(make_api, novajoin_user, keystone,
                                                     tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text('"join:create": "user_name:nova and project_name:service"\n')
    api = make_api(auth_strategy="keystone", sections=keystone_sections(novajoin_user)
                   + f"[oslo_policy]\npolicy_file = {policy}\n")
    resp = api.post(nova_body(hostname="legacy-policy"),
                    headers={"X-Auth-Token": keystone.issue_token(keystone.nova)})
    assert resp.status_int == 200, resp.body[:300]


def test_nova_service_user_is_let_in(keyed_api, keystone):
    resp = keyed_api.post(nova_body(hostname="trusted-caller"),
                          headers={"X-Auth-Token": keystone.issue_token(keystone.nova)})
    assert resp.status_int == 200 and resp.json["ipaotp"]
