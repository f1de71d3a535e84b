"""What happens in IPA when an instance changes: delete, rebuild, metadata update, floating IPs.

Every action finds the instance's entries by their owner tag (see
:mod:`novajoin.domain.ownership`), so it needs nothing but the notification's
payload: no Glance or nova lookup on the delete path, and no entry the
instance does not own is touched, whatever the payload's names say.

Each action is idempotent: a redelivered delete of a host that is gone, or a
redelivered rebuild of a host already reset, is a success. IPA being
unavailable raises :class:`~novajoin.exception.IpaUnavailable` for the
listener to retry later; anything IPA refuses for good raises
:class:`~novajoin.exception.Refused`.
"""

from __future__ import annotations

import dataclasses
import logging

from novajoin import audit, cache, exception
from novajoin.describe import Describer
from novajoin.domain import dns, metadata, ownership, plan
from novajoin.domain.calls import ALREADY, IpaCall, Outcome
from novajoin.domain.events import FloatingIpEvent, InstanceEvent
from novajoin.enrollment import Enroller
from novajoin.ipa import IpaClient

LOG = logging.getLogger(__name__)
APPLIED_TTL = 3600.0  # seconds a delete, or the services applied, are remembered


def _deleted(instance_id: str) -> str:
    return f"deleted:{instance_id}"

class Lifecycle:
    """The listener's use cases; one per process, shared by the listener's threads.

    :param ipa: the IPA client; :param enroller: OTPs, service additions and the
        memory of answers to forget; :param describer: what an updated instance
        asks for; :param cloud: the device of a port (``port_device``), for
        floating IP events that do not name it.
    """

    def __init__(self, ipa: IpaClient, enroller: Enroller, describer: Describer, cloud,
                 deployment: str = ownership.DEFAULT, applied: cache.Memo | None = None
                 ) -> None:
        self.ipa = ipa
        # Service keys last applied per instance, and deleted instances ("deleted:<id>").
        self._applied = applied or cache.Memo("services", APPLIED_TTL)
        self.deployment = deployment
        self.enroller = enroller
        self.describer = describer
        self._cloud = cloud

    # -- reading ----------------------------------------------------------------

    def _owner(self, entry: dict) -> ownership.Owner | None:
        """The entry's owner in this deployment (another deployment's entry has none)."""
        return ownership.read(entry, self.deployment)

    def owned_hosts(self, instance_id: str, project_id: str | None = None) -> dict[str, dict]:
        """The host entries tagged as this instance's, by name."""
        found = self.ipa.call("host_find", instance_id, sizelimit=0)["result"]
        hosts = {}
        for entry in found:
            owner = self._owner(entry)
            if owner is None or owner.instance_id != instance_id:
                continue
            if project_id is not None and owner.project_id != project_id:
                continue
            hosts[entry["fqdn"][0]] = entry
        return hosts

    def main_host(self, hosts: dict[str, dict]) -> tuple[str, dict] | None:
        for name, entry in hosts.items():
            owner = self._owner(entry)
            if owner is not None and owner.kind == ownership.HOST:
                return name, entry
        return None

    def zones(self) -> list[str]:
        """IPA's DNS zones (names with a trailing dot), remembered for a while."""
        return self.ipa.dns_zones()

    # -- nova ---------------------------------------------------------------------

    def delete(self, event: InstanceEvent, gone: frozenset[str] = frozenset()) -> None:
        """Remove the instance's hosts, services and DNS records.

        :param gone: the instance's hosts already deleted (see :func:`plan.delete`).
        """
        self._applied.put(_deleted(event.instance_id), True)  # updates racing it stop
        hosts = self.owned_hosts(event.instance_id, event.project_id)
        if not hosts:
            LOG.info("Instance %s owns nothing in IPA; nothing to delete", event.instance_id)
            return
        # host_del(updatedns) reads the records as novajoin: unable to read DNS, it would
        # delete the host and leave them. dns_zones refuses that (cached, no round trip).
        self.zones()
        # Only services on the instance's sub-hosts need a look: another instance may still
        # manage one (a shared service). The services of the instance's own host go with it,
        # and IPA's referential integrity drops the host from any other service's managedBy.
        subhosts = sorted(h for h, entry in hosts.items()
                          if getattr(self._owner(entry), "kind", None) == ownership.SUBHOST)
        services: dict[str, dict] = {}
        for o in self._batch([IpaCall("service_find", (), {"man_by_host": h, "no_members": False,
                                                           "sizelimit": 0})
                              for h in subhosts]):
            for svc in o.unwrap()["result"]:
                services[svc["krbprincipalname"][0]] = svc
        removal = plan.delete(hosts, list(services.values()), gone)
        calls = removal.calls + self._hand_over(removal.kept_hosts)
        outcomes = self.ipa.batch(calls)
        # host_del(updatedns) finds the zone through the IPA server's own DNS resolver;
        # when that fails it answers InternalError 903 with the host's services already
        # gone (doc/freeipa-behaviour.md section 7). The records are in IPA's LDAP all
        # the same: remove them by name, then the host without updatedns.
        resolver_failed = [o.call.args[0] for o in outcomes
                           if o.call.method == "host_del" and o.call.options.get("updatedns")
                           and isinstance(o.error, exception.IpaInternalError)]
        self._check([o for o in outcomes if o.call.args[0] not in resolver_failed
                     or o.call.method != "host_del"], tolerate=ALREADY)
        if resolver_failed:
            LOG.warning("IPA could not resolve the DNS zone of %s (InternalError); removing "
                        "their records by name instead", ", ".join(resolver_failed))
            self._batch(self.without_updatedns(resolver_failed), tolerate=ALREADY)
        self.enroller.forget(event.instance_id)
        self._applied.forget(event.instance_id)
        self._audit(event, "delete", hosts=sorted(hosts),
                    kept=sorted(removal.kept_hosts))

    def without_updatedns(self, fqdns: list[str]) -> list[IpaCall]:
        """What host_del(updatedns) does to DNS, by name: the hosts' A, AAAA and SSHFP
        values and the PTR records of their addresses, then host_del without updatedns."""
        zones = self.zones()
        where = {h: p for h in fqdns if (p := dns.placement(h, zones)) is not None}
        calls: list[IpaCall] = []
        shown = self._batch([IpaCall("dnsrecord_show", w) for w in where.values()],
                            tolerate=(exception.IpaNotFound,))
        for (zone, name), o in zip(where.values(), shown, strict=True):
            record = (o.output or {}).get("result") or {}
            for attr in ("arecord", "aaaarecord"):
                for address in record.get(attr) or ():
                    calls += dns.unpublish(zone, name, address, zones)
            if record.get("sshfprecord"):
                calls.append(IpaCall("dnsrecord_del", (zone, name),
                                     {"sshfprecord": list(record["sshfprecord"])}))
        return calls + [IpaCall("host_del", (h,)) for h in fqdns]

    def _hand_over(self, kept: dict[str, list[str]]) -> list[IpaCall]:
        """Give each kept sub-host to the owner of another host that still manages it."""
        others = sorted({h for hosts in kept.values() for h in hosts})
        owners = {o.call.args[0]: self._owner(o.output["result"]) if o.ok and o.output
                  else None
                  for o in self._batch([IpaCall("host_show", (h,)) for h in others],
                                       tolerate=(exception.IpaNotFound,))}
        calls, unowned = plan.hand_over(kept, owners.get)
        for sub in unowned:
            LOG.warning("Sub-host %s is still used by %s, which novajoin does not own; "
                        "it keeps its old owner tag", sub, ", ".join(kept[sub]))
        return calls

    def rebuild(self, event: InstanceEvent, generation: int) -> None:
        """Let the rebuilt instance enroll again with a new OTP.

        ``generation`` comes from the notification (its time), so a
        redelivered rebuild changes nothing the second time.
        """
        main = self.main_host(self.owned_hosts(event.instance_id, event.project_id))
        if main is None:
            LOG.info("Instance %s has no host in IPA; nothing to reset", event.instance_id)
            return
        fqdn, entry = main
        owner = self._owner(entry)
        assert owner is not None
        if owner.generation >= generation:
            LOG.info("Host %s was already reset for this rebuild", fqdn)
            return
        # host_find does not say reliably whether the host has a keytab; host_show does.
        entry = self.ipa.call("host_show", fqdn)["result"]
        new = dataclasses.replace(owner, generation=generation)
        otp = self.enroller.otp(event.instance_id, generation)
        calls = plan.rebuild(fqdn, entry, new, otp)
        if any(c.method == "host_disable" for c in calls):
            self._check_services_disableable(fqdn)
        try:
            self._batch(calls, tolerate=ALREADY)
        except exception.IpaACIError as exc:
            if ",cn=services," not in exc.message:
                raise
            # A service got keys or a certificate since the check above.
            raise exception.RebuildBlocked(fqdn=fqdn, services="(see IPA: " +
                                           exc.message + ")") from exc
        self.enroller.forget(event.instance_id)
        self._audit(event, "rebuild", host=fqdn, generation=generation)

    def _check_services_disableable(self, fqdn: str) -> None:
        """Refuse the rebuild, changing nothing, when host_disable would have to disable
        services on the host's own name that hold keys or certificates.

        host_disable runs service_disable for each of them first: it revokes their
        certificates in the CA, then needs write access to the services' userCertificate
        and krbPrincipalKey, which novajoin's role does not have (doc/freeipa-behaviour.md
        section 3): the answer would be ACIError after the certificates were revoked,
        the same on every retry. So novajoin does not send it.
        """
        found = self.ipa.call("service_find", fqdn, sizelimit=0)["result"]
        own = [e["krbprincipalname"][0] for e in found
               if plan.principal_host(e["krbprincipalname"][0]).lower() == fqdn]
        if not own:
            return
        busy = []
        for o in self._batch([IpaCall("service_show", (p,)) for p in own],
                             tolerate=(exception.IpaNotFound,)):
            result = (o.output or {}).get("result") or {}
            if result.get("has_keytab") or result.get("usercertificate"):
                busy.append(o.call.args[0])
        if busy:
            raise exception.RebuildBlocked(fqdn=fqdn, services=", ".join(sorted(busy)))

    def update(self, event: InstanceEvent) -> None:
        """Add services the instance's metadata asks for since it booted.

        nova sends an update on every task-state change, in both formats: only one whose
        service keys differ from what was last applied for the instance costs IPA calls,
        none for an instance being deleted, and a delete wins over an update racing it.
        """
        md = event.metadata
        keys = metadata.service_keys(md)
        iid = event.instance_id
        if not keys or event.going or self._was_deleted(iid):
            return
        if self._applied.get(iid) == keys:
            return  # already applied (shared across listeners through the cache)
        main = self.main_host(self.owned_hosts(iid, event.project_id))
        if main is None:
            # Not enrolled (yet): the first vendordata call creates the host with the
            # services the metadata then asks for. The boot's further updates cost nothing.
            self._applied.put(iid, keys)
            return
        fqdn, entry = main
        e = self.describer.services_of(iid, event.project_id, fqdn, md)
        if e.fqdn != fqdn:
            raise exception.Refused(reason=f"instance {iid} is {fqdn} in IPA, not {e.fqdn}")
        self.enroller.add_services(e, entry)
        if self._was_deleted(iid):
            # The delete ran while the services were added: finish it again.
            self.delete(event, gone=frozenset({fqdn}))
            return
        self._applied.put(iid, keys)

    def _was_deleted(self, instance_id: str) -> bool:
        return self._applied.get(_deleted(instance_id)) is not cache.Memo.MISSING

    # -- neutron --------------------------------------------------------------------

    def floating_ip(self, event: FloatingIpEvent) -> None:
        """Point the floating address's A/AAAA and PTR records at its instance, or nowhere.

        Checked: the port is a compute port (``device_owner`` ``compute:*``, in the
        event's parsing), its device is an instance novajoin enrolled (owner tag), and
        that instance belongs to the floating IP's project. Records under other names
        are removed only where novajoin owns the name's host.
        """
        zones = self.zones()
        forward = dns.forward_zones(zones)
        target = None
        instance_id = event.instance_id
        if instance_id is None and event.port_id:
            instance_id = self._cloud.port_device(event.port_id)
        # A tenant may create its own port with device_owner=compute:nova and the
        # device_id of another project's instance: the address is published only under
        # a host whose owner tag names the floating IP's own project (and instance).
        if instance_id and event.project_id:
            main = self.main_host(self.owned_hosts(instance_id, event.project_id))
            if main is not None:
                target = main[0]
        record = dns.record_type(event.address)
        holders = []
        stored: dict[tuple[str, str], str] = {}
        for zone, o in zip(forward, self._batch(
                [IpaCall("dnsrecord_find", (zone,), {record: event.address, "sizelimit": 0})
                 for zone in forward]), strict=True):
            for r in o.unwrap()["result"]:
                holder = (zone, r["idnsname"][0])
                holders.append(holder)
                text = dns.stored_value(r, event.address)
                if text is not None:
                    stored[holder] = text
        owned = self._owned_names(dns.other_holders(holders, target, zones))
        calls = dns.point_address(event.address, zones, target, holders, owned, stored)
        self._batch(calls, tolerate=ALREADY)
        if calls:
            where = dns.placement(target, zones)
            audit.record("floating_ip", "ok", instance=instance_id, project=event.project_id,
                         fqdn=where and dns.fqdn(*where), address=event.address,
                         calls=[f"{c.method} {' '.join(c.args)}" for c in calls])

    def publish_floating_ips(self, instance_id: str, project_id: str) -> int:
        """Publish the floating IPs an instance already has when its host is first created.

        With real VMs the common order is ``server create`` then ``server add floating
        ip`` while the guest boots: neutron's notification arrives before the first
        vendordata call has created the host, so nothing published it. Returns how many
        addresses were pointed at the host. The same checks as for a notification apply.
        """
        count = 0
        for fip_id, address, fip_project in self._cloud.floating_ips(instance_id):
            self.floating_ip(FloatingIpEvent(fip_id, address, instance_id, None, fip_project))
            count += fip_project == project_id
        return count

    def _owned_names(self, names: list[str]) -> set[str]:
        """Which of these host names are hosts novajoin created."""
        if not names:
            return set()
        owned = set()
        for name, o in zip(names, self._batch([IpaCall("host_show", (n,)) for n in names],
                                              tolerate=(exception.IpaNotFound,)), strict=True):
            if o.ok and o.output and self._owner(o.output["result"]) is not None:
                owned.add(name)
        return owned

    # -- sending --------------------------------------------------------------------

    def _batch(self, calls: list[IpaCall], tolerate: tuple = ()) -> list[Outcome]:
        """Send ``calls``; see :meth:`_check` for what their errors become."""
        return self._check(self.ipa.batch(calls), tolerate)

    @staticmethod
    def _check(outcomes: list[Outcome], tolerate: tuple = ()) -> list[Outcome]:
        """Raise the first error not in ``tolerate``: as it is when its class says it is
        worth retrying (the CA down: NetworkError 907, CertificateOperationError 4301; a
        right novajoin's role lacks), so the listener requeues; otherwise as
        :class:`~novajoin.exception.Refused`, which it drops."""
        for o in outcomes:
            if o.error is None or isinstance(o.error, tolerate):
                continue
            if o.error.retryable:
                raise o.error
            args = " ".join(map(str, o.call.args))
            raise exception.Refused(reason=f"{o.call.method} {args}: {o.error.message}")
        return outcomes

    @staticmethod
    def _audit(event: InstanceEvent, operation: str, **details) -> None:
        audit.record(operation, "ok", instance=event.instance_id, project=event.project_id,
                     **details)
