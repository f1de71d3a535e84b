"""novajoin-status: is this novajoin ready, and what does IPA hold for an instance?

``novajoin-status upgrade check`` runs after installing and after every upgrade
(the OpenStack convention of ``nova-status``, with oslo.upgradecheck): one line
per check with what to do, exit 0 (all succeeded), 1 (a warning: look at it),
2 (a failure: fix it before starting novajoin). ``--json`` prints the results
for scripts.

``novajoin-status instance UUID`` shows what novajoin computes and IPA holds
for one instance (read-only; see ``doc/troubleshooting.md``).

Both read join.conf (``--config-file``, default /etc/novajoin/join.conf) and use
novajoin's own credentials. Exit 255: a check failed unexpectedly (a bug).
"""

from __future__ import annotations

import logging
import sys
import traceback

from oslo_config import cfg
from oslo_upgradecheck import upgradecheck

from novajoin import conf as novajoin_conf
from novajoin.cmd import status_checks, status_instance
from novajoin.cmd.status_checks import Context

PROG = "novajoin-status"


class UpgradeChecks(upgradecheck.UpgradeCommands):
    display_title = "novajoin upgrade check"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._upgrade_checks = tuple((name, self._guarded(fn))
                                     for name, fn in status_checks.CHECKS)

    def _guarded(self, fn):
        def run(_self) -> upgradecheck.Result:
            try:
                return fn(self.ctx)
            except Exception as exc:  # noqa: BLE001 - one check's bug is its own line
                return upgradecheck.Result(
                    upgradecheck.Code.FAILURE,
                    f"the check failed unexpectedly: {type(exc).__name__}: {exc} "
                    f"({traceback.format_exc(limit=-1).strip().splitlines()[-1]})")
        return run


def _add_parsers(subparsers) -> None:
    upgrade = subparsers.add_parser("upgrade", help="readiness checks after install/upgrade")
    upgrade.add_argument("check", choices=["check"])
    upgrade.add_argument("--json", action="store_true", help="results as JSON")
    upgrade.add_argument("--private-image", metavar="ID",
                         help="an image private to another project than novajoin's: the "
                              "Glance check reads its properties (else it cannot verify that "
                              "private images are visible)")
    upgrade.add_argument("--hostname", help="FQDN of this novajoin host in IPA (default: from "
                                            "keytab_principal, else this host's FQDN)")
    instance = subparsers.add_parser("instance", help="an instance's enrollment state in IPA")
    instance.add_argument("instance_id", metavar="UUID")
    instance.add_argument("--json", action="store_true", help="the state as JSON")
    instance.add_argument("--audit-log", metavar="PATH",
                          help="novajoin's audit log: its last lines about the instance")
    instance.add_argument("--lines", type=int, default=10,
                          help="how many audit lines (default 10)")


def build_conf() -> cfg.ConfigOpts:
    from oslo_log import log as oslo_log

    conf = cfg.ConfigOpts()
    novajoin_conf.register_opts(conf)
    oslo_log.register_options(conf)
    conf.register_cli_opt(cfg.SubCommandOpt("command", handler=_add_parsers,
                                            title="commands"))
    return conf


def main(argv: list[str] | None = None, *, ipa=None, cloud=None) -> int:
    conf = build_conf()
    try:
        novajoin_conf.parse(conf, sys.argv[1:] if argv is None else argv, PROG)
    except cfg.ConfigFileParseError as exc:
        print(f"{PROG}: Failure: join.conf does not parse: {exc}", file=sys.stderr)
        return int(upgradecheck.Code.FAILURE)
    except cfg.Error as exc:
        print(f"{PROG}: Failure: join.conf cannot be used: {exc}", file=sys.stderr)
        return int(upgradecheck.Code.FAILURE)
    logging.basicConfig(level=logging.DEBUG if conf.debug else logging.CRITICAL,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    command = conf.command
    if command.name == "instance":
        return status_instance.run(conf, command, ipa=ipa, cloud=cloud)
    ctx = Context(conf, ipa=ipa, cloud=cloud, private_image=command.private_image,
                  hostname=command.hostname)
    upgradecheck.CONF = conf  # oslo.upgradecheck reads --json from it
    try:
        return int(UpgradeChecks(ctx).check())
    finally:
        upgradecheck.CONF = None
        if ctx.ipa is not None and ipa is None:
            ctx.ipa.close()


if __name__ == "__main__":
    sys.exit(main())
