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


def region_for(redis_url: str, *extra: str):
    conf = cfg.ConfigOpts()
    cache.register_opts(conf)
    conf([])
    conf.set_override("enabled", True, group="cache")
    conf.set_override("backend", "dogpile.cache.redis", group="cache")
    conf.set_override("backend_argument", [f"url:{redis_url}", "socket_timeout:0.5", *extra],
                      group="cache")
    return cache.shared_region(conf)


LOCKING = ("distributed_lock:true", "thread_local_lock:false", "lock_timeout:30")


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


def test_compute_once_lets_one_process_compute_and_the_others_take_its_value(redis_url):
    import threading

    key = "once-" + __import__("uuid").uuid4().hex
    a = cache.Memo("t", ttl=30, region=region_for(redis_url, *LOCKING))
    b = cache.Memo("t", ttl=30, region=region_for(redis_url, *LOCKING))
    started, go = threading.Event(), threading.Event()

    def slow():
        started.set()
        go.wait(10)
        a.put(key, "from a")
        return "from a"

    got = {}
    t = threading.Thread(target=lambda: got.update(a=a.compute_once(key, slow, bool, 10)))
    t.start()
    started.wait(10)
    computed = []
    threading.Timer(0.3, go.set).start()
    got["b"] = b.compute_once(key, lambda: computed.append(1) or "from b", bool, 10)
    t.join()
    assert got == {"a": ("from a", True), "b": ("from a", False)} and computed == []


def test_compute_once_computes_when_the_others_value_is_not_usable(redis_url):
    key = "once-" + __import__("uuid").uuid4().hex
    a = cache.Memo("t", ttl=30, region=region_for(redis_url, *LOCKING))
    a.put(key, "stale")
    assert a.compute_once(key, lambda: "fresh", lambda v: v == "fresh", 10) == ("fresh", True)


def test_compute_once_gives_up_waiting_on_a_lock_never_released(redis_url):
    key = "once-" + __import__("uuid").uuid4().hex
    region = region_for(redis_url, *LOCKING)
    stuck = region.backend.get_mutex(f"novajoin:t:{key}")
    assert stuck.acquire(False)  # a process that died holding it
    try:
        memo = cache.Memo("t", ttl=30, region=region_for(redis_url, *LOCKING))
        assert memo.compute_once(key, lambda: "here", bool, 0.2) == ("here", True)
    finally:
        stuck.release()


def test_compute_once_without_a_lock_configured_computes_at_once(redis_url):
    region = region_for(redis_url)
    assert not cache.has_locks(region) and cache.has_locks(region_for(redis_url, *LOCKING))
    memo = cache.Memo("t", ttl=30, region=region)
    assert memo.compute_once("k", lambda: 1, bool, 10) == (1, True)
