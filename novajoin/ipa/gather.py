"""Commands of concurrent callers sent to IPA together (group commit).

Each JSON-RPC request costs IPA far more than a command of a batch: the session
is checked and an LDAP connection made and bound for the request
(ipaserver/rpcserver.py calls ``Executioner.create_context``, ipalib/backend.py),
and on both sides HTTP and JSON are handled once per request. Under a burst of
notifications (a tenant deleting a hundred instances) the listener's threads
each want a round trip or two. With :class:`Gatherer` up to ``in_flight``
requests go out at once, as before; callers arriving while all are busy queue,
and when a request comes back its thread sends everything queued since as one
``batch`` (at most ``max_commands`` commands). A caller alone never waits.

IPA runs the commands of a batch one after the other and independently (no
rollback: batch.execute catches each command's error into its own result;
ipaserver/plugins/batch.py), so commands of
unrelated callers in one batch behave as if each had been sent on its own. A
failure of the request itself (IPA unavailable, authentication) is every
gathered caller's failure, as it would have been for each request.
"""

from __future__ import annotations

import collections
import dataclasses
import threading
from collections.abc import Callable, Sequence
from typing import Any

from novajoin import exception
from novajoin.domain.calls import IpaCall, Outcome


@dataclasses.dataclass(eq=False)
class _Job:
    calls: list[IpaCall]
    woken: threading.Event = dataclasses.field(default_factory=threading.Event)
    round: list[_Job] | None = None  # the jobs this job's thread sends, itself first
    outcomes: list[Outcome] | None = None
    error: BaseException | None = None


class Gatherer:
    """Sends callers' commands through ``one`` (a lone command) or ``many`` (a batch).

    :param one: runs one command, returns its output or raises IPA's error.
    :param many: runs a batch, returns one :class:`Outcome` per command.
    """

    def __init__(self, one: Callable[[IpaCall], dict[str, Any]], many: Callable[[Sequence[IpaCall]],
                 list[Outcome]], in_flight: int, max_commands: int = 100) -> None:
        self._one, self._many = one, many
        self._in_flight, self._max_commands = in_flight, max_commands
        self._lock = threading.Lock()
        self._busy = 0
        self._queue: collections.deque[_Job] = collections.deque()

    def submit(self, calls: Sequence[IpaCall]) -> list[Outcome]:
        job = _Job(list(calls))
        with self._lock:
            if self._busy < self._in_flight:
                self._busy += 1
                job.round = [job]
            else:
                self._queue.append(job)
        if job.round is None:
            job.woken.wait()  # for its outcomes, or to send a round of its own
        if job.round is not None:
            self._send(job.round)
        if job.error is not None:
            raise job.error
        assert job.outcomes is not None
        return job.outcomes

    def _send(self, round_: list[_Job]) -> None:
        try:
            if len(round_) == 1 and len(round_[0].calls) == 1:
                call = round_[0].calls[0]
                try:
                    round_[0].outcomes = [Outcome(call, output=self._one(call))]
                except exception.IpaCommandError as exc:
                    round_[0].outcomes = [Outcome(call, error=exc)]
            else:
                outcomes = self._many([c for job in round_ for c in job.calls])
                start = 0
                for job in round_:
                    job.outcomes = outcomes[start:start + len(job.calls)]
                    start += len(job.calls)
        except BaseException as exc:  # noqa: BLE001 - handed to every caller, who raises it
            for job in round_:
                job.error = exc
        finally:
            successor = self._next_round()
            for job in round_:
                job.woken.set()
            if successor is not None:
                successor.woken.set()

    def _next_round(self) -> _Job | None:
        """Hand the queued jobs (up to max_commands) to the first of them to send, or
        free this request's place when nothing waits."""
        with self._lock:
            if not self._queue:
                self._busy -= 1
                return None
            round_ = [self._queue.popleft()]
            size = len(round_[0].calls)
            while self._queue and size + len(self._queue[0].calls) <= self._max_commands:
                size += len(self._queue[0].calls)
                round_.append(self._queue.popleft())
            round_[0].round = round_
            return round_[0]
