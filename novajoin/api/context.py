"""What a request handler is given: the process's use cases and the API's policy, built once."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import threading

from oslo_config import cfg

from novajoin.api import enforcer as api_enforcer
from novajoin.api import policies
from novajoin.core import Core


@dataclasses.dataclass(frozen=True)
class ApiServices:
    """The parts of :class:`~novajoin.core.Core` the API uses, and its policy enforcer."""

    core: Core
    enforcer: api_enforcer.Enforcer
    # Work done after nova has its answer (floating IPs of a new host), given up at stop.
    background: concurrent.futures.Executor = dataclasses.field(
        default_factory=lambda: concurrent.futures.ThreadPoolExecutor(
            2, thread_name_prefix="novajoin-after-boot"))
    stopping: threading.Event = dataclasses.field(default_factory=threading.Event)

    def stop(self) -> None:
        """Let background work end now instead of holding the process's exit."""
        self.stopping.set()
        self.background.shutdown(wait=False, cancel_futures=True)

    @classmethod
    def from_conf(cls, conf: cfg.ConfigOpts, *, ipa=None, cloud=None) -> ApiServices:
        enforcer = api_enforcer.Enforcer(conf)
        enforcer.register_defaults(policies.list_rules())
        return cls(Core.from_conf(conf, ipa=ipa, cloud=cloud), enforcer)

    @property
    def conf(self) -> cfg.ConfigOpts:
        return self.core.conf

    @property
    def describer(self):
        return self.core.describer

    @property
    def enroller(self):
        return self.core.enroller

    @property
    def ipa(self):
        return self.core.ipa

    @property
    def metrics(self):
        return self.core.metrics
