"""What IPA must hold before novajoin can run, and the changes that get it there. No I/O.

novajoin 1.x gave ``nova/<host>`` realm-wide rights: add and remove *any*
host, re-key *any* host or service, manage DNS everywhere. Here the role gets
only what the services call (see ``doc/ipa-permissions.md``), and wherever
389-ds can enforce it, only on entries novajoin owns: every host it creates
carries the owner tag of :mod:`novajoin.domain.ownership` in ``description``, so the
host permissions are filtered on that tag, and the add permission requires
it on the new entry. Where no filter can name novajoin's entries (services
and DNS records carry no tag; certificate operations have no target), the
permission is as narrow as IPA allows and the reason is in the table.

The console script (:mod:`novajoin.cmd.ipa_setup`) reads IPA into an
:class:`Observed`, asks :func:`plan` what to change, and runs the steps; the
tests drive these functions as tables.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any

from novajoin.domain import ownership
from novajoin.domain.calls import IpaCall

# novajoin 1.x's role name: TripleO and existing deployments look for it.
ROLE = "Nova Host Manager"
ROLE_DESCRIPTION = "novajoin: enroll OpenStack instances into IPA and remove them"
# Not 1.x's "Nova Host Management": that privilege holds realm-wide rights,
# and re-using its name would keep them (this tool only adds). A new name
# makes the least-privilege set recognisable and the old one removable.
PRIVILEGE = "Novajoin Host Enrollment"
PRIVILEGE_DESCRIPTION = "novajoin: the hosts, services and DNS records of OpenStack instances"
LEGACY_PRIVILEGE = "Nova Host Management"
SERVICE = "nova"
HOST_DESCRIPTION = "novajoin server"

# Scopes: which entries a permission of novajoin's reaches.
OWNED_HOSTS = "owned hosts"
UNMANAGED_BY_SERVERS = "services no IPA server manages"
DNS_RECORDS = "DNS records (not zones)"

# What IPA derives from --type (ipaserver/plugins/{host,service}.py).
TYPES = {
    "host": ("cn=computers,cn=accounts", "(objectclass=ipahost)"),
    "service": ("cn=services,cn=accounts", "(objectclass=ipaservice)"),
}


@dataclasses.dataclass(frozen=True)
class Permission:
    """One of novajoin's own permissions, as the table declares it."""

    name: str
    rights: tuple[str, ...]
    scope: str
    reason: str
    type: str | None = None
    attrs: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class SystemPermission:
    """A permission IPA ships, used where no filter can narrow the right."""

    name: str
    reason: str


PERMISSIONS = (
    Permission("Novajoin Add Owned Hosts", ("add",), OWNED_HOSTS, type="host",
               reason="host_add; 389-ds checks the filter on the new entry, so a host "
                      "novajoin creates must carry its owner tag"),
    Permission("Novajoin Modify Owned Hosts", ("write",), OWNED_HOSTS, type="host",
               attrs=("description", "userpassword"),
               reason="host_mod: a new one-time password and owner tag generation"),
    Permission("Novajoin Disable Owned Hosts", ("write",), OWNED_HOSTS, type="host",
               attrs=("krblastpwdchange", "krbprincipalkey", "usercertificate"),
               reason="host_disable: drop the keytab (and certificates) of a rebuilt instance"),
    Permission("Novajoin Remove Owned Hosts", ("delete",), OWNED_HOSTS, type="host",
               reason="host_del when an instance is deleted"),
    Permission("Novajoin Add Services", ("add",), UNMANAGED_BY_SERVERS, type="service",
               reason="service_add of an instance's principals (managedBy set in the add)"),
    Permission("Novajoin Manage Service Hosts", ("write",), UNMANAGED_BY_SERVERS,
               type="service", attrs=("managedby",),
               reason="service_add_host and service_remove_host"),
    Permission("Novajoin Remove Services", ("delete",), UNMANAGED_BY_SERVERS, type="service",
               reason="service_del, and host_del deleting its host's services"),
    Permission("Novajoin Add DNS Records", ("add",), DNS_RECORDS,
               reason="dnsrecord_add of a name that has no record yet"),
    Permission("Novajoin Update DNS Address Records", ("write",), DNS_RECORDS,
               attrs=("aaaarecord", "arecord", "ptrrecord", "sshfprecord"),
               reason="dnsrecord_add/del of A, AAAA and PTR values; host_del(updatedns) "
                      "also clears SSHFP"),
    Permission("Novajoin Remove DNS Records", ("delete",), DNS_RECORDS,
               reason="dnsrecord_del of a name's last record"),
)

SYSTEM_PERMISSIONS = (
    SystemPermission("System: Read DNS Entries",
                     "dnszone_find, dnsrecord_show/find: IPA lets only DNS administrators "
                     "read DNS; read-only"),
    SystemPermission("Revoke Certificate",
                     "host_del, host_disable and service_del revoke the certificates of "
                     "what they remove; a virtual operation, it has no entry to filter on"),
    SystemPermission("Retrieve Certificates from the CA",
                     "cert_revoke reads the certificate first (cert_show); read-only, "
                     "no entry to filter on"),
)

# What each kind of step needs, named in the message when IPA refuses it.
NEEDS = {
    "permission_add": "the right to add permissions and their ACIs (IPA's admins group)",
    "permission_mod": "the right to modify permissions and their ACIs (IPA's admins group)",
    "privilege_add": "System: Add Privileges (privilege Delegation Administrator)",
    "privilege_add_permission":
        "System: Modify Privilege Membership (privilege Delegation Administrator)",
    "role_add": "System: Add Roles (privilege Delegation Administrator)",
    "role_add_privilege": "write access to privilege membership (privilege Delegation "
                          "Administrator)",
    "role_add_member": "System: Modify Role Membership (privilege Delegation Administrator)",
    "host_add": "System: Add Hosts, and for a one-time password System: Manage Host "
                "Enrollment Password (privilege Host Administrators)",
    "host_mod": "System: Manage Host Enrollment Password (privilege Host Administrators)",
    "service_add": "System: Add Services (privilege Service Administrators)",
}

_HOSTNAME = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$")


def owner_filter(deployment: str = ownership.DEFAULT) -> str:
    """Hosts whose description starts like an owner tag of ``deployment``.

    ``novajoin owner kind=*`` for the default deployment (whose tags carry no
    deployment= field), ``novajoin owner deployment=<name> kind=*`` for another: each
    deployment's permissions reach only its own hosts.
    """
    return f"(description={ownership.tag_prefix(deployment)}kind=*)"


def named(name: str, deployment: str = ownership.DEFAULT) -> str:
    """An IPA object name of novajoin's, per deployment (the default keeps 1.x's names).

    ``<name> for <deployment>``: permission_add accepts only letters, digits, ``-``,
    ``_``, ``.`` and spaces in a new permission's name (ipaserver/plugins/permission.py,
    ``_disallow_colon``), so no brackets.
    """
    return name if deployment == ownership.DEFAULT else f"{name} for {deployment}"


def host_dn(fqdn: str, basedn: str) -> str:
    return f"fqdn={fqdn},cn=computers,cn=accounts,{basedn}"


@dataclasses.dataclass(frozen=True)
class Wanted:
    """A permission of novajoin's resolved for one IPA (its base DN and servers)."""

    name: str
    rights: tuple[str, ...]
    attrs: tuple[str, ...]
    type: str | None
    location: str
    target: str | None
    filters: tuple[str, ...]  # beyond the one --type implies

    @property
    def full_filters(self) -> tuple[str, ...]:
        """What IPA stores as ipapermtargetfilter."""
        implied = (TYPES[self.type][1],) if self.type else ()
        return implied + self.filters

    def options(self) -> dict[str, Any]:
        """permission_add/permission_mod options that produce exactly this permission."""
        opts: dict[str, Any] = {"ipapermright": list(self.rights), "attrs": list(self.attrs),
                                "extratargetfilter": list(self.filters)}
        if self.type:
            opts["type"] = self.type
        else:
            opts["ipapermlocation"] = self.location
            if self.target:
                opts["ipapermtarget"] = self.target
        return opts

    def differences(self, entry: Mapping[str, Any]) -> list[str]:
        """What differs in ``entry`` (permission_show with all=True); [] when it matches."""
        found = []
        checks = (("rights", self.rights, entry.get("ipapermright")),
                  ("attributes", self.attrs, entry.get("attrs")),
                  ("filter", self.full_filters, entry.get("ipapermtargetfilter")),
                  ("subtree", (self.location,), entry.get("ipapermlocation")),
                  ("target", (self.target,) if self.target else (), entry.get("ipapermtarget")))
        for label, wanted, have in checks:
            if _folded(wanted) != _folded(have):
                found.append(label)
        return found


def _folded(values: Any) -> set[str]:
    if values is None:
        return set()
    if isinstance(values, str):
        values = [values]
    return {" ".join(str(v).split()).lower() for v in values}


def scope_filters(scope: str, basedn: str, servers: Sequence[str],
                  deployment: str = ownership.DEFAULT) -> tuple[str, ...]:
    """The target filters that keep a permission inside its scope."""
    if scope == OWNED_HOSTS:
        # IPA servers are excluded even if someone tags one.
        return (owner_filter(deployment),
                f"(!(memberOf=cn=ipaservers,cn=hostgroups,cn=accounts,{basedn}))")
    if scope == UNMANAGED_BY_SERVERS:
        names = sorted({s.lower() for s in servers if _HOSTNAME.match(s.lower())})
        terms = [f"(managedby={host_dn(s, basedn)})" for s in names]
        if not terms:
            return ()
        return (f"(!{terms[0]})",) if len(terms) == 1 else (f"(!(|{''.join(terms)}))",)
    if scope == DNS_RECORDS:
        return ("(objectclass=idnsrecord)", "(!(objectclass=idnszone))")
    raise ValueError(f"unknown scope {scope!r}")


def resolve(p: Permission, basedn: str, servers: Sequence[str],
            deployment: str = ownership.DEFAULT) -> Wanted:
    if p.type:
        location, target = f"{TYPES[p.type][0]},{basedn}", None
    else:
        # Like IPA's own DNS permissions: stored at the suffix, so they work
        # before the DNS container exists.
        location, target = basedn, f"idnsname=*,cn=dns,{basedn}"
    return Wanted(named(p.name, deployment), p.rights, p.attrs, p.type, location, target,
                  scope_filters(p.scope, basedn, servers, deployment))


@dataclasses.dataclass(frozen=True)
class Desired:
    permissions: tuple[Wanted, ...]
    system_permissions: tuple[SystemPermission, ...]
    hostname: str
    principal: str
    precreate: bool
    role: str = ROLE
    privilege: str = PRIVILEGE

    @property
    def permission_names(self) -> list[str]:
        return [p.name for p in self.permissions] + [p.name for p in self.system_permissions]


def desired(basedn: str, realm: str, hostname: str, servers: Sequence[str],
            precreate: bool = False, deployment: str = ownership.DEFAULT) -> Desired:
    return Desired(tuple(resolve(p, basedn, servers, deployment) for p in PERMISSIONS),
                   SYSTEM_PERMISSIONS, hostname, f"{SERVICE}/{hostname}@{realm}", precreate,
                   named(ROLE, deployment), named(PRIVILEGE, deployment))


@dataclasses.dataclass(frozen=True)
class Observed:
    """What IPA holds now: ``*_show`` results, None where the entry is missing.

    ``permissions`` come from ``permission_show(all=True)``, keyed by name.
    """

    permissions: Mapping[str, Mapping[str, Any] | None]
    privilege: Mapping[str, Any] | None
    role: Mapping[str, Any] | None
    host: Mapping[str, Any] | None
    service: Mapping[str, Any] | None


@dataclasses.dataclass(frozen=True)
class Step:
    """One change. ``verb`` is create, update or add; ``otp`` marks the call
    whose answer carries the one-time password to print."""

    verb: str
    item: str
    call: IpaCall
    detail: str = ""
    otp: bool = False

    @property
    def needs(self) -> str:
        return NEEDS[self.call.method]


@dataclasses.dataclass
class Plan:
    steps: list[Step] = dataclasses.field(default_factory=list)
    present: list[str] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)  # block every change
    warnings: list[str] = dataclasses.field(default_factory=list)


def _names(entry: Mapping[str, Any] | None, key: str) -> dict[str, str]:
    """Member names of ``entry[key]``, lower-cased -> as shown (IPA names are case-blind)."""
    return {str(n).lower(): str(n) for n in (entry or {}).get(key) or ()}


def plan(d: Desired, o: Observed) -> Plan:
    """The steps that turn ``o`` into ``d``, in the order they must run."""
    result = Plan()
    _plan_permissions(d, o, result)
    _plan_privilege(d, o, result)
    _plan_role(d, o, result)
    _plan_host(d, o, result)
    _plan_service(d, o, result)
    members = _names(o.role, "member_service")
    item = f'service {d.principal} in role "{d.role}"'
    if d.principal.lower() in members:
        result.present.append(item)
    else:
        result.steps.append(Step("add", item, IpaCall(
            "role_add_member", (d.role,), {"service": [d.principal]})))
    return result


def _plan_permissions(d: Desired, o: Observed, result: Plan) -> None:
    for w in d.permissions:
        item = f'permission "{w.name}"'
        entry = o.permissions.get(w.name)
        if entry is None:
            result.steps.append(Step("create", item, IpaCall(
                "permission_add", (w.name,), w.options())))
        elif diff := w.differences(entry):
            result.steps.append(Step("update", item, IpaCall(
                "permission_mod", (w.name,), w.options()), detail=", ".join(diff)))
        else:
            result.present.append(item)
    for s in d.system_permissions:
        if o.permissions.get(s.name) is None:
            result.problems.append(f'IPA has no permission "{s.name}", which novajoin needs '
                                   f'for {s.reason}')
        else:
            result.present.append(f'permission "{s.name}" (IPA\'s own)')


def _plan_privilege(d: Desired, o: Observed, result: Plan) -> None:
    item = f'privilege "{d.privilege}"'
    if o.privilege is None:
        result.steps.append(Step("create", item, IpaCall(
            "privilege_add", (d.privilege,), {"description": PRIVILEGE_DESCRIPTION})))
    else:
        result.present.append(item)
    held = _names(o.privilege, "memberof_permission")
    missing = [n for n in d.permission_names if n.lower() not in held]
    if missing:
        result.steps.append(Step("add", f"{len(missing)} permissions to {item}", IpaCall(
            "privilege_add_permission", (d.privilege,), {"permission": missing}),
            detail=", ".join(missing)))
    else:
        result.present.append(f"the {len(d.permission_names)} permissions of {item}")
    wanted = {n.lower() for n in d.permission_names}
    extra = sorted(shown for low, shown in held.items() if low not in wanted)
    if extra:
        result.warnings.append(f'{item} also holds {", ".join(extra)}, which novajoin does '
                               f'not need; remove them with ipa privilege-remove-permission')


def _plan_role(d: Desired, o: Observed, result: Plan) -> None:
    item = f'role "{d.role}"'
    if o.role is None:
        result.steps.append(Step("create", item, IpaCall(
            "role_add", (d.role,), {"description": ROLE_DESCRIPTION})))
    else:
        result.present.append(item)
    held = _names(o.role, "memberof_privilege")
    if d.privilege.lower() in held:
        result.present.append(f'privilege "{d.privilege}" in {item}')
    else:
        result.steps.append(Step("add", f'privilege "{d.privilege}" to {item}', IpaCall(
            "role_add_privilege", (d.role,), {"privilege": [d.privilege]})))
    for low, shown in sorted(held.items()):
        if low == d.privilege.lower():
            continue
        legacy = " (novajoin 1.x's realm-wide rights)" if low == LEGACY_PRIVILEGE.lower() else ""
        result.warnings.append(
            f'{item} also holds privilege "{shown}"{legacy}; once every novajoin is upgraded, '
            f"remove it: ipa role-remove-privilege '{d.role}' --privileges='{shown}'")


def _plan_host(d: Desired, o: Observed, result: Plan) -> None:
    item = f"host {d.hostname}"
    host = o.host
    if host is None:
        options: dict[str, Any] = {"force": True, "description": HOST_DESCRIPTION}
        if d.precreate:
            options["random"] = True
        result.steps.append(Step("create", item, IpaCall("host_add", (d.hostname,), options),
                                 detail="with a one-time password" if d.precreate else "",
                                 otp=d.precreate))
        return
    if ownership.read(host) is not None:
        result.warnings.append(f"{item} carries a novajoin owner tag: novajoin itself may "
                               "change or delete it; give it another description")
    if not d.precreate:
        result.present.append(item)
    elif host.get("has_keytab"):
        result.present.append(f"{item} (enrolled; no one-time password needed)")
    elif host.get("has_password"):
        result.present.append(f"{item} (not enrolled, a one-time password is set)")
        result.warnings.append(f"{item} already has a one-time password, so none is printed; "
                               f"for a new one: ipa host-mod --random {d.hostname}")
    else:
        result.steps.append(Step("update", f"{item}: one-time password", IpaCall(
            "host_mod", (d.hostname,), {"random": True}), otp=True))


def _plan_service(d: Desired, o: Observed, result: Plan) -> None:
    item = f"service {d.principal}"
    if o.service is None:
        result.steps.append(Step("create", item, IpaCall(
            "service_add", (d.principal,), {"force": True})))
    else:
        result.present.append(item)
