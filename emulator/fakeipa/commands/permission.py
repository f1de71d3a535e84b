"""permission_* commands.

A permission is FreeIPA's readable form of one 389-ds ACI: rights, a subtree,
target filters, attributes and a bind rule. ``--type`` fills the subtree and
an objectclass filter; ``extratargetfilter`` is every filter but that one.
The emulator stores and shows permissions as FreeIPA does; :mod:`fakeipa.acl`
enforces them on host, service and DNS record entries for callers other than
admin. The permissions a fresh server has come from :mod:`fakeipa.seed`.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from fakeipa import errors
from fakeipa.commands.base import (
    ALL,
    CONTINUE,
    ENTRY_LIST,
    MULTI_DELETE,
    NO_MEMBERS,
    NO_MEMBERS_FIND,
    RAW,
    RIGHTS,
    SEARCH_OPTIONS,
    Call,
    command,
    finish_search,
    param,
    plural,
)
from fakeipa.store import Directory, Permission

SYSTEM_OBJECTCLASSES = ["top", "groupofnames", "ipapermission"]
OBJECTCLASSES = [*SYSTEM_OBJECTCLASSES, "ipapermissionv2"]
RIGHT_VALUES = ("read", "search", "compare", "write", "add", "delete", "all")
BINDTYPES = ("permission", "all", "anonymous", "self")
# --type -> (container below the suffix, the filter it implies).
TYPES = {
    "user": ("cn=users,cn=accounts", "(objectclass=posixaccount)"),
    "group": ("cn=groups,cn=accounts", "(|(objectclass=ipausergroup)(objectclass=posixgroup))"),
    "host": ("cn=computers,cn=accounts", "(objectclass=ipahost)"),
    "hostgroup": ("cn=hostgroups,cn=accounts", "(objectclass=ipahostgroup)"),
    "service": ("cn=services,cn=accounts", "(objectclass=ipaservice)"),
}
MISSING_TARGET_ATTRIBUTES = (13032, "MissingTargetAttributesinPermission",
                             "The permission has %(right)s rights but no attributes are set.")
_NEW_NAME = re.compile(r"^[-_ a-zA-Z0-9.]+$")
_OBJECTCLASS_FILTER = re.compile(r"^\((\|(\(objectclass=[^()]*\))+|objectclass=[^()]*)\)$", re.I)
_SYSTEM_ONLY = "A SYSTEM permission may not be modified or removed"


def permission_dn(call: Call, name: str) -> str:
    return call.dn(f"cn={name}", "cn=permissions", "cn=pbac")


def get_permission(store: Directory, name: str) -> Permission:
    perm = store.permissions.get(name.lower())
    if perm is None:
        raise errors.IpaNotFound(reason=f"{name}: permission not found")
    return perm


def _dn(value: str) -> str:
    return ",".join(part.strip() for part in value.split(","))


def _type_of(perm: Permission, basedn: str) -> str | None:
    for name, (container, implied) in TYPES.items():
        if (perm.location.lower() == f"{container},{basedn}".lower()
                and implied.lower() in (f.lower() for f in perm.filters)):
            return name
    return None


def effective_attrs(perm: Permission) -> list[str]:
    attrs = set(perm.defaults) | set(perm.included)
    if "read" in perm.rights and "objectclass" in attrs:
        attrs |= {"entryusn", "createtimestamp", "modifytimestamp"}
    return sorted(attrs - set(perm.excluded))


def permission_entry(call: Call, perm: Permission, *, view: str, kw: dict[str, Any]) -> dict:
    """The permission as IPA shows it; ``view`` is add, mod, show or find."""
    full = bool(kw.get("all") or kw.get("raw"))
    entry: dict[str, Any] = {} if view == "mod" and not full else {
        "dn": permission_dn(call, perm.name)}
    entry["cn"] = [perm.name]
    entry["ipapermissiontype"] = list(perm.flags)
    if perm.flags == ["SYSTEM"]:  # old-style: no ACI of its own
        entry["objectclass"] = list(SYSTEM_OBJECTCLASSES)
    else:
        entry.update(objectclass=list(OBJECTCLASSES), ipapermright=list(perm.rights),
                     ipapermbindruletype=[perm.bindtype], ipapermlocation=[perm.location])
        kind = _type_of(perm, call.env.basedn)
        implied = {TYPES[kind][1].lower()} if kind else set()
        extra = sorted(f for f in perm.filters if f.lower() not in implied)
        if kind:
            entry["type"] = [kind]
        if extra:
            entry["extratargetfilter"] = extra
        if perm.target:
            entry["ipapermtarget"] = [perm.target]
        if effective_attrs(perm):
            entry["attrs"] = effective_attrs(perm)
        if perm.defaults:
            entry["ipapermdefaultattr"] = sorted(perm.defaults)
        if perm.excluded:
            entry["ipapermexcludedattr"] = sorted(perm.excluded)
        if perm.included and (full or perm.defaults or perm.excluded):
            entry["ipapermincludedattr"] = sorted(perm.included)
        if full and perm.filters:
            entry["ipapermtargetfilter"] = list(perm.filters)
    if not kw.get("no_members"):
        key = perm.name.lower()
        privileges = [p for p in call.store.privileges.values() if key in p.permissions]
        roles = [r.name for r in call.store.roles.values()
                 if any(p.name.lower() in r.privileges for p in privileges)]
        if privileges:
            entry["member_privilege"] = [p.name for p in privileges]
        if roles:
            entry["memberindirect_role"] = roles
    return entry


def _check_filters(filters: list[str], label: str) -> None:
    for value in filters:
        if not (value.startswith("(") and value.endswith(")")):
            raise errors.IpaValidationError(name=label, error="must be enclosed in parentheses")
        depth = 0
        for char in value:
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth < 0:
                break
        if depth != 0:
            raise errors.IpaValidationError(name="ipapermtargetfilter",
                                               error="Bad search filter")


def _check_complete(perm: Permission, basedn: str) -> None:
    """FreeIPA's validate_permission: a real subtree, a target, and rights."""
    if not perm.location.lower().endswith(basedn.lower()):
        raise errors.IpaValidationError(name="ipapermlocation",
                                           error=f"Entry {perm.location} does not exist")
    if not (perm.target or perm.filters or perm.included or perm.defaults or perm.excluded):
        raise errors.IpaValidationError(
            name="target",
            error="there must be at least one target entry specifier "
                  "(e.g. target, targetfilter, attrs)")
    if not perm.rights:
        raise errors.IpaRequirementError(name="right")


def _check_new_name(name: str, label: str) -> None:
    if not _NEW_NAME.match(name):
        raise errors.IpaValidationError(
            name=label, error="May only contain letters, numbers, -, _, ., and space")


def _apply_type(call: Call, perm: Permission, kind: str | None) -> None:
    perm.filters = [f for f in perm.filters if not _OBJECTCLASS_FILTER.match(f)]
    if kind:
        if kind not in TYPES:
            raise errors.IpaValidationError(name="type", error=f'"{kind}" is not an object type')
        container, implied = TYPES[kind]
        perm.location = f"{container},{call.env.basedn}"
        perm.filters.append(implied)


def permission_add(call: Call, kw: dict[str, Any]) -> dict:
    name = kw["cn"]
    _check_new_name(name, "name")
    if kw.get("ipapermtargetfilter") and kw.get("extratargetfilter"):
        raise errors.IpaValidationError(
            name="ipapermtargetfilter",
            error="cannot specify full target filter and extra target filter simultaneously")
    _check_filters(list(kw.get("ipapermtargetfilter") or ()), "rawfilter")
    _check_filters(list(kw.get("extratargetfilter") or ()), "filter")
    if kw.get("type") and kw.get("ipapermlocation"):
        raise errors.IpaValidationError(name="ipapermlocation",
                                           error="subtree and type are mutually exclusive")
    perm = Permission(name, list(dict.fromkeys(kw.get("ipapermright") or ())),
                      _dn(kw.get("ipapermlocation") or call.env.basedn),
                      filters=list(kw.get("ipapermtargetfilter") or kw.get("extratargetfilter")
                                   or ()),
                      target=_dn(kw["ipapermtarget"]) if kw.get("ipapermtarget") else None,
                      included=sorted({a.lower() for a in kw.get("attrs") or ()}),
                      bindtype=kw.get("ipapermbindruletype") or "permission")
    if kw.get("type"):
        _apply_type(call, perm, kw["type"])
    _check_complete(perm, call.env.basedn)
    if "write" in perm.rights and not effective_attrs(perm):
        call.warn(MISSING_TARGET_ATTRIBUTES, right="write")
    with call.store.writing() as store:
        if name.lower() in store.permissions:
            raise errors.IpaDuplicateEntry(
                message=f'permission with name "{name}" already exists')
        store.permissions[name.lower()] = perm
        entry = permission_entry(call, perm, view="add", kw=kw)
    return {"result": entry, "value": name, "summary": f'Added permission "{name}"'}


def permission_show(call: Call, kw: dict[str, Any]) -> dict:
    with call.store.reading() as store:
        perm = get_permission(store, kw["cn"])
        entry = permission_entry(call, perm, view="show", kw=kw)
    return {"result": entry, "value": kw["cn"], "summary": None}


def _matches(call: Call, perm: Permission, kw: dict[str, Any]) -> bool:
    if kw.get("cn") is not None and perm.name.lower() != kw["cn"].lower():
        return False
    if not set(kw.get("ipapermright") or ()) <= set(perm.rights):
        return False
    if not {a.lower() for a in kw.get("attrs") or ()} <= set(effective_attrs(perm)):
        return False
    if kw.get("type") is not None and _type_of(perm, call.env.basedn) != kw["type"]:
        return False
    if kw.get("ipapermbindruletype") not in (None, perm.bindtype):
        return False
    criteria = (kw.get("criteria") or "").lower()
    return not criteria or criteria in perm.name.lower()


def permission_find(call: Call, kw: dict[str, Any]) -> dict:
    with call.store.reading() as store:
        perms = [p for _, p in sorted(store.permissions.items()) if _matches(call, p, kw)]
        if kw.get("pkey_only"):
            entries = [{"dn": permission_dn(call, p.name), "cn": [p.name]} for p in perms]
        else:
            entries = [permission_entry(call, p, view="find", kw=kw) for p in perms]
    return finish_search(call, entries, kw,
                         lambda n: f"{n} {plural(n, 'permission', 'permissions')} matched")


def permission_del(call: Call, kw: dict[str, Any]) -> dict:
    deleted, failed = [], []
    with call.store.writing() as store:
        for name in kw["cn"]:
            try:
                perm = get_permission(store, name)
            except errors.IpaNotFound:
                if not kw.get("continue"):
                    raise
                failed.append(name)
                continue
            if not kw.get("force"):
                if perm.flags == ["SYSTEM"]:
                    raise errors.IpaACIError(info=_SYSTEM_ONLY)
                if perm.defaults:
                    raise errors.IpaACIError(info="cannot delete managed permissions")
            del store.permissions[name.lower()]
            for privilege in store.privileges.values():
                if name.lower() in privilege.permissions:
                    privilege.permissions.remove(name.lower())
            deleted.append(name)
    return {"result": {"failed": failed}, "value": deleted,
            "summary": f'Deleted permission "{",".join(deleted)}"'}


_ACI_PARTS = ("ipapermright", "extratargetfilter", "ipapermtargetfilter", "ipapermlocation",
              "ipapermtarget", "type")


def _check_mod(store: Directory, perm: Permission, kw: dict[str, Any]) -> None:
    if perm.flags == ["SYSTEM"]:
        raise errors.IpaACIError(info=_SYSTEM_ONLY)
    if "MANAGED" in perm.flags:
        if "rename" in kw:
            raise errors.IpaValidationError(name="rename",
                                               error="cannot rename managed permissions")
        blocked = sorted(set(_ACI_PARTS) & set(kw))
        if blocked:
            raise errors.IpaValidationError(name=blocked[0],
                                               error="not modifiable on managed permissions")
    elif kw.get("ipapermexcludedattr"):
        raise errors.IpaValidationError(name="ipapermexcludedattr",
                                           error="only available on managed permissions")
    if "ipapermtargetfilter" in kw and "extratargetfilter" in kw:
        raise errors.IpaValidationError(
            name="ipapermtargetfilter",
            error="cannot specify full target filter and extra target filter simultaneously")
    if "attrs" in kw and ({"ipapermincludedattr", "ipapermexcludedattr"} & set(kw)):
        raise errors.IpaValidationError(
            name="attrs", error="attrs and included/excluded attributes are mutually exclusive")
    if kw.get("type") and kw.get("ipapermlocation"):
        raise errors.IpaValidationError(name="ipapermlocation",
                                           error="subtree and type are mutually exclusive")
    assigned = any(perm.name.lower() in p.permissions for p in store.privileges.values())
    if kw.get("ipapermbindruletype") and assigned:
        raise errors.IpaValidationError(
            name="ipapermbindruletype",
            error="cannot set bindtype for a permission that is assigned to a privilege")


def _modified(call: Call, perm: Permission, kw: dict[str, Any]) -> Permission:
    new = copy.deepcopy(perm)
    if "ipapermright" in kw:
        new.rights = list(dict.fromkeys(kw["ipapermright"] or ()))
    if "type" in kw:
        _apply_type(call, new, kw["type"])
    if "ipapermlocation" in kw:
        new.location = _dn(kw["ipapermlocation"] or call.env.basedn)
    if "ipapermtarget" in kw:
        new.target = _dn(kw["ipapermtarget"]) if kw["ipapermtarget"] else None
    if "extratargetfilter" in kw:
        _check_filters(list(kw["extratargetfilter"] or ()), "filter")
        implied = [f for f in new.filters if _OBJECTCLASS_FILTER.match(f)]
        new.filters = list(kw["extratargetfilter"] or ()) + implied
    if "ipapermtargetfilter" in kw:
        _check_filters(list(kw["ipapermtargetfilter"] or ()), "rawfilter")
        new.filters = list(kw["ipapermtargetfilter"] or ())
    if "attrs" in kw:
        wanted = {a.lower() for a in kw["attrs"] or ()}
        new.included = sorted(wanted - set(perm.defaults))
        new.excluded = sorted(set(perm.defaults) - wanted)
    for option, attr in (("ipapermincludedattr", "included"), ("ipapermexcludedattr", "excluded")):
        if option in kw:
            setattr(new, attr, sorted({a.lower() for a in kw[option] or ()}))
    if kw.get("ipapermbindruletype"):
        new.bindtype = kw["ipapermbindruletype"]
    if kw.get("rename"):
        _check_new_name(kw["rename"], "rename")
        new.name = kw["rename"]
    return new


def permission_mod(call: Call, kw: dict[str, Any]) -> dict:
    with call.store.writing() as store:
        perm = get_permission(store, kw["cn"])
        _check_mod(store, perm, kw)
        new = _modified(call, perm, kw)
        _check_complete(new, call.env.basedn)
        if new == perm:
            raise errors.IpaEmptyModlist()
        if new.name.lower() != perm.name.lower():
            if new.name.lower() in store.permissions:
                raise errors.IpaDuplicateEntry()
            for privilege in store.privileges.values():
                privilege.permissions = [new.name.lower() if p == perm.name.lower() else p
                                         for p in privilege.permissions]
        del store.permissions[perm.name.lower()]
        store.permissions[new.name.lower()] = new
        entry = permission_entry(call, new, view="mod", kw=kw)
    return {"result": entry, "value": new.name, "summary": f'Modified permission "{new.name}"'}


_NAME = param("cn", cli="name")
_ACI_OPTIONS = (
    param("attrs*"),
    param("extratargetfilter*", cli="filter"),
    param("ipapermtargetfilter*", cli="rawfilter"),
    param("ipapermlocation?", cli="subtree"),
    param("ipapermtarget?", cli="target"),
    param("ipapermright*", cli="right", values=RIGHT_VALUES),
    param("type?"),
)

COMMANDS = (
    command("permission_add", permission_add, args=[_NAME],
            options=[*_ACI_OPTIONS, param("ipapermbindruletype", cli="bindtype",
                                          default="permission", values=BINDTYPES),
                     ALL, RAW, NO_MEMBERS]),
    command("permission_show", permission_show, args=[_NAME],
            options=[ALL, RAW, NO_MEMBERS, RIGHTS]),
    command("permission_find", permission_find, args=[param("criteria?")],
            options=[param("cn?", cli="name"), param("attrs*"),
                     param("ipapermright*", cli="right", values=RIGHT_VALUES), param("type?"),
                     param("ipapermbindruletype?", cli="bindtype", values=BINDTYPES),
                     NO_MEMBERS_FIND, *SEARCH_OPTIONS],
            output=ENTRY_LIST),
    command("permission_del", permission_del, args=[param("cn+", cli="name")],
            options=[CONTINUE, param("force", "flag")], output=MULTI_DELETE),
    command("permission_mod", permission_mod, args=[_NAME],
            options=[*_ACI_OPTIONS, param("ipapermbindruletype?", cli="bindtype",
                                          values=BINDTYPES),
                     param("ipapermincludedattr*", cli="includedattrs"),
                     param("ipapermexcludedattr*", cli="excludedattrs"),
                     param("rename?"), ALL, RAW, NO_MEMBERS, RIGHTS]),
)
