"""The realstack tier's fixtures: one real OpenStack for the session (see ``stack.py``).

Every test here is marked ``realstack`` (``pytest -m realstack`` runs the tier alone,
``-m "not realstack"`` everything else). A service that cannot be had (MariaDB, RabbitMQ, a
virtualenv from PyPI) skips the tier on a developer machine and fails it in CI; a service
that is there but fails to start is an error naming it, with its log's tail. A failing test
gets the tails of the logs of novajoin and of the nova services in its report.
"""

from __future__ import annotations

import secrets
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.openstack.services import VENVS, InstallError, VenvSpec, ensure_venv, log_tail
from tests.realstack.stack import RealStack, install_ml2_driver

HERE = Path(__file__).resolve().parent
VENV_NAMES = ("keystone", "glance", "nova-services", "placement", "neutron")
# Logs shown under a failing test, in this order (the others are in the stack's workdir).
REPORT_LOGS = ("novajoin-server", "novajoin-notify", "nova-api", "nova-metadata",
               "nova-compute", "nova-conductor", "neutron-api", "fakeipa")
_STACK: list[RealStack] = []
TIMINGS: dict[str, float] = {}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).is_relative_to(HERE):
            item.add_marker(pytest.mark.realstack)


@pytest.fixture(scope="session")
def realstack_venvs(tmp_path_factory) -> dict[str, VenvSpec]:
    """The five service virtualenvs, built (in three lines, 2 cores) when missing or stale."""
    from tests.conftest import require

    log_dir = tmp_path_factory.mktemp("realstack-install")
    results: dict[str, VenvSpec | InstallError] = {}
    t0 = time.monotonic()

    def build(names: tuple[str, ...]) -> None:
        for name in names:
            try:
                results[name] = ensure_venv(VENVS[name], log_dir)
            except InstallError as exc:
                results[name] = exc

    with ThreadPoolExecutor(3) as pool:
        list(pool.map(build, [("keystone", "glance"), ("nova-services",),
                              ("placement", "neutron")]))
    TIMINGS["venvs"] = round(time.monotonic() - t0, 1)
    for name in VENV_NAMES:
        require(not isinstance(results[name], InstallError),
                f"{name} virtualenv from PyPI: {results[name]}")
    install_ml2_driver(results["neutron"])
    return results  # type: ignore[return-value]


@pytest.fixture(scope="session")
def realstack(realstack_venvs, rabbitmq, krb_realm, tmp_path_factory) -> Iterator[RealStack]:
    """Keystone, Glance, placement, neutron, nova, FakeIPA, novajoin-server and -notify."""
    from tests.conftest import require

    stack = RealStack(tmp_path_factory.mktemp("realstack"), realstack_venvs,
                      krb_realm=krb_realm)
    if not stack.db.available():
        _start_mariadb()
    require(stack.db.available(), "MariaDB on 127.0.0.1:3306 (root, no password)")
    require(shutil.which("rabbitmqctl") is not None or Path("/usr/sbin/rabbitmqctl").exists(),
            "rabbitmqctl (Debian rabbitmq-server) for the tier's virtual host")
    stack.start()
    TIMINGS.update({f"start: {k}": v for k, v in stack.timings.items()})
    _STACK.append(stack)
    try:
        yield stack
    finally:
        _STACK.remove(stack)
        stack.stop()


def _start_mariadb() -> None:
    """Start the machine's MariaDB if it is installed but stopped (as the rabbitmq fixture)."""
    import subprocess

    if shutil.which("service"):
        subprocess.run(["service", "mariadb", "start"], check=False, timeout=120,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    from tests.realstack.stack import MariaDB

    while time.monotonic() < deadline and not MariaDB().available():
        time.sleep(1)


@pytest.fixture
def name() -> str:
    """A host name nobody used yet in this session."""
    return f"rs-{secrets.token_hex(3)}"


@pytest.fixture
def servers(realstack) -> Iterator[list[dict]]:
    """Servers a test appends here are deleted after it (if still there)."""
    created: list[dict] = []
    yield created
    deleting = []
    for server in created:
        try:
            if realstack.show(server["id"]) is not None:
                realstack.delete(server["id"], wait=False)
                deleting.append(server["id"])
        except Exception:  # noqa: BLE001 - cleanup must not hide the test's own failure
            pass
    # Gone before the next test (and before a network they are on is deleted).
    deadline = time.monotonic() + 60
    while deleting and time.monotonic() < deadline:
        deleting = [s for s in deleting if realstack.show(s) is not None]
        time.sleep(0.5)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed and _STACK and "realstack" in getattr(item, "fixturenames", ()):
        logs = _STACK[0].logs()
        for service in REPORT_LOGS:
            if service in logs:
                report.sections.append((f"{service} log (last 25 lines of {logs[service]})",
                                        log_tail(logs[service], 25)))
    return report


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        terminalreporter.write_line("realstack timings (s): " + ", ".join(
            f"{k} {v}" for k, v in TIMINGS.items()))
