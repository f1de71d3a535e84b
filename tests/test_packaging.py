"""The shipped systemd units and logrotate file are valid for the tools that read them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import require

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.mark.parametrize("unit,command", [("novajoin-server.service", "novajoin-server"),
                                          ("novajoin-notify.service", "novajoin-notify")])
def test_systemd_unit_verifies(unit, command, tmp_path):
    require(shutil.which("systemd-analyze") is not None, "systemd-analyze (Debian systemd)")
    text = (ROOT / "files/systemd" / unit).read_text()
    assert f"ExecStart=/usr/bin/{command} --config-file /etc/novajoin/join.conf" in text
    # Verify it as installed on this machine: the venv's script, an existing user.
    local = (text.replace(f"/usr/bin/{command}", str(BIN / command))
             .replace("User=novajoin", "User=root").replace("Group=novajoin", "Group=root"))
    (tmp_path / unit).write_text(local)
    result = subprocess.run(["systemd-analyze", "verify", str(tmp_path / unit)],
                            capture_output=True, text=True, timeout=60)
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if unit in line]
    assert result.returncode == 0 and problems == [], problems


def test_logrotate_config_parses(tmp_path):
    require(shutil.which("logrotate") is not None, "logrotate")
    text = (ROOT / "files/logrotate/novajoin").read_text()
    assert "create 0640 novajoin novajoin" in text
    local = (text.replace("novajoin novajoin", "root root")
             .replace("/var/log/novajoin", str(tmp_path)))
    (tmp_path / "novajoin.log").write_text("x\n")
    (tmp_path / "conf").write_text(local)
    result = subprocess.run(["logrotate", "-d", "-s", str(tmp_path / "state"),
                             str(tmp_path / "conf")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "error" not in result.stderr.lower()


def test_the_wheel_ships_no_emulator(tmp_path):
    """A novajoin wheel holds what runs in production: the emulator is its own distribution."""
    import zipfile

    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                           "-q", "-w", str(tmp_path), str(ROOT)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    (wheel,) = tmp_path.glob("novajoin-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("novajoin/domain/") for n in names)
    assert [n for n in names if "fakeipa" in n] == []
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    scripts = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "novajoin-server" in scripts and "novajoin-fakeipa" not in scripts
