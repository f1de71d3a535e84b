"""1,000 boots and deletes while IPA fails, goes away, and the listener loses RabbitMQ.

Four actors run at once:

* creators (a pool of threads): do what nova's metadata service and the guest do: POST
  nova's body to novajoin-server (in-process) until it answers 200, as the guest keeps
  asking, then enroll the host with the OTP (``/ipa/fake/enroll``, what
  ``ipa-client-install -w OTP`` does);
* a publisher: nova's ``compute.instance.delete.end`` for every enrolled instance,
  through oslo.messaging's Notifier on the real RabbitMQ;
* a novajoin-notify ``Listener`` on its own topic, short requeue delays;
* an orchestrator: IPA fails 20 % of its requests throughout, is down for 30 s halfway,
  and the listener's RabbitMQ connection is cut once, after the outage.

At the end IPA holds no host of novajoin, every delete was carried out, and every OTP
handed out enrolled its host.
"""

from __future__ import annotations

import collections
import logging
import queue
import random
import re
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import oslo_messaging
import pytest

from novajoin import exception
from novajoin.domain import ownership
from novajoin.listener.service import Listener
from tests.faults.conftest import post_to_emulator, set_faults
from tests.listener import samples
from tests.support import nova_body, wait_until
from tests.support.messaging import Publisher

CYCLES = 1000
CREATORS = 16
FAILURE_RATE = 0.2
OUTAGE_S = 30.0
BUDGET_S = 300.0  # bound of the whole run, outage included (it takes about 70 s on 2 cores)


class Progress:
    """What the actors did, counted under one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: collections.Counter[int] = collections.Counter()
        self.booted = 0
        self.enrolled: dict[str, str] = {}  # instance id -> fqdn
        self.events: list[tuple[float, str]] = []

    def answered(self, status: int) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.booted += status == 200

    def note(self, what: str) -> None:
        with self.lock:
            self.events.append((time.monotonic(), what))


class AuditedDeletes(logging.Handler):
    """The instances whose delete novajoin carried out (``novajoin.audit``)."""

    _LINE = re.compile(r"operation=delete outcome=ok .*?instance=(\S+)")

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.instances: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        match = self._LINE.match(record.getMessage())
        if match:
            self.instances.add(match[1])


def metadata(i: int) -> dict[str, str]:
    """Every fourth instance also asks for a service on a sub-host (more IPA entries)."""
    md = {"ipa_enroll": "True"}
    if i % 4 == 0:
        md["compact_service_HTTP"] = '["ctl"]'
    return md


def guest_boot(api, i: int, progress: Progress, deliver, deadline: float,
               stop: threading.Event) -> None:
    """Ask novajoin until it answers with an OTP (backoff, jitter), then enroll with it."""
    body = nova_body(hostname=f"churn-{i}", metadata=metadata(i), project_id=samples.PROJECT)
    pause = 0.05
    while (resp := api.post(body)).status_int != 200:
        progress.answered(resp.status_int)
        assert resp.status_int == 503, f"{body['hostname']}: {resp.status} {resp.text}"
        assert time.monotonic() < deadline, f"{body['hostname']} never got an OTP"
        if stop.wait(pause * random.uniform(0.5, 1.0)):
            return
        pause = min(pause * 2, 1.0)
    progress.answered(200)
    answer = resp.json
    enrolled = post_to_emulator(api.fakeipa, "/ipa/fake/enroll",
                                {"fqdn": answer["hostname"], "otp": answer["ipaotp"]})
    assert enrolled.status_code == 200, f"{answer['hostname']}: {enrolled.text}"
    with progress.lock:
        progress.enrolled[body["instance-id"]] = answer["hostname"]
    deliver((body["instance-id"], body["hostname"], body["metadata"]))


def publish_deletes(nova: Publisher, deletes: queue.Queue) -> int:
    """nova's delete notification for each enrolled instance, until None."""
    sent = 0
    while (item := deletes.get(timeout=BUDGET_S)) is not None:
        instance_id, hostname, md = item
        nova.send("compute.compute-0", "compute.instance.delete.end",
                  samples.legacy_instance(instance_id, hostname, md))
        sent += 1
    return sent


def rabbitmqctl(*args: str) -> str:
    done = subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def cut_listener_connection(topic: str) -> int:
    """Close the RabbitMQ connections consuming ``topic``'s queues; how many were closed.

    Only the listener's: ``close_all_connections`` would also cut whatever else uses the
    machine's broker at the same time.
    """
    def rows(*args: str) -> list[list[str]]:
        out = rabbitmqctl(*args, "--no-table-headers")
        return [line.split("\t") for line in out.splitlines() if line.strip()]

    channels = {channel for queue_name, channel in rows("list_consumers", "queue_name",
                                                        "channel_pid")
                if queue_name.startswith(topic)}
    connections = {connection for channel, connection in rows("list_channels", "pid",
                                                              "connection")
                   if channel in channels}
    for connection in connections:
        rabbitmqctl("close_connection", connection, "novajoin fault test: cut the listener")
    return len(connections)


def orchestrate(fakeipa, progress: Progress, topic: str, deadline: float,
                stop: threading.Event) -> None:
    """IPA down for OUTAGE_S once half the instances booted; RabbitMQ cut at three quarters.

    Returns early when ``stop`` is set (a boot failed: the test is over).
    """
    def reached(n: int) -> bool:
        wait_until(lambda: progress.booted >= n or stop.is_set(), f"{n} boots",
                   deadline - time.monotonic())
        return not stop.is_set()

    if not reached(CYCLES // 2):
        return
    set_faults(fakeipa, outage=True)
    progress.note("outage on")
    stop.wait(OUTAGE_S)
    set_faults(fakeipa, outage=False)
    progress.note("outage off")
    if not reached(3 * CYCLES // 4):
        return
    assert cut_listener_connection(topic) >= 1, "the listener has no RabbitMQ connection"
    progress.note("listener connection cut")


def leftovers(admin) -> list[str] | None:
    """Hosts of novajoin or of this test in IPA; None when IPA failed to answer this time."""
    try:
        found = admin.call("host_find", all=True, sizelimit=0)["result"]
    except exception.IpaUnavailable:
        return None
    return [e["fqdn"][0] for e in found
            if ownership.read(e) is not None or e["fqdn"][0].startswith("churn-")]


@pytest.fixture
def listener_for(rabbitmq):
    """``listener_for(api, topic)``: a started novajoin-notify Listener, stopped after."""
    started = []

    def start(api, topic: str) -> Listener:
        api.conf.set_override("notifications_topic", topic)
        transport = oslo_messaging.get_notification_transport(api.conf, url=rabbitmq)
        listener = Listener(api.conf, api.core, transport=transport)
        listener.start()
        started.append(listener)
        return listener

    yield start
    for listener in started:
        listener.stop()


@pytest.fixture
def audited_deletes():
    audit = logging.getLogger("novajoin.audit")
    handler, level = AuditedDeletes(), audit.level
    audit.addHandler(handler)
    audit.setLevel(logging.INFO)
    yield handler
    audit.removeHandler(handler)
    audit.setLevel(level)


def test_churn_under_ipa_failures_outage_and_lost_connection_leaves_nothing_behind(
        make_api, fakeipa, rabbitmq, listener_for, audited_deletes):
    start = time.monotonic()
    deadline = start + BUDGET_S
    topic = "novajoin_faults_" + uuid.uuid4().hex[:12]
    api = make_api()
    # novajoin-notify is a process of its own: its own IPA client and memory.
    listener = listener_for(make_api(requeue_delay=0.05, requeue_max_delay=0.5), topic)
    nova = Publisher(rabbitmq, "nova", topic)
    progress, deletes, stop = Progress(), queue.Queue(), threading.Event()
    set_faults(fakeipa, failure_rate=FAILURE_RATE)
    pool = ThreadPoolExecutor(CREATORS + 2, thread_name_prefix="churn")
    try:
        publisher = pool.submit(publish_deletes, nova, deletes)
        orchestrator = pool.submit(orchestrate, fakeipa, progress, topic, deadline, stop)
        try:
            for boot in [pool.submit(guest_boot, api, i, progress, deletes.put, deadline, stop)
                         for i in range(CYCLES)]:
                boot.result()
            progress.note("all booted")
            orchestrator.result()
        finally:
            stop.set()  # on failure: the orchestrator, the pending and running boots end
            deletes.put(None)  # and so does the publisher
            pool.shutdown(wait=True, cancel_futures=True)
        assert publisher.result() == CYCLES
        progress.note("all deletes published")

        everyone = set(progress.enrolled)
        wait_until(lambda: everyone <= audited_deletes.instances, "every delete carried out",
                   deadline - time.monotonic())
        wait_until(lambda: leftovers(api.admin) == [], "no novajoin host left in IPA",
                   deadline - time.monotonic())
        progress.note("all deleted")
    finally:
        set_faults(fakeipa, failure_rate=0.0, outage=False)
        nova.close()

    counts = listener.counters
    # Every OTP handed out enrolled its host (guest_boot asserted each one).
    assert len(progress.enrolled) == CYCLES
    assert set(progress.statuses) <= {200, 503}, progress.statuses
    assert progress.statuses[200] == CYCLES
    # No delete lost, none dropped: handled at least once each (a message whose ack the
    # cut connection swallowed comes back and finds nothing to do), never given up on.
    assert counts.total("handled") >= CYCLES
    assert (counts.total("dead_letter"), counts.total("refused"),
            counts.total("malformed")) == (0, 0, 0)
    # The faults were felt on both paths.
    assert progress.statuses[503] > 0 and counts.total("requeued") > 0
    timeline = ", ".join(f"{what} at {t - start:.1f} s" for t, what in progress.events)
    print(f"\nchurn: {CYCLES} cycles in {time.monotonic() - start:.1f} s ({timeline}); "
          f"API answers {dict(progress.statuses)}; listener {dict(counts.by_event)}")
