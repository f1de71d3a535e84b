"""Install, configure, start and stop real Keystone and Glance (and nova's client code).

The project's tests talk to real OpenStack services, never to mocks. Each service comes
from PyPI into its own virtualenv under the checkout (``.venv-keystone``, ``.venv-glance``,
``.venv-nova``), pinned by a lock file in ``requirements/`` and rebuilt only when that lock
(or the interpreter) changes. Services get a per-session working directory (sqlite, keys,
config, logs), run under uWSGI on free loopback ports in their own process group, and are
killed with that group at the end.

Refresh a lock file (fresh resolve from PyPI, then ``pip freeze``)::

    .venv/bin/python -m tests.openstack.services lock keystone

Nothing in this module runs at import time.
"""

from __future__ import annotations

import contextlib
import fcntl
import grp
import hashlib
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
REQUIREMENTS_DIR = HERE / "requirements"
# Part of every venv stamp: bump it when the way a venv is built changes.
HARNESS_VERSION = "1"

INSTALL_TIMEOUT = 1800.0  # one virtualenv, cold pip cache
COMMAND_TIMEOUT = 180.0  # one setup command (db_sync, bootstrap, ...)
START_TIMEOUT = 90.0  # one server, until it answers HTTP
# SIGTERM to SIGKILL. uWSGI's master needs ~1-2 s to stop and reap its workers; killing
# it sooner orphans them and leaves zombies where init does not reap (as in some VMs).
STOP_GRACE = 10.0

REGION = "RegionOne"
DOMAIN = "Default"


# --------------------------------------------------------------------------- errors


class InstallError(RuntimeError):
    """A virtualenv or Debian package could not be installed (no registry, no root...)."""


class ServiceError(RuntimeError):
    """A service failed to set up or start; the message ends with its log's tail."""


def log_tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a log file, for error messages and failure reports."""
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


# --------------------------------------------------------------------------- venvs


@dataclass(frozen=True)
class VenvSpec:
    """A service's virtualenv: what to install, pinned exactly by ``requirements/NAME.txt``."""

    name: str
    packages: tuple[str, ...]

    @property
    def path(self) -> Path:
        return ROOT / f".venv-{self.name}"

    @property
    def lock_file(self) -> Path:
        return REQUIREMENTS_DIR / f"{self.name}.txt"

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    def bin(self, name: str) -> Path:
        return self.path / "bin" / name


VENVS: dict[str, VenvSpec] = {
    # uWSGI is compiled from source by pip (gcc + Python headers; no PCRE needed).
    "keystone": VenvSpec("keystone", ("keystone", "uwsgi")),
    "glance": VenvSpec("glance", ("glance", "uwsgi")),
    # The whole of nova: it installs from wheels (nothing heavy to build) in about a minute.
    "nova": VenvSpec("nova", ("nova",)),
    # The realstack tier (tests/realstack): nova's services, placement and neutron, served
    # by uWSGI, on MariaDB through PyMySQL. nova's services get a venv of their own so that
    # the small client-side .venv-nova above stays as it is.
    "nova-services": VenvSpec("nova-services", ("nova", "uwsgi", "PyMySQL")),
    "placement": VenvSpec("placement", ("openstack-placement", "uwsgi", "PyMySQL")),
    "neutron": VenvSpec("neutron", ("neutron", "uwsgi", "PyMySQL")),
}


def base_python() -> str:
    """The interpreter new virtualenvs are made from: ``$PYTHON`` or ``python3``."""
    python = os.environ.get("PYTHON") or shutil.which("python3")
    if not python:
        raise InstallError("no python3 on PATH to create virtualenvs with")
    return python


def _python_identity(python: str) -> str:
    try:
        out = subprocess.run([python, "-c", "import sys; print(sys.version, sys.prefix)"],
                             capture_output=True, text=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise InstallError(f"cannot run {python} to create virtualenvs: {exc}") from exc
    return out.stdout.strip()


def venv_stamp(spec: VenvSpec, python: str) -> str:
    """What a venv was built from; a different stamp means rebuild it."""
    h = hashlib.sha256()
    for part in (HARNESS_VERSION, _python_identity(python), " ".join(spec.packages),
                 spec.lock_file.read_text()):
        h.update(part.encode() + b"\0")
    return h.hexdigest()[:24]


@contextlib.contextmanager
def _file_lock(name: str) -> Iterator[None]:
    """Serialise venv builds between concurrent pytest runs on one checkout."""
    key = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    path = Path(tempfile.gettempdir()) / f"novajoin-{key}-{name}.lock"
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _run_logged(argv: Sequence[str | os.PathLike], log: Path, *, timeout: float,
                env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
    """Run one command to completion, appending its output to ``log``."""
    with open(log, "ab") as out:
        out.write(f"\n$ {' '.join(map(str, argv))}\n".encode())
        out.flush()
        try:
            rc = subprocess.run([str(a) for a in argv], stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            rc = f"timeout after {timeout:.0f}s"
    if rc != 0:
        raise ServiceError(f"{Path(str(argv[0])).name} {argv[1] if len(argv) > 1 else ''} "
                           f"failed ({rc}); log {log}:\n{log_tail(log)}")


def _missing_debs(packages: Sequence[str]) -> list[str]:
    missing = []
    for p in packages:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Status}", p],
                             capture_output=True, text=True)
        if "install ok installed" not in out.stdout:
            missing.append(p)
    return missing


def ensure_debs(packages: Sequence[str], log: Path) -> None:
    """Install Debian packages that are missing (needs root; apt-get update first)."""
    if not packages or shutil.which("dpkg-query") is None:
        return
    missing = _missing_debs(packages)
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise InstallError(f"missing Debian packages (install them as root): {missing}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    with _file_lock("apt"):
        try:
            _run_logged(["apt-get", "update", "-qq"], log, timeout=600, env=env)
            _run_logged(["apt-get", "install", "-y", "-qq", *missing], log, timeout=900,
                        env=env)
        except ServiceError as exc:
            raise InstallError(str(exc)) from exc


def build_prerequisites(python: str) -> list[str]:
    """Debian packages needed to compile uWSGI against ``python`` that are not there yet."""
    debs = []
    if shutil.which("gcc") is None:
        debs.append("gcc")
    out = subprocess.run(
        [python, "-c", "import os, sysconfig; "
         "print(os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))"],
        capture_output=True, text=True, timeout=60)
    if out.stdout.strip() != "True":
        debs.append("python3-dev")  # only Debian's own python3 lacks its headers
    return debs


def ensure_venv(spec: VenvSpec, log_dir: Path) -> VenvSpec:
    """Create or rebuild ``spec``'s virtualenv unless its stamp says it is current.

    Idempotent and cheap when current (one ``python -c``); raises InstallError with the pip
    log's tail when an install fails.
    """
    python = base_python()
    log = Path(log_dir) / f"install-{spec.name}.log"
    with _file_lock(f"venv-{spec.name}"):
        stamp = venv_stamp(spec, python)
        stamp_file = spec.path / ".stamp"
        if spec.python.exists() and stamp_file.exists() and stamp_file.read_text() == stamp:
            return spec
        try:
            if "uwsgi" in spec.packages:
                ensure_debs(build_prerequisites(python), log)
            shutil.rmtree(spec.path, ignore_errors=True)
            _run_logged([python, "-m", "venv", spec.path], log, timeout=300)
            _run_logged([spec.python, "-m", "pip", "install", "--no-input",
                         "--disable-pip-version-check", "-c", spec.lock_file, *spec.packages],
                        log, timeout=INSTALL_TIMEOUT)
        except ServiceError as exc:
            shutil.rmtree(spec.path, ignore_errors=True)
            raise InstallError(str(exc)) from exc
        stamp_file.write_text(stamp)
    return spec


def lock(spec: VenvSpec) -> None:
    """Resolve ``spec`` afresh from PyPI and write its lock file (maintainers only)."""
    with tempfile.TemporaryDirectory() as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([base_python(), "-m", "venv", venv], check=True)
        subprocess.run([venv / "bin/python", "-m", "pip", "install", "-q",
                        "--disable-pip-version-check", *spec.packages], check=True)
        frozen = subprocess.run([venv / "bin/python", "-m", "pip", "freeze", "--all"],
                                capture_output=True, text=True, check=True).stdout
    pins = [line for line in frozen.splitlines()
            if line.split("==")[0].lower() not in ("pip", "setuptools", "wheel")]
    spec.lock_file.write_text(
        f"# Lock file for .venv-{spec.name} (Python {sys.version_info[0]}."
        f"{sys.version_info[1]}), written by: python -m tests.openstack.services lock "
        f"{spec.name}\n" + "\n".join(pins) + "\n")


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    """A TCP port on 127.0.0.1 that the OS says is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _supervised(argv: Sequence[str | os.PathLike]) -> list[str]:
    """``argv`` made to die with the test process, even if pytest itself is killed.

    ``setpriv --pdeathsig`` (util-linux) sets the parent-death signal and execs the
    command, so no Python runs between fork and exec.
    """
    argv = [str(a) for a in argv]
    if shutil.which("setpriv"):
        return ["setpriv", "--pdeathsig", "KILL", "--", *argv]
    return argv


class ServiceProcess:
    """One server process (and its children) in its own process group, logging to a file."""

    def __init__(self, name: str, argv: Sequence[str | os.PathLike], log: Path,
                 env: dict[str, str] | None = None, cwd: Path | None = None):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.log = Path(log)
        self.env = env
        self.cwd = cwd
        self.proc: subprocess.Popen | None = None

    def start(self) -> ServiceProcess:
        with open(self.log, "ab") as out:
            out.write(f"$ {' '.join(self.argv)}\n".encode())
            out.flush()
            self.proc = subprocess.Popen(_supervised(self.argv), stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=subprocess.STDOUT, env=self.env,
                                         cwd=self.cwd, start_new_session=True)
        return self

    def wait(self, timeout: float = COMMAND_TIMEOUT) -> None:
        """Wait for a one-shot command to succeed."""
        assert self.proc is not None
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise ServiceError(f"{self.name} timed out after {timeout:.0f}s; log {self.log}:\n"
                               f"{log_tail(self.log)}") from None
        if rc != 0:
            raise ServiceError(f"{self.name} failed ({rc}); log {self.log}:\n"
                               f"{log_tail(self.log)}")

    def wait_http(self, url: str, timeout: float = START_TIMEOUT) -> None:
        """Poll ``url`` until it answers below 500, the process dies, or time runs out."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        last: object = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServiceError(f"{self.name} exited ({self.proc.returncode}) while "
                                   f"starting; log {self.log}:\n{log_tail(self.log)}")
            try:
                with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310
                    if resp.status < 500:
                        return
            except urllib.error.HTTPError as exc:
                if exc.code < 500:
                    return
                last = exc
            except OSError as exc:
                last = exc
            time.sleep(0.1)
        self.stop()
        raise ServiceError(f"{self.name} did not answer {url} within {timeout:.0f}s ({last}); "
                           f"log {self.log}:\n{log_tail(self.log)}")

    def signal_group(self, sig: int) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, sig)

    def stop(self) -> None:
        """Terminate the whole process group; SIGKILL what is left after a short grace."""
        if self.proc is None:
            return
        self.signal_group(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(STOP_GRACE)
        self.signal_group(signal.SIGKILL)  # uWSGI workers share the group
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)
        self.proc = None


def stop_all(processes: Sequence[ServiceProcess]) -> None:
    """Stop several services with one grace period between them all."""
    for p in processes:
        p.signal_group(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE
    for p in processes:
        if p.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.proc.wait(max(0.0, deadline - time.monotonic()))
    for p in processes:
        p.stop()


def uwsgi_argv(venv: VenvSpec, module: str, port: int) -> list[str]:
    """uWSGI serving ``module`` over HTTP/1.1 (keep-alive, which keystoneauth relies on)."""
    return [
        str(venv.bin("uwsgi")),
        "--http11-socket", f"127.0.0.1:{port}",
        "--virtualenv", str(venv.path),
        "--module", module,
        "--master", "--processes", "1", "--threads", "8",
        "--need-app",  # exit at once when the application cannot be loaded
        "--die-on-term", "--no-orphans",
        "--buffer-size", "65535",  # room for big token headers
    ]


def _ini(sections: dict[str, dict[str, object]]) -> str:
    """An oslo.config file; ``$`` is escaped because oslo.config interpolates it."""
    out = []
    for section, options in sections.items():
        out.append(f"[{section}]")
        for key, value in options.items():
            if value is None:
                continue
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, (list, tuple)):
                value = ",".join(map(str, value))
            out.append(f"{key} = {str(value).replace('$', '$$')}")
        out.append("")
    return "\n".join(out)


def _clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment without OpenStack/Python settings that would leak in."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OS_", "PYTHON", "VIRTUAL_ENV", "UWSGI_"))}
    env.update(extra)
    return env


# --------------------------------------------------------------------------- credentials


@dataclass(frozen=True)
class Credentials:
    """A Keystone password login; ``connect()``/``session()`` give real clients for it."""

    auth_url: str
    username: str
    password: str
    project_name: str
    user_domain_name: str = DOMAIN
    project_domain_name: str = DOMAIN
    region_name: str = REGION

    def auth_options(self) -> dict[str, str]:
        """Options for an oslo.config ``auth_type = password`` section (keystoneauth names)."""
        return {"auth_type": "password", "auth_url": self.auth_url, "username": self.username,
                "password": self.password, "user_domain_name": self.user_domain_name,
                "project_name": self.project_name,
                "project_domain_name": self.project_domain_name}

    def session(self):
        """A keystoneauth1 Session authenticated as this user."""
        from keystoneauth1 import session
        from keystoneauth1.identity import v3

        auth = v3.Password(auth_url=self.auth_url, username=self.username,
                           password=self.password, user_domain_name=self.user_domain_name,
                           project_name=self.project_name,
                           project_domain_name=self.project_domain_name)
        return session.Session(auth=auth)

    def connect(self):
        """An openstacksdk Connection as this user (no clouds.yaml, no ``OS_*`` variables).

        Built on a keystoneauth Session: ``openstack.connect()`` in openstacksdk 4.22 warns
        (RemovedInSDK60Warning, about InfluxDB) on every call even without any InfluxDB
        settings. Its proxies warn too: see ``pytestmark`` in ``test_harness.py``.
        """
        from openstack import connection

        return connection.Connection(session=self.session(), region_name=self.region_name)


def _password(user: str) -> str:
    return f"{user}-{secrets.token_urlsafe(12)}"


# --------------------------------------------------------------------------- keystone


class Keystone:
    """Keystone with a sqlite DB and fernet keys in ``workdir``, served by uWSGI.

    After ``start()``: ``admin`` (bootstrap admin, project ``admin``), ``nova`` (role
    ``service`` in project ``service``), ``member`` (role ``member`` in project ``demo``),
    each a ``Credentials``; ``project_ids`` and ``user_ids`` by name.
    """

    def __init__(self, venv: VenvSpec, workdir: Path):
        self.venv = venv
        self.workdir = Path(workdir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.auth_url = f"{self.url}/v3"
        self.config = self.workdir / "keystone.conf"
        self.log = self.workdir / "keystone.log"
        self.setup_log = self.workdir / "keystone-setup.log"
        self.admin = Credentials(self.auth_url, "admin", _password("admin"), "admin")
        self.nova = Credentials(self.auth_url, "nova", _password("nova"), "service")
        self.member = Credentials(self.auth_url, "member", _password("member"), "demo")
        self.project_ids: dict[str, str] = {}
        self.user_ids: dict[str, str] = {}
        self.role_ids: dict[str, str] = {}
        self.process: ServiceProcess | None = None
        self._setup: ServiceProcess | None = None
        self._admin_session = None

    # -- start, in steps so that Glance can be set up in between -------------------------
    def begin_setup(self) -> None:
        """Write keystone.conf and start fernet/credential setup, db_sync and bootstrap."""
        w = self.workdir
        self.config.write_text(_ini({
            "DEFAULT": {"debug": False, "use_stderr": True},
            "database": {"connection": f"sqlite:///{w / 'keystone.db'}"},
            "token": {"provider": "fernet"},
            "fernet_tokens": {"key_repository": w / "fernet-keys"},
            "credential": {"key_repository": w / "credential-keys"},
            # bcrypt's minimum cost: a token costs ~10 ms instead of ~300 ms.
            "identity": {"password_hash_rounds": 4},
        }))
        argv = [self.venv.python, HERE / "keystone_setup.py", self.config,
                pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name,
                REGION, self.auth_url]
        env = _clean_env(OS_BOOTSTRAP_PASSWORD=self.admin.password, PYTHONWARNINGS="ignore")
        self._setup = ServiceProcess("keystone-manage setup", argv, self.setup_log, env=env,
                                     cwd=self.workdir).start()

    def begin_serve(self) -> None:
        """Wait for the setup to finish, then start uWSGI."""
        assert self._setup is not None
        self._setup.wait()
        env = _clean_env(OS_KEYSTONE_CONFIG_FILES=str(self.config), PYTHONWARNINGS="ignore")
        self.process = ServiceProcess(
            "keystone", uwsgi_argv(self.venv, "keystone.wsgi.api:application", self.port),
            self.log, env=env, cwd=self.workdir).start()

    def finish_start(self) -> None:
        """Wait until Keystone answers, then create the projects, users and roles."""
        assert self.process is not None
        self.process.wait_http(f"{self.url}/v3")
        self._create_accounts()

    def start(self) -> Keystone:
        self.begin_setup()
        self.begin_serve()
        self.finish_start()
        return self

    def stop(self) -> None:
        for p in (self._setup, self.process):
            if p is not None:
                p.stop()

    # -- the API -------------------------------------------------------------------------
    # The harness speaks Keystone's REST API through a keystoneauth Session rather than
    # openstacksdk's proxies: those warn (Pending/DeprecationWarning) on every call in
    # openstacksdk 4.22, which this project's pytest settings turn into errors.
    def admin_session(self):
        """One keystoneauth Session as the bootstrap admin, reused."""
        if self._admin_session is None:
            self._admin_session = self.admin.session()
        return self._admin_session

    def api(self, method: str, path: str, body: dict | None = None) -> dict[str, Any]:
        """``METHOD /v3/PATH`` as the admin; the decoded JSON answer ({} when none)."""
        resp = self.admin_session().request(f"{self.auth_url}{path}", method, json=body)
        return resp.json() if resp.content else {}

    def admin_connection(self):
        """An openstacksdk Connection as the bootstrap admin (for tests)."""
        return self.admin.connect()

    def _create_accounts(self) -> None:
        # bootstrap made admin/member/reader (and service, in recent releases).
        self.role_ids = {r["name"]: r["id"] for r in self.api("GET", "/roles")["roles"]}
        for role in ("admin", "member", "reader", "service"):
            if role not in self.role_ids:
                self.role_ids[role] = self.api("POST", "/roles", {"role": {"name": role}})[
                    "role"]["id"]
        self.project_ids["admin"] = self.api("GET", "/projects?name=admin")["projects"][0]["id"]
        self.user_ids["admin"] = self.api("GET", "/users?name=admin")["users"][0]["id"]
        for project in ("service", "demo"):
            self.project_ids[project] = self.api("POST", "/projects", {"project": {
                "name": project, "domain_id": "default",
                "description": f"novajoin tests: {project}"}})["project"]["id"]
        self.create_user(self.nova, roles=("service",))
        self.create_user(self.member, roles=("member",))

    def create_user(self, creds: Credentials, roles: Sequence[str] = ()) -> Credentials:
        """Create ``creds.username`` with ``roles`` on ``creds.project_name``."""
        self.user_ids[creds.username] = self.api("POST", "/users", {"user": {
            "name": creds.username, "password": creds.password, "domain_id": "default",
            "default_project_id": self.project_ids[creds.project_name]}})["user"]["id"]
        for role in roles:
            self.grant_role(creds.username, creds.project_name, role)
        return creds

    def new_user(self, username: str, project: str, roles: Sequence[str] = ()) -> Credentials:
        """A new user with a random password and ``roles`` on ``project`` (by name)."""
        creds = Credentials(self.auth_url, username, _password(username), project)
        return self.create_user(creds, roles)

    def _assignment(self, user: str, project: str, role: str) -> str:
        return (f"/projects/{self.project_ids[project]}/users/{self.user_ids[user]}"
                f"/roles/{self.role_ids[role]}")

    def grant_role(self, user: str, project: str, role: str) -> None:
        """Give ``user`` ``role`` on ``project`` (all by name)."""
        self.api("PUT", self._assignment(user, project, role))

    def revoke_role(self, user: str, project: str, role: str) -> None:
        self.api("DELETE", self._assignment(user, project, role))

    @contextlib.contextmanager
    def role_granted(self, user: str, project: str, role: str) -> Iterator[None]:
        """Grant a role for the duration of a ``with`` block (new tokens only see it)."""
        self.grant_role(user, project, role)
        try:
            yield
        finally:
            self.revoke_role(user, project, role)

    def issue_token(self, creds: Credentials) -> str:
        """A fresh project-scoped token for ``creds``."""
        return creds.session().get_token()

    def validate_token(self, token: str) -> dict[str, Any]:
        """Keystone's own view of ``token`` (``GET /v3/auth/tokens`` as admin).

        Raises keystoneauth1's NotFound for an invalid or revoked token.
        """
        resp = self.admin_session().get(f"{self.auth_url}/auth/tokens",
                                        headers={"X-Subject-Token": token})
        return resp.json()["token"]


# --------------------------------------------------------------------------- glance


class Glance:
    """Glance with sqlite and a file store in ``workdir``, keystonemiddleware auth, uWSGI.

    Registered in Keystone's catalog as service type ``image`` (public, internal and admin
    endpoints) with its own ``glance`` service user (role ``service``).
    """

    def __init__(self, venv: VenvSpec, workdir: Path, keystone: Keystone):
        self.venv = venv
        self.workdir = Path(workdir)
        self.keystone = keystone
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config_dir = self.workdir / "etc"
        self.config = self.config_dir / "glance-api.conf"
        self.log = self.workdir / "glance.log"
        self.setup_log = self.workdir / "glance-manage.log"
        self.service_user = Credentials(keystone.auth_url, "glance", _password("glance"),
                                        "service")
        self.process: ServiceProcess | None = None
        self._db_sync: ServiceProcess | None = None

    def begin_setup(self) -> None:
        """Write glance-api.conf and start ``glance-manage db_sync`` (needs no Keystone)."""
        w = self.workdir
        for d in ("images", "staging", "tasks", "locks", "etc"):
            (w / d).mkdir(parents=True, exist_ok=True)
        paste = self.venv.path / "etc" / "glance" / "glance-api-paste.ini"
        self.config.write_text(_ini({
            "DEFAULT": {"debug": False, "use_stderr": True, "enabled_backends": "fs:file"},
            "database": {"connection": f"sqlite:///{w / 'glance.db'}"},
            "glance_store": {"default_backend": "fs"},
            "fs": {"filesystem_store_datadir": w / "images"},
            "os_glance_staging_store": {"filesystem_store_datadir": w / "staging"},
            "os_glance_tasks_store": {"filesystem_store_datadir": w / "tasks"},
            "oslo_concurrency": {"lock_path": w / "locks"},
            "paste_deploy": {"flavor": "keystone", "config_file": paste},
            "keystone_authtoken": {"www_authenticate_uri": self.keystone.url,
                                   "region_name": REGION,
                                   **self.service_user.auth_options()},
        }))
        self._db_sync = ServiceProcess(
            "glance-manage db_sync",
            [self.venv.bin("glance-manage"), "--config-file", self.config, "db_sync"],
            self.setup_log, env=_clean_env(PYTHONWARNINGS="ignore"), cwd=w).start()

    def begin_serve(self) -> None:
        """Wait for db_sync, then start uWSGI (Keystone is only needed once requests come)."""
        assert self._db_sync is not None
        self._db_sync.wait()
        env = _clean_env(OS_GLANCE_CONFIG_DIR=str(self.config_dir), PYTHONWARNINGS="ignore")
        self.process = ServiceProcess(
            "glance", uwsgi_argv(self.venv, "glance.wsgi.api:application", self.port),
            self.log, env=env, cwd=self.workdir).start()

    def register(self) -> None:
        """Create the ``glance`` service user and the ``image`` service in Keystone."""
        ks = self.keystone
        ks.create_user(self.service_user, roles=("service",))
        service = ks.api("POST", "/services", {"service": {
            "name": "glance", "type": "image", "description": "novajoin tests"}})["service"]
        for interface in ("public", "internal", "admin"):
            ks.api("POST", "/endpoints", {"endpoint": {
                "service_id": service["id"], "interface": interface, "url": self.url,
                "region_id": REGION}})

    def finish_start(self) -> None:
        assert self.process is not None
        self.process.wait_http(f"{self.url}/versions")

    def stop(self) -> None:
        for p in (self._db_sync, self.process):
            if p is not None:
                p.stop()

    # -- images --------------------------------------------------------------------------
    def create_image(self, properties: dict[str, str] | None = None, *, name: str | None = None,
                     project: str = "demo", visibility: str = "private",
                     data: bytes | None = None, disk_format: str = "raw",
                     container_format: str = "bare") -> str:
        """Create an image owned by ``project`` with ``properties``; return its ID.

        Goes through Glance's v2 API as the admin (so any owner and visibility work) and
        sets exactly the given properties, nothing added. ``data`` is uploaded if given.
        """
        body: dict[str, Any] = {
            "name": name or f"test-image-{uuid.uuid4().hex[:8]}",
            "disk_format": disk_format, "container_format": container_format,
            "visibility": visibility, "owner": self.keystone.project_ids[project],
        }
        body.update({k: str(v) for k, v in (properties or {}).items()})
        session = self.keystone.admin_session()
        image = session.post(f"{self.url}/v2/images", json=body).json()
        if data is not None:
            session.put(f"{self.url}/v2/images/{image['id']}/file", data=data,
                        headers={"Content-Type": "application/octet-stream"})
        return image["id"]

    def delete_image(self, image_id: str, missing_ok: bool = True) -> None:
        """Delete an image (protected ones must be unprotected first)."""
        from keystoneauth1 import exceptions

        try:
            self.keystone.admin_session().delete(
                f"{self.url}/v2/images/{image_id}")
        except exceptions.NotFound:
            if not missing_ok:
                raise


# --------------------------------------------------------------------------- the cloud


@dataclass
class Cloud:
    """Keystone and (when its venv is there) Glance, started together to save time."""

    keystone: Keystone
    glance: Glance | None
    startup_seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # step -> seconds since start

    @classmethod
    def start(cls, workdir: Path, keystone_venv: VenvSpec,
              glance_venv: VenvSpec | None) -> Cloud:
        """Start both with their slow, CPU-bound setup steps overlapped.

        keystone-manage setup and glance-manage db_sync run side by side, then both uWSGI
        servers load side by side; only the account creation waits for Keystone.
        """
        t0 = time.monotonic()
        keystone = Keystone(keystone_venv, workdir / "keystone")
        keystone.workdir.mkdir(parents=True, exist_ok=True)
        glance = None
        if glance_venv is not None:
            glance = Glance(glance_venv, workdir / "glance", keystone)
            glance.workdir.mkdir(parents=True, exist_ok=True)
        cloud = cls(keystone, glance)

        def mark(step: str) -> None:
            cloud.timings[step] = round(time.monotonic() - t0, 2)

        try:
            keystone.begin_setup()
            if glance:
                glance.begin_setup()
            keystone.begin_serve()
            mark("keystone-manage done")
            if glance:
                glance.begin_serve()
                mark("glance db_sync done")
            keystone.finish_start()
            mark("keystone up, accounts made")
            if glance:
                glance.register()
                glance.finish_start()
                mark("glance up")
        except BaseException:
            cloud.stop()
            raise
        cloud.startup_seconds = time.monotonic() - t0
        return cloud

    def processes(self) -> list[ServiceProcess]:
        return [p for p in (self.keystone.process, self.glance and self.glance.process) if p]

    def stop(self) -> None:
        stop_all(self.processes())
        self.keystone.stop()
        if self.glance:
            self.glance.stop()


# --------------------------------------------------------------------------- nova


class NovaVendordataError(RuntimeError):
    """nova's DynamicVendorData raised; ``error_type`` is the exception's dotted class name."""

    def __init__(self, message: str, error_type: str, log: str):
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type
        self.log = log


@dataclass
class NovaVendordata:
    """nova's own DynamicJSON vendordata provider, run in ``.venv-nova``.

    Calling it configures nova (``[api] vendordata_providers = DynamicJSON``,
    ``vendordata_dynamic_targets = NAME@URL``, ``[vendordata_dynamic_auth]`` password auth),
    builds a real ``nova.objects.Instance`` and returns what
    ``DynamicVendorData(instance).get()`` returned, i.e. ``{NAME: <target's JSON>}``.

    A worker process (``nova_vendordata_worker.py``) imports nova once and serves all calls:
    importing nova takes ~2 s, the call itself milliseconds. Each call re-reads its own
    config file and drops nova's cached keystone sessions, so calls do not leak into
    each other.
    """

    venv: VenvSpec
    workdir: Path
    timeout: float = 60.0
    last_log: str = ""
    last_log_path: Path | None = None
    calls: int = 0
    _proc: subprocess.Popen | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __call__(self, target_url: str, keystone_creds: Credentials | None,
                 instance_fields: dict[str, Any] | None = None, *, name: str = "join",
                 ssl_certfile: str | None = None, connect_timeout: int | None = None,
                 read_timeout: int | None = None, failure_fatal: bool = True,
                 extra_conf: dict[str, dict[str, object]] | None = None) -> dict[str, Any]:
        """Run nova's vendordata request against ``target_url``; return ``get()``'s dict.

        ``keystone_creds`` fill ``[vendordata_dynamic_auth]`` (None: no auth configured, so
        nova sends no token). ``instance_fields`` override the Instance defaults (random
        ``uuid``/``project_id``/``image_ref``, ``hostname`` ``test-vm``, no user data, empty
        ``metadata``/``system_metadata``). With ``failure_fatal`` nova raises on HTTP and
        connection errors (NovaVendordataError here); without it, nova logs a warning
        (see ``last_log``) and the target's entry is ``{}``.
        """
        with self._lock:
            self.calls += 1
            calldir = self.workdir / f"call-{self.calls:04d}"
            calldir.mkdir(parents=True, exist_ok=True)
            log = self.last_log_path = calldir / "nova.log"
            conf = calldir / "nova.conf"
            api: dict[str, object] = {
                "vendordata_providers": "DynamicJSON",
                "vendordata_dynamic_targets": f"{name}@{target_url}",
                "vendordata_dynamic_failure_fatal": failure_fatal,
                "vendordata_dynamic_ssl_certfile": ssl_certfile,
                "vendordata_dynamic_connect_timeout": connect_timeout,
                "vendordata_dynamic_read_timeout": read_timeout,
            }
            sections: dict[str, dict[str, object]] = {
                "DEFAULT": {"debug": True, "log_file": log, "use_stderr": False},
                "api": api,
                "vendordata_dynamic_auth": keystone_creds.auth_options() if keystone_creds
                else {},
            }
            for section, options in (extra_conf or {}).items():
                sections.setdefault(section, {}).update(options)
            conf.write_text(_ini(sections))
            instance = {
                "uuid": str(uuid.uuid4()), "project_id": uuid.uuid4().hex,
                "image_ref": str(uuid.uuid4()), "user_data": None, "hostname": "test-vm",
                "metadata": {}, "system_metadata": {},
            }
            instance.update(instance_fields or {})
            answer = self._ask({"config": str(conf), "instance": instance})
            self.last_log = log_tail(log, 400) if log.exists() else ""
            if "error" in answer:
                raise NovaVendordataError(answer["error"], answer["type"],
                                          self.last_log + "\n" + answer.get("traceback", ""))
            return answer["result"]

    def start(self) -> None:
        """Start the worker now (it dies with the thread that starts it: use the main one)."""
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._proc = self._start_worker()

    def _start_worker(self) -> subprocess.Popen:
        stderr = open(self.workdir / "worker.log", "ab")  # noqa: SIM115 - owned by the Popen
        try:
            return subprocess.Popen(
                _supervised([self.venv.python, HERE / "nova_vendordata_worker.py"]),
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True,
                env=_clean_env(PYTHONWARNINGS="ignore"), cwd=self.workdir,
                start_new_session=True)
        finally:
            stderr.close()

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        import selectors

        if self._proc is None or self._proc.poll() is not None:
            self._proc = self._start_worker()
        proc = self._proc
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(json.dumps(request) + "\n")
            proc.stdin.flush()
        except BrokenPipeError:
            pass  # reported below with the worker's log
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            ready = sel.select(self.timeout)
        line = proc.stdout.readline() if ready else ""
        if not line:
            self.close()
            why = "timed out" if not ready else "died"
            raise ServiceError(f"nova vendordata worker {why}; log "
                               f"{self.workdir / 'worker.log'}:\n"
                               f"{log_tail(self.workdir / 'worker.log')}")
        return json.loads(line)

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            proc.stdin.close()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        proc.stdout.close()


def main(argv: Sequence[str]) -> int:
    """``lock NAME...``: refresh lock files; ``install NAME...``: build venvs now."""
    if len(argv) < 2 or argv[0] not in ("lock", "install"):
        print(__doc__)
        return 2
    for name in argv[1:]:
        if argv[0] == "lock":
            lock(VENVS[name])
        else:
            ensure_venv(VENVS[name], Path(tempfile.gettempdir()))
        print(f"{argv[0]} {name}: done")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
