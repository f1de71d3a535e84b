"""The listener's failure policy as tables: what happened -> HANDLED or REQUEUE, the wait, the
counts and the log line. Pure: no broker, no IPA (the same policy under a real RabbitMQ is
in test_rabbitmq.py)."""

from __future__ import annotations

import logging
import types

import pytest
from oslo_context import context as oslo_context

from novajoin import exception
from novajoin.listener.service import HANDLED, REQUEUE, Counters, Policy

LOGGER = "novajoin.listener.service"


class Waits:
    """Stands for the listener's stopping event: records each wait instead of sleeping."""

    def __init__(self):
        self.delays = []

    def wait(self, delay):
        self.delays.append(delay)
        return False


def make(delay=1.0, max_delay=5.0, attempts=3):
    conf = types.SimpleNamespace(requeue_delay=delay, requeue_max_delay=max_delay,
                                 max_attempts=attempts)
    counters, waits = Counters(), Waits()
    return Policy(conf, counters, waits), counters, waits


def raising(exc):
    def handler():
        raise exc
    return handler


def ok():
    return None


OUTAGE = exception.IpaUnavailable(url="https://ipa.example.test/ipa/json", reason="refused")
BUSY = exception.IpaBusy(url="https://ipa.example.test/ipa/json", reason="saturated")


def messages(caplog):
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == LOGGER]


def test_done_is_handled_and_counted(caplog):
    policy, counters, waits = make()
    assert policy.run("instance.delete.end", {"message_id": "m1"}, ok) == HANDLED
    assert counters.by_event == {("instance.delete.end", "handled"): 1}
    assert waits.delays == [] and messages(caplog) == []


def test_outages_requeue_with_a_doubling_wait_up_to_the_cap(caplog):
    caplog.set_level(logging.WARNING, LOGGER)
    policy, counters, waits = make(delay=1.0, max_delay=5.0, attempts=2)
    results = [policy.run("ev", {"message_id": "m1"}, raising(OUTAGE)) for _ in range(5)]
    # Never dropped, however many times (max_attempts is for the unexpected only).
    assert results == [REQUEUE] * 5
    assert waits.delays == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert counters.by_event == {("ev", "requeued"): 5}
    assert messages(caplog)[:2] == [
        (logging.WARNING, "Requeueing ev message m1 in 1.0 s (attempt 1): IpaUnavailable: "
                          "IPA server https://ipa.example.test/ipa/json is unavailable: refused"),
        (logging.WARNING, "Requeueing ev message m1 in 2.0 s (attempt 2): IpaUnavailable: "
                          "IPA server https://ipa.example.test/ipa/json is unavailable: refused"),
    ]


def test_each_message_has_its_own_count_and_success_resets_it():
    policy, counters, waits = make(delay=0.5, max_delay=100.0)
    policy.run("ev", {"message_id": "a"}, raising(BUSY))
    policy.run("ev", {"message_id": "a"}, raising(BUSY))
    policy.run("ev", {"message_id": "b"}, raising(BUSY))
    assert waits.delays == [0.5, 1.0, 0.5]
    assert policy.run("ev", {"message_id": "a"}, ok) == HANDLED
    policy.run("ev", {"message_id": "a"}, raising(BUSY))  # a new failure starts over
    policy.run("ev", {"message_id": "b"}, raising(BUSY))
    assert waits.delays[3:] == [0.5, 1.0]
    assert counters.by_event == {("ev", "requeued"): 5, ("ev", "handled"): 1}


def test_a_message_without_id_is_counted_under_a_placeholder(caplog):
    caplog.set_level(logging.WARNING, LOGGER)
    policy, _, waits = make()
    policy.run("ev", {}, raising(OUTAGE))
    policy.run("ev", {}, raising(OUTAGE))
    assert waits.delays == [1.0, 2.0]
    assert messages(caplog)[0][1].startswith("Requeueing ev message ? in 1.0 s (attempt 1)")


@pytest.mark.parametrize("exc,outcome", [
    (exception.Refused(reason="host_del x: not allowed"), "refused"),
    (exception.Conflict(reason="taken"), "refused"),
    (exception.InvalidName(what="host name", name="x_y", reason="bad"), "refused"),
    (exception.MalformedEvent(event_type="ev", reason="no instance id"), "malformed"),
    (exception.UnknownVersion(event_type="ev", name="InstancePayload", version="2.0"),
     "malformed"),
])
def test_what_cannot_succeed_later_is_dropped_and_counted(caplog, exc, outcome):
    caplog.set_level(logging.WARNING, LOGGER)
    policy, counters, waits = make()
    policy.run("ev", {"message_id": "m1"}, raising(OUTAGE))  # one requeue before
    assert policy.run("ev", {"message_id": "m1"}, raising(exc)) == HANDLED
    assert counters.by_event == {("ev", "requeued"): 1, ("ev", outcome): 1}
    assert messages(caplog)[-1] == (logging.ERROR, f"Dropping ev message m1: {exc}")
    policy.run("ev", {"message_id": "m1"}, raising(OUTAGE))  # forgotten: attempt 1 again
    assert waits.delays == [1.0, 1.0]


def test_unexpected_errors_are_requeued_then_dead_lettered(caplog):
    caplog.set_level(logging.WARNING, LOGGER)
    policy, counters, waits = make(delay=1.0, max_delay=60.0, attempts=3)
    boom = raising(KeyError("fqdn"))
    assert [policy.run("ev", {"message_id": "m1"}, boom) for _ in range(3)] == [
        REQUEUE, REQUEUE, HANDLED]
    assert waits.delays == [1.0, 2.0]
    assert counters.by_event == {("ev", "requeued"): 2, ("ev", "dead_letter"): 1}
    logged = messages(caplog)
    assert logged[0] == (logging.ERROR, "Unexpected error handling ev message m1")
    assert logged[1] == (logging.WARNING,
                         "Requeueing ev message m1 in 1.0 s (attempt 1): KeyError: 'fqdn'")
    assert logged[-1] == (logging.ERROR,
                          "Dropping ev message m1 after 3 attempts (dead letter)")
    assert all(r.exc_info for r in caplog.records if r.getMessage().startswith("Unexpected"))
    # A dead letter is forgotten: the same id failing again starts over.
    assert policy.run("ev", {"message_id": "m1"}, boom) == REQUEUE
    assert waits.delays[-1] == 1.0


def test_two_attempts_mean_one_requeue_of_the_unexpected():
    policy, counters, waits = make(attempts=2)
    boom = raising(ValueError())
    assert [policy.run("ev", {"message_id": "m1"}, boom) for _ in range(2)] == [
        REQUEUE, HANDLED]
    assert waits.delays == [1.0]


def test_one_attempt_means_no_requeue_of_the_unexpected():
    policy, counters, waits = make(attempts=1)
    assert policy.run("ev", {"message_id": "m1"}, raising(ValueError())) == HANDLED
    assert counters.by_event == {("ev", "dead_letter"): 1} and waits.delays == []


def test_outages_count_towards_the_dead_letter_of_a_later_unexpected_error():
    policy, counters, _ = make(attempts=3)
    policy.run("ev", {"message_id": "m1"}, raising(OUTAGE))
    policy.run("ev", {"message_id": "m1"}, raising(OUTAGE))
    assert policy.run("ev", {"message_id": "m1"}, raising(RuntimeError())) == HANDLED
    assert counters.total("dead_letter") == 1


def test_the_failure_memory_is_bounded_and_forgets_the_oldest():
    policy, _, waits = make(delay=1.0, max_delay=1e9)
    policy.run("ev", {"message_id": "first"}, raising(OUTAGE))
    policy.run("ev", {"message_id": "kept"}, raising(OUTAGE))
    policy.run("ev", {"message_id": "first"}, raising(OUTAGE))  # most recent again
    for i in range(9_999):
        policy.run("ev", {"message_id": f"m{i}"}, raising(OUTAGE))
    # 10,001 ids seen: the least recently failed one ("kept") is forgotten, no other.
    waits.delays.clear()
    for mid in ("first", "m9998", "kept", "m1"):  # "kept" comes back and pushes "m0" out
        policy.run("ev", {"message_id": mid}, raising(OUTAGE))
    assert waits.delays == [4.0, 2.0, 1.0, 2.0]


def test_nova_request_id_is_the_current_context_of_the_handler():
    policy, _, _ = make()
    seen = []
    policy.run("ev", {"message_id": "m1"},
               lambda: seen.append(oslo_context.get_current().request_id),
               {"request_id": "req-6f1e", "user": "nova"})
    policy.run("ev", {"message_id": "m2"},
               lambda: seen.append(oslo_context.get_current().request_id))
    assert seen[0] == "req-6f1e"
    assert seen[1] not in (None, "req-6f1e")  # a fresh context per message


def test_refused_credentials_requeue_without_a_line_per_message(caplog):
    """CloudMisconfigured: never dropped (no delete lost), logged by the cloud client once
    per interval, so the listener's requeue lines stay at debug level (issue 14)."""
    caplog.set_level(logging.DEBUG, LOGGER)
    policy, counters, waits = make()
    refused = exception.CloudMisconfigured(service="Keystone", reason="identity:get_project")
    results = [policy.run("ev", {"message_id": f"m{i}"}, raising(refused)) for i in range(3)]
    assert results == [REQUEUE] * 3 and counters.by_event == {("ev", "requeued"): 3}
    assert {level for level, _ in messages(caplog)} == {logging.DEBUG}
