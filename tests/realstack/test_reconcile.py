"""Scenario 8: novajoin-reconcile against nova's real API finds an orphan and fixes it.

The server is deleted while novajoin-notify is stopped, and its queue is purged so the
delete never arrives: what a listener down longer than the queue kept its messages sees.
"""

from __future__ import annotations

import json

from tests.realstack.stack import DOMAIN, join


def test_reconcile_finds_and_removes_an_orphan(realstack, name, servers):
    ipa = realstack.novajoin
    kept = realstack.boot(f"{name}-kept", {"ipa_enroll": "True"})
    servers.append(kept)
    kept_fqdn = f"{name}-kept.{DOMAIN}"
    assert ipa.enroll(kept_fqdn, join(realstack, kept)["ipaotp"]).status_code == 200
    gone = realstack.boot(name, {"ipa_enroll": "True"})
    servers.append(gone)
    fqdn = f"{name}.{DOMAIN}"
    assert ipa.enroll(fqdn, join(realstack, gone)["ipaotp"]).status_code == 200

    ipa.stop_process("novajoin-notify")
    try:
        realstack.delete(gone["id"])
        realstack.vhost.purge("novajoin_notifications.info")
    finally:
        ipa.start_notify()
        ipa.wait_notify()
    assert ipa.host(fqdn) is not None  # nobody told novajoin

    dry = ipa.reconcile("--json")
    assert dry.returncode == 3, dry.stdout + dry.stderr
    report = json.loads(dry.stdout)
    assert report["complete"] is True
    orphans = [f for f in report["findings"] if f["kind"] == "orphan_host"]
    assert (fqdn, gone["id"]) in [(f["object"], f["instance"]) for f in orphans]
    assert kept_fqdn not in [f["object"] for f in report["findings"]]
    assert ipa.host(fqdn) is not None  # a dry run changes nothing

    fixed = ipa.reconcile("--apply", "--json")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert ipa.host(fqdn) is None
    assert ipa.host(kept_fqdn) is not None
    assert ipa.reconcile().returncode == 0
