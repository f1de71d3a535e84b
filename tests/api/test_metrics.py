"""Prometheus metrics of novajoin-server, scraped from /metrics."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.support import nova_body


def scrape(api) -> dict[tuple, float]:
    resp = api.get("/metrics")
    assert resp.status_int == 200
    samples = {}
    for family in text_string_to_metric_families(resp.text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_ipa_calls_otps_and_refusals_are_counted(make_api):
    api = make_api(sections="[Dev Team]\nallowed_classes = db\n")
    body = nova_body(hostname="metered")
    assert api.post(body).status_int == 200
    assert api.post(body).status_int == 200  # remembered: no IPA call, no new OTP
    refused = api.post(nova_body(hostname="classless", metadata={
        "ipa_enroll": "True", "ipa_hostclass": "web"}))
    assert refused.status_int == 403
    assert api.post(b"not json").status_int == 400
    m = scrape(api)
    assert value(m, "novajoin_api_requests_total", route="/v1/", method="POST",
                 status="200") == 2
    assert value(m, "novajoin_api_requests_total", route="/v1/", method="POST",
                 status="403") == 1
    assert value(m, "novajoin_otps_issued_total") == 1
    assert value(m, "novajoin_ipa_calls_total", command="host_add", outcome="ok") == 1
    assert value(m, "novajoin_ipa_calls_total", command="env", outcome="ok") == 1
    assert value(m, "novajoin_ipa_requests_total", outcome="ok") >= 2
    assert value(m, "novajoin_ipa_request_seconds_count") >= 2
    assert value(m, "novajoin_enrollments_refused_total",
                 code="novajoin.metadata.forbidden") == 1
    assert value(m, "novajoin_enrollments_refused_total",
                 code="novajoin.request.invalid") == 1
    assert value(m, "novajoin_cache_lookups_total", cache="enrollment", outcome="hit") == 1
    assert value(m, "novajoin_api_request_seconds_count", route="/v1/") == 4


def test_unknown_paths_share_one_label(api):
    api.get("/a/b/c")
    api.get("/x/y")
    m = scrape(api)
    assert value(m, "novajoin_api_requests_total", route="other", method="GET",
                 status="404") == 2
    assert not any("/a/b/c" in str(k) for k in m)


def test_ipa_errors_are_counted_by_name(api):
    import requests

    api.core.ipa.realm()
    requests.post(api.fakeipa.url + "/ipa/fake/faults", json={"outage": True}, timeout=5)
    try:
        assert api.post(nova_body(hostname="dark")).status_int == 503
    finally:
        requests.post(api.fakeipa.url + "/ipa/fake/faults", json={"outage": False}, timeout=5)
    m = scrape(api)
    assert value(m, "novajoin_ipa_requests_total", outcome="unavailable") == 1
    assert value(m, "novajoin_enrollments_refused_total", code="novajoin.ipa.unavailable") == 1
