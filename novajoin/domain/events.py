"""What happened to an instance or a floating IP, as values the use cases act on.

The listener parses nova's and neutron's payloads into these
(:mod:`novajoin.listener.events`); the lifecycle use cases and their tests
need nothing of the messaging layer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

# nova's vm_states and task_states (nova/compute/vm_states.py, task_states.py).
GONE_STATES = frozenset({"deleted", "soft-delete", "soft_deleted"})
GOING_TASKS = frozenset({"deleting", "soft-deleting"})


@dataclasses.dataclass(frozen=True)
class InstanceEvent:
    action: str  # "delete", "rebuild" or "update"
    instance_id: str
    project_id: str
    hostname: str
    metadata: Mapping[str, str]
    state: str | None = None  # nova's vm_state, when the payload says
    task_state: str | None = None

    @property
    def going(self) -> bool:
        """The instance is deleted or being deleted: an update must not add anything."""
        return self.state in GONE_STATES or self.task_state in GOING_TASKS


@dataclasses.dataclass(frozen=True)
class FloatingIpEvent:
    """A floating IP that now points at ``instance_id`` (None: at nothing)."""

    floating_ip_id: str
    address: str
    instance_id: str | None
    port_id: str | None
    project_id: str | None
