"""Configuration options, registered on a ``ConfigOpts`` the caller owns.

There is no global ``CONF``: every entry point builds its own
``cfg.ConfigOpts()``, calls :func:`register_opts` and passes the object down.
Tests do the same with a fresh object, so no test leaks settings into another.
"""

from oslo_config import cfg

from novajoin.conf import ipa


def register_opts(conf: cfg.ConfigOpts) -> None:
    ipa.register_opts(conf)
