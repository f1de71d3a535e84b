"""The clients and rules a novajoin process shares, built once from its configuration.

Both novajoin-server and novajoin-notify build one :class:`Core` at start-up
and pass it down; nothing is built at import time or per request.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets

from oslo_config import cfg

from novajoin import cache
from novajoin.conf.enrollment import Projects
from novajoin.domain.naming import Naming
from novajoin.enrollment import Enroller
from novajoin.exception import ConfigError
from novajoin.ipa import IpaClient
from novajoin.metrics import Metrics
from novajoin.openstack import Cloud

LOG = logging.getLogger(__name__)


@dataclasses.dataclass
class Core:
    conf: cfg.ConfigOpts
    naming: Naming
    ipa: IpaClient
    enroller: Enroller
    cloud: Cloud
    projects: Projects
    cache_stats: cache.Stats = dataclasses.field(default_factory=cache.Stats)
    metrics: Metrics | None = None

    def realm(self) -> str:
        return self.ipa.realm()


def otp_secret(conf: cfg.ConfigOpts) -> bytes:
    if conf.otp_secret:
        return conf.otp_secret.encode()
    LOG.warning("otp_secret is not set: this process derives OTPs from a secret of its own, "
                "so other novajoin processes will hand out different OTPs for the same "
                "instance. Set otp_secret to the same value on every novajoin host.")
    return secrets.token_bytes(32)


def domain(conf: cfg.ConfigOpts, ipa_default_conf: str = "/etc/ipa/default.conf") -> str:
    """``domain``, else the IPA domain of this host (novajoin 1.x asked ipalib)."""
    import configparser

    if conf.domain:
        return conf.domain
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(ipa_default_conf)
        found = parser.get("global", "domain", fallback=None)
    except configparser.Error:
        found = None  # an unreadable client config names no domain either
    if not found:
        raise ConfigError(reason=f"the 'domain' option is not set and {ipa_default_conf} "
                                 f"names no domain")
    return found


def build(conf: cfg.ConfigOpts, ipa: IpaClient | None = None) -> dict:
    """Keyword arguments for :class:`Core` (or a subclass) from ``conf``."""
    stats = cache.Stats()
    metrics = Metrics(stats)
    ipa = ipa or IpaClient.from_conf(conf, metrics=metrics)
    region = cache.shared_region(conf)
    known = cache.Memo("enrollment", conf.enrollment_recheck_interval, region, stats)
    return dict(conf=conf, naming=Naming(domain(conf), conf.project_subdomain,
                                         conf.normalize_project),
                ipa=ipa, enroller=Enroller(ipa, otp_secret(conf), known, metrics),
                cloud=Cloud(conf, region, stats), projects=Projects(conf), cache_stats=stats,
                metrics=metrics)
