"""batch, ping, env and the request/command statistics."""

from __future__ import annotations

import pytest
import requests

from tests.fakeipa.conftest import Rpc
from tests.support import DOMAIN, REALM

FQDN = "web.novajoin.test"


def stats(server) -> dict:
    return requests.get(server.url + "/ipa/fake/stats", timeout=5).json()


def test_ping(ipa):
    assert ipa("ping") == {"summary": "IPA server version 4.13.1. API version 2.257"}


def test_env(ipa):
    one = ipa("env", "api_version", version="2.0")
    assert one["result"] == {"api_version": "2.257"}
    assert (one["count"], one["summary"]) == (1, None)
    assert one["total"] >= 20
    several = ipa("env", ["realm", "domain", "nothing"])
    assert several["result"] == {"realm": REALM, "domain": DOMAIN}
    assert several["summary"] == "2 variables"
    wild = ipa("env", "*_uri")
    assert set(wild["result"]) == {"xmlrpc_uri", "jsonrpc_uri"}
    assert ipa("env")["count"] == one["total"]


@pytest.mark.parametrize("shape", ["one list argument", "arguments"])
def test_batch_runs_every_member_and_reports_failures_in_place(ipa, shape):
    methods = [
        {"method": "host_add", "params": [[FQDN], {"force": True}]},
        {"method": "host_show/1", "params": [["missing.novajoin.test"], {}]},
        {"method": "no_such_command", "params": [[], {}]},
        {"params": [[], {}]},
        {"method": "host_show", "params": "bad"},
        {"method": "host_show", "params": [[FQDN], {}]},
    ]
    args = [methods] if shape == "one list argument" else methods
    result = ipa("batch", *args)
    assert set(result) == {"count", "results"} and result["count"] == 6
    added, missing, unknown, no_method, bad_params, shown = result["results"]
    assert added["error"] is None and added["value"] == FQDN
    assert set(added) == {"result", "value", "summary", "error"}
    assert missing == {"error": "missing.novajoin.test: host not found", "error_code": 4001,
                       "error_name": "NotFound",
                       "error_kw": {"reason": "missing.novajoin.test: host not found"}}
    assert (unknown["error_code"], unknown["error_name"]) == (905, "CommandError")
    assert no_method == {"error": "'method' is required", "error_code": 3007,
                         "error_name": "RequirementError", "error_kw": {"name": "method"}}
    assert bad_params["error"] == "invalid 'params': must contain a tuple (list, dict)"
    assert shown["error"] is None and shown["result"]["fqdn"] == [FQDN]


def test_batch_members_inherit_the_batch_version(fakeipa):
    ipa = Rpc(fakeipa, version="2.229")
    result = ipa("batch", [{"method": "dnszone_show", "params": [["novajoin.test"], {}]},
                           {"method": "ping", "params": [[], {}]}])
    zone, ping = result["results"]
    assert zone["value"] == {"__dns_name__": "novajoin.test."}
    assert "messages" not in ping
    # A member's own version is respected, and a bad one fails only that member.
    bad = ipa("batch", [{"method": "ping", "params": [[], {"version": "3.0"}]}])["results"][0]
    assert bad["error_code"] == 901


def test_batch_without_version_warns_once(fakeipa):
    result = Rpc(fakeipa, version=None)("batch", [{"method": "ping", "params": [[], {}]}])
    assert [m["code"] for m in result["messages"]] == [13001]
    assert "messages" not in result["results"][0]


def test_batch_keeponly_trims_results(ipa):
    ipa("host_add", FQDN, force=True)
    shown = ipa("batch", [{"method": "host_show", "params": [[FQDN], {}]}],
                keeponly=["fqdn", "has_keytab"])["results"][0]
    assert shown["result"] == {"fqdn": [FQDN], "has_keytab": False}


def test_stats_count_requests_and_every_batch_member(fakeipa, ipa):
    requests.post(fakeipa.url + "/ipa/fake/stats/reset", timeout=5)
    ipa("ping")
    ipa("batch", [{"method": "host_show", "params": [["a.novajoin.test"], {}]},
                  {"method": "host_show/1", "params": [["b.novajoin.test"], {}]},
                  {"method": "ping", "params": [[], {}]}])
    ipa.error("schema")
    counted = stats(fakeipa)
    assert counted["http_requests"] == 3
    assert counted["commands"] == {"ping": 2, "batch": 1, "host_show": 2, "schema": 1}
    reset = requests.post(fakeipa.url + "/ipa/fake/stats/reset", timeout=5).json()
    assert (reset["http_requests"], reset["commands"]) == (0, {})
    assert requests.post(fakeipa.url + "/ipa/fake/stats", timeout=5).status_code == 405
