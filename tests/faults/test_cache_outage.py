"""The shared cache (Redis) dies or hangs: answers stay the same and keep coming.

Each test runs its own ``redis-server`` on a free port, so it can kill or pause it
without touching anything else on the machine.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time

import pytest
import requests

from tests.api.conftest import running_server
from tests.support import free_port, nova_body, port_open, require, wait_until


class RedisServer:
    """A private, memory-only redis-server that the test can kill, restart and pause."""

    def __init__(self, workdir) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._workdir = workdir
        self._proc: subprocess.Popen | None = None

    def start(self) -> None:
        self._proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self._workdir)], stdout=subprocess.DEVNULL)
        wait_until(lambda: port_open("127.0.0.1", self.port), "redis-server to listen", 10)

    def kill(self) -> None:
        if self._proc is not None:
            self._proc.send_signal(signal.SIGCONT)  # a paused one must be able to die
            self._proc.kill()
            self._proc.wait(timeout=10)
            self._proc = None

    def pause(self) -> None:
        """Hung, not gone: connections are accepted and never answered."""
        self._proc.send_signal(signal.SIGSTOP)

    def keys(self) -> int:
        import redis

        with redis.Redis(port=self.port, socket_timeout=5) as client:
            return client.dbsize()


@pytest.fixture
def redis_server(tmp_path):
    require(shutil.which("redis-server") is not None, "redis-server (Debian redis-server)")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.kill()


def cache_section(redis_server: RedisServer, socket_timeout: float = 1.0) -> str:
    """deployment.md's shared cache settings; ``socket_timeout`` is oslo.cache's default."""
    return (f"[cache]\nenabled = true\nbackend = dogpile.cache.redis\n"
            f"backend_argument = url:{redis_server.url}\nsocket_timeout = {socket_timeout}\n")


def ask(url: str, body: dict) -> dict:
    resp = requests.post(url + "/v1/", json=body, timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()


def enroll(fakeipa, answer: dict) -> None:
    resp = requests.post(fakeipa.url + "/ipa/fake/enroll", timeout=5,
                         json={"fqdn": answer["hostname"], "otp": answer["ipaotp"]})
    assert resp.status_code == 200, resp.text


def test_a_dead_cache_server_changes_no_answer_and_is_used_again_when_back(
        fakeipa, tmp_path, redis_server):
    sections = cache_section(redis_server)
    with running_server(fakeipa, tmp_path, sections) as (a, _, _), \
            running_server(fakeipa, tmp_path, sections) as (b, _, _):
        known = nova_body(hostname="cached")
        first = ask(a, known)
        assert ask(b, known) == first and "ipaotp" in first
        assert redis_server.keys() > 0  # the processes do share the cache

        redis_server.kill()
        for url in (a, b, a, b):  # the same instance, the same OTP, from either process
            assert ask(url, known) == first
        for i in range(4):  # new instances boot and enroll
            body = nova_body(hostname=f"uncached-{i}")
            answer = ask(a if i % 2 else b, body)
            assert ask(b if i % 2 else a, body) == answer
            enroll(fakeipa, answer)

        redis_server.start()  # the same address, empty
        counter = iter(range(1000))

        def used_again() -> bool:  # novajoin leaves a failed cache alone for a few seconds
            ask(a, nova_body(hostname=f"cached-again-{next(counter)}"))
            return redis_server.keys() > 0

        wait_until(used_again, "the cache to be used again", 15)
        assert ask(b, known) == first


def test_a_hung_cache_server_costs_one_timeout_not_one_per_lookup(make_api, redis_server):
    timeout = 0.5
    api = make_api(sections=cache_section(redis_server, socket_timeout=timeout))
    assert api.post(nova_body(hostname="warm")).status_int == 200
    redis_server.pause()
    start = time.monotonic()
    for i in range(5):
        assert api.post(nova_body(hostname=f"hung-{i}")).status_int == 200
    # Once the cache is known to hang, the next lookups should not wait for it again.
    assert time.monotonic() - start < 3 * timeout
