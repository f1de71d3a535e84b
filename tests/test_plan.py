"""The enrollment plan as tables: requests and IPA answers in, IPA calls out. No I/O."""

import pytest

from novajoin import exception
from novajoin.domain import plan
from novajoin.domain.calls import IpaCall, Outcome
from novajoin.domain.naming import Principal
from novajoin.domain.ownership import Owner

BASEDN = "dc=example,dc=test"
ME = Owner("11111111-2222-3333-4444-555555555555", "proj1", 0)
SIBLING = Owner("99999999-2222-3333-4444-555555555555", "proj1", 0)
STRANGER = Owner("99999999-2222-3333-4444-555555555555", "proj2", 0)
FQDN = "web.example.test"
SUB = "web.ctl.example.test"
SHARED = "vip.example.test"
HTTP_SUB = Principal("HTTP", SUB)
HTTP_OWN = Principal("HTTP", FQDN)
HTTP_VIP = Principal("HTTP", SHARED)


def otp_for(generation):
    return f"otp-{generation}"


E = plan.Enrollment(FQDN, ME, {"userclass": "web"}, (HTTP_SUB, HTTP_OWN))
E_SHARED = plan.Enrollment(FQDN, ME, {}, (HTTP_VIP,), frozenset({SHARED}))


def host(owner=None, keytab=False, password=False, **extra):
    entry = {"fqdn": ["x"], "has_keytab": keytab, "has_password": password, **extra}
    if owner:
        entry["description"] = [owner.tag()]
    return entry


def service(*managers):
    return {"krbprincipalname": ["x"], "managedby_host": list(managers)}


def test_create_is_one_batch_with_owner_tags_and_managed_by():
    calls = plan.create(E, "otp-0", BASEDN)
    assert calls == [
        IpaCall("host_add", (FQDN,), {"force": True, "userpassword": "otp-0",
                                      "description": ME.tag(), "userclass": "web"}),
        IpaCall("host_add", (SUB,), {"force": True, "description": ME.of_subhost().tag()}),
        IpaCall("service_add", (str(HTTP_SUB),), {"force": True, "addattr": [
            f"managedby=fqdn={SUB},cn=computers,cn=accounts,{BASEDN}",
            f"managedby=fqdn={FQDN},cn=computers,cn=accounts,{BASEDN}"]}),
        IpaCall("service_add", (str(HTTP_OWN),), {"force": True, "addattr": [
            f"managedby=fqdn={FQDN},cn=computers,cn=accounts,{BASEDN}"]}),
    ]


def outcomes(e, duplicates=(), errors=None):
    """Outcomes of plan.create(e) where the named entries already existed."""
    out = []
    for call in plan.create(e, "otp-0", BASEDN):
        name = call.args[0]
        if name in duplicates:
            out.append(Outcome(call, error=exception.IpaDuplicateEntry(message="exists")))
        elif errors and name in errors:
            out.append(Outcome(call, error=errors[name]))
        else:
            out.append(Outcome(call, output={"result": {}, "value": name}))
    return out


def test_first_boot_is_clean():
    r = plan.review(E, outcomes(E))
    assert r.clean
    assert r.created_hosts == [FQDN, SUB]
    assert r.created_services == [HTTP_SUB, HTTP_OWN]
    assert plan.inspect(r) == []


def test_other_failures_are_reported_and_undone():
    err = exception.IpaValidationError(name="hostname", error="can be at most 64 characters")
    missing = exception.IpaNotFound(reason=f"The host '{SUB}' does not exist to add a service to.")
    r = plan.review(E, outcomes(E, errors={SUB: err, str(HTTP_SUB): missing}))
    assert [o.error for o in r.failures] == [err, missing]
    # The service on the main host goes with it.
    assert plan.undo(E, r) == [IpaCall("host_del", (FQDN,))]


ALL = (FQDN, SUB, str(HTTP_SUB), str(HTTP_OWN))

# name, enrollment, duplicates, shown entries -> conflicts?, calls, enrolled, generation
DECISIONS = [
    ("repeat before enrollment: nothing to write",
     E, ALL, {FQDN: host(ME, password=True), SUB: host(ME),
              str(HTTP_SUB): service(SUB, FQDN), str(HTTP_OWN): service(FQDN)},
     False, [], False, 0),
    ("repeat after enrollment: no OTP",
     E, ALL, {FQDN: host(ME, keytab=True), SUB: host(ME),
              str(HTTP_SUB): service(SUB, FQDN), str(HTTP_OWN): service(FQDN)},
     False, [], True, 0),
    # No keys and no password: disabled by an administrator (or its OTP revoked). Not
    # re-armed: that would hand out the generation's OTP again (issue 12 item 3).
    ("disabled by an administrator (generation 2): no OTP set, none answered",
     E, ALL, {FQDN: host(Owner(ME.instance_id, ME.project_id, 2)), SUB: host(ME),
              str(HTTP_SUB): service(SUB, FQDN), str(HTTP_OWN): service(FQDN)},
     False, [], False, 2),
    ("own service that lost its managedBy link gets it back",
     E, ALL, {FQDN: host(ME, password=True), SUB: host(ME),
              str(HTTP_SUB): service(SUB), str(HTTP_OWN): service(FQDN)},
     False, [IpaCall("service_add_host", (str(HTTP_SUB),), {"host": [FQDN]})], False, 0),
    ("name taken by another instance",
     E, (FQDN,), {FQDN: host(SIBLING, password=True)}, True, [], False, 0),
    ("name taken by a host novajoin did not create",
     E, (FQDN,), {FQDN: host(None, keytab=True)}, True, [], False, 0),
    ("sub-host taken by a stranger",
     E, (SUB, str(HTTP_SUB)), {SUB: host(STRANGER), str(HTTP_SUB): service(SUB)},
     True, [], False, 0),
    ("shared service of the same project: attach",
     E_SHARED, (SHARED, str(HTTP_VIP)), {SHARED: host(SIBLING),
                                          str(HTTP_VIP): service(SHARED, "other.example.test")},
     False, [IpaCall("service_add_host", (str(HTTP_VIP),), {"host": [FQDN]})], False, 0),
    ("shared service of another project: refuse",
     E_SHARED, (SHARED, str(HTTP_VIP)), {SHARED: host(STRANGER), str(HTTP_VIP): service(SHARED)},
     True, [], False, 0),
    # Only the sub-host exists (its service was removed): the host check alone decides.
    ("shared sub-host of another project, no service: refuse",
     E_SHARED, (SHARED,), {SHARED: host(STRANGER)}, True, [], False, 0),
    ("shared sub-host of the same project, no service: take it",
     E_SHARED, (SHARED,), {SHARED: host(SIBLING)}, False, [], False, 0),
    ("shared sub-host novajoin did not create, no service: refuse",
     E_SHARED, (SHARED,), {SHARED: host(None)}, True, [], False, 0),
    ("own host, sub-host of a stranger without its service: refuse",
     E, (FQDN, SUB), {FQDN: host(ME, password=True), SUB: host(STRANGER)},
     True, [], False, 0),
    ("sub-host vanished while its service is checked",
     E, (SUB, str(HTTP_SUB)), {SUB: None, str(HTTP_SUB): service(SUB, FQDN)},
     True, [], False, 0),
    ("service found on a shared sub-host created just now: not the project's",
     E_SHARED, (str(HTTP_VIP),), {str(HTTP_VIP): service()}, True, [], False, 0),
    ("service found on a host created just now: not ours",
     E, (str(HTTP_SUB),), {str(HTTP_SUB): service(SUB)}, True, [], False, 0),
    ("entry vanished while checked", E, (FQDN,), {FQDN: None}, True, [], False, 0),
]


def _row(d):
    if hasattr(d, "marks"):  # a pytest.param (itself a tuple)
        return pytest.param(*d.values[1:], id=d.values[0], marks=d.marks)
    return pytest.param(*d[1:], id=d[0])


@pytest.mark.parametrize("e,duplicates,shown,conflict,calls,enrolled,generation",
                         [_row(d) for d in DECISIONS])
def test_decide(e, duplicates, shown, conflict, calls, enrolled, generation):
    r = plan.review(e, outcomes(e, duplicates))
    assert {c.args[0] for c in plan.inspect(r)} == set(duplicates)
    d = plan.decide(e, r, shown, otp_for)
    assert bool(d.conflicts) == conflict
    assert d.calls == calls
    assert (d.enrolled, d.generation) == (enrolled, generation)
    if conflict:
        # Only what this request created is undone; nothing that existed is touched.
        touched = {c.args[0] for c in d.undo}
        assert touched.isdisjoint(set(duplicates))
        assert touched == ({h for h in r.created_hosts}
                           | {str(p) for p in r.created_services if p.host not in r.created_hosts})
    else:
        assert d.undo == []


def test_fingerprint_changes_with_what_is_asked():
    base = plan.Enrollment(FQDN, ME, {}, (HTTP_OWN,))
    assert base.fingerprint() == plan.Enrollment(FQDN, ME, {}, (HTTP_OWN,)).fingerprint()
    assert base.fingerprint() != plan.Enrollment(FQDN, ME, {}, ()).fingerprint()
    assert base.fingerprint() != plan.Enrollment(FQDN, ME, {"userclass": "x"},
                                                 (HTTP_OWN,)).fingerprint()


# -- delete and rebuild --------------------------------------------------------

def svc(principal, *managers):
    return {"krbprincipalname": [f"{principal}@REALM"], "managedby_host": list(managers)}


DELETES = [
    ("host alone", {FQDN: {}}, [], [IpaCall("host_del", (FQDN,), {"updatedns": True})]),
    ("own services go with their hosts",
     {FQDN: {}, SUB: {}}, [svc(f"HTTP/{SUB}", SUB, FQDN), svc(f"HTTP/{FQDN}", FQDN)],
     [IpaCall("host_del", (SUB,), {"updatedns": True}),
      IpaCall("host_del", (FQDN,), {"updatedns": True})]),
    ("a shared service on our sub-host stays; we let go of it",
     {FQDN: {}, SHARED: {}}, [svc(f"HTTP/{SHARED}", SHARED, FQDN, "node2.example.test")],
     [IpaCall("service_remove_host", (f"HTTP/{SHARED}@REALM",), {"host": [FQDN]}),
      IpaCall("host_del", (FQDN,), {"updatedns": True})]),
    ("a service on someone else's host: only let go",
     {FQDN: {}}, [svc(f"HTTP/{SHARED}", SHARED, FQDN)],
     [IpaCall("service_remove_host", (f"HTTP/{SHARED}@REALM",), {"host": [FQDN]}),
      IpaCall("host_del", (FQDN,), {"updatedns": True})]),
]


@pytest.mark.parametrize("hosts,services,calls", [d[1:] for d in DELETES],
                         ids=[d[0] for d in DELETES])
def test_delete(hosts, services, calls):
    assert plan.delete(hosts, services).calls == calls


def test_delete_lets_go_of_shared_services_after_those_that_go_with_their_host():
    calls = plan.delete({FQDN: {}, SUB: {}}, [svc(f"ldap/{SHARED}", SHARED, FQDN),
                                              svc(f"HTTP/{SUB}", SUB, FQDN)])
    assert calls.calls == [
        IpaCall("service_remove_host", (f"ldap/{SHARED}@REALM",), {"host": [FQDN]}),
        IpaCall("host_del", (SUB,), {"updatedns": True}),
        IpaCall("host_del", (FQDN,), {"updatedns": True})]


def test_delete_reports_kept_subhosts():
    removal = plan.delete({FQDN: {}, SHARED: {}},
                          [svc(f"HTTP/{SHARED}", SHARED, FQDN, "node2.example.test")])
    assert removal.kept_hosts == {SHARED: ["node2.example.test"]}


def test_rebuild_disables_only_an_enrolled_host():
    new = Owner(ME.instance_id, ME.project_id, 7)
    mod = IpaCall("host_mod", (FQDN,), {"description": new.tag(), "userpassword": "otp-7"})
    assert plan.rebuild(FQDN, host(ME, keytab=True), new, "otp-7") == [
        IpaCall("host_disable", (FQDN,)), mod]
    assert plan.rebuild(FQDN, host(ME, password=True), new, "otp-7") == [mod]


# -- reading back, undoing, and the exact conflicts ------------------------------------------

def test_inspect_reads_back_exactly_what_existed():
    r = plan.review(E, outcomes(E, (FQDN, str(HTTP_SUB))))
    assert plan.inspect(r) == [IpaCall("host_show", (FQDN,)),
                               IpaCall("service_show", (str(HTTP_SUB),))]


def test_undo_deletes_created_services_on_existing_hosts_and_created_hosts():
    r = plan.review(E, outcomes(E, (SUB,)))
    assert plan.undo(E, r) == [IpaCall("service_del", (str(HTTP_SUB),)),
                               IpaCall("host_del", (FQDN,))]


def test_every_conflict_is_reported_in_order():
    r = plan.review(E, outcomes(E, (FQDN, SUB, str(HTTP_SUB))))
    d = plan.decide(E, r, {FQDN: None, SUB: host(STRANGER), str(HTTP_SUB): service(SUB)},
                    otp_for)
    assert d.conflicts == [
        f"host {FQDN} changed while being checked; try again",
        f"host {SUB} already exists in IPA and does not belong to instance {ME.instance_id}",
        f"service {HTTP_SUB} already exists in IPA and novajoin did not create it for this "
        f"instance or project",
    ]
    assert d.calls == []
    assert d.undo == [IpaCall("service_del", (str(HTTP_OWN),))]  # the one thing it created


# -- handing a kept sub-host over ------------------------------------------------------------

def _hand_over():
    if hasattr(plan, "hand_over"):
        return plan.hand_over
    from novajoin.lifecycle import hand_over  # before it moved to the pure domain

    return hand_over


def test_hand_over_gives_each_kept_sub_host_to_the_first_known_owner():
    owners = {"node2.example.test": None, "node3.example.test": SIBLING,
              "node4.example.test": STRANGER}
    calls, unowned = _hand_over()(
        {SHARED: ["node2.example.test", "node3.example.test", "node4.example.test"],
         SUB: ["node2.example.test"], "a.example.test": ["node4.example.test"]},
        owners.get)
    assert calls == [
        IpaCall("host_mod", ("a.example.test",), {"description": STRANGER.of_subhost().tag()}),
        IpaCall("host_mod", (SHARED,), {"description": SIBLING.of_subhost().tag()})]
    assert unowned == [SUB]
    assert _hand_over()({}, owners.get) == ([], [])


# -- the state of the instance's own host, and its deployment ----------------------------------

@pytest.mark.parametrize("entry,enrolled,disabled", [
    (host(ME, keytab=True), True, False),
    (host(ME, keytab=True, password=True), True, False),
    (host(ME, password=True), False, False),
    (host(ME), False, True),  # neither keys nor password: disabled, not re-armed
])
def test_the_own_hosts_state(entry, enrolled, disabled):
    r = plan.review(E, outcomes(E, (FQDN,)))
    d = plan.decide(E, r, {FQDN: entry}, otp_for)
    assert (d.enrolled, d.disabled, d.calls, d.conflicts) == (enrolled, disabled, [], [])


def test_a_foreign_hosts_state_does_not_matter():
    r = plan.review(E, outcomes(E, (FQDN,)))
    d = plan.decide(E, r, {FQDN: host(SIBLING)}, otp_for)
    assert (d.enrolled, d.disabled, d.generation) == (False, False, 0) and d.conflicts


EU = Owner(ME.instance_id, ME.project_id, 2, deployment="eu-1")
E_EU = plan.Enrollment(FQDN, Owner(ME.instance_id, ME.project_id, deployment="eu-1"), {},
                       (HTTP_SUB, HTTP_OWN))


def test_entries_of_the_instances_own_deployment_are_its_own():
    r = plan.review(E_EU, outcomes(E_EU, ALL))
    shown = {FQDN: host(EU, keytab=True), SUB: host(EU.of_subhost()),
             str(HTTP_SUB): service(SUB, FQDN), str(HTTP_OWN): service(FQDN)}
    d = plan.decide(E_EU, r, shown, otp_for)
    assert (d.conflicts, d.calls, d.enrolled, d.generation) == ([], [], True, 2)


@pytest.mark.parametrize("e,tagged", [
    (E_EU, ME),  # this deployment is eu-1; the entries are the default deployment's
    (E, EU),  # and the other way round
])
def test_entries_of_another_deployment_are_not_its_own(e, tagged):
    r = plan.review(e, outcomes(e, ALL))
    shown = {FQDN: host(tagged, keytab=True), SUB: host(tagged.of_subhost()),
             str(HTTP_SUB): service(SUB, FQDN), str(HTTP_OWN): service(FQDN)}
    d = plan.decide(e, r, shown, otp_for)
    assert len(d.conflicts) == 4 and not d.enrolled and d.generation == 0


# -- names that already have DNS records (see also test_plan_dns.py) ---------------------------

ZONES = ["example.test."]


def dns_outcomes(e, records=(), host_errors=None):
    out = []
    for call in plan.create(e, "otp-0", BASEDN, zones=ZONES):
        if call.method == "dnsrecord_show":
            name = f"{call.args[1]}.{call.args[0]}".rstrip(".")
            out.append(Outcome(call, output={"result": {}}) if name in records else
                       Outcome(call, error=(host_errors or {}).get(f"dns:{name}")
                               or exception.IpaNotFound(reason="no record")))
        elif host_errors and call.args[0] in host_errors:
            out.append(Outcome(call, error=host_errors[call.args[0]]))
        else:
            out.append(Outcome(call, output={"result": {}, "value": call.args[0]}))
    return out


def test_a_dns_read_failing_otherwise_is_a_failure():
    denied = exception.IpaAuthorizationError(message="no read right on DNS")
    outs = dns_outcomes(E, host_errors={f"dns:{SUB}": denied})
    r = plan.review(E, outs)
    assert [o.error for o in r.failures] == [denied]
    assert [o.call for o in r.failures] == [IpaCall("dnsrecord_show", ("example.test.", "web.ctl"))]


def test_records_of_a_name_novajoin_could_not_add_are_a_conflict():
    err = exception.IpaValidationError(name="fqdn", error="invalid")
    r = plan.review(E, dns_outcomes(E, records=(SUB,), host_errors={SUB: err}))
    assert r.named_in_dns == [SUB] and SUB not in r.created_hosts + r.existing_hosts
    d = plan.decide(E, r, {}, otp_for)
    assert d.conflicts == [f"{SUB} already has DNS records in IPA that novajoin did not "
                           f"publish for instance {ME.instance_id}"]
