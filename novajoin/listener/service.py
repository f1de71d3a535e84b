"""The notification listener and its failure policy.

oslo.messaging acknowledges a message once every endpoint returned
``HANDLED`` and, only when the listener allows requeueing, hands it back to
the queue on ``REQUEUE``. novajoin builds its listener with requeueing on and
decides per message (:meth:`Policy.run`):

* done, or nothing to do: ``HANDLED`` (acknowledged);
* IPA, Keystone or Neutron unavailable, or IPA refusing novajoin's
  credentials or rights (an operator must fix those; no delete may be lost
  meanwhile): wait, then ``REQUEUE``. The wait
  grows with each failure of the same message (``requeue_delay`` doubling up
  to ``requeue_max_delay``), so an outage is not a hot redelivery loop and the
  listener slows down instead of hammering IPA. Such messages are never dropped;
* malformed, an unknown payload version, or refused by IPA for good
  (rights, a conflicting entry): logged with the message id, counted, and
  ``HANDLED`` — retrying cannot help;
* anything unexpected: this is the listener's one catch-all. Logged with its
  traceback and requeued like an outage, up to ``max_attempts``, then dropped
  and counted as a dead letter.
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Callable
from typing import Any

import oslo_messaging
import prometheus_client
from oslo_config import cfg
from oslo_context import context as oslo_context

from novajoin import exception
from novajoin.core import Core
from novajoin.listener import neutron, nova, periodic

LOG = logging.getLogger(__name__)

HANDLED = oslo_messaging.NotificationResult.HANDLED
REQUEUE = oslo_messaging.NotificationResult.REQUEUE

class Counters:
    """Thread-safe event counts: (event type, outcome) and named totals.

    With ``metrics`` the counts are Prometheus counters too: notifications by
    event type and outcome, reconciliation findings by kind and outcome.
    """

    def __init__(self, metrics=None) -> None:
        self._lock = threading.Lock()
        self.by_event: collections.Counter[tuple[str, str]] = collections.Counter()
        self._metrics = metrics

    def add(self, event_type: str, outcome: str) -> None:
        with self._lock:
            self.by_event[(event_type, outcome)] += 1
        if self._metrics is None:
            return
        if event_type.startswith("reconcile"):
            kind = event_type.partition(".")[2] or "run"
            self._metrics.reconcile.labels(kind, outcome).inc()
        else:
            self._metrics.notifications.labels(event_type, outcome).inc()

    def total(self, outcome: str) -> int:
        with self._lock:
            return sum(n for (_, o), n in self.by_event.items() if o == outcome)


class Policy:
    """Runs a handler and turns what happened into HANDLED or REQUEUE."""

    def __init__(self, conf: cfg.ConfigOpts, counters: Counters,
                 stopping: threading.Event) -> None:
        self._delay = conf.requeue_delay
        self._max_delay = conf.requeue_max_delay
        self._max_attempts = conf.max_attempts
        self._counters = counters
        self._stopping = stopping
        self._failures: collections.OrderedDict[str, int] = collections.OrderedDict()
        self._lock = threading.Lock()

    def run(self, event_type: str, message: dict, handler: Callable[[], None],
            ctxt: dict | None = None) -> str:
        message_id = message.get("message_id", "?")
        # nova's request id (from the notification's context) reaches the audit log.
        oslo_context.RequestContext.from_dict(ctxt or {}, overwrite=True)
        try:
            handler()
        except exception.NovajoinError as exc:
            if exc.retryable:  # each class says so: outages, faults an operator must fix
                return self._requeue(event_type, message_id, f"{type(exc).__name__}: {exc}",
                                     quiet=exc.logged_at_source)
            LOG.error("Dropping %s message %s: %s", event_type, message_id, exc)
            self._forget(message_id)
            self._counters.add(event_type, "malformed" if isinstance(exc, exception.MalformedEvent)
                               else getattr(exc, "outcome", "refused"))
            return HANDLED
        except Exception as exc:  # noqa: BLE001 - the listener's one catch-all
            LOG.exception("Unexpected error handling %s message %s", event_type, message_id)
            if self._failures.get(message_id, 0) + 1 >= self._max_attempts:
                LOG.error("Dropping %s message %s after %d attempts (dead letter)",
                          event_type, message_id, self._max_attempts)
                self._forget(message_id)
                self._counters.add(event_type, "dead_letter")
                return HANDLED
            return self._requeue(event_type, message_id, f"{type(exc).__name__}: {exc}")
        self._forget(message_id)
        self._counters.add(event_type, "handled")
        return HANDLED

    def _requeue(self, event_type: str, message_id: str, reason: str,
                 quiet: bool = False) -> str:
        with self._lock:
            attempts = self._failures.pop(message_id, 0) + 1
            self._failures[message_id] = attempts
            while len(self._failures) > 10000:
                self._failures.popitem(last=False)
        delay = min(self._delay * 2 ** (attempts - 1), self._max_delay)
        # quiet: the raiser logged the fault once per interval already.
        (LOG.debug if quiet else LOG.warning)(
            "Requeueing %s message %s in %.1f s (attempt %d): %s", event_type,
            message_id, delay, attempts, reason)
        self._counters.add(event_type, "requeued")
        self._stopping.wait(delay)  # interrupted at shutdown: the message goes back at once
        return REQUEUE

    def _forget(self, message_id: str) -> None:
        with self._lock:
            self._failures.pop(message_id, None)


class Listener:
    """novajoin-notify's oslo.messaging notification listener."""

    def __init__(self, conf: cfg.ConfigOpts, core: Core, transport=None) -> None:
        self.conf = conf
        self.counters = Counters(core.metrics)
        self._metrics = core.metrics
        self._metrics_server: Any = None
        self._stopping = threading.Event()
        policy = Policy(conf, self.counters, self._stopping)
        actions = core.lifecycle
        self._transport = transport or oslo_messaging.get_notification_transport(conf)
        topic = conf.notifications_topic
        targets = [oslo_messaging.Target(topic=topic, exchange=conf.nova_exchange),
                   oslo_messaging.Target(topic=topic, exchange=conf.neutron_exchange)]
        endpoints = [nova.NovaEndpoint(actions, policy, conf.notification_format),
                     neutron.NeutronEndpoint(actions, policy)]
        self.server = oslo_messaging.get_notification_listener(
            self._transport, targets, endpoints, executor="threading",
            allow_requeue=True, pool=conf.notification_pool)
        # Catches what lost notifications left behind (reconcile_interval, 0 = off).
        self.reconciler = (periodic.Periodic(conf, core.lifecycle, core.cloud, self.counters)
                           if conf.reconcile_interval else None)

    def start(self) -> None:
        if self.conf.metrics_listen_port and self._metrics is not None:
            self._metrics_server, _ = prometheus_client.start_http_server(
                self.conf.metrics_listen_port, self.conf.metrics_listen,
                registry=self._metrics.registry)
            LOG.info("Metrics on http://%s:%d/metrics", self.conf.metrics_listen,
                     self.conf.metrics_listen_port)
        self.server.start()
        LOG.info("Listening on topic %s (exchanges %s, %s), pool %s",
                 self.conf.notifications_topic, self.conf.nova_exchange,
                 self.conf.neutron_exchange, self.conf.notification_pool or "-")
        if self.reconciler is not None:
            self.reconciler.start()

    def stop(self) -> None:
        """Stop taking messages, finish (or requeue) those in flight."""
        self._stopping.set()
        if self.reconciler is not None:
            self.reconciler.stop()
        self.server.stop()
        self.server.wait()
        self._transport.cleanup()
        if self._metrics_server is not None:
            self._metrics_server.shutdown()
            self._metrics_server.server_close()
