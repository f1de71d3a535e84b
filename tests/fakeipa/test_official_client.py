"""FreeIPA's own client (ipalib/ipaclient 4.13.1) against the emulator.

ipalib checks every answer strictly (exact output keys, primary key types,
decoded ``__dns_name__`` values), so these tests catch envelope and shape
drift that a home-made client would accept. ipalib is GPL and lives in its
own virtualenv; the tests run ``ipalib_scripts/drive.py`` with that
interpreter and read back a JSON report.
"""

from __future__ import annotations

from pathlib import Path

from tests.fakeipa.ipalib import ok, text
from tests.support import DOMAIN, REALM

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("ipalib_scripts") / "drive.py"
FQDN = f"vm1.{DOMAIN}"


def test_hosts_and_the_otp_rule(drive):
    report = drive("host")
    assert text(ok(report, "ping")["summary"]).endswith("API version 2.257")
    added = ok(report, "add")
    assert text(added["value"]) == FQDN
    assert added["result"]["has_password"] is True and added["result"]["has_keytab"] is False
    assert "krbprincipalname" not in added["result"]
    assert ok(report, "show")["summary"] is None
    assert report["enroll"]["has_keytab"] is True
    assert report["otp_on_enrolled"] == {"error": {
        "class": "ValidationError", "errno": 3009, "name": "password",
        "message": "invalid 'password': Password cannot be set on enrolled host."}}
    assert ok(report, "disable")["result"] is True
    assert ok(report, "otp_after_disable")["result"]["has_password"] is True
    assert ok(report, "find")["count"] == 1
    assert ok(report, "find_none")["count"] == 0
    assert [text(v) for v in ok(report, "delete")["value"]] == [FQDN]
    assert report["show_deleted"]["error"]["class"] == "NotFound"


def test_batch_with_a_failing_member(drive):
    results = ok(drive("batch"), "batch")["results"]
    added, missing, shown = results
    assert added["error"] is None and text(added["value"]) == f"web.{DOMAIN}"
    assert missing["error_code"] == 4001 and text(missing["error_name"]) == "NotFound"
    assert shown["error"] is None and shown["result"]["has_keytab"] is False


def test_dns_names_come_back_as_dnsname_objects(drive):
    report = drive("dns")
    zone = ok(report, "reverse_zone")["value"]
    assert zone == {"type": "DNSName", "value": "8.9.10.in-addr.arpa."}
    added = ok(report, "add")
    assert added["value"] == {"type": "DNSName", "value": "vm1"}
    assert added["result"]["idnsname"] == [{"type": "DNSName", "value": "vm1"}]
    assert [text(a) for a in ok(report, "add_more")["result"]["arecord"]] == [
        "10.9.8.7", "10.9.8.6"]
    assert report["add_duplicate"]["error"]["class"] == "EmptyModlist"
    found = ok(report, "find")
    assert found["count"] == 1
    assert found["result"][0]["idnsname"] == [{"type": "DNSName", "value": "vm1"}]
    assert [text(p) for p in ok(report, "ptr")["result"]["ptrrecord"]] == [f"vm1.{DOMAIN}."]
    assert ok(report, "del_value")["summary"] is None
    assert report["del_absent"]["error"]["errno"] == 4026
    assert text(ok(report, "del_all")["summary"]) == 'Deleted record "vm1"'
    assert report["show_deleted"]["error"]["class"] == "NotFound"
    assert ok(report, "zone_show")["value"] == {"type": "DNSName", "value": f"{DOMAIN}."}


def test_services(drive):
    report = drive("service")
    principal = f"HTTP/web.{DOMAIN}@{REALM}"
    assert text(ok(report, "add")["value"]) == principal
    change = ok(report, "add_host")
    assert change["completed"] == 1
    assert [[text(v) for v in item] for item in change["failed"]["managedby"]["host"]] == [
        [f"missing.{DOMAIN}", "no such entry"]]
    assert [text(h) for h in ok(report, "show")["result"]["managedby_host"]] == [
        f"web.{DOMAIN}", FQDN]
    assert ok(report, "find")["count"] == 1
    assert report["foreign_realm"]["error"]["errno"] == 4005
    assert [text(v) for v in ok(report, "delete")["value"]] == [principal]
