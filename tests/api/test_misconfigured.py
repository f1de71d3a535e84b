"""A 401/403 to novajoin's own [service_credentials] is named a misconfiguration (issue 14).

Against the real Keystone and Glance, with the service user recent secure-RBAC deployments
give nova and its helpers: only the ``service`` role. Glance hides images from it (404, as
for an image that does not exist) and Keystone refuses it identity:get_project (403).
"""

from __future__ import annotations

import logging
import uuid

import pytest

from novajoin import openstack
from novajoin.exception import CloudMisconfigured
from tests.api.conftest import keystone_sections
from tests.support import nova_body

FORBIDDEN = "novajoin.openstack.forbidden"


def _user(keystone, *roles):
    return keystone.new_user("nj-" + "-".join(roles or ("none",)) + "-" + uuid.uuid4().hex[:6],
                             "service", list(roles))


@pytest.fixture(scope="module")
def service_only(keystone):
    return _user(keystone, "service")


def _errors(resp):
    return resp.json["errors"][0]


def test_an_enrolling_image_hidden_from_a_service_only_user_is_a_500_naming_the_role(
        make_api, keystone, glance_image, service_only, caplog):
    api = make_api(cloud="real", sections=keystone_sections(service_only))
    image = glance_image({"ipa_enroll": "True"}, visibility="public")
    body = nova_body(hostname="hidden", metadata={}, image_id=image,
                     project_id=keystone.project_ids["demo"])
    with caplog.at_level(logging.DEBUG, logger="novajoin"):
        first = api.post(body)
        second = api.post(body)
    for resp in (first, second):  # not silence ({}), not "unavailable" (503)
        assert resp.status_int == 500
        error = _errors(resp)
        assert error["code"] == FORBIDDEN
        assert "Glance refused novajoin's [service_credentials]" in error["detail"]
        assert "admin role" in error["detail"] and "get_images" in error["detail"]
    # One error line for both requests; the metric counts each.
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING
             and "refused novajoin's [service_credentials]" in r.getMessage()]
    assert len(lines) == 1 and lines[0].name == "novajoin.openstack"
    assert api.core.metrics.openstack_refused.labels("glance", "403")._value.get() == 2
    assert api.admin.call("host_find", "hidden")["count"] == 0


def test_a_hostclass_needing_the_project_name_is_a_500_naming_get_project(
        make_api, keystone, service_only):
    api = make_api(cloud="real", sections=keystone_sections(service_only))
    body = nova_body(hostname="classy", metadata={"ipa_enroll": "True",
                                                  "ipa_hostclass": "web"},
                     project_id=keystone.project_ids["demo"])
    resp = api.post(body)
    assert resp.status_int == 500
    error = _errors(resp)
    assert error["code"] == FORBIDDEN
    assert error["detail"].startswith("Keystone refused novajoin's [service_credentials]")
    assert "identity:get_project" in error["detail"]


def test_a_wrong_password_is_a_misconfiguration_of_keystone(make_api, keystone, service_only):
    sections = keystone_sections(service_only).replace(service_only.password, "wrong")
    api = make_api(cloud="real", sections=sections)
    resp = api.post(nova_body(hostname="pw", metadata={}, image_id=str(uuid.uuid4()),
                              project_id=keystone.project_ids["demo"]))
    assert resp.status_int == 500
    assert _errors(resp)["code"] == FORBIDDEN
    assert "does not accept the user, password" in _errors(resp)["detail"]


def test_an_admin_user_still_reads_an_absent_image_as_no_image(make_api, keystone, glance,
                                                               novajoin_user):
    # The probe of the image listing succeeds: a 404 stays "no image".
    api = make_api(cloud="real", sections=keystone_sections(novajoin_user))
    resp = api.post(nova_body(metadata={}, image_id=str(uuid.uuid4()),
                              project_id=keystone.project_ids["demo"]))
    assert (resp.status_int, resp.json) == (200, {})


def test_an_unreachable_keystone_is_still_unavailable(make_api, service_only):
    sections = keystone_sections(service_only).replace(
        service_only.auth_url, "http://127.0.0.1:9/v3")
    api = make_api(cloud="real", sections=sections)
    resp = api.post(nova_body(metadata={"ipa_enroll": "True", "ipa_hostclass": "web"}))
    assert resp.status_int == 503
    assert _errors(resp)["code"] == "novajoin.openstack.unavailable"


def test_a_reader_that_is_not_admin_is_told_once_what_it_cannot_see(make_api, keystone,
                                                                    glance_image, caplog):
    reader = _user(keystone, "reader")
    api = make_api(cloud="real", sections=keystone_sections(reader))
    private = glance_image({"ipa_enroll": "True"}, project="demo")  # another project's
    with caplog.at_level(logging.WARNING, logger="novajoin.openstack"):
        for _ in range(2):
            resp = api.post(nova_body(metadata={}, image_id=private,
                                      project_id=keystone.project_ids["demo"]))
            # Absent and hidden cannot be told apart: the documented limit.
            assert (resp.status_int, resp.json) == (200, {})
    said = [r.getMessage() for r in caplog.records if "are not admin" in r.getMessage()]
    assert len(said) == 1 and "404 for absent and for hidden alike" in said[0]
    hidden, roles = api.cloud.visibility()
    assert hidden and roles == ["reader"]


def test_the_listener_requeues_it_and_commands_exit_2():
    assert CloudMisconfigured.retryable and CloudMisconfigured.exit_code == 2
    assert CloudMisconfigured.logged_at_source


def test_a_refusal_is_logged_again_after_the_interval(monkeypatch, caplog):
    class Conf(dict):
        def __getitem__(self, key):
            return type("G", (), {"cache_ttl": 0})()

    cloud = openstack.Cloud(Conf())
    exc = type("E", (Exception,), {"status_code": 403})("policy says no")
    clock = iter([1000.0, 1001.0, 1000.0 + openstack.MISCONFIGURED_LOG_INTERVAL + 1])
    monkeypatch.setattr(openstack.time, "monotonic", lambda: next(clock))
    with caplog.at_level(logging.ERROR, logger="novajoin.openstack"):
        errors = [cloud._translate("Neutron", exc) for _ in range(3)]
    assert all(isinstance(e, CloudMisconfigured) for e in errors)
    assert "get_port" in errors[0].message
    assert len([r for r in caplog.records if r.name == "novajoin.openstack"]) == 2


def test_novajoin_server_says_at_start_up_what_a_reader_cannot_see(fakeipa, tmp_path,
                                                                   keystone, glance):
    import time

    from tests.api.conftest import running_server
    from tests.support import WAIT

    reader = _user(keystone, "reader")
    with running_server(fakeipa, tmp_path, sections=keystone_sections(reader)) as (_, _, log):
        deadline = time.monotonic() + WAIT
        while "are not admin" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        text = log.read_text()
    assert text.count("are not admin") == 1, text[-2000:]
    assert "Another project's private image reads as no image" in text


def test_a_right_novajoins_ipa_role_lacks_is_a_500_naming_it_not_an_outage(api):
    """Least privileged, as in production: an operator took a permission away from
    novajoin's privilege. IPA answers ACIError; that is novajoin's misconfiguration
    (HTTP 500 ``novajoin.ipa.forbidden``, the right and entry named), not IPA being
    unavailable, and nothing is left half-written."""
    from novajoin import ipa_setup

    api.admin.call("privilege_remove_permission", ipa_setup.PRIVILEGE,
                   permission=["Novajoin Add Owned Hosts"])
    resp = api.post(nova_body(hostname="refused"))
    assert resp.status_int == 500, resp.json
    error = _errors(resp)
    assert error["code"] == "novajoin.ipa.forbidden"
    assert "Insufficient 'add' privilege" in error["detail"] and "refused" in error["detail"]
    assert api.admin.call("host_find", "refused")["count"] == 0
