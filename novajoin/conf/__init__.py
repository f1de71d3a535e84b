"""Configuration options, registered on a ``ConfigOpts`` the caller owns.

There is no global ``CONF``: every entry point builds its own
``cfg.ConfigOpts()``, calls :func:`register_opts` and passes the object down.
Tests do the same with a fresh object, so no test leaks settings into another.
"""

from __future__ import annotations

from oslo_config import cfg

from novajoin.conf import api, enrollment, ipa, listener, reconcile

DEFAULT_CONFIG_FILE = "/etc/novajoin/join.conf"


def register_opts(conf: cfg.ConfigOpts) -> None:
    from novajoin import cache, openstack

    api.register_opts(conf)
    enrollment.register_opts(conf)
    ipa.register_opts(conf)
    listener.register_opts(conf)
    reconcile.register_opts(conf)
    openstack.register_opts(conf)
    cache.register_opts(conf)


def load(argv: list[str] | None, prog: str, config_files: list[str] | None = None
         ) -> cfg.ConfigOpts:
    """A new ``ConfigOpts`` with every novajoin and oslo.log option, parsed."""
    from oslo_log import log as oslo_log

    conf = cfg.ConfigOpts()
    register_opts(conf)
    oslo_log.register_options(conf)
    parse(conf, argv, prog, config_files)
    return conf


def parse(conf: cfg.ConfigOpts, argv: list[str] | None, prog: str,
          config_files: list[str] | None = None) -> None:
    """Parse the command line and config files, defaulting to join.conf when it exists."""
    import os

    if config_files is None:
        config_files = [DEFAULT_CONFIG_FILE] if os.path.exists(DEFAULT_CONFIG_FILE) else []
    conf(argv if argv is not None else [], project="novajoin", prog=prog,
         default_config_files=config_files)
