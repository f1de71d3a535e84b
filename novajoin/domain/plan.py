"""From what an instance needs to the IPA calls that make it so. No I/O here.

Enrollment is planned for one round trip in the common case, a first boot:

1. :func:`create` — one ``batch`` that adds the host with its OTP and owner
   tag, its sub-hosts, and its services with their ``managedBy`` set *in the
   same call* (``addattr``), so an existing service is never modified: its
   ``service_add`` just fails with DuplicateEntry.
2. :func:`review` — sorts the batch's outcomes: what this request created,
   what already existed, what failed otherwise.
3. Only when something already existed (a repeated request, a rebuild, a
   name collision): :func:`inspect` reads those entries and :func:`decide`
   compares their owner tags with this instance. Entries of another owner are
   conflicts: nothing of theirs is touched, and what this request created is
   undone.

The executor (:mod:`novajoin.enrollment`) sends the calls; tests drive these
functions as tables.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from novajoin import exception
from novajoin.domain import dns, ownership
from novajoin.domain.calls import Entry, IpaCall, Outcome
from novajoin.domain.naming import Principal
from novajoin.domain.ownership import Owner


def host_dn(fqdn: str, basedn: str) -> str:
    return f"fqdn={fqdn},cn=computers,cn=accounts,{basedn}"


@dataclasses.dataclass(frozen=True)
class Enrollment:
    """What one instance needs in IPA, computed from nova's request.

    :param shared_hosts: sub-hosts of principals allowed by the project's
        ``allowed_services``; another instance of the same project may own them.
    """

    fqdn: str
    owner: Owner
    host_attrs: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    services: tuple[Principal, ...] = ()
    shared_hosts: frozenset[str] = frozenset()

    @property
    def subhosts(self) -> list[str]:
        return sorted({p.host for p in self.services if p.host != self.fqdn})

    def fingerprint(self) -> tuple[object, ...]:
        """What a cached answer must match to be reused for a new request."""
        return (self.fqdn, self.owner.instance_id, self.owner.project_id,
                tuple(sorted(self.host_attrs.items())), tuple(sorted(map(str, self.services))))


def create(e: Enrollment, otp: str, basedn: str, with_host: bool = True,
           zones: Sequence[str] = ()) -> list[IpaCall]:
    """The first-boot batch; without the host itself when it is known to exist.

    It begins by reading the DNS records of every name it is about to add, in the zones
    IPA manages (``zones``): a name that has records but no host entry is someone
    else's (``ipa-ca``, a corporate ``www``), and the request is refused (see
    :func:`decide`). The reads run first within the same batch, so this costs no round
    trip.
    """
    calls = []
    for name in ([e.fqdn] if with_host else []) + e.subhosts:
        where = dns.placement(name, zones)
        if where is not None:
            calls.append(IpaCall("dnsrecord_show", where))
    if with_host:
        calls.append(IpaCall("host_add", (e.fqdn,), {
            "force": True, "userpassword": otp, "description": e.owner.tag(), **e.host_attrs}))
    sub_tag = e.owner.of_subhost().tag()
    calls += [IpaCall("host_add", (sub,), {"force": True, "description": sub_tag})
              for sub in e.subhosts]
    for p in e.services:
        managers = [p.host] if p.host == e.fqdn else [p.host, e.fqdn]
        calls.append(IpaCall("service_add", (str(p),), {
            "force": True, "addattr": [f"managedby={host_dn(h, basedn)}" for h in managers]}))
    return calls


@dataclasses.dataclass
class Review:
    created_hosts: list[str] = dataclasses.field(default_factory=list)
    created_services: list[Principal] = dataclasses.field(default_factory=list)
    existing_hosts: list[str] = dataclasses.field(default_factory=list)
    existing_services: list[Principal] = dataclasses.field(default_factory=list)
    named_in_dns: list[str] = dataclasses.field(default_factory=list)  # names with records
    failures: list[Outcome] = dataclasses.field(default_factory=list)

    @property
    def clean(self) -> bool:
        """Everything was created now: a first boot with nothing more to check."""
        return not (self.existing_hosts or self.existing_services or self.failures
                    or self.named_in_dns)


def review(e: Enrollment, outcomes: list[Outcome]) -> Review:
    r = Review()
    services = {str(p): p for p in e.services}
    for o in outcomes:
        if o.call.method == "dnsrecord_show":
            if o.ok:
                r.named_in_dns.append(dns.fqdn(*o.call.args))
            elif not isinstance(o.error, exception.IpaNotFound):
                r.failures.append(o)
            continue
        name = o.call.args[0]
        is_host = o.call.method == "host_add"
        if not (o.ok or isinstance(o.error, exception.IpaDuplicateEntry)):
            r.failures.append(o)
        elif is_host:
            (r.created_hosts if o.ok else r.existing_hosts).append(name)
        else:
            (r.created_services if o.ok else r.existing_services).append(services[name])
    return r


def inspect(r: Review) -> list[IpaCall]:
    """Read back what already existed, to check whose it is."""
    return ([IpaCall("host_show", (h,)) for h in r.existing_hosts]
            + [IpaCall("service_show", (str(p),)) for p in r.existing_services])


@dataclasses.dataclass
class Decision:
    conflicts: list[str] = dataclasses.field(default_factory=list)
    calls: list[IpaCall] = dataclasses.field(default_factory=list)
    undo: list[IpaCall] = dataclasses.field(default_factory=list)
    enrolled: bool = False
    disabled: bool = False  # no keys and no password: not re-armed, no OTP answered
    generation: int = 0


RELEASED = ("novajoin created this host for a request it refused; it carries a service "
            "novajoin did not create, so it was left in place")


def undo(e: Enrollment, r: Review) -> list[IpaCall]:
    """Delete what this request created (host_del takes a host's services along).

    A host this request created under a service that existed without its host (an
    administrator's) is not deleted, since host_del would take that service along: it
    loses novajoin's owner tag instead, so that no delete of novajoin's ever reaches it.
    """
    created = set(r.created_hosts)
    keep = {p.host for p in r.existing_services if p.host in created}
    calls = [IpaCall("service_del", (str(p),)) for p in r.created_services
             if p.host not in created or p.host in keep]
    calls += [IpaCall("host_del", (h,)) for h in r.created_hosts if h not in keep]
    # The instance's own host also loses the OTP it was created with.
    calls += [IpaCall("host_mod", (h,), {"description": RELEASED,
                                         **({"random": True} if h == e.fqdn else {})})
              for h in r.created_hosts if h in keep]
    return calls


def decide(e: Enrollment, r: Review, shown: Mapping[str, Entry | None],
           otp_for: Callable[[int], str]) -> Decision:
    """Compare what existed with this instance and say what to do.

    :param shown: ``host_show``/``service_show`` results keyed by host name or
        principal (without realm); None where the entry vanished meanwhile.
    :param otp_for: the OTP of this instance at a given generation.
    """
    d = Decision()
    own = e.owner

    def owner_of(host: str) -> Owner | None:
        if host in r.created_hosts:
            return own
        entry = shown.get(host)
        return ownership.read(entry, own.deployment) if entry else None

    for name in r.named_in_dns:
        if name in r.created_hosts or name not in r.existing_hosts:
            # It had DNS records and no host entry: someone else's name (IPA's ipa-ca, a
            # corporate record); novajoin would make it enrollable and delete its records.
            d.conflicts.append(f"{name} already has DNS records in IPA that novajoin did not "
                               f"publish for instance {own.instance_id}")

    for host in r.existing_hosts:
        entry = shown.get(host)
        if entry is None:
            d.conflicts.append(f"host {host} changed while being checked; try again")
            continue
        found = ownership.read(entry, own.deployment)
        may_share = host in e.shared_hosts
        if own.same_instance(found) or (may_share and found and
                                        found.project_id == own.project_id):
            continue
        d.conflicts.append(f"host {host} already exists in IPA and does not belong to "
                           f"instance {own.instance_id}")

    main = shown.get(e.fqdn) if e.fqdn in r.existing_hosts else None
    if main is not None and own.same_instance(ownership.read(main, own.deployment)):
        found = ownership.read(main, own.deployment)
        assert found is not None
        d.generation = found.generation
        if main.get("has_keytab"):
            d.enrolled = True
        elif not main.get("has_password"):
            # Neither keys nor a password: an administrator disabled it (a compromised
            # guest, a leaked config drive) or its OTP was revoked. novajoin's own rebuild
            # sets a new OTP in the same batch as host_disable, so this is never novajoin's
            # doing: it stays disabled until a rebuild (a new generation) re-arms it. Re-arming
            # here would hand out the same OTP again.
            d.disabled = True

    for p in r.existing_services:
        entry = shown.get(str(p))
        host_owner = owner_of(p.host)
        managers = (entry or {}).get("managedby_host") or []
        # A service on a host this very request created existed without its host (an
        # administrator's, made with --skip-host-check), unless another request of the
        # same instance made it just now, racing this one, in this or another process:
        # then our host is one of its managers (only novajoin does that, and only for
        # this instance). Neither the instance nor its project may adopt the former.
        trusted = p.host not in r.created_hosts or e.fqdn in managers
        same_instance = own.same_instance(host_owner) and trusted
        same_project = (p.host in e.shared_hosts and host_owner is not None
                        and host_owner.project_id == own.project_id and trusted)
        if entry is None or not (same_instance or same_project):
            d.conflicts.append(f"service {p} already exists in IPA and novajoin did not "
                               f"create it for this instance or project")
        elif e.fqdn not in managers:
            d.calls.append(IpaCall("service_add_host", (str(p),), {"host": [e.fqdn]}))

    if d.conflicts:
        d.calls = []
        d.undo = undo(e, r)
    return d


# -- the instance's end of life and rebuild (the listener's side) ----------------

def principal_host(principal: str) -> str:
    """``HTTP/web.example.test@REALM`` -> ``web.example.test``."""
    return principal.partition("/")[2].partition("@")[0]


@dataclasses.dataclass
class Removal:
    calls: list[IpaCall]
    kept_hosts: dict[str, list[str]]  # sub-host kept -> other hosts still managing it


def delete(hosts: Mapping[str, Entry], services: list[Entry],
           gone: frozenset[str] = frozenset()) -> Removal:
    """Remove an instance's hosts (with their services and DNS records).

    :param hosts: the entries the instance owns (found by its owner tag),
        by host name.
    :param services: the services the instance's sub-hosts manage (the services of its
        own host go with it; IPA's referential integrity removes a deleted host from the
        ``managedBy`` of any other service).

    A service that a host of another owner still manages outlives the
    instance: its sub-host is kept and only this instance's hosts let go of
    it. Nothing the instance does not own is deleted.

    :param gone: hosts of the instance already deleted that may still be named as
        managers (a service added while the delete ran): they hold nothing back.
    """
    ours = set(hosts)
    calls: list[IpaCall] = []
    kept: dict[str, list[str]] = {}
    for svc in sorted(services, key=lambda s: s["krbprincipalname"][0]):
        principal = svc["krbprincipalname"][0]
        host = principal_host(principal)
        managers = set(svc.get("managedby_host") or ())
        others = sorted(managers - ours - gone - {host})
        if host in ours and not others:
            continue  # goes with its host
        if host in ours:
            kept.setdefault(host, others)
        leaving = sorted(managers & ours - {host})
        if leaving:
            calls.append(IpaCall("service_remove_host", (principal,), {"host": leaving}))
    calls += [IpaCall("host_del", (h,), {"updatedns": True}) for h in sorted(ours - set(kept))]
    return Removal(calls, kept)


def rebuild(fqdn: str, entry: Entry, owner: Owner, otp: str) -> list[IpaCall]:
    """Let a rebuilt instance enroll again: drop the keytab, new generation and OTP."""
    calls = []
    if entry.get("has_keytab"):
        calls.append(IpaCall("host_disable", (fqdn,)))
    calls.append(IpaCall("host_mod", (fqdn,), {"description": owner.tag(), "userpassword": otp}))
    return calls


def hand_over(kept: Mapping[str, list[str]], owner_of: Callable[[str], Owner | None]
              ) -> tuple[list[IpaCall], list[str]]:
    """Give each kept sub-host (see :func:`delete`) to the owner of another host still
    managing it. Returns the calls, and the sub-hosts no host of a known owner manages.
    """
    calls, unowned = [], []
    for sub, others in sorted(kept.items()):
        owner = next((o for o in map(owner_of, others) if o is not None), None)
        if owner is None:
            unowned.append(sub)
        else:
            calls.append(IpaCall("host_mod", (sub,), {"description": owner.of_subhost().tag()}))
    return calls, unowned
