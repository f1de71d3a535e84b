"""host_* commands, and the host enrolment state machine.

A host added with a one-time password has no Kerberos principal and no keys
(``has_password``). Enrolment (``ipa-client-install -w OTP``, emulated by
:func:`enroll_host`) stores keys, adds the principal and deletes the password
(``has_keytab``). From then on a new OTP is refused with ValidationError 3009
until ``host_disable`` removes the keys again.
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime
import hashlib
import hmac
import ipaddress
import secrets
from typing import Any

from fakeipa import acl, errors
from fakeipa.commands import dns
from fakeipa.commands.base import (
    ADDATTR,
    ALL,
    BOOL_VALUE,
    CONTINUE,
    DELATTR,
    ENTRY_LIST,
    FAILED_TO_REMOVE_HOST_DNS_RECORDS,
    MULTI_DELETE,
    NO_MEMBERS,
    NO_MEMBERS_FIND,
    RAW,
    RIGHTS,
    SEARCH_OPTIONS,
    SETATTR,
    Call,
    Param,
    apply_attr_options,
    command,
    finish_search,
    generalized_time,
    param,
    parse_generalized_time,
    plural,
)
from fakeipa.store import Directory, Host

AUTH_INDICATORS = ("radius", "otp", "pkinit", "hardened", "idp")
OBJECTCLASSES = ["ipasshhost", "ipaSshGroupOfPubKeys", "ieee802device", "ipaobject", "nshost",
                 "ipahost", "pkiuser", "ipaservice", "top"]
PRINCIPAL_OBJECTCLASSES = ["krbprincipal", "krbprincipalaux"]
# Kerberos ticket flags shown as booleans, with IPA's defaults.
TICKET_FLAGS = {"ipakrbrequirespreauth": True, "ipakrbokasdelegate": False,
                "ipakrboktoauthasdelegate": False}
# Attributes a client may set (option or *attr) -> multivalued.
SETTABLE = {
    "description": False, "l": False, "nshostlocation": False, "nshardwareplatform": False,
    "nsosversion": False, "ipaassignedidview": False, "userclass": True, "macaddress": True,
    "ipasshpubkey": True, "krbprincipalauthind": True, "usercertificate": True,
    **dict.fromkeys(TICKET_FLAGS, False), "userpassword": False, "managedby": True,
}
# Where a plain search (criteria) looks, as FreeIPA's host.search_attributes.
SEARCH_ATTRS = ("description", "l", "nshostlocation", "nshardwareplatform", "nsosversion")

_DESCRIPTIVE = (
    param("description?", cli="desc"),
    param("l?", cli="locality"),
    param("nshostlocation?", cli="location"),
    param("nshardwareplatform?", cli="platform"),
    param("nsosversion?", cli="os"),
    param("usercertificate*", "any", cli="certificate"),
    param("macaddress*"),
    param("userclass*", cli="class"),
    param("ipaassignedidview?"),
    param("krbprincipalauthind*", cli="auth_ind", values=AUTH_INDICATORS),
)
_WRITABLE = (
    *_DESCRIPTIVE,
    param("ipasshpubkey*", cli="sshpubkey"),
    param("ipakrbrequirespreauth?", "bool", cli="requires_pre_auth"),
    param("ipakrbokasdelegate?", "bool", cli="ok_as_delegate"),
    param("ipakrboktoauthasdelegate?", "bool", cli="ok_to_auth_as_delegate"),
    param("userpassword?", cli="password"),
    param("random?", "flag"),
)
FQDN_ARG = param("fqdn", cli="hostname")


# --------------------------------------------------------------------------
# Values


def normalize_fqdn(value: str) -> str:
    """Lower-case, no trailing dot, and fully qualified, as host_* demand."""
    fqdn = value.strip().lower().rstrip(".")
    labels = fqdn.split(".")
    if len(labels) < 2:
        raise errors.IpaValidationError(
            name="hostname", error="invalid domain-name: not fully qualified")
    try:
        Param("hostname", "dnsname").convert(fqdn)
    except errors.IpaValidationError as exc:
        raise errors.IpaValidationError(
            name="hostname", error=f"invalid domain-name: {exc.data['error']}") from None
    return fqdn


def host_principal(fqdn: str, realm: str) -> str:
    return f"host/{fqdn}@{realm}"


def host_dn(call: Call, fqdn: str) -> str:
    return call.dn(f"fqdn={fqdn}", "cn=computers", "cn=accounts")


def hosts_from_dns(call: Call, values: list[str]) -> list[str]:
    """``managedby`` values (host DNs, as *attr options carry them) -> host names."""
    suffix = ",cn=computers,cn=accounts," + call.env.basedn
    names = []
    for value in values:
        dn = ",".join(part.strip() for part in value.split(",")).lower()
        if not (dn.startswith("fqdn=") and dn.endswith(suffix)):
            raise errors.IpaValidationError(
                name="managedby", error=f"'{value}' is not the DN of a host")
        name = dn[len("fqdn="):-len(suffix)]
        if name not in names:
            names.append(name)
    return names


def take_managers(call: Call, attrs: dict[str, list[str]]) -> list[str] | None:
    """The managers *attr options left in ``attrs`` (removed from it), if any."""
    if "managedby" not in attrs:
        return None
    return hosts_from_dns(call, attrs.pop("managedby"))


def _certificate(value: Any) -> str:
    """Certificates are stored base64; ``{"__base64__"}`` arrives as bytes."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    text = "".join(str(value).split())
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise errors.IpaConversionError(
            name="certificate", error="Base64 decoding failed") from None
    return text


def _ssh_key(value: str) -> str:
    fields = value.split()
    try:
        base64.b64decode(fields[1], validate=True)
    except (IndexError, binascii.Error, ValueError):
        raise errors.IpaValidationError(
            name="sshpubkey", error="invalid SSH public key") from None
    return value.strip()


def ssh_fingerprint(key: str) -> str:
    """``SHA256:<digest> <comment> (<type>)``, the form host_show reports."""
    fields = key.split()
    digest = hashlib.sha256(base64.b64decode(fields[1])).digest()
    text = "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")
    if len(fields) > 2:
        text += " " + " ".join(fields[2:])
    return f"{text} ({fields[0]})"


def option_attrs(kw: dict[str, Any], attrs: dict[str, list[str]], names: dict[str, bool]) -> None:
    """Write attribute options into ``attrs``; an explicit empty value deletes."""
    for name in names:
        if name not in kw or name in ("userpassword", "managedby"):
            continue
        value = kw[name]
        if value is None:
            attrs.pop(name, None)
        elif isinstance(value, bool):
            attrs[name] = ["TRUE" if value else "FALSE"]
        elif name == "usercertificate":
            attrs[name] = [_certificate(v) for v in value]
        elif name == "ipasshpubkey":
            attrs[name] = [_ssh_key(v) for v in value]
        elif isinstance(value, tuple):
            attrs[name] = list(value)
        else:
            attrs[name] = [value]


def get_host(store: Directory, fqdn: str) -> Host:
    host = store.hosts.get(fqdn)
    if host is None:
        raise errors.IpaNotFound(reason=f"{fqdn}: host not found")
    return host


def host_entry(call: Call, host: Host, *, view: str, kw: dict[str, Any]) -> dict:
    """The host as IPA shows it. ``view`` is add, mod, show or find."""
    all_attrs = bool(kw.get("all"))
    entry: dict[str, Any] = {}
    if view != "mod" or all_attrs:
        entry["dn"] = host_dn(call, host.fqdn)
    entry["fqdn"] = [host.fqdn]
    for name, values in host.attrs.items():
        if name in TICKET_FLAGS or (name == "ipasshpubkey" and not all_attrs):
            continue
        entry[name] = [base64.b64decode(v) for v in values] if name == "usercertificate" \
            else list(values)
    if host.attrs.get("ipasshpubkey"):
        entry["sshpubkeyfp"] = [ssh_fingerprint(k) for k in host.attrs["ipasshpubkey"]]
    if host.principal:
        entry["krbcanonicalname"] = [host.principal]
        entry["krbprincipalname"] = [host.principal]
    if not kw.get("no_members"):
        entry["managedby_host"] = list(host.managedby)
    if view != "find":
        entry["has_password"] = host.password is not None
        entry["has_keytab"] = host.has_keytab and host.password is None
    if view == "add" or all_attrs:
        entry["objectclass"] = OBJECTCLASSES + (PRINCIPAL_OBJECTCLASSES if host.principal else [])
        entry["ipauniqueid"] = [host.uuid]
    if all_attrs:
        entry["cn"] = [host.fqdn]
        entry["serverhostname"] = [host.fqdn.split(".", 1)[0]]
        for flag, default in TICKET_FLAGS.items():
            entry[flag] = host.attrs.get(flag, ["TRUE" if default else "FALSE"]) == ["TRUE"]
        entry["krbpwdpolicyreference"] = [call.dn(
            "cn=Default Host Password Policy", "cn=computers", "cn=accounts")]
        if host.keys_changed:
            entry["krblastpwdchange"] = [parse_generalized_time(host.keys_changed)]
        if not kw.get("no_members"):
            managing = [h.fqdn for h in call.store.hosts.values() if host.fqdn in h.managedby]
            if managing:
                entry["managing_host"] = managing
    return entry


def _password_given(kw: dict[str, Any]) -> bool:
    return bool(kw.get("userpassword") or kw.get("random")
                or any(attr.strip().lower() == "userpassword" and value.strip()
                       for attr, _, value in (a.partition("=") for a in kw.get("setattr") or ())))


# --------------------------------------------------------------------------
# Commands


def host_add(call: Call, kw: dict[str, Any]) -> dict:
    fqdn = normalize_fqdn(kw["fqdn"])
    # host.py host_add.pre_callback: the normalised name against ipaMaxHostnameLength,
    # before anything else is checked or written (doc/freeipa-behaviour.md section 2).
    maxlen = call.env.max_hostname_length
    if len(fqdn) > maxlen:
        raise errors.IpaValidationError(name="hostname",
                                        error=f"can be at most {maxlen} characters")
    ip = kw.get("ip_address")
    if ip is not None:
        try:
            ip = str(ipaddress.ip_address(ip))
        except ValueError:
            raise errors.IpaValidationError(
                name="ip_address", error="invalid IP address format") from None
    attrs: dict[str, list[str]] = {}
    option_attrs(kw, attrs, SETTABLE)
    if kw.get("userpassword") is not None:
        attrs["userpassword"] = [kw["userpassword"]]
    apply_attr_options(attrs, kw, SETTABLE, immutable=("cn",))
    password = attrs.pop("userpassword", [None])[0]
    # host_add.pre_callback sets managedby to the host's own DN after the *attr options
    # were applied: an addattr'd manager is accepted and overwritten (host.py;
    # doc/freeipa-behaviour.md section 8a). service_add, by contrast, keeps it.
    take_managers(call, attrs)
    managers = [fqdn]
    random_password = secrets.token_urlsafe(16) if kw.get("random") else None
    with call.store.writing() as store:
        if ip is not None:
            dns.check_host_address(call, fqdn, ip, reverse=not kw.get("no_reverse"))
        elif not kw.get("force"):
            dns.verify_host_resolvable(store, fqdn)
        password = random_password or password
        # The LDAP add: the add right's target filter sees the new entry; 389-ds checks
        # it before it finds an existing one (doc/freeipa-behaviour.md section 9a).
        acl.check(call, "add", "host", host_dn(call, fqdn), {
            "objectclass": OBJECTCLASSES + ([] if password else PRINCIPAL_OBJECTCLASSES),
            "fqdn": [fqdn], "cn": [fqdn], "memberof": [], "managedby": [host_dn(call, fqdn)],
            **{k: v for k, v in attrs.items() if k in ("description", "userclass")}})
        if fqdn in store.hosts:
            raise errors.IpaDuplicateEntry(message=f'host with name "{fqdn}" already exists')
        host = Host(fqdn, attrs=attrs, password=password, managedby=managers,
                    principal=None if password else host_principal(fqdn, call.env.realm))
        store.hosts[fqdn] = host
        if ip is not None:
            dns.add_host_records(call, fqdn, ip, reverse=not kw.get("no_reverse"))
        entry = host_entry(call, host, view="add", kw=kw)
    if random_password:
        entry["randompassword"] = random_password
    return {"result": entry, "value": fqdn, "summary": f'Added host "{fqdn}"'}


def host_mod(call: Call, kw: dict[str, Any]) -> dict:
    fqdn = normalize_fqdn(kw["fqdn"])
    random_password = secrets.token_urlsafe(16) if kw.get("random") else None
    with call.store.writing() as store:
        host = get_host(store, fqdn)
        attrs = copy.deepcopy(host.attrs)
        # userPassword is write-only for every caller, admins included (doc/freeipa-
        # behaviour.md section 5): LDAPUpdate reads the entry as the caller, sees no
        # password, and a change list that only deletes it is empty.
        if host.managedby:
            attrs["managedby"] = [host_dn(call, h) for h in host.managedby]
        option_attrs(kw, attrs, SETTABLE)
        if kw.get("userpassword") is not None:
            attrs["userpassword"] = [kw["userpassword"]]
        apply_attr_options(attrs, kw, SETTABLE, immutable=("cn",))
        # Allow an existing OTP to be reset, never one added to an enrolled host.
        if _password_given(kw) and host.has_keytab and host.password is None:
            raise errors.IpaValidationError(
                name="password", error="Password cannot be set on enrolled host.")
        new_password = random_password or attrs.pop("userpassword", [None])[0]
        password = host.password if new_password is None else new_password
        managers = take_managers(call, attrs) or []
        principal = host.principal
        if kw.get("krbprincipalname"):
            if host.principal:
                raise errors.IpaACIError(
                    info="Principal name already set, it is unchangeable.")
            principal = kw["krbprincipalname"][0]
            if "@" not in principal:
                principal += "@" + call.env.realm
        password_changed = new_password is not None
        if (attrs == host.attrs and not password_changed and principal == host.principal
                and managers == host.managedby):
            raise errors.IpaEmptyModlist()
        # The modify: write on every attribute it changes; the target filter sees the
        # entry before the change (ldbm_modify.c).
        changed = {a for a in set(attrs) | set(host.attrs) if attrs.get(a) != host.attrs.get(a)}
        changed |= {"userpassword"} if password_changed else set()
        changed |= {"managedby"} if managers != host.managedby else set()
        changed |= {"krbprincipalname"} if principal != host.principal else set()
        acl.check(call, "write", "host", host_dn(call, fqdn), host_filter_attrs(call, host),
                  tuple(sorted(changed)))
        host.attrs, host.password, host.principal = attrs, password, principal
        host.managedby = managers
        if password_changed and host.principal:
            # ipa-pwd-extop ipapwd_pre_mod: a password written to an entry with
            # krbPrincipalAux and krbPrincipalName (a host that was enrolled once) gets
            # Kerberos keys derived from it; krbLastPwdChange is not set for hosts
            # (doc/freeipa-behaviour.md section 6). host_show still says has_keytab False
            # while the password is there.
            host.has_keytab = True
        entry = host_entry(call, host, view="mod", kw=kw)
    if random_password:
        entry["randompassword"] = random_password
    return {"result": entry, "value": fqdn, "summary": f'Modified host "{fqdn}"'}


def host_show(call: Call, kw: dict[str, Any]) -> dict:
    fqdn = normalize_fqdn(kw["fqdn"])
    with call.store.reading() as store:
        entry = host_entry(call, get_host(store, fqdn), view="show", kw=kw)
    return {"result": entry, "value": fqdn, "summary": None}


def _search_text(store: Directory, host: Host) -> str:
    """The lower-cased text ``criteria`` is looked for in, made again only when changed.

    host_mod replaces ``attrs`` (and ``managedby``) by new objects; in place only a
    managing host is removed from ``managedby`` (its deletion), which changes its
    length, and enrollment sets ``principal``. The cache holds the ``attrs`` object
    itself, so the identity test cannot be fooled by a reused id.
    """
    cached = store.search_text.get(host.fqdn)
    if (cached is not None and cached[0] is host.attrs
            and cached[1] == len(host.managedby) and cached[2] == host.principal):
        return cached[3]
    text = "\0".join([host.fqdn, host.principal or "", *host.managedby,
                      *(v for a in SEARCH_ATTRS for v in host.attrs.get(a, ()))]).lower()
    store.search_text[host.fqdn] = (host.attrs, len(host.managedby), host.principal, text)
    return text


def _matches(store: Directory, host: Host, kw: dict[str, Any]) -> bool:
    """IPA's host_find filters: exact attribute filters, membership filters
    and a case-insensitive substring ``criteria`` over the searchable attributes."""
    criteria = (kw.get("criteria") or "").lower()
    if criteria and criteria not in _search_text(store, host):
        return False  # first: the most selective filter, one substring test per host
    if kw.get("fqdn") is not None and host.fqdn != kw["fqdn"].lower().rstrip("."):
        return False
    for name in ("description", "l", "nshostlocation", "nshardwareplatform", "nsosversion",
                 "ipaassignedidview", "userclass", "macaddress", "krbprincipalauthind"):
        wanted = kw.get(name)
        if wanted is None:
            continue
        have = {v.lower() for v in host.attrs.get(name, [])}
        if not all(str(w).lower() in have for w in (wanted if isinstance(wanted, tuple)
                                                    else (wanted,))):
            return False
    if kw.get("usercertificate"):
        have_certs = set(host.attrs.get("usercertificate", []))
        if not all(_certificate(c) in have_certs for c in kw["usercertificate"]):
            return False
    managers = set(host.managedby)
    if not all(h.lower() in managers for h in kw.get("man_by_host") or ()):
        return False
    if any(h.lower() in managers for h in kw.get("not_man_by_host") or ()):
        return False
    managed = [store.hosts.get(h.lower()) for h in kw.get("man_host") or ()]
    if not all(m is not None and host.fqdn in m.managedby for m in managed):
        return False
    for other in kw.get("not_man_host") or ():
        target = store.hosts.get(other.lower())
        if target is not None and host.fqdn in target.managedby:
            return False
    # Groups, roles and rules do not exist here: "in" filters match nothing.
    if any(kw.get(f) for f in ("in_hostgroup", "in_netgroup", "in_role", "in_hbacrule",
                               "in_sudorule", "enroll_by_user")):
        return False
    return True


def host_find(call: Call, kw: dict[str, Any]) -> dict:
    with call.store.reading() as store:
        hosts = sorted((h for h in store.hosts.values() if _matches(store, h, kw)),
                       key=lambda h: h.fqdn)
        if kw.get("pkey_only"):
            entries = [{"dn": host_dn(call, h.fqdn), "fqdn": [h.fqdn]} for h in hosts]
        else:
            entries = [host_entry(call, h, view="find", kw=kw) for h in hosts]
    return finish_search(call, entries, kw,
                         lambda n: f"{n} {plural(n, 'host', 'hosts')} matched")


def _delete_host(call: Call, fqdn: str, updatedns: bool) -> None:
    """host_del of one host, in FreeIPA's order (host.py host_del.pre_callback, then
    LDAPDelete; doc/freeipa-behaviour.md section 7): its services (each a service_del:
    cert_find on the CA, revocation, delete), its DNS records (the zone found through the
    server's own resolver), its certificates, and last the entry. Each step is done
    when a later one fails; references drop like LDAP referential integrity."""
    store = call.store
    get_host(store, fqdn)
    for principal, service in sorted(store.services.items()):
        if service.hostname == fqdn:
            revoke_certificates(call, service.attrs.get("usercertificate", []))
            acl.check(call, "delete", "service", service_dn(call, principal),
                      service_filter_attrs(call, service))
            del store.services[principal]
    if updatedns:
        call.inject("resolver")  # dns.resolver.zone_for_name, not wrapped: InternalError
        if not dns.remove_host_records(call, fqdn):
            call.warn(FAILED_TO_REMOVE_HOST_DNS_RECORDS, host=fqdn,
                      reason=dns.record_not_found(fqdn.split(".", 1)[0]).message)
    revoke_certificates(call, store.hosts[fqdn].attrs.get("usercertificate", []))
    acl.check(call, "delete", "host", host_dn(call, fqdn),
              host_filter_attrs(call, store.hosts[fqdn]))
    del store.hosts[fqdn]
    store.search_text.pop(fqdn, None)
    for entry in (*store.hosts.values(), *store.services.values()):
        if fqdn in entry.managedby:
            entry.managedby.remove(fqdn)


def revoke_certificates(call: Call, certs: list[str]) -> list[str]:
    """cert_find + revoke_certs (service.py) for an entry's certificates: Dogtag is asked
    even when there are none; the IPA CA's certificates that are not revoked yet are
    revoked (each needs the "retrieve certificate" and "revoke certificate" virtual
    operations). Returns the entry's certificates the CA knows (cert_find's answer).
    Without a CA: nothing (doc/freeipa-behaviour.md sections 3, 4 and 8b)."""
    if not call.env.ca_enabled:
        return []
    call.inject("ca")
    store = call.store
    known = [c for c in certs if c in store.ca_certs]
    for cert in known:
        if store.ca_certs[cert]:
            continue  # already revoked: skipped
        for operation in ("retrieve certificate", "revoke certificate"):
            if not acl.may_perform(store, call.principal, operation):
                raise acl.denied_operation(operation)
        store.ca_certs[cert] = True
    return known


def _disable_entry(call: Call, kind: str, dn: str, attrs: dict[str, list[str]],
                   filter_attrs: dict[str, list[str]], has_keys: bool) -> tuple[bool, bool]:
    """service_disable / the host half of host_disable: revoke and remove certificates,
    then remove the keys. Returns (certificates removed, keys removed); raises
    ACIError 2100 at the first write the caller may not do (what came before stays)."""
    store = call.store
    known = revoke_certificates(call, attrs.get("usercertificate", []))
    certs_removed = False
    if known:
        if not acl.allowed(store, call.env.basedn, call.principal, "write", kind,
                           filter_attrs, ("usercertificate",)):
            raise acl.denied_write("usercertificate", dn)
        attrs.pop("usercertificate", None)  # all of them, not only the IPA CA's
        certs_removed = True
    if has_keys:
        for attr in ("krbprincipalkey", "krblastpwdchange"):
            if not acl.allowed(store, call.env.basedn, call.principal, "write", kind,
                               filter_attrs, (attr,)):
                raise acl.denied_write(attr, dn)
    return certs_removed, has_keys


def host_del(call: Call, kw: dict[str, Any]) -> dict:
    fqdns = [normalize_fqdn(f) for f in kw["fqdn"]]
    deleted, failed = [], []
    with call.store.writing():
        for fqdn in fqdns:
            try:
                _delete_host(call, fqdn, bool(kw.get("updatedns")))
            except errors.IpaCommandError as exc:
                if not kw.get("continue") or exc.code < 4000:
                    raise
                failed.append(fqdn)
            else:
                deleted.append(fqdn)
    return {"result": {"failed": failed}, "value": deleted,
            "summary": f'Deleted host "{",".join(deleted)}"'}


def service_dn(call: Call, principal: str) -> str:
    return call.dn(f"krbprincipalname={principal}", "cn=services", "cn=accounts")


def service_filter_attrs(call: Call, service) -> dict[str, list[str]]:
    """What a target filter sees of a service entry."""
    from fakeipa.commands.service import OBJECTCLASSES as SERVICE_OBJECTCLASSES

    return {"objectclass": list(SERVICE_OBJECTCLASSES), "krbprincipalname": [service.principal],
            "memberof": [], "managedby": [host_dn(call, h) for h in service.managedby]}


def host_filter_attrs(call: Call, host: Host) -> dict[str, list[str]]:
    """What a target filter sees of a host entry."""
    return {"objectclass": OBJECTCLASSES + (PRINCIPAL_OBJECTCLASSES if host.principal else []),
            "fqdn": [host.fqdn], "cn": [host.fqdn],
            "krbprincipalname": [host.principal] if host.principal else [],
            "managedby": [host_dn(call, h) for h in host.managedby], "memberof": [],
            **{k: v for k, v in host.attrs.items() if k in ("description", "userclass")}}


def host_disable(call: Call, kw: dict[str, Any]) -> dict:
    """host.py host_disable.execute (doc/freeipa-behaviour.md section 3): service_disable
    for each of the host's own services first (AlreadyInactive swallowed, any other error
    aborts), then the host's certificates and keys; AlreadyInactive when nothing was
    done. userPassword is never touched."""
    fqdn = normalize_fqdn(kw["fqdn"])
    with call.store.writing() as store:
        host = get_host(store, fqdn)
        done = False
        for principal, service in sorted(store.services.items()):
            if service.hostname != fqdn:
                continue
            certs, keys = _disable_entry(call, "service", service_dn(call, principal),
                                         service.attrs, service_filter_attrs(call, service),
                                         service.has_keytab)
            if keys:
                service.has_keytab = False
            done = done or certs or keys
        certs, keys = _disable_entry(call, "host", host_dn(call, fqdn), host.attrs,
                                     host_filter_attrs(call, host), host.has_keytab)
        if keys:
            host.has_keytab = False
            host.keys_changed = None
        if not (done or certs or keys):
            raise errors.IpaAlreadyInactive()
    return {"result": True, "value": fqdn, "summary": f'Disabled host "{fqdn}"'}


# --------------------------------------------------------------------------
# Enrolment (what ipa-join does with an OTP); not a JSON-RPC command.


class EnrollmentRefused(Exception):
    """ipa-join would fail; ``status`` is the HTTP status the test hook answers."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def enroll_host(store: Directory, realm: str, fqdn: str, otp: str) -> dict:
    """Enrol a host with its one-time password: keys in, password out."""
    fqdn = str(fqdn).strip().lower().rstrip(".")
    with store.writing():
        host = store.hosts.get(fqdn)
        if host is None:
            raise EnrollmentRefused(404, f"{fqdn}: host not found")
        if host.keys_changed is not None:  # ipa_enrollment.c: krbLastPwdChange exists
            raise EnrollmentRefused(403, "Host already enrolled")
        if host.password is None:
            raise EnrollmentRefused(403, "No one-time password is set for this host")
        if not hmac.compare_digest(host.password.encode(), str(otp).encode()):
            raise EnrollmentRefused(403, "Incorrect one-time password")
        host.password = None
        host.has_keytab = True
        host.principal = host.principal or host_principal(fqdn, realm)
        host.keys_changed = generalized_time(datetime.datetime.now(datetime.timezone.utc))
        return {"fqdn": fqdn, "principal": host.principal, "has_keytab": True}


COMMANDS = (
    command("host_add", host_add, args=[FQDN_ARG],
            options=[*_WRITABLE, ADDATTR, SETATTR, ALL, RAW, NO_MEMBERS,
                     param("force", "flag"), param("no_reverse", "flag"),
                     param("ip_address?")]),
    command("host_mod", host_mod, args=[FQDN_ARG],
            options=[*_WRITABLE, ADDATTR, SETATTR, DELATTR, ALL, RAW, NO_MEMBERS, RIGHTS,
                     param("krbprincipalname*", "principal"), param("updatedns?", "flag")]),
    command("host_show", host_show, args=[FQDN_ARG],
            options=[ALL, RAW, NO_MEMBERS, RIGHTS, param("out?")]),
    command("host_find", host_find, args=[param("criteria?")],
            options=[*_DESCRIPTIVE, param("fqdn?", cli="hostname"), NO_MEMBERS_FIND,
                     *SEARCH_OPTIONS,
                     *(param(f"{prefix}{what}*") for prefix in ("", "not_")
                       for what in ("in_hostgroup", "in_netgroup", "in_role", "in_hbacrule",
                                    "in_sudorule", "enroll_by_user", "man_by_host",
                                    "man_host"))],
            output=ENTRY_LIST),
    command("host_del", host_del, args=[param("fqdn+", cli="hostname")],
            options=[CONTINUE, param("updatedns?", "flag")], output=MULTI_DELETE),
    command("host_disable", host_disable, args=[FQDN_ARG], output=BOOL_VALUE),
)
