"""novajoin-server with keystonemiddleware and Glance against the real Keystone and Glance."""

from __future__ import annotations

import uuid

import pytest

from tests.api.conftest import keystone_sections
from tests.support import DOMAIN, nova_body


@pytest.fixture
def keyed_api(make_api, novajoin_user):
    return make_api(cloud="real", auth_strategy="keystone",
                    sections=keystone_sections(novajoin_user))


def test_no_token_is_401(keyed_api):
    resp = keyed_api.post(nova_body())
    assert resp.status_int == 401


def test_invalid_token_is_401(keyed_api):
    resp = keyed_api.post(nova_body(), headers={"X-Auth-Token": "gAAAAAforged"})
    assert resp.status_int == 401


def test_a_project_members_token_is_403(keyed_api, keystone):
    token = keystone.issue_token(keystone.member)
    keyed_api.reset_stats()
    resp = keyed_api.post(nova_body(hostname="sneaky"), headers={"X-Auth-Token": token})
    assert resp.status_int == 403
    assert resp.json["errors"][0]["code"] == "novajoin.policy.forbidden"
    assert keyed_api.stats()["http_requests"] == 0


def test_the_nova_service_users_token_is_200(keyed_api, keystone):
    token = keystone.issue_token(keystone.nova)
    resp = keyed_api.post(nova_body(hostname="trusted"), headers={"X-Auth-Token": token})
    assert resp.status_int == 200
    assert resp.json["hostname"] == f"trusted.{DOMAIN}" and resp.json["ipaotp"]


def test_image_property_from_the_real_glance(keyed_api, keystone, glance_image):
    token = keystone.issue_token(keystone.nova)
    demo = keystone.project_ids["demo"]
    enrolling = glance_image({"ipa_enroll": "True", "os_distro": "rhel", "os_version": "9"})
    plain = glance_image({"os_distro": "debian"})
    body = nova_body(hostname="imaged", metadata={}, image_id=enrolling, project_id=demo)
    resp = keyed_api.post(body, headers={"X-Auth-Token": token})
    assert resp.status_int == 200 and resp.json["hostname"] == f"imaged.{DOMAIN}"
    entry = keyed_api.admin.call("host_show", f"imaged.{DOMAIN}")["result"]
    assert entry["nsosversion"] == ["rhel 9"]
    for image in (plain, str(uuid.uuid4())):  # no property; an image that does not exist
        resp = keyed_api.post(nova_body(metadata={}, image_id=image, project_id=demo),
                              headers={"X-Auth-Token": token})
        assert (resp.status_int, resp.json) == (200, {})


def test_project_name_from_the_real_keystone(make_api, novajoin_user, keystone):
    api = make_api(cloud="real", auth_strategy="keystone", project_subdomain="true",
                   sections=keystone_sections(novajoin_user))
    token = keystone.issue_token(keystone.nova)
    body = nova_body(hostname="sub", project_id=keystone.project_ids["demo"])
    resp = api.post(body, headers={"X-Auth-Token": token})
    assert resp.status_int == 200
    assert resp.json["hostname"] == f"sub.demo.{DOMAIN}"
