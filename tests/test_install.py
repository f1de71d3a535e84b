"""novajoin-install's planning: INI edits that keep comments, nova settings, idempotence."""

import json
from pathlib import Path

from novajoin import install

ROOT = Path(__file__).resolve().parent.parent

NOVA_CONF = """# nova.conf of a real deployment
[DEFAULT]
transport_url = rabbit://nova:secret@ctl:5672/
# keep me

[api]
vendordata_providers = StaticJSON
vendordata_dynamic_targets = other@http://10.0.0.9/vd
[oslo_messaging_notifications]
topics = notifications
"""

S = install.Settings(hostname="api.example.test", realm="EXAMPLE.TEST", domain="example.test",
                     ipa_url="https://ipa.example.test/ipa/json", keytab="/k/krb5.keytab",
                     auth_url="https://ks.example.test/v3", nova_user="nova",
                     nova_password="n0va-pw", project="service")


def test_ini_set_changes_only_what_it_must():
    text = install.ini_set(NOVA_CONF, "api", "vendordata_providers", "StaticJSON,DynamicJSON")
    assert "# keep me" in text and "# nova.conf of a real deployment" in text
    assert install.ini_get(text, "api", "vendordata_providers") == "StaticJSON,DynamicJSON"
    assert install.ini_get(text, "api", "vendordata_dynamic_targets") == "other@http://10.0.0.9/vd"
    added = install.ini_set(text, "vendordata_dynamic_auth", "username", "nova")
    assert added.endswith("[vendordata_dynamic_auth]\nusername = nova\n")
    again = install.ini_set(added, "api", "vendordata_providers", "StaticJSON,DynamicJSON")
    assert again == added


def test_nova_settings_merge_with_what_is_there():
    settings = install.nova_settings(S, NOVA_CONF)
    assert settings["api"]["vendordata_providers"] == "StaticJSON,DynamicJSON"
    assert settings["api"]["vendordata_dynamic_targets"] == (
        "other@http://10.0.0.9/vd,join@http://127.0.0.1:9090/v1/")
    assert settings["oslo_messaging_notifications"]["topics"] == (
        "notifications,novajoin_notifications")
    assert settings["vendordata_dynamic_auth"]["password"] == "n0va-pw"
    assert "DEFAULT" not in settings  # nova 2025.2 reads these only from [api]
    assert "n0va-pw" not in install.masked(settings)


def test_plan_then_nothing_left_to_do(tmp_path):
    s = install.Settings(**{**S.__dict__, "cloud_config": str(tmp_path / "cc.json")})
    nova = tmp_path / "nova.conf"
    nova.write_text(NOVA_CONF)
    source = ROOT / "files/cloud-config-novajoin.json"
    changes = install.plan(s, tmp_path, nova, source, keytab_ok=False, metadefs_present=False)
    assert [c.kind for c in changes] == ["file", "file", "keytab", "metadefs", "file"]
    for c in changes:
        if c.kind == "file":
            Path(c.target).write_text(c.content)
    after = install.plan(s, tmp_path, nova, source, keytab_ok=True, metadefs_present=True)
    assert after == []
    join = (tmp_path / "join.conf").read_text()
    secret = install.ini_get(join, "DEFAULT", "otp_secret")
    assert secret and len(secret) >= 32
    assert install.ini_get(join, "DEFAULT", "transport_url") is None  # not given here
    assert "# keep me" in nova.read_text()


def test_shipped_freeipa_json_is_the_namespace_novajoin_install_registers():
    assert json.loads((ROOT / "files/freeipa.json").read_text()) == install.METADEFS
