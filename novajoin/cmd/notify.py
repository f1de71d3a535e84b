"""novajoin-notify: remove, reset and update IPA entries as nova and neutron report changes.

Exit codes: 0 after a clean shutdown (SIGTERM or SIGINT), 1 when the
configuration is unusable, 2 for a bad command line.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading

from novajoin import conf as novajoin_conf
from novajoin import core, logsafe, openstack
from novajoin.exception import ConfigError
from novajoin.listener.service import Listener

LOG = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    conf = novajoin_conf.load(sys.argv[1:] if argv is None else argv, "novajoin-notify")
    logsafe.setup(conf)
    try:
        built = core.Core.from_conf(conf, gather=conf.ipa_gather_requests)
        listener = Listener(conf, built)
    except ConfigError as exc:
        LOG.error("%s", exc)
        return 1
    openstack.log_visibility_in_background(built.cloud)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.set())
    signal.signal(signal.SIGINT, lambda signum, frame: stopping.set())
    listener.start()
    stopping.wait()
    LOG.info("Stopping: finishing the notifications in flight")
    listener.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
