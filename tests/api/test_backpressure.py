"""A boot storm must not flatten IPA: a per-process cap on requests in flight to IPA."""

from __future__ import annotations

import threading

import requests

from novajoin.ipa import IpaClient
from novajoin.ipa.auth import PasswordLogin
from tests.support import ADMIN_PASSWORD, DOMAIN, nova_body


def faults(server, **values):
    requests.post(server.url + "/ipa/fake/faults", json=values, timeout=5).raise_for_status()


def run_concurrently(n, target):
    results = [None] * n
    barrier = threading.Barrier(n)

    def worker(i):
        barrier.wait()
        results[i] = target(i)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_client_never_exceeds_its_cap(fakeipa):
    client = IpaClient(fakeipa.json_url, PasswordLogin("admin", ADMIN_PASSWORD),
                       max_concurrency=3, queue_timeout=30)
    client.ping()
    faults(fakeipa, latency_ms=100)
    requests.post(fakeipa.url + "/ipa/fake/stats/reset", timeout=5)
    run_concurrently(12, lambda i: client.call("host_add", f"cap{i}.{DOMAIN}", force=True))
    stats = requests.get(fakeipa.url + "/ipa/fake/stats", timeout=5).json()
    assert stats["commands"]["host_add"] == 12
    assert stats["max_in_flight"] <= 3


def test_saturated_api_answers_503_quickly(make_api, fakeipa):
    api = make_api(ipa_max_concurrency=2, ipa_queue_timeout=0.2)
    api.core.ipa.realm()  # warm: login and env done
    faults(fakeipa, latency_ms=600)
    api.reset_stats()
    responses = run_concurrently(8, lambda i: api.post(nova_body(hostname=f"storm-{i}")))
    codes = sorted(r.status_int for r in responses)
    busy = [r for r in responses if r.status_int == 503]
    assert codes.count(200) >= 1 and busy
    assert all(r.json["errors"][0]["code"] == "novajoin.ipa.busy" for r in busy)
    assert set(codes) <= {200, 503}
    assert api.stats()["max_in_flight"] <= 2
