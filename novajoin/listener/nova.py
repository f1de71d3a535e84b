"""nova's instance notifications: delete, rebuild and update, in both formats."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import oslo_messaging

from novajoin import exception
from novajoin.listener import events

CLOCK_SKEW = 60.0  # seconds a sender's clock may run ahead of ours, taken as given
MAX_FUTURE = 86400.0  # further ahead than this is refused, not clamped


def _generation(metadata: dict[str, Any],
                clock: Callable[[], datetime.datetime] | None = None) -> int:
    """A rebuild's generation: the notification's time in whole seconds.

    The same message redelivered gives the same number, a later rebuild a
    larger one, so resetting the host is idempotent.
    """
    try:
        stamp = datetime.datetime.fromisoformat(str(metadata["timestamp"]))
    except (KeyError, ValueError) as exc:
        raise exception.MalformedEvent(event_type="rebuild",
                                       reason="notification has no usable timestamp") from exc
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=datetime.timezone.utc)
    now = (clock or _now)()
    ahead = (stamp - now).total_seconds()
    if ahead > MAX_FUTURE:
        # A generation from the far future would make every later genuine rebuild look old.
        raise exception.MalformedEvent(event_type="rebuild",
                                       reason=f"notification timestamp {stamp.isoformat()} is "
                                              f"{ahead:.0f} s ahead of this host's clock")
    if ahead > CLOCK_SKEW:
        stamp = now  # a sender's clock running ahead: the listener's own time decides
    return int(stamp.timestamp())


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


class NovaEndpoint:
    """Endpoint for nova's instance events; filtered on event type only.

    Not on the publisher: a "local delete" (never scheduled, compute down,
    shelved) is published by nova-api, not nova-compute, and must still
    remove the host.
    """

    def __init__(self, lifecycle, policy, notification_format: str = "both") -> None:
        self._lifecycle = lifecycle
        self._policy = policy
        kinds = {"unversioned": lambda t: t.startswith("compute."),
                 "versioned": lambda t: not t.startswith("compute."),
                 "both": lambda t: True}[notification_format]
        # Each event type straight to what it does; both formats share a handler.
        handlers = {
            "compute.instance.delete.end": self._delete,
            "instance.delete.end": self._delete,
            "compute.instance.rebuild.start": self._rebuild,
            "instance.rebuild.start": self._rebuild,
            "compute.instance.update": self._update,
            "instance.update": self._update,
        }
        self._handlers = {t: h for t, h in handlers.items() if kinds(t)}
        self.event_types = sorted(self._handlers)
        self.filter_rule = oslo_messaging.NotificationFilter(
            event_type="^(" + "|".join(re.escape(t) for t in self.event_types) + ")$")

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        handler = self._handlers[event_type]
        return self._policy.run(event_type, metadata, lambda: handler(
            events.instance_event(event_type, payload), metadata), ctxt)

    def _delete(self, event, metadata) -> None:
        self._lifecycle.delete(event)

    def _rebuild(self, event, metadata) -> None:
        self._lifecycle.rebuild(event, _generation(metadata))

    def _update(self, event, metadata) -> None:
        self._lifecycle.update(event)
