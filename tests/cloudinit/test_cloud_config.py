"""files/cloud-config-novajoin.json: current, valid cloud-config, and nothing traced."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from tests.cloudinit.conftest import ROOT, SCRIPT
from tests.support import require

COMMITTED = ROOT / "files" / "cloud-config-novajoin.json"
SCRIPT_PATH = "/usr/local/libexec/novajoin/setup-ipa-client"


def committed_cloud_config() -> str:
    document = json.loads(COMMITTED.read_text())
    assert list(document) == ["cloud-init"]
    return document["cloud-init"]


def test_committed_json_is_current(tmp_path):
    out = tmp_path / "cloud-config-novajoin.json"
    subprocess.run([sys.executable, str(ROOT / "tools" / "build-cloud-config.py"),
                    "--output", str(out)], check=True, cwd=ROOT)
    assert out.read_text() == COMMITTED.read_text(), (
        "files/cloud-config-novajoin.json is stale: regenerate it with "
        "python3 tools/build-cloud-config.py")


def test_cloud_config_writes_and_runs_the_script():
    text = committed_cloud_config()
    assert text.startswith("#cloud-config\n")
    config = yaml.safe_load(text)
    [entry] = config["write_files"]
    assert entry["path"] == SCRIPT_PATH
    assert entry["permissions"] == "0700"
    assert entry["owner"] == "root:root"
    # The embedded script is byte for byte the one the other tests run.
    assert entry["content"] == SCRIPT.read_text()
    [command] = config["runcmd"]
    assert command[:2] == ["/bin/sh", "-c"]
    assert command[2].endswith(f'exec "$py" {SCRIPT_PATH}')
    assert "/usr/libexec/platform-python" in command[2]
    # No packages list: the script picks the distribution's package itself.
    assert "packages" not in config


def test_nothing_is_traced():
    text = committed_cloud_config()
    assert not re.search(r"\bsh\s+-[a-z]*x", text)
    assert not re.search(r"\bset\s+-[a-z]*x", text)
    assert "xtrace" not in text


def test_runcmd_shell_runs_the_script_with_an_interpreter(tmp_path):
    # The runcmd line itself, run by sh against a stand-in script path.
    [command] = yaml.safe_load(committed_cloud_config())["runcmd"]
    stand_in = tmp_path / "setup-ipa-client"
    stand_in.write_text("import sys; print('ran with', sys.version_info[0])\n")
    shell = command[2].replace(SCRIPT_PATH, str(stand_in))
    proc = subprocess.run([command[0], command[1], shell], capture_output=True, text=True,
                          check=True, env={"PATH": os.environ["PATH"]})
    assert proc.stdout == "ran with 3\n"


def cloud_init_schema_command() -> list[str]:
    """``cloud-init schema`` for a file; installs Debian's cloud-init when missing (root)."""
    if shutil.which("cloud-init") is None and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-q", "cloud-init"]
        if subprocess.run(install, env=env, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
            subprocess.run(install, env=env, capture_output=True)
    require(shutil.which("cloud-init") is not None,
            "cloud-init's schema checker (Debian package cloud-init)")
    help_text = subprocess.run(["cloud-init", "schema", "--help"], capture_output=True,
                               text=True).stdout
    return ["cloud-init", "schema", "--config-file" if "--config-file" in help_text else "-c"]


@pytest.fixture(scope="module")
def schema_command():
    return cloud_init_schema_command()


def test_cloud_config_passes_cloud_init_schema(schema_command, tmp_path):
    path = tmp_path / "vendor-cloud-config.yaml"
    path.write_text(committed_cloud_config())
    proc = subprocess.run([*schema_command, str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Valid cloud-config" in proc.stdout


def test_schema_checker_rejects_a_broken_cloud_config(schema_command, tmp_path):
    # The checker really checks: the same document with a malformed write_files.
    broken = committed_cloud_config().replace("    permissions: '0700'\n",
                                              "    permissions: [0700]\n", 1)
    assert broken != committed_cloud_config()
    path = tmp_path / "broken.yaml"
    path.write_text(broken)
    proc = subprocess.run([*schema_command, str(path)], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "permissions" in proc.stdout + proc.stderr
