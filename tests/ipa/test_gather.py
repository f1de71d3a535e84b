"""Concurrent callers' IPA commands gathered into shared batches (novajoin/ipa/gather.py)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from novajoin import exception
from novajoin.domain.calls import IpaCall, Outcome
from novajoin.ipa.gather import Gatherer


class FakeIpa:
    """Answers each command with its own first argument; ``release`` holds requests back,
    ``fail`` fails the request itself."""

    def __init__(self) -> None:
        self.requests: list[list[str]] = []
        self.kinds: list[str] = []  # "one" (a command on its own) or "batch"
        self.release = threading.Event()
        self.release.set()
        self.in_request = threading.Event()
        self.fail: str | None = None
        self.lock = threading.Lock()

    def _answer(self, call: IpaCall) -> Outcome:
        if call.args[0] == "missing":
            return Outcome(call, error=exception.IpaNotFound(message="not found"))
        return Outcome(call, output={"result": call.args[0]})

    def _enter(self, kind: str, calls: list[IpaCall]) -> None:
        with self.lock:
            self.requests.append([c.args[0] for c in calls])
            self.kinds.append(kind)
        self.in_request.set()
        self.release.wait(10)
        if self.fail is not None:
            raise exception.IpaUnavailable(url="https://ipa", reason=self.fail)

    def one(self, call: IpaCall) -> dict:
        self._enter("one", [call])
        return self._answer(call).unwrap()

    def many(self, calls) -> list[Outcome]:
        self._enter("batch", list(calls))
        return [self._answer(c) for c in calls]


def find(name: str) -> IpaCall:
    return IpaCall("host_find", (name,))


def burst(gatherer: Gatherer, ipa: FakeIpa, jobs: list[list[IpaCall]]):
    """The first job alone holds the only request slot; the others queue behind it."""
    ipa.release.clear()
    with ThreadPoolExecutor(len(jobs)) as pool:
        first = pool.submit(gatherer.submit, jobs[0])
        assert ipa.in_request.wait(10)
        rest = []
        for k, job in enumerate(jobs[1:], 1):  # queued behind the first, in this order
            rest.append(pool.submit(gatherer.submit, job))
            deadline = time.monotonic() + 10
            while len(gatherer._queue) < k:
                assert time.monotonic() < deadline, "the caller was not queued"
                threading.Event().wait(0.005)
        ipa.release.set()
        return [f.result(10) for f in [first, *rest]]


def test_a_lone_command_is_sent_as_it_is():
    ipa = FakeIpa()
    g = Gatherer(ipa.one, ipa.many, in_flight=1)
    assert g.submit([find("a")])[0].unwrap() == {"result": "a"}
    assert ipa.requests == [["a"]] and ipa.kinds == ["one"]


def test_callers_queued_behind_a_busy_request_share_one_batch_and_get_their_own_outcomes():
    ipa = FakeIpa()
    g = Gatherer(ipa.one, ipa.many, in_flight=1)
    got = burst(g, ipa, [[find("a")], [find("b"), find("missing")], [find("c")]])
    assert ipa.requests == [["a"], ["b", "missing", "c"]] and ipa.kinds == ["one", "batch"]
    assert [o.unwrap() for o in got[0]] == [{"result": "a"}]
    assert got[1][0].unwrap() == {"result": "b"}
    assert isinstance(got[1][1].error, exception.IpaNotFound)
    assert [o.unwrap() for o in got[2]] == [{"result": "c"}]
    g.submit([find("after")])  # the slot is free again: sent at once, alone
    assert ipa.requests[-1] == ["after"]


def test_a_round_holds_at_most_max_commands():
    ipa = FakeIpa()
    g = Gatherer(ipa.one, ipa.many, in_flight=1, max_commands=2)
    burst(g, ipa, [[find("a")], [find("b")], [find("c")], [find("d")], [find("e"), find("f")]])
    assert ipa.requests == [["a"], ["b", "c"], ["d"], ["e", "f"]]


def test_a_failed_request_is_the_failure_of_every_caller_in_it():
    ipa = FakeIpa()
    g = Gatherer(ipa.one, ipa.many, in_flight=1)
    ipa.fail = "down"
    with pytest.raises(exception.IpaUnavailable):
        burst(g, ipa, [[find("a")], [find("b")]])
    for job in ([find("c")], [find("d"), find("e")]):
        with pytest.raises(exception.IpaUnavailable):
            g.submit(job)
    ipa.fail = None
    assert g.submit([find("f")])[0].unwrap() == {"result": "f"}  # nothing left stuck


def test_many_threads_never_lose_a_caller_nor_exceed_the_requests_in_flight():
    in_flight, peak, lock = [0], [0], threading.Lock()

    def many(calls):
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        threading.Event().wait(0.002)
        with lock:
            in_flight[0] -= 1
        return [Outcome(c, output={"result": c.args[0]}) for c in calls]

    def one(call):
        return many([call])[0].unwrap()

    g = Gatherer(one, many, in_flight=3, max_commands=7)
    names = [f"h{i}" for i in range(400)]
    with ThreadPoolExecutor(32) as pool:
        got = list(pool.map(lambda n: g.submit([find(n), find(n + "x")]), names))
    assert [[o.unwrap()["result"] for o in outcomes] for outcomes in got] == [
        [n, n + "x"] for n in names]
    assert peak[0] <= 3
    assert g._busy == 0 and not g._queue
