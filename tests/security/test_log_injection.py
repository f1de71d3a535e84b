"""Security round 2, item 8 (issue 12): log injection before authentication.

``GET /x%0a<forged line>`` without a token wrote a forged, audit-looking line into
novajoin-server's log. Every caller- or tenant-controlled value is now escaped: each
record stays one line whatever the path, host name, metadata or request id holds.
"""

from __future__ import annotations

import logging

import requests

from novajoin import logsafe
from tests.api.conftest import running_server
from tests.support import nova_body

FORGED = "operation=delete outcome=ok request=req-1 instance=victim fqdn=victim.example"


def test_a_forged_line_in_the_path_stays_in_its_own_record(fakeipa, tmp_path):
    with running_server(fakeipa, tmp_path, auth_strategy="noauth") as (url, _proc, log):
        for path in ("/x%0a" + FORGED, "/x%0d%0a" + FORGED, "/x%e2%80%a8" + FORGED):
            requests.get(url + path, timeout=10)
        requests.post(url + "/v1/", json=nova_body(hostname="ok", metadata={
            "ipa_enroll": "True", "ipa_host_location": "a\n" + FORGED}), timeout=10)
    lines = log.read_text().splitlines()
    assert [line for line in lines if line.startswith(FORGED)] == []
    assert any("\\n" + FORGED in line for line in lines)  # still visible, escaped


def test_escape_covers_every_line_breaking_character():
    for char in "\n\r\x0b\x0c\x1b\x85\u2028\u2029\x00":
        assert len(logsafe.escape(f"a{char}b").splitlines()) == 1
    assert logsafe.escape("plain text") == "plain text"


def test_records_of_any_logger_are_made_safe(caplog):
    logsafe.install()
    logsafe.install()  # idempotent
    with caplog.at_level(logging.INFO, logger="somelibrary"):
        logging.getLogger("somelibrary").info("path %s", "/x\nforged")
        logging.getLogger("somelibrary").info("%(p)s", {"p": "y\rforged"})
        logging.getLogger("somelibrary").info("error: %s", ValueError("a\nb"))
    assert [r.getMessage() for r in caplog.records] == [
        "path /x\\nforged", "y\\rforged", "error: a\\nb"]
