"""Start novajoin 1.3.0's own novajoin-server (novajoin.wsgi:main), or with a first
argument ``notify`` its novajoin-notify (novajoin.notifications:main), with bench/legacy's
shims.

Run with ``.venv-novajoin13/bin/python bench/legacy/launch.py [notify] --config-file
join.conf`` and IPA_CONFDIR pointing at a directory holding ipalib's default.conf.
"""

import sys

import shims

if __name__ == "__main__":
    shims.apply()
    if sys.argv[1:2] == ["notify"]:
        del sys.argv[1]
        from novajoin import notifications

        sys.exit(notifications.main())
    from novajoin import wsgi

    sys.exit(wsgi.main())
