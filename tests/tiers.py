"""Test tiers, given to each test by what it needs (a pytest plugin of the suite).

* ``unit`` — pure: no fixture of the suite's own, no service; seconds in all.
* ``functional`` — the API, the listener's use cases and the emulator, in process.
* ``integration`` — real services: the KDC, RabbitMQ, Redis, Keystone, Glance,
  nova's code, cloud-init, the official ipalib client, systemd tools.
* ``soak`` — churn, outages and fuzzing (``tests/faults``, ``tests/fuzz``).
* ``realstack`` — a whole nova + neutron + placement around novajoin.

``tools/run-tests.sh --fast`` runs unit and functional; the test command runs all.
A test is placed by its folder, then by the fixtures it uses (also indirectly):
a test that starts using a service moves to ``integration`` by itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

TIERS = ("unit", "functional", "integration", "soak", "realstack")

SERVICE_FIXTURES = frozenset({
    "krb_realm", "rabbitmq", "redis_server", "openstack_venvs", "openstack_cloud", "keystone",
    "glance", "glance_image", "run_nova_vendordata", "make_guest", "guest_pythons", "drive",
    "novajoin_user", "nova_service", "reconcile_user"})
FOLDERS = {"faults": "soak", "fuzz": "soak", "realstack": "realstack", "cloudinit": "integration",
           "openstack": "integration"}
# Tests that run a real system tool without a fixture for it.
INTEGRATION_MODULES = frozenset({"test_packaging.py"})
HERE = Path(__file__).resolve().parent


def tier(item: pytest.Item) -> str:
    path = Path(str(item.fspath)).resolve()
    rel = path.relative_to(HERE)
    if len(rel.parts) > 1 and rel.parts[0] in FOLDERS:
        return FOLDERS[rel.parts[0]]
    names = set(getattr(item, "fixturenames", ()))
    if names & SERVICE_FIXTURES or rel.name in INTEGRATION_MODULES:
        return "integration"
    info = getattr(item, "_fixtureinfo", None)
    ours = [d for defs in (info.name2fixturedefs.values() if info else ()) for d in defs
            if _is_ours(d)]
    return "functional" if ours else "unit"


def _is_ours(fixturedef) -> bool:
    func = getattr(fixturedef, "func", None)
    module = getattr(func, "__module__", "") or ""
    return module == "tests" or module.startswith("tests.")


def pytest_configure(config: pytest.Config) -> None:
    for name in TIERS:
        config.addinivalue_line("markers", f"{name}: the {name} test tier (tests/tiers.py)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(getattr(pytest.mark, tier(item)))
