"""Gathering the inventories from IPA and nova, and applying fixes: the reconcile runner."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable

from novajoin import audit, exception, openstack
from novajoin.domain import ownership
from novajoin.domain.calls import ALREADY, IpaCall, Outcome
from novajoin.lifecycle import Lifecycle
from novajoin.reconcile.compare import (
    _ORPHANS,
    MISSING_RECORD,
    ORPHAN_SERVICE,
    UNENROLLED,
    Finding,
    FloatingIp,
    Instance,
    IpaInventory,
    NovaInventory,
    Report,
    Status,
    compare,
    normal_address,
    old_otp_hosts,
    orphan_hosts,
    record_hosts,
)

LOG = logging.getLogger(__name__)

MIN_MICROVERSION = (2, 69)  # from 2.69 nova lists servers of unreachable cells as UNKNOWN
_PARTITION = "0123456789abcdef-"  # how a truncated host search is split: instance id prefixes
_MAX_DEPTH = 3


Progress = Callable[[str, int, "int | None"], None]


class Reconciler:
    """Reads IPA and nova, compares them, and (when asked) applies the fixes.

    :param lifecycle: the listener's use cases (its IPA client, the zones it
        remembers, and the enroller whose memory a fix clears);
    :param cloud: nova's servers of all projects (``compute()``).
    :param max_unenrolled_age: hours; 0 turns the never-enrolled check off.
    :param progress: called as ``progress(stage, done, total)`` while working;
        it may raise to abort the run.
    """

    def __init__(self, lifecycle: Lifecycle, cloud, *, max_unenrolled_age: float = 24.0,
                 page_size: int = 1000, batch_size: int = 100, host_sizelimit: int = 0,
                 progress: Progress | None = None, clock=None) -> None:
        self._ipa = lifecycle.ipa
        self._enroller = lifecycle.enroller
        self._cloud = cloud
        self.max_age = datetime.timedelta(hours=max_unenrolled_age) or None
        self.page_size, self.batch_size, self.host_sizelimit = (page_size, batch_size,
                                                                host_sizelimit)
        self.progress = progress or (lambda stage, done, total: None)
        self.clock = clock or (lambda: datetime.datetime.now(datetime.timezone.utc))
        self._life = lifecycle

    def run(self, apply: bool = False) -> Report:
        ipa = self.ipa_inventory()
        try:
            nova = self.nova_inventory()
        except exception.IncompleteInventory as exc:
            LOG.warning("%s: nothing will be changed", exc)
            nova = exc.partial
        nova.floating_ips = self.floating_ips(ipa.warnings)
        self.ipa_details(ipa, nova)
        findings = compare(ipa, nova, now=self.clock(), max_age=self.max_age,
                           otp_for=self._enroller.otp)
        report = Report(findings, nova.incomplete, ipa.warnings, hosts=len(ipa.hosts),
                        instances=len(nova.instances))
        if apply:
            self.apply(report)
        return report

    # -- IPA ----------------------------------------------------------------------

    def ipa_inventory(self) -> IpaInventory:
        ipa = IpaInventory(hosts={}, zones=self._life.zones(),
                           deployment=self._life.deployment)
        self._find_hosts(ipa, "novajoin owner", "", 0)
        return ipa

    def _find_hosts(self, ipa: IpaInventory, criteria: str, prefix: str, depth: int) -> None:
        """host_find of the owner tags; a truncated answer is split by instance id prefix."""
        found = self._ipa.call("host_find", criteria, sizelimit=self.host_sizelimit)
        for entry in found["result"]:
            if ownership.read(entry, ipa.deployment) is not None:
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
            if o.ok and not o.unwrap().get("truncated"):
                ipa.services[h] = o.unwrap()["result"]
        where = record_hosts(ipa, nova)
        for h, o in zip(where, self._read("ipa dns records", [
                IpaCall("dnsrecord_find", (zone,), {"idnsname": name, "sizelimit": 0})
                for zone, name in where.values()]), strict=True):
            if o.ok and o.unwrap()["result"]:
                ipa.records[h] = (*where[h], o.unwrap()["result"][0])
        overdue = old_otp_hosts(ipa, nova, self.clock(), self.max_age)
        ipa.shown.update(self._shown(overdue, "ipa hosts shown"))

    def _shown(self, hosts: list[str], stage: str | None) -> dict[str, dict]:
        return {o.call.args[0]: o.unwrap()["result"] for o in self._read(
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
            outcomes += self._ipa.batch(calls[start:start + self.batch_size])
            if stage:
                self.progress(stage, len(outcomes), len(calls))
        return outcomes

    # -- nova -----------------------------------------------------------------------

    def nova_inventory(self) -> NovaInventory:
        """Every server of every project; :class:`exception.IncompleteInventory` unless complete."""
        instances: dict[str, Instance] = {}

        def incomplete(reason: str) -> exception.IncompleteInventory:
            return exception.IncompleteInventory(NovaInventory(instances, reason), reason=reason)

        compute = self._cloud.compute()  # no credentials: a configuration error
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

    def floating_ips(self, warnings: list[str]) -> dict[str, list[FloatingIp]] | None:
        """neutron's floating IPs on instances' ports, by instance; None (with a warning)
        when neutron cannot be asked: then no record is reported missing."""
        try:
            listed = self._cloud.attached_floating_ips()
        except (exception.CloudUnavailable, exception.CloudMisconfigured) as exc:
            warnings.append(f"floating IPs not compared: {exc.message}")
            return None
        found: dict[str, list[FloatingIp]] = {}
        for fip_id, address, project_id, instance_id in listed:
            found.setdefault(instance_id, []).append(
                FloatingIp(fip_id, address, project_id, instance_id))
        self.progress("neutron floating ips", len(listed), None)
        return found

    # -- fixing ---------------------------------------------------------------------

    def apply(self, report: Report) -> None:
        """Send the fixes, instance by instance, each checked again just before."""
        report.applied = True
        if report.incomplete:
            for f in report.findings:
                f.status = Status.WITHHELD
            return
        groups: dict[tuple[str, str], list[Finding]] = {}
        for f in report.findings:
            if not f.fix:
                f.status = Status.MANUAL
                continue
            family = "orphan" if f.kind in _ORPHANS else f.kind
            groups.setdefault((f.instance.lower(), family), []).append(f)
        done = 0
        for (iid, family), group in groups.items():
            orphaned = family == "orphan"
            valid = self._still_valid(iid, family, group)
            outcomes = iter(self._send(None, [c for f in valid for c in f.fix]))
            revoked = self._verify_revoked(valid) if family == UNENROLLED else {}
            for f in valid:
                sent = [next(outcomes) for _ in f.fix]
                # host_del(updatedns) and IPA's resolver failing: InternalError after the
                # services are gone; remove the records by name, as the listener does.
                unresolved = [o.call.args[0] for o in sent if o.call.method == "host_del"
                              and o.call.options.get("updatedns")
                              and isinstance(o.error, exception.IpaInternalError)]
                if unresolved:
                    sent = [o for o in sent if o.call.method != "host_del"
                            or o.call.args[0] not in unresolved]
                    sent += self._send(None, self._life.without_updatedns(unresolved))
                errors = [o.error for o in sent
                          if o.error is not None and not isinstance(o.error, ALREADY)]
                f.status, f.error = ((Status.FAILED, errors[0].message) if errors
                                     else (Status.FIXED, ""))
                if f.status == Status.FIXED and revoked.get(f.object) is False:
                    f.status, f.error = Status.FAILED, ("host_show does not show the one-time "
                                                        "password replaced")
                audit.record("reconcile", f.status, instance=f.instance, project=f.project,
                             fqdn=f.object, kind=f.kind)
            if orphaned:
                self._enroller.forget(iid)
            done += len(group)
            self.progress("fixes", done, len(report.findings))

    def _still_valid(self, iid: str, family: str, group: list[Finding]) -> list[Finding]:
        """The findings of one instance that still hold; the others are skipped."""
        if family == "orphan":
            hosts = [f.object for f in group if f.kind != ORPHAN_SERVICE]
            shown = self._shown(hosts, None)
            moved = [h for h, e in shown.items()
                     if (ownership.read(e, self._life.deployment)
                          or ownership.Owner("", "")).instance_id.lower() != iid]
            return self._keep(group, lambda f: not moved, f"now owned otherwise: {moved}")
        if family == UNENROLLED:
            shown = self._shown([f.object for f in group], None)

            def unchanged(f: Finding) -> bool:
                entry = shown.get(f.object) or {}
                owner = ownership.read(entry, self._life.deployment)
                return bool(entry.get("has_password")) and owner is not None and \
                    owner.tag() == f.tag
            return self._keep(group, unchanged,
                              "the one-time password was used or reset meanwhile")
        floating = self._floating_now(iid, group[0].project)
        if family == MISSING_RECORD:
            return self._keep(group, lambda f: floating is not None
                              and normal_address(f.object.rsplit(" ", 1)[1]) in floating,
                              "neutron no longer lists the floating IP on the instance, "
                              "or could not be asked")
        current = self._addresses_now(iid)
        if current is not None and floating is not None:
            current |= floating
        return self._keep(group, lambda f: current is not None and floating is not None
                          and normal_address(f.object.rsplit(" ", 1)[1]) not in current,
                          "nova or neutron lists the address again, or could not be asked")

    def _verify_revoked(self, group: list[Finding]) -> dict[str, bool]:
        """host_show after the fix: the host must carry the fix's owner tag and still a
        password (the new generation's); IPA can show nothing more (userPassword is not
        readable)."""
        shown = self._shown([f.object for f in group], None)
        result = {}
        for f in group:
            entry = shown.get(f.object) or {}
            wanted = f.fix[0].options.get("description")
            result[f.object] = bool(entry.get("has_password")) and \
                (entry.get("description") or [None])[0] == wanted
        return result

    @staticmethod
    def _keep(group: list[Finding], holds: Callable[[Finding], bool],
              why: str) -> list[Finding]:
        kept = []
        for f in group:
            if holds(f):
                kept.append(f)
            else:
                f.status, f.error = Status.SKIPPED, why
        return kept

    def _floating_now(self, iid: str, project_id: str) -> frozenset[str] | None:
        """The instance's floating addresses of its own project per neutron right now;
        None when neutron cannot be asked."""
        try:
            return frozenset(normal_address(address) for _, address, project
                             in self._cloud.floating_ips(iid) if project == project_id)
        except (exception.CloudUnavailable, exception.CloudMisconfigured):
            LOG.warning("Cannot ask neutron about instance %s", iid, exc_info=True)
            return None

    def _addresses_now(self, iid: str) -> frozenset[str] | None:
        """The instance's addresses per nova right now; empty when it is gone."""
        sdk_exc = openstack.sdk().exceptions

        try:
            return _instance(self._cloud.compute().get_server(iid)).addresses
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
        normal_address(a["addr"]) for net in (server.addresses or {}).values() for a in net
        if a.get("addr"))
    return Instance(str(server.id).lower(), server.project_id, status, created, addresses)
