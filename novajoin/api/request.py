"""nova's DynamicJSON request body, checked.

nova (``nova/api/metadata/vendordata_dynamic.py``) sends exactly: project-id,
instance-id, image-id ("" when booted from volume), user-data (base64 or null,
ignored here), hostname, metadata (string to string) and boot-roles. Extra
fields are tolerated, so a newer nova does not break enrollment; missing or
ill-typed ones are refused with a reason, before any IPA call.
"""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from collections.abc import Mapping

from novajoin.exception import InvalidRequest

MAX_METADATA_ITEMS = 1024
MAX_METADATA_TEXT = 65535
_PROJECT_ID = re.compile(r"[0-9a-zA-Z_-]{1,64}")  # used with fullmatch


@dataclasses.dataclass(frozen=True)
class VendordataRequest:
    project_id: str
    instance_id: str
    image_id: str
    hostname: str
    metadata: Mapping[str, str]
    boot_roles: tuple[str, ...]


def _text(body: dict, key: str, *, required: bool = True, max_len: int = 255) -> str:
    value = body.get(key)
    if value is None:
        if required:
            raise InvalidRequest(reason=f"'{key}' is missing")
        return ""
    if not isinstance(value, str):
        raise InvalidRequest(reason=f"'{key}' must be a string")
    if len(value) > max_len:
        raise InvalidRequest(reason=f"'{key}' is longer than {max_len} characters")
    return value


def parse(raw: bytes) -> VendordataRequest:
    """The request from the raw body, or :class:`InvalidRequest` saying why."""
    try:
        body = json.loads(raw)
    except RecursionError as exc:
        raise InvalidRequest(reason="the body is nested too deeply") from exc
    except ValueError as exc:
        raise InvalidRequest(reason=f"the body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise InvalidRequest(reason="the body must be a JSON object")

    project_id = _text(body, "project-id")
    if not _PROJECT_ID.fullmatch(project_id):
        raise InvalidRequest(reason="'project-id' is not a Keystone project id")
    instance_id = _text(body, "instance-id")
    try:
        instance_id = str(uuid.UUID(instance_id))
    except ValueError as exc:
        raise InvalidRequest(reason="'instance-id' is not a UUID") from exc
    image_id = _text(body, "image-id", required=False)
    hostname = _text(body, "hostname")
    if not hostname:
        raise InvalidRequest(reason="'hostname' is empty")

    metadata = body.get("metadata")
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise InvalidRequest(reason="'metadata' must be an object")
    if len(metadata) > MAX_METADATA_ITEMS:
        raise InvalidRequest(reason=f"'metadata' has more than {MAX_METADATA_ITEMS} items")
    for key, value in metadata.items():
        if not isinstance(value, str):
            raise InvalidRequest(reason=f"metadata '{key}' must be a string")
        if len(key) > 255 or len(value) > MAX_METADATA_TEXT:
            raise InvalidRequest(reason=f"metadata '{key[:64]}' is too long")

    roles = body.get("boot-roles") or ""
    if not isinstance(roles, str):
        raise InvalidRequest(reason="'boot-roles' must be a string")
    return VendordataRequest(project_id, instance_id, image_id, hostname, metadata,
                             tuple(r for r in roles.split(",") if r))
