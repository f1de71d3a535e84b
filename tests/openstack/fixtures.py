"""Session-scoped pytest fixtures: real Keystone and Glance, and nova's vendordata client.

``tests/conftest.py`` imports them (and the report hook) by name::

    from tests.openstack.fixtures import (  # noqa: F401
        glance, glance_image, keystone, openstack_cloud, openstack_venvs,
        pytest_runtest_makereport, run_nova_vendordata)

Installing is ``require``-d: without a registry a test skips on a developer machine and
fails in CI. A service that is installed but fails to start is an error either way, with
its log's tail in the message.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.openstack.services import (
    VENVS,
    Cloud,
    Glance,
    InstallError,
    Keystone,
    NovaVendordata,
    VenvSpec,
    ensure_venv,
    log_tail,
)

# Logs to append to the report of a failing test that used these services (name -> path
# getter, since nova's log is per call).
_LOGS: dict[str, Callable[[], Path]] = {}
_FIXTURES = {"openstack_cloud", "keystone", "glance", "glance_image", "run_nova_vendordata"}


def _need(venvs: dict[str, VenvSpec | InstallError], name: str) -> VenvSpec:
    from tests.conftest import require  # here, not at the top: conftest imports this module

    got = venvs[name]
    require(not isinstance(got, InstallError), f"{name} virtualenv from PyPI: {got}")
    assert isinstance(got, VenvSpec)
    return got


@pytest.fixture(scope="session")
def openstack_venvs(tmp_path_factory) -> dict[str, VenvSpec | InstallError]:
    """``.venv-keystone``, ``.venv-glance`` and ``.venv-nova``, built if missing or stale.

    Keystone then Glance in one thread (Glance reuses the uWSGI wheel Keystone's install
    compiled and cached), nova beside them. An install that fails is returned as its
    InstallError so that only the tests needing that service skip (or fail in CI).
    """
    log_dir = tmp_path_factory.mktemp("openstack-install")
    results: dict[str, VenvSpec | InstallError] = {}

    def build(names: tuple[str, ...]) -> None:
        for name in names:
            try:
                results[name] = ensure_venv(VENVS[name], log_dir)
            except InstallError as exc:
                results[name] = exc

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(build, [("keystone", "glance"), ("nova",)]))
    return results


@pytest.fixture(scope="session")
def openstack_cloud(openstack_venvs, tmp_path_factory) -> Iterator[Cloud]:
    """Keystone and Glance started together (overlapping their slow setup steps).

    Glance is ``None`` when its virtualenv could not be installed; the ``glance`` fixture
    then skips (or fails in CI). Everything is killed at the end of the session.
    """
    from tests.conftest import require

    require(importlib.util.find_spec("keystoneauth1") is not None
            and importlib.util.find_spec("openstack") is not None,
            "keystoneauth1 and openstacksdk in the project's virtualenv")
    keystone_venv = _need(openstack_venvs, "keystone")
    glance_venv = openstack_venvs["glance"]
    workdir = tmp_path_factory.mktemp("openstack")
    cloud = Cloud.start(workdir, keystone_venv,
                        glance_venv if isinstance(glance_venv, VenvSpec) else None)
    _LOGS["keystone"] = lambda: cloud.keystone.log
    if cloud.glance is not None:
        _LOGS["glance"] = lambda: cloud.glance.log
    try:
        yield cloud
    finally:
        cloud.stop()
        _LOGS.pop("keystone", None)
        _LOGS.pop("glance", None)


@pytest.fixture(scope="session")
def keystone(openstack_cloud) -> Keystone:
    """Real Keystone: ``.admin``, ``.nova`` (role service on project service), ``.member``
    (role member on project demo) credentials, ``.auth_url``, ``.validate_token()``..."""
    return openstack_cloud.keystone


@pytest.fixture(scope="session")
def glance(openstack_cloud, openstack_venvs) -> Glance:
    """Real Glance in Keystone's catalog as ``image``; ``.create_image()``/``.delete_image()``."""
    from tests.conftest import require

    require(openstack_cloud.glance is not None,
            f"glance virtualenv from PyPI: {openstack_venvs['glance']}")
    return openstack_cloud.glance


@pytest.fixture
def glance_image(glance) -> Iterator[Callable[..., str]]:
    """``glance_image(properties, **kwargs) -> image_id``; deleted after the test.

    ``kwargs`` go to ``Glance.create_image`` (``name``, ``project``, ``visibility``,
    ``data``...).
    """
    created: list[str] = []

    def create(properties: dict[str, str] | None = None, **kwargs) -> str:
        image_id = glance.create_image(properties, **kwargs)
        created.append(image_id)
        return image_id

    yield create
    for image_id in created:
        glance.delete_image(image_id)


@pytest.fixture(scope="session")
def run_nova_vendordata(openstack_venvs, tmp_path_factory) -> Iterator[NovaVendordata]:
    """``run_nova_vendordata(target_url, keystone_creds, instance_fields) -> dict``.

    nova's own ``DynamicVendorData(instance).get()`` from ``.venv-nova``; see
    ``NovaVendordata.__call__`` for the keyword options (TLS CA file, timeouts,
    failure_fatal, extra config).
    """
    helper = NovaVendordata(_need(openstack_venvs, "nova"),
                            tmp_path_factory.mktemp("nova-vendordata"))
    helper.start()  # from the main thread, which outlives the worker
    _LOGS["nova (last call)"] = lambda: helper.last_log_path
    try:
        yield helper
    finally:
        helper.close()
        _LOGS.pop("nova (last call)", None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Append the services' log tails to the report of a failing test that used them."""
    report = yield
    if report.failed and _FIXTURES & set(getattr(item, "fixturenames", ())):
        for name, get_path in list(_LOGS.items()):
            path = get_path()
            if path is None:
                continue
            report.sections.append((f"{name} log (last 60 lines of {path})",
                                    log_tail(path, 60)))
    return report
