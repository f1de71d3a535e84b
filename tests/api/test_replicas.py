"""Two novajoin-server processes behind one address give the same answers.

With a shared cache (Redis) the second process answers what the first learned
without asking IPA; without it, or with the cache server down, the answers are
the same and only cost more IPA round trips.
"""

from __future__ import annotations

import contextlib
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.api.conftest import running_server
from tests.support import nova_body

CACHE = "[cache]\nenabled = true\nbackend = dogpile.cache.redis\n"
LOCKING = ("backend_argument = distributed_lock:true\n"
           "backend_argument = thread_local_lock:false\nbackend_argument = lock_timeout:60\n")


@contextlib.contextmanager
def two_servers(fakeipa, tmp_path, sections):
    with running_server(fakeipa, tmp_path, sections) as (a, _, _):
        with running_server(fakeipa, tmp_path, sections) as (b, _, _):
            yield a, b


def feed_alternately(fakeipa, a, b, instances=5, rounds=3):
    bodies = [nova_body(hostname=f"rep-{i}-{id(a) % 1000}") for i in range(instances)]
    requests.post(fakeipa.url + "/ipa/fake/stats/reset", timeout=5)
    answers: dict[str, list] = {}
    for _ in range(rounds):
        for body in bodies:
            for url in (a, b):
                resp = requests.post(url + "/v1/", json=body, timeout=10)
                assert resp.status_code == 200, resp.text
                answers.setdefault(body["instance-id"], []).append(resp.json())
    stats = requests.get(fakeipa.url + "/ipa/fake/stats", timeout=5).json()
    return answers, stats


def assert_same_answers(answers):
    for got in answers.values():
        assert all(g == got[0] for g in got) and "ipaotp" in got[0]


def test_shared_cache_spares_ipa(fakeipa, tmp_path, redis_server):
    sections = CACHE + "backend_argument = url:redis://127.0.0.1:6379/3\n"
    with two_servers(fakeipa, tmp_path, sections) as (a, b):
        answers, stats = feed_alternately(fakeipa, a, b)
    assert_same_answers(answers)
    # One first boot each, nothing more (env: each process learns IPA's realm once; the
    # DNS zones are asked by the process that adds hosts; each first-boot batch reads the
    # name's DNS records before adding the host).
    assert stats["commands"] == {"batch": 5, "host_add": 5, "dnsrecord_show": 5, "env": 2,
                                 "dnszone_find": 1}


def test_without_a_cache_answers_agree_at_a_higher_cost(fakeipa, tmp_path):
    with two_servers(fakeipa, tmp_path, "") as (a, b):
        answers, stats = feed_alternately(fakeipa, a, b)
    assert_same_answers(answers)
    assert stats["commands"]["batch"] > 5  # the second process had to ask IPA


def test_a_dead_cache_server_changes_no_answer(fakeipa, tmp_path):
    sections = CACHE + ("backend_argument = url:redis://127.0.0.1:1/0\n"
                        "backend_argument = socket_timeout:0.2\n")
    with two_servers(fakeipa, tmp_path, sections) as (a, b):
        answers, _ = feed_alternately(fakeipa, a, b, instances=3, rounds=2)
    assert_same_answers(answers)


def burst(fakeipa, a, b, instances=4, identical=6):
    """``identical`` identical first-boot requests per instance at once, alternating replicas."""
    tag = uuid.uuid4().hex[:6]
    bodies = [nova_body(hostname=f"burst-{tag}-{i}") for i in range(instances)]
    jobs = [(url, body) for body in bodies for k in range(identical) for url in ((a, b)[k % 2],)]
    requests.post(fakeipa.url + "/ipa/fake/stats/reset", timeout=5)
    with ThreadPoolExecutor(len(jobs)) as pool:
        answers = list(pool.map(lambda j: requests.post(j[0] + "/v1/", json=j[1], timeout=30),
                                jobs))
    assert all(r.status_code == 200 for r in answers), [r.text for r in answers]
    otps: dict[str, set] = {}
    for (_, body), r in zip(jobs, answers, strict=True):
        otps.setdefault(body["instance-id"], set()).add(r.json()["ipaotp"])
    assert all(len(o) == 1 for o in otps.values())
    stats = requests.get(fakeipa.url + "/ipa/fake/stats", timeout=5).json()
    return stats["commands"]["host_add"]


def test_replicas_sharing_a_locking_cache_add_each_host_once(fakeipa_factory, tmp_path,
                                                            redis_server):
    # IPA slower than the burst takes to arrive: every request finds the host not yet made.
    fakeipa = fakeipa_factory(latency_ms=400)
    sections = CACHE + LOCKING + "backend_argument = url:redis://127.0.0.1:6379/3\n"
    with two_servers(fakeipa, tmp_path, sections) as (a, b):
        assert burst(fakeipa, a, b) == 4


def test_without_the_lock_each_replica_adds_each_host_at_most_once(fakeipa_factory, tmp_path,
                                                                   redis_server):
    fakeipa = fakeipa_factory(latency_ms=400)
    sections = CACHE + "backend_argument = url:redis://127.0.0.1:6379/3\n"
    with two_servers(fakeipa, tmp_path, sections) as (a, b):
        assert burst(fakeipa, a, b) <= 2 * 4
