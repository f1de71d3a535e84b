"""IPA slower than ``ipa_timeout``: nova gets a 503 at once, and IPA's late work is sound.

The emulator, like IPA, finishes a request its client gave up on: the host of the
abandoned batch appears later. It must carry its owner tag (no half-written host), and
nova's next request must find it as the instance's own and answer the same OTP.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from novajoin.api.readiness import Readiness
from novajoin.domain import ownership
from tests.faults.conftest import set_faults
from tests.support import nova_body, wait_until

LATENCY_MS = 4000
IPA_TIMEOUT = 0.5


def hosts_of(api, instance_id: str) -> dict[str, ownership.Owner | None]:
    found = api.admin.call("host_find", all=True, sizelimit=0)["result"]
    return {e["fqdn"][0]: ownership.read(e) for e in found
            if e["fqdn"][0].startswith(("slow.", "slow-ctl."))
            or (ownership.read(e) and ownership.read(e).instance_id == instance_id)}


def test_a_latency_spike_is_503_at_once_and_leaves_no_half_written_host(make_api, fakeipa):
    api = make_api(ipa_timeout=IPA_TIMEOUT)
    assert api.post(nova_body(hostname="warm")).status_int == 200  # realm known, logged in
    body = nova_body(hostname="slow", metadata={"ipa_enroll": "True",
                                                "compact_service_HTTP": '["ctl"]'})
    iid = body["instance-id"]

    set_faults(fakeipa, latency_ms=LATENCY_MS)
    try:
        start = time.monotonic()
        resp = api.post(body)
        waited = time.monotonic() - start
    finally:
        set_faults(fakeipa, latency_ms=0)
    assert resp.status_int == 503
    assert resp.json["errors"][0]["code"] == "novajoin.ipa.unavailable"
    # Well before IPA's answer would have come: novajoin did not wait it out.
    assert waited < LATENCY_MS / 1000 / 2

    # IPA carries the abandoned batch out late: every entry it wrote names its owner.
    wait_until(lambda: len(hosts_of(api, iid)) == 2, "the abandoned batch to land",
               LATENCY_MS / 1000 + 10)
    hosts = hosts_of(api, iid)
    assert all(owner is not None and owner.instance_id == iid for owner in hosts.values()), \
        hosts

    # nova asks again, through this process and another one: the host is the instance's
    # own, so both answer, with the same OTP, and the guest enrolls with it.
    again = api.post(body)
    assert again.status_int == 200, again.json
    other = make_api().post(body)
    assert other.status_int == 200 and other.json == again.json
    enrolled = api.enroll(again.json["hostname"], again.json["ipaotp"])
    assert enrolled.status_code == 200, enrolled.text


class CountingIpa:
    """The process's IPA client, counting the pings /ready sends through it."""

    def __init__(self, ipa) -> None:
        self.ipa, self.pings = ipa, 0

    def ping(self) -> str:
        self.pings += 1
        return self.ipa.ping()


def test_concurrent_ready_probes_during_a_latency_spike_ask_ipa_once(make_api, fakeipa):
    # The defaults' proportions, scaled down: ipa_timeout (60 s) longer than the ttl (5 s).
    api = make_api(ipa_timeout=0.6)
    ipa = CountingIpa(api.core.ipa)
    ready = Readiness(ipa, ttl=0.3)
    assert ready.check()[0]  # logged in; IPA answers
    time.sleep(0.3)  # that answer expired
    probes, barrier = 4, threading.Barrier(4)

    def probe(_) -> bool:
        barrier.wait()
        return ready.check()[0]

    set_faults(fakeipa, latency_ms=2000)
    try:
        with ThreadPoolExecutor(probes) as pool:
            answers = list(pool.map(probe, range(probes)))
    finally:
        set_faults(fakeipa, latency_ms=0)
    # One probe asks IPA (and learns it is not ready); the others do not queue behind it:
    # they get the last answer at once.
    assert sorted(answers) == [False, True, True, True]
    assert ipa.pings == 1 + 1  # the warm-up's, and one for the probes that came together
    assert ready.check()[0] is False  # the new answer, remembered
