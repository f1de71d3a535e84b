"""The emulator's directory: hosts, services, DNS zones and RBAC, in memory.

One re-entrant lock guards everything, so a command sees and leaves a
consistent directory, and HTTP requests still run in parallel around it.
With a state file the directory survives restarts: it is loaded at start and
rewritten (temporary file, then rename; mode 0600 because it holds one-time
passwords) after every command that changed something.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import random
import tempfile
import threading
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

STATE_FORMAT = 1
# ipaUniqueIDs are random (version 4) UUIDs but no secret: drawn from a generator seeded
# once from the system, not from os.urandom per entry (a system call each).
_UNIQUE_IDS = random.Random()  # noqa: S311 - identifiers, not secrets


def unique_id() -> str:
    return str(uuid.UUID(int=_UNIQUE_IDS.getrandbits(128), version=4))


@dataclass
class Host:
    """A host entry. ``attrs`` holds the LDAP attributes a client may set."""

    fqdn: str
    uuid: str = field(default_factory=unique_id)
    attrs: dict[str, list[str]] = field(default_factory=dict)
    password: str | None = None
    has_keytab: bool = False
    principal: str | None = None
    managedby: list[str] = field(default_factory=list)
    keys_changed: str | None = None  # generalized time of the last key change


@dataclass
class Service:
    """A service entry, keyed by its canonical principal ``svc/host@REALM``."""

    principal: str
    uuid: str = field(default_factory=unique_id)
    attrs: dict[str, list[str]] = field(default_factory=dict)
    managedby: list[str] = field(default_factory=list)
    has_keytab: bool = False

    @property
    def hostname(self) -> str:
        return self.principal.split("/", 1)[1].rsplit("@", 1)[0]


@dataclass
class Zone:
    """A master DNS zone. ``records`` maps a relative name (``@`` for the apex)
    to its record attributes (``arecord``, ``ptrrecord``, ...)."""

    name: str  # absolute: "example.test."
    attrs: dict[str, list[str]] = field(default_factory=dict)
    records: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    @property
    def is_reverse(self) -> bool:
        return self.name.endswith((".in-addr.arpa.", ".ip6.arpa."))


@dataclass
class Permission:
    """A permission: the parts of its ACI, as IPA stores them (names case-blind)."""

    name: str
    rights: list[str]
    location: str  # DN of the subtree (ipapermlocation)
    filters: list[str] = field(default_factory=list)  # ipapermtargetfilter
    target: str | None = None  # ipapermtarget
    included: list[str] = field(default_factory=list)  # ipapermincludedattr
    defaults: list[str] = field(default_factory=list)  # ipapermdefaultattr (managed ones)
    excluded: list[str] = field(default_factory=list)  # ipapermexcludedattr
    bindtype: str = "permission"
    flags: list[str] = field(default_factory=lambda: ["SYSTEM", "V2"])  # ipapermissiontype


@dataclass
class Privilege:
    """A privilege; ``permissions`` are the lower-cased names of its permissions."""

    name: str
    description: str | None = None
    permissions: list[str] = field(default_factory=list)


@dataclass
class Role:
    """A role; ``members`` maps a member kind (user, service, ...) to member names."""

    name: str
    description: str | None = None
    privileges: list[str] = field(default_factory=list)
    members: dict[str, list[str]] = field(default_factory=dict)


class StateError(Exception):
    """The state file cannot be used for this server."""


class Directory:
    """The whole emulated directory, plus persistence."""

    def __init__(self, realm: str, domain: str, state_file: str | None = None) -> None:
        self.realm = realm
        self.domain = domain
        self.lock = threading.RLock()
        self.hosts: dict[str, Host] = {}
        # host_find's lower-cased search text per host, with the objects it was made from
        # (see commands/host.py _search_text); only a speed-up, never a source of truth.
        self.search_text: dict[str, tuple] = {}
        self.services: dict[str, Service] = {}
        self.zones: dict[str, Zone] = {}
        # RBAC entries by lower-cased name (IPA compares names case-blind).
        self.permissions: dict[str, Permission] = {}
        self.privileges: dict[str, Privilege] = {}
        self.roles: dict[str, Role] = {}
        # The IPA CA's (Dogtag's) certificates, base64 -> revoked; a certificate in an
        # entry's userCertificate that is not here was issued by another CA.
        self.ca_certs: dict[str, bool] = {}
        # Users other than admin: name -> (password, expired).
        self.users: dict[str, tuple[str, bool]] = {}
        self._state_file = state_file
        self._saved: str | None = None
        self.loaded = bool(state_file and os.path.exists(state_file))
        if self.loaded:
            self._load(state_file)

    @contextlib.contextmanager
    def reading(self) -> Iterator[Directory]:
        with self.lock:
            yield self

    @contextlib.contextmanager
    def writing(self) -> Iterator[Directory]:
        """Hold the lock for a change; persist afterwards, even after an error,
        because IPA commands may fail after storing part of their work."""
        with self.lock:
            try:
                yield self
            finally:
                self.save()

    # -- DNS lookups shared by several commands --------------------------

    def zone_for(self, absolute_name: str) -> Zone | None:
        """The managed zone that contains ``absolute_name`` (longest suffix)."""
        best = None
        for zone in self.zones.values():
            if absolute_name == zone.name or absolute_name.endswith("." + zone.name):
                if best is None or len(zone.name) > len(best.name):
                    best = zone
        return best

    @staticmethod
    def relative_name(absolute_name: str, zone: Zone) -> str:
        if absolute_name == zone.name:
            return "@"
        return absolute_name[: -len(zone.name) - 1]

    def addresses_of(self, fqdn: str) -> list[str]:
        """The A and AAAA values of ``fqdn`` in the managed zones."""
        name = fqdn.rstrip(".") + "."
        zone = self.zone_for(name)
        if zone is None:
            return []
        record = zone.records.get(self.relative_name(name, zone), {})
        return [*record.get("arecord", []), *record.get("aaaarecord", [])]

    def reverse_location(self, ip: str) -> tuple[Zone | None, str]:
        """(managed reverse zone or None, record name in it) for an address."""
        reverse = ipaddress.ip_address(ip).reverse_pointer + "."
        zone = self.zone_for(reverse)
        if zone is None:
            return None, reverse
        return zone, self.relative_name(reverse, zone)

    # -- persistence -------------------------------------------------------

    def dump(self) -> dict:
        return {
            "format": STATE_FORMAT,
            "realm": self.realm,
            "domain": self.domain,
            "hosts": [asdict(h) for h in self.hosts.values()],
            "services": [asdict(s) for s in self.services.values()],
            "zones": [asdict(z) for z in self.zones.values()],
            "permissions": [asdict(p) for p in self.permissions.values()],
            "privileges": [asdict(p) for p in self.privileges.values()],
            "roles": [asdict(r) for r in self.roles.values()],
            "ca_certs": dict(self.ca_certs),
            "users": {k: list(v) for k, v in self.users.items()},
        }

    def save(self) -> None:
        """Write the state file if the contents changed since the last write."""
        if not self._state_file:
            return
        with self.lock:
            text = json.dumps(self.dump(), indent=1, sort_keys=True)
            if text == self._saved:
                return
            directory = os.path.dirname(os.path.abspath(self._state_file))
            fd, tmp = tempfile.mkstemp(prefix=".fakeipa-state-", dir=directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as stream:
                    os.fchmod(stream.fileno(), 0o600)
                    stream.write(text)
                    stream.flush()
                    os.fsync(stream.fileno())
                os.replace(tmp, self._state_file)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
                raise
            self._saved = text

    def _load(self, path: str) -> None:
        with open(path, encoding="utf-8") as stream:
            text = stream.read()
        try:
            state = json.loads(text)
        except ValueError as exc:
            raise StateError(f"{path}: not a FakeIPA state file: {exc}") from exc
        if state.get("format") != STATE_FORMAT:
            raise StateError(f"{path}: unsupported state format {state.get('format')!r}")
        if (state.get("realm"), state.get("domain")) != (self.realm, self.domain):
            raise StateError(
                f"{path}: state is for realm {state.get('realm')} / domain "
                f"{state.get('domain')}, not {self.realm} / {self.domain}")
        self.hosts = {h["fqdn"]: Host(**h) for h in state["hosts"]}
        self.services = {s["principal"]: Service(**s) for s in state["services"]}
        self.zones = {z["name"]: Zone(**z) for z in state["zones"]}
        # Older state files have no RBAC entries; the server seeds IPA's own then.
        self.permissions = {p["name"].lower(): Permission(**p)
                            for p in state.get("permissions", [])}
        self.privileges = {p["name"].lower(): Privilege(**p) for p in state.get("privileges", [])}
        self.roles = {r["name"].lower(): Role(**r) for r in state.get("roles", [])}
        self.ca_certs = dict(state.get("ca_certs", {}))
        self.users = {k: (v[0], bool(v[1])) for k, v in state.get("users", {}).items()}
        self._saved = json.dumps(self.dump(), indent=1, sort_keys=True)
