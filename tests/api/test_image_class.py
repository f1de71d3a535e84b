"""Host class and location from a real Glance image (issue 16), through the API.

The class an image carries is the image owner's choice; the instance's project must
still allow it (``allowed_classes`` of its ``[<project name>]`` section), so a public or
shared image cannot hand another project a class it is not allowed. Both keys come from
the one image lookup novajoin already makes.
"""

from __future__ import annotations

import pytest

from tests.api.conftest import keystone_sections
from tests.support import DOMAIN, nova_body


@pytest.fixture
def api(make_api, novajoin_user):
    return make_api(cloud="real", auth_strategy="keystone",
                    sections=keystone_sections(novajoin_user)
                    + "[demo]\nallowed_classes = web,db\n[service]\nallowed_classes = db\n")


def post(api, keystone, body):
    return api.post(body, headers={"X-Auth-Token": keystone.issue_token(keystone.nova)})


def host(api, fqdn):
    return api.admin.call("host_find", fqdn)["result"]


def test_class_and_location_from_the_image(api, keystone, glance_image):
    image = glance_image({"ipa_enroll": "True", "ipa_hostclass": "web",
                          "ipa_host_location": "rack 4"})
    body = nova_body(hostname="fromimage", metadata={}, image_id=image,
                     project_id=keystone.project_ids["demo"])
    calls = []
    real = api.cloud.image_properties
    api.cloud.image_properties = lambda image_id: calls.append(image_id) or real(image_id)
    resp = post(api, keystone, body)
    assert resp.status_int == 200, resp.json
    entry = api.admin.call("host_show", f"fromimage.{DOMAIN}")["result"]
    assert entry["userclass"] == ["web"] and entry["nshostlocation"] == ["rack 4"]
    assert calls == [image]  # the one lookup that also decided ipa_enroll


def test_the_instance_overrides_the_image(api, keystone, glance_image):
    image = glance_image({"ipa_hostclass": "web", "ipa_host_location": "rack 4"})
    body = nova_body(hostname="override", image_id=image, project_id=keystone.project_ids["demo"],
                     metadata={"ipa_enroll": "True", "ipa_hostclass": "db",
                               "ipa_host_location": "rack 1"})
    assert post(api, keystone, body).status_int == 200
    entry = api.admin.call("host_show", f"override.{DOMAIN}")["result"]
    assert entry["userclass"] == ["db"] and entry["nshostlocation"] == ["rack 1"]


def test_an_image_class_the_project_does_not_allow_is_403_and_writes_nothing(
        api, keystone, glance_image):
    image = glance_image({"ipa_enroll": "True", "ipa_hostclass": "web"})
    body = nova_body(hostname="notallowed", metadata={}, image_id=image,
                     project_id=keystone.project_ids["service"])
    api.reset_stats()
    resp = post(api, keystone, body)
    assert resp.status_int == 403
    assert resp.json["errors"][0]["code"] == "novajoin.metadata.forbidden"
    assert host(api, f"notallowed.{DOMAIN}") == []


def test_a_public_image_of_another_project_hands_over_no_class(api, keystone, glance_image):
    """demo's public image says ``web``; the service project may only have ``db``."""
    image = glance_image({"ipa_enroll": "True", "ipa_hostclass": "web"}, project="demo",
                         visibility="public")
    ok = post(api, keystone, nova_body(hostname="owner", metadata={}, image_id=image,
                                       project_id=keystone.project_ids["demo"]))
    assert ok.status_int == 200
    other = post(api, keystone, nova_body(hostname="borrower", metadata={}, image_id=image,
                                          project_id=keystone.project_ids["service"]))
    assert other.status_int == 403
    assert host(api, f"borrower.{DOMAIN}") == []


def test_boot_from_volume_has_no_image_class(api, keystone):
    body = nova_body(hostname="volume", image_id="", project_id=keystone.project_ids["demo"])
    assert post(api, keystone, body).status_int == 200
    entry = api.admin.call("host_show", f"volume.{DOMAIN}")["result"]
    assert "userclass" not in entry
