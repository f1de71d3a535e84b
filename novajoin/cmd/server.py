"""novajoin-server: serve the enrollment API with a threaded WSGI server.

With ``join_workers`` > 1 the command forks that many worker processes that
share the listening port (SO_REUSEPORT; the kernel spreads connections), so
one host uses all its cores; each worker builds its own clients after the
fork. SIGTERM/SIGINT to the parent stops them all gracefully.

Exit codes: 0 after a clean shutdown (SIGTERM or SIGINT), 1 when the
configuration is unusable or a worker died, 2 for a bad command line.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

from cheroot import wsgi

from novajoin import logsafe, openstack
from novajoin.api import deploy
from novajoin.cmd import server_guard
from novajoin.exception import ConfigError
from novajoin.wsgi import build_services, make_conf

LOG = logging.getLogger(__name__)
SHUTDOWN_TIMEOUT = 30  # seconds requests in flight may take to finish on stop


def _stop_on_signals() -> threading.Event:
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.set())
    signal.signal(signal.SIGINT, lambda signum, frame: stopping.set())
    return stopping


def serve(conf, reuse_port: bool = False) -> int:
    """Serve in this process until SIGTERM/SIGINT."""
    try:
        services = build_services(conf)
        app = deploy.deploy(services)
    except ConfigError as exc:
        LOG.error("%s", exc)
        return 1
    openstack.log_visibility_in_background(services.core.cloud)
    server = wsgi.Server((conf.join_listen, conf.join_listen_port), app,
                         numthreads=conf.join_threads, server_name="novajoin",
                         shutdown_timeout=SHUTDOWN_TIMEOUT, reuse_port=reuse_port,
                         # The listen backlog: a boot storm opens many connections at once.
                         request_queue_size=max(128, 2 * conf.join_threads))
    # Keep as many idle connections alive as there are threads (cheroot's default is 10):
    # in a boot storm the callers beyond the tenth would otherwise reconnect for every
    # request, which costs both sides more CPU than the request. Idle connections wait in
    # cheroot's selector, not on a thread, and are closed after its timeout.
    server.keep_alive_conn_limit = max(10, conf.join_threads)
    reading = server_guard.Reading(conf.join_client_reading or max(1, conf.join_threads // 2))
    server.ConnectionClass = server_guard.connection_class(conf.join_read_timeout, reading)
    stopping = _stop_on_signals()
    server.prepare()
    LOG.info("novajoin-server (pid %d) listening on %s:%d with %d threads", os.getpid(),
             *server.bind_addr[:2], conf.join_threads)
    serving = threading.Thread(target=server.serve, name="novajoin-server", daemon=True)
    serving.start()
    stopping.wait()
    # cheroot stops accepting, then lets requests in flight finish (shutdown_timeout).
    LOG.info("Stopping: finishing requests in flight")
    server.stop()
    serving.join(timeout=SHUTDOWN_TIMEOUT)
    services.stop()
    return 0


def supervise(conf) -> int:
    """Fork ``join_workers`` workers on one port; stop them all on a signal or a death."""
    try:
        build_services(conf)  # refuse a bad configuration before forking anything
    except ConfigError as exc:
        LOG.error("%s", exc)
        return 1
    children = []
    for _ in range(conf.join_workers):
        pid = os.fork()
        if pid == 0:  # the worker
            os._exit(serve(conf, reuse_port=True))
        children.append(pid)
    stopping = _stop_on_signals()
    died: list[int] = []

    def reap() -> None:
        pid, _ = os.wait()
        if not stopping.is_set():  # a worker ended on its own: stop everything
            died.append(pid)
            stopping.set()

    threading.Thread(target=reap, name="novajoin-reaper", daemon=True).start()
    stopping.wait()
    if died:
        LOG.error("Worker %d died; stopping the others", died[0])
    for pid in children:
        if pid not in died:
            os.kill(pid, signal.SIGTERM)
    for pid in children:
        if pid not in died:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:  # reaped by the reaper thread meanwhile
                continue
    return 1 if died else 0


def main(argv: list[str] | None = None) -> int:
    conf = make_conf(sys.argv[1:] if argv is None else argv)
    logsafe.setup(conf)
    if conf.join_workers > 1:
        return supervise(conf)
    return serve(conf)


if __name__ == "__main__":
    sys.exit(main())
