"""A real OpenStack around novajoin: nova 34, placement 16 and neutron 29 beside Keystone/Glance.

Everything here runs the services' own code from PyPI, each in its virtualenv (see
``VENVS`` in ``tests/openstack/services.py``): nova's API and metadata API under uWSGI, its
conductor, scheduler and compute (fake virt driver) as processes; placement and neutron
(ML2, no agents) under uWSGI; their databases in the machine's MariaDB; their messages
and notifications on the machine's RabbitMQ, in a virtual host of this session's own. Around
them: the FreeIPA emulator, ``novajoin-server`` and ``novajoin-notify`` as console scripts.

Tests drive the services through their REST APIs with keystoneauth sessions (the transport
under openstacksdk and python-openstackclient): openstacksdk's proxies warn on every call,
which this project's pytest settings make errors. The metadata API is asked as neutron's
metadata proxy asks it for an instance (``RealStack.metadata``).

Names are unique per session (databases ``nj_rs_<pid>_*``, vhost ``novajoin-rs-<pid>``), so
two runs on one machine do not meet; what a killed run left behind is dropped by the next.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.openstack.services import (
    REGION,
    Cloud,
    Credentials,
    ServiceError,
    ServiceProcess,
    VenvSpec,
    _clean_env,
    _ini,
    free_port,
    log_tail,
    stop_all,
    uwsgi_argv,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
REALM = "NOVAJOIN.TEST"
DOMAIN = "novajoin.test"
DB_PREFIX = "nj_rs_"
VHOST_PREFIX = "novajoin-rs-"
COMPUTE_HOST = "realstack-compute"
# The external network's addresses, and the reverse zone the emulator gets for them.
EXTERNAL_CIDR = "172.24.4.0/24"
REVERSE_ZONE = "4.24.172.in-addr.arpa."
NOVA_MICROVERSION = "2.96"
API_TIMEOUT = 60  # seconds for one API call: a hung service is an error naming it


class StackError(ServiceError):
    """A service of the stack failed; the message names it and ends with its log's tail."""


def _fail(service: str, log: Path, what: str) -> StackError:
    return StackError(f"{service}: {what}; log {log}:\n{log_tail(log)}")


# --------------------------------------------------------------------------- MariaDB


class MariaDB:
    """Databases of this session in the machine's MariaDB (root, no password, TCP)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 3306):
        self.host, self.port = host, port
        self.prefix = f"{DB_PREFIX}{os.getpid()}_"
        self.created: list[str] = []

    def sql(self, statement: str) -> str:
        mysql = shutil.which("mariadb") or shutil.which("mysql")
        if mysql is None:
            raise StackError("MariaDB: no mysql/mariadb client on PATH")
        out = subprocess.run([mysql, "-h", self.host, "-P", str(self.port), "-uroot", "-N",
                              "-B", "-e", statement], capture_output=True, text=True,
                             timeout=60)
        if out.returncode != 0:
            raise StackError(f"MariaDB: {statement!r} failed: {out.stderr.strip()}")
        return out.stdout

    def available(self) -> bool:
        try:
            self.sql("SELECT 1")
        except (StackError, OSError, subprocess.SubprocessError):
            return False
        return True

    def drop_stale(self) -> None:
        """Drop databases of earlier sessions whose process is gone."""
        for name in self.sql(f"SHOW DATABASES LIKE '{DB_PREFIX}%'").split():
            m = re.match(rf"{DB_PREFIX}(\d+)_", name)
            if m and not Path(f"/proc/{m.group(1)}").exists():
                self.sql(f"DROP DATABASE IF EXISTS `{name}`")

    def create(self, name: str) -> str:
        """Create ``<prefix><name>`` afresh; return its SQLAlchemy URL."""
        db = self.prefix + name
        self.sql(f"DROP DATABASE IF EXISTS `{db}`; CREATE DATABASE `{db}` "
                 "CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
        self.created.append(db)
        return self.url(db)

    def url(self, db: str) -> str:
        return f"mysql+pymysql://root@{self.host}:{self.port}/{db}?charset=utf8mb4"

    def drop_all(self) -> None:
        for db in self.created:
            with contextlib.suppress(StackError, OSError, subprocess.SubprocessError):
                self.sql(f"DROP DATABASE IF EXISTS `{db}`")
        self.created.clear()


# --------------------------------------------------------------------------- RabbitMQ


class RabbitVhost:
    """A RabbitMQ virtual host of this session: nova's and neutron's queues stay in it."""

    def __init__(self):
        self.name = f"{VHOST_PREFIX}{os.getpid()}"
        self.url = f"rabbit://guest:guest@127.0.0.1:5672/{urllib.parse.quote(self.name, '')}"

    @staticmethod
    def _ctl(*args: str) -> str:
        ctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
        out = subprocess.run([ctl, "-q", *args], capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise StackError(f"RabbitMQ: rabbitmqctl {' '.join(args)} failed: "
                             f"{(out.stderr or out.stdout).strip()}")
        return out.stdout

    def create(self) -> None:
        for line in self._ctl("list_vhosts").split():
            m = re.match(rf"{VHOST_PREFIX}(\d+)$", line)
            if m and not Path(f"/proc/{m.group(1)}").exists():
                with contextlib.suppress(StackError):
                    self._ctl("delete_vhost", line)
        with contextlib.suppress(StackError):
            self._ctl("delete_vhost", self.name)
        self._ctl("add_vhost", self.name)
        self._ctl("set_permissions", "-p", self.name, "guest", ".*", ".*", ".*")

    def delete(self) -> None:
        with contextlib.suppress(StackError, OSError, subprocess.SubprocessError):
            self._ctl("delete_vhost", self.name)

    def messages(self, queue: str) -> int | None:
        """Messages ready in ``queue`` (None when it does not exist)."""
        for line in self._ctl("list_queues", "-p", self.name, "name", "messages").splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == queue:
                return int(parts[1])
        return None

    def purge(self, queue: str, settle: float = 3.0) -> None:
        """Purge ``queue`` once no new message came in for ``settle`` seconds."""
        last, since = self.messages(queue), time.monotonic()
        while time.monotonic() - since < settle:
            time.sleep(0.5)
            now = self.messages(queue)
            if now != last:
                last, since = now, time.monotonic()
        self._ctl("purge_queue", "-p", self.name, queue)


# --------------------------------------------------------------------------- helpers


def _wait_for(what: str, check: Callable[[], Any], timeout: float, interval: float = 0.25,
              on_timeout: Callable[[], str] | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            extra = on_timeout() if on_timeout else ""
            raise StackError(f"timed out after {timeout:.0f}s waiting for {what}{extra}")
        time.sleep(interval)


@contextlib.contextmanager
def _naming(service: str, log: Path, what: str):
    """keystoneauth's connection errors and timeouts as a StackError naming the service."""
    from keystoneauth1 import exceptions

    try:
        yield
    except exceptions.ClientException as exc:
        raise _fail(service, log, f"{what}: {type(exc).__name__}: {exc}") from exc


def lazy_uwsgi_argv(venv: VenvSpec, module: str, port: int) -> list[str]:
    """uWSGI loading the application in its worker, after the fork (``--lazy-apps``).

    nova and neutron open RabbitMQ connections and start threads when their application
    loads; loaded in uWSGI's master and forked, the worker inherits locks held by threads
    it does not have, and its first notification can hang it for good.
    """
    return [*uwsgi_argv(venv, module, port), "--lazy-apps"]


def _service_user(keystone, name: str) -> Credentials:
    """A service user in project ``service`` with the service and admin roles (as devstack)."""
    return keystone.new_user(name, "service", ["service", "admin"])


def _register(keystone, name: str, type_: str, url: str) -> None:
    service = keystone.api("POST", "/services", {"service": {
        "name": name, "type": type_, "description": "novajoin realstack"}})["service"]
    for interface in ("public", "internal", "admin"):
        keystone.api("POST", "/endpoints", {"endpoint": {
            "service_id": service["id"], "interface": interface, "url": url,
            "region_id": REGION}})


def _authtoken(keystone, creds: Credentials) -> dict[str, object]:
    return {"www_authenticate_uri": keystone.url, "region_name": REGION,
            "service_token_roles_required": True, **creds.auth_options()}


def _auth(creds: Credentials) -> dict[str, object]:
    return {"region_name": REGION, **creds.auth_options()}


# --------------------------------------------------------------------------- placement


class Placement:
    def __init__(self, venv: VenvSpec, workdir: Path):
        self.venv, self.workdir = venv, workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "placement.log"
        self.process: ServiceProcess | None = None
        self.user: Credentials | None = None

    def configure(self, keystone, db_url: str) -> None:
        self.user = _service_user(keystone, "placement")
        (self.workdir / "etc").mkdir(parents=True, exist_ok=True)
        (self.workdir / "etc" / "placement.conf").write_text(_ini({
            "DEFAULT": {"debug": False, "use_stderr": True},
            "api": {"auth_strategy": "keystone"},
            "placement_database": {"connection": db_url, "sync_on_startup": True},
            "keystone_authtoken": _authtoken(keystone, self.user),
        }))
        _register(keystone, "placement", "placement", self.url)

    def start(self) -> None:
        env = _clean_env(OS_PLACEMENT_CONFIG_DIR=str(self.workdir / "etc"),
                         PYTHONWARNINGS="ignore")
        self.process = ServiceProcess(
            "placement", lazy_uwsgi_argv(self.venv, "placement.wsgi.api:application",
                                         self.port),
            self.log, env=env, cwd=self.workdir).start()

    def wait(self) -> None:
        assert self.process is not None
        self.process.wait_http(self.url + "/", timeout=120)


# --------------------------------------------------------------------------- neutron


class Neutron:
    """neutron-api (ML2: flat + local, the tier's bind-all driver, router plugin; no agents)."""

    def __init__(self, venv: VenvSpec, workdir: Path):
        self.venv, self.workdir = venv, workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "neutron.log"
        self.setup_log = workdir / "neutron-db-manage.log"
        self.etc = workdir / "etc"
        self.conf = self.etc / "neutron.conf"
        self.ml2 = self.etc / "ml2_conf.ini"
        self.process: ServiceProcess | None = None
        self._sync: ServiceProcess | None = None
        self.user: Credentials | None = None

    def write_config(self, db_url: str, transport_url: str) -> None:
        self.etc.mkdir(parents=True, exist_ok=True)
        (self.workdir / "locks").mkdir(exist_ok=True)
        self.conf.write_text(_ini({
            "DEFAULT": {
                "debug": False, "use_stderr": True, "host": COMPUTE_HOST,
                "core_plugin": "ml2", "service_plugins": "router",
                "auth_strategy": "keystone", "transport_url": transport_url,
                "state_path": self.workdir,
                "api_paste_config": self.venv.path / "etc" / "neutron" / "api-paste.ini",
                # no nova notifier: neutron's port events to nova are for VIF plugging,
                # which nova's fake driver does not wait for
                "notify_nova_on_port_status_changes": False,
                "notify_nova_on_port_data_changes": False,
            },
            "database": {"connection": db_url},
            "oslo_concurrency": {"lock_path": self.workdir / "locks"},
            # doc/nova-neutron.md, "neutron: floating IP notifications"
            "oslo_messaging_notifications": {
                "driver": "messagingv2", "topics": "notifications,novajoin_notifications"},
            "agent": {"root_helper": "true"},
        }))
        self.ml2.write_text(_ini({
            "ml2": {"type_drivers": "flat,local", "tenant_network_types": "local",
                    "mechanism_drivers": ML2_DRIVER,
                    "extension_drivers": "port_security"},
            "ml2_type_flat": {"flat_networks": "public"},
        }))

    def begin_db_sync(self) -> None:
        self._sync = ServiceProcess(
            "neutron-db-manage upgrade heads",
            [self.venv.bin("neutron-db-manage"), "--config-file", self.conf,
             "--config-file", self.ml2, "upgrade", "heads"],
            self.setup_log, env=_clean_env(PYTHONWARNINGS="ignore"), cwd=self.workdir).start()

    def configure_keystone(self, keystone) -> None:
        self.user = _service_user(keystone, "neutron")
        text = self.conf.read_text()
        self.conf.write_text(text + _ini({"keystone_authtoken": _authtoken(keystone,
                                                                           self.user)}))
        _register(keystone, "neutron", "network", self.url)

    def start(self) -> None:
        assert self._sync is not None
        self._sync.wait(timeout=600)
        env = _clean_env(OS_NEUTRON_CONFIG_DIR=str(self.etc),
                         OS_NEUTRON_CONFIG_FILES="neutron.conf;ml2_conf.ini",
                         PYTHONWARNINGS="ignore")
        argv = lazy_uwsgi_argv(self.venv, "neutron_app:application", self.port)
        argv += ["--pythonpath", str(HERE)]
        self.process = ServiceProcess("neutron-api", argv, self.log, env=env,
                                      cwd=self.workdir).start()

    def wait(self) -> None:
        assert self.process is not None
        self.process.wait_http(self.url + "/", timeout=180)

    def stop(self) -> None:
        for p in (self._sync, self.process):
            if p is not None:
                p.stop()


# --------------------------------------------------------------------------- nova


NOVA_SERVICES = ("nova-conductor", "nova-scheduler", "nova-compute")


class Nova:
    """nova-api and nova-metadata under uWSGI; conductor, scheduler and compute processes."""

    def __init__(self, venv: VenvSpec, workdir: Path):
        self.venv, self.workdir = venv, workdir
        self.api_port, self.metadata_port = free_port(), free_port()
        self.api_url = f"http://127.0.0.1:{self.api_port}"
        self.compute_url = f"{self.api_url}/v2.1"
        self.metadata_url = f"http://127.0.0.1:{self.metadata_port}"
        self.etc = workdir / "etc"
        self.conf = self.etc / "nova.conf"
        self.setup_log = workdir / "nova-manage.log"
        self.metadata_secret = secrets.token_hex(16)
        self.logs: dict[str, Path] = {name: workdir / f"{name}.log" for name in
                                      ("nova-api", "nova-metadata", *NOVA_SERVICES)}
        self.processes: dict[str, ServiceProcess] = {}
        self.user: Credentials | None = None
        self._setup_error: BaseException | None = None
        self._setup_thread: threading.Thread | None = None

    def write_config(self, *, keystone, api_db: str, cell0_db: str, cell1_db: str,
                     transport_url: str, vendordata_url: str, vendordata_user: Credentials,
                     placement: Placement, neutron: Neutron) -> None:
        self.etc.mkdir(parents=True, exist_ok=True)
        for d in ("state", "instances", "locks"):
            (self.workdir / d).mkdir(exist_ok=True)
        shutil.copy(self.venv.path / "etc" / "nova" / "api-paste.ini", self.etc)
        self.user = keystone.nova
        self.cell0_db = cell0_db
        self.conf.write_text(_ini({
            "DEFAULT": {
                "debug": False, "use_stderr": True, "host": COMPUTE_HOST,
                "transport_url": transport_url,
                "compute_driver": "fake.FakeDriverWithoutFakeNodes",
                "state_path": self.workdir / "state",
                "instances_path": self.workdir / "instances",
                "my_ip": "127.0.0.1",
                "osapi_compute_workers": 1, "metadata_workers": 1,
            },
            "api": {
                "auth_strategy": "keystone",
                # doc/nova-neutron.md, "nova: vendordata"
                "vendordata_providers": "StaticJSON,DynamicJSON",
                "vendordata_dynamic_targets": f"join@{vendordata_url}",
                "vendordata_jsonfile_path": ROOT / "files" / "cloud-config-novajoin.json",
                "vendordata_dynamic_read_timeout": 30,
                "vendordata_dynamic_failure_fatal": False,
            },
            "vendordata_dynamic_auth": vendordata_user.auth_options(),
            "api_database": {"connection": api_db},
            "database": {"connection": cell1_db},
            "keystone_authtoken": _authtoken(keystone, keystone.nova),
            "placement": _auth(keystone.nova),
            "neutron": {**_auth(keystone.nova),
                        # the metadata API behind neutron's metadata proxy
                        "service_metadata_proxy": True,
                        "metadata_proxy_shared_secret": self.metadata_secret},
            # nova sends its service token with the user's: neutron lets a member delete a
            # port of an instance (device_owner compute:*) only with one
            "service_user": {"send_service_user_token": True, **_auth(keystone.nova)},
            "glance": {"region_name": REGION},
            "oslo_concurrency": {"lock_path": self.workdir / "locks"},
            # doc/nova-neutron.md, "nova: notifications"
            "oslo_messaging_notifications": {
                "driver": "messagingv2", "topics": "notifications,novajoin_notifications"},
            "notifications": {
                "notification_format": "both",
                "versioned_notifications_topics":
                    "versioned_notifications,novajoin_notifications",
                "notify_on_state_change": "vm_state",
            },
            "conductor": {"workers": 1},
            "scheduler": {"workers": 1},
            "vnc": {"enabled": False},
            "wsgi": {"api_paste_config": self.etc / "api-paste.ini"},
        }))

    def _manage(self, *args: str) -> None:
        ServiceProcess(f"nova-manage {' '.join(args[:2])}",
                       [self.venv.bin("nova-manage"), "--config-file", self.conf, *args],
                       self.setup_log, env=_clean_env(PYTHONWARNINGS="ignore"),
                       cwd=self.workdir).start().wait(timeout=600)

    def begin_db_setup(self) -> None:
        """api_db sync, cell0 and cell1, db sync: in a thread (they need no Keystone)."""
        def run() -> None:
            try:
                self._manage("api_db", "sync")
                self._manage("cell_v2", "map_cell0", "--database_connection", self.cell0_db)
                self._manage("cell_v2", "create_cell", "--name", "cell1")
                self._manage("db", "sync")
            except BaseException as exc:  # reported by finish_db_setup
                self._setup_error = exc

        self._setup_thread = threading.Thread(target=run, name="nova-manage", daemon=True)
        self._setup_thread.start()

    def finish_db_setup(self) -> None:
        assert self._setup_thread is not None
        self._setup_thread.join(900)
        if self._setup_error is not None:
            raise self._setup_error

    def register(self, keystone) -> None:
        keystone.grant_role("nova", "service", "admin")
        _register(keystone, "nova", "compute", self.compute_url)

    def _env(self) -> dict[str, str]:
        return _clean_env(OS_NOVA_CONFIG_DIR=str(self.etc), PYTHONWARNINGS="ignore")

    def start_process(self, name: str) -> ServiceProcess:
        if name == "nova-api":
            argv = lazy_uwsgi_argv(self.venv, "nova.wsgi.osapi_compute:application",
                                   self.api_port)
        elif name == "nova-metadata":
            argv = lazy_uwsgi_argv(self.venv, "nova.wsgi.metadata:application",
                                   self.metadata_port)
        else:
            argv = [self.venv.bin(name), "--config-file", self.conf]
        proc = ServiceProcess(name, argv, self.logs[name], env=self._env(),
                              cwd=self.workdir).start()
        self.processes[name] = proc
        return proc

    def stop_process(self, name: str) -> None:
        proc = self.processes.pop(name, None)
        if proc is not None:
            proc.stop()

    def running(self, name: str) -> bool:
        proc = self.processes.get(name)
        return proc is not None and proc.proc is not None and proc.proc.poll() is None

    def check_alive(self) -> None:
        for name, proc in self.processes.items():
            if proc.proc is not None and proc.proc.poll() is not None:
                raise _fail(name, proc.log, f"exited ({proc.proc.returncode})")

    def discover_hosts(self) -> None:
        self._manage("cell_v2", "discover_hosts", "--verbose")


# --------------------------------------------------------------------------- novajoin


class Novajoin:
    """The FreeIPA emulator, novajoin-server and novajoin-notify: console scripts only."""

    def __init__(self, workdir: Path, krb_realm):
        self.workdir = workdir
        self.krb_realm = krb_realm
        self.bin = ROOT / ".venv" / "bin"
        self.ipa_port, self.port = free_port(), free_port()
        # The emulator's own name: the Referer must name it, and its HTTP/<name> key is in
        # the test KDC (novajoin logs in as nova/<host> with SPNEGO).
        self.ipa_host = krb_realm.hostname
        self.ipa_url = f"http://{self.ipa_host}:{self.ipa_port}"
        self.nova_host = f"novajoin-realstack.{DOMAIN}"
        self.keytab = workdir / "nova.keytab"
        self._admin: str | None = None  # an admin's session cookie with the emulator
        self.url = f"http://127.0.0.1:{self.port}"
        self.vendordata_url = f"{self.url}/v1/"
        self.conf = workdir / "join.conf"
        self.ipa_password = "Secret.admin-" + secrets.token_hex(6)
        self.logs = {"fakeipa": workdir / "fakeipa.log", "novajoin-server":
                     workdir / "novajoin-server.log", "novajoin-notify":
                     workdir / "novajoin-notify.log"}
        self.processes: dict[str, ServiceProcess] = {}
        self.user: Credentials | None = None

    def write_config(self, keystone, transport_url: str) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.user = _service_user(keystone, "novajoin")
        auth = self.user.auth_options()
        self.conf.write_text(_ini({
            "DEFAULT": {
                "url": f"{self.ipa_url}/ipa/json", "keytab": self.keytab,
                "keytab_principal": self.principal, "domain": DOMAIN,
                "otp_secret": secrets.token_hex(16),
                "join_listen": "127.0.0.1", "join_listen_port": self.port,
                "auth_strategy": "keystone", "transport_url": transport_url,
                "debug": True, "use_stderr": False,
            },
            "keystone_authtoken": {"www_authenticate_uri": keystone.url, **auth},
            "service_credentials": {"region_name": REGION, **auth},
            # tempest-plugin scenario: a managed service on another name
            "demo": {"allowed_services": f"HTTP/*.apps.{DOMAIN}"},
        }))

    def start_fakeipa(self) -> None:
        pw = self.workdir / "ipa-admin-password"
        pw.write_text(self.ipa_password + "\n")
        os.chmod(pw, 0o600)
        self._start("fakeipa", [self.bin / "novajoin-fakeipa", "--listen",
                                f"127.0.0.1:{self.ipa_port}", "--realm", REALM, "--domain",
                                DOMAIN, "--admin-password-file", pw, "--hostname",
                                self.ipa_host, "--keytab", self.krb_realm.http_keytab])
        self.processes["fakeipa"].wait_http(f"{self.ipa_url}/ipa/fake/stats", timeout=60)
        # As an operator does once: novajoin's principal and novajoin-ipa-setup's role.
        self.principal = self.krb_realm.addprinc(f"nova/{self.nova_host}@{REALM}",
                                                 str(self.keytab))
        done = subprocess.run([str(self.bin / "novajoin-ipa-setup"), "--url",
                               f"{self.ipa_url}/ipa/json", "--hostname", self.nova_host,
                               "--password-file", str(pw)], capture_output=True, text=True,
                              timeout=120, env=_clean_env(), cwd=self.workdir)
        if done.returncode != 0:
            raise _fail("fakeipa", self.logs["fakeipa"],
                        f"novajoin-ipa-setup failed: {done.stdout}{done.stderr}")

    def _start(self, name: str, argv: list) -> ServiceProcess:
        log = self.logs[name]
        if name.startswith("novajoin-"):
            argv = [*argv, "--log-file", str(log)]
        proc = ServiceProcess(name, argv, log, env=_clean_env(), cwd=self.workdir).start()
        self.processes[name] = proc
        return proc

    def start_server(self) -> None:
        self._start("novajoin-server", [self.bin / "novajoin-server", "--config-file",
                                        self.conf])

    def wait_server(self) -> None:
        self.processes["novajoin-server"].wait_http(f"{self.url}/healthcheck", timeout=60)

    def start_notify(self) -> None:
        self._start("novajoin-notify", [self.bin / "novajoin-notify", "--config-file",
                                        self.conf])

    def wait_notify(self, timeout: float = 60) -> None:
        """Until the listener says it consumes (its log), or it died."""
        proc = self.processes["novajoin-notify"]

        def ready() -> bool:
            if proc.proc is None or proc.proc.poll() is not None:
                raise _fail("novajoin-notify", proc.log, "exited while starting")
            text = proc.log.read_text(errors="replace") if proc.log.exists() else ""
            return bool(re.search(r"[Ll]istening|[Cc]onsuming|started", text))

        _wait_for("novajoin-notify to listen", ready, timeout,
                  on_timeout=lambda: f"; log:\n{log_tail(proc.log)}")

    def stop_process(self, name: str) -> None:
        proc = self.processes.pop(name, None)
        if proc is not None:
            proc.stop()

    def reconcile(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.bin / "novajoin-reconcile"), "--config-file",
                               str(self.conf), *args], capture_output=True, text=True,
                              timeout=timeout, env=_clean_env(), cwd=self.workdir)

    # -- the emulator's HTTP API (what an IPA admin and an enrolling client do) ----------
    def ipa(self, method: str, *args: Any, **options: Any) -> dict[str, Any]:
        """One JSON-RPC call to the emulator's /ipa/json; the ``result`` or raises IpaCallError."""
        import requests

        options.setdefault("version", "2.254")
        body = {"method": method, "params": [list(args), options], "id": 0}
        referer = {"Referer": f"https://{self.ipa_host}/ipa/xml"}
        try:
            for _ in range(2):  # the session may have expired: log in again, once
                if self._admin is None:
                    login = requests.post(f"{self.ipa_url}/ipa/session/login_password",
                                          data={"user": "admin", "password": self.ipa_password},
                                          headers=referer, timeout=30)
                    login.raise_for_status()
                    # Sent by hand: a cookie jar drops cookies of a dotless host (localhost).
                    self._admin = login.cookies["ipa_session"]
                resp = requests.post(f"{self.ipa_url}/ipa/json", json=body, timeout=30,
                                     headers={**referer,
                                              "Cookie": f"ipa_session={self._admin}"})
                if resp.status_code != 401:
                    break
                self._admin = None
            resp.raise_for_status()
        except requests.RequestException as exc:
            raise self._down("fakeipa", f"{method}: {exc}") from exc
        answer = resp.json()
        if answer.get("error"):
            raise IpaCallError(method, answer["error"])
        return answer["result"]

    def _down(self, name: str, what: str) -> StackError:
        proc = self.processes.get(name)
        rc = proc.proc.poll() if proc is not None and proc.proc is not None else None
        state = "not running" if proc is None else (
            "running" if rc is None else f"exited with {rc}")
        return _fail(name, self.logs[name], f"{what} (the process is {state})")

    def host(self, fqdn: str) -> dict[str, Any] | None:
        """``host_show --all`` of ``fqdn``, or None when IPA has no such host."""
        try:
            return self.ipa("host_show", fqdn, all=True)["result"]
        except IpaCallError as exc:
            if exc.code == 4001:
                return None
            raise

    def service(self, principal: str) -> dict[str, Any] | None:
        try:
            return self.ipa("service_show", principal, all=True)["result"]
        except IpaCallError as exc:
            if exc.code == 4001:
                return None
            raise

    def records(self, zone: str, name: str) -> dict[str, Any]:
        try:
            return self.ipa("dnsrecord_show", zone, name)["result"]
        except IpaCallError as exc:
            if exc.code == 4001:
                return {}
            raise

    def enroll(self, fqdn: str, otp: str):
        import requests

        return requests.post(f"{self.ipa_url}/ipa/fake/enroll",
                             json={"fqdn": fqdn, "otp": otp}, timeout=10)

    def stats(self) -> dict[str, Any]:
        import requests

        return requests.get(f"{self.ipa_url}/ipa/fake/stats", timeout=10).json()

    def reset_stats(self) -> None:
        import requests

        requests.post(f"{self.ipa_url}/ipa/fake/stats/reset", timeout=10)


class IpaCallError(RuntimeError):
    def __init__(self, method: str, error: dict[str, Any]):
        super().__init__(f"{method}: {error.get('name')} ({error.get('code')}): "
                         f"{error.get('message')}")
        self.code = error.get("code")
        self.error = error


# --------------------------------------------------------------------------- the stack


@dataclass
class RealStack:
    """Keystone, Glance, placement, neutron, nova, and novajoin around them."""

    workdir: Path
    venvs: dict[str, VenvSpec]
    cloud: Cloud | None = None
    placement: Placement | None = None
    neutron: Neutron | None = None
    nova: Nova | None = None
    novajoin: Novajoin | None = None
    db: MariaDB = field(default_factory=MariaDB)
    vhost: RabbitVhost = field(default_factory=RabbitVhost)
    timings: dict[str, float] = field(default_factory=dict)
    krb_realm: Any = None  # tests.conftest.KerberosRealm: novajoin logs in as nova/<host>
    flavor_id: str = ""
    image_id: str = ""

    def logs(self) -> dict[str, Path]:
        out: dict[str, Path] = {}
        if self.cloud:
            out["keystone"] = self.cloud.keystone.log
            if self.cloud.glance:
                out["glance"] = self.cloud.glance.log
        if self.placement:
            out["placement"] = self.placement.log
        if self.neutron:
            out["neutron-api"] = self.neutron.log
            out["neutron-db-manage"] = self.neutron.setup_log
        if self.nova:
            out.update(self.nova.logs)
            out["nova-manage"] = self.nova.setup_log
        if self.novajoin:
            out.update(self.novajoin.logs)
        return out

    def start(self) -> RealStack:
        t0 = time.monotonic()

        def mark(step: str) -> None:
            self.timings[step] = round(time.monotonic() - t0, 1)

        w = self.workdir
        try:
            self.db.drop_stale()
            self.vhost.create()
            self.placement = Placement(self.venvs["placement"], w / "placement")
            self.neutron = Neutron(self.venvs["neutron"], w / "neutron")
            self.nova = Nova(self.venvs["nova-services"], w / "nova")
            self.novajoin = Novajoin(w / "novajoin", self.krb_realm)
            for d in (self.placement.workdir, self.neutron.workdir, self.nova.workdir,
                      self.novajoin.workdir):
                d.mkdir(parents=True, exist_ok=True)
            urls = {n: self.db.create(n) for n in ("nova_api", "nova_cell0", "nova",
                                                   "placement", "neutron")}
            # Slow, keystone-free database setup first, in the background.
            self.neutron.write_config(urls["neutron"], self.vhost.url)
            self.neutron.begin_db_sync()
            self.novajoin.start_fakeipa()
            mark("fakeipa up")
            self.cloud = Cloud.start(w / "openstack", self.venvs["keystone"],
                                     self.venvs["glance"])
            ks = self.cloud.keystone
            mark("keystone and glance up")
            self.novajoin.write_config(ks, self.vhost.url)
            self.nova.write_config(
                keystone=ks, api_db=urls["nova_api"], cell0_db=urls["nova_cell0"],
                cell1_db=urls["nova"], transport_url=self.vhost.url,
                vendordata_url=self.novajoin.vendordata_url, vendordata_user=ks.nova,
                placement=self.placement, neutron=self.neutron)
            self.nova.begin_db_setup()
            self.placement.configure(ks, urls["placement"])
            self.neutron.configure_keystone(ks)
            self.nova.register(ks)  # every endpoint is in the catalog before nova starts
            self.placement.start()
            self.novajoin.start_server()
            self.novajoin.start_notify()
            self.placement.wait()
            mark("placement up")
            self.nova.finish_db_setup()
            mark("nova databases ready")
            for name in ("nova-conductor", "nova-scheduler", "nova-compute"):
                self.nova.start_process(name)
            self.neutron.start()
            mark("neutron db ready")
            self.nova.start_process("nova-api").wait_http(self.nova.api_url + "/",
                                                          timeout=180)
            self.nova.start_process("nova-metadata").wait_http(self.nova.metadata_url + "/",
                                                               timeout=180)
            mark("nova-api and metadata up")
            self.neutron.wait()
            mark("neutron up")
            self.novajoin.wait_server()
            self.novajoin.wait_notify()
            mark("novajoin up")
            self.wait_compute_up()
            self.nova.discover_hosts()
            mark("compute discovered")
            self._seed()
            mark("flavor, image, networks made")
        except BaseException:
            self.stop()
            raise
        self.timings["total"] = round(time.monotonic() - t0, 1)
        return self

    # -- clients -------------------------------------------------------------------------
    def admin_session(self):
        return self.cloud.keystone.admin_session()

    def session(self, creds: Credentials | None = None):
        return (creds or self.cloud.keystone.member).session()

    def compute(self, method: str, path: str, body: dict | None = None, *,
                creds: Credentials | None = None, admin: bool = False, ok=(200, 201, 202, 204),
                microversion: str = NOVA_MICROVERSION) -> Any:
        """nova's compute API (as ``creds``, the demo member by default)."""
        session = self.admin_session() if admin else self.session(creds)
        with _naming("nova-api", self.nova.logs["nova-api"], f"{method} {path}"):
            resp = session.request(self.nova.compute_url + path, method, json=body,
                                   raise_exc=False, timeout=API_TIMEOUT,
                                   headers={"OpenStack-API-Version":
                                            f"compute {microversion}"})
        if resp.status_code not in ok:
            raise StackError(f"nova-api: {method} {path} -> {resp.status_code} {resp.text}"
                             f"; log {self.nova.logs['nova-api']}:\n"
                             f"{log_tail(self.nova.logs['nova-api'])}")
        return resp.json() if resp.content else {}

    def network(self, method: str, path: str, body: dict | None = None, *,
                creds: Credentials | None = None, admin: bool = False,
                ok=(200, 201, 202, 204)) -> Any:
        session = self.admin_session() if admin else self.session(creds)
        with _naming("neutron-api", self.neutron.log, f"{method} {path}"):
            resp = session.request(self.neutron.url + "/v2.0" + path, method, json=body,
                                   raise_exc=False, timeout=API_TIMEOUT)
        if resp.status_code not in ok:
            raise StackError(f"neutron-api: {method} {path} -> {resp.status_code} "
                             f"{resp.text}; log {self.neutron.log}:\n"
                             f"{log_tail(self.neutron.log)}")
        return resp.json() if resp.content else {}

    def metadata(self, server: dict, path: str = "openstack/latest/vendor_data2.json",
                 address: str = "10.0.0.5") -> Any:
        """GET a metadata path as neutron's metadata proxy does for an instance."""
        import requests

        sig = hmac.new(self.nova.metadata_secret.encode(), server["id"].encode(),
                       hashlib.sha256).hexdigest()
        resp = requests.get(f"{self.nova.metadata_url}/{path}", timeout=60, headers={
            "X-Instance-ID": server["id"], "X-Tenant-ID": server["tenant_id"],
            "X-Forwarded-For": address, "X-Instance-ID-Signature": sig})
        if resp.status_code != 200:
            raise StackError(f"nova-metadata: GET /{path} -> {resp.status_code} {resp.text}"
                             f"; log {self.nova.logs['nova-metadata']}:\n"
                             f"{log_tail(self.nova.logs['nova-metadata'])}")
        return resp.json()

    # -- setup -----------------------------------------------------------------------------
    def compute_service(self) -> dict:
        return self.compute("GET", "/os-services?binary=nova-compute", admin=True)[
            "services"][0]

    def wait_compute_up(self, timeout: float = 180, after: str | None = None) -> None:
        """Until nova-compute reports up; with ``after``, a report newer than that time.

        A restarted nova-compute errors out, in init_host, the builds scheduled to it
        before; its first report comes after init_host.
        """
        def up() -> bool:
            self.nova.check_alive()
            services = self.compute("GET", "/os-services?binary=nova-compute",
                                    admin=True)["services"]
            return any(s["state"] == "up" and s["status"] == "enabled" and not
                       s.get("forced_down") and (after is None or s["updated_at"] != after)
                       for s in services)

        _wait_for("nova-compute to report up", up, timeout,
                  on_timeout=lambda: f"; log:\n{log_tail(self.nova.logs['nova-compute'])}")

    def _seed(self) -> None:
        flavor = self.compute("POST", "/flavors", {"flavor": {
            "name": "realstack.tiny", "ram": 128, "vcpus": 1, "disk": 1}}, admin=True)
        self.flavor_id = flavor["flavor"]["id"]
        self.image_id = self.create_image({}, name="realstack-plain")
        self.external_net = self.network("POST", "/networks", {"network": {
            "name": "public", "router:external": True, "provider:network_type": "flat",
            "provider:physical_network": "public", "shared": False}},
            admin=True)["network"]
        self.external_subnet = self.network("POST", "/subnets", {"subnet": {
            "network_id": self.external_net["id"], "ip_version": 4, "cidr": EXTERNAL_CIDR,
            "gateway_ip": "172.24.4.1", "enable_dhcp": False, "name": "public-v4"}},
            admin=True)["subnet"]
        self.novajoin.ipa("dnszone_add", REVERSE_ZONE, force=True,
                          idnssoamname=f"ns.{DOMAIN}.")

    def create_image(self, properties: dict[str, str], **kwargs) -> str:
        """A public, active image in Glance (one byte of data) with ``properties``."""
        kwargs.setdefault("visibility", "public")
        kwargs.setdefault("project", "admin")
        return self.cloud.glance.create_image(properties, data=b"\0" * 512, **kwargs)

    # -- servers -----------------------------------------------------------------------------
    def boot(self, name: str, metadata: dict[str, str] | None = None, *,
             image_id: str | None = None, networks: Any = "none",
             creds: Credentials | None = None, wait: bool = True) -> dict:
        body: dict[str, Any] = {"name": name, "imageRef": image_id or self.image_id,
                                "flavorRef": self.flavor_id, "networks": networks}
        if metadata:
            body["metadata"] = metadata
        server = self.compute("POST", "/servers", {"server": body}, creds=creds)["server"]
        return self.wait_server(server["id"], creds=creds) if wait else server

    def show(self, server_id: str, creds: Credentials | None = None) -> dict | None:
        session = self.session(creds)
        with _naming("nova-api", self.nova.logs["nova-api"], f"GET /servers/{server_id}"):
            resp = session.get(f"{self.nova.compute_url}/servers/{server_id}",
                               raise_exc=False, timeout=API_TIMEOUT, headers={
                                   "OpenStack-API-Version": f"compute {NOVA_MICROVERSION}"})
        if resp.status_code == 404:
            return None
        if resp.status_code != 200:
            raise StackError(f"nova-api: GET /servers/{server_id} -> {resp.status_code} "
                             f"{resp.text}")
        return resp.json()["server"]

    def wait_server(self, server_id: str, status: str = "ACTIVE", timeout: float = 120,
                    creds: Credentials | None = None) -> dict:
        def reached():
            server = self.show(server_id, creds)
            if server is None:
                raise StackError(f"nova: server {server_id} vanished")
            if server["status"] == "ERROR":
                raise StackError(f"nova: server {server_id} went to ERROR: "
                                 f"{server.get('fault')}; nova-compute log:\n"
                                 f"{log_tail(self.nova.logs['nova-compute'])}\n"
                                 f"nova-conductor log:\n"
                                 f"{log_tail(self.nova.logs['nova-conductor'])}")
            if server["status"] == status and not server.get("OS-EXT-STS:task_state"):
                return server
            return None

        return _wait_for(f"server {server_id} to be {status}", reached, timeout,
                         on_timeout=lambda: "; nova-compute log:\n"
                         + log_tail(self.nova.logs["nova-compute"]))

    def delete(self, server_id: str, creds: Credentials | None = None, wait: bool = True,
               timeout: float = 120) -> None:
        self.compute("DELETE", f"/servers/{server_id}", creds=creds)
        if wait:
            _wait_for(f"server {server_id} to be deleted",
                      lambda: self.show(server_id, creds) is None, timeout)

    def fqdn(self, server: dict) -> str:
        return f"{server['OS-EXT-SRV-ATTR:hostname']}.{DOMAIN}" if \
            "OS-EXT-SRV-ATTR:hostname" in server else f"{server['name']}.{DOMAIN}"

    # -- stop ---------------------------------------------------------------------------------
    def stop(self) -> None:
        procs: list[ServiceProcess] = []
        if self.novajoin:
            procs += list(self.novajoin.processes.values())
        if self.nova:
            procs += list(self.nova.processes.values())
        for svc in (self.neutron, self.placement):
            if svc and svc.process:
                procs.append(svc.process)
        if self.cloud:
            procs += self.cloud.processes()
        stop_all(procs)
        if self.neutron:
            self.neutron.stop()
        if self.cloud:
            self.cloud.stop()
        self.db.drop_all()
        self.vhost.delete()


def wait_for(what: str, check: Callable[[], Any], timeout: float = 30,
             interval: float = 0.25) -> Any:
    """Poll ``check`` until it returns something true; StackError after ``timeout``."""
    return _wait_for(what, check, timeout, interval)


def pretty(obj: Any) -> str:
    return json.dumps(obj, indent=1, sort_keys=True, default=str)


ML2_DRIVER = "novajoin_bindall"


def install_ml2_driver(venv: VenvSpec) -> None:
    """Put ``ml2_bindall.py`` into neutron's venv as ML2 mechanism driver ``novajoin_bindall``.

    A module and a hand-written dist-info with its entry point (what pip would install for
    a one-module package); rewritten only when the module changed.
    """
    source = (HERE / "ml2_bindall.py").read_text()
    site = next((venv.path / "lib").glob("python3*/site-packages"))
    module = site / "novajoin_realstack_ml2.py"
    if module.exists() and module.read_text() == source:
        return
    dist = site / "novajoin_realstack_ml2-1.0.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: novajoin-realstack-ml2\n"
                                   "Version: 1.0\nSummary: test-only ML2 driver\n")
    (dist / "entry_points.txt").write_text(
        f"[neutron.ml2.mechanism_drivers]\n{ML2_DRIVER} = novajoin_realstack_ml2:BindAllDriver\n")
    (dist / "INSTALLER").write_text("novajoin-tests\n")
    (dist / "RECORD").write_text("novajoin_realstack_ml2.py,,\n"
                                 + "".join(f"{dist.name}/{n},,\n" for n in
                                           ("METADATA", "entry_points.txt", "INSTALLER",
                                            "RECORD")))
    module.write_text(source)


def join(stack: RealStack, server: dict) -> dict:
    """``vendor_data2.json``'s ``join`` entry, fetched as the instance does."""
    return stack.metadata(server)["join"]
