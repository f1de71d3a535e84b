"""The guest enrollment script run for real: fake metadata service, stand-in commands.

The script runs as a subprocess under the guest Pythons found on this machine:
the project's, the system's /usr/bin/python3, and pyenv's oldest and newest
Python 3 when this machine has them (RHEL 8's platform-python is 3.6).
``ipa-client-install`` is a stand-in placed first on PATH that records its
arguments and enrolls through FakeIPA's ``/ipa/fake/enroll``, so enrollment is
checked in the emulated IPA, not only in the arguments.
"""

from __future__ import annotations

import glob
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from novajoin.ipa import IpaClient
from novajoin.ipa.auth import PasswordLogin
from tests.support import ADMIN_PASSWORD, DOMAIN, REALM

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "files" / "novajoin-setup-ipa-client.py"
MASK = "********"


def guest_pythons() -> list:
    """pytest params: every interpreter the script is run with here."""
    found = [("venv", sys.executable)]
    if os.access("/usr/bin/python3", os.X_OK):
        found.append(("system", "/usr/bin/python3"))
    # pyenv's oldest and newest Python 3, when this machine has pyenv.
    pyenv = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    versions = []
    for path in glob.glob(os.path.join(pyenv, "versions", "3.*", "bin", "python3")):
        name = Path(path).parents[1].name
        if re.fullmatch(r"3\.\d+\.\d+", name):
            versions.append((tuple(int(n) for n in name.split(".")), path))
    versions.sort()
    for version, path in versions[:1] + versions[-1:]:
        name = f"py{version[0]}.{version[1]}"
        if version[:2] != sys.version_info[:2] and name not in [n for n, _ in found]:
            found.append((name, path))
    return [pytest.param(path, id=name) for name, path in found]


# --------------------------------------------------------------------------
# Fake metadata service.


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    drop: bool = False  # close the connection without answering


def ok(document) -> Reply:
    return Reply(200, json.dumps(document).encode())


class FakeMetadata:
    """Serves ``vendor_data2.json`` from a script of replies (the last one repeats).

    ``meta_data.json`` answers ``{"meta": meta}``; every GET is recorded.
    """

    def __init__(self) -> None:
        self.replies: list[Reply] = [Reply(404)]
        self.meta: dict = {}
        self.requests: list[str] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                reply = fake._next(self.path)
                if reply.drop:
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _next(self, path: str) -> Reply:
        with self._lock:
            self.requests.append(path)
            if path == "/openstack/latest/vendor_data2.json":
                return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
            if path == "/openstack/latest/meta_data.json":
                return ok({"uuid": "0f4e2c2a-1111-4a55-9d3c-3d2c1b0a9f8e", "meta": self.meta})
            return Reply(404)

    def vendor_requests(self) -> int:
        with self._lock:
            return sum(p.endswith("vendor_data2.json") for p in self.requests)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def metadata():
    server = FakeMetadata()
    yield server
    server.close()


# --------------------------------------------------------------------------
# The IPA side: a host with a one-time password in FakeIPA.


@dataclass
class IpaHost:
    client: IpaClient
    fqdn: str
    otp: str
    realm: str = REALM

    def has_keytab(self) -> bool:
        return bool(self.client.call("host_show", self.fqdn)["result"]["has_keytab"])

    def join(self, otp: str | None = "same") -> dict:
        """The ``join`` object novajoin would publish (``otp=None``: none)."""
        data = {"hostname": self.fqdn, "krb_realm": self.realm}
        if otp is not None:
            data["ipaotp"] = self.otp if otp == "same" else otp
        return data


@pytest.fixture
def ipa_host(fakeipa):
    client = IpaClient(fakeipa.json_url, PasswordLogin("admin", ADMIN_PASSWORD))
    fqdn = f"web-01.{DOMAIN}"
    otp = secrets.token_hex(16)
    client.call("host_add", fqdn, force=True, userpassword=otp)
    yield IpaHost(client, fqdn, otp)
    client.close()


# --------------------------------------------------------------------------
# Stand-in commands and running the script.

STANDIN_IPA_CLIENT_INSTALL = '''#!{python}
"""Stand-in ipa-client-install: records argv, enrolls through FakeIPA's test hook."""
import json, os, sys, urllib.error, urllib.request

args = sys.argv[1:]
with open(os.environ["STANDIN_RECORD"], "a") as f:
    f.write(json.dumps(args) + "\\n")
otp = args[args.index("-w") + 1]
fqdn = args[args.index("--hostname") + 1]
# Echo the password back, as a careless tool might: the script must mask it.
print("stand-in: joining %s with bulk password %s" % (fqdn, otp), flush=True)
sys.stderr.write("stand-in: debug password=%s\\n" % otp)
request = urllib.request.Request(
    os.environ["STANDIN_FAKEIPA"] + "/ipa/fake/enroll", method="POST",
    data=json.dumps({{"fqdn": fqdn, "otp": otp}}).encode(),
    headers={{"Content-Type": "application/json"}})
opener = urllib.request.build_opener(urllib.request.ProxyHandler({{}}))
try:
    opener.open(request, timeout=10).read()
except urllib.error.HTTPError as exc:
    print("Joining realm failed: %s" % exc.read().decode(), flush=True)
    sys.exit(15)
with open(os.environ["STANDIN_IPA_CONF"], "w") as f:
    f.write("[global]\\nrealm = %s\\n" % args[args.index("--realm") + 1])
print("Client configuration complete.")
'''


def write_executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str
    log: str
    elapsed: float

    @property
    def everything(self) -> str:
        return self.stdout + self.stderr + self.log


@dataclass
class Guest:
    """One guest: its files under ``tmp`` and the script to run."""

    tmp: Path
    python: str
    fakeipa_url: str
    script: Path = SCRIPT
    bin: Path = field(init=False)
    ipa_conf: Path = field(init=False)
    log_file: Path = field(init=False)
    record: Path = field(init=False)
    config_drive: Path = field(init=False)

    def __post_init__(self) -> None:
        self.bin = self.tmp / "bin"
        self.bin.mkdir()
        (self.tmp / "etc-ipa").mkdir()
        self.ipa_conf = self.tmp / "etc-ipa" / "default.conf"
        self.log_file = self.tmp / "novajoin-setup-ipa-client.log"
        self.record = self.tmp / "ipa-client-install.argv"
        self.config_drive = self.tmp / "config-drive"

    def install_standin(self, directory: Path | None = None) -> Path:
        return write_executable((directory or self.bin) / "ipa-client-install",
                                STANDIN_IPA_CLIENT_INSTALL.format(python=sys.executable))

    def calls(self) -> list[list[str]]:
        """Argument lists ipa-client-install was run with."""
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines()]

    def write_config_drive(self, vendor_data, meta: dict | None = None) -> Path:
        d = self.config_drive / "openstack" / "latest"
        d.mkdir(parents=True, exist_ok=True)
        raw = vendor_data if isinstance(vendor_data, bytes) else json.dumps(vendor_data).encode()
        (d / "vendor_data2.json").write_bytes(raw)
        (d / "meta_data.json").write_text(json.dumps({"meta": meta or {}}))
        return self.config_drive

    def run(self, *args: str, timeout: float = 30, env: dict | None = None,
            path: list[str] | None = None) -> Result:
        """Run the script with test paths and short delays; ``args`` come last and win."""
        base = ["--log-file", str(self.log_file), "--ipa-conf", str(self.ipa_conf),
                "--retry-delay", "0.05", "--max-retry-delay", "0.3", "--http-timeout", "2",
                "--timeout", "5", "--not-requested-wait", "0"]
        full_env = {k: v for k, v in os.environ.items()
                    if not k.startswith("NOVAJOIN_") and k != "DEBIAN_FRONTEND"}
        full_env.update({
            "PATH": os.pathsep.join((path or []) + [str(self.bin), os.environ.get("PATH", "")]),
            "STANDIN_RECORD": str(self.record),
            "STANDIN_FAKEIPA": self.fakeipa_url,
            "STANDIN_IPA_CONF": str(self.ipa_conf),
            "TMPDIR": str(self.tmp),
        })
        full_env.update(env or {})
        start = time.monotonic()
        proc = subprocess.run([self.python, str(self.script), *base, *args], env=full_env,
                              capture_output=True, text=True, timeout=timeout, umask=0o022,
                              stdin=subprocess.DEVNULL)
        elapsed = time.monotonic() - start
        log = self.log_file.read_text() if self.log_file.exists() else ""
        return Result(proc.returncode, proc.stdout, proc.stderr, log, elapsed)


@pytest.fixture
def make_guest(request, tmp_path):
    # FakeIPA only for the tests that enroll a host: starting and stopping it
    # costs half a second.
    url = (request.getfixturevalue("fakeipa").url if "ipa_host" in request.fixturenames
           else "http://127.0.0.1:9")

    def make(python: str = sys.executable, name: str = "guest") -> Guest:
        d = tmp_path / name
        d.mkdir()
        return Guest(d, python, url)

    return make


def assert_secret_kept(result: Result, secret: str, guest: Guest) -> None:
    """The OTP is nowhere in what the script wrote; its log is private."""
    assert secret not in result.stdout
    assert secret not in result.stderr
    assert secret not in result.log
    if guest.log_file.exists():
        assert guest.log_file.stat().st_mode & 0o777 == 0o600
