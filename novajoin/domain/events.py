"""What happened to an instance or a floating IP, as values the use cases act on.

The listener parses nova's and neutron's payloads into these
(:mod:`novajoin.listener.events`); the lifecycle use cases and their tests
need nothing of the messaging layer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping


@dataclasses.dataclass(frozen=True)
class InstanceEvent:
    action: str  # "delete", "rebuild" or "update"
    instance_id: str
    project_id: str
    hostname: str
    metadata: Mapping[str, str]


@dataclasses.dataclass(frozen=True)
class FloatingIpEvent:
    """A floating IP that now points at ``instance_id`` (None: at nothing)."""

    floating_ip_id: str
    address: str
    instance_id: str | None
    port_id: str | None
    project_id: str | None
