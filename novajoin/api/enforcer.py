"""oslo.policy's Enforcer, asked the way a busy request path needs.

oslo.policy looks for its policy file and ``policy.d`` directories on every
check (a dozen ``stat`` calls while there are none) and inspects the signature
of each check of the rule tree as it evaluates it: a third of the CPU of a
cheap request. novajoin asks one question (may these credentials do this?)
thousands of times a second with the same few credentials, so this Enforcer:

* looks for a new or changed policy file at most once per ``reload_interval``
  seconds instead of on every request: an edited policy still takes effect
  without a restart, within that interval;
* remembers oslo.policy's decision for a rule and one set of credentials until
  it looks again. The key is every credential oslo.policy sees (roles, user,
  project, domain, scope, names), so credentials that differ in anything are
  decided by oslo.policy afresh.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from oslo_config import cfg
from oslo_policy import policy

RELOAD_INTERVAL = 1.0  # seconds
MAX_DECISIONS = 1024  # distinct (rule, credentials) remembered at once


def _frozen(value: Any) -> Any:
    """A hashable image of credentials: a TypeError for what cannot be compared safely.

    Numbers keep their type (``True`` and ``1`` are equal in Python, not here); mappings
    keep their order (the same credentials in another order are only a miss).
    """
    kind = type(value)
    if kind is str or value is None:
        return value
    if kind is int or kind is bool or kind is float:
        return kind, value
    if kind is list or kind is tuple:
        return (kind, *(v if type(v) is str else _frozen(v) for v in value))
    if isinstance(value, Mapping):
        return (dict, *((k, v if type(v) is str else _frozen(v)) for k, v in value.items()))
    raise TypeError(f"cannot remember a decision on a {type(value).__name__}")


class Enforcer(policy.Enforcer):
    """A :class:`oslo_policy.policy.Enforcer` with :meth:`authorized`; see the module doc."""

    def __init__(self, conf: cfg.ConfigOpts, *, reload_interval: float = RELOAD_INTERVAL,
                 clock: Callable[[], float] = time.monotonic, **kwargs: Any) -> None:
        super().__init__(conf, **kwargs)
        self._reload_interval = reload_interval
        self._clock = clock
        self._next_load = float("-inf")
        self._decisions: dict[tuple, Any] = {}

    def load_rules(self, force_reload: bool = False) -> None:
        now = self._clock()
        if force_reload or now >= self._next_load:
            super().load_rules(force_reload)
            self._next_load = now + self._reload_interval
            self._decisions = {}  # the rules may have changed: decide again

    def set_rules(self, *args: Any, **kwargs: Any) -> None:
        super().set_rules(*args, **kwargs)
        self._decisions = {}

    def clear(self) -> None:
        super().clear()
        self._next_load = float("-inf")
        self._decisions = {}

    def authorized(self, rule: str, target: Mapping[str, Any], creds: dict[str, Any]) -> Any:
        """oslo.policy's ``authorize(rule, target, creds)``, remembered.

        Like it, raises ``PolicyNotRegistered`` for a rule novajoin does not define.
        """
        self.load_rules()
        try:
            key = (rule, _frozen(target), _frozen(creds))
        except TypeError:
            return self.authorize(rule, target, creds)
        decisions = self._decisions
        if key in decisions:
            return decisions[key]
        result = self.authorize(rule, target, dict(creds))
        if len(decisions) >= MAX_DECISIONS:
            decisions.clear()
        decisions[key] = result
        return result

    def authorize_or_raise(self, rule: str, target: Mapping[str, Any],
                           creds: dict[str, Any]) -> Any:
        """:meth:`authorized`, raising oslo.policy's ``PolicyNotAuthorized`` when refused."""
        result = self.authorized(rule, target, creds)
        if not result:
            raise policy.PolicyNotAuthorized(rule, target, creds)
        return result
