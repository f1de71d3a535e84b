"""POST /v1/ end to end: nova's body in, IPA state and vendordata out."""

from __future__ import annotations

import json
import logging

import pytest

from novajoin.domain.ownership import Owner
from novajoin.listener import events
from tests.api.conftest import StaticCloud
from tests.listener import samples
from tests.support import DOMAIN, PROJECT_ID, REALM, host_exists, nova_body


def host(api, fqdn):
    return api.admin.call("host_show", fqdn, all=True)["result"]


# -- deciding whether to enroll -------------------------------------------

@pytest.mark.parametrize("metadata", [{}, {"ipa_enroll": "false"}, {"ipa_enroll": "no"},
                                      {"other": "x"}])
def test_no_enrollment_wanted_answers_empty_without_ipa(api, metadata):
    api.reset_stats()
    resp = api.post(nova_body(metadata=metadata))
    assert resp.status_int == 200
    assert resp.json == {}
    assert api.stats()["http_requests"] == 0


@pytest.mark.parametrize("value", ["True", "true", "TRUE"])
def test_enroll_from_metadata_in_any_case(api, value):
    resp = api.post(nova_body(hostname=f"case-{value}", metadata={"ipa_enroll": value}))
    assert resp.status_int == 200
    assert resp.json["hostname"] == f"case-{value.lower()}.{DOMAIN}"


def test_enroll_from_image_property(make_api):
    cloud = StaticCloud(images={"img-yes": {"ipa_enroll": "True", "os_distro": "fedora",
                                            "os_version": "40"},
                                "img-no": {"os_distro": "debian"}})
    api = make_api(cloud=cloud)
    yes = api.post(nova_body(hostname="from-image", metadata={}, image_id="img-yes"))
    assert yes.status_int == 200 and "ipaotp" in yes.json
    assert host(api, f"from-image.{DOMAIN}")["nsosversion"] == ["fedora 40"]
    api.reset_stats()
    no = api.post(nova_body(metadata={}, image_id="img-no"))
    gone = api.post(nova_body(metadata={}, image_id="deleted-image"))
    assert (no.json, gone.json) == ({}, {})
    assert api.stats()["http_requests"] == 0


def test_metadata_false_overrides_image_and_skips_glance(make_api):
    cloud = StaticCloud(images={"img": {"ipa_enroll": "True"}})
    api = make_api(cloud=cloud)
    assert api.post(nova_body(metadata={"ipa_enroll": "False"}, image_id="img")).json == {}
    assert cloud.image_lookups == 0


# -- the answer and the OTP ------------------------------------------------

def test_first_boot_creates_the_host_in_one_round_trip(api):
    api.reset_stats()
    body = nova_body(hostname="Web-01")
    resp = api.post(body)
    assert resp.status_int == 200
    data = resp.json
    assert set(data) == {"hostname", "krb_realm", "ipaotp"}
    assert data["hostname"] == f"web-01.{DOMAIN}"
    assert data["krb_realm"] == REALM
    assert len(data["ipaotp"]) == 32
    stats = api.stats()
    # env (realm, base DN) and the DNS zones once per process, then the one batch.
    assert stats["commands"].get("batch") == 1
    assert stats["http_requests"] == 3
    entry = host(api, data["hostname"])
    assert entry["has_password"] is True and entry["has_keytab"] is False
    assert entry["description"] == [Owner(body["instance-id"], PROJECT_ID).tag()]


def test_repeated_calls_get_the_same_otp_without_ipa(api):
    body = nova_body()
    first = api.post(body).json
    api.reset_stats()
    for _ in range(6):  # nova's config drive build
        assert api.post(body).json == first
    assert api.stats()["http_requests"] == 0


def test_another_process_gives_the_same_otp(make_api):
    a, b = make_api(), make_api()
    body = nova_body()
    first = a.post(body).json
    assert b.post(body).json == first


def test_otp_enrolls_and_then_is_no_longer_given(make_api):
    api = make_api(enrollment_recheck_interval=0)
    body = nova_body(hostname="enrollee")
    data = api.post(body).json
    assert api.enroll(data["hostname"], data["ipaotp"]).status_code == 200
    after = api.post(body)
    assert after.status_int == 200
    assert after.json == {"hostname": data["hostname"], "krb_realm": REALM}


def test_a_rebuilt_instance_gets_a_new_otp(make_api):
    api = make_api(enrollment_recheck_interval=0)
    body = nova_body(hostname="rebuilt")
    old = api.post(body).json
    fqdn = old["hostname"]
    api.enroll(fqdn, old["ipaotp"])
    # What the listener does on rebuild: drop the keytab, bump the generation, new OTP.
    api.core.lifecycle.rebuild(events.instance_event(
        "compute.instance.rebuild.start",
        samples.legacy_instance(body["instance-id"], "rebuilt")), generation=1)
    new = api.post(body).json
    assert new["ipaotp"] != old["ipaotp"]
    assert api.post(body).json == new
    assert api.enroll(fqdn, old["ipaotp"]).status_code != 200
    assert api.enroll(fqdn, new["ipaotp"]).status_code == 200


def test_otp_never_reaches_the_log(api, caplog):
    caplog.set_level(logging.DEBUG)
    data = api.post(nova_body(hostname="quiet")).json
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "quiet" in text
    assert data["ipaotp"] not in text


# -- names -----------------------------------------------------------------

def test_project_subdomain(make_api):
    api = make_api(project_subdomain="true")
    assert api.post(nova_body(hostname="web")).json["hostname"] == f"web.dev-team.{DOMAIN}"


@pytest.mark.parametrize("hostname,reason", [
    ("café", "ASCII"),
    ("x" * 64, "longer than 63"),
    ("web.elsewhere.test", "outside"),
    ("under_score", "letters, digits"),
])
def test_unusable_names_are_refused_without_ipa_writes(api, hostname, reason):
    api.reset_stats()
    resp = api.post(nova_body(hostname=hostname))
    assert resp.status_int == 400
    err = resp.json["errors"][0]
    assert err["code"] == "novajoin.name.invalid"
    assert reason in err["detail"]
    assert "batch" not in api.stats()["commands"]


LONG = "h" * (64 - len(f".{DOMAIN}"))  # the longest short name IPA takes here


@pytest.mark.parametrize("body,what", [
    (nova_body(hostname=LONG + "x"), "host name"),
    (nova_body(hostname=f"{LONG}x.{DOMAIN}"), "host name"),
    (nova_body(hostname=LONG[:-3], metadata={"ipa_enroll": "True",
                                             "compact_service_HTTP": '["net1"]'}),
     "sub-host name for network 'net1'"),
    (nova_body(hostname="web", metadata={
        "ipa_enroll": "True",
        "managed_service_x": f"HTTP/web.{'n' * 60}.{DOMAIN}"}), "host of managed_service_x"),
])
def test_names_longer_than_ipa_takes_are_refused_before_any_ipa_call(api, body, what):
    """IPA's host_add refuses a name longer than ipaMaxHostnameLength (default 64) with
    ValidationError 3009 (host.py host_add.pre_callback; doc/freeipa-behaviour.md
    section 2). novajoin allowed 253: a long sub-host failed only in production, as a
    half-created enrollment. Now: a clear 400 before IPA is called."""
    api.reset_stats()
    resp = api.post(body)
    assert resp.status_int == 400, resp.json
    err = resp.json["errors"][0]
    assert err["code"] == "novajoin.name.invalid"
    assert err["detail"].startswith(what), err["detail"]
    assert "at most 64" in err["detail"] and "max_hostname_length" in err["detail"]
    assert not {"batch", "host_add"} & set(api.stats()["commands"])


def test_the_longest_name_ipa_takes_is_enrolled(api):
    resp = api.post(nova_body(hostname=LONG))
    assert resp.status_int == 200, resp.json
    assert len(resp.json["hostname"]) == 64


def test_max_hostname_length_is_novajoins_limit(make_api):
    """Set above IPA's ipaMaxHostnameLength, novajoin's check lets the name through and
    IPA's own refusal (ValidationError 3009) comes back as a 400 too."""
    api = make_api(max_hostname_length=70)
    resp = api.post(nova_body(hostname=LONG + "x"))
    assert resp.status_int == 400
    err = resp.json["errors"][0]
    assert err["code"] == "novajoin.ipa.rejected"
    assert "can be at most 64 characters" in err["detail"]


def test_fqdn_hostname_inside_the_domain_is_kept(api):
    resp = api.post(nova_body(hostname=f"db.{DOMAIN}"))
    assert resp.json["hostname"] == f"db.{DOMAIN}"


# -- bad input -------------------------------------------------------------

BAD_BODIES = [
    (b"not json", "not JSON"),
    (b"[]", "JSON object"),
    (b"[" * 5000 + b"]" * 5000, "nested too deeply"),
    (json.dumps({**nova_body(), "instance-id": "nope"}).encode(), "'instance-id' is not a UUID"),
    (json.dumps({k: v for k, v in nova_body().items() if k != "hostname"}).encode(),
     "'hostname' is missing"),
    (json.dumps({**nova_body(), "metadata": {"ipa_enroll": {"x": 1}}}).encode(),
     "must be a string"),
    (json.dumps({**nova_body(), "metadata": "ipa_enroll"}).encode(), "must be an object"),
    (json.dumps({**nova_body(), "project-id": "a b"}).encode(), "project id"),
]


@pytest.mark.parametrize("raw,reason", BAD_BODIES, ids=[b[1] for b in BAD_BODIES])
def test_bad_bodies_are_400_with_a_reason_and_no_ipa_call(api, raw, reason):
    api.reset_stats()
    resp = api.post(raw)
    assert resp.status_int == 400
    assert resp.json["errors"][0]["code"] == "novajoin.request.invalid"
    assert reason in resp.json["errors"][0]["detail"]
    assert api.stats()["http_requests"] == 0


def test_oversized_body_is_refused(api):
    body = nova_body(metadata={"ipa_enroll": "True", "pad": "x" * 200000})
    assert api.post(body).status_int == 413


def test_unknown_extra_fields_are_tolerated(api):
    resp = api.post({**nova_body(hostname="extra"), "future-field": {"a": [1]}})
    assert resp.status_int == 200 and "ipaotp" in resp.json


# -- ownership ------------------------------------------------------------

def test_a_name_taken_in_ipa_is_refused_and_left_untouched(api):
    fqdn = f"taken.{DOMAIN}"
    api.admin.call("host_add", fqdn, force=True, description="the CFO's laptop")
    body = nova_body(hostname="taken", metadata={
        "ipa_enroll": "True", "compact_service_HTTP": '["ctl"]'})
    resp = api.post(body)
    assert resp.status_int == 409
    assert resp.json["errors"][0]["code"] == "novajoin.name.conflict"
    assert host(api, fqdn)["description"] == ["the CFO's laptop"]
    assert "has_password" not in host(api, fqdn) or host(api, fqdn)["has_password"] is False
    # What the refused request had created on the way is gone again.
    assert not host_exists(api, f"taken.ctl.{DOMAIN}")


def test_another_instance_cannot_take_a_name(api):
    first = nova_body(hostname="twin")
    assert api.post(first).status_int == 200
    second = nova_body(hostname="twin")
    resp = api.post(second)
    assert resp.status_int == 409
    assert host(api, f"twin.{DOMAIN}")["description"] == [
        Owner(first["instance-id"], PROJECT_ID).tag()]


# -- host class, location, services ----------------------------------------

def test_hostclass_allowed_for_the_project(make_api):
    api = make_api(sections="[Dev Team]\nallowed_classes = web,db\n")
    resp = api.post(nova_body(hostname="classy", metadata={
        "ipa_enroll": "True", "ipa_hostclass": "web", "ipa_host_location": "rack 7"}))
    assert resp.status_int == 200
    entry = host(api, f"classy.{DOMAIN}")
    assert entry["userclass"] == ["web"]
    assert entry["nshostlocation"] == ["rack 7"]


def test_hostclass_not_allowed_is_403_without_ipa_writes(make_api):
    api = make_api(sections="[Dev Team]\nallowed_classes = db\n")
    api.reset_stats()
    resp = api.post(nova_body(hostname="classy2", metadata={
        "ipa_enroll": "True", "ipa_hostclass": "web"}))
    assert resp.status_int == 403
    assert "host class 'web' is not allowed" in resp.json["errors"][0]["detail"]
    assert "batch" not in api.stats()["commands"]


def test_compact_and_managed_services_in_one_round_trip(api):
    api.admin.realm()
    api.reset_stats()
    body = nova_body(hostname="app", metadata={
        "ipa_enroll": "True",
        "compact_service_HTTP": '["ctlplane", "internalapi"]',
        "compact_services": '{"mysql": ["storage"]}',
        "managed_service_web": f"HTTP/app.{DOMAIN}",
    })
    resp = api.post(body)
    assert resp.status_int == 200, resp.json
    assert api.stats()["commands"]["batch"] == 1
    fqdn = f"app.{DOMAIN}"
    for principal, sub in [("HTTP/app.ctlplane", "app.ctlplane"),
                           ("HTTP/app.internalapi", "app.internalapi"),
                           ("mysql/app.storage", "app.storage")]:
        svc = api.admin.call("service_show", f"{principal}.{DOMAIN}")["result"]
        assert sorted(svc["managedby_host"]) == sorted([f"{sub}.{DOMAIN}", fqdn])
        assert host(api, f"{sub}.{DOMAIN}")["description"] == [
            Owner(body["instance-id"], PROJECT_ID).of_subhost().tag()]
    own = api.admin.call("service_show", f"HTTP/{fqdn}")["result"]
    assert own["managedby_host"] == [fqdn]


@pytest.mark.parametrize("principal", [
    f"HTTP/victim.{DOMAIN}", f"HTTP/app2.x.y.{DOMAIN}", "HTTP/app2.example.org",
    f"host/app2.{DOMAIN}"])
def test_foreign_service_principals_are_403_and_nothing_is_written(api, principal):
    api.admin.realm()
    api.reset_stats()
    resp = api.post(nova_body(hostname="app2", metadata={
        "ipa_enroll": "True", "managed_service_x": principal}))
    assert resp.status_int in (400, 403)
    assert "batch" not in api.stats()["commands"]
    assert not host_exists(api, f"app2.{DOMAIN}")


def test_an_existing_service_is_never_attached(api):
    fqdn = f"victim.ctl.{DOMAIN}"
    api.admin.call("host_add", fqdn, force=True)
    api.admin.call("service_add", f"HTTP/{fqdn}", force=True)
    resp = api.post(nova_body(hostname="victim", metadata={
        "ipa_enroll": "True", "compact_service_HTTP": '["ctl"]'}))
    assert resp.status_int == 409
    svc = api.admin.call("service_show", f"HTTP/{fqdn}")["result"]
    assert svc["managedby_host"] == [fqdn]
    assert not host_exists(api, f"victim.{DOMAIN}")


def test_allowed_services_may_be_shared_within_the_project(make_api):
    api = make_api(sections="[Dev Team]\nallowed_services = HTTP/vip.*\n")
    a = nova_body(hostname="node1", metadata={
        "ipa_enroll": "True", "managed_service_vip": f"HTTP/vip.{DOMAIN}"})
    b = nova_body(hostname="node2", metadata=a["metadata"])
    assert api.post(a).status_int == 200
    assert api.post(b).status_int == 200
    svc = api.admin.call("service_show", f"HTTP/vip.{DOMAIN}")["result"]
    assert sorted(svc["managedby_host"]) == sorted(
        [f"vip.{DOMAIN}", f"node1.{DOMAIN}", f"node2.{DOMAIN}"])


# -- IPA trouble ----------------------------------------------------------

def test_ipa_outage_is_503_with_a_reason(api):
    import requests

    api.admin.realm()
    requests.post(api.fakeipa.url + "/ipa/fake/faults", json={"outage": True}, timeout=5)
    try:
        resp = api.post(nova_body(hostname="down"))
    finally:
        requests.post(api.fakeipa.url + "/ipa/fake/faults", json={"outage": False}, timeout=5)
    assert resp.status_int == 503
    assert resp.json["errors"][0]["code"] == "novajoin.ipa.unavailable"
    assert "ipaotp" not in resp.text


# -- routes -----------------------------------------------------------------

def test_routes(api):
    assert api.post(nova_body(metadata={}), path="/v1").status_int == 200
    assert api.get("/").json["versions"][0]["id"] == "v1"
    assert api.get("/nowhere").status_int == 404
    resp = api.get("/v1/")
    assert resp.status_int == 405 and resp.headers["Allow"] == "POST"
    assert api.get("/healthcheck").status_int == 200


def test_audit_line_per_change_with_request_id_and_no_secret(api, caplog):
    caplog.set_level(logging.INFO, logger="novajoin.audit")
    body = nova_body(hostname="audit-me")
    resp = api.post(body)
    lines = [r.getMessage() for r in caplog.records if r.name == "novajoin.audit"]
    assert len(lines) == 1
    line = lines[0]
    request_id = resp.headers["x-openstack-request-id"]
    for part in ("operation=create", "outcome=ok", f"request={request_id}",
                 f"instance={body['instance-id']}", f"project={PROJECT_ID}",
                 f"fqdn=audit-me.{DOMAIN}"):
        assert part in line
    assert resp.json["ipaotp"] not in line
