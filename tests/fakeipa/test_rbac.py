"""permission_*, privilege_*, role_* and server_find: stored and shown as FreeIPA does."""

from __future__ import annotations

import pytest

from tests.fakeipa.ipalib import ok, text
from tests.support import REALM

BASE = "dc=novajoin,dc=test"
HOSTS = f"cn=computers,cn=accounts,{BASE}"
PERM = "Owned Hosts"
PERM_DN = f"cn={PERM},cn=permissions,cn=pbac,{BASE}"
HOST = "web.novajoin.test"
SERVICE = f"HTTP/{HOST}@{REALM}"


def add_owned(ipa, name=PERM, **options):
    options = {"type": "host", "ipapermright": ["write"], "attrs": ["Description"],
               "extratargetfilter": ["(description=owned*)"], **options}
    return ipa("permission_add", name, **options)


def test_add_shows_the_aci_parts_as_freeipa(ipa):
    result = add_owned(ipa)
    assert result["value"] == PERM and result["summary"] == f'Added permission "{PERM}"'
    assert result["result"] == {
        "dn": PERM_DN, "cn": [PERM], "ipapermissiontype": ["SYSTEM", "V2"],
        "objectclass": ["top", "groupofnames", "ipapermission", "ipapermissionv2"],
        "ipapermright": ["write"], "ipapermbindruletype": ["permission"],
        "ipapermlocation": [HOSTS], "type": ["host"],
        "extratargetfilter": ["(description=owned*)"], "attrs": ["description"]}
    shown = ipa("permission_show", PERM.upper(), all=True)["result"]
    assert shown["ipapermtargetfilter"] == ["(description=owned*)", "(objectclass=ipahost)"]
    assert shown["ipapermincludedattr"] == ["description"]


def test_add_errors(ipa):
    add_owned(ipa)
    assert ipa.error("permission_add", PERM.lower(), type="host", ipapermright=["add"]) == {
        "code": 4002, "name": "DuplicateEntry", "data": {},
        "message": f'permission with name "{PERM.lower()}" already exists'}
    cases = [
        ({"name": "bad:name", "type": "host", "ipapermright": ["add"]},
         ("name", "May only contain letters, numbers, -, _, ., and space")),
        ({"ipapermright": ["write"]},
         ("target", "there must be at least one target entry specifier "
                    "(e.g. target, targetfilter, attrs)")),
        ({"type": "host", "ipapermright": ["add"], "ipapermtargetfilter": ["(cn=*)"],
          "extratargetfilter": ["(sn=*)"]},
         ("ipapermtargetfilter",
          "cannot specify full target filter and extra target filter simultaneously")),
        ({"type": "host", "ipapermright": ["add"], "extratargetfilter": ["cn=*"]},
         ("filter", "must be enclosed in parentheses")),
        ({"type": "host", "ipapermlocation": BASE, "ipapermright": ["add"]},
         ("ipapermlocation", "subtree and type are mutually exclusive")),
        ({"type": "toaster", "ipapermright": ["add"]}, ("type", '"toaster" is not an object type')),
        ({"type": "host", "ipapermright": ["fly"]},
         ("right", "must be one of 'read', 'search', 'compare', 'write', 'add', 'delete', "
                   "'all'")),
    ]
    for options, (name, error) in cases:
        options = dict(options)
        perm = options.pop("name", "other")
        assert ipa.error("permission_add", perm, **options)["data"] == {
            "name": name, "error": error}, options
    assert ipa.error("permission_add", "other", type="host")["message"] == "'right' is required"


def test_write_without_attributes_warns(ipa):
    answer = ipa("permission_add", "Write All", type="host", ipapermright=["write"])
    assert answer["messages"] == [{
        "type": "warning", "name": "MissingTargetAttributesinPermission", "code": 13032,
        "message": "The permission has write rights but no attributes are set.",
        "data": {"right": "write"}}]


def test_permission_outside_a_type(ipa):
    target = f"idnsname=*,cn=dns,{BASE}"
    entry = ipa("permission_add", "DNS Records", ipapermright=["add"], ipapermtarget=target,
                extratargetfilter=["(objectclass=idnsrecord)"])["result"]
    assert entry["ipapermlocation"] == [BASE] and entry["ipapermtarget"] == [target]
    assert entry["extratargetfilter"] == ["(objectclass=idnsrecord)"] and "type" not in entry


def test_mod_changes_rights_filters_and_attributes(ipa):
    add_owned(ipa)
    result = ipa("permission_mod", PERM, ipapermright=["write", "delete"],
                 extratargetfilter=["(description=x*)"], attrs=["userpassword"])
    assert result["summary"] == f'Modified permission "{PERM}"' and "dn" not in result["result"]
    shown = ipa("permission_show", PERM, all=True)["result"]
    assert shown["ipapermright"] == ["write", "delete"] and shown["attrs"] == ["userpassword"]
    assert sorted(shown["ipapermtargetfilter"]) == ["(description=x*)", "(objectclass=ipahost)"]
    assert ipa.error("permission_mod", PERM, ipapermright=["write", "delete"])["code"] == 4202
    assert ipa.error("permission_mod", PERM, ipapermright=None)["message"] == \
        "'right' is required"
    assert ipa.error("permission_mod", "nothing", ipapermright=["add"])["data"] == {
        "reason": "nothing: permission not found"}
    renamed = ipa("permission_mod", PERM, rename="Owned Hosts 2")
    assert renamed["value"] == "Owned Hosts 2"


def test_ipa_own_permissions_are_there_and_protected(ipa):
    dns = ipa("permission_show", "System: Read DNS Entries")["result"]
    assert dns["ipapermissiontype"] == ["SYSTEM", "V2", "MANAGED"]
    assert dns["ipapermtarget"] == [f"idnsname=*,cn=dns,{BASE}"] and "arecord" in dns["attrs"]
    keytab = ipa("permission_show", "System: Manage Host Keytab", all=True)["result"]
    assert f"(!(memberOf=cn=ipaservers,cn=hostgroups,cn=accounts,{BASE}))" in \
        keytab["ipapermtargetfilter"]
    revoke = ipa("permission_show", "revoke certificate")["result"]
    assert revoke["ipapermissiontype"] == ["SYSTEM"] and "ipapermright" not in revoke
    assert ipa.error("permission_del", "Revoke Certificate")["message"] == \
        "Insufficient access: A SYSTEM permission may not be modified or removed"
    assert ipa.error("permission_del", "System: Modify Hosts")["message"] == \
        "Insufficient access: cannot delete managed permissions"
    assert ipa.error("permission_mod", "System: Add Hosts", ipapermright=["all"])["data"] == {
        "name": "ipapermright", "error": "not modifiable on managed permissions"}
    found = ipa("permission_find", type="host", ipapermright=["delete"])
    assert [e["cn"] for e in found["result"]] == [["System: Remove Hosts"]]
    assert found["summary"] == "1 permission matched"


def test_privileges_hold_permissions(ipa):
    add_owned(ipa)
    ipa("permission_add", "Everyone", type="host", ipapermright=["read"], attrs=["cn"],
        ipapermbindruletype="all")
    added = ipa("privilege_add", "Enrollers", description="enroll")
    assert added["result"] == {"dn": f"cn=Enrollers,cn=privileges,cn=pbac,{BASE}",
                               "cn": ["Enrollers"], "description": ["enroll"],
                               "objectclass": ["nestedgroup", "groupofnames", "top"]}
    assert ipa.error("privilege_add", "enrollers")["message"] == \
        'privilege with name "enrollers" already exists'
    change = ipa("privilege_add_permission", "Enrollers",
                 permission=[PERM, "Revoke Certificate", "Missing"])
    assert change["completed"] == 2
    assert change["failed"] == {"member": {"permission": [["Missing", "permission not found"]]}}
    assert change["result"]["memberof_permission"] == [PERM, "Revoke Certificate"]
    again = ipa("privilege_add_permission", "Enrollers", permission=[PERM.upper()])
    assert again["failed"]["member"]["permission"] == [
        [PERM.upper(), "This entry is already a member"]]
    assert ipa.error("privilege_add_permission", "Enrollers", permission=["Everyone"])[
        "data"] == {"name": "permission",
                    "error": 'cannot add permission "Everyone" with bindtype "all" to a '
                             "privilege"}
    assert ipa("permission_show", PERM)["result"]["member_privilege"] == ["Enrollers"]
    assert ipa.error("privilege_show", "Nope")["data"] == {"reason": "Nope: privilege not found"}
    ipa("permission_del", PERM)
    assert ipa("privilege_show", "Enrollers")["result"]["memberof_permission"] == [
        "Revoke Certificate"]


def test_roles_grant_privileges_to_members(ipa):
    ipa("host_add", HOST, force=True)
    ipa("service_add", SERVICE, force=True)
    ipa("privilege_add", "Enrollers")
    assert ipa("role_add", "Host Manager", description="d")["summary"] == \
        'Added role "Host Manager"'
    assert ipa("role_add_privilege", "Host Manager", privilege=["Enrollers", "Gone"])[
        "failed"] == {"member": {"privilege": [["Gone", "privilege not found"]]}}
    change = ipa("role_add_member", "Host Manager", service=[f"HTTP/{HOST}"],
                 user=["admin", "nobody"], host=[HOST])
    assert change["completed"] == 3
    assert change["failed"]["member"] == {
        "user": [["nobody", "no such entry"]], "group": [], "host": [], "hostgroup": [],
        "service": [], "idoverrideuser": []}
    shown = ipa("role_show", "host manager")["result"]
    assert shown["member_service"] == [SERVICE] and shown["member_user"] == ["admin"]
    assert shown["member_host"] == [HOST] and shown["memberof_privilege"] == ["Enrollers"]
    assert ipa("privilege_show", "Enrollers")["result"]["member_role"] == ["Host Manager"]
    assert ipa("role_add_member", "Host Manager", service=[SERVICE])["failed"]["member"][
        "service"] == [[SERVICE, "This entry is already a member"]]
    ipa("host_del", HOST)  # takes its service along; both leave the role
    shown = ipa("role_show", "Host Manager")["result"]
    assert "member_service" not in shown and "member_host" not in shown
    assert ipa("role_find", "host")["summary"] == "1 role matched"
    ipa("privilege_del", "Enrollers")
    assert "memberof_privilege" not in ipa("role_show", "Host Manager")["result"]
    assert ipa("role_del", "Host Manager")["value"] == ["Host Manager"]
    assert ipa.error("role_show", "Host Manager")["message"] == "Host Manager: role not found"


def test_names_with_outer_spaces_are_refused(ipa):
    assert ipa.error("role_add", " spaced ")["data"] == {
        "name": "name", "error": "Leading and trailing spaces are not allowed"}


def test_server_find_lists_the_emulator(ipa, fakeipa):
    found = ipa("server_find", pkey_only=True)
    assert found["result"] == [{"dn": f"cn={fakeipa.env.hostname},cn=masters,cn=ipa,cn=etc,"
                                      f"{BASE}", "cn": [fakeipa.env.hostname]}]
    assert found["summary"] == "1 IPA server matched"


def test_rbac_survives_a_restart(fakeipa_factory, tmp_path):
    from tests.fakeipa.conftest import Rpc

    state = str(tmp_path / "state.json")
    first = fakeipa_factory(state_file=state)
    ipa = Rpc(first)
    add_owned(ipa)
    ipa("privilege_add", "Enrollers")
    ipa("privilege_add_permission", "Enrollers", permission=[PERM])
    first.stop()
    again = Rpc(fakeipa_factory(state_file=state))
    assert again("privilege_show", "Enrollers")["result"]["memberof_permission"] == [PERM]
    assert again("permission_show", "Revoke Certificate")["value"] == "Revoke Certificate"


@pytest.mark.usefixtures("fakeipa")
def test_official_client_accepts_the_answers(drive):  # noqa: F811
    report = drive("rbac")
    added = ok(report, "perm_add")["result"]
    assert [text(v) for v in added["extratargetfilter"]] == ["(description=owned*)"]
    assert report["perm_duplicate"]["error"]["class"] == "DuplicateEntry"
    assert [text(r) for r in ok(report, "perm_mod")["result"]["ipapermright"]] == [
        "write", "delete"]
    assert ok(report, "perm_find")["count"] == 1
    assert ok(report, "priv_add_perm")["completed"] == 1
    member = ok(report, "role_add_member")
    assert member["completed"] == 2
    assert [text(s) for s in ok(report, "role_show")["result"]["member_service"]] == [
        f"HTTP/web.novajoin.test@{REALM}"]
    assert ok(report, "servers")["count"] == 1
    assert report["perm_del_system"]["error"]["errno"] == 2100
    assert report["role_show_deleted"]["error"]["class"] == "NotFound"
