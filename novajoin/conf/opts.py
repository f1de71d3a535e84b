"""Option listing for ``oslo-config-generator --namespace novajoin``."""

from novajoin import openstack
from novajoin.conf import api, enrollment, ipa, listener, reconcile


def list_opts():
    return [*api.list_opts(), *enrollment.list_opts(), *ipa.list_opts(), *listener.list_opts(),
            *reconcile.list_opts(), *openstack.list_opts()]
