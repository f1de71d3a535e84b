"""neutron's floating IP notifications: DNS records follow the address."""

from __future__ import annotations

import re

import oslo_messaging

from novajoin.listener import events


class NeutronEndpoint:
    """Endpoint for ``floatingip.{create,update,delete}.end``.

    A floating IP created already attached (``--port``) arrives as
    ``create.end``; an update may move it between instances or detach it; a
    delete removes its records. A port deleted with its instance sends no
    floating IP event at all: the instance delete removes those records.
    """

    def __init__(self, lifecycle, policy) -> None:
        self._lifecycle = lifecycle
        self._policy = policy
        self.filter_rule = oslo_messaging.NotificationFilter(
            event_type="^(" + "|".join(re.escape(t) for t in events.NEUTRON_EVENTS) + ")$")

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        return self._policy.run(event_type, metadata, lambda: self._lifecycle.floating_ip(
            events.floating_ip_event(event_type, payload)), ctxt)
