"""The pure layer of novajoin-ipa-setup: the permission table, scopes and the plan."""

from __future__ import annotations

import dataclasses

import pytest

from novajoin import ipa_setup as s
from novajoin.domain.ownership import Owner

BASE = "dc=example,dc=test"
REALM = "EXAMPLE.TEST"
HOST = "undercloud.example.test"
PRINCIPAL = f"nova/{HOST}@{REALM}"
SERVERS = ["ipa1.example.test", "IPA2.example.test"]


def desired(**kw):
    return s.desired(BASE, REALM, HOST, kw.pop("servers", SERVERS), **kw)


def shown(w: s.Wanted, **changes) -> dict:
    """permission_show(all=True) of a permission made exactly as wanted."""
    entry = {"ipapermright": list(w.rights), "ipapermtargetfilter": list(w.full_filters),
             "ipapermlocation": [w.location]}
    if w.attrs:
        entry["attrs"] = sorted(w.attrs)
    if w.target:
        entry["ipapermtarget"] = [w.target]
    entry.update(changes)
    return entry


def complete(d: s.Desired, **changes) -> s.Observed:
    """What IPA holds after a successful run."""
    perms = {w.name: shown(w) for w in d.permissions}
    perms.update({p.name: {"ipapermissiontype": ["SYSTEM"]} for p in d.system_permissions})
    observed = s.Observed(
        perms,
        {"memberof_permission": d.permission_names},
        {"memberof_privilege": [s.PRIVILEGE], "member_service": [d.principal]},
        {"fqdn": [HOST], "has_keytab": True, "has_password": False},
        {"krbprincipalname": [d.principal]})
    return dataclasses.replace(observed, **changes)


EMPTY = s.Observed({}, None, None, None, None)


# -- the table -----------------------------------------------------------------

@pytest.mark.parametrize("perm", s.PERMISSIONS, ids=lambda p: p.name)
def test_every_permission_is_named_for_ipa_and_explained(perm):
    assert perm.reason and perm.name.startswith("Novajoin ")
    assert ":" not in perm.name  # IPA refuses ':' in the names of new permissions
    assert set(perm.rights) <= {"add", "write", "delete"}  # never read-all or "all"
    assert bool(perm.attrs) == (perm.rights == ("write",))


@pytest.mark.parametrize("perm", s.PERMISSIONS, ids=lambda p: p.name)
def test_nothing_but_owned_hosts_can_be_rekeyed_or_deleted_as_hosts(perm):
    if perm.type == "host":
        assert perm.scope == s.OWNED_HOSTS
    key_attrs = {"krbprincipalkey", "krblastpwdchange", "userpassword"}
    if key_attrs & set(perm.attrs):
        assert (perm.type, perm.scope) == ("host", s.OWNED_HOSTS)


def test_system_permissions_are_few_and_explained():
    assert [p.name for p in s.SYSTEM_PERMISSIONS] == [
        "System: Read DNS Entries", "Revoke Certificate", "Retrieve Certificates from the CA"]
    assert all(p.reason for p in s.SYSTEM_PERMISSIONS)


@pytest.mark.parametrize(("scope", "servers", "filters"), [
    (s.OWNED_HOSTS, [], ("(description=novajoin owner kind=*)",
                         f"(!(memberOf=cn=ipaservers,cn=hostgroups,cn=accounts,{BASE}))")),
    (s.UNMANAGED_BY_SERVERS, [], ()),
    (s.UNMANAGED_BY_SERVERS, ["IPA1.example.test"],
     (f"(!(managedby=fqdn=ipa1.example.test,cn=computers,cn=accounts,{BASE}))",)),
    (s.UNMANAGED_BY_SERVERS, ["ipa2.example.test", "ipa1.example.test", "ipa1.example.test"],
     (f"(!(|(managedby=fqdn=ipa1.example.test,cn=computers,cn=accounts,{BASE})"
      f"(managedby=fqdn=ipa2.example.test,cn=computers,cn=accounts,{BASE})))",)),
    # A name that could change the filter is never put into one.
    (s.UNMANAGED_BY_SERVERS, ["x)(cn=*"], ()),
    (s.DNS_RECORDS, SERVERS, ("(objectclass=idnsrecord)", "(!(objectclass=idnszone))")),
])
def test_scope_filters(scope, servers, filters):
    assert s.scope_filters(scope, BASE, servers) == filters


def test_the_owner_filter_matches_what_novajoin_writes():
    tag = Owner("178b0921-8f85-4257-88b6-2e743b5a975c", "4969c491a3c74ee4af974e6d800c62de").tag()
    prefix = s.owner_filter()[len("(description="):-len("*)")]
    assert tag.startswith(prefix)


@pytest.mark.parametrize(("name", "options"), [
    ("Novajoin Add Owned Hosts", {
        "ipapermright": ["add"], "attrs": [], "type": "host",
        "extratargetfilter": ["(description=novajoin owner kind=*)",
                              f"(!(memberOf=cn=ipaservers,cn=hostgroups,cn=accounts,{BASE}))"]}),
    ("Novajoin Manage Service Hosts", {
        "ipapermright": ["write"], "attrs": ["managedby"], "type": "service",
        "extratargetfilter": [f"(!(|(managedby=fqdn=ipa1.example.test,cn=computers,"
                              f"cn=accounts,{BASE})(managedby=fqdn=ipa2.example.test,"
                              f"cn=computers,cn=accounts,{BASE})))"]}),
    ("Novajoin Remove DNS Records", {
        "ipapermright": ["delete"], "attrs": [], "ipapermlocation": BASE,
        "ipapermtarget": f"idnsname=*,cn=dns,{BASE}",
        "extratargetfilter": ["(objectclass=idnsrecord)", "(!(objectclass=idnszone))"]}),
])
def test_permission_add_options(name, options):
    wanted = {w.name: w for w in desired().permissions}[name]
    assert wanted.options() == options


@pytest.mark.parametrize(("changes", "differences"), [
    ({}, []),
    ({"ipapermright": ["ADD"], "ipapermlocation": [f"CN=Computers,cn=accounts,{BASE}"]}, []),
    ({"ipapermright": ["add", "delete"]}, ["rights"]),
    ({"attrs": ["description"]}, ["attributes"]),
    ({"ipapermtargetfilter": ["(objectclass=ipahost)"]}, ["filter"]),
    ({"ipapermlocation": [BASE], "ipapermtarget": ["cn=x"]}, ["subtree", "target"]),
])
def test_differences_of_an_existing_permission(changes, differences):
    wanted = desired().permissions[0]
    assert wanted.differences(shown(wanted, **changes)) == differences


# -- the plan --------------------------------------------------------------------

def verbs(p: s.Plan) -> list[tuple[str, str]]:
    return [(step.verb, step.call.method) for step in p.steps]


def test_an_empty_ipa_gets_everything_in_order():
    d = desired()
    p = s.plan(d, s.Observed({n: {"x": 1} for n in (x.name for x in d.system_permissions)},
                             None, None, None, None))
    assert not p.problems and not p.warnings
    assert verbs(p) == [("create", "permission_add")] * len(s.PERMISSIONS) + [
        ("create", "privilege_add"), ("add", "privilege_add_permission"),
        ("create", "role_add"), ("add", "role_add_privilege"),
        ("create", "host_add"), ("create", "service_add"), ("add", "role_add_member")]
    assert p.steps[len(s.PERMISSIONS) + 1].call.options == {"permission": d.permission_names}
    host = p.steps[-3]
    assert host.call.options == {"force": True, "description": s.HOST_DESCRIPTION}
    assert not host.otp
    assert p.steps[-1].call.options == {"service": [PRINCIPAL]}
    assert all(step.needs for step in p.steps)


def test_a_second_run_changes_nothing():
    d = desired()
    p = s.plan(d, complete(d))
    assert p.steps == [] and p.problems == [] and p.warnings == []
    assert len(p.present) == len(d.permission_names) + 7


def test_membership_is_compared_case_blind():
    d = desired()
    o = complete(d, role={"memberof_privilege": [s.PRIVILEGE.upper()],
                          "member_service": [PRINCIPAL.upper()]},
                 privilege={"memberof_permission": [n.lower() for n in d.permission_names]})
    assert s.plan(d, o).steps == []


def test_missing_ipa_permission_blocks_everything():
    d = desired()
    perms = dict(complete(d).permissions, **{"Revoke Certificate": None})
    p = s.plan(d, complete(d, permissions=perms))
    assert p.problems == ['IPA has no permission "Revoke Certificate", which novajoin needs '
                          f'for {s.SYSTEM_PERMISSIONS[1].reason}']


def test_a_changed_permission_is_put_back():
    d = desired(servers=["ipa3.example.test"])  # a replica was added since the last run
    o = complete(desired())
    p = s.plan(d, o)
    assert [(st.verb, st.item, st.detail) for st in p.steps] == [
        ("update", f'permission "{name}"', "filter")
        for name in ("Novajoin Add Services", "Novajoin Manage Service Hosts",
                     "Novajoin Remove Services")]
    assert p.steps[0].call.method == "permission_mod"


def test_only_missing_permissions_are_added_and_extra_ones_reported():
    d = desired()
    held = d.permission_names[2:] + ["System: Manage Service Keytab"]
    p = s.plan(d, complete(d, privilege={"memberof_permission": held}))
    assert [st.call.options for st in p.steps] == [{"permission": d.permission_names[:2]}]
    assert p.warnings == [f'privilege "{s.PRIVILEGE}" also holds System: Manage Service Keytab, '
                          "which novajoin does not need; remove them with "
                          "ipa privilege-remove-permission"]


def test_the_legacy_privilege_is_reported_not_removed():
    d = desired()
    role = {"memberof_privilege": [s.LEGACY_PRIVILEGE, s.PRIVILEGE],
            "member_service": [PRINCIPAL]}
    p = s.plan(d, complete(d, role=role))
    assert p.steps == []
    assert p.warnings == [
        f'role "{s.ROLE}" also holds privilege "{s.LEGACY_PRIVILEGE}" (novajoin 1.x\'s '
        "realm-wide rights); once every novajoin is upgraded, remove it: ipa "
        f"role-remove-privilege '{s.ROLE}' --privileges='{s.LEGACY_PRIVILEGE}'"]


OWNER = Owner("178b0921-8f85-4257-88b6-2e743b5a975c", "4969c491a3c74ee4af974e6d800c62de")


@pytest.mark.parametrize(("precreate", "host", "step", "warns"), [
    (False, None, ("create", "host_add", {"force": True, "description": s.HOST_DESCRIPTION},
                   False), False),
    (True, None, ("create", "host_add", {"force": True, "description": s.HOST_DESCRIPTION,
                                         "random": True}, True), False),
    (True, {"has_keytab": True, "has_password": False}, None, False),
    (True, {"has_keytab": False, "has_password": True}, None, True),
    (True, {"has_keytab": False, "has_password": False},
     ("update", "host_mod", {"random": True}, True), False),
    (False, {"has_keytab": False, "has_password": False}, None, False),
    (False, {"has_keytab": True, "description": [OWNER.tag()]}, None, True),
])
def test_the_novajoin_host(precreate, host, step, warns):
    d = desired(precreate=precreate)
    p = s.plan(d, complete(d, host=host))
    assert [(st.verb, st.call.method, st.call.options, st.otp) for st in p.steps] == (
        [step] if step else [])
    assert bool(p.warnings) == warns


def test_the_service_and_its_membership():
    d = desired()
    p = s.plan(d, complete(d, service=None, role={"memberof_privilege": [s.PRIVILEGE]}))
    assert [(st.call.method, st.call.args) for st in p.steps] == [
        ("service_add", (PRINCIPAL,)), ("role_add_member", (s.ROLE,))]
    assert p.steps[0].call.options == {"force": True}
