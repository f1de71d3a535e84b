"""Fault injection: what novajoin does when IPA, RabbitMQ, Keystone or the cache misbehave.

Every test here is bounded: waits poll a condition until a deadline, never sleep for a
fixed time and then assert; every thread, process and listener a test starts is stopped
by the test itself.
"""

from __future__ import annotations

import time

import requests

from tests.api.conftest import make_api, novajoin_user  # noqa: F401 - fixtures, shared
from tests.support import least_privilege

# novajoin logs in to the emulator as nova/<host>, least privileged (issue 11).
fakeipa, nova_identity = least_privilege.fakeipa, least_privilege.nova_identity


def post_to_emulator(fakeipa, path: str, body: dict, attempts: int = 5) -> requests.Response:
    """POST to one of the emulator's own endpoints, again when the connection was reset.

    The in-process emulator (cheroot's defaults) keeps at most 10 idle connections and
    listens with a backlog of 5: under the churn test's load the kernel resets some new
    connections before the emulator reads them, so nothing was done and trying again is
    safe. An answer, whatever its status, is returned as it is.
    """
    for attempt in range(1, attempts + 1):
        try:
            return requests.post(fakeipa.url + path, json=body, timeout=30)
        except requests.ConnectionError:
            if attempt == attempts:
                raise
            time.sleep(0.1 * 2 ** attempt)


def set_faults(fakeipa, **faults) -> None:
    """``latency_ms``, ``failure_rate``, ``outage`` of the FreeIPA emulator."""
    resp = post_to_emulator(fakeipa, "/ipa/fake/faults", faults)
    assert resp.status_code == 200, resp.text
