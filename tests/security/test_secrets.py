"""Attacks 7 and 9: OTPs, passwords and tokens where others can read them (logs, ``ps``).

novajoin 1.x logged notification payloads and IPA call results at debug level, with no
redaction, and its guest script put the OTP on a command line. Here: debug logging of the
whole API path (enrollment with services, conflicts, IPA failures, password logins, rebuilds)
holds no secret in any record, exception text included; a running novajoin-server never puts
one on a command line or in an environment.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import requests

from novajoin.domain import otp
from novajoin.listener import events
from tests.api.conftest import keystone_sections, running_server
from tests.security.helpers import (
    PRECREATED_PASSWORD,
    PROJECT_ID,
    SECRET,
    SECTIONS,
    Cloud,
    otps,
    seed_victims,
)
from tests.support import ADMIN_PASSWORD, DOMAIN, nova_body

WRONG_PASSWORD = "Not-the-IPA-password-" + uuid.uuid4().hex[:8]


def record_texts(records) -> list[str]:
    """Everything a log record carries: message, arguments, exception and stack, extras."""
    formatter = logging.Formatter()
    texts = []
    for r in records:
        texts.append(r.getMessage())
        texts.append(repr(r.__dict__))
        if r.exc_info:
            texts.append(formatter.formatException(r.exc_info))
        if r.stack_info:
            texts.append(r.stack_info)
    return texts


def assert_absent(secrets, texts, where: str) -> None:
    secrets = [s for s in secrets if s]
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"a secret is in {where}: ...{text[:400]}..."


def faults(api, **changes) -> None:
    requests.post(api.fakeipa.url + "/ipa/fake/faults", json=changes, timeout=5)


def test_no_secret_in_any_log_record_at_debug_level(make_api, caplog):
    caplog.set_level(logging.DEBUG)
    api = make_api(cloud=Cloud(), sections=SECTIONS, otp_secret=SECRET, debug="true",
                   enrollment_recheck_interval=0)
    seed_victims(api)  # the admin client's own calls (a password for a pre-created host)
    handed_out, instances = [], []

    def enroll(hostname, md=None, **kw):
        body = nova_body(hostname=hostname, metadata=md, **kw)
        instances.append(body["instance-id"])
        resp = api.post(body)
        handed_out.append(resp.json.get("ipaotp") if resp.status_int == 200 else None)
        return body, resp

    services = {"ipa_enroll": "True", "compact_service_HTTP": '["ctl", "int"]',
                "compact_services": '{"ldap": ["storage"]}',
                "managed_service_web": f"HTTP/app.{DOMAIN}",
                "managed_service_vip": f"HTTP/vip.{DOMAIN}"}
    body, resp = enroll("app", services)
    assert resp.status_int == 200
    assert api.post(body).json == resp.json  # asked again: from IPA again, same OTP
    # A conflict with services on the way: created, refused, undone.
    assert enroll("victim", {"ipa_enroll": "True", "compact_service_HTTP": '["int", "ctl"]'}
                  )[1].status_int == 409
    # IPA failing in the middle of the batch that carries the OTP, then gone altogether.
    faults(api, failure_rate=1.0)
    try:
        assert enroll("flaky", {"ipa_enroll": "True", "compact_service_HTTP": '["ctl"]'}
                      )[1].status_int == 503
    finally:
        faults(api, failure_rate=0.0)
    faults(api, outage=True)
    try:
        assert enroll("down")[1].status_int == 503
    finally:
        faults(api, outage=False)
    # The session expires: a new password login, in the middle of an enrollment.
    api.fakeipa.expire_sessions()
    assert enroll("relogin", {"ipa_enroll": "True", "compact_service_nfs": '["ctl"]'}
                  )[1].status_int == 200
    # A wrong IPA password.
    wrong = make_api(cloud=Cloud(), ipa_password=WRONG_PASSWORD, otp_secret=SECRET,
                     debug="true")
    assert wrong.post(nova_body(hostname="nope")).status_int == 503
    # A rebuild (a new OTP) and a delete, through the listener's code.
    life = api.core.lifecycle
    assert api.enroll(resp.json["hostname"], resp.json["ipaotp"]).status_code == 200
    rebuild = events.InstanceEvent("rebuild", body["instance-id"], PROJECT_ID, "app", services)
    life.rebuild(rebuild, generation=1_900_000_000)
    rebuilt = api.post(body).json["ipaotp"]
    handed_out.append(rebuilt)
    life.delete(events.InstanceEvent("delete", body["instance-id"], PROJECT_ID, "app", {}))

    assert any(handed_out) and len(caplog.records) > 50
    assert any("IPA batch" in r.getMessage() for r in caplog.records)  # debug is on
    secrets = [*handed_out, *(o for i in instances for o in otps(i)),
               otp.derive(SECRET.encode(), body["instance-id"], 1_900_000_000),
               ADMIN_PASSWORD, WRONG_PASSWORD, PRECREATED_PASSWORD, SECRET]
    assert_absent(secrets, record_texts(caplog.records), "a log record")
    assert_absent(secrets, [caplog.text], "the formatted log")


def test_no_token_or_password_in_debug_logs_with_keystone(make_api, novajoin_user, keystone,
                                                          caplog):
    caplog.set_level(logging.DEBUG)
    api = make_api(auth_strategy="keystone", sections=keystone_sections(novajoin_user),
                   otp_secret=SECRET, debug="true")
    nova_token = keystone.issue_token(keystone.nova)
    member_token = keystone.issue_token(keystone.member)
    revoked = keystone.issue_token(keystone.nova)
    keystone.admin_session().delete(f"{keystone.auth_url}/auth/tokens",
                                    headers={"X-Subject-Token": revoked})
    ok = api.post(nova_body(hostname="tokens"), headers={"X-Auth-Token": nova_token})
    assert ok.status_int == 200
    assert api.post(nova_body(), headers={"X-Auth-Token": member_token}).status_int == 403
    assert api.post(nova_body(), headers={"X-Auth-Token": revoked}).status_int == 401
    secrets = [nova_token, member_token, revoked, ok.json["ipaotp"], novajoin_user.password,
               keystone.nova.password, keystone.member.password, ADMIN_PASSWORD, SECRET]
    assert_absent(secrets, record_texts(caplog.records), "a log record")
    assert_absent(secrets, [caplog.text], "the formatted log")


# -- the process list -------------------------------------------------------------------------

class ProcScanner(threading.Thread):
    """Reads every process's command line and environment, over and over, until stopped."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.seen: dict[int, set[bytes]] = {}
        self.passes = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            for proc in Path("/proc").iterdir():
                if not proc.name.isdigit():
                    continue
                for name in ("cmdline", "environ"):
                    try:
                        self.seen.setdefault(int(proc.name), set()).add(
                            (proc / name).read_bytes())
                    except OSError:
                        pass
            self.passes += 1

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=10)

    def found(self, secret: str, pid: int | None = None) -> bool:
        blobs = self.seen.get(pid, set()) if pid is not None else set().union(
            *self.seen.values())
        return any(secret.encode() in blob for blob in blobs)


def test_no_otp_in_the_process_list(fakeipa, tmp_path):
    scanner = ProcScanner()
    planted = "planted-" + uuid.uuid4().hex  # proves the scanner sees other processes
    with running_server(fakeipa, tmp_path, debug="true", otp_secret=SECRET,
                        enrollment_recheck_interval=0) as (url, proc, log):
        scanner.start()
        decoy = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", planted])
        handed_out = []
        try:
            for i in range(20):
                md = {"ipa_enroll": "True", "compact_service_HTTP": '["ctl"]'}
                resp = requests.post(url + "/v1/", json=nova_body(hostname=f"ps-{i}",
                                                                  metadata=md), timeout=30)
                assert resp.status_code == 200, resp.text
                handed_out.append(resp.json()["ipaotp"])
                # ...and a conflict (undo) for the same name.
                requests.post(url + "/v1/", json=nova_body(hostname=f"ps-{i}"), timeout=30)
            deadline = time.monotonic() + 10
            while scanner.passes < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            decoy.kill()
            decoy.wait()
            scanner.stop()
        assert scanner.passes >= 3 and scanner.found(planted)
        assert scanner.found("novajoin-server", proc.pid)
        for secret in handed_out:  # unique: on no command line or environment of any process
            assert not scanner.found(secret), "an OTP is on a command line or in an environ"
        for secret in (ADMIN_PASSWORD, SECRET):  # not in novajoin-server's (only in its file)
            assert not scanner.found(secret, proc.pid)
        text = log.read_text()
        assert "DEBUG" in text  # the server did log at debug level
        for secret in [*handed_out, ADMIN_PASSWORD, SECRET]:
            assert secret not in text
