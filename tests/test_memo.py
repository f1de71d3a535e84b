"""The memo behind Glance/Keystone lookups and known answers: local, then shared."""

import pytest
from oslo_config import cfg

from novajoin import cache


def counting(values):
    calls = []

    def compute():
        calls.append(values[len(calls)])
        return calls[-1]
    return compute, calls


def test_local_memo_remembers_then_forgets():
    now = [0.0]
    stats = cache.Stats()
    memo = cache.Memo("t", ttl=10, size=2, stats=stats, clock=lambda: now[0])
    compute, calls = counting([1, 3, 4, 5, 6])
    assert memo.get_or_compute("a", compute) == 1
    assert memo.get_or_compute("a", compute) == 1  # remembered
    now[0] = 11
    assert memo.get_or_compute("a", compute) == 3  # expired
    memo.get_or_compute("b", compute)
    memo.get_or_compute("c", compute)  # over size: old entries dropped
    assert calls == [1, 3, 4, 5]
    assert memo.get_or_compute("c", compute) == 5
    assert stats.counts[("t", "hit")] == 2 and stats.counts[("t", "miss")] == 4


def test_zero_ttl_never_remembers():
    memo = cache.Memo("t", ttl=0)
    compute, calls = counting([1, 2])
    memo.get_or_compute("a", compute)
    memo.get_or_compute("a", compute)
    assert calls == [1, 2]


def region_for(redis_url: str):
    conf = cfg.ConfigOpts()
    cache.register_opts(conf)
    conf([])
    conf.set_override("enabled", True, group="cache")
    conf.set_override("backend", "dogpile.cache.redis", group="cache")
    conf.set_override("backend_argument", [f"url:{redis_url}", "socket_timeout:0.5"],
                      group="cache")
    return cache.shared_region(conf)


@pytest.fixture
def redis_url(redis_server):
    return redis_server + "/0"


def test_two_processes_share_what_one_learned(redis_url):
    key = "shared-" + __import__("uuid").uuid4().hex
    a = cache.Memo("t", ttl=30, region=region_for(redis_url))
    b_stats = cache.Stats()
    b = cache.Memo("t", ttl=30, region=region_for(redis_url), stats=b_stats)
    a.put(key, {"ipa_enroll": "True"})
    assert b.get(key) == {"ipa_enroll": "True"}
    assert b_stats.counts[("t", "shared_hit")] == 1
    a.forget(key)
    b.forget(key)
    assert b.get(key) is cache.Memo.MISSING


def test_a_dead_cache_server_is_only_a_miss_and_left_alone_for_a_while():
    import time

    now = [time.time()]
    stats = cache.Stats()
    memo = cache.Memo("t", ttl=30, region=region_for("redis://127.0.0.1:1/0"), stats=stats,
                      clock=lambda: now[0])
    compute, calls = counting([1, 2, 3])
    assert memo.get_or_compute("k", compute) == 1
    assert memo.get_or_compute("k", compute) == 1  # still remembered locally
    assert memo.get_or_compute("other", compute) == 2
    assert stats.counts[("t", "error")] == 1  # after one failure the cache is left alone
    now[0] += cache.BACKOFF + 1
    assert memo.get_or_compute("third", compute) == 3
    assert stats.counts[("t", "error")] == 2  # then tried again
