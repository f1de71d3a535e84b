"""The composition root: a novajoin process's clients and use cases, built once.

novajoin-server, novajoin-notify and novajoin-reconcile each build one
:class:`Core` at start-up with :meth:`Core.from_conf` and pass its parts down
explicitly; nothing is built at import time or per request. Tests inject the
IPA client or the cloud (``from_conf(conf, ipa=..., cloud=...)``) rather than
patching a built object.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets

from oslo_config import cfg

from novajoin import cache
from novajoin.conf.enrollment import Projects
from novajoin.describe import Describer
from novajoin.domain.naming import Naming
from novajoin.enrollment import Enroller
from novajoin.exception import ConfigError
from novajoin.ipa import IpaClient, hostconf
from novajoin.ipa.hostconf import HostConf
from novajoin.lifecycle import APPLIED_TTL, Lifecycle
from novajoin.metrics import Metrics
from novajoin.openstack import Cloud

LOG = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Core:
    conf: cfg.ConfigOpts
    naming: Naming
    ipa: IpaClient
    cloud: Cloud
    projects: Projects
    enroller: Enroller
    describer: Describer
    lifecycle: Lifecycle
    metrics: Metrics
    cache_stats: cache.Stats

    @classmethod
    def from_conf(cls, conf: cfg.ConfigOpts, *, ipa: IpaClient | None = None,
                  cloud=None, gather: int = 0) -> Core:
        """:param gather: see ``IpaClient``; novajoin-notify's ``ipa_gather_requests``."""
        stats = cache.Stats()
        metrics = Metrics(stats)
        ipa = ipa or IpaClient.from_conf(conf, metrics=metrics, gather=gather)
        region = cache.shared_region(conf)
        cloud = cloud or Cloud(conf, region, stats, metrics=metrics)
        known = cache.Memo("enrollment", conf.enrollment_recheck_interval, region, stats)
        naming = Naming(domain(conf), conf.project_subdomain, conf.normalize_project,
                        conf.max_hostname_length)
        projects = Projects(conf)
        enroller = Enroller(ipa, otp_secret(conf), known, metrics)
        describer = Describer(naming, cloud, projects, ipa.realm, conf.deployment)
        return cls(conf=conf, naming=naming, ipa=ipa, cloud=cloud, projects=projects,
                   enroller=enroller, describer=describer,
                   lifecycle=Lifecycle(ipa, enroller, describer, cloud,
                                       deployment=conf.deployment,
                                       applied=cache.Memo("services", APPLIED_TTL, region,
                                                          stats)),
                   metrics=metrics, cache_stats=stats)


def otp_secret(conf: cfg.ConfigOpts) -> bytes:
    if conf.otp_secret:
        return conf.otp_secret.encode()
    LOG.warning("otp_secret is not set: this process derives OTPs from a secret of its own, "
                "so other novajoin processes will hand out different OTPs for the same "
                "instance. Set otp_secret to the same value on every novajoin host.")
    return secrets.token_bytes(32)


def domain(conf: cfg.ConfigOpts, ipa_default_conf: str = hostconf.PATH) -> str:
    """``domain``, else the IPA domain of this host (novajoin 1.x asked ipalib)."""
    if conf.domain:
        return conf.domain
    found = HostConf.read(ipa_default_conf).get("domain")
    if not found:
        raise ConfigError(reason=f"the 'domain' option is not set and {ipa_default_conf} "
                                 f"names no domain")
    return found
