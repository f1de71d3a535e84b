"""The periodic reconciliation inside a started novajoin-notify listener."""

from __future__ import annotations

import time

import oslo_messaging
import pytest

from novajoin.listener.service import Listener
from tests.reconcile.helpers import boot, exists
from tests.support import DOMAIN

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning:openstack",
                                        "ignore::DeprecationWarning:openstack")


def wait_for(condition, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def start_listener(api):
    listeners = []

    def start(**overrides) -> Listener:
        for k, v in overrides.items():
            api.conf.set_override(k, v)
        # No broker needed: the reconciliation does not depend on notifications.
        transport = oslo_messaging.get_notification_transport(api.conf, url="fake://")
        listener = Listener(api.conf, api.core, transport=transport)
        listener.start()
        listeners.append(listener)
        return listener

    yield start
    for listener in listeners:
        listener.stop()


def test_off_by_default(api, start_listener):
    assert start_listener().reconciler is None


def test_report_only_counts_and_changes_nothing(api, nova, start_listener):
    gone = boot(api, nova, "lost")
    nova.remove(gone)
    listener = start_listener(reconcile_interval=1)
    found = ("reconcile.orphan_host", "found")
    wait_for(lambda: listener.counters.by_event[found] >= 2, "two periodic runs")
    assert listener.counters.by_event[("reconcile", "complete")] >= 2
    assert exists(api, f"lost.{DOMAIN}")
    assert listener.counters.by_event[("reconcile.orphan_host", "fixed")] == 0


def test_applying_fixes_orphans_and_counts_them(api, nova, start_listener):
    boot(api, nova, "kept")
    gone = boot(api, nova, "lost")
    nova.remove(gone)
    listener = start_listener(reconcile_interval=1, reconcile_apply=True)
    wait_for(lambda: listener.counters.by_event[("reconcile.orphan_host", "fixed")] == 1,
             "the orphan fixed")
    assert not exists(api, f"lost.{DOMAIN}") and exists(api, f"kept.{DOMAIN}")
    wait_for(lambda: listener.counters.by_event[("reconcile", "complete")] >= 2,
             "a run after the fix")
    assert listener.counters.by_event[("reconcile.orphan_host", "found")] == 1


def test_an_incomplete_listing_is_counted_and_nothing_is_fixed(api, nova, start_listener):
    gone = boot(api, nova, "lost")
    nova.remove(gone)
    nova.fail_after_pages = 0
    listener = start_listener(reconcile_interval=1, reconcile_apply=True)
    wait_for(lambda: listener.counters.by_event[("reconcile", "incomplete")] >= 1,
             "an incomplete run")
    assert exists(api, f"lost.{DOMAIN}")
    assert listener.counters.by_event[("reconcile.orphan_host", "withheld")] >= 1


def test_stop_interrupts_a_run(api, nova, start_listener):
    listener = start_listener(reconcile_interval=1)
    wait_for(lambda: listener.counters.by_event[("reconcile", "complete")] >= 1, "a run")
    started = time.monotonic()
    listener.reconciler.stop()  # what Listener.stop() does first
    assert time.monotonic() - started < 5
    assert not listener.reconciler._thread.is_alive()
