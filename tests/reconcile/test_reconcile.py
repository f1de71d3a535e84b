"""novajoin-reconcile end to end: FakeIPA, the real Keystone, and the nova stand-in.

Instances are enrolled through novajoin-server's real API path; floating IP
records come from the listener's own floating IP handling. The command runs
as a process, exactly as an operator runs it.
"""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from dataclasses import dataclass

import pytest

from novajoin import reconcile
from tests.api.conftest import conf_text, keystone_sections
from tests.reconcile.helpers import attach, boot, exists, record
from tests.support import DOMAIN, PROJECT_ID, nova_body

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning:openstack",
                                        "ignore::DeprecationWarning:openstack")

READS = {"host_find", "host_show", "service_find", "dnszone_find", "dnsrecord_find",
         "batch", "env", "ping"}
REVERSE = "4.24.172.in-addr.arpa."
STALE = "172.24.4.228"
LIVE_FIP = "172.24.4.10"


@dataclass
class Drift:
    live: str
    gone: str
    fip: str
    old: str
    young: str
    expected: set


@pytest.fixture
def drift(api, nova) -> Drift:
    """Five instances, four of them drifted in the ways reconcile knows, nova paging by 2."""
    nova.reset(max_limit=2)
    api.admin.call("dnszone_add", REVERSE, force=True, idnssoamname=f"ns.{DOMAIN}.")
    api.admin.call("host_add", f"printer.{DOMAIN}", force=True)  # not novajoin's
    api.admin.call("dnsrecord_add", f"{DOMAIN}.", "printer", arecord=["203.0.113.9"])
    live = boot(api, nova, "live", floating=[LIVE_FIP])
    attach(api, LIVE_FIP, live)
    gone = boot(api, nova, "gone", {"ipa_enroll": "True", "compact_service_HTTP": '["ctl"]'})
    nova.remove(gone)  # its delete notification was lost
    fip = boot(api, nova, "fip", floating=[STALE])
    attach(api, STALE, fip)
    nova.set_addresses(fip, fixed=["10.0.0.5"])  # port deleted: no floating IP event
    three_days_ago = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=3)
    old = boot(api, nova, "old", enroll=False, created=three_days_ago)
    young = boot(api, nova, "young", enroll=False)
    expected = {("orphan_host", f"gone.{DOMAIN}", gone),
                ("orphan_subhost", f"gone.ctl.{DOMAIN}", gone),
                ("orphan_service", f"HTTP/gone.ctl.{DOMAIN}@NOVAJOIN.TEST", gone),
                ("stale_record", f"fip.{DOMAIN} A {STALE}", fip),
                ("unenrolled", f"old.{DOMAIN}", old)}
    return Drift(live, gone, fip, old, young, expected)


@pytest.fixture
def cli(fakeipa, reconcile_user, tmp_path):
    path = tmp_path / "join.conf"
    path.write_text(conf_text(fakeipa, keystone_sections(reconcile_user)))

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "novajoin.cmd.reconcile",
                               "--config-file", str(path), *args],
                              capture_output=True, text=True, timeout=120)
    return run


def found(report: dict) -> set:
    return {(f["kind"], f["object"], f["instance"]) for f in report["findings"]}


def writes(api) -> set:
    return set(api.stats()["commands"]) - READS


def test_dry_run_reports_exactly_the_drift_and_changes_nothing(api, drift, cli):
    api.reset_stats()
    result = cli("--json", "--progress-every", "1")
    assert result.returncode == 3, result.stderr
    report = json.loads(result.stdout)
    assert found(report) == drift.expected
    assert writes(api) == set()
    assert (report["complete"], report["applied"], report["ipa_hosts"],
            report["nova_servers"]) == (True, False, 6, 4)
    assert report["summary"] == {"orphan_host": 1, "orphan_subhost": 1, "orphan_service": 1,
                                 "stale_record": 1, "missing_record": 0,
                                 "unenrolled": 1}
    by_kind = {f["kind"]: f for f in report["findings"]}
    assert by_kind["stale_record"]["fix"] == [
        {"method": "dnsrecord_del", "args": [f"{DOMAIN}.", "fip"],
         "options": {"arecord": [STALE]}},
        {"method": "dnsrecord_del", "args": [REVERSE, "228"],
         "options": {"ptrrecord": [f"fip.{DOMAIN}."]}}]
    assert by_kind["unenrolled"]["fix"][0]["method"] == "host_mod"
    assert all(f["status"] == "found" and f["project"] == PROJECT_ID
               for f in report["findings"])
    assert "ipa hosts: " in result.stderr and "nova servers: 4" in result.stderr

    table = cli()
    assert table.returncode == 3
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["KIND", "OBJECT", "INSTANCE", "STATUS", "FIX", "REASON"]
    assert len(lines) == 1 + 5 + 1 and "Dry run: nothing was changed" in lines[-1]
    assert any(line.startswith("orphan_host") and f"gone.{DOMAIN}" in line for line in lines)


def test_apply_fixes_the_drift_and_leaves_live_hosts_untouched(api, drift, cli):
    result = cli("--apply", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert found(report) == drift.expected
    assert {f["status"] for f in report["findings"]} == {"fixed"}

    assert not exists(api, f"gone.{DOMAIN}") and not exists(api, f"gone.ctl.{DOMAIN}")
    assert "arecord" not in record(api, f"{DOMAIN}.", "fip")
    assert record(api, REVERSE, "228") == {}
    old = api.admin.call("host_show", f"old.{DOMAIN}")["result"]
    # The unused OTP was retired: a new generation, whose OTP replaced it.
    assert (old["has_password"], old["has_keytab"]) == (True, False)
    assert " generation=0" not in old["description"][0]
    # Untouched: the live host and its floating IP, the young OTP, what is not novajoin's.
    assert exists(api, f"live.{DOMAIN}") and exists(api, f"fip.{DOMAIN}")
    assert record(api, f"{DOMAIN}.", "live")["arecord"] == [LIVE_FIP]
    assert record(api, REVERSE, "10")["ptrrecord"] == [f"live.{DOMAIN}."]
    assert api.admin.call("host_show", f"young.{DOMAIN}")["result"]["has_password"] is True
    assert record(api, f"{DOMAIN}.", "printer")["arecord"] == ["203.0.113.9"]

    again = cli()
    assert again.returncode == 0, again.stdout
    assert again.stdout.splitlines() == [
        "4 novajoin hosts in IPA, 4 servers in nova: 0 findings."]


def test_a_retired_otp_never_works_again_and_a_late_guest_gets_a_new_one(api, drift, cli):
    """IPA cannot delete an OTP, only replace it (doc/freeipa-behaviour.md section 5): the
    fix replaces it with the OTP of a new generation, so the old one is dead and a guest
    that asks again gets the new one (no OTP is ever valid twice)."""
    assert cli("--apply").returncode == 0
    retired = api.core.enroller.otp(drift.old, 0)
    again = api.post(nova_body(hostname="old", instance_id=drift.old, project_id=PROJECT_ID))
    assert again.status_int == 200 and again.json["ipaotp"] not in (None, retired)
    assert api.enroll(f"old.{DOMAIN}", retired).status_code != 200  # never valid twice
    assert api.enroll(f"old.{DOMAIN}", again.json["ipaotp"]).status_code == 200


def test_an_orphan_is_removed_when_ipas_resolver_fails(api, drift):
    """host_del(updatedns) answers InternalError 903 when the IPA server's resolver cannot
    find the zone, after deleting the services (doc/freeipa-behaviour.md section 7): the
    fix then removes the records by name and the host without updatedns."""
    import requests

    api.admin.call("dnsrecord_add", f"{DOMAIN}.", "gone", arecord=["192.0.2.99"])
    requests.post(api.fakeipa.url + "/ipa/fake/faults", json={"commands": {"host_del": 903}},
                  timeout=5).raise_for_status()
    report = reconcile.Reconciler(api.core.lifecycle, api.core.cloud).run(apply=True)
    orphans = [f for f in report.findings if f.kind == "orphan_host"]
    assert [(f.object, f.status) for f in orphans] == [(f"gone.{DOMAIN}", "fixed")]
    assert not exists(api, f"gone.{DOMAIN}")
    assert record(api, f"{DOMAIN}.", "gone") == {}


@pytest.mark.parametrize("breakage", ["error on page 2", "page 2 cut short", "down cell",
                                      "nova older than 2.69"])
def test_an_incomplete_nova_listing_changes_nothing(api, drift, nova, breakage):
    if breakage == "error on page 2":
        nova.fail_after_pages = 1
    elif breakage == "page 2 cut short":
        nova.cut_page = 2
    elif breakage == "down cell":
        nova.down.add(drift.live)
    else:
        nova.max_version = "2.60"
    api.reset_stats()
    report = reconcile.Reconciler(api.core.lifecycle, api.core.cloud).run(apply=True)
    assert report.incomplete
    assert writes(api) == set()
    assert {f.status for f in report.findings} <= {"withheld"}
    assert exists(api, f"gone.{DOMAIN}")
    if breakage == "down cell":  # known to exist: not reported as an orphan
        assert f"live.{DOMAIN}" not in {f.object for f in report.findings}


def test_refusal_exit_code_and_json(api, drift, nova, cli):
    nova.fail_after_pages = 1
    result = cli("--apply", "--json")
    assert result.returncode == 4, result.stderr
    report = json.loads(result.stdout)
    assert report["complete"] is False and "listing failed after 2 servers" in report[
        "incomplete_reason"]
    assert exists(api, f"gone.{DOMAIN}")
    table = cli("--apply")
    assert table.returncode == 4 and "nothing was changed" in table.stdout.splitlines()[-1]


def test_credentials_without_the_admin_role_change_nothing(make_api, keystone, drift, cli):
    member = keystone.new_user("novajoin-member-" + drift.live[:6], "service", ["member"])
    api = make_api(cloud="real", sections=keystone_sections(member))
    report = reconcile.Reconciler(api.core.lifecycle, api.core.cloud).run(apply=True)
    assert report.incomplete and "403" in report.incomplete
    assert exists(api, f"gone.{DOMAIN}")


def test_a_truncated_host_search_is_split_by_instance(api, drift):
    # IPA answers at most 2 hosts per search (gone has 2): split by instance id prefixes.
    api.reset_stats()
    split = reconcile.Reconciler(api.core.lifecycle, api.core.cloud, host_sizelimit=2).run()
    assert api.stats()["commands"]["host_find"] > 1
    assert (split.hosts, split.warnings) == (6, [])
    assert {(f.kind, f.object, f.instance) for f in split.findings} == drift.expected


def test_what_changed_since_the_inventory_is_left_alone(api, drift, nova):
    reconciler = reconcile.Reconciler(api.core.lifecycle, api.core.cloud)
    report = reconciler.run()
    # Meanwhile: the old guest enrolls, the floating IP comes back.
    otp = api.post(nova_body(hostname="old", instance_id=drift.old,
                             project_id=PROJECT_ID)).json["ipaotp"]
    assert api.enroll(f"old.{DOMAIN}", otp).status_code == 200
    nova.set_addresses(drift.fip, fixed=["10.0.0.5"], floating=[STALE])
    reconciler.apply(report)
    status = {f.kind: f.status for f in report.findings}
    assert status == {"orphan_host": "fixed", "orphan_subhost": "fixed",
                      "orphan_service": "fixed", "stale_record": "skipped",
                      "unenrolled": "skipped"}
    assert record(api, f"{DOMAIN}.", "fip")["arecord"] == [STALE]
    assert api.admin.call("host_show", f"old.{DOMAIN}")["result"]["has_keytab"] is True


# -- floating IPs without records (issue 17) -------------------------------------------
LATE_FIP = "172.24.4.40"
SPOOFED = "172.24.4.66"
ATTACKER = "5a5a5a5a5a5a4a5a8a5a5a5a5a5a5a5a"


@pytest.fixture
def late(api, nova) -> str:
    """An enrolled instance whose floating IP was attached while novajoin-notify was down,
    and an attacker's floating IP on a port the attacker made with it as device."""
    if not record(api, REVERSE, "@"):
        api.admin.call("dnszone_add", REVERSE, force=True, idnssoamname=f"ns.{DOMAIN}.")
    late = boot(api, nova, "late")
    nova.set_addresses(late, fixed=["10.0.0.5"], floating=[LATE_FIP])
    nova.spoof(SPOOFED, ATTACKER, late)
    return late


def test_a_floating_ip_without_records_is_reported_and_published(api, late, cli):
    dry = cli("--json")
    assert dry.returncode == 3, dry.stderr
    report = json.loads(dry.stdout)
    assert found(report) == {("missing_record", f"late.{DOMAIN} A {LATE_FIP}", late)}
    assert record(api, f"{DOMAIN}.", "late") == {}  # a dry run changes nothing

    fixed = cli("--apply", "--json")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert record(api, f"{DOMAIN}.", "late")["arecord"] == [LATE_FIP]
    assert record(api, REVERSE, "40")["ptrrecord"] == [f"late.{DOMAIN}."]
    assert record(api, REVERSE, "66") == {}  # the attacker's address is never published
    assert cli().returncode == 0


def test_a_floating_ip_neutron_no_longer_lists_is_not_published(api, late, nova):
    reconciler = reconcile.Reconciler(api.core.lifecycle, api.core.cloud)
    report = reconciler.run()
    assert [f.kind for f in report.findings] == ["missing_record"]
    nova.set_addresses(late, fixed=["10.0.0.5"])  # detached meanwhile
    reconciler.apply(report)
    assert [f.status for f in report.findings] == ["skipped"]
    assert record(api, f"{DOMAIN}.", "late") == {}


def test_a_fresh_floating_ip_nova_does_not_show_yet_is_not_stale(api, nova, late):
    """nova's cache of an instance's addresses lags behind neutron (a heal interval, or a
    lost network-changed event): neutron's listing says the record is current."""
    api.core.lifecycle.publish_floating_ips(late, PROJECT_ID)
    nova.set_addresses(late, fixed=["10.0.0.5"])
    nova.neutron_only[late] = [LATE_FIP]
    report = reconcile.Reconciler(api.core.lifecycle, api.core.cloud).run(apply=True)
    assert report.findings == []
    assert record(api, f"{DOMAIN}.", "late")["arecord"] == [LATE_FIP]


def test_neutron_down_reports_nothing_missing_and_removes_no_record(api, nova, drift, late):
    nova.neutron_down = True
    api.reset_stats()
    report = reconcile.Reconciler(api.core.lifecycle, api.core.cloud).run(apply=True)
    assert any(w.startswith("floating IPs not compared: ") and "Neutron" in w
               for w in report.warnings)
    status = {f.kind: f.status for f in report.findings}
    assert "missing_record" not in status
    assert status["stale_record"] == "skipped"  # neutron may still list it: left alone
    assert record(api, f"{DOMAIN}.", "fip")["arecord"] == [STALE]
    assert status["orphan_host"] == "fixed"  # the rest of the run goes on
