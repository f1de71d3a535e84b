"""What an instance asks of novajoin through its metadata (and its image).

The keys are novajoin 1.x's: ``ipa_enroll``, ``ipa_hostclass``,
``ipa_host_location``, ``managed_service_<any>``, ``compact_service_<service>``
and the legacy ``compact_services``. Each is read here and nowhere else, by
the API at boot and by the listener on update and delete.

Instance metadata is the tenant's to write, so every value is untrusted: this
module parses and checks form; whether a name may be claimed is decided in
:func:`requested_services` against the instance's own name and the project's
allow list.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
from collections.abc import Mapping, Sequence
from typing import Any

from novajoin.domain import ownership, plan
from novajoin.domain.naming import Naming, Principal, check_service, parse_principal
from novajoin.domain.ownership import Owner
from novajoin.exception import InvalidName, ProjectForbidden

ENROLL = "ipa_enroll"
HOSTCLASS = "ipa_hostclass"
LOCATION = "ipa_host_location"
MANAGED_PREFIX = "managed_service_"
COMPACT_PREFIX = "compact_service_"
COMPACT_LEGACY = "compact_services"


def wants_enrollment(value: object) -> bool | None:
    """``ipa_enroll`` as a decision: True, False, or None when it is not set.

    Only "true" in any case means yes, as in novajoin 1.x (``True`` from the
    CLI arrives as the string "True").
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() == "true"


def _instance_or_image(key: str, metadata: Mapping[str, str],
                       image: Mapping[str, object]) -> str | None:
    """The instance's value of ``key``, else its image's; None when neither sets it.

    The instance's metadata wins. An image's value is the image owner's choice, which
    the instance's project may not share: callers check it against the project's
    settings exactly like a value from the instance.
    """
    value = metadata.get(key)
    if value is None or value == "":
        found = image.get(key)
        if found is None or found == "":
            return None
        if not isinstance(found, str):
            raise InvalidName(what=f"image property {key}", name=found,
                              reason="it is not text")
        return found
    return value


def hostclass(metadata: Mapping[str, str], allowed: Sequence[str], project: str,
              image: Mapping[str, object] | None = None) -> str | None:
    """The requested host class (instance metadata, else image property), if the
    project's ``allowed_classes`` permit it."""
    value = _instance_or_image(HOSTCLASS, metadata, image or {})
    if value is None:
        return None
    if "*" not in allowed and value not in allowed:
        raise ProjectForbidden(reason=f"host class {value!r} is not allowed for project "
                                      f"{project!r}")
    return value


def os_version(image_properties: Mapping[str, object]) -> str | None:
    """``nsosversion`` from the image's ``os_distro`` and ``os_version``."""
    parts = [str(image_properties[k]) for k in ("os_distro", "os_version")
             if image_properties.get(k)]
    return " ".join(parts) or None


@dataclasses.dataclass(frozen=True)
class ServiceRequest:
    """A service principal the instance asks for, and the sub-host it lives on."""

    principal: Principal
    key: str  # the metadata key that asked for it, for error messages

    @property
    def host(self) -> str:
        return self.principal.host


def _json_value(key: str, value: str, kind: type) -> Any:
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise InvalidName(what=f"metadata {key}", name=value, reason="it is not JSON") from exc
    if not isinstance(parsed, kind):
        raise InvalidName(what=f"metadata {key}", name=value,
                          reason=f"it is not a JSON {kind.__name__}")
    return parsed


def _compact(naming: Naming, fqdn: str, project: str | None, key: str, service: str,
             networks: object) -> list[ServiceRequest]:
    if not isinstance(networks, list) or not all(isinstance(n, str) for n in networks):
        raise InvalidName(what=f"metadata {key}", name=networks,
                          reason="networks must be a list of names")
    # The service name comes from the tenant too: it must be a bare name, or
    # "HTTP/victim.example.com@" would make the principal name another host.
    check_service(service)
    out = []
    for network in networks:
        host = naming.compact_host(fqdn, network, project)
        out.append(ServiceRequest(Principal(service, host), key))
    return out


def requested_services(metadata: Mapping[str, str], naming: Naming, fqdn: str,
                       project_name: str | None, realm: str | None = None,
                       allowed_patterns: Sequence[str] = ()) -> list[ServiceRequest]:
    """Every service principal the metadata asks for, each checked.

    A principal may only be on the instance's own name, on one of its compact
    sub-hosts, or match a pattern of the project's ``allowed_services``;
    anything else raises :class:`ProjectForbidden` before any IPA call is made.
    """
    requests: list[ServiceRequest] = []
    for key in sorted(metadata):
        value = metadata[key]
        if key.startswith(MANAGED_PREFIX):
            principal = parse_principal(value, realm)
            naming.check_host_length(principal.host, what=f"host of {key}")
            if not (naming.is_own_host(principal.host, fqdn, project_name)
                    or any(fnmatch.fnmatchcase(str(principal), p) for p in allowed_patterns)):
                raise ProjectForbidden(reason=f"{key}: {principal} is not on this instance's "
                                              f"name ({fqdn}) and not in the project's "
                                              f"allowed_services")
            requests.append(ServiceRequest(principal, key))
        elif key.startswith(COMPACT_PREFIX):
            service = key[len(COMPACT_PREFIX):]
            requests += _compact(naming, fqdn, project_name, key, service,
                                 _json_value(key, value, list))
        elif key == COMPACT_LEGACY:
            for service, networks in sorted(_json_value(key, value, dict).items()):
                requests += _compact(naming, fqdn, project_name, key, service, networks)
    unique: dict[Principal, ServiceRequest] = {}
    for r in requests:
        unique.setdefault(r.principal, r)
    return list(unique.values())


def service_keys(metadata: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The metadata that asks for services, as a comparable value (what an update changes)."""
    return tuple(sorted((k, v) for k, v in metadata.items()
                        if k.startswith((MANAGED_PREFIX, COMPACT_PREFIX)) or k == COMPACT_LEGACY))


def location(metadata: Mapping[str, str],
             image: Mapping[str, object] | None = None) -> str | None:
    """``nshostlocation``: instance metadata, else the image property; form-checked."""
    value = _instance_or_image(LOCATION, metadata, image or {})
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 255 or not value.isprintable():
        raise InvalidName(what="metadata ipa_host_location", name=value,
                          reason="it must be printable text of at most 255 characters")
    return value


def needs_project_name(metadata: Mapping[str, str], naming: Naming,
                       image: Mapping[str, object] | None = None) -> bool:
    """Whether describing this instance needs its project's name from Keystone."""
    return bool(naming.project_subdomain or metadata.get(HOSTCLASS)
                or (image or {}).get(HOSTCLASS)
                or any(k.startswith(MANAGED_PREFIX) for k in metadata))


def describe(instance_id: str, project_id: str, hostname: str, metadata: Mapping[str, str],
             image: Mapping[str, object], *, naming: Naming, project_name: str | None,
             allowed_classes: Sequence[str], allowed_services: Sequence[str],
             realm: str | None, services_only: bool = False,
             deployment: str = ownership.DEFAULT) -> plan.Enrollment:
    """What the instance needs in IPA, every tenant-supplied value checked.

    The API describes the whole host at boot; the listener, on a metadata
    update, only the services (``services_only``: host class and location are
    set once, at boot).
    """
    fqdn = naming.host_fqdn(hostname, project_name)
    attrs: dict[str, str] = {}
    if not services_only:
        chosen = hostclass(metadata, allowed_classes, project_name or project_id, image)
        if chosen:
            attrs["userclass"] = chosen
        where = location(metadata, image)
        if where:
            attrs["nshostlocation"] = where
        version = os_version(image)
        if version:
            attrs["nsosversion"] = version
    wanted = requested_services(metadata, naming, fqdn, project_name, realm, allowed_services)
    shared = frozenset(s.host for s in wanted if not naming.is_own_host(s.host, fqdn,
                                                                       project_name))
    return plan.Enrollment(fqdn, Owner(instance_id, project_id, deployment=deployment), attrs,
                           tuple(s.principal for s in wanted), shared)
