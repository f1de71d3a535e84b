"""Publishing notifications on RabbitMQ the way nova and neutron do, and a listener for them.

The fixtures here are imported by the conftests of the folders that use them.
"""

from __future__ import annotations

import uuid

import oslo_messaging
import pytest
from oslo_config import cfg
from oslo_messaging import opts as messaging_opts


class Publisher:
    """An oslo.messaging Notifier configured like nova's or neutron's."""

    def __init__(self, url: str, exchange: str, topic: str) -> None:
        conf = cfg.ConfigOpts()
        for group, opts in messaging_opts.list_opts():
            conf.register_opts(opts, group=None if group == "DEFAULT" else group)
        conf([])
        conf.set_override("control_exchange", exchange)
        self.transport = oslo_messaging.get_notification_transport(conf, url=url)
        self.topic = topic

    def send(self, publisher_id: str, event_type: str, payload: dict) -> None:
        notifier = oslo_messaging.Notifier(self.transport, publisher_id=publisher_id,
                                           driver="messagingv2", topics=[self.topic])
        notifier.info({"request_id": "req-" + uuid.uuid4().hex}, event_type, payload)

    def close(self) -> None:
        self.transport.cleanup()


@pytest.fixture
def topic() -> str:
    return "novajoin_test_" + uuid.uuid4().hex[:12]


@pytest.fixture
def start_listener(api, rabbitmq, topic):
    listeners = []

    def start(core=None, **overrides):
        """A listener on the API's core, or on ``core`` (e.g. one that gathers IPA calls)."""
        conf = api.conf
        conf.set_override("notifications_topic", topic)
        for k, v in overrides.items():
            conf.set_override(k, v)
        transport = oslo_messaging.get_notification_transport(conf, url=rabbitmq)
        from novajoin.listener.service import Listener

        listener = Listener(conf, core or api.core, transport=transport)
        listener.start()
        listeners.append(listener)
        return listener

    yield start
    for listener in listeners:
        listener.stop()


@pytest.fixture
def nova(rabbitmq, topic):
    p = Publisher(rabbitmq, "nova", topic)
    yield p
    p.close()


@pytest.fixture
def neutron(rabbitmq, topic):
    p = Publisher(rabbitmq, "neutron", topic)
    yield p
    p.close()
