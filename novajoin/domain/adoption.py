"""Adopting novajoin 1.x hosts: which untagged IPA hosts become an instance's. No I/O here.

novajoin 1.x created hosts without an owner tag, so novajoin 2 never deletes,
rebuilds or publishes for them. ``novajoin-reconcile --adopt`` tags them: for a
nova server that asks for enrollment, the host named as 1.x named it
(:func:`legacy_fqdn`) gets the owner tag of the server, and its compact/managed
sub-hosts the sub-host tag. :func:`decide` refuses, with the reason:

* a name two servers map to (whose is it?);
* an entry that carries any owner tag already (ours: nothing to do; another
  deployment's: never touched);
* an entry with a description of its own (the tag would replace it);
* an entry with a keytab, unless the operator confirms (``include_enrolled``):
  a keytab proves an enrollment, not that 1.x made it.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from novajoin.domain import ownership
from novajoin.domain.calls import IpaCall

ADOPT, SKIP = "adopt", "skip"


def legacy_fqdn(hostname: str, domain: str, project_name: str | None = None,
                project_subdomain: bool = False) -> str:
    """The host name novajoin 1.x gave an instance: ``<hostname>[.<project>].<domain>``.

    1.x appended the (unnormalised) project name with ``project_subdomain``, and kept
    nova's ``hostname`` as it was, lower-cased by IPA.
    """
    short = hostname.lower().rstrip(".")
    if project_subdomain and project_name:
        return f"{short}.{project_name.lower()}.{domain}".lower()
    return f"{short}.{domain}".lower()


@dataclasses.dataclass(frozen=True)
class Candidate:
    """A nova server asking for enrollment, with the names 1.x would have created."""

    instance_id: str
    project_id: str
    fqdn: str
    subhosts: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Decision:
    fqdn: str
    instance_id: str
    action: str
    reason: str
    calls: tuple[IpaCall, ...] = ()


def _refusal(entry: Mapping[str, Any], include_enrolled: bool) -> str | None:
    texts = [str(t) for t in entry.get("description") or ()]
    if any(t.startswith(ownership.PREFIX) for t in texts):
        return "carries an owner tag already (this or another deployment's)"
    if texts:
        return "has a description of its own, which the tag would replace: tag it by hand"
    if entry.get("has_keytab") and not include_enrolled:
        return ("has a keytab (enrolled): confirm that novajoin 1.x enrolled it with "
                "--include-enrolled")
    return None


def decide(candidates: Sequence[Candidate], entries: Mapping[str, Mapping[str, Any] | None],
           deployment: str = ownership.DEFAULT, include_enrolled: bool = False
           ) -> list[Decision]:
    """What to do with each existing entry a candidate's names point at.

    ``entries`` maps every name of every candidate to its ``host_show`` result (None:
    not in IPA; such names are left out of the answer).
    """
    claims: dict[str, list[str]] = collections.defaultdict(list)
    for c in candidates:
        for name in (c.fqdn, *c.subhosts):
            claims[name].append(c.instance_id)
    decisions = []
    for c in candidates:
        host = entries.get(c.fqdn)
        if host is None:
            continue
        shared = sorted(set(claims[c.fqdn]))
        if len(shared) > 1:
            decisions.append(Decision(c.fqdn, c.instance_id, SKIP,
                                      f"the name maps to {len(shared)} servers: "
                                      f"{', '.join(shared)}"))
            continue
        refused = _refusal(host, include_enrolled)
        if refused:
            decisions.append(Decision(c.fqdn, c.instance_id, SKIP, refused))
            continue
        owner = ownership.Owner(c.instance_id, c.project_id, 0, ownership.HOST, deployment)
        calls = [IpaCall("host_mod", (c.fqdn,), {"description": owner.tag()})]
        left = []
        for sub in c.subhosts:
            entry = entries.get(sub)
            if entry is None:
                continue
            why = ("the name maps to several servers" if len(set(claims[sub])) > 1
                   else _refusal(entry, include_enrolled))
            if why:
                left.append(f"sub-host {sub} {why}")
                continue
            calls.append(IpaCall("host_mod", (sub,), {"description": owner.of_subhost().tag()}))
        reason = f"1.x host of instance {c.instance_id}" + (f"; {'; '.join(left)}" if left
                                                           else "")
        decisions.append(Decision(c.fqdn, c.instance_id, ADOPT, reason, tuple(calls)))
    return decisions
