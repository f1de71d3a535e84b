"""Who may do what: FreeIPA permissions evaluated the way 389-ds evaluates their ACIs.

A permission becomes one ACI on its subtree (``permission.make_aci``): rights, a
target filter, attributes, and a bind rule (members of the permission through
privilege and role, or everyone). 389-ds evaluates the target filter on the new
entry for an add and on the entry *before* the change for a modify or delete
(``ldbm_add.c``, ``ldbm_modify.c``, ``ldbm_delete.c``); a write needs every
attribute it touches, including a whole-attribute delete of an attribute that
has no value (``acl.c acl_check_mods``). See doc/freeipa-behaviour.md section 9.

Admins (``admin``, and unauthenticated callers of the lite server's /ipa/json)
may do anything: "Admin can manage any entry". Other callers get what their roles
grant for host, service and DNS record entries, at the LDAP operation where FreeIPA
meets the ACI (add, modify, delete; the implicit writes of host_del and host_disable
included). Host and service reads are not enforced: they are readable by everyone
("System: Read Hosts", "System: Read Services"); DNS, which only holders of "System:
Read DNS Entries" may read, is hidden from others (commands/dns.py may_read).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from fakeipa import errors
from fakeipa.store import Directory

ADMINS = {"admin"}
UNAUTHENTICATED = "UNKNOWN"
# Where each entry type lives (ipapermlocation of --type permissions).
CONTAINERS = {"host": "cn=computers,cn=accounts", "service": "cn=services,cn=accounts"}
DNS_TARGET = "idnsname=*,cn=dns,"  # + basedn: the DNS permissions' ipapermtarget


def caller_is_admin(principal: str) -> bool:
    if principal == UNAUTHENTICATED:
        return True
    name, _, _ = principal.partition("@")
    return name.lower() in ADMINS


def _member_of_role(role_members: Mapping[str, list[str]], principal: str) -> bool:
    name = principal.partition("@")[0]
    if "/" in name:  # a service or host principal
        if name.startswith("host/"):
            return name[len("host/"):].lower() in role_members.get("host", [])
        return principal in role_members.get("service", [])
    return name.lower() in role_members.get("user", [])


def permissions_of(store: Directory, principal: str) -> set[str]:
    """The lower-cased names of the permissions ``principal`` holds (role -> privilege ->
    permission), plus those bound to everyone."""
    held = {key for key, perm in store.permissions.items() if perm.bindtype == "all"}
    for role in store.roles.values():
        if not _member_of_role(role.members, principal):
            continue
        for priv_name in role.privileges:
            priv = store.privileges.get(priv_name.lower())
            if priv is not None:
                held.update(p.lower() for p in priv.permissions)
    return held


# -- a small LDAP filter evaluator (RFC 4515 subset: & | ! = presence substrings) -----------

_TOKEN = re.compile(r"\(|\)|[^()]+")


def matches(filter_text: str, entry: Mapping[str, list[str]]) -> bool:
    """Whether ``entry`` (attribute -> values, names lower-case) matches the filter."""
    tokens = _TOKEN.findall(filter_text.strip())
    value, rest = _parse(tokens, entry)
    if rest:
        raise ValueError(f"bad filter {filter_text!r}")
    return value


def _parse(tokens: list[str], entry: Mapping[str, list[str]]) -> tuple[bool, list[str]]:
    if not tokens or tokens[0] != "(":
        raise ValueError("filter must start with '('")
    tokens = tokens[1:]
    head = tokens[0]
    if head in ("&", "|", "!"):
        op, tokens = head, tokens[1:]
        results = []
        while tokens and tokens[0] == "(":
            value, tokens = _parse(tokens, entry)
            results.append(value)
        if not tokens or tokens[0] != ")":
            raise ValueError("unbalanced filter")
        if op == "&":
            return all(results), tokens[1:]
        if op == "|":
            return any(results), tokens[1:]
        return not results[0], tokens[1:]
    item, tokens = head, tokens[1:]
    if not tokens or tokens[0] != ")":
        raise ValueError("unbalanced filter")
    return _item(item, entry), tokens[1:]


def _item(item: str, entry: Mapping[str, list[str]]) -> bool:
    attr, _, wanted = item.partition("=")
    values = [v.lower() for v in entry.get(attr.strip().lower(), [])]
    wanted = wanted.lower()
    if wanted == "*":
        return bool(values)
    if "*" in wanted:
        pattern = re.compile(".*".join(re.escape(p) for p in wanted.split("*")), re.S)
        return any(pattern.fullmatch(v) for v in values)
    return wanted in values


# -- rights ---------------------------------------------------------------------------------

def allowed(store: Directory, basedn: str, principal: str, right: str, kind: str,
            entry: Mapping[str, list[str]], attrs: tuple[str, ...] = ()) -> bool:
    """Whether ``principal`` has ``right`` on an entry of ``kind`` (host or service) whose
    attributes (for the target filter) are ``entry``; for ``write``, on every attribute."""
    if caller_is_admin(principal):
        return True
    held = permissions_of(store, principal)
    needed = set(attrs) if right == "write" else {None}
    for key in held:
        perm = store.permissions.get(key)
        if perm is None or not _covers(perm, kind, basedn):
            continue
        if right not in perm.rights and "all" not in perm.rights:
            continue
        if not all(matches(f, entry) for f in perm.filters):
            continue
        if right == "write":
            granted = (set(perm.defaults) | set(perm.included)) - set(perm.excluded)
            needed -= granted
        else:
            needed.clear()
        if not needed:
            return True
    return False


def _covers(perm, kind: str, basedn: str) -> bool:
    """Whether a permission's subtree (and target) holds entries of ``kind``."""
    if kind == "dns":
        return (perm.location.lower() in (basedn.lower(), f"cn=dns,{basedn}".lower())
                and (perm.target or "").lower() == (DNS_TARGET + basedn).lower()) or \
            perm.location.lower() == f"cn=dns,{basedn}".lower() and not perm.target
    return perm.location.lower() == f"{CONTAINERS[kind]},{basedn}".lower()


def check(call, right: str, kind: str, dn: str, entry: Mapping[str, list[str]],
          attrs: tuple[str, ...] = ()) -> None:
    """ACIError 2100 with 389-ds's text unless the caller of ``call`` has the right."""
    store, basedn, principal = call.store, call.env.basedn, call.principal
    if right == "write":
        for attr in attrs:
            if not allowed(store, basedn, principal, "write", kind, entry, (attr,)):
                raise denied_write(attr, dn)
        return
    if not allowed(store, basedn, principal, right, kind, entry):
        verb = "add the entry" if right == "add" else "delete the entry"
        raise errors.IpaACIError(info=f"Insufficient '{right}' privilege to {verb} '{dn}'.")


def may_perform(store: Directory, principal: str, operation: str) -> bool:
    """A certificate virtual operation (``check_operation_access``): the permissions
    "Retrieve Certificates from the CA" / "Revoke Certificate" (privilege Certificate
    Administrators)."""
    if caller_is_admin(principal):
        return True
    names = {"retrieve certificate": "retrieve certificates from the ca",
             "revoke certificate": "revoke certificate"}
    return names[operation] in permissions_of(store, principal)


def denied_write(attr: str, dn: str) -> errors.IpaCommandError:
    """389-ds's text for a refused modify, as IPA passes it on (ACIError 2100)."""
    return errors.IpaACIError(
        info=f"Insufficient 'write' privilege to the '{attr}' attribute of entry '{dn}'.")


def denied_operation(operation: str) -> errors.IpaCommandError:
    return errors.IpaACIError(info=f"not allowed to perform operation: {operation}")
