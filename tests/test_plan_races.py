"""plan.decide when another request of the same instance races this one (issue 12 item 6).

Process A adds the host and the services; process B, a moment later, adds a sub-host A
had not reached yet, and finds A's service on it. That service is this instance's:
only novajoin, for this instance, makes the instance's own host a manager.
"""

from novajoin import exception
from novajoin.domain import plan
from novajoin.domain.calls import IpaCall, Outcome
from novajoin.domain.naming import Principal
from novajoin.domain.ownership import Owner

ME = Owner("11111111-2222-3333-4444-555555555555", "proj1", 0)
FQDN = "web.example.test"
SUB = "web.ctl.example.test"
HTTP_SUB = Principal("HTTP", SUB)
E = plan.Enrollment(FQDN, ME, {}, (HTTP_SUB,))
DUP = exception.IpaDuplicateEntry(message="exists")


def review_b():
    """B's batch: the host existed (A's), B created the sub-host, the service existed."""
    return plan.review(E, [
        Outcome(IpaCall("host_add", (FQDN,)), error=DUP),
        Outcome(IpaCall("host_add", (SUB,)), output={"result": {}}),
        Outcome(IpaCall("service_add", (str(HTTP_SUB),)), error=DUP),
    ])


def shown(*managers):
    return {FQDN: {"fqdn": [FQDN], "description": [ME.tag()], "has_keytab": False,
                   "has_password": True},
            str(HTTP_SUB): {"krbprincipalname": [str(HTTP_SUB)],
                            "managedby_host": list(managers)}}


def test_a_racing_requests_service_on_a_sub_host_i_created_is_mine():
    d = plan.decide(E, review_b(), shown(SUB, FQDN), lambda g: f"otp-{g}")
    assert d.conflicts == [] and d.undo == []


def test_a_service_not_managed_by_my_host_on_a_sub_host_i_created_is_a_conflict():
    d = plan.decide(E, review_b(), shown(SUB), lambda g: f"otp-{g}")
    assert len(d.conflicts) == 1 and "HTTP/web.ctl.example.test" in d.conflicts[0]
    # The sub-host stays under the service that is not ours (host_del would take it along),
    # released from novajoin's owner tag.
    assert IpaCall("host_mod", (SUB,), {"description": plan.RELEASED}) in d.undo
    assert IpaCall("host_del", (SUB,)) not in d.undo
