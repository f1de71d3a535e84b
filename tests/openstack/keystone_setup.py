"""Keystone's setup commands, run inside ``.venv-keystone`` with one import of keystone.

Usage: python keystone_setup.py CONFIG USER GROUP REGION URL  (admin password in
``OS_BOOTSTRAP_PASSWORD``, which ``keystone-manage bootstrap`` reads itself).

Every ``keystone-manage`` run spends ~2.5 s importing keystone, so four of them would
dominate a test session's start. This script imports keystone-manage's CLI once and runs
each command in a forked child through keystone-manage's own ``main``, exactly as the
console script would: fernet_setup, credential_setup and db_sync side by side, then
bootstrap (admin user and project, roles, region, and the identity endpoints at URL).
"""

import os
import sys
import traceback


def _fork(cli, argv):
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        cli.main(argv=["keystone-manage", *argv])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - reported, then the child exits non-zero
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _wait(pids):
    failed = 0
    for name, pid in pids:
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        print(f"keystone-manage {name}: exit {code}", flush=True)
        failed += code != 0
    return failed


def main(config, user, group, region, url):
    from keystone.cmd import cli

    conf = ["--config-file", config]
    owner = ["--keystone-user", user, "--keystone-group", group]
    failed = _wait([
        ("fernet_setup", _fork(cli, [*conf, "fernet_setup", *owner])),
        ("credential_setup", _fork(cli, [*conf, "credential_setup", *owner])),
        ("db_sync", _fork(cli, [*conf, "db_sync"])),
    ])
    if failed:
        return 1
    return _wait([("bootstrap", _fork(cli, [
        *conf, "bootstrap", "--bootstrap-region-id", region,
        "--bootstrap-admin-url", url, "--bootstrap-internal-url", url,
        "--bootstrap-public-url", url]))])


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:6]))
