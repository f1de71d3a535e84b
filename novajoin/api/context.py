"""What a request handler is given: the process's shared services, built once."""

from __future__ import annotations

import dataclasses

from oslo_policy import policy

from novajoin.core import Core


@dataclasses.dataclass
class ApiServices(Core):
    """:class:`~novajoin.core.Core` plus the policy enforcer of the API."""

    enforcer: policy.Enforcer | None = None
