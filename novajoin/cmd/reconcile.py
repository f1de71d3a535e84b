"""novajoin-reconcile: compare nova's servers with the IPA entries novajoin owns, and fix drift.

    novajoin-reconcile --config-file /etc/novajoin/join.conf [--apply] [--json]
                       [--max-unenrolled-age HOURS] [--progress-every N]
    novajoin-reconcile --adopt [--include-enrolled] [--apply] [--json]

A dry run by default: the findings are printed as a table (or JSON with
``--json``) on stdout and nothing is changed; ``--apply`` fixes them. Progress
goes to stderr every N hosts or servers on long runs. See doc/reconcile.md.

``--adopt`` instead tags the hosts novajoin 1.x created (no owner tag) with
their instance's owner tag, a dry run unless ``--apply``; hosts with a keytab
only with ``--include-enrolled``. See doc/migration.md.

Exit codes:

* 0 -- no drift, or every finding fixed (``--apply``);
* 1 -- error: unusable configuration, IPA or Keystone unreachable...;
* 2 -- bad command line;
* 3 -- drift found in a dry run, or left unfixed by ``--apply`` (failed,
  skipped because the entry changed meanwhile, or no automatic fix);
* 4 -- nova's server list is incomplete (an error while listing, a cell nova
  cannot reach, nova older than API 2.69): nothing was changed, and the
  findings printed are unconfirmed.
"""

from __future__ import annotations

import json
import logging
import sys

from oslo_config import cfg
from oslo_log import log as oslo_log

from novajoin import conf as novajoin_conf
from novajoin import core, logsafe, reconcile
from novajoin.domain.redact import redact

LOG = logging.getLogger(__name__)

OK, ERROR, DRIFT, INCOMPLETE = 0, 1, 3, 4

cli_opts = [
    cfg.BoolOpt("apply", default=False, help="Fix what is found (default: only report)."),
    cfg.BoolOpt("json", default=False, help="Print the report as JSON instead of a table."),
    cfg.FloatOpt("max-unenrolled-age", dest="cli_max_unenrolled_age", min=0,
                 help="Hours after which an unused one-time password is reported "
                      "(default: max_unenrolled_age from the configuration, 24)."),
    cfg.BoolOpt("adopt", default=False,
                help="Tag the hosts novajoin 1.x created for nova's servers instead "
                     "(doc/migration.md); a dry run unless --apply."),
    cfg.BoolOpt("include-enrolled", dest="include_enrolled", default=False,
                help="With --adopt: also adopt hosts that have a keytab (confirm that "
                     "novajoin 1.x enrolled them)."),
    cfg.IntOpt("progress-every", default=500, min=0,
               help="Report progress on stderr every N hosts or servers (0: never)."),
]


class Progress:
    """Prints ``stage: done[/total]`` on stderr every ``every`` items, and at the end of a
    stage that printed before: silent on small clouds, alive on large ones."""

    def __init__(self, every: int, stream=sys.stderr) -> None:
        self.every, self.stream = every, stream
        self._printed: dict[str, int] = {}

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if not self.every:
            return
        last = self._printed.get(stage)
        due = done - (last or 0) >= self.every
        finished = done == total and last is not None and last != done  # a long stage ends
        if due or finished:
            self._printed[stage] = done
            print(f"{stage}: {done}" + (f"/{total}" if total else ""), file=self.stream,
                  flush=True)


def exit_code(report: reconcile.Report) -> int:
    if report.incomplete:
        return INCOMPLETE
    return DRIFT if report.unfixed else OK


def as_json(report: reconcile.Report) -> dict:
    return {
        "complete": report.incomplete is None,
        "incomplete_reason": report.incomplete,
        "applied": report.applied,
        "ipa_hosts": report.hosts,
        "nova_servers": report.instances,
        "summary": {k: sum(f.kind == k for f in report.findings) for k in reconcile.KINDS},
        "warnings": report.warnings,
        "findings": [{
            "kind": f.kind, "object": f.object, "instance": f.instance, "project": f.project,
            "reason": f.reason, "status": f.status, "error": f.error or None,
            "fix": [{"method": c.method, "args": list(c.args), "options": redact(dict(c.options))}
                    for c in f.fix],
        } for f in report.findings],
    }


def as_table(report: reconcile.Report) -> str:
    rows = [("KIND", "OBJECT", "INSTANCE", "STATUS", "FIX", "REASON")]
    for f in report.findings:
        fix = ", ".join(dict.fromkeys(c.method for c in f.fix)) or "-"
        reason = f.reason + (f" [{f.error}]" if f.error else "")
        rows.append((f.kind, f.object, f.instance, f.status, fix, reason))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + "  " + r[5]
             for r in rows] if report.findings else []
    lines.append(footer(report))
    return "\n".join(lines)


def footer(report: reconcile.Report) -> str:
    found = len(report.findings)
    text = (f"{report.hosts} novajoin hosts in IPA, {report.instances} servers in nova: "
            f"{found} findings" + (f" ({reconcile.summary(report.findings)})" if found else ""))
    if report.incomplete:
        return text + f". {report.incomplete}: nothing was changed, orphans are unconfirmed."
    if not report.applied:
        return text + (". Dry run: nothing was changed; --apply fixes them." if found else ".")
    fixed = sum(f.status == "fixed" for f in report.findings)
    return text + f", {fixed} fixed, {found - fixed} left."


def main(argv: list[str] | None = None) -> int:
    conf = cfg.ConfigOpts()
    novajoin_conf.register_opts(conf)
    oslo_log.register_options(conf)
    conf.register_cli_opts(cli_opts)
    novajoin_conf.parse(conf, sys.argv[1:] if argv is None else argv, "novajoin-reconcile")
    # A command: logs go to stderr, whatever the services' log file is; stdout is the report.
    conf.set_override("log_file", None)
    conf.set_override("use_stderr", True)
    logsafe.setup(conf)
    if conf.adopt:
        return adopt_main(conf)
    hours = conf.cli_max_unenrolled_age
    try:
        built = core.Core.from_conf(conf)
        reconciler = reconcile.Reconciler(
            built.lifecycle, built.cloud,
            max_unenrolled_age=conf.max_unenrolled_age if hours is None else hours,
            progress=Progress(conf.progress_every))
        report = reconciler.run(apply=conf.apply)
    except Exception as exc:  # noqa: BLE001 - a command reports any failure and exits 1
        LOG.debug("Reconciliation failed", exc_info=True)
        print(f"novajoin-reconcile: {type(exc).__name__}: {exc}", file=sys.stderr)
        return ERROR
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(json.dumps(as_json(report), indent=2) if conf.json else as_table(report))
    return exit_code(report)


def adopt_main(conf) -> int:
    from novajoin.domain import adoption
    from novajoin.reconcile import adopt

    try:
        report = adopt.run(core.Core.from_conf(conf), apply=conf.apply,
                           include_enrolled=conf.include_enrolled)
    except Exception as exc:  # noqa: BLE001 - a command reports any failure and exits 1
        LOG.debug("Adoption failed", exc_info=True)
        print(f"novajoin-reconcile: {type(exc).__name__}: {exc}", file=sys.stderr)
        return ERROR
    for line in report.skipped_servers:
        print(f"warning: server {line}", file=sys.stderr)
    rows = [{"action": d.action, "fqdn": d.fqdn, "instance": d.instance_id,
             "reason": d.reason, "result": report.results.get(d.fqdn),
             "hosts": [c.args[0] for c in d.calls]} for d in report.decisions]
    adoptable = sum(d.action == adoption.ADOPT for d in report.decisions)
    done = sum(r == "adopted" for r in report.results.values())
    if conf.json:
        print(json.dumps({"applied": report.applied, "nova_servers": report.servers,
                          "decisions": rows}, indent=2))
    else:
        for r in rows:
            print(f"{r['action']:<6} {r['fqdn']}  {r['instance']}  {r['reason']}"
                  + (f"  [{r['result']}]" if r["result"] else ""))
        tail = (f"{done} adopted" if report.applied
                else "dry run: nothing was changed; --apply tags them")
        print(f"{report.servers} servers in nova: {adoptable} 1.x hosts to adopt, "
              f"{len(rows) - adoptable} left alone; {tail}.")
    return OK if adoptable == done else DRIFT


if __name__ == "__main__":
    sys.exit(main())
