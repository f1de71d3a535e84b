"""Fixtures: the nova stand-in in the real Keystone's catalog, and an API to enroll through."""

from __future__ import annotations

import uuid

import pytest

from tests.api.conftest import keystone_sections, make_api  # noqa: F401 - a fixture, shared
from tests.reconcile.nova import NovaStandIn
from tests.support.least_privilege import fakeipa, nova_identity  # noqa: F401 - fixtures


@pytest.fixture(scope="session")
def nova_service(keystone):
    """One stand-in for the session, listed as ``compute`` and ``network`` in Keystone's
    catalog."""
    standin = NovaStandIn(keystone).start()
    service = keystone.api("POST", "/services", {"service": {
        "name": "nova", "type": "compute", "description": "novajoin tests: stand-in"}})["service"]
    for interface in ("public", "internal", "admin"):
        keystone.api("POST", "/endpoints", {"endpoint": {
            "service_id": service["id"], "interface": interface,
            "url": f"{standin.url}/v2.1", "region_id": "RegionOne"}})
    network = keystone.api("POST", "/services", {"service": {
        "name": "neutron", "type": "network", "description": "novajoin tests: stand-in"}})[
        "service"]
    for interface in ("public", "internal", "admin"):
        keystone.api("POST", "/endpoints", {"endpoint": {
            "service_id": network["id"], "interface": interface,
            "url": f"{standin.url}/network", "region_id": "RegionOne"}})
    yield standin
    standin.stop()


@pytest.fixture
def nova(nova_service) -> NovaStandIn:
    """The stand-in, emptied and well-behaved again for each test."""
    nova_service.reset()
    return nova_service


@pytest.fixture(scope="session")
def reconcile_user(keystone):
    """novajoin's service user with the admin role nova asks for to list every project."""
    return keystone.new_user("novajoin-rc-" + uuid.uuid4().hex[:6], "service", ["admin"])


@pytest.fixture
def api(make_api, reconcile_user):  # noqa: F811 - make_api is the shared fixture
    """novajoin-server's app (to enroll) whose Core also talks to the real Keystone."""
    return make_api(cloud="real", enrollment_recheck_interval=0,
                    sections="[Dev Team]\nallowed_services = HTTP/vip.*\n"
                             + keystone_sections(reconcile_user))
