"""Security round 2, item 7 (issue 12): slowloris.

70 connections sending one header line every 5 s held all 64 threads of
novajoin-server: /healthcheck and enrollment timed out for as long as it lasted.
Now a request must arrive whole within ``join_read_timeout`` (408 after), and one
client address may hold at most ``join_client_reading`` threads while it sends.
The attacker uses source address 127.0.0.2, the probes 127.0.0.1.
"""

from __future__ import annotations

import socket
import threading
import time

import requests

from tests.api.conftest import running_server
from tests.support import nova_body

ATTACKER = "127.0.0.2"


def _trickle(port: int, stop: threading.Event, closed: list[float], started: float) -> None:
    s = socket.create_connection(("127.0.0.1", port), timeout=30, source_address=(ATTACKER, 0))
    try:
        s.sendall(b"POST /v1/ HTTP/1.1\r\nHost: x\r\n")
        while not stop.wait(0.5):
            s.sendall(b"X-Slow: 1\r\n")
    except OSError:
        closed.append(time.monotonic() - started)  # the server closed the connection
    finally:
        s.close()


def test_slow_clients_cannot_hold_the_threads(fakeipa, tmp_path):
    with running_server(fakeipa, tmp_path, auth_strategy="noauth", join_threads=8,
                        join_read_timeout=3, join_client_reading=4) as (url, _proc, log):
        port = int(url.rsplit(":", 1)[1])
        stop, closed, started = threading.Event(), [], time.monotonic()
        attackers = [threading.Thread(target=_trickle, args=(port, stop, closed, started))
                     for _ in range(12)]
        for t in attackers:
            t.start()
        try:
            time.sleep(1)  # the attack is under way
            # Liveness and enrollment still answer while the attack goes on.
            assert requests.get(url + "/healthcheck", timeout=5).status_code == 200
            resp = requests.post(url + "/v1/", json=nova_body(hostname="during"), timeout=10)
            assert resp.status_code == 200 and resp.json()["ipaotp"]
            # Every trickling connection is closed: beyond the client's share at once,
            # the others at the read deadline (all well before the attack would end).
            for t in attackers:
                t.join(timeout=15)
            assert len(closed) == 12
        finally:
            stop.set()
            for t in attackers:
                t.join(timeout=5)
