"""``ipa_host_location`` is the tenant's text in an IPA attribute and operators' logs (issue 18).

Over 255 characters, or with control characters (newlines that forge log lines, terminal
escapes), it is refused with 400 before any IPA call; at the limit it is stored as is.
"""

from __future__ import annotations

import pytest

from tests.fuzz.ipa_watch import entry, tagged_hosts
from tests.support import nova_body


def boot(api, location):
    body = nova_body(hostname="located",
                     metadata={"ipa_enroll": "True", "ipa_host_location": location})
    return body, api.post(body)


@pytest.mark.parametrize("location", [
    "x" * 256,
    "rack 7\nAUDIT operation=delete outcome=ok",
    "rack\t7",
    "rack\x007",
    "\x1b[2Jcleared",
    "rack\x7f",
])
def test_a_bad_location_is_400_before_any_ipa_write(api, watch, location):
    watch.writes_since_last()
    body, resp = boot(api, location)
    assert resp.status_int == 400, resp.json
    error = resp.json["errors"][0]
    assert error["code"] == "novajoin.name.invalid"
    assert "ipa_host_location" in error["detail"]
    assert "at most 255 characters" in error["detail"]
    assert not watch.writes_since_last()
    assert tagged_hosts(api.admin, body["instance-id"]) == []


def test_a_location_at_the_limit_is_stored(api):
    location = "Salle 7, étage 2 " + "x" * (255 - 17)
    assert len(location) == 255
    body, resp = boot(api, location)
    assert resp.status_int == 200, resp.json
    assert entry(api.admin, "host", resp.json["hostname"])["nshostlocation"] == [location]
