"""Start novajoin 1.3.0's own novajoin-server (novajoin.wsgi:main) with bench/legacy's shims.

Run with ``.venv-novajoin13/bin/python bench/legacy/launch.py --config-file join.conf``
and IPA_CONFDIR pointing at a directory holding ipalib's default.conf.
"""

import sys

import shims

if __name__ == "__main__":
    shims.apply()
    from novajoin import wsgi

    sys.exit(wsgi.main())
