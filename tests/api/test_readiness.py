"""/healthcheck says alive; /ready says whether IPA can be used now."""

import requests

from novajoin.api.readiness import Readiness
from novajoin.ipa import IpaClient
from novajoin.ipa.auth import PasswordLogin
from tests.support import ADMIN_PASSWORD


def test_ready_follows_ipa(api):
    assert api.get("/ready").status_int == 200
    assert api.get("/ready").json["checks"]["ipa"]["ok"] is True
    stats_before = api.stats()["commands"].get("ping", 0)
    api.get("/ready")
    assert api.stats()["commands"].get("ping", 0) == stats_before  # remembered, not re-asked


def test_not_ready_when_ipa_is_down_or_refuses_us(fakeipa):
    now = [0.0]
    refused = Readiness(IpaClient(fakeipa.json_url, PasswordLogin("admin", "wrong-password"),
                                  connect_retries=0), clock=lambda: now[0])
    ok, detail = refused.check()
    assert not ok and "credentials" in detail and "wrong-password" not in detail
    ready = Readiness(IpaClient(fakeipa.json_url, PasswordLogin("admin", ADMIN_PASSWORD),
                                connect_retries=0), clock=lambda: now[0])
    assert ready.check()[0]
    requests.post(fakeipa.url + "/ipa/fake/faults", json={"outage": True}, timeout=5)
    try:
        assert ready.check()[0]  # still the remembered answer
        now[0] += 10
        ok, detail = ready.check()
        assert not ok and "cannot be reached" in detail
    finally:
        requests.post(fakeipa.url + "/ipa/fake/faults", json={"outage": False}, timeout=5)


def test_liveness_does_not_ask_ipa(api):
    before = api.stats()["http_requests"]
    assert api.get("/healthcheck").status_int == 200
    assert api.stats()["http_requests"] == before
