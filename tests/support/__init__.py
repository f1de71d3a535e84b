"""Helpers every test tier shares: the test realm's names, waiting, ports, nova's request body.

Test modules import helpers from here, never from one another or from a conftest.
"""

from __future__ import annotations

import os
import socket
import time
import uuid

import pytest

REALM = "NOVAJOIN.TEST"
DOMAIN = "novajoin.test"
ADMIN_PASSWORD = "Secret.admin-123"
PROJECT_ID = "4969c491a3c74ee4af974e6d800c62de"
WAIT = 30  # seconds any expected outcome may take to show


def require(condition: bool, what: str) -> None:
    """Skip (developer) or fail (CI) when a service the test needs is missing."""
    if condition:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"required service missing in CI: {what}")
    pytest.skip(f"service missing: {what}")


def wait_until(condition, what: str, timeout: float = WAIT) -> None:
    """Poll ``condition`` until it is true; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.05)


def port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nova_body(hostname="web-01", metadata=None, instance_id=None, image_id="",
              project_id=PROJECT_ID) -> dict:
    """A body exactly as nova's DynamicJSON provider sends it."""
    return {"project-id": project_id, "instance-id": instance_id or str(uuid.uuid4()),
            "image-id": image_id, "user-data": None, "hostname": hostname,
            "metadata": {"ipa_enroll": "True"} if metadata is None else metadata,
            "boot-roles": "reader,member"}


def host_entry(api, fqdn: str) -> dict | None:
    """The host's entry as IPA's admin sees it (``host_show``), or None when it does not exist."""
    from novajoin import exception

    try:
        return api.admin.call("host_show", fqdn)["result"]
    except exception.IpaNotFound:
        return None


def host_exists(api, fqdn: str) -> bool:
    return host_entry(api, fqdn) is not None


def directory_of(projects: dict, domain: str = "Default"):
    """Keystone's project listing for a fake cloud: ``{id: name}``, or ``{id: (name,
    domain)}``, as :meth:`novajoin.openstack.Cloud.project_directory` gives it."""
    from novajoin.domain.projects import Directory, Project

    return Directory(Project(i, *(v if isinstance(v, tuple) else (v, domain)))
                     for i, v in projects.items())
