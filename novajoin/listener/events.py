"""Notification payloads as typed events; everything else is MalformedEvent.

nova sends each instance event in the legacy (unversioned) format, the
versioned one, or both (``[notifications] notification_format``); both parse
into the same :class:`InstanceEvent`. Versioned payloads carry their object
version: any minor version of a known major is accepted (fields are only ever
added), an unknown major is refused rather than misread.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Mapping
from typing import Any

from novajoin.domain.events import FloatingIpEvent, InstanceEvent
from novajoin.exception import MalformedEvent, UnknownVersion

# event type -> (action, versioned payload object, its major version)
NOVA_EVENTS: dict[str, tuple[str, str | None, int | None]] = {
    "compute.instance.delete.end": ("delete", None, None),
    "compute.instance.rebuild.start": ("rebuild", None, None),
    "compute.instance.update": ("update", None, None),
    "instance.delete.end": ("delete", "InstanceActionPayload", 1),
    "instance.rebuild.start": ("rebuild", "InstanceActionRebuildPayload", 1),
    "instance.update": ("update", "InstanceUpdatePayload", 2),
}

NEUTRON_EVENTS = ("floatingip.create.end", "floatingip.update.end", "floatingip.delete.end")


def _uuid(value: Any, event_type: str, what: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError as exc:
        raise MalformedEvent(event_type=event_type, reason=f"{what} is not a UUID") from exc


def _str(data: Mapping, key: str, event_type: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise MalformedEvent(event_type=event_type, reason=f"'{key}' is missing or not text")
    return value


def _metadata(data: Mapping, event_type: str) -> dict[str, str]:
    md = data.get("metadata") or {}
    if not isinstance(md, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                           for k, v in md.items()):
        raise MalformedEvent(event_type=event_type, reason="'metadata' is not a string map")
    return md


def instance_event(event_type: str, payload: Any) -> InstanceEvent:
    """Parse a nova instance notification of a type listed in NOVA_EVENTS."""
    action, object_name, major = NOVA_EVENTS[event_type]
    if not isinstance(payload, dict):
        raise MalformedEvent(event_type=event_type, reason="payload is not an object")
    if object_name is None:  # legacy format: a flat dict
        data = payload
        instance_id = _uuid(data.get("instance_id"), event_type, "instance_id")
        project_id = _str(data, "tenant_id", event_type)
        hostname = _str(data, "hostname", event_type)
        task_state = data.get("new_task_state")
    else:
        name = payload.get("nova_object.name")
        version = str(payload.get("nova_object.version", ""))
        if name != object_name:
            raise MalformedEvent(event_type=event_type,
                                 reason=f"payload is {name!r}, not {object_name}")
        if version.partition(".")[0] != str(major):
            raise UnknownVersion(event_type=event_type, name=name, version=version)
        versioned = payload.get("nova_object.data")
        if not isinstance(versioned, dict):
            raise MalformedEvent(event_type=event_type, reason="nova_object.data is missing")
        data = versioned
        instance_id = _uuid(data.get("uuid"), event_type, "uuid")
        project_id = _str(data, "tenant_id", event_type)
        hostname = _str(data, "host_name", event_type)
        task_state = data.get("task_state")
    state = data.get("state")
    return InstanceEvent(action, instance_id, project_id, hostname, _metadata(data, event_type),
                         state if isinstance(state, str) else None,
                         task_state if isinstance(task_state, str) else None)


def floating_ip_event(event_type: str, payload: Any) -> FloatingIpEvent:
    """Parse neutron's floatingip.{create,update,delete}.end."""
    if not isinstance(payload, dict) or not isinstance(payload.get("floatingip"), dict):
        raise MalformedEvent(event_type=event_type, reason="payload has no 'floatingip'")
    fip = payload["floatingip"]
    fip_id = _uuid(fip.get("id") or payload.get("floatingip_id"), event_type, "floating IP id")
    try:
        address = str(ipaddress.ip_address(fip.get("floating_ip_address")))
    except ValueError as exc:
        raise MalformedEvent(event_type=event_type,
                             reason="'floating_ip_address' is not an IP address") from exc
    port_id = fip.get("port_id")
    instance_id = None
    details = fip.get("port_details")
    if event_type != "floatingip.delete.end" and port_id:
        if isinstance(details, dict) and str(details.get("device_owner", "")).startswith(
                "compute:"):
            instance_id = _uuid(details.get("device_id"), event_type, "device_id")
    else:
        port_id = None  # deleted, or disassociated: it points at nothing now
    return FloatingIpEvent(fip_id, address, instance_id, port_id,
                           fip.get("project_id") or fip.get("tenant_id"))
