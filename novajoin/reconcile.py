"""Drift between nova and the IPA entries novajoin owns, found and fixed.

Notifications can be lost (a listener down longer than the queue's TTL, a
port deleted with its floating IP, which neutron reports with no floating IP
event), and a guest may never use its one-time password, which IPA keeps
forever. This module compares what nova has with what IPA holds and says,
per IPA object, what is wrong and which IPA calls fix it:

* ``orphan_host``, ``orphan_subhost``, ``orphan_service``: entries of an
  instance nova no longer has. The fix is what the listener does on a delete
  (:func:`plan.delete`, :func:`lifecycle.hand_over`);
* ``stale_record``: an A/AAAA value of an instance's host that is none of the
  instance's addresses any more (fixed or floating), with its PTR record;
* ``unenrolled``: a host whose one-time password is still set long after its
  instance was created or rebuilt; the fix clears the password (novajoin
  hands out a new one if the guest asks again).

:func:`compare` is pure and tested as tables; :class:`Reconciler` gathers the
inventories and applies fixes. IPA is read *before* nova: a host seen in IPA
was created after its instance, so an instance missing from the later nova
listing is really gone. Deleting rests on nova's listing being complete: any
error, or servers of an unreachable cell, make it :class:`exception.IncompleteInventory`
and nothing is changed. Each fix is checked again against IPA (or nova) just
before it is sent, so an entry that changed meanwhile is left alone.
"""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
import logging
import threading
from collections.abc import Callable, Iterable

from novajoin import audit, exception, lifecycle
from novajoin.domain import ownership, plan
from novajoin.domain.calls import IpaCall, Outcome
from novajoin.domain.naming import split_in_zone

LOG = logging.getLogger(__name__)

ORPHAN_HOST, ORPHAN_SUBHOST, ORPHAN_SERVICE = "orphan_host", "orphan_subhost", "orphan_service"
STALE_RECORD, UNENROLLED = "stale_record", "unenrolled"
KINDS = (ORPHAN_HOST, ORPHAN_SUBHOST, ORPHAN_SERVICE, STALE_RECORD, UNENROLLED)
_ORPHANS = (ORPHAN_HOST, ORPHAN_SUBHOST, ORPHAN_SERVICE)
# Finding status: found (dry run), fixed, failed, skipped (changed since the inventory),
# manual (no automatic fix), withheld (nova's listing is incomplete).
MIN_MICROVERSION = (2, 69)  # from 2.69 nova lists servers of unreachable cells as UNKNOWN
_FORWARD = ("in-addr.arpa.", "ip6.arpa.")
_PARTITION = "0123456789abcdef-"  # how a truncated host search is split: instance id prefixes
_MAX_DEPTH = 3


# -- inventories and findings ------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Instance:
    """What reconcile needs of a nova server; ``addresses`` None when nova does not know."""

    id: str
    project_id: str | None = None
    status: str = "ACTIVE"
    created: datetime.datetime | None = None
    addresses: frozenset[str] | None = frozenset()


@dataclasses.dataclass
class NovaInventory:
    instances: dict[str, Instance]  # by lower-case id
    incomplete: str | None = None


@dataclasses.dataclass
class IpaInventory:
    """novajoin's hosts (host_find entries, by name) and details read for some of them."""

    hosts: dict[str, dict]
    zones: list[str] = dataclasses.field(default_factory=list)
    services: dict[str, list[dict]] = dataclasses.field(default_factory=dict)  # by manager
    records: dict[str, tuple[str, str, dict]] = dataclasses.field(default_factory=dict)
    shown: dict[str, dict] = dataclasses.field(default_factory=dict)  # host_show entries
    warnings: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Finding:
    kind: str
    object: str  # host name, principal, or "<host> A|AAAA <address>"
    instance: str
    project: str
    reason: str
    fix: tuple[IpaCall, ...] = ()
    tag: str = ""  # the owner tag seen; a fix is skipped when it changed meanwhile
    status: str = "found"
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
    return {fqdn: o for fqdn, e in ipa.hosts.items() if (o := ownership.read(e)) is not None}


def _by_instance(owners: dict[str, ownership.Owner]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for fqdn, owner in sorted(owners.items()):
        groups.setdefault(owner.instance_id.lower(), []).append(fqdn)
    return groups


def orphan_hosts(ipa: IpaInventory, nova: NovaInventory) -> list[str]:
    """Hosts whose instance nova does not list: their services must be read."""
    return sorted(h for h, o in _owners(ipa).items() if o.instance_id.lower() not in nova.instances)


def _main_hosts(ipa: IpaInventory, nova: NovaInventory):
    for fqdn, owner in sorted(_owners(ipa).items()):
        instance = nova.instances.get(owner.instance_id.lower())
        if owner.kind == ownership.HOST and instance is not None:
            yield fqdn, owner, instance


def record_hosts(ipa: IpaInventory, nova: NovaInventory) -> dict[str, tuple[str, str]]:
    """Main hosts of listed instances whose addresses nova knows, with (zone, name)."""
    forward = [z for z in ipa.zones if not z.endswith(_FORWARD)]
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


def compare(ipa: IpaInventory, nova: NovaInventory, *, now: datetime.datetime,
            max_age: datetime.timedelta | None) -> list[Finding]:
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
            findings += _stale_records(fqdn, owner, inst, ipa)
        shown = ipa.shown.get(fqdn)
        if fqdn in overdue and shown and shown.get("has_password") and not shown.get(
                "has_keytab") and ownership.read(shown) == owner:
            issued = _otp_issued(owner, inst)
            assert issued is not None
            hours = (now - issued).total_seconds() / 3600
            findings.append(Finding(
                UNENROLLED, fqdn, owner.instance_id, owner.project_id,
                f"one-time password unused since {issued:%Y-%m-%d %H:%M} UTC ({hours:.0f} h)",
                (IpaCall("host_mod", (fqdn,), {"setattr": ["userpassword="]}),), owner.tag()))
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

    handed, _ = lifecycle.hand_over(removal.kept_hosts, live_owner)
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
                   ipa: IpaInventory) -> list[Finding]:
    zone, name, entry = ipa.records.get(fqdn) or ("", "", {})
    findings = []
    for attr, rtype in (("arecord", "A"), ("aaaarecord", "AAAA")):
        for value in entry.get(attr) or ():
            if _normal(value) in (inst.addresses or ()):
                continue
            findings.append(Finding(
                STALE_RECORD, f"{fqdn} {rtype} {value}", owner.instance_id, owner.project_id,
                f"{value} is no longer an address of the instance",
                tuple(lifecycle.unpublish(zone, name, value, ipa.zones))))
    return findings


def _normal(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address


# -- gathering and fixing ---------------------------------------------------------

Progress = Callable[[str, int, "int | None"], None]

_ALREADY = lifecycle._ALREADY  # gone already, or already as wanted: fixed


class Reconciler:
    """Reads IPA and nova, compares them, and (when asked) applies the fixes.

    :param max_unenrolled_age: hours; 0 turns the never-enrolled check off.
    :param progress: called as ``progress(stage, done, total)`` while working;
        it may raise to abort the run.
    """

    def __init__(self, core, *, max_unenrolled_age: float = 24.0, page_size: int = 1000,
                 batch_size: int = 100, host_sizelimit: int = 0,
                 progress: Progress | None = None, clock=None) -> None:
        self.core = core
        self.max_age = datetime.timedelta(hours=max_unenrolled_age) or None
        self.page_size, self.batch_size, self.host_sizelimit = (page_size, batch_size,
                                                                host_sizelimit)
        self.progress = progress or (lambda stage, done, total: None)
        self.clock = clock or (lambda: datetime.datetime.now(datetime.timezone.utc))
        self._life = lifecycle.Lifecycle(core)

    def run(self, apply: bool = False) -> Report:
        ipa = self.ipa_inventory()
        try:
            nova = self.nova_inventory()
        except exception.IncompleteInventory as exc:
            LOG.warning("%s: nothing will be changed", exc)
            nova = exc.partial
        self.ipa_details(ipa, nova)
        findings = compare(ipa, nova, now=self.clock(), max_age=self.max_age)
        report = Report(findings, nova.incomplete, ipa.warnings, hosts=len(ipa.hosts),
                        instances=len(nova.instances))
        if apply:
            self.apply(report)
        return report

    # -- IPA ----------------------------------------------------------------------

    def ipa_inventory(self) -> IpaInventory:
        ipa = IpaInventory(hosts={}, zones=self._life.zones())
        self._find_hosts(ipa, "novajoin owner", "", 0)
        return ipa

    def _find_hosts(self, ipa: IpaInventory, criteria: str, prefix: str, depth: int) -> None:
        """host_find of the owner tags; a truncated answer is split by instance id prefix."""
        found = self.core.ipa.call("host_find", criteria, sizelimit=self.host_sizelimit)
        for entry in found["result"]:
            if ownership.read(entry) is not None:
                ipa.hosts[entry["fqdn"][0]] = entry
        self.progress("ipa hosts", len(ipa.hosts), None)
        if not found.get("truncated"):
            return
        if depth >= _MAX_DEPTH:
            ipa.warnings.append(f"IPA truncated the host search {criteria!r}: some of "
                                f"novajoin's hosts were not compared")
            return
        for c in _PARTITION:
            self._find_hosts(ipa, f"instance={prefix}{c}", prefix + c, depth + 1)

    def ipa_details(self, ipa: IpaInventory, nova: NovaInventory) -> None:
        """Services of orphaned hosts, records of live main hosts, OTP state of old ones."""
        orphans = orphan_hosts(ipa, nova)
        for h, o in zip(orphans, self._read("ipa services", [
                IpaCall("service_find", (), {"man_by_host": h, "no_members": False,
                                             "sizelimit": 0}) for h in orphans]), strict=True):
            if o.ok and not o.output.get("truncated"):
                ipa.services[h] = o.output["result"]
        where = record_hosts(ipa, nova)
        for h, o in zip(where, self._read("ipa dns records", [
                IpaCall("dnsrecord_find", (zone,), {"idnsname": name, "sizelimit": 0})
                for zone, name in where.values()]), strict=True):
            if o.ok and o.output["result"]:
                ipa.records[h] = (*where[h], o.output["result"][0])
        overdue = old_otp_hosts(ipa, nova, self.clock(), self.max_age)
        ipa.shown.update(self._shown(overdue, "ipa hosts shown"))

    def _shown(self, hosts: list[str], stage: str | None) -> dict[str, dict]:
        return {o.call.args[0]: o.output["result"] for o in self._read(
            stage, [IpaCall("host_show", (h,)) for h in hosts]) if o.ok}

    def _read(self, stage: str | None, calls: list[IpaCall]) -> list[Outcome]:
        """Send read calls in batches; a missing entry is an outcome, other errors raise."""
        outcomes = self._send(stage, calls)
        for o in outcomes:
            if o.error is not None and not isinstance(o.error, exception.IpaNotFound):
                raise o.error
        return outcomes

    def _send(self, stage: str | None, calls: list[IpaCall]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for start in range(0, len(calls), self.batch_size):
            outcomes += self.core.ipa.batch(calls[start:start + self.batch_size])
            if stage:
                self.progress(stage, len(outcomes), len(calls))
        return outcomes

    # -- nova -----------------------------------------------------------------------

    def nova_inventory(self) -> NovaInventory:
        """Every server of every project; :class:`exception.IncompleteInventory` unless complete."""
        instances: dict[str, Instance] = {}

        def incomplete(reason: str) -> exception.IncompleteInventory:
            return exception.IncompleteInventory(NovaInventory(instances, reason), reason=reason)

        compute = self.core.cloud.compute()  # no credentials: a configuration error
        try:
            endpoint = compute.get_endpoint_data()
            newest = getattr(endpoint, "max_microversion", None)
            if not newest or tuple(newest) < MIN_MICROVERSION:
                raise incomplete("nova's API is older than 2.69: it leaves out the servers "
                                 "of cells it cannot reach")
            for server in compute.servers(details=True, all_projects=True,
                                          limit=self.page_size):
                instance = _instance(server)
                instances[instance.id] = instance
                self.progress("nova servers", len(instances), None)
        except exception.IncompleteInventory:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever broke, the listing is not complete
            raise incomplete(f"listing failed after {len(instances)} servers: "
                             f"{type(exc).__name__}: {exc}") from exc
        down = sorted(i.id for i in instances.values() if i.status == "UNKNOWN")
        if down:
            raise incomplete(f"{len(down)} servers are in cells nova cannot reach "
                             f"(status UNKNOWN), e.g. {down[0]}")
        return NovaInventory(instances)

    # -- fixing ---------------------------------------------------------------------

    def apply(self, report: Report) -> None:
        """Send the fixes, instance by instance, each checked again just before."""
        report.applied = True
        if report.incomplete:
            for f in report.findings:
                f.status = "withheld"
            return
        groups: dict[tuple[str, str], list[Finding]] = {}
        for f in report.findings:
            if not f.fix:
                f.status = "manual"
                continue
            family = "orphan" if f.kind in _ORPHANS else f.kind
            groups.setdefault((f.instance.lower(), family), []).append(f)
        done = 0
        for (iid, family), group in groups.items():
            orphaned = family == "orphan"
            valid = self._still_valid(iid, family, group)
            outcomes = iter(self._send(None, [c for f in valid for c in f.fix]))
            for f in valid:
                errors = [o.error for o in (next(outcomes) for _ in f.fix)
                          if o.error is not None and not isinstance(o.error, _ALREADY)]
                f.status, f.error = ("failed", errors[0].message) if errors else ("fixed", "")
                audit.record("reconcile", f.status, instance=f.instance, project=f.project,
                             fqdn=f.object, kind=f.kind)
            if orphaned:
                self.core.enroller.forget(iid)
            done += len(group)
            self.progress("fixes", done, len(report.findings))

    def _still_valid(self, iid: str, family: str, group: list[Finding]) -> list[Finding]:
        """The findings of one instance that still hold; the others are skipped."""
        if family == "orphan":
            hosts = [f.object for f in group if f.kind != ORPHAN_SERVICE]
            shown = self._shown(hosts, None)
            moved = [h for h, e in shown.items()
                     if (ownership.read(e) or ownership.Owner("", "")).instance_id.lower() != iid]
            return self._keep(group, lambda f: not moved, f"now owned otherwise: {moved}")
        if family == UNENROLLED:
            shown = self._shown([f.object for f in group], None)

            def unchanged(f: Finding) -> bool:
                entry = shown.get(f.object) or {}
                owner = ownership.read(entry)
                return bool(entry.get("has_password")) and owner is not None and \
                    owner.tag() == f.tag
            return self._keep(group, unchanged,
                              "the one-time password was used or reset meanwhile")
        current = self._addresses_now(iid)
        return self._keep(group, lambda f: current is not None
                          and _normal(f.object.rsplit(" ", 1)[1]) not in current,
                          "nova lists the address again, or could not be asked")

    @staticmethod
    def _keep(group: list[Finding], holds: Callable[[Finding], bool],
              why: str) -> list[Finding]:
        kept = []
        for f in group:
            if holds(f):
                kept.append(f)
            else:
                f.status, f.error = "skipped", why
        return kept

    def _addresses_now(self, iid: str) -> frozenset[str] | None:
        """The instance's addresses per nova right now; empty when it is gone."""
        from openstack import exceptions as sdk_exc

        try:
            return _instance(self.core.cloud.compute().get_server(iid)).addresses
        except sdk_exc.NotFoundException:
            return frozenset()
        except Exception:  # noqa: BLE001 - no answer: uncertain, so nothing is removed
            LOG.warning("Cannot ask nova about instance %s", iid, exc_info=True)
            return None


def _instance(server) -> Instance:
    """An openstacksdk Server as reconcile sees it (down-cell records know little)."""
    created = None
    if server.created_at:
        created = datetime.datetime.fromisoformat(str(server.created_at).replace("Z", "+00:00"))
        if created.tzinfo is None:
            created = created.replace(tzinfo=datetime.timezone.utc)
    status = str(server.status or "UNKNOWN").upper()
    addresses = None if status == "UNKNOWN" else frozenset(
        _normal(a["addr"]) for net in (server.addresses or {}).values() for a in net
        if a.get("addr"))
    return Instance(str(server.id).lower(), server.project_id, status, created, addresses)


# -- the periodic run inside novajoin-notify -----------------------------------------

class Periodic:
    """Runs a reconciliation every ``reconcile_interval`` seconds in a background thread,
    counting findings and fixes per kind in the listener's :class:`Counters`."""

    def __init__(self, conf, core, counters) -> None:
        self.conf, self.core, self.counters = conf, core, counters
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="novajoin-reconcile",
                                        daemon=True)
        self._thread.start()
        LOG.info("Reconciling every %d s (%s)", self.conf.reconcile_interval,
                 "fixing" if self.conf.reconcile_apply else "report only")

    def stop(self, timeout: float = 30) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stopping.wait(self.conf.reconcile_interval):
            self.run_once()

    def _check(self, stage: str, done: int, total: int | None) -> None:
        if self._stopping.is_set():
            raise exception.Stopping()

    def run_once(self) -> Report | None:
        try:
            report = Reconciler(self.core, max_unenrolled_age=self.conf.max_unenrolled_age,
                                progress=self._check).run(apply=self.conf.reconcile_apply)
        except exception.Stopping:
            return None
        except Exception:  # noqa: BLE001 - the thread must live on to the next run
            LOG.exception("Reconciliation failed")
            self.counters.add("reconcile", "error")
            return None
        self.counters.add("reconcile", "incomplete" if report.incomplete else "complete")
        for f in report.findings:
            self.counters.add(f"reconcile.{f.kind}", "found")
            if f.status != "found":
                self.counters.add(f"reconcile.{f.kind}", f.status)
        log = LOG.warning if report.findings or report.incomplete else LOG.info
        log("Reconciliation: %d findings (%s), %d fixed%s", len(report.findings),
            summary(report.findings) or "none",
            sum(f.status == "fixed" for f in report.findings),
            f"; {report.incomplete}" if report.incomplete else "")
        return report


def summary(findings: Iterable[Finding]) -> str:
    """``orphan_host 2, stale_record 1``: the count of each kind found."""
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    return ", ".join(f"{k} {counts[k]}" for k in KINDS if k in counts)
