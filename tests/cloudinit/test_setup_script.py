"""files/novajoin-setup-ipa-client.py, run for real against a fake metadata service,
config drives and FakeIPA."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import shutil
import socket
import subprocess
import sys

import pytest

from tests.cloudinit.conftest import (
    MASK,
    SCRIPT,
    Reply,
    assert_secret_kept,
    guest_pythons,
    ok,
    write_executable,
)
from tests.support import REALM, require

EXIT_TIMEOUT, EXIT_BAD_DATA, EXIT_PACKAGE, EXIT_IPA = 3, 4, 5, 6


def load_script_module():
    spec = importlib.util.spec_from_file_location("novajoin_setup_ipa_client", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got {lines!r}"
    return lines[0]


# --------------------------------------------------------------------------
# Enrollment through the metadata service and the config drive.


@pytest.mark.parametrize("python", guest_pythons())
def test_retries_metadata_service_until_otp_then_enrolls(python, make_guest, metadata,
                                                         ipa_host):
    guest = make_guest(python)
    guest.install_standin()
    # An old log, world-readable: the script makes it private and appends.
    guest.log_file.write_text("earlier run\n")
    guest.log_file.chmod(0o644)
    metadata.replies = [
        Reply(drop=True),                      # connection closed without an answer
        Reply(404),                            # vendor_data2.json not there (yet)
        Reply(500, b"<html>oops</html>"),      # nova could not build it
        ok({"join": ipa_host.join(otp=None)}),  # novajoin knows the host, no OTP yet
        ok({"join": ipa_host.join()}),
    ]
    assert not ipa_host.has_keytab()

    result = guest.run("--no-config-drive", "--metadata-url", metadata.url, "--timeout", "20")

    assert result.returncode == 0, result.stderr
    assert metadata.vendor_requests() == 5  # asked until the OTP came, then stopped
    assert guest.calls() == [["-U", "-w", ipa_host.otp, "--hostname", ipa_host.fqdn,
                              "--realm", REALM]]
    assert ipa_host.has_keytab()
    assert f"enrolled into IPA as {ipa_host.fqdn}" in result.stdout
    assert result.stderr == ""
    assert_secret_kept(result, ipa_host.otp, guest)
    # ipa-client-install's own output is in the log, with the echoed password masked.
    assert result.log.startswith("earlier run\n")
    assert f"stand-in: joining {ipa_host.fqdn} with bulk password {MASK}" in result.log
    assert f"debug password={MASK}" in result.log
    assert "Client configuration complete." in result.log


@pytest.mark.parametrize("python", guest_pythons())
def test_config_drive_is_preferred_and_a_second_run_does_nothing(python, make_guest, metadata,
                                                                 ipa_host):
    guest = make_guest(python)
    guest.install_standin()
    drive = guest.write_config_drive({"static": {}, "join": ipa_host.join()})
    metadata.replies = [ok({"join": ipa_host.join()})]

    result = guest.run("--config-drive-dir", str(drive), "--metadata-url", metadata.url)

    assert result.returncode == 0, result.stderr
    assert metadata.requests == []
    assert ipa_host.has_keytab()
    assert "found in the config drive" in result.stdout
    assert_secret_kept(result, ipa_host.otp, guest)

    again = guest.run("--config-drive-dir", str(drive), "--metadata-url", metadata.url)
    assert again.returncode == 0, again.stderr
    assert "already an IPA client" in again.stdout
    assert len(guest.calls()) == 1
    assert metadata.requests == []


def test_config_drive_without_join_falls_back_to_metadata_service(make_guest, metadata,
                                                                  ipa_host):
    # The drive was built while novajoin was unreachable: nova wrote "join": {}.
    guest = make_guest()
    guest.install_standin()
    drive = guest.write_config_drive({"join": {}}, meta={"ipa_enroll": "True"})
    metadata.replies = [Reply(503), ok({"join": ipa_host.join()})]

    result = guest.run("--config-drive-dir", str(drive), "--metadata-url", metadata.url)

    assert result.returncode == 0, result.stderr
    assert ipa_host.has_keytab()
    assert "found in the metadata service" in result.stdout
    assert_secret_kept(result, ipa_host.otp, guest)


def test_tries_metadata_urls_in_turn(make_guest, metadata, ipa_host):
    guest = make_guest()
    guest.install_standin()
    metadata.replies = [ok({"join": ipa_host.join()})]
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"

    result = guest.run("--no-config-drive", "--metadata-url", dead,
                       "--metadata-url", metadata.url)

    assert result.returncode == 0, result.stderr
    assert ipa_host.has_keytab()


def test_mounts_config_drive_found_by_label_read_only(make_guest, metadata, ipa_host, tmp_path):
    require(os.geteuid() == 0, "root, to mount a config drive image")
    mkfs = shutil.which("mkfs.ext4") or "/usr/sbin/mkfs.ext4"
    require(os.access(mkfs, os.X_OK), "mkfs.ext4 (Debian e2fsprogs)")
    real_mount = shutil.which("mount") or "/usr/bin/mount"
    guest = make_guest()
    guest.install_standin()
    content = guest.write_config_drive({"join": ipa_host.join()})
    image = tmp_path / "config-drive.img"
    subprocess.run([mkfs, "-q", "-F", "-L", "config-2", "-d", str(content), str(image), "4M"],
                   check=True, capture_output=True)
    calls = tmp_path / "tool-calls"
    # blkid finds the image by its label; mount records its arguments and
    # runs the real one.
    write_executable(guest.bin / "blkid", f"""#!{sys.executable}
import sys
open({str(calls)!r}, "a").write("blkid " + " ".join(sys.argv[1:]) + "\\n")
if sys.argv[1:] == ["-t", "LABEL=config-2", "-o", "device"]:
    print({str(image)!r})
""")
    write_executable(guest.bin / "mount", f"""#!{sys.executable}
import os, sys
open({str(calls)!r}, "a").write("mount " + " ".join(sys.argv[1:]) + "\\n")
os.execv({real_mount!r}, ["mount"] + sys.argv[1:])
""")

    result = guest.run("--metadata-url", metadata.url)

    assert result.returncode == 0, result.stderr + result.log
    assert ipa_host.has_keytab()
    assert metadata.requests == []
    mount_line = [c for c in calls.read_text().splitlines() if c.startswith("mount ")]
    assert len(mount_line) == 1
    assert mount_line[0].startswith(f"mount -o ro,nosuid,nodev,noexec {image} ")
    # Unmounted and its private directory removed.
    with open("/proc/self/mounts") as f:
        assert "novajoin-config-drive." not in f.read()
    assert not list(guest.tmp.glob("novajoin-config-drive.*"))


# --------------------------------------------------------------------------
# Waiting, timing out, and nothing to do.


def test_times_out_when_no_otp_comes(make_guest, metadata, ipa_host):
    guest = make_guest()
    guest.install_standin()
    metadata.replies = [ok({"join": ipa_host.join(otp=None)})]

    result = guest.run("--no-config-drive", "--metadata-url", metadata.url, "--timeout", "2")

    assert result.returncode == EXIT_TIMEOUT
    line = one_line(result.stderr)
    assert "timed out after 2 s" in line
    assert f"novajoin knows this instance as {ipa_host.fqdn}" in line
    assert 2 <= result.elapsed < 8
    assert metadata.vendor_requests() >= 3  # it kept asking
    assert guest.calls() == []
    assert not ipa_host.has_keytab()


def test_times_out_when_metadata_service_is_unreachable(make_guest):
    guest = make_guest()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"

    result = guest.run("--no-config-drive", "--metadata-url", dead, "--timeout", "1")

    assert result.returncode == EXIT_TIMEOUT
    assert "timed out after 1 s" in one_line(result.stderr)
    assert "no vendor data available" in result.stderr
    assert result.elapsed < 6


def test_already_enrolled_host_is_left_alone(make_guest, metadata, ipa_host):
    guest = make_guest()
    guest.install_standin()
    guest.ipa_conf.write_text("[global]\n")
    metadata.replies = [ok({"join": ipa_host.join()})]

    result = guest.run("--no-config-drive", "--metadata-url", metadata.url)

    assert result.returncode == 0
    assert "already an IPA client" in result.stdout
    assert metadata.requests == []
    assert guest.calls() == []


@pytest.mark.parametrize("vendor_data,meta,extra", [
    ({}, {}, []),
    ({"join": {}}, {"ipa_enroll": "false"}, ["--not-requested-wait", "60", "--timeout", "60"]),
    ({"static": {"cloud-init": "#cloud-config\n"}}, {}, ["--not-requested-wait", "0.5"]),
], ids=["nothing-published", "ipa_enroll-false", "short-wait-to-be-sure"])
def test_enrollment_not_requested_exits_0(vendor_data, meta, extra, make_guest, metadata):
    guest = make_guest()
    guest.install_standin()
    metadata.replies = [ok(vendor_data)]
    metadata.meta = meta

    result = guest.run("--no-config-drive", "--metadata-url", metadata.url, *extra)

    assert result.returncode == 0, result.stderr
    assert "enrollment not requested" in result.stdout
    assert guest.calls() == []
    assert result.elapsed < 10
    if "--not-requested-wait" in extra and extra[1] == "0.5":
        assert metadata.vendor_requests() >= 2
    else:
        assert metadata.vendor_requests() == 1


def test_waits_for_join_when_instance_metadata_asks_for_enrollment(make_guest, metadata):
    # ipa_enroll=true on the instance but nothing from novajoin: nova hides a
    # novajoin outage as {}, so keep waiting rather than give up.
    guest = make_guest()
    metadata.replies = [ok({"join": {}})]
    metadata.meta = {"ipa_enroll": "True"}

    result = guest.run("--no-config-drive", "--metadata-url", metadata.url, "--timeout", "1.5")

    assert result.returncode == EXIT_TIMEOUT
    assert "ipa_enroll metadata asks for enrollment" in one_line(result.stderr)
    assert metadata.vendor_requests() >= 2


# --------------------------------------------------------------------------
# Failures: one clear line, non-zero, and the OTP nowhere.

SECRET = "s3cr3t0tp9f7e6d5c4b3a2910fedcba8"


@pytest.mark.parametrize("source", ["config-drive", "metadata"])
@pytest.mark.parametrize("body,expected", [
    (b'{"join": {"hostname": "web-01.novajoin.test", "ipaotp": "' + SECRET.encode(),
     "is not valid JSON (line 1, column"),
    (b'["join"]', "is not a JSON object"),
    (json.dumps({"join": "web-01"}).encode(), "'join' in"),
    (json.dumps({"join": {"hostname": "web-01", "ipaotp": SECRET}}).encode(),
     "'join.hostname' in"),
    (json.dumps({"join": {"hostname": "web-01.novajoin.test",
                          "ipaotp": "-" + SECRET}}).encode(),
     "'join.ipaotp' in"),
    (b"\xff\xfe{}", "is not UTF-8 text"),
], ids=["truncated", "not-object", "join-not-object", "not-fqdn", "otp-like-option",
        "not-utf8"])
def test_malformed_vendor_data_fails_at_once(source, body, expected, make_guest, metadata):
    guest = make_guest()
    guest.install_standin()
    if source == "config-drive":
        drive = guest.write_config_drive(body)
        args = ["--config-drive-dir", str(drive), "--no-metadata-service"]
    else:
        metadata.replies = [Reply(200, body)]
        args = ["--no-config-drive", "--metadata-url", metadata.url]

    result = guest.run(*args, "--timeout", "60")

    assert result.returncode == EXIT_BAD_DATA
    line = one_line(result.stderr)
    assert line.startswith("novajoin-setup-ipa-client: error: ")
    assert expected in line
    assert result.elapsed < 10  # no retrying a document that cannot change
    assert guest.calls() == []
    assert SECRET not in result.everything


@pytest.mark.parametrize("python", guest_pythons())
def test_ipa_client_install_failure_is_reported_with_its_exit_code(python, make_guest, metadata,
                                                                   ipa_host):
    guest = make_guest(python)
    guest.install_standin()
    published = "0123456789abcdef0123456789abcdef"  # not the password IPA has
    metadata.replies = [ok({"join": ipa_host.join(otp=published)})]

    result = guest.run("--no-config-drive", "--metadata-url", metadata.url)

    assert result.returncode == EXIT_IPA
    line = one_line(result.stderr)
    assert "ipa-client-install failed (exit code 15)" in line
    assert str(guest.log_file) in line
    assert "Joining realm failed" in result.log
    assert "Incorrect one-time password" in result.log
    assert not ipa_host.has_keytab()
    assert_secret_kept(result, published, guest)


# --------------------------------------------------------------------------
# Installing the IPA client when the image lacks it.

FAKE_PACKAGE_MANAGER = '''#!{python}
import json, os, shutil, sys
with open({calls!r}, "a") as f:
    f.write(json.dumps([os.path.basename(sys.argv[0]), sys.argv[1:],
                        os.environ.get("DEBIAN_FRONTEND")]) + "\\n")
if {fail!r}:
    print("Error: Unable to find a match")
    sys.exit(1)
if "install" in sys.argv:
    shutil.copy({standin!r}, {target!r})
'''


def package_manager_guest(make_guest, tmp_path, manager: str, fail: bool = False):
    """A guest without ipa-client-install whose fake ``manager`` installs the stand-in."""
    require(shutil.which("ipa-client-install") is None
            and not os.path.exists("/usr/sbin/ipa-client-install"),
            "a machine without a real ipa-client-install")
    guest = make_guest()
    staging = tmp_path / "staging"
    standin = guest.install_standin(staging)
    later = tmp_path / "installed-bin"
    later.mkdir()
    calls = tmp_path / "package-manager-calls"
    write_executable(guest.bin / manager, FAKE_PACKAGE_MANAGER.format(
        python=sys.executable, calls=str(calls), fail=fail, standin=str(standin),
        target=str(later / "ipa-client-install")))
    return guest, later, calls


@pytest.mark.parametrize("manager,expected", [
    ("dnf", [["dnf", ["-y", "install", "ipa-client"], None]]),
    ("apt-get", [["apt-get", ["update"], "noninteractive"],
                 ["apt-get", ["-y", "-o", "DPkg::Lock::Timeout=300", "install",
                              "freeipa-client"], "noninteractive"]]),
])
def test_installs_the_ipa_client_package_when_missing(manager, expected, make_guest, metadata,
                                                      ipa_host, tmp_path):
    if manager == "apt-get" and (shutil.which("dnf") or shutil.which("yum")):
        pytest.skip("this machine has dnf or yum, which the script would use first")
    guest, later, calls = package_manager_guest(make_guest, tmp_path, manager)
    metadata.replies = [ok({"join": ipa_host.join()})]

    result = guest.run("--no-config-drive", "--metadata-url", metadata.url,
                       path=[str(later)])

    assert result.returncode == 0, result.stderr
    assert [json.loads(line) for line in calls.read_text().splitlines()] == expected
    assert ipa_host.has_keytab()
    assert_secret_kept(result, ipa_host.otp, guest)


def test_package_installation_failure(make_guest, metadata, ipa_host, tmp_path):
    guest, later, _ = package_manager_guest(make_guest, tmp_path, "dnf", fail=True)
    metadata.replies = [ok({"join": ipa_host.join()})]

    result = guest.run("--no-config-drive", "--metadata-url", metadata.url, path=[str(later)])

    assert result.returncode == EXIT_PACKAGE
    assert "dnf -y install ipa-client failed (exit code 1)" in one_line(result.stderr)
    assert "Unable to find a match" in result.log
    assert not ipa_host.has_keytab()
    assert_secret_kept(result, ipa_host.otp, guest)


def test_package_installation_disabled(make_guest, metadata, ipa_host, tmp_path):
    guest, later, calls = package_manager_guest(make_guest, tmp_path, "dnf")
    metadata.replies = [ok({"join": ipa_host.join()})]

    result = guest.run("--no-config-drive", "--metadata-url", metadata.url, "--package", "none",
                       path=[str(later)])

    assert result.returncode == EXIT_PACKAGE
    assert "package installation is disabled" in one_line(result.stderr)
    assert not calls.exists()


# --------------------------------------------------------------------------
# Options, and the backoff itself.


def test_options_and_environment(make_guest, metadata, ipa_host):
    guest = make_guest()
    guest.install_standin()
    metadata.replies = [ok({"join": ipa_host.join()})]

    result = guest.run("--no-config-drive", "--mkhomedir", "--ipa-client-option=--no-ntp",
                       env={"NOVAJOIN_METADATA_URL": metadata.url})

    assert result.returncode == 0, result.stderr
    assert guest.calls() == [["-U", "-w", ipa_host.otp, "--hostname", ipa_host.fqdn,
                              "--realm", REALM, "--mkhomedir", "--no-ntp"]]


@pytest.mark.parametrize("args", [
    ["--metadata-url", "file:///etc/passwd"],
    ["--timeout", "-1"],
    ["--no-config-drive", "--no-metadata-service"],
])
def test_bad_command_line(args, make_guest):
    result = make_guest().run(*args)
    assert result.returncode == 2
    assert "error:" in result.stderr


def test_backoff_doubles_up_to_the_cap_with_jitter():
    module = load_script_module()
    delays = module.backoff_delays(1.0, 8.0, rng=random.Random(7))
    got = [next(delays) for _ in range(8)]
    for value, ceiling in zip(got, [1, 2, 4, 8, 8, 8, 8, 8], strict=True):
        assert ceiling / 2 <= value <= ceiling
    assert len(set(got)) == len(got)  # jittered, not a fixed schedule
