"""novajoin-server: serve the enrollment API with a threaded WSGI server.

Exit codes: 0 after a clean shutdown (SIGTERM or SIGINT), 1 when the
configuration is unusable, 2 for a bad command line.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading

from cheroot import wsgi
from oslo_log import log as oslo_log

from novajoin.api import deploy
from novajoin.exception import ConfigError
from novajoin.wsgi import build_services, make_conf

LOG = logging.getLogger(__name__)
SHUTDOWN_TIMEOUT = 30  # seconds requests in flight may take to finish on stop


def main(argv: list[str] | None = None) -> int:
    conf = make_conf(sys.argv[1:] if argv is None else argv)
    oslo_log.setup(conf, "novajoin")
    try:
        app = deploy.deploy(build_services(conf))
    except ConfigError as exc:
        LOG.error("%s", exc)
        return 1
    server = wsgi.Server((conf.join_listen, conf.join_listen_port), app,
                         numthreads=conf.join_threads, server_name="novajoin",
                         shutdown_timeout=SHUTDOWN_TIMEOUT,
                         # The listen backlog: a boot storm opens many connections at once.
                         request_queue_size=max(128, 2 * conf.join_threads))
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.set())
    signal.signal(signal.SIGINT, lambda signum, frame: stopping.set())
    server.prepare()
    LOG.info("novajoin-server listening on %s:%d with %d threads", *server.bind_addr[:2],
             conf.join_threads)
    serving = threading.Thread(target=server.serve, name="novajoin-server", daemon=True)
    serving.start()
    stopping.wait()
    # cheroot stops accepting, then lets requests in flight finish (shutdown_timeout).
    LOG.info("Stopping: finishing requests in flight")
    server.stop()
    serving.join(timeout=SHUTDOWN_TIMEOUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
