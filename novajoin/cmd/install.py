"""novajoin-install: set up novajoin on a nova API host.

Writes ``/etc/novajoin/join.conf``, installs the guest cloud-config, gets the
``nova/<host>`` keytab from IPA (``ipa-getkeytab``), registers the Glance
metadata definitions that let Horizon offer ``ipa_enroll`` and
``ipa_hostclass``, and prints the nova settings (``--apply`` writes them into
nova.conf). ``--dry-run`` shows every change and makes none; a second run
changes nothing.

Exit codes: 0 done (or nothing to do), 1 a step failed, 2 bad usage.
"""

from __future__ import annotations

import argparse
import getpass
import os
import pwd
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from novajoin import install
from novajoin.exception import StepFailed
from novajoin.install import Change, Settings
from novajoin.ipa import hostconf
from novajoin.ipa.hostconf import HostConf

# Where the guest cloud-config is: the source tree, or data files of an installed package.
_SHARE = (Path(__file__).resolve().parent.parent.parent / "files",
          Path(sys.prefix) / "share/novajoin", Path("/usr/share/novajoin"))


def cloud_config_source() -> Path:
    for d in _SHARE:
        if (d / "cloud-config-novajoin.json").exists():
            return d / "cloud-config-novajoin.json"
    raise StepFailed("cloud-config-novajoin.json is not installed (looked in "
                 + ", ".join(map(str, _SHARE)) + ")")
IPA_DEFAULT_CONF = hostconf.PATH


def _ipa_defaults(path: str) -> dict[str, str]:
    return HostConf.read(path).values


def _secret(value: str | None, path: str | None, prompt: str, what: str) -> str:
    if value:
        print(f"warning: a password given with --{what} is visible in the process list; "
              f"prefer --{what}-file", file=sys.stderr)
        return value
    if path:
        return Path(path).read_text().strip()
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    raise StepFailed(f"no {what.replace('-', ' ')}: give --{what}-file (or run on a terminal)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="novajoin-install", description=__doc__.split("\n\n")[0])
    p.add_argument("--hostname", default=socket.getfqdn(), help="this host's FQDN")
    p.add_argument("--user", default="nova", help="system user novajoin runs as; owns the "
                   "keytab and join.conf (default: nova, as novajoin 1.x)")
    p.add_argument("--principal", default="admin", help="IPA principal allowed to get "
                   "the nova/<host> keytab")
    p.add_argument("--password", help="its password (prefer --password-file)")
    p.add_argument("--password-file", help="file holding that password")
    p.add_argument("--keystone-auth-url", required=True, help="Keystone URL, e.g. "
                   "https://keystone.example.com/v3")
    p.add_argument("--nova-user", default="nova", help="nova's Keystone service user")
    p.add_argument("--nova-password", help="its password (prefer --nova-password-file)")
    p.add_argument("--nova-password-file", help="file holding that password")
    p.add_argument("--project", default="service", help="the service project")
    p.add_argument("--server", help="IPA server (default: from /etc/ipa/default.conf)")
    p.add_argument("--realm", help="Kerberos realm (default: from /etc/ipa/default.conf)")
    p.add_argument("--domain", help="DNS domain of instances (default: IPA's domain)")
    p.add_argument("--url", help="IPA JSON-RPC URL (default: https://<server>/ipa/json)")
    p.add_argument("--config-dir", default="/etc/novajoin", type=Path)
    p.add_argument("--keytab", help="default: <config-dir>/krb5.keytab")
    p.add_argument("--nova-conf", default="/etc/nova/nova.conf", type=Path)
    p.add_argument("--transport-url", help="RabbitMQ URL for novajoin-notify "
                   "(default: nova.conf's transport_url)")
    p.add_argument("--apply", action="store_true", help="write the nova settings into "
                   "--nova-conf instead of printing them")
    p.add_argument("--no-metadefs", action="store_true", help="skip the Glance namespace")
    p.add_argument("--dry-run", action="store_true", help="show the changes, make none")
    args = p.parse_args(argv)
    if "." not in args.hostname:
        p.error(f"--hostname {args.hostname!r} is not a fully qualified name")
    return args


def settings_from(args: argparse.Namespace) -> Settings:
    ipa = _ipa_defaults(IPA_DEFAULT_CONF)
    server = args.server or ipa.get("server")
    realm = args.realm or ipa.get("realm")
    domain = args.domain or ipa.get("domain")
    url = args.url or (f"https://{server}/ipa/json" if server else None)
    missing = [n for n, v in (("--server or --url", url), ("--realm", realm),
                              ("--domain", domain)) if not v]
    if missing:
        raise StepFailed(f"this host is not an IPA client; give {', '.join(missing)}")
    assert url and realm and domain  # checked just above
    nova_conf = args.nova_conf.read_text() if args.nova_conf.exists() else ""
    return Settings(
        hostname=args.hostname.lower(), realm=realm, domain=domain, ipa_url=url,
        keytab=args.keytab or str(args.config_dir / "krb5.keytab"),
        auth_url=args.keystone_auth_url, nova_user=args.nova_user,
        nova_password=_secret(args.nova_password, args.nova_password_file,
                              "nova's Keystone password: ", "nova-password"),
        project=args.project, cloud_config=str(args.config_dir / "cloud-config-novajoin.json"),
        transport_url=args.transport_url or install.ini_get(nova_conf, "DEFAULT",
                                                            "transport_url"))


def keytab_holds(keytab: str, principal: str) -> bool:
    if not os.path.exists(keytab):
        return False
    out = subprocess.run(["klist", "-k", keytab], capture_output=True, text=True, check=False)
    return out.returncode == 0 and principal in out.stdout


def get_keytab(s: Settings, admin: str, password: str, server: str) -> None:
    """ipa-getkeytab with tickets from a private, temporary credential cache.

    kinit reads the password on its standard input, so it is never on a
    command line; the cache is removed afterwards.
    """
    with tempfile.TemporaryDirectory(prefix="novajoin-install-") as tmp:
        env = {**os.environ, "KRB5CCNAME": f"FILE:{tmp}/ccache"}
        kinit = subprocess.run(["kinit", admin if "@" in admin else f"{admin}@{s.realm}"],
                               input=password + "\n", capture_output=True, text=True,
                               env=env, check=False)
        if kinit.returncode != 0:
            raise StepFailed(f"kinit as {admin} failed: {kinit.stderr.strip()}")
        Path(s.keytab).parent.mkdir(parents=True, exist_ok=True)
        run = subprocess.run(["ipa-getkeytab", "-s", server, "-p", s.principal, "-k", s.keytab],
                             capture_output=True, text=True, env=env, check=False)
        if run.returncode != 0:
            raise StepFailed(f"ipa-getkeytab for {s.principal} failed ({run.returncode}): "
                         f"{run.stderr.strip()} — run novajoin-ipa-setup first")


def glance(s: Settings):
    from keystoneauth1 import adapter, session
    from keystoneauth1.identity import v3

    auth = v3.Password(auth_url=s.auth_url, username=s.nova_user, password=s.nova_password,
                       project_name=s.project, user_domain_name=s.user_domain,
                       project_domain_name=s.project_domain)
    return adapter.Adapter(session.Session(auth=auth), service_type="image")


def metadefs_present(s: Settings) -> bool:
    from keystoneauth1 import exceptions as ks_exc

    try:
        resp = glance(s).get(f"/v2/metadefs/namespaces/{install.METADEFS_NAMESPACE}",
                             raise_exc=False)
    except ks_exc.ClientException as exc:
        raise StepFailed(f"cannot reach Glance: {exc}") from exc
    if resp.status_code not in (200, 404):
        raise StepFailed(f"Glance answered {resp.status_code} for the namespace")
    return resp.status_code == 200


def apply(change: Change, s: Settings, args: argparse.Namespace, admin_password: str,
          owner: pwd.struct_passwd | None) -> None:
    if change.kind == "file":
        path = Path(change.target)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w") as f:
            f.write(change.content or "")
        mode = change.mode if change.mode is not None else (
            path.stat().st_mode & 0o777 if path.exists() else 0o640)
        os.chmod(tmp, mode)
        if owner is not None and change.mode == 0o640:
            os.chown(tmp, 0, owner.pw_gid)
        os.replace(tmp, path)
    elif change.kind == "keytab":
        server = args.server or s.ipa_url.split("/")[2]
        get_keytab(s, args.principal, admin_password, server)
        os.chmod(s.keytab, 0o600)
        if owner is not None:
            os.chown(s.keytab, owner.pw_uid, owner.pw_gid)
    elif change.kind == "metadefs":
        resp = glance(s).post("/v2/metadefs/namespaces", json=install.METADEFS, raise_exc=False)
        if resp.status_code not in (201, 409):
            raise StepFailed(f"Glance refused the namespace ({resp.status_code}): "
                         f"{resp.text[:200]} — the Keystone user needs the admin role")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        owner = pwd.getpwnam(args.user)
    except KeyError:
        print(f"novajoin-install: user {args.user!r} does not exist", file=sys.stderr)
        return 2
    try:
        s = settings_from(args)
        keytab_ok = keytab_holds(s.keytab, s.principal)
        present = None if args.no_metadefs else metadefs_present(s)
        changes = install.plan(s, args.config_dir, args.nova_conf if args.apply else None,
                               cloud_config_source(), keytab_ok, present)
        if not changes:
            print("novajoin-install: nothing to change; this host is set up")
        admin_password = ""
        if any(c.kind == "keytab" for c in changes) and not args.dry_run:
            admin_password = _secret(args.password, args.password_file,
                                     f"Password of {args.principal}: ", "password")
        for change in changes:
            print(f"{'would change' if args.dry_run else 'changing'} {change.kind} "
                  f"{change.target}: {change.summary}")
            if not args.dry_run:
                apply(change, s, args, admin_password, owner)
        if not args.apply:
            print("\nAdd to nova.conf on every nova-api, nova-metadata and nova-compute host "
                  "(or run again with --apply):\n")
            print(install.masked(install.nova_settings(
                s, args.nova_conf.read_text() if args.nova_conf.exists() else "")))
    except (StepFailed, OSError) as exc:
        print(f"novajoin-install: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

