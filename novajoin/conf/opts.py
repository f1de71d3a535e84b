"""Option listing for ``oslo-config-generator --namespace novajoin``."""

from novajoin.conf import ipa


def list_opts():
    return [*ipa.list_opts()]
