"""Two novajoin-server processes behind one address give the same answers.

With a shared cache (Redis) the second process answers what the first learned
without asking IPA; without it, or with the cache server down, the answers are
the same and only cost more IPA round trips.
"""

from __future__ import annotations

import contextlib

import requests

from tests.api.conftest import running_server
from tests.support import nova_body

CACHE = "[cache]\nenabled = true\nbackend = dogpile.cache.redis\n"


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
