"""Drift between nova and the IPA entries novajoin owns: the comparison. No I/O here.

:func:`compare` takes the two inventories and says, per IPA object, what is
wrong and which IPA calls fix it; it is tested as tables. See
:mod:`novajoin.reconcile` for the kinds of drift.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import ipaddress
from collections.abc import Callable, Iterable, Iterator

from novajoin.domain import dns, ownership, plan
from novajoin.domain.calls import Entry, IpaCall
from novajoin.domain.naming import split_in_zone


class Kind(enum.StrEnum):
    """What is wrong with an IPA object (also the label of its metrics and JSON)."""

    ORPHAN_HOST = "orphan_host"
    ORPHAN_SUBHOST = "orphan_subhost"
    ORPHAN_SERVICE = "orphan_service"
    STALE_RECORD = "stale_record"
    MISSING_RECORD = "missing_record"
    UNENROLLED = "unenrolled"


class Status(enum.StrEnum):
    """What became of a finding."""

    FOUND = "found"  # a dry run
    FIXED = "fixed"
    FAILED = "failed"
    SKIPPED = "skipped"  # changed since the inventory
    MANUAL = "manual"  # no automatic fix
    WITHHELD = "withheld"  # nova's listing is incomplete


ORPHAN_HOST, ORPHAN_SUBHOST, ORPHAN_SERVICE = (Kind.ORPHAN_HOST, Kind.ORPHAN_SUBHOST,
                                               Kind.ORPHAN_SERVICE)
STALE_RECORD, MISSING_RECORD, UNENROLLED = (Kind.STALE_RECORD, Kind.MISSING_RECORD,
                                           Kind.UNENROLLED)
KINDS = tuple(Kind)
_ORPHANS = (ORPHAN_HOST, ORPHAN_SUBHOST, ORPHAN_SERVICE)

# -- inventories and findings ------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Instance:
    """What reconcile needs of a nova server; ``addresses`` None when nova does not know."""

    id: str
    project_id: str | None = None
    status: str = "ACTIVE"
    created: datetime.datetime | None = None
    addresses: frozenset[str] | None = frozenset()


@dataclasses.dataclass(frozen=True)
class FloatingIp:
    """A floating IP on an instance's port, as neutron lists it."""

    id: str
    address: str
    project_id: str | None
    instance_id: str  # lower case


@dataclasses.dataclass
class NovaInventory:
    """nova's servers, and neutron's floating IPs on their ports (None: neutron not asked
    or not answering; then no record is reported missing)."""

    instances: dict[str, Instance]  # by lower-case id
    incomplete: str | None = None
    floating_ips: dict[str, list[FloatingIp]] | None = None  # by lower-case instance id

    def floating_of(self, owner: ownership.Owner) -> list[FloatingIp]:
        """The instance's floating IPs that belong to its own project: a tenant may put
        its floating IP on a port it made with another project's instance as device."""
        return [f for f in (self.floating_ips or {}).get(owner.instance_id.lower(), ())
                if f.project_id == owner.project_id]


@dataclasses.dataclass
class IpaInventory:
    """novajoin's hosts (host_find entries, by name) and details read for some of them."""

    hosts: dict[str, Entry]
    zones: list[str] = dataclasses.field(default_factory=list)
    services: dict[str, list[Entry]] = dataclasses.field(default_factory=dict)  # by manager
    records: dict[str, tuple[str, str, Entry]] = dataclasses.field(default_factory=dict)
    shown: dict[str, Entry] = dataclasses.field(default_factory=dict)  # host_show entries
    warnings: list[str] = dataclasses.field(default_factory=list)
    deployment: str = ownership.DEFAULT  # entries of other deployments own nothing here


@dataclasses.dataclass
class Finding:
    kind: Kind
    object: str  # host name, principal, or "<host> A|AAAA <address>"
    instance: str
    project: str
    reason: str
    fix: tuple[IpaCall, ...] = ()
    tag: str = ""  # the owner tag seen; a fix is skipped when it changed meanwhile
    status: Status = Status.FOUND
    error: str = ""


@dataclasses.dataclass
class Report:
    findings: list[Finding]
    incomplete: str | None = None
    warnings: list[str] = dataclasses.field(default_factory=list)
    applied: bool = False
    hosts: int = 0
    instances: int = 0

    @property
    def unfixed(self) -> list[Finding]:
        return [f for f in self.findings if f.status != "fixed"]


# -- the comparison (pure) --------------------------------------------------------

def _owners(ipa: IpaInventory) -> dict[str, ownership.Owner]:
    return {fqdn: o for fqdn, e in ipa.hosts.items()
            if (o := ownership.read(e, ipa.deployment)) is not None}


def _by_instance(owners: dict[str, ownership.Owner]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for fqdn, owner in sorted(owners.items()):
        groups.setdefault(owner.instance_id.lower(), []).append(fqdn)
    return groups


def orphan_hosts(ipa: IpaInventory, nova: NovaInventory) -> list[str]:
    """Hosts whose instance nova does not list: their services must be read."""
    return sorted(h for h, o in _owners(ipa).items() if o.instance_id.lower() not in nova.instances)


def _main_hosts(ipa: IpaInventory, nova: NovaInventory
                ) -> Iterator[tuple[str, ownership.Owner, Instance]]:
    for fqdn, owner in sorted(_owners(ipa).items()):
        instance = nova.instances.get(owner.instance_id.lower())
        if owner.kind == ownership.HOST and instance is not None:
            yield fqdn, owner, instance


def record_hosts(ipa: IpaInventory, nova: NovaInventory) -> dict[str, tuple[str, str]]:
    """Main hosts of listed instances whose addresses nova knows, with (zone, name)."""
    forward = dns.forward_zones(ipa.zones)
    return {fqdn: where for fqdn, _, inst in _main_hosts(ipa, nova)
            if inst.addresses is not None and (where := split_in_zone(fqdn, forward))}


def _otp_issued(owner: ownership.Owner, instance: Instance) -> datetime.datetime | None:
    """When the host's OTP was set: the instance's creation, or its last rebuild
    (a rebuild's owner tag generation is the notification's time in seconds)."""
    if instance.created is None:
        return None
    rebuilt = datetime.datetime.fromtimestamp(owner.generation, datetime.timezone.utc)
    return max(instance.created, rebuilt)


def old_otp_hosts(ipa: IpaInventory, nova: NovaInventory, now: datetime.datetime,
                  max_age: datetime.timedelta | None) -> list[str]:
    """Main hosts that would be overdue if they still had their OTP: to be shown."""
    if not max_age:
        return []
    return [fqdn for fqdn, owner, inst in _main_hosts(ipa, nova)
            if (issued := _otp_issued(owner, inst)) is not None and now - issued > max_age]


def rearm(fqdn: str, owner: ownership.Owner, now: datetime.datetime,
          otp_for: Callable[[str, int], str]) -> IpaCall:
    """The call that retires a host's unused one-time password.

    The old OTP (in config drives, metadata caches) stops working, and a guest that asks
    nova's metadata again gets the OTP of a new generation, the time of the fix, as after
    a rebuild; so no OTP is ever valid twice, and the host is not reported again before
    ``max_unenrolled_age`` has passed. IPA cannot simply delete the password:
    userPassword is write-only for every caller, so ``setattr userpassword=`` finds
    nothing to delete (EmptyModlist), and host_disable leaves it alone.
    """
    new = dataclasses.replace(owner, generation=int(now.timestamp()))
    return IpaCall("host_mod", (fqdn,), {"description": new.tag(),
                                          "userpassword": otp_for(owner.instance_id,
                                                                  new.generation)})


def compare(ipa: IpaInventory, nova: NovaInventory, *, now: datetime.datetime,
            max_age: datetime.timedelta | None,
            otp_for: Callable[[str, int], str]) -> list[Finding]:
    """Everything that differs, per IPA object, with the calls that fix it."""
    owners = _owners(ipa)
    findings: list[Finding] = []
    for iid, fqdns in _by_instance(owners).items():
        if iid not in nova.instances:
            findings += _orphans(iid, fqdns, owners, ipa, nova)
    overdue = set(old_otp_hosts(ipa, nova, now, max_age))
    records = record_hosts(ipa, nova)
    for fqdn, owner, inst in _main_hosts(ipa, nova):
        if fqdn in records:
            floating = nova.floating_of(owner)
            findings += _stale_records(fqdn, owner, inst, ipa, floating)
            findings += _missing_records(fqdn, owner, ipa, floating)
        shown = ipa.shown.get(fqdn)
        if fqdn in overdue and shown and shown.get("has_password") and not shown.get(
                "has_keytab") and ownership.read(shown, ipa.deployment) == owner:
            issued = _otp_issued(owner, inst)
            assert issued is not None
            hours = (now - issued).total_seconds() / 3600
            findings.append(Finding(
                UNENROLLED, fqdn, owner.instance_id, owner.project_id,
                f"one-time password unused since {issued:%Y-%m-%d %H:%M} UTC ({hours:.0f} h)",
                (rearm(fqdn, owner, now, otp_for),), owner.tag()))
    return findings


def _orphans(iid: str, fqdns: list[str], owners: dict[str, ownership.Owner],
             ipa: IpaInventory, nova: NovaInventory) -> list[Finding]:
    project = owners[fqdns[0]].project_id
    hosts = {h: ipa.hosts[h] for h in fqdns}
    gone = "the instance is not in nova"

    def host_finding(h: str, reason: str, fix: tuple[IpaCall, ...] = ()) -> Finding:
        kind = ORPHAN_HOST if owners[h].kind == ownership.HOST else ORPHAN_SUBHOST
        return Finding(kind, h, iid, project, reason, fix)

    fqdns = sorted(fqdns, key=lambda h: (owners[h].kind != ownership.HOST, h))  # host first
    if any(h not in ipa.services for h in fqdns):
        return [host_finding(h, f"{gone}; its services could not all be listed, left alone")
                for h in fqdns]
    services = {s["krbprincipalname"][0]: s for h in fqdns for s in ipa.services[h]}
    removal = plan.delete(hosts, list(services.values()))
    deleted = {c.args[0] for c in removal.calls if c.method == "host_del"}
    released = {c.args[0]: c for c in removal.calls if c.method == "service_remove_host"}

    def live_owner(host: str) -> ownership.Owner | None:
        owner = owners.get(host)
        return owner if owner and owner.instance_id.lower() in nova.instances else None

    handed, _ = plan.hand_over(removal.kept_hosts, live_owner)
    handed_to = {c.args[0]: c for c in handed}

    findings = []
    for principal in sorted(services):
        host = plan.principal_host(principal)
        if host in deleted:
            findings.append(Finding(ORPHAN_SERVICE, principal, iid, project,
                                    f"{gone}; goes with its host {host}",
                                    (IpaCall("service_del", (principal,)),)))
        elif principal in released:
            findings.append(Finding(ORPHAN_SERVICE, principal, iid, project,
                                    f"{gone}; other hosts still manage it: only the "
                                    f"instance's hosts let go of it", (released[principal],)))
    for h in (h for h in fqdns if h in deleted):
        findings.append(host_finding(h, gone, (IpaCall("host_del", (h,), {"updatedns": True}),)))
    for h in (h for h in fqdns if h in removal.kept_hosts):
        users = ", ".join(removal.kept_hosts[h])
        if h in handed_to:
            findings.append(host_finding(h, f"{gone}; still used by {users}: handed over",
                                         (handed_to[h],)))
        else:
            findings.append(host_finding(h, f"{gone}; still used by {users}, of no owner "
                                            f"nova lists: left alone"))
    return findings


def _stale_records(fqdn: str, owner: ownership.Owner, inst: Instance,
                   ipa: IpaInventory, floating: list[FloatingIp]) -> list[Finding]:
    """Address records of addresses the instance no longer has. An address neutron lists
    as the instance's floating IP is current even while nova's cache lags behind."""
    zone, name, entry = ipa.records.get(fqdn) or ("", "", {})
    current = set(inst.addresses or ()) | {normal_address(f.address) for f in floating}
    findings = []
    for attr, rtype in (("arecord", "A"), ("aaaarecord", "AAAA")):
        for value in entry.get(attr) or ():
            if normal_address(value) in current:
                continue
            findings.append(Finding(
                STALE_RECORD, f"{fqdn} {rtype} {value}", owner.instance_id, owner.project_id,
                f"{value} is no longer an address of the instance",
                tuple(dns.unpublish(zone, name, value, ipa.zones))))
    return findings


def _missing_records(fqdn: str, owner: ownership.Owner, ipa: IpaInventory,
                     floating: list[FloatingIp]) -> list[Finding]:
    """Floating IPs of the instance without their address record: attached while
    novajoin-notify was down, or its notification lost."""
    _, _, entry = ipa.records.get(fqdn) or ("", "", {})
    held = {normal_address(v) for attr in ("arecord", "aaaarecord") for v in entry.get(attr) or ()}
    findings = []
    for fip in sorted(floating, key=lambda f: f.address):
        if normal_address(fip.address) in held:
            continue
        rtype = dns.record_type(fip.address).removesuffix("record").upper()
        findings.append(Finding(
            MISSING_RECORD, f"{fqdn} {rtype} {fip.address}", owner.instance_id,
            owner.project_id, f"floating IP {fip.address} of the instance has no record",
            tuple(dns.point_address(fip.address, ipa.zones, fqdn, [], ())), owner.tag()))
    return findings


def normal_address(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address


def summary(findings: Iterable[Finding]) -> str:
    """``orphan_host 2, stale_record 1``: the count of each kind found."""
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    return ", ".join(f"{k} {counts[k]}" for k in KINDS if k in counts)
