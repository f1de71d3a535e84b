"""Security and concurrency round 2, item 6 (issue 12): identical requests at once.

20 simultaneous first-boot requests for one instance with 8 services over 2
processes without a shared cache: in about 1 trial in 5 one process saw services the
other had created on a sub-host it had just created itself, judged them "not created
for this instance", answered 409 and deleted the host, while the other answers
carried an OTP for the deleted host. Entries carrying this instance's tag are now
its own whichever process made them, and a burst inside one process sends one batch.
"""

from __future__ import annotations

import concurrent.futures
import json

import requests

from tests.api.conftest import running_server
from tests.support import nova_body

SERVICES = {"compact_services": json.dumps({
    "HTTP": ["ctlplane", "internalapi", "storage", "tenant"],
    "nfs": ["ctlplane", "internalapi", "storage", "tenant"]})}


def burst(urls, body, n=20):
    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda i: requests.post(urls[i % len(urls)] + "/v1/", json=body,
                                                     timeout=60), range(n)))


def test_a_burst_over_two_processes_undoes_nothing(fakeipa, tmp_path):
    with running_server(fakeipa, tmp_path, enrollment_recheck_interval=0) as (a, _, _):
        with running_server(fakeipa, tmp_path, enrollment_recheck_interval=0) as (b, _, _):
            requests.post(fakeipa.url + "/ipa/fake/stats/reset", timeout=5)
            for trial in range(10):
                body = nova_body(hostname=f"race-{trial}",
                                 metadata={"ipa_enroll": "True", **SERVICES})
                answers = burst([a, b], body)
                assert [r.status_code for r in answers] == [200] * 20, [
                    r.text for r in answers if r.status_code != 200][:1]
                otps = {r.json()["ipaotp"] for r in answers}
                assert len(otps) == 1
            stats = requests.get(fakeipa.url + "/ipa/fake/stats", timeout=5).json()
    assert "host_del" not in stats["commands"] and "service_del" not in stats["commands"]


def test_a_burst_in_one_process_sends_one_batch(fakeipa, tmp_path):
    with running_server(fakeipa, tmp_path) as (url, _, _):
        requests.post(url + "/v1/", json=nova_body(hostname="warm"), timeout=10)  # env, login
        requests.post(fakeipa.url + "/ipa/fake/faults", json={"latency_ms": 300}, timeout=5)
        requests.post(fakeipa.url + "/ipa/fake/stats/reset", timeout=5)
        try:
            body = nova_body(hostname="burst", metadata={"ipa_enroll": "True", **SERVICES})
            answers = burst([url], body)
        finally:
            requests.post(fakeipa.url + "/ipa/fake/faults", json={"latency_ms": 0}, timeout=5)
        stats = requests.get(fakeipa.url + "/ipa/fake/stats", timeout=5).json()
    assert [r.status_code for r in answers] == [200] * 20
    assert len({r.json()["ipaotp"] for r in answers}) == 1
    assert stats["commands"].get("batch") == 1, stats["commands"]
