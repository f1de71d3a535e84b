"""doc/api/openapi.yaml is valid OpenAPI, describes every route, and the live app keeps to it."""

from __future__ import annotations

import json
import re

import pytest
import requests
import webob
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from openapi_spec_validator import validate

from novajoin import exception
from novajoin.api import deploy, handler, request
from tests.api.conftest import StaticCloud, keystone_sections
from tests.fuzz import contract
from tests.fuzz.strategies import JUNK, NOT_TEXT
from tests.support import DOMAIN, nova_body

REQUEST_ID = re.compile(r"^req-[0-9a-f-]{36}$")


def test_the_description_is_valid_openapi():
    validate(contract.document())


def test_every_route_is_described_and_nothing_else():
    paths = contract.resolved()["paths"]
    assert set(paths) == set(deploy.KNOWN_PATHS)
    for path, methods in handler.ROUTES.items():
        assert {m.lower() for m in methods} == set(paths[path]), path
    # Every status an exception class can answer with, and keystonemiddleware's 401.
    statuses = {200, 401} | {c.http_status for c in _subclasses(exception.NovajoinError)}
    for path in ("/v1/", "/v1"):
        assert contract.documented_statuses("POST", path) == statuses


def _subclasses(klass) -> set:
    return {klass} | {s for c in klass.__subclasses__() for s in _subclasses(c)}


def test_nova_examples_match_the_request_schema():
    schema = contract.request_schema()
    check = OAS30Validator(schema, format_checker=oas30_format_checker)
    check.validate(nova_body())
    check.validate(contract.resolved()["components"]["requestBodies"]["NovaVendordata"][
        "content"]["application/json"]["example"])
    for path in ("/v1/", "/v1"):
        assert contract.request_schema(path) == schema


# What the description promises the app accepts, it accepts (the app may be more lenient).
_FIELD_VALUES = {
    "project-id": st.one_of(st.sampled_from(["4969c491a3c74ee4af974e6d800c62de", "a_b-C"]),
                            JUNK, NOT_TEXT),
    "instance-id": st.one_of(st.uuids().map(str), st.uuids().map(lambda u: str(u).upper()),
                             JUNK, NOT_TEXT),
    "image-id": st.one_of(st.sampled_from(["", "img"]), JUNK, NOT_TEXT),
    "user-data": st.one_of(JUNK, NOT_TEXT),
    "hostname": st.one_of(st.sampled_from(["web", "", "x" * 255, "x" * 256]), JUNK, NOT_TEXT),
    "metadata": st.one_of(st.dictionaries(JUNK, st.one_of(JUNK, NOT_TEXT), max_size=3),
                          NOT_TEXT),
    "boot-roles": st.one_of(JUNK, NOT_TEXT),
}


@st.composite
def documented_ish_bodies(draw):
    body = {k: draw(v) for k, v in _FIELD_VALUES.items() if draw(st.integers(0, 5))}
    body.update(draw(st.dictionaries(st.sampled_from(["extra", "x"]), NOT_TEXT, max_size=1)))
    return body


@settings(max_examples=500, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(body=documented_ish_bodies())
def test_bodies_the_description_allows_are_accepted(body):
    schema_ok = OAS30Validator(contract.request_schema(),
                               format_checker=oas30_format_checker).is_valid(body)
    try:
        request.parse(json.dumps(body).encode())
        parsed = True
    except exception.InvalidRequest:
        parsed = False
    if schema_ok:
        assert parsed, body


# -- live answers ---------------------------------------------------------------------------

@pytest.fixture
def api(make_api):
    cloud = StaticCloud(images={"img": {"ipa_enroll": "True"}})
    return make_api(cloud=cloud, enrollment_recheck_interval=0,
                    sections="[Dev Team]\nallowed_classes = web\n")


def conforms(method: str, path: str, resp: webob.Response, status: int, code: str | None = None):
    assert resp.status_int == status, resp.body[:500]
    value = contract.check_webob(method, path, resp)
    if path.startswith("/v1"):
        assert REQUEST_ID.match(resp.headers["x-openstack-request-id"])
    if code is not None:
        assert value["errors"][0]["code"] == code
        assert value["errors"][0]["request_id"] == resp.headers["x-openstack-request-id"]
    return value


def test_live_answers_conform(api, make_api, fakeipa):
    conforms("GET", "/", api.get("/"), 200)
    conforms("GET", "/healthcheck", api.get("/healthcheck"), 200)
    resp = webob.Request.blank("/healthcheck", headers={"Accept": "application/json"}
                               ).get_response(api.app)
    conforms("GET", "/healthcheck", resp, 200)
    assert conforms("GET", "/ready", api.get("/ready"), 200)["ready"] is True
    conforms("GET", "/metrics", api.get("/metrics"), 200)

    for path in ("/v1/", "/v1"):
        assert conforms("POST", path, api.post(nova_body(metadata={}), path=path), 200) == {}
    body = nova_body(hostname="conform")
    first = conforms("POST", "/v1", api.post(body, path="/v1"), 200)
    assert first["ipaotp"] and first["hostname"] == f"conform.{DOMAIN}"
    assert api.enroll(first["hostname"], first["ipaotp"]).status_code == 200
    assert "ipaotp" not in conforms("POST", "/v1/", api.post(body), 200)

    conforms("POST", "/v1/", api.post(b"{"), 400, "novajoin.request.invalid")
    conforms("POST", "/v1/", api.post(nova_body(hostname="a_b")), 400, "novajoin.name.invalid")
    conforms("POST", "/v1/", api.post(nova_body(metadata={
        "ipa_enroll": "True", "ipa_hostclass": "db"})), 403, "novajoin.metadata.forbidden")
    conforms("POST", "/v1/", api.post(nova_body(hostname="conform")), 409,
             "novajoin.name.conflict")

    requests.post(fakeipa.url + "/ipa/fake/faults", json={"outage": True}, timeout=5)
    try:
        conforms("POST", "/v1/", api.post(nova_body(hostname="down")), 503,
                 "novajoin.ipa.unavailable")
        fresh = make_api()  # its readiness is not remembered from before the outage
        assert conforms("GET", "/ready", fresh.get("/ready"), 503)["ready"] is False
    finally:
        requests.post(fakeipa.url + "/ipa/fake/faults", json={"outage": False}, timeout=5)


def test_policy_refusal_conforms(make_api, tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text('"join:create": "!"\n')
    api = make_api(sections=f"[oslo_policy]\npolicy_file = {policy}\n")
    conforms("POST", "/v1/", api.post(nova_body()), 403, "novajoin.policy.forbidden")


def test_too_large_answer_conforms(api):
    big = nova_body(metadata={"ipa_enroll": "True", "pad": "x" * 200_000})
    conforms("POST", "/v1/", api.post(big), 413)


def test_unauthorized_answer_conforms(make_api, novajoin_user):
    api = make_api(auth_strategy="keystone", sections=keystone_sections(novajoin_user))
    conforms("POST", "/v1/", api.post(nova_body()), 401)
