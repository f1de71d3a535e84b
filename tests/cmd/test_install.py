"""novajoin-install end to end: a real KDC (kinit), real Glance, a stand-in ipa-getkeytab."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from novajoin import install
from novajoin.cmd import install as install_cmd
from tests.support import DOMAIN, REALM

ADMIN_PW = "Adm1n-pw-for-kinit"
HOST = f"api.{DOMAIN}"


@pytest.fixture
def ipa_getkeytab(tmp_path, krb_realm, monkeypatch):
    """A stand-in ipa-getkeytab: needs valid tickets, writes the principal's real keytab."""
    principal = f"nova/{HOST}@{REALM}"
    source = tmp_path / "source.keytab"
    krb_realm.addprinc(principal, keytab=str(source))
    if not hasattr(krb_realm, "_admin"):
        krb_realm.addprinc(f"admin@{REALM}", password=ADMIN_PW)
        krb_realm._admin = True
    bindir = tmp_path / "bin"
    bindir.mkdir()
    calls = tmp_path / "getkeytab.calls"
    script = bindir / "ipa-getkeytab"
    script.write_text(f"""#!/bin/sh
echo "$@" >> {calls}
klist -s || {{ echo "no tickets" >&2; exit 9; }}
while [ $# -gt 0 ]; do case "$1" in -k) shift; cp {source} "$1";; esac; shift; done
""")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    return calls


def argv(tmp_path, keystone, *extra):
    (tmp_path / "admin-pw").write_text(ADMIN_PW)
    (tmp_path / "nova-pw").write_text(keystone.nova.password)
    return ["--hostname", HOST, "--user", "root", "--principal", "admin",
            "--password-file", str(tmp_path / "admin-pw"),
            "--keystone-auth-url", keystone.auth_url, "--nova-user", keystone.nova.username,
            "--nova-password-file", str(tmp_path / "nova-pw"), "--project", "service",
            "--server", f"ipa.{DOMAIN}", "--realm", REALM, "--domain", DOMAIN,
            "--config-dir", str(tmp_path / "etc"), "--nova-conf", str(tmp_path / "nova.conf"),
            *extra]


def test_install_then_nothing_to_change(tmp_path, keystone, glance, ipa_getkeytab, capsys):
    (tmp_path / "nova.conf").write_text("# operator's notes\n[DEFAULT]\n"
                                        "transport_url = rabbit://nova:pw@ctl:5672/\n")
    with keystone.role_granted("nova", "service", "admin"):  # Glance metadefs need admin
        assert install_cmd.main(argv(tmp_path, keystone, "--apply")) == 0
        first = capsys.readouterr()
        assert install_cmd.main(argv(tmp_path, keystone, "--apply")) == 0
        second = capsys.readouterr()
    assert "nothing to change" in second.out
    assert ipa_getkeytab.read_text().count("-p") == 1  # the keytab was fetched once

    join = tmp_path / "etc/join.conf"
    assert stat.S_IMODE(join.stat().st_mode) == 0o640
    text = join.read_text()
    assert install.ini_get(text, "DEFAULT", "keytab_principal") == f"nova/{HOST}@{REALM}"
    assert install.ini_get(text, "DEFAULT", "url") == f"https://ipa.{DOMAIN}/ipa/json"
    assert install.ini_get(text, "DEFAULT", "transport_url") == "rabbit://nova:pw@ctl:5672/"
    keytab = tmp_path / "etc/krb5.keytab"
    assert stat.S_IMODE(keytab.stat().st_mode) == 0o600
    assert install_cmd.keytab_holds(str(keytab), f"nova/{HOST}@{REALM}")
    nova = (tmp_path / "nova.conf").read_text()
    assert "# operator's notes" in nova
    assert install.ini_get(nova, "api", "vendordata_dynamic_targets") == (
        "join@http://127.0.0.1:9090/v1/")
    assert install.ini_get(nova, "api", "vendordata_jsonfile_path") == str(
        tmp_path / "etc/cloud-config-novajoin.json")
    assert (tmp_path / "etc/cloud-config-novajoin.json").exists()
    resp = keystone.admin_session().get(
        f"{glance.url}/v2/metadefs/namespaces/{install.METADEFS_NAMESPACE}")
    assert resp.status_code == 200
    assert resp.json()["properties"]["ipa_enroll"]["type"] == "boolean"
    for out in (first, second):  # no secret on the terminal
        for secret in (ADMIN_PW, keystone.nova.password):
            assert secret not in out.out + out.err


def test_dry_run_changes_nothing(tmp_path, keystone, glance, ipa_getkeytab, capsys):
    assert install_cmd.main(argv(tmp_path, keystone, "--dry-run", "--no-metadefs")) == 0
    out = capsys.readouterr().out
    assert "would change file" in out and "would change keytab" in out
    assert not (tmp_path / "etc").exists()
    assert not ipa_getkeytab.exists()


def test_wrong_admin_password_is_a_clear_failure(tmp_path, keystone, glance, ipa_getkeytab,
                                                 capsys):
    args = argv(tmp_path, keystone, "--no-metadefs")
    (tmp_path / "admin-pw").write_text("wrong")
    args[args.index("--password-file") + 1] = str(tmp_path / "bad-pw")
    (tmp_path / "bad-pw").write_text("wrong")
    assert install_cmd.main(args) == 1
    err = capsys.readouterr().err
    assert "kinit as admin failed" in err and "wrong" not in err


def test_not_a_fqdn_is_a_usage_error(tmp_path, keystone):
    with pytest.raises(SystemExit) as info:
        install_cmd.main(argv(tmp_path, keystone)[2:] + ["--hostname", "api"])
    assert info.value.code == 2


def test_console_script_is_installed():
    import shutil
    import sys

    assert (Path(sys.executable).parent / "novajoin-install").exists() or shutil.which(
        "novajoin-install")
