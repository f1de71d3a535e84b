"""The first batch reads the DNS records of the names it adds (issue 12 item 1): a table."""

from novajoin import exception
from novajoin.domain import plan
from novajoin.domain.calls import IpaCall, Outcome
from novajoin.domain.naming import Principal
from novajoin.domain.ownership import Owner

ME = Owner("11111111-2222-3333-4444-555555555555", "proj1", 0)
E = plan.Enrollment("web.example.test", ME, {}, (Principal("HTTP", "web.ctl.example.test"),))
ZONES = ["example.test.", "0.10.in-addr.arpa."]


def test_the_batch_reads_dns_first_for_names_in_ipa_zones():
    calls = plan.create(E, "otp", "dc=x", zones=ZONES)
    assert calls[:2] == [IpaCall("dnsrecord_show", ("example.test.", "web")),
                         IpaCall("dnsrecord_show", ("example.test.", "web.ctl"))]
    assert [c.method for c in calls[2:]] == ["host_add", "host_add", "service_add"]
    assert plan.create(E, "otp", "dc=x", zones=["other.test."])[0].method == "host_add"
    assert plan.create(E, "otp", "dc=x", with_host=False, zones=ZONES)[0] == IpaCall(
        "dnsrecord_show", ("example.test.", "web.ctl"))


def outcomes(record_exists: bool, host_created: bool):
    calls = plan.create(E, "otp", "dc=x", zones=ZONES)
    out = []
    for c in calls:
        if c.method == "dnsrecord_show":
            out.append(Outcome(c, output={"result": {}}) if record_exists and c.args[1] == "web"
                       else Outcome(c, error=exception.IpaNotFound(reason="no record")))
        elif c.method == "host_add" and c.args[0] == "web.example.test" and not host_created:
            out.append(Outcome(c, error=exception.IpaDuplicateEntry(message="exists")))
        else:
            out.append(Outcome(c, output={"result": {}}))
    return out


def test_records_without_a_host_are_someone_elses():
    r = plan.review(E, outcomes(record_exists=True, host_created=True))
    assert r.named_in_dns == ["web.example.test"] and not r.clean
    d = plan.decide(E, r, {}, lambda g: "otp")
    assert d.conflicts and IpaCall("host_del", ("web.example.test",)) in d.undo
    assert all(c.options.get("updatedns") is None for c in d.undo)  # the records stay


def test_records_of_the_instances_own_host_are_fine():
    r = plan.review(E, outcomes(record_exists=True, host_created=False))
    shown = {"web.example.test": {"description": [ME.tag()], "has_password": True}}
    assert plan.decide(E, r, shown, lambda g: "otp").conflicts == []


def test_no_records_is_a_clean_first_boot():
    assert plan.review(E, outcomes(record_exists=False, host_created=True)).clean
