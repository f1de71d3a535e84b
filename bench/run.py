"""novajoin's benchmarks: one JSON object per scenario and system on stdout.

    tools/bench.sh                       # every scenario
    tools/bench.sh first_boot_8_services # some
    tools/bench.sh --system novajoin     # this project only (no novajoin 1.3.0)
    tools/bench.sh --server uwsgi        # this project's API under uWSGI, not novajoin-server

Each scenario starts what it needs on this machine as separate processes
(FakeIPA with a fixed latency per request, novajoin-server, novajoin-notify,
Keystone, Redis, RabbitMQ), drives it, and reports at least ``scenario``,
``n``, ``p50_ms``, ``p99_ms``, ``throughput_per_s``, ``ipa_round_trips_per_op``
(from FakeIPA's /ipa/fake/stats), the emulator latency, its target and
whether it was met. Progress goes to stderr.

Every row names its ``system``: ``novajoin`` (this project) or ``novajoin-1.3.0``
(the last release of the original, from PyPI in ``.venv-novajoin13``, started by
``bench/legacy/launch.py`` with the shims listed in doc/performance.md). Where a
scenario runs both, on the same emulator, a row with ``system``
``novajoin-1.3.0/novajoin`` follows with the ratios of their figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REALM, DOMAIN = "BENCH.TEST", "bench.test"
ADMIN_PASSWORD = "Bench.admin-" + secrets.token_hex(4)
RABBIT = os.environ.get("NOVAJOIN_BENCH_TRANSPORT_URL", "rabbit://guest:guest@127.0.0.1:5672/")
OURS, LEGACY = "novajoin", "novajoin-1.3.0"
SYSTEMS = [OURS, LEGACY]  # narrowed by --system
# What serves this project's application: novajoin-server (cheroot) or uWSGI with the
# shipped files/uwsgi/novajoin-api.ini (--server).
SERVER = ["novajoin-server"]
UWSGI_INI = ROOT / "files" / "uwsgi" / "novajoin-api.ini"
LEGACY_DIR = Path(__file__).resolve().parent / "legacy"
LEGACY_PYTHON = ROOT / ".venv-novajoin13" / "bin" / "python"
LEGACY_SITE = ROOT / ".venv-novajoin13" / "lib" / "python3.11" / "site-packages"
LEGACY_WORKERS = os.cpu_count() or 1  # 1.3.0 forks one novajoin-server worker per CPU
# Requests from a fresh client each (the bursts, the repeats) close their connection:
# 1.3.0's eventlet pool (100 green threads a process) stays full of idle keep-alive
# connections otherwise, and the next new connection waits for one to time out (900 s).
CLOSE = {"Connection": "close"}
COMPACT_SERVICES = ("mysql", "rabbitmq", "redis", "neutron", "novnc-proxy", "HTTP",
                    "libvirt-vnc", "haproxy")


def say(text: str) -> None:
    print(f"[bench] {text}", file=sys.stderr, flush=True)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its live children (forked workers)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = sum(int(x) for x in fields[11:13]) / os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return own + sum(cpu_seconds(int(c)) for c in children)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def storm(url: str, ipa: Emulator, sessions: list, bodies: list[dict], timeout: float) -> tuple:
    """All ``bodies`` at once to ``url``, one of ``sessions`` each: (answers, latencies,
    wall time, server CPU ms per request, emulator CPU ms per request)."""
    n = len(bodies)
    pid = url.pid  # type: ignore[attr-defined]
    cpu_api, cpu_ipa = cpu_seconds(pid), cpu_seconds(ipa.pid)
    answers, lat, wall = simultaneous(
        n, lambda i: sessions[i].post(url + "/v1/", json=bodies[i], timeout=timeout))
    return (answers, lat, wall, (cpu_seconds(pid) - cpu_api) * 1000 / n,
            (cpu_seconds(ipa.pid) - cpu_ipa) * 1000 / n)


def wait_http(url: str, timeout: float = 60,
              errors: type[Exception] = requests.ConnectionError) -> None:
    """Until the URL gives any HTTP answer (1.3.0 has no health check, so any will do)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2)
            return
        except errors:
            time.sleep(0.05)
    raise SystemExit(f"{url} did not come up within {timeout} s")


@contextlib.contextmanager
def process(argv: list, log: Path, env: dict | None = None) -> Iterator[subprocess.Popen]:
    with open(log, "w") as out:
        proc = subprocess.Popen([str(a) for a in argv], stdout=out, stderr=subprocess.STDOUT,
                                env=env)
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


class Emulator:
    def __init__(self, work: Path, latency_ms: int) -> None:
        self.pid = 0
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.latency_ms = latency_ms
        self.work = work
        (work / "admin-password").write_text(ADMIN_PASSWORD)

    @contextlib.contextmanager
    def running(self) -> Iterator[Emulator]:
        with process([BIN / "novajoin-fakeipa", "--listen", f"127.0.0.1:{self.port}",
                      "--realm", REALM, "--domain", DOMAIN, "--admin-password-file",
                      self.work / "admin-password", "--latency-ms", self.latency_ms],
                     self.work / f"fakeipa-{self.port}.log") as proc:
            self.pid = proc.pid
            wait_http(self.url + "/ipa/fake/stats")
            yield self

    def stats(self) -> dict:
        return requests.get(self.url + "/ipa/fake/stats", timeout=10).json()

    def reset(self) -> None:
        requests.post(self.url + "/ipa/fake/stats/reset", timeout=10).raise_for_status()


def join_conf(work: Path, ipa: Emulator, port: int, extra: str = "", workers: int = 1) -> Path:
    path = work / f"join-{port}.conf"
    path.write_text(f"""[DEFAULT]
url = {ipa.url}/ipa/json
ipa_password = {ADMIN_PASSWORD}
domain = {DOMAIN}
auth_strategy = noauth
otp_secret = bench-secret-shared-by-every-process
join_listen = 127.0.0.1
join_listen_port = {port}
join_threads = 128
join_workers = {workers}
ipa_max_concurrency = 0
ipa_pool_size = 128
connect_retries = 0
transport_url = {RABBIT}
log_file = {work / f"novajoin-{port}.log"}
{extra}""")
    return path


class ApiUrl(str):
    """The server's base URL, carrying its process id for CPU accounting."""

    pid: int


@contextlib.contextmanager
def api_server(work: Path, ipa: Emulator, extra: str = "", workers: int = 1
               ) -> Iterator[ApiUrl]:
    port = free_port()
    conf = join_conf(work, ipa, port, extra, workers)
    if SERVER[0] == "uwsgi":
        argv = [uwsgi_binary(work), "--set-ph", f"novajoin_listen=127.0.0.1:{port}",
                "--ini", UWSGI_INI, "--virtualenv", sys.prefix, "--processes", workers,
                "--threads", 128, "--env", f"NOVAJOIN_CONFIG_FILE={conf}"]
    else:
        argv = [BIN / "novajoin-server", "--config-file", conf]
    with process(argv, work / f"server-{port}.out") as proc:
        url = ApiUrl(f"http://127.0.0.1:{port}")
        url.pid = proc.pid
        wait_http(url + "/healthcheck")
        yield url


def uwsgi_binary(work: Path) -> Path:
    """uWSGI from PyPI, as the tests' Keystone runs (its virtualenv, built if missing)."""
    sys.path.insert(0, str(ROOT))
    from tests.openstack import services as os_services

    return os_services.ensure_venv(os_services.VENVS["keystone"], work).bin("uwsgi")


def nova_body(hostname: str, metadata: dict) -> dict:
    return {"project-id": "4969c491a3c74ee4af974e6d800c62de",
            "instance-id": str(uuid.uuid4()), "image-id": "", "user-data": None,
            "hostname": hostname, "metadata": metadata, "boot-roles": "member"}


def simultaneous(n: int, call: Callable[[int], object]) -> tuple[list, list[float], float]:
    """Run ``call(i)`` for i < n in n threads released at once; results and latencies."""
    results, latencies = [None] * n, [0.0] * n
    barrier = threading.Barrier(n + 1)

    def worker(i: int) -> None:
        barrier.wait()
        t = time.perf_counter()
        try:
            results[i] = call(i)
        except Exception as exc:  # noqa: BLE001 - reported as a failed request
            results[i] = exc
        latencies[i] = time.perf_counter() - t

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    return results, latencies, time.perf_counter() - start


def report(scenario: str, n: int, latencies_s: list[float], wall_s: float, ipa_requests: int,
           latency_ms: int, target: str | None, met: bool | None, system: str = OURS,
           **extra) -> dict:
    ms = [x * 1000 for x in latencies_s]
    if system == OURS:
        extra["server"] = SERVER[0]
    row = {"scenario": scenario, "system": system, "n": n, "p50_ms": round(percentile(ms, 50), 2),
           "p99_ms": round(percentile(ms, 99), 2), "mean_ms": round(statistics.fmean(ms), 2),
           "throughput_per_s": round(n / wall_s, 1),
           "ipa_round_trips_per_op": round(ipa_requests / n, 3),
           "emulator_latency_ms": latency_ms, "target": target, "met": met, **extra}
    print(json.dumps(row), flush=True)
    return row


# -- scenarios --------------------------------------------------------------------------

def first_boot_8_services(work: Path) -> list[dict]:
    """first_boot_8_services and repeat_fetch for each system, on one emulator."""
    rows: list[dict] = []
    with Emulator(work, 50).running() as ipa:
        if OURS in SYSTEMS:
            rows += first_boot_and_repeat(work, ipa)
        if LEGACY in SYSTEMS:
            rows += legacy_first_boot_and_repeat(work, ipa)
    return rows + compare(rows)


def first_boot_and_repeat(work: Path, ipa: Emulator, n: int = 100) -> list[dict]:
    """first_boot_8_services, then repeat_fetch on the same instances."""
    rows = []
    metadata = {"ipa_enroll": "True",
                **{f"compact_service_{s}": '["test"]' for s in COMPACT_SERVICES}}
    redis_port = free_port()
    cache = ("[cache]\nenabled = true\nbackend = dogpile.cache.redis\n"
             f"backend_argument = url:redis://127.0.0.1:{redis_port}/0\n")
    with process(["redis-server", "--port", redis_port, "--bind", "127.0.0.1", "--save", "",
                   "--appendonly", "no"], work / "redis.log"), \
            api_server(work, ipa, cache, workers=2) as a, api_server(work, ipa, cache) as b:
        bodies = [nova_body(f"boot-{i}", metadata) for i in range(n)]
        # Each process logs in to IPA and learns its realm once: not part of a boot. New
        # connections, so that the kernel hands some to every worker of a port.
        for url in (a, a, a, a, b):
            requests.post(url + "/v1/", json=nova_body(f"warm-{uuid.uuid4().hex[:8]}", {
                "ipa_enroll": "True"}), timeout=30, headers={"Connection": "close"})
        ipa.reset()
        say(f"first_boot_8_services: {n} simultaneous boots, 8 compact services each")
        sessions = [requests.Session() for _ in range(n)]
        answers, lat, wall, cpu_api, cpu_ipa = storm(a, ipa, sessions, bodies, timeout=60)
        ok = all(getattr(r, "status_code", None) == 200 and "ipaotp" in r.json()
                 for r in answers)
        if not ok:
            say(f"failures: {[r for r in answers if getattr(r, 'status_code', None) != 200][:3]}")
        stats = ipa.stats()
        p99 = percentile(lat, 99) * 1000
        rows.append(report("first_boot_8_services", n, lat, wall, stats["http_requests"], 50,
                           "1 IPA round trip per boot, p99 < 150 ms (3x emulator latency)",
                           ok and stats["http_requests"] == n and p99 < 150,
                           all_enrolled_ok=ok, services_per_boot=len(COMPACT_SERVICES),
                           ipa_commands=sum(stats["commands"].values()),
                           novajoin_cpu_ms_per_boot=round(cpu_api, 2),
                           emulator_cpu_ms_per_boot=round(cpu_ipa, 2),
                           # All boots arrive at once: the last waits for everyone's CPU.
                           floor_ms=round(50 + n * (cpu_api + cpu_ipa) / (os.cpu_count() or 1),
                                          1)))

        ipa.reset()
        say("repeat_fetch: each instance 6 more times, alternating two API processes")
        first = {bodies[i]["instance-id"]: answers[i].json() for i in range(n)}
        lat_all, same = [], True
        later: list[list] = []
        cpu_api = cpu_seconds(a.pid) + cpu_seconds(b.pid)
        start = time.perf_counter()
        for round_ in range(6):
            url = (a, b)[round_ % 2]
            got, lat, _ = simultaneous(
                n, lambda i, url=url: sessions[i].post(url + "/v1/", json=bodies[i], timeout=60))
            lat_all += lat
            same &= all(g.json() == first[bodies[i]["instance-id"]] for i, g in enumerate(got))
            later.append(got)
        wall = time.perf_counter() - start
        cpu_api = (cpu_seconds(a.pid) + cpu_seconds(b.pid) - cpu_api) * 1000 / (n * 6)
        stats = ipa.stats()
        rows.append(report("repeat_fetch", n * 6, lat_all, wall, stats["http_requests"], 50,
                           "0 IPA round trips; every answer's OTP equal to the first",
                           same and stats["http_requests"] == 0, same_answers=same,
                           api_processes=2, novajoin_cpu_ms_per_fetch=round(cpu_api, 2),
                           **otp_summary(answers, later)))
    return rows


# -- novajoin 1.3.0 side by side ---------------------------------------------------------

@contextlib.contextmanager
def legacy_server(work: Path, ipa: Emulator, extra: str = "",
                  paste: Path = LEGACY_DIR / "api-paste.ini") -> Iterator[ApiUrl]:
    """novajoin 1.3.0's novajoin-server (its own eventlet WSGI server) through
    bench/legacy/launch.py, talking to ``ipa`` with ipalib over plain HTTP. It has no
    option for its number of processes: it reads ``join_workers`` with getattr() but
    never registers it, so it always forks one worker per CPU (LEGACY_WORKERS).
    ``paste`` is its WSGI pipeline: the bench's without Keystone (shim 4) unless given
    1.3.0's own; ``extra`` is appended to its join.conf."""
    if not LEGACY_PYTHON.exists():
        raise SystemExit(f"{LEGACY_PYTHON} is missing: tools/bench.sh builds it")
    port = free_port()
    home = work / f"legacy-{port}"
    (home / "ipa").mkdir(parents=True)
    # ipalib's client configuration, which 1.3.0 expects in /etc/ipa (shim 1).
    (home / "ipa" / "default.conf").write_text(f"""[global]
host = novajoin13-{port}.{DOMAIN}
realm = {REALM}
domain = {DOMAIN}
server = 127.0.0.1
xmlrpc_uri = {ipa.url}/ipa/xml
fallback = False
""")
    conf = home / "join.conf"
    conf.write_text(f"""[DEFAULT]
domain = {DOMAIN}
join_listen = 127.0.0.1
join_listen_port = {port}
api_paste_config = {paste}
keytab = {home / "unused.keytab"}
connect_retries = 0
log_file = {home / "novajoin.log"}
{extra}""")
    env = {**os.environ, "IPA_CONFDIR": str(home / "ipa"), "HOME": str(home),
           "PYTHONWARNINGS": "ignore"}
    with process([LEGACY_PYTHON, LEGACY_DIR / "launch.py", "--config-file", conf],
                 home / "server.out", env) as proc:
        url = ApiUrl(f"http://127.0.0.1:{port}")
        url.pid = proc.pid
        wait_http(url + "/v1/", timeout=120, errors=requests.RequestException)
        yield url


@contextlib.contextmanager
def system_server(system: str, work: Path, ipa: Emulator, workers: int = 1,
                  extra: str = "") -> Iterator[ApiUrl]:
    if system == LEGACY:
        with legacy_server(work, ipa) as url:
            yield url
    else:
        with api_server(work, ipa, extra, workers) as url:
            yield url


def warm(system: str, url: str, ipa: Emulator, workers: int) -> None:
    """Let every worker process connect to IPA before measuring: this project logs in
    once per process; 1.3.0 connects ipalib (one ``ping``) on its first IPA call in
    each process. New connections, so that the kernel spreads them over the workers."""
    if system == LEGACY:
        workers = LEGACY_WORKERS
    pings = ipa.stats()["commands"].get("ping", 0)
    for attempt in range(20 * workers):
        requests.post(url + "/v1/", json=nova_body(f"warm-{uuid.uuid4().hex[:8]}", {
            "ipa_enroll": "True"}), timeout=60, headers={"Connection": "close"})
        if system == OURS and attempt + 1 >= 4 * workers:
            return
        if system == LEGACY and ipa.stats()["commands"].get("ping", 0) - pings >= workers:
            return  # each worker process has pinged once: all are connected
    say(f"warning: not every {system} worker connected to IPA during the warm-up")


def post_or_error(session: requests.Session | None, url: str, body: dict,
                  timeout: float = 60) -> object:
    """The answer, or the exception (a timeout, a reset) counted as a failed request."""
    try:
        return (session or requests).post(url, json=body, timeout=timeout,
                                          headers=None if session else CLOSE)
    except requests.RequestException as exc:
        say(f"request to {url} failed: {exc}")
        return exc


def tag(system: str) -> str:
    """Host name prefix, so that both systems' hosts differ on the shared emulator."""
    return "nj" if system == OURS else "l13"


def otp_of(answer: object) -> str | None:
    if getattr(answer, "status_code", None) != 200:
        return None
    return answer.json().get("ipaotp")  # type: ignore[attr-defined]


def usable_otps(ipa: Emulator, fqdn: str, otps: set[str]) -> set[str]:
    """Which of these OTPs IPA would take: enrolls the host with the one it holds."""
    usable = set()
    for otp in sorted(otps):
        r = requests.post(ipa.url + "/ipa/fake/enroll", json={"fqdn": fqdn, "otp": otp},
                          timeout=10)
        if r.status_code == 200:
            usable.add(otp)
    return usable


def otp_summary(first: list, later: list[list], ipa: Emulator | None = None,
                fqdns: list[str] | None = None) -> dict:
    """How consistent the OTPs of each instance's answers are.

    ``first[i]`` and ``later[k][i]`` are answers for instance i. With ``ipa`` and
    ``fqdns`` it also enrolls each host, to count the answers whose OTP still works.
    """
    n = len(first)
    per_instance = [[first[i]] + [round_[i] for round_ in later] for i in range(n)]
    distinct = [len({otp_of(a) for a in answers} - {None}) for answers in per_instance]
    out = {"distinct_otps_per_instance": round(statistics.fmean(distinct), 2),
           "max_distinct_otps": max(distinct),
           "answers_without_otp": sum(otp_of(a) is None for ans in per_instance for a in ans),
           "answers_not_200": sum(getattr(a, "status_code", None) != 200
                                  for ans in per_instance for a in ans)}
    if ipa is not None and fqdns is not None:
        usable = 0
        for answers, fqdn in zip(per_instance, fqdns, strict=True):
            otps = [otp_of(a) for a in answers]
            good = usable_otps(ipa, fqdn, {o for o in otps if o})
            usable += sum(o in good for o in otps)
        out["answers_with_working_otp"] = usable
        out["answers_total"] = sum(len(a) for a in per_instance)
    return out


RATIO_KEYS = ("p50_ms", "p99_ms", "mean_ms", "throughput_per_s", "ipa_round_trips_per_op",
              "ipa_commands_per_op", "novajoin_cpu_ms_per_boot", "distinct_otps_per_instance",
              "host_add_per_instance", "ipa_round_trips_per_instance", "novajoin_cpu_ms_per_delete",
              "emulator_cpu_ms_per_delete", "novajoin_cpu_ms_per_request",
              "glance_calls_per_op", "seconds")


def compare(rows: list[dict]) -> list[dict]:
    """A ratio row (novajoin-1.3.0 / novajoin) for each scenario both systems ran."""
    out = []
    for row in rows:
        if row["system"] != LEGACY:
            continue
        ours = next((r for r in rows if r["system"] == OURS
                     and r["scenario"] == row["scenario"]), None)
        if ours is None:
            continue
        ratio = {k: round(row[k] / ours[k], 2) if ours[k] else None
                 for k in RATIO_KEYS if isinstance(row.get(k), (int, float))
                 and isinstance(ours.get(k), (int, float))}
        side = {k: [ours[k], row[k]] for k in ratio}
        line = {"scenario": row["scenario"], "system": f"{LEGACY}/{OURS}", "ratio": ratio,
                "values_novajoin_vs_1.3.0": side, "met": None,
                "note": "ratio = novajoin-1.3.0 / novajoin, same emulator, same run"}
        print(json.dumps(line), flush=True)
        out.append(line)
    return out


def legacy_first_boot_and_repeat(work: Path, ipa: Emulator, n: int = 100) -> list[dict]:
    """first_boot_8_services and repeat_fetch for novajoin 1.3.0, as for this project:
    the same boots on one server, the repeats alternating with a second server (1.3.0
    caches a host's OTP 30 s per process; it has no shared cache)."""
    rows = []
    metadata = {"ipa_enroll": "True",
                **{f"compact_service_{s}": '["test"]' for s in COMPACT_SERVICES}}
    with legacy_server(work, ipa) as a, legacy_server(work, ipa) as b:
        warm(LEGACY, a, ipa, LEGACY_WORKERS)
        warm(LEGACY, b, ipa, LEGACY_WORKERS)
        bodies = [nova_body(f"l13-boot-{i}", metadata) for i in range(n)]
        ipa.reset()
        say(f"first_boot_8_services ({LEGACY}): {n} simultaneous boots, 8 compact services")
        sessions = [requests.Session() for _ in range(n)]
        answers, lat, wall, cpu_api, cpu_ipa = storm(a, ipa, sessions, bodies, timeout=300)
        ok = sum(otp_of(r) is not None for r in answers)
        stats = ipa.stats()
        rows.append(report("first_boot_8_services", n, lat, wall, stats["http_requests"], 50,
                           None, None, system=LEGACY, all_enrolled_ok=ok == n,
                           answers_with_otp=ok, services_per_boot=len(COMPACT_SERVICES),
                           ipa_commands=sum(stats["commands"].values()),
                           ipa_commands_per_op=round(sum(stats["commands"].values()) / n, 2),
                           novajoin_cpu_ms_per_boot=round(cpu_api, 2),
                           emulator_cpu_ms_per_boot=round(cpu_ipa, 2),
                           note="1.3.0 serves on eventlet without monkey-patching: each "
                                "worker process waits for IPA one request at a time"))
        ipa.reset()
        say(f"repeat_fetch ({LEGACY}): each instance 6 more times, alternating two servers")
        lat_all, later = [], []
        start = time.perf_counter()
        for round_ in range(6):
            url = (a, b)[round_ % 2]
            got, lat, _ = simultaneous(
                n, lambda i, url=url: sessions[i].post(url + "/v1/", json=bodies[i],
                                                       timeout=300))
            lat_all += lat
            later.append(got)
        wall = time.perf_counter() - start
        stats = ipa.stats()
        same = all(otp_of(g) == otp_of(answers[i]) for got in later for i, g in enumerate(got))
        rows.append(report("repeat_fetch", n * 6, lat_all, wall, stats["http_requests"], 50,
                           None, None, system=LEGACY, same_answers=same,
                           api_processes=2 * LEGACY_WORKERS,
                           ipa_commands=stats["commands"],
                           **otp_summary(answers, later, ipa,
                                         [f"l13-boot-{i}.{DOMAIN}" for i in range(n)])))
    return rows


def sequential_first_boot(work: Path, n: int = 20) -> list[dict]:
    """IPA requests and median latency of first boots one after another, plain and with
    8 compact services, for each system on one emulator at 50 ms."""
    rows: list[dict] = []
    variants = {"first_boot_sequential": ("seq", {"ipa_enroll": "True"}),
                "first_boot_8_services_sequential": ("seq8", {
                    "ipa_enroll": "True",
                    **{f"compact_service_{s}": '["test"]' for s in COMPACT_SERVICES}})}
    with Emulator(work, 50).running() as ipa:
        for system in SYSTEMS:
            with system_server(system, work, ipa, workers=2) as url:
                warm(system, url, ipa, 2)
                for name, (short, metadata) in variants.items():
                    say(f"{name} ({system}): {n} boots one after another")
                    session = requests.Session()
                    bodies = [nova_body(f"{tag(system)}-{short}-{i}", metadata)
                              for i in range(n)]
                    ipa.reset()
                    lat, answers = [], []
                    start = time.perf_counter()
                    for body in bodies:
                        t = time.perf_counter()
                        answers.append(post_or_error(session, url + "/v1/", body))
                        lat.append(time.perf_counter() - t)
                    wall = time.perf_counter() - start
                    stats = ipa.stats()
                    ok = sum(otp_of(r) is not None for r in answers)
                    commands = sum(stats["commands"].values())
                    rows.append(report(
                        name, n, lat, wall, stats["http_requests"], 50,
                        "1 IPA round trip per boot" if system == OURS else None,
                        ok == n and stats["http_requests"] == n if system == OURS else None,
                        system=system, all_enrolled_ok=ok == n,
                        services_per_boot=len(metadata) - 1,
                        ipa_commands_per_op=round(commands / n, 2),
                        ipa_commands=stats["commands"]))
    return rows + compare(rows)


def otp_consistency(work: Path, instances: int = 10, burst: int = 20,
                    repeats: int = 6) -> list[dict]:
    """Do repeated and concurrent identical requests for one instance get one OTP?

    Each system runs as two replicas on one emulator at 50 ms: this project's with 2 + 1
    worker processes sharing a Redis cache that lends locks; 1.3.0's with 2 + 2 (one per
    CPU) and only their per-process caches.
    ``burst_identical``: ``burst`` identical first-boot requests per instance, all at
    once, alternating the replicas (this project's also without the shared cache:
    ``burst_identical_no_cache``, at most one ``host_add`` per process wanted).
    ``repeat_fetch_sequential``: a first boot, then ``repeats`` more fetches one after
    another, alternating the replicas. Each host is then enrolled with the OTPs its
    answers held, to count the answers whose OTP works.
    """
    rows: list[dict] = []
    redis_port = free_port()
    cache = ("[cache]\nenabled = true\nbackend = dogpile.cache.redis\n"
             f"backend_argument = url:redis://127.0.0.1:{redis_port}/0\n"
             "backend_argument = distributed_lock:true\n"
             "backend_argument = thread_local_lock:false\n"
             "backend_argument = lock_timeout:60\n")
    processes = 3  # this project's two replicas: 2 + 1 worker processes
    with process(["redis-server", "--port", redis_port, "--bind", "127.0.0.1", "--save", "",
                  "--appendonly", "no"], work / "redis-otp.log"), \
            Emulator(work, 50).running() as ipa:
        for system, scenario, extra in [(s, "burst_identical", cache) for s in SYSTEMS] + (
                [(OURS, "burst_identical_no_cache", "")] if OURS in SYSTEMS else []):
            with system_server(system, work, ipa, 2, extra) as a, \
                    system_server(system, work, ipa, 1, extra) as b:
                warm(system, a, ipa, 2)
                warm(system, b, ipa, 1)
                prefix = f"{tag(system)}-{scenario.replace('_', '-')}"
                bodies = [nova_body(f"{prefix}-{i}", {"ipa_enroll": "True"})
                          for i in range(instances)]
                say(f"{scenario} ({system}): {burst} identical requests at once for "
                    f"each of {instances} instances, over two replicas")
                ipa.reset()
                total = instances * burst
                answers, lat, wall = simultaneous(total, lambda k, bodies=bodies: requests.post(
                    (a, b)[(k // instances) % 2] + "/v1/", json=bodies[k % instances],
                    headers=CLOSE, timeout=300))
                stats = ipa.stats()
                grouped = [[answers[k] for k in range(i, total, instances)]
                           for i in range(instances)]
                summary = otp_summary([g[0] for g in grouped],
                                      [[g[j] for g in grouped] for j in range(1, burst)],
                                      ipa, [f"{prefix}-{i}.{DOMAIN}" for i in range(instances)])
                host_adds = stats["commands"].get("host_add", 0) / instances
                wanted = 1 if extra else processes
                consistent = (summary["distinct_otps_per_instance"] == 1
                              and summary["answers_with_working_otp"] == total)
                rows.append(report(
                    scenario, total, lat, wall, stats["http_requests"], 50,
                    (f"at most {wanted} host_add per instance" if wanted > 1 else
                     "1 host_add per instance") + " and 1 OTP, which works, in every answer"
                    if system == OURS else None,
                    (host_adds == 1 if extra else host_adds <= wanted)  # the mean, no_cache
                    and consistent if system == OURS else None,
                    system=system, instances=instances, identical_requests=burst,
                    host_add_per_instance=host_adds,
                    ipa_round_trips_per_instance=round(stats["http_requests"] / instances, 2),
                    ipa_commands=stats["commands"], **summary))
                if scenario != "burst_identical":
                    continue

                prefix = f"{tag(system)}-again"
                bodies = [nova_body(f"{prefix}-{i}", {"ipa_enroll": "True"})
                          for i in range(instances)]
                say(f"repeat_fetch_sequential ({system}): {instances} instances, a first "
                    f"boot and {repeats} more fetches each, alternating the replicas")
                ipa.reset()
                lat, rounds = [], []
                start = time.perf_counter()
                for round_ in range(repeats + 1):
                    got = []
                    for body in bodies:
                        t = time.perf_counter()
                        got.append(post_or_error(None, (a, b)[round_ % 2] + "/v1/", body))
                        lat.append(time.perf_counter() - t)
                    rounds.append(got)
                wall = time.perf_counter() - start
                stats = ipa.stats()
                summary = otp_summary(rounds[0], rounds[1:], ipa,
                                      [f"{prefix}-{i}.{DOMAIN}" for i in range(instances)])
                rows.append(report(
                    "repeat_fetch_sequential", len(lat), lat, wall, stats["http_requests"], 50,
                    "1 OTP per instance, which works, in every answer"
                    if system == OURS else None,
                    summary["distinct_otps_per_instance"] == 1
                    and summary["answers_with_working_otp"] == len(lat)
                    if system == OURS else None,
                    system=system, instances=instances, fetches_per_instance=repeats + 1,
                    host_add_per_instance=stats["commands"].get("host_add", 0) / instances,
                    ipa_round_trips_per_instance=round(stats["http_requests"] / instances, 2),
                    ipa_commands=stats["commands"], **summary))
    return rows + compare(rows)


def non_enroll_fetch(work: Path, seconds: int = 10, connections: int = 8) -> list[dict]:
    """Sustained non-enrolling requests with Keystone auth on; wrk drives the load.

    ``connections`` keep-alive connections, each sending its next request as soon as
    the last is answered, to two worker processes of each system on one port. The body
    says ``ipa_enroll: False`` and names a real image in Glance without the property:
    this project answers from the metadata; 1.3.0 asks Glance for the image whenever the
    metadata does not say True, so it runs with Keystone and Glance both.
    """
    sys.path.insert(0, str(ROOT))
    import shutil

    from tests.openstack import services as os_services

    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing (Debian package wrk)")
    keystone_venv = os_services.ensure_venv(os_services.VENVS["keystone"], work)
    glance_venv = (os_services.ensure_venv(os_services.VENVS["glance"], work)
                   if LEGACY in SYSTEMS else None)
    cloud = os_services.Cloud.start(work / "cloud", keystone_venv, glance_venv)
    rows = []
    try:
        ks = cloud.keystone
        novajoin_user = ks.new_user("novajoin-bench", "service", ["admin"])
        creds = "".join(f"{k} = {v}\n" for k, v in novajoin_user.auth_options().items())
        sections = (f"[keystone_authtoken]\nwww_authenticate_uri = {novajoin_user.auth_url}\n"
                    f"{creds}[service_credentials]\n{creds}")
        token = ks.issue_token(ks.nova)
        image = cloud.glance.create_image(visibility="public") if cloud.glance else ""
        body = json.dumps({**nova_body("quiet", {"ipa_enroll": "False"}), "image-id": image})
        with Emulator(work, 50).running() as ipa:
            for system in SYSTEMS:
                if system == OURS:
                    server = api_server(work, ipa, "auth_strategy = keystone\n" + sections,
                                        workers=2)
                else:
                    server = legacy_server(work, ipa, sections,
                                           paste=LEGACY_SITE / "etc/novajoin/join-api-paste.ini")
                with server as url:
                    rows.append(_wrk_non_enroll(system, work, url, ipa, body, token,
                                                seconds, connections, cloud.glance))
    finally:
        cloud.stop()
    return rows + compare(rows)


def _wrk_non_enroll(system: str, work: Path, url: ApiUrl, ipa: Emulator, body: str,
                    token: str, seconds: int, connections: int, glance) -> dict:
    script = work / f"post-{tag(system)}.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body)}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["X-Auth-Token"] = "{token}"\n')
    # Warm-up: keystonemiddleware validates the token once per process and caches it.
    for _ in range(20):
        r = requests.post(url + "/v1/", data=body, timeout=30, headers={
            "Content-Type": "application/json", "X-Auth-Token": token})
        assert r.status_code == 200 and r.json() == {}, r.text
    ipa.reset()
    glance_before = _glance_gets(glance)
    say(f"non_enroll_fetch ({system}): wrk for {seconds} s, Keystone auth on")
    cpu_api = cpu_seconds(url.pid)
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
                          "-s", str(script), url + "/v1/"], capture_output=True, text=True,
                         check=True).stdout
    cpu_api = cpu_seconds(url.pid) - cpu_api
    (work / f"wrk-{tag(system)}.out").write_text(out)
    stats = ipa.stats()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    pct = {p: _wrk_ms(re.search(rf"\s{p}%\s+([\d.]+\w+)", out).group(1)) for p in (50, 99)}
    if system == OURS:  # counted by the server itself
        metrics = requests.get(url + "/metrics", timeout=10).text
        glance_calls = sum(float(m) for m in re.findall(
            r'novajoin_cache_lookups_total\{cache="image",outcome="miss"\} ([\d.]+)', metrics))
    else:  # counted from Glance's request log
        glance_calls = _glance_gets(glance) - glance_before if glance else None
    row = {"scenario": "non_enroll_fetch", "system": system, "n": total,
           "p50_ms": pct[50], "p99_ms": pct[99], "throughput_per_s": rps,
           "ipa_round_trips_per_op": round(stats["http_requests"] / max(total, 1), 4),
           "emulator_latency_ms": 50, "glance_calls": glance_calls,
           "glance_calls_per_op": round(glance_calls / max(total, 1), 3)
           if glance_calls is not None else None,
           "errors": int(non2xx.group(1)) if non2xx else 0, "connections": connections,
           "novajoin_cpu_ms_per_request": round(cpu_api * 1000 / max(total, 1), 3)}
    if system == OURS:
        row.update(server=SERVER[0],
                   target=">= 1000 requests/s on 2 cores, p99 < 20 ms, 0 IPA and 0 Glance "
                          "calls",
                   met=rps >= 1000 and pct[99] < 20 and stats["http_requests"] == 0
                   and not glance_calls and not non2xx)
    else:
        row.update(target=None, met=None,
                   note="1.3.0 asks Glance for the image on every request whose metadata "
                        "does not say ipa_enroll True")
    print(json.dumps(row), flush=True)
    return row


def _glance_gets(glance) -> int:
    """Image reads Glance has served, from uWSGI's request log."""
    if glance is None:
        return 0
    return len(re.findall(r"GET /v2/images/[0-9a-f-]+ ", glance.log.read_text()))


def _wrk_ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return round(float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit], 3)


@contextlib.contextmanager
def notify_process(system: str, work: Path, ipa: Emulator, topic: str
                   ) -> Iterator[subprocess.Popen]:
    """A running novajoin-notify of ``system`` consuming ``topic`` on nova's exchange."""
    if system == OURS:
        conf = join_conf(work, ipa, free_port(), f"notifications_topic = {topic}\n"
                         "requeue_delay = 0.1\n")
        log, ready = work / f"novajoin-{conf.stem.split('-')[1]}.log", "Listening on topic"
        argv, env = [BIN / "novajoin-notify", "--config-file", conf], None
    else:
        home = work / f"legacy-notify-{topic}"
        (home / "ipa").mkdir(parents=True)
        (home / "ipa" / "default.conf").write_text(f"""[global]
host = novajoin13-notify.{DOMAIN}
realm = {REALM}
domain = {DOMAIN}
server = 127.0.0.1
xmlrpc_uri = {ipa.url}/ipa/xml
fallback = False
""")
        conf, log, ready = home / "join.conf", home / "novajoin.log", "Starting"
        # control_exchange: 1.3.0 listens on its topic without naming an exchange.
        conf.write_text(f"""[DEFAULT]
domain = {DOMAIN}
transport_url = {RABBIT}
control_exchange = nova
notifications_topic = {topic}
notification_format = unversioned
keytab = {home / "unused.keytab"}
connect_retries = 0
log_file = {log}
""")
        argv = [LEGACY_PYTHON, LEGACY_DIR / "launch.py", "notify", "--config-file", conf]
        env = {**os.environ, "IPA_CONFDIR": str(home / "ipa"), "HOME": str(home),
               "PYTHONWARNINGS": "ignore"}
    with process(argv, work / f"notify-{tag(system)}.out", env) as proc:
        deadline = time.monotonic() + 60
        while not (log.exists() and ready in log.read_text()):
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit(f"{system}'s novajoin-notify did not start")
            time.sleep(0.1)
        yield proc


def delete_notifications(work: Path, n: int = 1000) -> list[dict]:
    """n instance deletes through real RabbitMQ to each system's running novajoin-notify,
    emulator at 5 ms. The hosts are as this project's novajoin-server leaves them (1.3.0
    reads its own JSON description, finds none, and deletes by name, as it does for hosts
    of older versions)."""
    import oslo_messaging
    from oslo_config import cfg
    from oslo_messaging import opts

    from novajoin.domain.ownership import Owner
    from novajoin.ipa import IpaCall, IpaClient
    from novajoin.ipa.auth import PasswordLogin

    project = "4969c491a3c74ee4af974e6d800c62de"
    rows: list[dict] = []
    pub = cfg.ConfigOpts()
    for group, options in opts.list_opts():
        pub.register_opts(options, group=None if group == "DEFAULT" else group)
    pub([])
    pub.set_override("control_exchange", "nova")
    transport = oslo_messaging.get_notification_transport(pub, url=RABBIT)
    with Emulator(work, 5).running() as ipa:
        client = IpaClient(ipa.url + "/ipa/json", PasswordLogin("admin", ADMIN_PASSWORD))
        for system in SYSTEMS:
            topic = "novajoin_bench_" + uuid.uuid4().hex[:8]
            ids = [str(uuid.uuid4()) for _ in range(n)]
            for chunk in range(0, n, 200):  # the hosts as novajoin-server leaves them
                client.batch([IpaCall("host_add", (f"del-{i}.{DOMAIN}",), {
                    "force": True, "userpassword": "x",
                    "description": Owner(ids[i], project).tag()})
                    for i in range(chunk, min(n, chunk + 200))])
            notifier = oslo_messaging.Notifier(transport, publisher_id="compute.bench",
                                               driver="messagingv2", topics=[topic])
            with notify_process(system, work, ipa, topic) as notify:
                ipa.reset()
                say(f"delete_notifications ({system}): publishing {n} deletes to a running "
                    "novajoin-notify")
                cpu = cpu_seconds(notify.pid), cpu_seconds(ipa.pid)
                start = time.perf_counter()
                for i, iid in enumerate(ids):
                    notifier.info({}, "compute.instance.delete.end", {
                        "instance_id": iid, "tenant_id": project, "hostname": f"del-{i}",
                        "metadata": {"ipa_enroll": "True"}, "image_meta": {},
                        "state": "deleted"})
                published = time.perf_counter() - start
                deadline = time.monotonic() + 600
                # Polled through the emulator's counters (a host_find of every remaining host
                # ten times a second would cost the emulator more CPU than the deletes).
                while time.monotonic() < deadline and ipa.stats()["commands"].get(
                        "host_del", 0) < n:
                    time.sleep(0.05)
                wall = time.perf_counter() - start
                left = client.call("host_find", "novajoin owner", sizelimit=0)["count"]
                cpu_notify = (cpu_seconds(notify.pid) - cpu[0]) * 1000 / n
                cpu_ipa = (cpu_seconds(ipa.pid) - cpu[1]) * 1000 / n
            stats = ipa.stats()
            if left:  # the next system starts from no hosts
                client.batch([IpaCall("host_del", (f"del-{i}.{DOMAIN}",)) for i in range(n)])
            rate = n / wall
            row = {"scenario": "delete_notifications", "system": system, "n": n,
                   "p50_ms": None, "p99_ms": None, "throughput_per_s": round(rate, 1),
                   "ipa_round_trips_per_op": round(stats["http_requests"] / n, 3),
                   "ipa_commands": stats["commands"],
                   "emulator_latency_ms": 5, "lost": left, "seconds": round(wall, 2),
                   "publish_seconds": round(published, 2),
                   "novajoin_cpu_ms_per_delete": round(cpu_notify, 2),
                   "emulator_cpu_ms_per_delete": round(cpu_ipa, 2),
                   "target": ">= 500 deletes/s, 0 lost" if system == OURS else None,
                   "met": rate >= 500 and left == 0 if system == OURS else None,
                   "note": "from the first publish to the last host gone"}
            print(json.dumps(row), flush=True)
            rows.append(row)
    transport.cleanup()
    return rows + compare(rows)


SCENARIOS = {
    "first_boot_8_services": first_boot_8_services,  # also runs repeat_fetch
    "first_boot_sequential": sequential_first_boot,  # plain and with 8 services
    "otp_consistency": otp_consistency,  # burst_identical and repeat_fetch_sequential
    "non_enroll_fetch": non_enroll_fetch,
    "delete_notifications": delete_notifications,
}


def main(argv: list[str] | None = None) -> int:
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                        help=f"any of {', '.join(SCENARIOS)}; default: all "
                             "(first_boot_8_services includes repeat_fetch)")
    parser.add_argument("--system", choices=(OURS, LEGACY, "both"), default="both",
                        help="run this project, novajoin 1.3.0 or both (default)")
    parser.add_argument("--server", choices=("novajoin-server", "uwsgi"),
                        default="novajoin-server",
                        help="what serves this project's API: novajoin-server (default) or "
                             "uWSGI with files/uwsgi/novajoin-api.ini")
    args = parser.parse_args(argv)
    SERVER[:] = [args.server]
    SYSTEMS[:] = [OURS, LEGACY] if args.system == "both" else [args.system]
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    keep = os.environ.get("NOVAJOIN_BENCH_WORKDIR")  # keep the logs there, when set
    with contextlib.nullcontext(keep) if keep else \
            tempfile.TemporaryDirectory(prefix="novajoin-bench-") as tmp:
        rows = []
        for name in args.scenarios or list(SCENARIOS):
            rows += SCENARIOS[name](Path(tmp))
    # Targets are this project's; 1.3.0's rows and the ratios have none (met: null).
    return 0 if all(r["met"] is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
