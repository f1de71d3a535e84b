"""novajoin-ipa-setup: prepare IPA for novajoin, once per novajoin host.

Run as an IPA administrator. It creates novajoin's permissions (scoped to the
entries novajoin owns wherever IPA can enforce it, see
``doc/ipa-permissions.md``), the privilege that holds them, the role
"Nova Host Manager", the host entry of this machine and its ``nova/<host>``
service principal as the role's member. What exists already is left alone,
so a second run changes nothing and says so. ``--precreate`` gives a new host
entry a one-time password, printed on stdout, for ``ipa-client-install -w``.

The password is read from ``--password-file``, prompted for on a terminal,
or (visibly to other users, with a warning) taken from ``--password``.

Exit codes:
  0  IPA is ready for novajoin (also after a run that had nothing to change,
     and after a dry run)
  1  IPA refused or failed a step (for missing rights the message names the
     step and the right it needs), or lacks a permission novajoin relies on;
     no step after the failing one ran
  2  bad command line; no password available; password or CA file unreadable
  3  IPA refused the administrator's credentials
  4  IPA could not be reached, or did not answer as IPA does
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import socket
import sys
from typing import Any
from urllib.parse import urlsplit

from novajoin import exception, ipa_setup
from novajoin.domain import naming, ownership
from novajoin.exception import StepFailed, UsageError
from novajoin.ipa import auth, client, hostconf
from novajoin.ipa.hostconf import HostConf

LOG = logging.getLogger(__name__)
PROG = "novajoin-ipa-setup"
IPA_DEFAULT_CONF = hostconf.PATH
KEYTAB = "/etc/novajoin/krb5.keytab"


def _deployment(value: str) -> str:
    try:
        return ownership.check_deployment(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("--principal", default="admin", help="IPA administrator (default: admin)")
    secret = p.add_mutually_exclusive_group()
    secret.add_argument("--password", help="administrator password (visible in the process "
                                           "list; prefer --password-file or the prompt)")
    secret.add_argument("--password-file", help="file whose first line is the password")
    p.add_argument("--server", help="IPA server FQDN: https://SERVER/ipa/json "
                                    f"(default: server in {IPA_DEFAULT_CONF})")
    p.add_argument("--url", help="full IPA JSON-RPC URL; overrides --server")
    p.add_argument("--ca-file", default="/etc/ipa/ca.crt", help="CA of IPA's certificate")
    p.add_argument("--realm", help="expected Kerberos realm (checked against IPA)")
    p.add_argument("--domain", help="expected IPA domain (checked against IPA)")
    p.add_argument("--hostname", default=None, help="FQDN of this novajoin host "
                                                    "(default: socket.getfqdn())")
    p.add_argument("--deployment", type=_deployment, default=ownership.DEFAULT,
                   help="the [DEFAULT] deployment of the novajoin it prepares, when several "
                        "share this IPA: its permissions, privilege and role are its own and "
                        "reach only hosts tagged with it (default: default)")
    p.add_argument("--precreate", action="store_true",
                   help="give a new host entry a one-time password and print it")
    p.add_argument("--dry-run", action="store_true", help="show what would change; change "
                                                          "nothing")
    p.add_argument("-v", "--verbose", action="store_true", help="list what already exists; "
                                                                "log IPA calls")
    return p


def read_password(args: argparse.Namespace) -> str:
    if args.password_file:
        try:
            with open(args.password_file, encoding="utf-8") as stream:
                password = stream.readline().rstrip("\r\n")
        except OSError as exc:
            raise UsageError(f"cannot read --password-file: {exc.strerror}") from None
        if not password:
            raise UsageError(f"--password-file {args.password_file} is empty")
        return password
    if args.password is not None:
        print(f"{PROG}: warning: --password is visible to other users in the process list; "
              "prefer --password-file or the prompt", file=sys.stderr)
        return args.password
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(f"Password for {args.principal}: ")
    raise UsageError("no password: give --password-file (or run on a terminal to be asked)")


def ipa_url(args: argparse.Namespace) -> str:
    if args.url:
        return args.url
    server = args.server
    if not server:
        server = HostConf.read(IPA_DEFAULT_CONF).get("server")
    if not server:
        raise UsageError("give --server (the IPA server's FQDN) or --url")
    return f"https://{server}/ipa/json"


def connect(args: argparse.Namespace, url: str) -> client.IpaClient:
    cafile: str | bool = True
    if url.startswith("https:"):
        if not os.path.isfile(args.ca_file):
            raise UsageError(f"CA file {args.ca_file} not found; give --ca-file")
        cafile = args.ca_file
    else:
        print(f"{PROG}: warning: {url} is not https: the password travels unencrypted "
              "(only for a test emulator)", file=sys.stderr)
    login = auth.PasswordLogin(args.principal, read_password(args))
    try:
        return client.IpaClient(url, login, cafile=cafile, connect_retries=1, retry_delay=0.5)
    except exception.ConfigError as exc:
        raise UsageError(exc.message) from None


def observe(ipa: client.IpaClient, d: ipa_setup.Desired) -> ipa_setup.Observed:
    """Read everything the plan depends on in one batch; missing entries are None."""
    reads = [client.IpaCall("permission_show", (n,), {"all": True}) for n in d.permission_names]
    reads += [client.IpaCall("privilege_show", (d.privilege,)),
              client.IpaCall("role_show", (d.role,)),
              client.IpaCall("host_show", (d.hostname,)),
              client.IpaCall("service_show", (d.principal,))]
    found: list[dict[str, Any] | None] = []
    for outcome in ipa.batch(reads):
        if isinstance(outcome.error, exception.IpaNotFound):
            found.append(None)
        else:
            found.append(outcome.unwrap()["result"])
    count = len(d.permission_names)
    return ipa_setup.Observed(dict(zip(d.permission_names, found[:count], strict=True)),
                              *found[count:])


def ipa_servers(ipa: client.IpaClient) -> list[str]:
    try:
        return [e["cn"][0] for e in ipa.call("server_find", pkey_only=True)["result"]]
    except exception.IpaCommandError as exc:
        print(f"{PROG}: warning: cannot list the IPA servers ({exc.message}); services they "
              "manage are not excluded from novajoin's service permissions", file=sys.stderr)
        return []


def execute(ipa: client.IpaClient, step: ipa_setup.Step) -> tuple[str, str | None]:
    """Run one step: (what happened, one-time password or None)."""
    try:
        output = ipa.execute(step.call)
    except exception.IpaDuplicateEntry:
        return "exists", None  # created by someone else since we looked
    except exception.IpaACIError as exc:
        raise StepFailed(f'IPA refused to {step.verb} {step.item} ({step.call.method}): '
                         f"{exc.message}. This step needs {step.needs}; run {PROG} as a "
                         "member of IPA's admins group") from None
    except exception.IpaCommandError as exc:
        raise StepFailed(f"cannot {step.verb} {step.item} ({step.call.method}): "
                         f"{exc.message}") from None
    failed = _member_failures(output)
    if failed:
        raise StepFailed(f"cannot {step.verb} {step.item}: {'; '.join(failed)}")
    otp = output["result"].get("randompassword") if step.otp else None
    return {"create": "created", "update": "updated", "add": "added"}[step.verb], otp


def _member_failures(output: dict[str, Any]) -> list[str]:
    failures = []
    for kinds in (output.get("failed") or {}).values():
        for items in kinds.values():
            failures += [f"{name}: {reason}" for name, reason in items
                         if reason != exception.IpaAlreadyGroupMember().message]
    return failures


def setup(args: argparse.Namespace) -> int:
    hostname = naming.check_fqdn(args.hostname or socket.getfqdn())
    if "." not in hostname:
        raise UsageError(f"--hostname {hostname} is not fully qualified")
    url = ipa_url(args)
    ipa = connect(args, url)
    try:
        env = ipa.server_env()
        if args.realm and args.realm != env["realm"]:
            print(f"{PROG}: error: IPA at {url} serves realm {env['realm']}, not {args.realm}",
                  file=sys.stderr)
            return 1
        if args.domain and args.domain.lower() != env["domain"].lower():
            print(f"{PROG}: warning: IPA's domain is {env['domain']}, not {args.domain}",
                  file=sys.stderr)
        d = ipa_setup.desired(env["basedn"], env["realm"], hostname, ipa_servers(ipa),
                              args.precreate, args.deployment)
        return run_plan(ipa, d, ipa_setup.plan(d, observe(ipa, d)), args, url)
    finally:
        ipa.close()


def run_plan(ipa: client.IpaClient, d: ipa_setup.Desired, p: ipa_setup.Plan,
             args: argparse.Namespace, url: str) -> int:
    """Report the plan, and unless it is a dry run carry it out; the exit code."""
    print(f"IPA at {url}")
    for warning in p.warnings:
        print(f"{PROG}: warning: {warning}", file=sys.stderr)
    if p.problems:
        for problem in p.problems:
            print(f"{PROG}: error: {problem}", file=sys.stderr)
        print("Nothing was changed.")
        return 1
    if args.verbose:
        for item in p.present:
            print(f"  exists     {item}")
    if args.dry_run:
        for step in p.steps:
            print(f"  would {step.verb:<7} {step.item}" + (f" ({step.detail})" if step.detail
                                                           else ""))
        print(f"Dry run: {len(p.steps)} changes would be made, {len(p.present)} items are "
              "already in place; nothing was changed.")
        return 0
    done: dict[str, int] = {}
    for step in p.steps:
        try:
            outcome, otp = execute(ipa, step)
        except StepFailed as exc:
            print(f"{PROG}: error: {exc}", file=sys.stderr)
            return 1
        done[outcome] = done.get(outcome, 0) + 1
        print(f"  {outcome:<10} {step.item}")
        if otp:  # at once: a later failure must not lose it
            print(f"One-time password for {step.call.args[0]} (ipa-client-install -w): {otp}")
    if not p.steps:
        print(f"Nothing to change: all {len(p.present)} items are already in place.")
    else:
        counts = ", ".join(f"{n} {what}" for what, n in sorted(done.items()))
        print(f"Done: {counts}; {len(p.present)} items were already in place.")
    if any(s.call.method == "service_add" for s in p.steps):
        server = urlsplit(url).hostname
        print(f"Next: fetch novajoin's keytab: ipa-getkeytab -s {server} -p {d.principal} "
              f"-k {KEYTAB}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                            format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        return setup(args)
    except (UsageError, exception.InvalidName) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except exception.IpaAuthError as exc:
        print(f"{PROG}: error: {exc.message}; check --principal and the password",
              file=sys.stderr)
        return 3
    except (exception.IpaUnavailable, exception.IpaProtocolError) as exc:
        print(f"{PROG}: error: {exc.message}", file=sys.stderr)
        return 4
    except exception.IpaCommandError as exc:
        print(f"{PROG}: error: IPA answered {exc.name} {exc.ipa_code}: {exc.message}",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
