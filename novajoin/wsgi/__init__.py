"""Building novajoin-server's application from configuration.

:func:`init_application` is what a WSGI server (uwsgi, httpd mod_wsgi, or
``novajoin-server`` itself) needs: it reads the configuration, sets up
logging, builds the shared clients once and composes the stack.
"""

from __future__ import annotations

import os

from oslo_config import cfg

from novajoin import conf as novajoin_conf
from novajoin import logsafe
from novajoin.api import deploy
from novajoin.api.context import ApiServices
from novajoin.ipa import IpaClient


def make_conf(argv: list[str] | None = None, config_files: list[str] | None = None,
              prog: str = "novajoin-server") -> cfg.ConfigOpts:
    return novajoin_conf.load(argv, prog, config_files)


def build_services(conf: cfg.ConfigOpts, ipa: IpaClient | None = None,
                   cloud=None) -> ApiServices:
    """The clients every request shares, built once per process."""
    return ApiServices.from_conf(conf, ipa=ipa, cloud=cloud)


def init_application(argv: list[str] | None = None, config_files: list[str] | None = None):
    """The WSGI application, configured from join.conf (or ``NOVAJOIN_CONFIG_FILE``)."""
    if config_files is None and os.environ.get("NOVAJOIN_CONFIG_FILE"):
        config_files = [os.environ["NOVAJOIN_CONFIG_FILE"]]
    conf = make_conf(argv, config_files)
    logsafe.setup(conf)
    return deploy.deploy(build_services(conf))
