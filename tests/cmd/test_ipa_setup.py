"""novajoin-ipa-setup end to end: the real console entry against FakeIPA."""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from fakeipa import errors as ipa_errors

from novajoin import ipa_setup
from novajoin.cmd import ipa_setup as cli
from tests.support import ADMIN_PASSWORD, DOMAIN, REALM

ROOT = Path(__file__).resolve().parents[2]
HOST = f"undercloud.{DOMAIN}"
PRINCIPAL = f"nova/{HOST}@{REALM}"
WRITES = {"permission_add", "permission_mod", "privilege_add", "privilege_add_permission",
          "role_add", "role_add_privilege", "role_add_member", "host_add", "host_mod",
          "service_add"}
OTP_LINE = re.compile(rf"^One-time password for {re.escape(HOST)} .*: (\S+)$", re.M)


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "admin-password"
    path.write_text(ADMIN_PASSWORD + "\n")
    path.chmod(0o600)
    return str(path)


@pytest.fixture
def setup(fakeipa, password_file, capsys):
    """Run the console entry in-process; returns (exit code, stdout, stderr)."""

    def run(*extra: str, password: bool = True):
        argv = ["--url", fakeipa.json_url, "--hostname", HOST, *extra]
        if password:
            argv += ["--password-file", password_file]
        code = cli.main(argv)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def commands(fakeipa) -> dict[str, int]:
    return requests.get(fakeipa.url + "/ipa/fake/stats", timeout=10).json()["commands"]


def reset_stats(fakeipa) -> None:
    requests.post(fakeipa.url + "/ipa/fake/stats/reset", timeout=10).raise_for_status()


def test_first_run_creates_everything_and_the_second_nothing(setup, fakeipa):
    code, out, err = setup()
    assert code == 0, err
    assert "Done: 3 added, 14 created; 3 items were already in place." in out
    store = fakeipa.store
    with store.lock:
        role = store.roles[ipa_setup.ROLE.lower()]
        assert role.members == {"service": [PRINCIPAL]}
        assert role.privileges == [ipa_setup.PRIVILEGE.lower()]
        privilege = store.privileges[ipa_setup.PRIVILEGE.lower()]
        assert len(privilege.permissions) == 13
        owned = store.permissions["novajoin modify owned hosts"]
        assert owned.rights == ["write"] and owned.included == ["description", "userpassword"]
        assert "(description=novajoin owner kind=*)" in owned.filters
        services = store.permissions["novajoin remove services"]
        assert services.filters[0] == (f"(!(managedby=fqdn={fakeipa.env.hostname},"
                                       "cn=computers,cn=accounts,dc=novajoin,dc=test))")
        assert HOST in store.hosts and PRINCIPAL in store.services
        assert store.hosts[HOST].password is None  # no --precreate: no OTP
    assert OTP_LINE.search(out) is None
    assert f"ipa-getkeytab -s {fakeipa.host} -p {PRINCIPAL}" in out

    reset_stats(fakeipa)
    code, out, err = setup()
    assert code == 0, err
    assert "Nothing to change: all 20 items are already in place." in out
    assert not WRITES & set(commands(fakeipa))


def test_dry_run_writes_nothing(setup, fakeipa):
    reset_stats(fakeipa)
    code, out, _ = setup("--dry-run", "--precreate")
    assert code == 0
    assert f"would create  host {HOST} (with a one-time password)" in out
    assert "Dry run: 17 changes would be made" in out and "nothing was changed" in out
    assert OTP_LINE.search(out) is None
    assert not WRITES & set(commands(fakeipa))
    with fakeipa.store.lock:
        assert not fakeipa.store.roles and not fakeipa.store.privileges
        assert "novajoin add owned hosts" not in fakeipa.store.permissions


def test_precreate_prints_an_otp_that_enrolls(setup, fakeipa):
    code, out, _ = setup("--precreate")
    assert code == 0
    otps = OTP_LINE.findall(out)
    assert len(otps) == 1
    enrolled = requests.post(fakeipa.url + "/ipa/fake/enroll",
                             json={"fqdn": HOST, "otp": otps[0]}, timeout=10)
    assert enrolled.status_code == 200, enrolled.text
    assert enrolled.json()["has_keytab"] is True
    code, out, err = setup("--precreate")
    assert code == 0 and OTP_LINE.search(out) is None
    assert "Nothing to change" in out and "enrolled" not in err


def test_precreate_on_a_host_without_password_sets_one(setup, fakeipa):
    assert setup()[0] == 0
    code, out, _ = setup("--precreate")
    assert code == 0 and "updated    host" in out
    assert fakeipa.store.hosts[HOST].password == OTP_LINE.search(out).group(1)


def test_the_password_never_shows(setup, fakeipa, caplog):
    caplog.set_level(logging.DEBUG)
    outputs = [setup("--verbose", "--precreate"), setup("--verbose")]
    outputs.append(setup("--verbose", "--password", ADMIN_PASSWORD, password=False))
    for code, out, err in outputs:
        assert code == 0, err
        assert ADMIN_PASSWORD not in out and ADMIN_PASSWORD not in err
    assert ADMIN_PASSWORD not in caplog.text
    assert "Logged in to IPA" in caplog.text  # the logs were captured at all
    otp = fakeipa.store.hosts[HOST].password
    assert otp and otp not in caplog.text and otp not in outputs[0][2]


def test_password_on_the_command_line_warns(setup):
    code, _, err = setup("--password", ADMIN_PASSWORD, password=False)
    assert code == 0
    assert "--password is visible to other users in the process list" in err


def test_the_password_is_prompted_for_on_a_terminal(setup, monkeypatch):
    prompts = []
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(cli.getpass, "getpass",
                        lambda prompt: prompts.append(prompt) or ADMIN_PASSWORD)
    assert setup(password=False)[0] == 0
    assert prompts == ["Password for admin: "]


def test_no_password_without_a_terminal(setup, monkeypatch):
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    code, _, err = setup(password=False)
    assert code == 2
    assert "no password: give --password-file" in err


def test_wrong_password(setup, tmp_path):
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-password\n")
    code, out, err = setup("--password-file", str(wrong), password=False)
    assert code == 3
    assert "IPA refused authentication" in err and "IPA user admin" in err
    assert "check --principal and the password" in err
    assert "not-the-password" not in out + err


def test_missing_rights_name_the_step_and_the_right(setup, fakeipa):
    rpc = fakeipa.app.rpc

    def refuse(call, kw):
        raise ipa_errors.IpaACIError(info="Insufficient 'add' privilege to add the entry "
                                          "'cn=Nova Host Manager,cn=roles,cn=accounts'.")

    rpc.commands["role_add"] = dataclasses.replace(rpc.commands["role_add"], handler=refuse)
    code, out, err = setup()
    assert code == 1
    assert (f'IPA refused to create role "{ipa_setup.ROLE}" (role_add): Insufficient access: '
            "Insufficient 'add' privilege") in err
    assert "This step needs System: Add Roles (privilege Delegation Administrator)" in err
    assert "created    permission" in out  # what came before stays done
    assert "host_add" not in commands(fakeipa)  # nothing after the refused step


def test_missing_ipa_permission_changes_nothing(setup, fakeipa):
    with fakeipa.store.writing() as store:
        del store.permissions["revoke certificate"]
    reset_stats(fakeipa)
    code, out, err = setup()
    assert code == 1
    assert 'IPA has no permission "Revoke Certificate"' in err
    assert "Nothing was changed." in out
    assert not WRITES & set(commands(fakeipa))


def test_legacy_privilege_is_reported(setup, fakeipa):
    from tests.fakeipa.conftest import Rpc

    ipa = Rpc(fakeipa)
    ipa("role_add", ipa_setup.ROLE)
    ipa("privilege_add", ipa_setup.LEGACY_PRIVILEGE)
    ipa("role_add_privilege", ipa_setup.ROLE, privilege=[ipa_setup.LEGACY_PRIVILEGE])
    code, out, err = setup()
    assert code == 0
    assert f'privilege "{ipa_setup.LEGACY_PRIVILEGE}" (novajoin 1.x\'s realm-wide rights)' in err
    with fakeipa.store.lock:  # reported, not removed
        assert ipa_setup.LEGACY_PRIVILEGE.lower() in fakeipa.store.roles[
            ipa_setup.ROLE.lower()].privileges


def test_realm_mismatch(setup):
    code, _, err = setup("--realm", "OTHER.TEST")
    assert code == 1 and f"serves realm {REALM}, not OTHER.TEST" in err


def test_unreachable_server(password_file, capsys):
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code = cli.main(["--url", f"http://127.0.0.1:{port}/ipa/json", "--hostname", HOST,
                     "--password-file", password_file])
    assert code == 4
    assert "is unavailable: cannot connect" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "message"), [
    (["--hostname", "undercloud"], "is not fully qualified"),
    (["--hostname", "bad_name.example.test"], "only letters, digits and '-' may be used"),
    (["--server", "ipa.example.test", "--ca-file", "/nonexistent/ca.crt"],
     "CA file /nonexistent/ca.crt not found"),
    (["--password-file", "/nonexistent/password"], "cannot read --password-file"),
])
def test_usage_errors(argv, message, password_file, capsys):
    if "--password-file" not in argv:
        argv = [*argv, "--password-file", password_file]
    if "--server" not in argv and "--url" not in argv:
        argv = [*argv, "--url", "http://127.0.0.1:9/ipa/json"]
    if "--hostname" not in argv:
        argv = [*argv, "--hostname", HOST]
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err


def test_as_a_process(fakeipa, password_file):
    python = ROOT / ".venv" / "bin" / "python"
    done = subprocess.run(
        [str(python if python.exists() else sys.executable), "-m", "novajoin.cmd.ipa_setup",
         "--url", fakeipa.json_url, "--hostname", HOST, "--password-file", password_file,
         "--precreate"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert len(OTP_LINE.findall(done.stdout)) == 1
    assert ADMIN_PASSWORD not in done.stdout + done.stderr
    with fakeipa.store.lock:
        assert PRINCIPAL in fakeipa.store.roles[ipa_setup.ROLE.lower()].members["service"]
