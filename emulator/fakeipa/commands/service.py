"""service_* commands: Kerberos services that belong to (are managed by) hosts."""

from __future__ import annotations

import base64
from typing import Any

from fakeipa import acl, errors
from fakeipa.commands import dns
from fakeipa.commands.base import (
    ADDATTR,
    ALL,
    CONTINUE,
    ENTRY_LIST,
    MEMBER_CHANGE,
    MULTI_DELETE,
    NO_MEMBERS,
    NO_MEMBERS_FIND,
    RAW,
    RIGHTS,
    SEARCH_OPTIONS,
    SETATTR,
    Call,
    apply_attr_options,
    command,
    finish_search,
    param,
    plural,
)
from fakeipa.commands.host import (
    AUTH_INDICATORS,
    TICKET_FLAGS,
    host_dn,
    option_attrs,
    revoke_certificates,
    service_dn,
    service_filter_attrs,
    take_managers,
)
from fakeipa.store import Directory, Service

OBJECTCLASSES = ["krbprincipal", "krbprincipalaux", "krbticketpolicyaux", "ipaobject",
                 "ipaservice", "pkiuser", "ipakrbprincipal", "top"]
PAC_TYPES = ("MS-PAC", "PAD", "NONE")
SETTABLE = {"ipakrbauthzdata": True, "krbprincipalauthind": True, "usercertificate": True,
            "managedby": True, **dict.fromkeys(TICKET_FLAGS, False)}
PRINCIPAL_ARG = param("krbcanonicalname", "principal", cli="canonical_principal")
_ATTR_OPTIONS = (
    param("ipakrbauthzdata*", cli="pac_type", values=PAC_TYPES),
    param("krbprincipalauthind*", cli="auth_ind", values=AUTH_INDICATORS),
    param("ipakrbrequirespreauth?", "bool", cli="requires_pre_auth"),
    param("ipakrbokasdelegate?", "bool", cli="ok_as_delegate"),
    param("ipakrboktoauthasdelegate?", "bool", cli="ok_to_auth_as_delegate"),
    param("usercertificate*", "any", cli="certificate"),
)


def normalize_principal(call: Call, value: str) -> tuple[str, str, str]:
    """``HTTP/Web.x`` -> (``HTTP/web.x@REALM``, ``HTTP``, ``web.x``).

    The realm is added when missing and must be the server's; the principal
    must have exactly a service and a host component.
    """
    label = PRINCIPAL_ARG.label
    text = value.strip()
    name, _, realm = text.rpartition("@") if "@" in text else (text, "", "")
    components = name.split("/")
    if ("@" in name or not name or ("@" in text and not realm)
            or len(components) > 2 or not all(components)):
        raise errors.IpaConversionError(name=label, error=f"Malformed principal: '{value}'")
    if len(components) < 2:
        raise errors.IpaValidationError(name=label, error="Service principal is required")
    if realm and realm != call.env.realm:
        raise errors.IpaRealmMismatch()
    service, hostname = components[0], components[1].lower()
    return f"{service}/{hostname}@{call.env.realm}", service, hostname


def get_service(store: Directory, principal: str) -> Service:
    service = store.services.get(principal)
    if service is None:
        raise errors.IpaNotFound(reason=f"{principal}: service not found")
    return service


def service_entry(call: Call, service: Service, *, view: str, kw: dict[str, Any]) -> dict:
    """The service as IPA shows it; ``view`` is add, show, member or find."""
    all_attrs = bool(kw.get("all"))
    entry: dict[str, Any] = {
        "dn": call.dn(f"krbprincipalname={service.principal}", "cn=services", "cn=accounts"),
        "krbprincipalname": [service.principal],
        "krbcanonicalname": [service.principal],
    }
    for name, values in service.attrs.items():
        if name in TICKET_FLAGS:
            continue
        entry[name] = [base64.b64decode(v) for v in values] if name == "usercertificate" \
            else list(values)
    if not kw.get("no_members") and (service.managedby or view != "add"):
        entry["managedby_host"] = list(service.managedby)
    if view == "show":
        entry["has_keytab"] = service.has_keytab
    if view == "add" or all_attrs:
        entry["objectclass"] = list(OBJECTCLASSES)
        entry["ipauniqueid"] = [service.uuid]
    if all_attrs:
        for flag, default in TICKET_FLAGS.items():
            entry[flag] = service.attrs.get(flag, ["TRUE" if default else "FALSE"]) == ["TRUE"]
    return entry


def service_add(call: Call, kw: dict[str, Any]) -> dict:
    principal, service_name, hostname = normalize_principal(call, kw["krbcanonicalname"])
    attrs: dict[str, list[str]] = {}
    option_attrs(kw, attrs, SETTABLE)
    apply_attr_options(attrs, kw, SETTABLE)
    # Managers given by *attr replace IPA's default (the service's own host).
    managers = take_managers(call, attrs)
    if "NONE" in attrs.get("ipakrbauthzdata", []) and len(attrs["ipakrbauthzdata"]) > 1:
        raise errors.IpaValidationError(
            name="ipakrbauthzdata", error='NONE value cannot be combined with other PAC types')
    with call.store.writing() as store:
        if service_name == "host" and not kw.get("force"):
            raise errors.IpaHostService()
        host = store.hosts.get(hostname)
        if host is None and not kw.get("skip_host_check"):
            raise errors.IpaNotFound(
                reason=f"The host '{hostname}' does not exist to add a service to.")
        if not kw.get("force"):
            dns.verify_host_resolvable(store, hostname)
        if managers is None:
            managers = [hostname] if host else []
        acl.check(call, "add", "service", service_dn(call, principal), {
            "objectclass": list(OBJECTCLASSES), "krbprincipalname": [principal],
            "memberof": [], "managedby": [host_dn(call, h) for h in managers]})
        if principal in store.services:
            raise errors.IpaDuplicateEntry(
                message=f'service with name "{principal}" already exists')
        service = Service(principal, attrs=attrs, managedby=managers)
        store.services[principal] = service
        entry = service_entry(call, service, view="add", kw=kw)
    return {"result": entry, "value": principal, "summary": f'Added service "{principal}"'}


def _change_hosts(call: Call, kw: dict[str, Any], add: bool) -> dict:
    principal = normalize_principal(call, kw["krbcanonicalname"])[0]
    failed: list[list[str]] = []
    completed = 0
    with call.store.writing() as store:
        service = get_service(store, principal)
        for value in kw.get("host") or ():
            fqdn = value.strip().lower().rstrip(".")
            if add and fqdn not in store.hosts:
                failed.append([fqdn, "no such entry"])
            elif add and fqdn in service.managedby:
                failed.append([fqdn, errors.IpaAlreadyGroupMember().message])
            elif not add and fqdn not in service.managedby:
                failed.append([fqdn, errors.IpaNotGroupMember().message])
            elif not acl.allowed(store, call.env.basedn, call.principal, "write", "service",
                                 service_filter_attrs(call, service), ("managedby",)):
                # LDAPAddMember catches each member's error: reported, not raised
                # (baseldap.py; doc/freeipa-behaviour.md section 9c).
                failed.append([fqdn, acl.denied_write(
                    "managedby", service_dn(call, principal)).message])
            else:
                if add:
                    service.managedby.append(fqdn)
                else:
                    service.managedby.remove(fqdn)
                completed += 1
        entry = service_entry(call, service, view="member", kw=kw)
    return {"result": entry, "failed": {"managedby": {"host": failed}}, "completed": completed}


def service_add_host(call: Call, kw: dict[str, Any]) -> dict:
    return _change_hosts(call, kw, add=True)


def service_remove_host(call: Call, kw: dict[str, Any]) -> dict:
    return _change_hosts(call, kw, add=False)


def service_show(call: Call, kw: dict[str, Any]) -> dict:
    principal = normalize_principal(call, kw["krbcanonicalname"])[0]
    with call.store.reading() as store:
        entry = service_entry(call, get_service(store, principal), view="show", kw=kw)
    return {"result": entry, "value": principal, "summary": None}


def _matches(call: Call, service: Service, kw: dict[str, Any]) -> bool:
    if kw.get("krbcanonicalname") is not None:
        if service.principal != normalize_principal(call, kw["krbcanonicalname"])[0]:
            return False
    for value in kw.get("krbprincipalname") or ():
        if service.principal != normalize_principal(call, value)[0]:
            return False
    for name in ("ipakrbauthzdata", "krbprincipalauthind"):
        if not all(v in service.attrs.get(name, []) for v in kw.get(name) or ()):
            return False
    managers = set(service.managedby)
    if not all(h.lower() in managers for h in kw.get("man_by_host") or ()):
        return False
    if any(h.lower() in managers for h in kw.get("not_man_by_host") or ()):
        return False
    criteria = (kw.get("criteria") or "").lower()
    return not criteria or criteria in service.principal.lower()


def service_find(call: Call, kw: dict[str, Any]) -> dict:
    with call.store.reading() as store:
        services = [s for s in sorted(store.services.values(), key=lambda s: s.principal)
                    if _matches(call, s, kw)]
        if kw.get("pkey_only"):
            entries = [{"dn": call.dn(f"krbprincipalname={s.principal}", "cn=services",
                                      "cn=accounts"),
                        "krbcanonicalname": [s.principal]} for s in services]
        else:
            entries = [service_entry(call, s, view="find", kw=kw) for s in services]
    return finish_search(call, entries, kw,
                         lambda n: f"{n} {plural(n, 'service', 'services')} matched")


def service_del(call: Call, kw: dict[str, Any]) -> dict:
    """service.py service_del: pre_callback asks the CA (cert_find) and revokes the
    service's IPA certificates, then the entry is deleted (doc/freeipa-behaviour.md
    section 9c)."""
    principals = [normalize_principal(call, p)[0] for p in kw["krbcanonicalname"]]
    deleted, failed = [], []
    with call.store.writing() as store:
        for principal in principals:
            if principal in store.services:
                revoke_certificates(call, store.services[principal].attrs.get(
                    "usercertificate", []))
                acl.check(call, "delete", "service", service_dn(call, principal),
                          service_filter_attrs(call, store.services[principal]))
                del store.services[principal]
                deleted.append(principal)
            elif kw.get("continue"):
                failed.append(principal)
            else:
                get_service(store, principal)  # raises NotFound
    return {"result": {"failed": failed}, "value": deleted,
            "summary": f'Deleted service "{",".join(deleted)}"'}


_MEMBER_OPTIONS = (ALL, RAW, NO_MEMBERS, param("host*", cli="hosts"))

COMMANDS = (
    command("service_add", service_add, args=[PRINCIPAL_ARG],
            options=[*_ATTR_OPTIONS, ADDATTR, SETATTR, ALL, RAW, NO_MEMBERS,
                     param("force", "flag"), param("skip_host_check", "flag")]),
    command("service_add_host", service_add_host, args=[PRINCIPAL_ARG],
            options=_MEMBER_OPTIONS, output=MEMBER_CHANGE),
    command("service_remove_host", service_remove_host, args=[PRINCIPAL_ARG],
            options=_MEMBER_OPTIONS, output=MEMBER_CHANGE),
    command("service_show", service_show, args=[PRINCIPAL_ARG],
            options=[ALL, RAW, NO_MEMBERS, RIGHTS, param("out?")]),
    command("service_find", service_find, args=[param("criteria?")],
            options=[param("ipakrbauthzdata*", cli="pac_type", values=PAC_TYPES),
                     param("krbprincipalauthind*", cli="auth_ind", values=AUTH_INDICATORS),
                     param("krbcanonicalname?", "principal", cli="canonical_principal"),
                     param("krbprincipalname*", "principal", cli="principal"),
                     param("man_by_host*", cli="man_by_hosts"),
                     param("not_man_by_host*", cli="not_man_by_hosts"),
                     NO_MEMBERS_FIND, *SEARCH_OPTIONS],
            output=ENTRY_LIST),
    command("service_del", service_del, args=[param("krbcanonicalname+", "principal",
                                                    cli="canonical_principal")],
            options=[CONTINUE], output=MULTI_DELETE),
)
