"""In-process novajoin-server against a running FakeIPA."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import webob

from novajoin.api import deploy
from novajoin.ipa import IpaClient
from novajoin.ipa.auth import PasswordLogin
from novajoin.wsgi import build_services, make_conf
from tests.support import (  # noqa: F401
    ADMIN_PASSWORD,
    DOMAIN,
    PROJECT_ID,
    directory_of,
    free_port,
    least_privilege,
    nova_body,
)

# novajoin logs in to the emulator as nova/<host>, least privileged (issue 11).
fakeipa, nova_identity = least_privilege.fakeipa, least_privilege.nova_identity


@dataclass
class StaticCloud:
    """Image properties and project names for in-process tests.

    The real Glance/Keystone lookups (novajoin.openstack.Cloud) are tested
    against real services in tests/openstack; here the cloud is a table.
    """

    images: dict = field(default_factory=dict)
    projects: dict = field(default_factory=lambda: {PROJECT_ID: "Dev Team"})
    image_lookups: int = 0
    # instance id -> [(floating IP id, address, project id)], as neutron lists them
    floating: dict = field(default_factory=dict)

    def image_properties(self, image_id):
        self.image_lookups += 1
        return self.images.get(image_id)

    def project_directory(self, project_id=None):
        return directory_of(self.projects)

    def project_name(self, project_id):
        return self.projects[project_id]

    def floating_ips(self, instance_id):
        return list(self.floating.get(instance_id, ()))


class Api:
    def __init__(self, fakeipa, conf_text: str, tmp_path, cloud: StaticCloud | None = None):
        path = tmp_path / f"join-{uuid.uuid4().hex[:6]}.conf"
        path.write_text(conf_text)
        self.conf = make_conf([], config_files=[str(path)])
        # cloud="real": the real Glance/Keystone client from [service_credentials].
        self.services = build_services(self.conf, cloud=None if cloud == "real"
                                       else cloud or StaticCloud())
        self.core = self.services.core
        self.cloud = self.core.cloud
        self.app = deploy.deploy(self.services)
        self.fakeipa = fakeipa
        self.admin = IpaClient(fakeipa.json_url, PasswordLogin("admin", ADMIN_PASSWORD))

    def post(self, body, path="/v1/", headers=None) -> webob.Response:
        """POST ``body`` (a dict, or raw bytes) as nova does."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        req = webob.Request.blank(path, method="POST", body=raw,
                                  headers={"Content-Type": "application/json", **(headers or {})})
        return req.get_response(self.app)

    def get(self, path) -> webob.Response:
        return webob.Request.blank(path).get_response(self.app)

    def stats(self) -> dict:
        return requests.get(self.fakeipa.url + "/ipa/fake/stats", timeout=5).json()

    def reset_stats(self) -> None:
        requests.post(self.fakeipa.url + "/ipa/fake/stats/reset", timeout=5)

    def enroll(self, fqdn, otp) -> requests.Response:
        return requests.post(self.fakeipa.url + "/ipa/fake/enroll",
                             json={"fqdn": fqdn, "otp": otp}, timeout=5)


def conf_text(fakeipa, sections: str = "", **extra) -> str:
    """join.conf for ``fakeipa``: logged in as ``nova/<host>`` with its keytab when
    novajoin-ipa-setup has prepared the emulator (tests/support/least_privilege.py),
    else as admin with a password."""
    nova = getattr(fakeipa, "nova", None)
    login = least_privilege.login(nova) if nova else {"ipa_password": ADMIN_PASSWORD}
    settings = {
        "url": fakeipa.json_url, **login, "domain": DOMAIN,
        "auth_strategy": "noauth", "otp_secret": "test-secret-shared-by-replicas",
        "connect_retries": "0", **extra,
    }
    return "[DEFAULT]\n" + "".join(f"{k} = {v}\n" for k, v in settings.items()) + sections


@pytest.fixture
def make_api(fakeipa, tmp_path):
    made: list[Api] = []

    def make(cloud=None, sections="", **extra) -> Api:
        made.append(Api(fakeipa, conf_text(fakeipa, sections, **extra), tmp_path, cloud))
        return made[-1]
    yield make
    # Background work (a floating-IP publication retrying an outage) ends with its test,
    # not during the next one, whose log it would otherwise write into.
    for api in made:
        api.services.stop()


@pytest.fixture
def api(make_api) -> Api:
    return make_api()


def wait_healthy(url: str, proc: subprocess.Popen, log: Path, name: str,
                 timeout: float) -> None:
    """Until ``url``'s /healthcheck answers; fails with the log's tail if ``proc`` exits."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url + "/healthcheck", timeout=1)
            return
        except requests.ConnectionError:
            assert time.monotonic() < deadline, f"{name} did not come up"
            assert proc.poll() is None, f"{name} exited: {log.read_text()[-2000:]}"
            time.sleep(0.1)


@contextlib.contextmanager
def running_server(fakeipa, tmp_path, sections: str = "", **extra):
    """novajoin-server as a process on a free port; yields (base URL, process, log path)."""
    port = free_port()
    conf = tmp_path / f"join-{port}.conf"
    log = tmp_path / f"server-{port}.log"
    conf.write_text(conf_text(fakeipa, sections, join_listen="127.0.0.1", join_listen_port=port,
                              log_file=log, **extra))
    proc = subprocess.Popen([Path(sys.executable).parent / "novajoin-server",
                             "--config-file", conf])
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log, "novajoin-server", 30)
        yield url, proc, log
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=40)


def keystone_sections(creds) -> str:
    """[keystone_authtoken] and [service_credentials] for novajoin's own service user."""
    options = creds.auth_options()
    body = "".join(f"{k} = {v}\n" for k, v in options.items())
    return (f"[keystone_authtoken]\nwww_authenticate_uri = {creds.auth_url}\n{body}"
            f"[service_credentials]\n{body}")


@pytest.fixture(scope="module")
def novajoin_user(keystone):
    # novajoin's own service user: it validates nova's tokens and, like nova's service user
    # in most deployments, reads every project's images (Glance lets only admin do that).
    return keystone.new_user("novajoin-" + uuid.uuid4().hex[:6], "service", ["admin"])
