"""privilege_* and role_* commands: who holds which permissions.

A privilege groups permissions; a role grants privileges to its members
(users, groups, hosts, host groups, services). Adding members never raises
for a single bad member: IPA reports it in ``failed`` and goes on, as for
``service_add_host``. Hosts and services that were deleted drop out of roles
when shown, as LDAP referential integrity would remove them.
"""

from __future__ import annotations

from typing import Any

from fakeipa import errors
from fakeipa.commands.base import (
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
    Call,
    command,
    finish_search,
    param,
    plural,
)
from fakeipa.commands.host import normalize_fqdn
from fakeipa.commands.service import normalize_principal
from fakeipa.store import Directory, Privilege, Role

PRIVILEGE_OBJECTCLASSES = ["nestedgroup", "groupofnames", "top"]
ROLE_OBJECTCLASSES = ["groupofnames", "nestedgroup", "top"]
MEMBER_KINDS = ("user", "group", "host", "hostgroup", "service", "idoverrideuser")
# Entries of a fresh server that are not modelled otherwise.
BUILTIN = {"user": {"admin"}, "group": {"admins", "ipausers", "editors"},
           "hostgroup": {"ipaservers"}}
NO_SUCH_ENTRY = "no such entry"


def _check_name(name: str) -> None:
    if name != name.strip():
        raise errors.IpaValidationError(name="name",
                                           error="Leading and trailing spaces are not allowed")


def get_privilege(store: Directory, name: str) -> Privilege:
    found = store.privileges.get(name.lower())
    if found is None:
        raise errors.IpaNotFound(reason=f"{name}: privilege not found")
    return found


def get_role(store: Directory, name: str) -> Role:
    found = store.roles.get(name.lower())
    if found is None:
        raise errors.IpaNotFound(reason=f"{name}: role not found")
    return found


def _live(store: Directory, kind: str, name: str) -> bool:
    if kind == "host":
        return name in store.hosts
    if kind == "service":
        return name in store.services
    if kind == "user" and name in store.users:
        return True
    return name in BUILTIN.get(kind, ())


def privilege_entry(call: Call, priv: Privilege, *, view: str, kw: dict[str, Any]) -> dict:
    entry: dict[str, Any] = {} if view == "mod" and not kw.get("all") else {
        "dn": call.dn(f"cn={priv.name}", "cn=privileges", "cn=pbac")}
    entry["cn"] = [priv.name]
    if priv.description:
        entry["description"] = [priv.description]
    if view == "add" or kw.get("all"):
        entry["objectclass"] = list(PRIVILEGE_OBJECTCLASSES)
    if not kw.get("no_members"):
        perms = [call.store.permissions[p].name for p in priv.permissions
                 if p in call.store.permissions]
        roles = [r.name for r in call.store.roles.values() if priv.name.lower() in r.privileges]
        if roles:
            entry["member_role"] = roles
        if perms:
            entry["memberof_permission"] = perms
    return entry


def role_entry(call: Call, role: Role, *, view: str, kw: dict[str, Any]) -> dict:
    entry: dict[str, Any] = {} if view == "mod" and not kw.get("all") else {
        "dn": call.dn(f"cn={role.name}", "cn=roles", "cn=accounts")}
    entry["cn"] = [role.name]
    if role.description:
        entry["description"] = [role.description]
    if view == "add" or kw.get("all"):
        entry["objectclass"] = list(ROLE_OBJECTCLASSES)
    if not kw.get("no_members"):
        for kind in MEMBER_KINDS:
            names = [n for n in role.members.get(kind, ()) if _live(call.store, kind, n)]
            if names:
                entry[f"member_{kind}"] = names
        privileges = [call.store.privileges[p].name for p in role.privileges
                      if p in call.store.privileges]
        if privileges:
            entry["memberof_privilege"] = privileges
    return entry


def _add(call: Call, kw: dict[str, Any], kind: str) -> dict:
    name = kw["cn"]
    _check_name(name)
    cls, entry_of, where = ((Privilege, privilege_entry, "privileges") if kind == "privilege"
                            else (Role, role_entry, "roles"))
    with call.store.writing() as store:
        table = getattr(store, where)
        if name.lower() in table:
            raise errors.IpaDuplicateEntry(message=f'{kind} with name "{name}" already exists')
        table[name.lower()] = created = cls(name, kw.get("description"))
        entry = entry_of(call, created, view="add", kw=kw)
    return {"result": entry, "value": name, "summary": f'Added {kind} "{name}"'}


def _show(call: Call, kw: dict[str, Any], kind: str) -> dict:
    with call.store.reading() as store:
        if kind == "privilege":
            entry = privilege_entry(call, get_privilege(store, kw["cn"]), view="show", kw=kw)
        else:
            entry = role_entry(call, get_role(store, kw["cn"]), view="show", kw=kw)
    return {"result": entry, "value": kw["cn"], "summary": None}


def _find(call: Call, kw: dict[str, Any], kind: str) -> dict:
    criteria = (kw.get("criteria") or "").lower()
    with call.store.reading() as store:
        table = store.privileges if kind == "privilege" else store.roles
        found = [e for _, e in sorted(table.items())
                 if (kw.get("cn") is None or e.name.lower() == kw["cn"].lower())
                 and (kw.get("description") is None or e.description == kw["description"])
                 and (not criteria or criteria in e.name.lower()
                      or criteria in (e.description or "").lower())]
        entry_of = privilege_entry if kind == "privilege" else role_entry
        entries = [{"dn": entry_of(call, e, view="find", kw=kw)["dn"], "cn": [e.name]}
                   if kw.get("pkey_only") else entry_of(call, e, view="find", kw=kw)
                   for e in found]
    many = "privileges" if kind == "privilege" else "roles"
    return finish_search(call, entries, kw, lambda n: f"{n} {plural(n, kind, many)} matched")


def _delete(call: Call, kw: dict[str, Any], kind: str) -> dict:
    deleted, failed = [], []
    with call.store.writing() as store:
        table = store.privileges if kind == "privilege" else store.roles
        for name in kw["cn"]:
            if name.lower() not in table:
                if not kw.get("continue"):
                    raise errors.IpaNotFound(reason=f"{name}: {kind} not found")
                failed.append(name)
                continue
            del table[name.lower()]
            for role in store.roles.values():
                if name.lower() in role.privileges:
                    role.privileges.remove(name.lower())
            deleted.append(name)
    return {"result": {"failed": failed}, "value": deleted,
            "summary": f'Deleted {kind} "{",".join(deleted)}"'}


def _change(held: list[str], key: str, add: bool) -> str | None:
    """Add or remove ``key``; the failure reason, or None when done."""
    if add and key in held:
        return errors.IpaAlreadyGroupMember().message
    if not add and key not in held:
        return errors.IpaNotGroupMember().message
    if add:
        held.append(key)
    else:
        held.remove(key)
    return None


def _change_permissions(call: Call, kw: dict[str, Any], add: bool) -> dict:
    names = list(kw.get("permission") or ())
    failed, completed = [], 0
    with call.store.writing() as store:
        priv = get_privilege(store, kw["cn"])
        if add:
            for name in names:  # FreeIPA checks them all before changing anything
                perm = store.permissions.get(name.lower())
                if perm is not None and perm.bindtype != "permission":
                    raise errors.IpaValidationError(
                        name="permission", error=f'cannot add permission "{perm.name}" with '
                                                 f'bindtype "{perm.bindtype}" to a privilege')
        for name in names:
            if name.lower() not in store.permissions:
                failed.append([name, "permission not found"])
            elif (reason := _change(priv.permissions, name.lower(), add)) is not None:
                failed.append([name, reason])
            else:
                completed += 1
        entry = privilege_entry(call, priv, view="member", kw=kw)
    return {"result": entry, "failed": {"member": {"permission": failed}},
            "completed": completed}


def _change_privileges(call: Call, kw: dict[str, Any], add: bool) -> dict:
    failed, completed = [], 0
    with call.store.writing() as store:
        role = get_role(store, kw["cn"])
        for name in kw.get("privilege") or ():
            if name.lower() not in store.privileges:
                failed.append([name, "privilege not found"])
            elif (reason := _change(role.privileges, name.lower(), add)) is not None:
                failed.append([name, reason])
            else:
                completed += 1
        entry = role_entry(call, role, view="member", kw=kw)
    return {"result": entry, "failed": {"member": {"privilege": failed}},
            "completed": completed}


def _member_key(call: Call, kind: str, value: str) -> str:
    if kind == "service":
        try:
            return normalize_principal(call, value)[0]
        except errors.IpaCommandError:
            return value
    if kind == "host":
        try:
            return normalize_fqdn(value)
        except errors.IpaCommandError:
            return value
    return value.lower()


def _change_members(call: Call, kw: dict[str, Any], add: bool) -> dict:
    failed: dict[str, list] = {kind: [] for kind in MEMBER_KINDS}
    completed = 0
    with call.store.writing() as store:
        role = get_role(store, kw["cn"])
        for kind in MEMBER_KINDS:
            held = role.members.setdefault(kind, [])
            held[:] = [n for n in held if _live(store, kind, n)]
            for value in kw.get(kind) or ():
                key = _member_key(call, kind, value)
                if add and not _live(store, kind, key):
                    failed[kind].append([value, NO_SUCH_ENTRY])
                elif (reason := _change(held, key, add)) is not None:
                    failed[kind].append([value, reason])
                else:
                    completed += 1
            if not held:
                del role.members[kind]
        entry = role_entry(call, role, view="member", kw=kw)
    return {"result": entry, "failed": {"member": failed}, "completed": completed}


def _for(extra: Any, handler: Any) -> Any:
    """A command handler that passes ``extra`` (the kind, or add/remove) on."""
    return lambda call, kw: handler(call, kw, extra)


def _commands(kind: str) -> tuple:
    name = param("cn", cli="name")
    return (
        command(f"{kind}_add", _for(kind, _add), args=[name],
                options=[param("description?", cli="desc"), ALL, RAW, NO_MEMBERS]),
        command(f"{kind}_show", _for(kind, _show), args=[name],
                options=[ALL, RAW, NO_MEMBERS, RIGHTS]),
        command(f"{kind}_find", _for(kind, _find), args=[param("criteria?")],
                options=[param("cn?", cli="name"), param("description?", cli="desc"),
                         NO_MEMBERS_FIND, *SEARCH_OPTIONS],
                output=ENTRY_LIST),
        command(f"{kind}_del", _for(kind, _delete), args=[param("cn+", cli="name")],
                options=[CONTINUE], output=MULTI_DELETE),
    )


_MEMBER_OPTIONS = (ALL, RAW, NO_MEMBERS)

COMMANDS = (
    *_commands("privilege"),
    *_commands("role"),
    *(command(f"privilege_{verb}_permission", _for(add, _change_permissions),
              args=[param("cn", cli="name")],
              options=[*_MEMBER_OPTIONS, param("permission*", cli="permissions")],
              output=MEMBER_CHANGE) for verb, add in (("add", True), ("remove", False))),
    *(command(f"role_{verb}_privilege", _for(add, _change_privileges),
              args=[param("cn", cli="name")],
              options=[*_MEMBER_OPTIONS, param("privilege*", cli="privileges")],
              output=MEMBER_CHANGE) for verb, add in (("add", True), ("remove", False))),
    *(command(f"role_{verb}_member", _for(add, _change_members), args=[param("cn", cli="name")],
              options=[*_MEMBER_OPTIONS, *(param(f"{k}*", cli=f"{k}s") for k in MEMBER_KINDS)],
              output=MEMBER_CHANGE) for verb, add in (("add", True), ("remove", False))),
)
