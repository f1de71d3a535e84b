"""Security round 2, items 9-11 (issue 12): far-future rebuilds, /ready's error text,
reserved service names. Each attack runs through the surface an attacker has."""

from __future__ import annotations

import datetime
import json
import logging

import pytest

from novajoin import exception
from novajoin.listener import nova as nova_endpoint
from tests.listener import samples
from tests.support import DOMAIN, nova_body


def test_a_far_future_rebuild_cannot_freeze_the_generation(api):
    """Item 9: a rebuild stamped 9999-12-31 is refused; a later genuine rebuild still resets.

    Without the check the host's generation became 253402214400 and every genuine rebuild
    after it was ignored as already done (its generation was smaller).
    """
    body = nova_body(hostname="frozen")
    first = api.post(body).json
    assert api.enroll(first["hostname"], first["ipaotp"]).status_code == 200
    endpoint_calls = []

    class Policy:  # the listener's policy, reduced to "run and report"
        def run(self, event_type, metadata, handler, ctxt):
            try:
                handler()
                endpoint_calls.append("handled")
            except exception.NovajoinError as exc:
                endpoint_calls.append(type(exc).__name__)

    endpoint = nova_endpoint.NovaEndpoint(api.core.lifecycle, Policy())
    payload = samples.legacy_instance(body["instance-id"], "frozen")
    endpoint.info({}, "compute.c0", "compute.instance.rebuild.start", payload,
                  {"timestamp": "9999-12-31 00:00:00.000000", "message_id": "m1"})
    assert endpoint_calls == ["MalformedEvent"]
    entry = api.admin.call("host_show", f"frozen.{DOMAIN}")["result"]
    assert entry["has_keytab"] is True  # untouched
    now = datetime.datetime.now(datetime.timezone.utc).isoformat()
    endpoint.info({}, "compute.c0", "compute.instance.rebuild.start", payload,
                  {"timestamp": now, "message_id": "m2"})
    assert endpoint_calls[-1] == "handled"
    entry = api.admin.call("host_show", f"frozen.{DOMAIN}")["result"]
    assert entry["has_keytab"] is False and entry["has_password"] is True


@pytest.mark.parametrize("ahead,expected_clamped", [(30, False), (3600, True)])
def test_a_clock_running_ahead_is_taken_or_clamped(ahead, expected_clamped):
    now = datetime.datetime(2026, 12, 3, tzinfo=datetime.timezone.utc)
    stamp = now + datetime.timedelta(seconds=ahead)
    got = nova_endpoint._generation({"timestamp": stamp.isoformat()}, clock=lambda: now)
    assert got == int((now if expected_clamped else stamp).timestamp())


def test_ready_tells_an_unauthenticated_caller_nothing_about_ipa(make_api, caplog):
    """Item 10: /ready is answered before authentication; its text names no user or URL."""
    api = make_api(ipa_password="wrong-password", ipa_user="novajoin-svc")
    with caplog.at_level(logging.WARNING, logger="novajoin.api.readiness"):
        resp = api.get("/ready")
    assert resp.status_int == 503
    text = resp.text
    assert "novajoin-svc" not in text and api.fakeipa.json_url not in text
    assert "127.0.0.1" not in text and "wrong-password" not in text
    assert json.loads(text)["checks"]["ipa"]["ok"] is False
    assert "novajoin-svc" in caplog.text  # the operator still gets the detail


@pytest.mark.parametrize("service", ["krbtgt", "KRBTGT", "kadmin", "K", "kiprop", "changepw",
                                     "WELLKNOWN", "Host"])
def test_reserved_service_names_are_refused(api, service):
    """Item 11: compact_service_<name> cannot make a KDC or IPA principal; nothing written."""
    api.reset_stats()
    resp = api.post(nova_body(hostname="reserved", metadata={
        "ipa_enroll": "True", f"compact_service_{service}": json.dumps(["ctl"])}))
    assert resp.status_int == 400, resp.json
    assert resp.json["errors"][0]["code"] == "novajoin.name.invalid"
    assert set(api.stats()["commands"]) <= {"env"}  # at most the realm was read
