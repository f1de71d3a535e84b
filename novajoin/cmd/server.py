"""novajoin-server: serve the enrollment API with a threaded WSGI server.

Exit codes: 0 after a clean shutdown (SIGTERM or SIGINT), 1 when the
configuration is unusable, 2 for a bad command line.
"""

from __future__ import annotations

import logging
import signal
import sys

from cheroot import wsgi
from oslo_log import log as oslo_log

from novajoin.api import deploy
from novajoin.exception import ConfigError
from novajoin.wsgi import build_services, make_conf

LOG = logging.getLogger(__name__)


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
                         shutdown_timeout=30)
    # cheroot finishes the requests in flight (up to shutdown_timeout) on stop().
    def _stop(signum, frame):
        LOG.info("Signal %d received; finishing requests in flight", signum)
        server.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    server.prepare()
    LOG.info("novajoin-server listening on %s:%d with %d threads", *server.bind_addr[:2],
             conf.join_threads)
    server.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
