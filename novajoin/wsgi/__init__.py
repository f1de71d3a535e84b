"""Building novajoin-server's application from configuration.

:func:`init_application` is what a WSGI server (uwsgi, httpd mod_wsgi, or
``novajoin-server`` itself) needs: it reads the configuration, sets up
logging, builds the shared clients once and composes the stack.
"""

from __future__ import annotations

import logging
import os
import secrets

from oslo_config import cfg
from oslo_log import log as oslo_log
from oslo_policy import policy

from novajoin import conf as novajoin_conf
from novajoin.api import deploy, policies
from novajoin.api.context import ApiServices
from novajoin.conf import enrollment as enrollment_conf
from novajoin.enrollment import Enroller
from novajoin.exception import ConfigError
from novajoin.ipa import IpaClient
from novajoin.naming import Naming
from novajoin.openstack import Cloud

LOG = logging.getLogger(__name__)

# Library option groups that are not project sections of join.conf.
_LIBRARY_GROUPS = {"keystone_authtoken", "oslo_policy", "oslo_middleware", "healthcheck",
                   "service_credentials", "cache", "oslo_messaging_notifications",
                   "oslo_messaging_rabbit", "oslo_concurrency", "cors"}


def make_conf(argv: list[str] | None = None, config_files: list[str] | None = None,
              prog: str = "novajoin-server") -> cfg.ConfigOpts:
    conf = cfg.ConfigOpts()
    novajoin_conf.register_opts(conf)
    oslo_log.register_options(conf)
    novajoin_conf.parse(conf, argv, prog, config_files)
    return conf


def build_services(conf: cfg.ConfigOpts, ipa: IpaClient | None = None) -> ApiServices:
    """The clients every request shares, built once per process."""
    if not conf.domain:
        raise ConfigError(reason="the 'domain' option is not set")
    projects = enrollment_conf.register_project_opts(conf, _LIBRARY_GROUPS)
    ipa = ipa or IpaClient.from_conf(conf)
    if conf.otp_secret:
        secret = conf.otp_secret.encode()
    else:
        LOG.warning("otp_secret is not set: this process derives OTPs from a secret of its "
                    "own, so other novajoin processes will hand out different OTPs for the "
                    "same instance. Set otp_secret to the same value on every novajoin host.")
        secret = secrets.token_bytes(32)
    enforcer = policy.Enforcer(conf)
    enforcer.register_defaults(policies.list_rules())
    return ApiServices(
        conf=conf,
        naming=Naming(conf.domain, conf.project_subdomain, conf.normalize_project),
        ipa=ipa,
        enroller=Enroller(ipa, secret, conf.enrollment_recheck_interval),
        cloud=Cloud(conf),
        enforcer=enforcer,
        projects=frozenset(projects),
    )


def init_application(argv: list[str] | None = None, config_files: list[str] | None = None):
    """The WSGI application, configured from join.conf (or ``NOVAJOIN_CONFIG_FILE``)."""
    if config_files is None and os.environ.get("NOVAJOIN_CONFIG_FILE"):
        config_files = [os.environ["NOVAJOIN_CONFIG_FILE"]]
    conf = make_conf(argv, config_files)
    oslo_log.setup(conf, "novajoin")
    return deploy.deploy(build_services(conf))
