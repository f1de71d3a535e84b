"""Injected faults (latency, random 503s, outage) and request concurrency."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.fakeipa.conftest import Rpc, referer
from tests.support import ADMIN_PASSWORD

PING = {"method": "ping", "params": [[], {"version": "2.229"}]}


def faults(server, **changes) -> requests.Response:
    if changes:
        return requests.post(server.url + "/ipa/fake/faults", json=changes, timeout=5)
    return requests.get(server.url + "/ipa/fake/faults", timeout=5)


def test_latency_overlaps_between_concurrent_clients(fakeipa_factory):
    server = fakeipa_factory(latency_ms=200)
    clients = 8

    def ping(_):
        started = time.monotonic()
        response = Rpc(server).post(PING)
        return response.status_code, time.monotonic() - started

    started = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        answers = list(pool.map(ping, range(clients)))
    wall = time.monotonic() - started
    assert [status for status, _ in answers] == [200] * clients
    assert min(elapsed for _, elapsed in answers) >= 0.2  # the latency was applied
    assert wall < clients * 0.2 / 2  # ...but not one request after the other
    stats = requests.get(server.url + "/ipa/fake/stats", timeout=5).json()
    assert stats["max_in_flight"] >= 2


def test_failure_rate(fakeipa_factory):
    server = fakeipa_factory(failure_rate=1.0)
    rpc = Rpc(server)
    assert rpc.post(PING).status_code == 503
    assert faults(server, failure_rate=0.5).json()["failure_rate"] == 0.5
    statuses = {rpc.post(PING).status_code for _ in range(40)}
    assert statuses == {200, 503}
    faults(server, failure_rate=0)
    assert rpc.post(PING).status_code == 200


def test_outage_stops_json_rpc_and_logins_until_cleared(fakeipa, ipa):
    ipa("host_add", "vm1.novajoin.test", userpassword="otp", force=True)
    assert faults(fakeipa, outage=True).json() == {
        "latency_ms": 0, "failure_rate": 0.0, "outage": True, "commands": {}}
    assert ipa.post(PING).status_code == 503
    login = requests.post(fakeipa.url + "/ipa/session/login_password",
                          data={"user": "admin", "password": ADMIN_PASSWORD},
                          headers={"Referer": referer(fakeipa.url)}, timeout=5)
    assert login.status_code == 503
    # The emulator's own endpoints keep working (a VM can still enrol).
    enrolled = requests.post(fakeipa.url + "/ipa/fake/enroll",
                             json={"fqdn": "vm1.novajoin.test", "otp": "otp"}, timeout=5)
    assert enrolled.status_code == 200
    assert faults(fakeipa).json()["outage"] is True
    faults(fakeipa, outage=False)
    assert ipa.post(PING).status_code == 200


def test_fault_settings_are_validated(fakeipa):
    for bad in ({"latency_ms": -1}, {"latency_ms": "slow"}, {"failure_rate": 2},
                {"outage": "yes"}, {"color": "red"}, {"commands": ["host_del"]},
                {"commands": {"host_del": 1234}}, {"commands": {"host_del": "4301"}}):
        response = faults(fakeipa, **bad)
        assert response.status_code == 400, bad
        assert response.json()["reason"]
    assert requests.post(fakeipa.url + "/ipa/fake/faults", data="[1]",
                         timeout=5).status_code == 400
    assert faults(fakeipa).json() == {"latency_ms": 0, "failure_rate": 0.0, "outage": False,
                                      "commands": {}}
