"""Properties of the pure layers, checked on generated input (hypothesis, derandomized).

naming: any input gives a valid lower-case FQDN inside the zone, or InvalidName; never
anything else. Principals: what parses is well-formed and round-trips. Metadata: what the
tenant's metadata yields is only ever on the instance's own name or allowed by the project.
plan: every host created carries the owner's tag, nothing of another owner is touched,
undo removes only what was created, delete only what is owned.
"""

from __future__ import annotations

import fnmatch
import json
import uuid

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from novajoin import exception
from novajoin.domain import metadata, ownership, plan
from novajoin.domain.calls import IpaCall, Outcome
from novajoin.domain.naming import Naming, Principal, parse_principal
from novajoin.domain.ownership import Owner
from novajoin.exception import InvalidName
from tests.fuzz.strategies import (
    INJECTED_SERVICES,
    JUNK,
    LABEL,
    NOT_TEXT,
    VALID_SERVICE,
    hostnames,
    metadata_maps,
    principal_texts,
    valid_fqdn,
)
from tests.support import DOMAIN, REALM

# Deterministic (CI must be stable), no example database in the work tree, no deadline
# (a slow CI machine is not a failure).
FAST = settings(max_examples=400, derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
BASEDN = "dc=novajoin,dc=test"


# -- naming ------------------------------------------------------------------------------

NAMINGS = st.sampled_from([Naming(DOMAIN), Naming(DOMAIN, project_subdomain=True),
                           Naming(DOMAIN, project_subdomain=True, normalize_project=False),
                           Naming("Example.TEST.")])
PROJECT_NAMES = st.one_of(st.none(), st.sampled_from(["Dev Team", "demo", "ops-1", "-", "ÄÖ"]),
                          JUNK)


@FAST
@given(naming=NAMINGS, project=PROJECT_NAMES, hostname=hostnames(),
       network=st.one_of(LABEL, JUNK, NOT_TEXT))
def test_host_names_are_valid_fqdns_in_the_zone_or_refused(naming, project, hostname,
                                                            network):
    try:
        zone = naming.zone(project)
    except InvalidName:
        with pytest.raises(InvalidName):
            naming.host_fqdn(hostname, project)
        return
    valid_fqdn(zone)
    try:
        fqdn = naming.host_fqdn(hostname, project)
    except InvalidName:
        return
    valid_fqdn(fqdn, zone)
    # Idempotent: the FQDN (in any case, with a trailing dot) names the same host.
    assert naming.host_fqdn(fqdn, project) == fqdn
    assert naming.host_fqdn(fqdn.upper() + ".", project) == fqdn
    assert naming.is_own_host(fqdn, fqdn, project)
    try:
        sub = naming.compact_host(fqdn, network, project)
    except InvalidName:
        return
    valid_fqdn(sub, zone)
    assert sub != fqdn
    assert naming.is_own_host(sub, fqdn, project)


@FAST
@given(naming=NAMINGS, project=PROJECT_NAMES, own=st.lists(LABEL, min_size=1, max_size=2),
       other=hostnames().filter(lambda h: isinstance(h, str)), normalize=st.booleans())
def test_a_host_is_own_only_when_derived_from_the_instance_name(naming, project, own, other,
                                                                normalize):
    try:
        fqdn = naming.host_fqdn(".".join(own), project)
        candidate = naming.host_fqdn(other, project) if normalize else other
    except InvalidName:
        return
    if not naming.is_own_host(candidate, fqdn, project):
        return
    # The instance's own name, or <its short name>.<one label>.<zone>: nothing else.
    if candidate != fqdn:
        short = naming.short_name(fqdn, project)
        middle = candidate[len(short) + 1:].split(".", 1)[0]
        assert naming.compact_host(fqdn, middle, project) == candidate


# -- principals ---------------------------------------------------------------------------

@FAST
@given(text=principal_texts(), realm=st.sampled_from([None, REALM, "OTHER.TEST"]))
def test_principals_are_well_formed_and_round_trip(text, realm):
    try:
        p = parse_principal(text, realm)
    except InvalidName:
        return
    assert VALID_SERVICE.fullmatch(p.service), p
    assert p.service.lower() != "host"
    valid_fqdn(p.host)
    assert parse_principal(str(p), realm) == p
    if realm:
        assert parse_principal(p.with_realm(realm), realm) == p
        _, at, given_realm = text.strip().partition("@")
        assert not given_realm or given_realm == realm


# -- what instance metadata may ask for --------------------------------------------------

OWN = "web"
FQDN = f"{OWN}.{DOMAIN}"
INJECTION = {"compact_services": json.dumps({INJECTED_SERVICES[0]: ["ctl"]})}


ALLOWED = st.lists(st.sampled_from(["HTTP/vip.*", "*/vip.apps.*", "ldap/*", "HTTP/vip"]),
                   max_size=2)


def check_requested_services(md, allowed):
    naming = Naming(DOMAIN)
    try:
        wanted = metadata.requested_services(md, naming, FQDN, None, REALM, allowed)
    except (InvalidName, exception.ProjectForbidden):
        return
    for r in wanted:
        assert (naming.is_own_host(r.host, FQDN)
                or any(fnmatch.fnmatchcase(str(r.principal), p) for p in allowed)), r
        assert VALID_SERVICE.fullmatch(r.principal.service)
        assert r.principal.service.lower() != "host"
        valid_fqdn(r.host)


def check_described_hosts(md, allowed, iid):
    naming = Naming(DOMAIN)
    try:
        e = metadata.describe(iid, "p1", OWN, {"ipa_enroll": "True", **md}, {}, naming=naming,
                              project_name="Dev Team", allowed_classes=["*"],
                              allowed_services=allowed, realm=REALM)
    except (InvalidName, exception.ProjectForbidden):
        return
    assert e.fqdn == FQDN and e.owner == Owner(iid, "p1")
    for call in plan.create(e, "otp", BASEDN):
        if call.method == "host_add":
            host = call.args[0]
            assert naming.is_own_host(host, FQDN) or host in e.shared_hosts
    for host in e.shared_hosts:
        assert any(fnmatch.fnmatchcase(str(p), pat) for p in e.services if p.host == host
                   for pat in allowed), host


@FAST
@example(md=INJECTION, allowed=[])
@given(md=metadata_maps(OWN), allowed=ALLOWED)
def test_metadata_only_yields_own_or_allowed_principals(md, allowed):
    check_requested_services(md, allowed)


@FAST
@given(md=metadata_maps(OWN, injection=True), allowed=ALLOWED)
def test_metadata_only_yields_own_or_allowed_principals_without_principal_syntax(md, allowed):
    check_requested_services(md, allowed)


@FAST
@example(md=INJECTION, allowed=[], iid=str(uuid.UUID(int=1)))
@given(md=metadata_maps(OWN), allowed=ALLOWED, iid=st.uuids().map(str))
def test_described_enrollments_only_create_own_or_allowed_hosts(md, allowed, iid):
    check_described_hosts(md, allowed, iid)


@FAST
@given(md=metadata_maps(OWN, injection=True), allowed=ALLOWED, iid=st.uuids().map(str))
def test_described_enrollments_only_create_own_or_allowed_hosts_without_principal_syntax(
        md, allowed, iid):
    check_described_hosts(md, allowed, iid)


# -- plan ------------------------------------------------------------------------------------

ME = Owner("11111111-2222-3333-4444-555555555555", "p1")
SIBLING = Owner("99999999-2222-3333-4444-555555555555", "p1")
STRANGER = Owner("99999999-2222-3333-4444-555555555555", "p2")
SAME_ID_OTHER_PROJECT = Owner(ME.instance_id, "p2")
SHARED_POOL = [f"vip.{DOMAIN}", f"vip2.{DOMAIN}"]


@st.composite
def enrollments(draw):
    owner = draw(st.sampled_from([ME, ME.next_generation()]))
    subs = [f"{OWN}.{n}.{DOMAIN}" for n in draw(st.lists(LABEL, max_size=3, unique=True))]
    shared = draw(st.lists(st.sampled_from(SHARED_POOL), unique=True, max_size=2))
    hosts = [FQDN, *subs, *shared]
    services = draw(st.lists(st.tuples(st.sampled_from(["HTTP", "ldap", "nfs"]),
                                       st.sampled_from(hosts)), unique=True, max_size=5))
    attrs = draw(st.dictionaries(st.sampled_from(["userclass", "nshostlocation",
                                                  "nsosversion"]), JUNK, max_size=3))
    return plan.Enrollment(FQDN, owner, attrs, tuple(Principal(s, h) for s, h in services),
                           frozenset(shared))


@FAST
@given(e=enrollments(), with_host=st.booleans())
def test_create_tags_every_host_it_adds_with_the_owner(e, with_host):
    calls = plan.create(e, "the-otp", BASEDN, with_host=with_host)
    added = [c for c in calls if c.method == "host_add"]
    assert {c.args[0] for c in added} == ({e.fqdn} if with_host else set()) | set(e.subhosts)
    for c in added:
        owner = ownership.read({"description": [c.options["description"]]})
        assert owner is not None and e.owner.same_instance(owner)
        assert owner.kind == (ownership.HOST if c.args[0] == e.fqdn else ownership.SUBHOST)
        assert ("userpassword" in c.options) == (c.args[0] == e.fqdn)
    for c in calls:
        assert c.method in ("host_add", "service_add")
        if c.method == "service_add":
            p = parse_principal(c.args[0])
            assert c.options["addattr"][-1] == f"managedby={plan.host_dn(e.fqdn, BASEDN)}"
            assert c.options["addattr"][0] == f"managedby={plan.host_dn(p.host, BASEDN)}"


def _host_entry(draw, e: plan.Enrollment):
    owner = draw(st.sampled_from([e.owner, e.owner.of_subhost(), e.owner.next_generation(),
                                  SIBLING, SIBLING.of_subhost(), STRANGER,
                                  SAME_ID_OTHER_PROJECT, None, "garbage"]))
    if owner == "garbage":
        description = [draw(st.sampled_from([
            f"{ownership.PREFIX} kind=host instance={e.owner.instance_id}",
            "the CFO's laptop", ME.tag() + " extra", " " + ME.tag()]))]
    else:
        description = [owner.tag()] if owner is not None else []
    return {"fqdn": ["x"], "description": description, "has_keytab": draw(st.booleans()),
            "has_password": draw(st.booleans())}


@st.composite
def decisions(draw):
    e = draw(enrollments())
    outcomes = []
    for call in plan.create(e, "otp-0", BASEDN):
        fate = draw(st.sampled_from(["ok", "duplicate", "duplicate", "error"]))
        if fate == "ok":
            outcomes.append(Outcome(call, output={"result": {}, "value": call.args[0]}))
        elif fate == "duplicate":
            outcomes.append(Outcome(call, error=exception.IpaDuplicateEntry(message="exists")))
        else:
            outcomes.append(Outcome(call, error=exception.IpaNotFound(reason="gone")))
    r = plan.review(e, outcomes)
    shown: dict[str, dict | None] = {}
    for h in r.existing_hosts:
        shown[h] = None if draw(st.integers(0, 9)) == 0 else _host_entry(draw, e)
    candidates = [e.fqdn, *e.subhosts, f"victim.{DOMAIN}"]
    for p in r.existing_services:
        shown[str(p)] = None if draw(st.integers(0, 9)) == 0 else {
            "managedby_host": draw(st.lists(st.sampled_from(candidates), unique=True))}
    return e, r, shown


def _owner_of(e, r, shown, host):
    if host in r.created_hosts:
        return e.owner
    entry = shown.get(host)
    return ownership.read(entry) if entry else None


@FAST
@given(case=decisions())
def test_decide_never_touches_an_entry_of_another_owner(case):
    e, r, shown = case
    d = plan.decide(e, r, shown, lambda g: f"otp-{g}")
    existing_services = {str(p) for p in r.existing_services}
    for c in d.calls:
        if c.method == "host_mod":
            assert c.args[0] == e.fqdn and e.fqdn in r.existing_hosts
            assert e.owner.same_instance(_owner_of(e, r, shown, e.fqdn))
            assert set(c.options) == {"userpassword"}
        elif c.method == "service_add_host":
            assert c.args[0] in existing_services and c.options == {"host": [e.fqdn]}
            host = parse_principal(c.args[0]).host
            owner = _owner_of(e, r, shown, host)
            assert owner is not None
            assert (e.owner.same_instance(owner)
                    or (host in e.shared_hosts and owner.project_id == e.owner.project_id))
        else:
            raise AssertionError(f"decide produced {c!r}")
    # Any existing host that is not this instance's (or a shared one of its project) stops it.
    for h in r.existing_hosts:
        owner = ownership.read(shown[h]) if shown.get(h) else None
        ok = owner is not None and (e.owner.same_instance(owner) or (
            h in e.shared_hosts and owner.project_id == e.owner.project_id))
        if not ok:
            assert d.conflicts, (h, shown.get(h))
    if d.conflicts:
        assert d.calls == [] and d.undo == plan.undo(e, r)
    else:
        assert d.undo == []


@FAST
@given(case=decisions())
def test_undo_only_touches_what_the_request_created(case):
    e, r, _ = case
    created_hosts = set(r.created_hosts)
    created_services = {str(p) for p in r.created_services}
    # A created host under a service that existed without it stays (host_del would take that
    # service along) and is released instead; its own created services are deleted.
    kept = {p.host for p in r.existing_services if p.host in created_hosts}
    deleted, released = set(), set()
    for c in plan.undo(e, r):
        if c.method == "host_del":
            assert c.args[0] in created_hosts and c.args[0] not in kept
            deleted.add(c.args[0])
        elif c.method == "service_del":
            assert c.args[0] in created_services
            host = parse_principal(c.args[0]).host
            assert host not in created_hosts or host in kept  # else it goes with its host
            deleted.add(c.args[0])
        elif c.method == "host_mod":
            assert c.args[0] in kept and c.options["description"] == plan.RELEASED
            released.add(c.args[0])
        else:
            raise AssertionError(f"undo produced {c!r}")
    # ...and everything it created goes (directly or with its host) or is released.
    assert created_hosts == deleted & created_hosts | released
    assert {s for s in created_services
            if parse_principal(s).host not in created_hosts - kept} <= deleted


HOST_POOL = [f"h{i}.{DOMAIN}" for i in range(6)]


@st.composite
def removals(draw):
    ours = draw(st.sets(st.sampled_from(HOST_POOL), max_size=4))
    services = []
    for i, host in enumerate(draw(st.lists(st.sampled_from(HOST_POOL), max_size=6))):
        managers = draw(st.sets(st.sampled_from(HOST_POOL), max_size=3))
        services.append({"krbprincipalname": [f"svc{i}/{host}@{REALM}"],
                         "managedby_host": sorted(managers | {host})})
    return ours, services


@FAST
@given(case=removals())
def test_delete_only_removes_hosts_passed_in_as_owned(case):
    ours, services = case
    removal = plan.delete({h: {"fqdn": [h]} for h in ours}, services)
    deleted = set()
    for c in removal.calls:
        if c.method == "host_del":
            assert c.args[0] in ours and c.args[0] not in removal.kept_hosts
            deleted.add(c.args[0])
        elif c.method == "service_remove_host":
            assert set(c.options["host"]) <= ours
            assert plan.principal_host(c.args[0]) not in c.options["host"]
        else:
            raise AssertionError(f"delete produced {c!r}")
    assert set(removal.kept_hosts) <= ours
    assert deleted | set(removal.kept_hosts) == ours
    for sub, others in removal.kept_hosts.items():
        assert others and not set(others) & ours and sub not in others
    owners = {h: Owner(str(uuid.uuid5(uuid.NAMESPACE_DNS, h)), "p1") for h in HOST_POOL[::2]}
    calls, unowned = plan.hand_over(removal.kept_hosts, owners.get)
    for c in calls:
        assert c.method == "host_mod" and c.args[0] in removal.kept_hosts
        tag = ownership.read({"description": [c.options["description"]]})
        assert tag is not None and tag.kind == ownership.SUBHOST
        assert any(tag == owners[o].of_subhost() for o in removal.kept_hosts[c.args[0]]
                   if o in owners)
    assert set(unowned) | {c.args[0] for c in calls} == set(removal.kept_hosts)


# -- known bugs, pinned ------------------------------------------------------------------------

@pytest.mark.parametrize("hostname", ["web\n", f"web\n.{DOMAIN}", f"web.ctl\n.{DOMAIN}"])
def test_a_newline_in_a_host_name_is_refused(hostname):
    with pytest.raises(InvalidName):
        Naming(DOMAIN).host_fqdn(hostname)


@pytest.mark.parametrize("text", ["HTTP\n/web.novajoin.test", "HTTP/web\n.novajoin.test"])
def test_a_newline_in_a_principal_is_refused(text):
    with pytest.raises(InvalidName):
        parse_principal(text, REALM)


@pytest.mark.parametrize("realm", [REALM, None])
@pytest.mark.parametrize("md", [
    INJECTION,
    {"compact_services": json.dumps({"HTTP/www.corp.example.com@": ["ctl"]})},
    {f"compact_service_HTTP/victim.{DOMAIN}@": '["ctl"]'}])
def test_compact_service_names_cannot_name_a_foreign_host(md, realm):
    naming = Naming(DOMAIN)
    try:
        wanted = metadata.requested_services(md, naming, FQDN, None, realm)
    except (InvalidName, exception.ProjectForbidden):
        return
    assert all(naming.is_own_host(r.host, FQDN) for r in wanted), wanted


def test_ipa_call_repr_never_shows_the_otp():
    call = plan.create(plan.Enrollment(FQDN, ME), "s3cret-otp", BASEDN)[0]
    assert "s3cret-otp" not in repr(call) and isinstance(call, IpaCall)
