"""``novajoin-reconcile --adopt``: tag the hosts novajoin 1.x created (see doc/migration.md).

Lists nova's servers of all projects, keeps those that ask for enrollment
(metadata, else image: the same :class:`~novajoin.describe.Describer` as boot),
reads the 1.x names of each in IPA and lets :func:`novajoin.domain.adoption.decide`
say what to tag. A dry run unless ``apply``; each tag is re-checked just before
it is written (the entry must still be untagged), and audited.
"""

from __future__ import annotations

import dataclasses
import logging

from novajoin import audit, exception
from novajoin.domain import adoption
from novajoin.domain.adoption import Candidate, Decision
from novajoin.domain.calls import IpaCall

LOG = logging.getLogger(__name__)

# novajoin's own role may write only hosts that carry its owner tag (novajoin-ipa-setup's
# filters), so it cannot tag 1.x's untagged hosts: adopting is an administrator's step.
ADMIN_NEEDED = ("novajoin's IPA role may change only hosts that carry its owner tag: run "
                "--adopt with an IPA administrator's login (doc/migration.md)")


@dataclasses.dataclass
class AdoptReport:
    servers: int = 0
    decisions: list[Decision] = dataclasses.field(default_factory=list)
    skipped_servers: list[str] = dataclasses.field(default_factory=list)
    applied: bool = False
    results: dict[str, str] = dataclasses.field(default_factory=dict)  # fqdn -> outcome


def candidates(core, servers) -> tuple[list[Candidate], list[str], int]:
    """The servers that ask for enrollment, with their 1.x names; and why others were left."""
    found, skipped, count = [], [], 0
    conf = core.conf
    for server in servers:
        count += 1
        iid = str(server.id).lower()
        hostname = getattr(server, "hostname", None) or server.name
        image = server.image if isinstance(server.image, dict) else {}
        try:
            e = core.describer.for_boot(iid, server.project_id, hostname,
                                        dict(server.metadata or {}), image.get("id"))
        except exception.NovajoinError as exc:
            skipped.append(f"{iid}: {exc}")
            continue
        if e is None:
            continue
        project = (core.cloud.project_name(server.project_id) if conf.project_subdomain
                   else None)
        legacy = adoption.legacy_fqdn(hostname, core.naming.domain, project,
                                      conf.project_subdomain)
        # Sub-hosts are named from the host; when 1.x named the host differently than
        # novajoin 2 does, only the host is adopted.
        subs = tuple(e.subhosts) if legacy == e.fqdn else ()
        found.append(Candidate(iid, server.project_id, legacy, subs))
    return found, skipped, count


def _show(ipa, names: list[str]) -> dict[str, dict | None]:
    entries: dict[str, dict | None] = {}
    outcomes = ipa.batch([IpaCall("host_show", (n,), {"all": True}) for n in names])
    for name, outcome in zip(names, outcomes, strict=True):
        if isinstance(outcome.error, exception.IpaNotFound):
            entries[name] = None
        else:
            entries[name] = outcome.unwrap()["result"]
    return entries


def run(core, *, apply: bool = False, include_enrolled: bool = False) -> AdoptReport:
    servers = core.cloud.compute().servers(details=True, all_projects=True)
    found, skipped, count = candidates(core, servers)
    names = sorted({n for c in found for n in (c.fqdn, *c.subhosts)})
    entries = _show(core.ipa, names)
    decisions = adoption.decide(found, entries, core.conf.deployment, include_enrolled)
    report = AdoptReport(count, decisions, skipped, apply)
    if not apply:
        return report
    for d in decisions:
        if d.action != adoption.ADOPT:
            continue
        # Still untagged? (novajoin 2 may have tagged it meanwhile, or an admin.)
        now = _show(core.ipa, [c.args[0] for c in d.calls])
        stale = [n for n, e in now.items() if e is None or e.get("description")]
        if stale:
            report.results[d.fqdn] = f"skipped: changed meanwhile ({', '.join(stale)})"
            continue
        outcomes = core.ipa.batch(list(d.calls))
        errors = [str(o.error) for o in outcomes if not o.ok]
        if any(isinstance(o.error, exception.IpaAuthorizationError) for o in outcomes):
            # By design: novajoin's role writes only hosts that carry its owner tag.
            errors.append(ADMIN_NEEDED)
        report.results[d.fqdn] = f"failed: {'; '.join(errors)}" if errors else "adopted"
        audit.record("adopt", "failed" if errors else "ok", instance=d.instance_id,
                     fqdn=d.fqdn, hosts=[c.args[0] for c in d.calls])
    return report
