"""Prometheus metrics of a novajoin process.

Each process builds one :class:`Metrics` with a registry of its own (no
global state) and passes it to what it measures: the API middleware, the IPA
client, the enroller and the listener. novajoin-server serves it on
``/metrics``; novajoin-notify on ``metrics_listen_port``.

Labels are bounded: routes, IPA command names, IPA error names, stable error
codes and notification event types, never host names or instance ids.
"""

from __future__ import annotations

import threading
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily

from novajoin import cache

# Enrollment takes one IPA round trip; IPA under load takes seconds.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class _CacheCollector:
    """Exposes :class:`novajoin.cache.Stats` as a counter family at scrape time."""

    def __init__(self, stats: cache.Stats) -> None:
        self._stats = stats

    def collect(self):
        family = CounterMetricFamily("novajoin_cache_lookups",
                                     "Lookups of remembered answers, by cache and outcome "
                                     "(hit, shared_hit, miss, error).",
                                     labels=["cache", "outcome"])
        for (name, outcome), n in sorted(self._stats.counts.items()):
            family.add_metric([name, outcome], n)
        yield family


class Metrics:
    def __init__(self, cache_stats: cache.Stats | None = None) -> None:
        r = self.registry = CollectorRegistry()
        self.requests = Counter("novajoin_api_requests", "API requests by route and status.",
                                ["route", "method", "status"], registry=r)
        self.request_seconds = Histogram("novajoin_api_request_seconds",
                                         "API request latency.", ["route"],
                                         buckets=_BUCKETS, registry=r)
        self.refusals = Counter("novajoin_enrollments_refused",
                                "Enrollment requests refused, by stable error code.",
                                ["code"], registry=r)
        self.otps = Counter("novajoin_otps_issued",
                            "One-time passwords set in IPA (first boots and rebuilds).",
                            registry=r)
        self.ipa_calls = Counter("novajoin_ipa_calls",
                                 "IPA commands (each command of a batch counts), by outcome: "
                                 "ok, or IPA's error name.", ["command", "outcome"], registry=r)
        self.ipa_requests = Counter("novajoin_ipa_requests",
                                    "HTTP requests to IPA, by outcome: ok, unavailable, busy, "
                                    "auth.", ["outcome"], registry=r)
        self.ipa_seconds = Histogram("novajoin_ipa_request_seconds",
                                     "Latency of HTTP requests to IPA (a batch is one).",
                                     buckets=_BUCKETS, registry=r)
        self.ipa_in_flight = Gauge("novajoin_ipa_in_flight",
                                   "HTTP requests to IPA in flight now.", registry=r)
        self.notifications = Counter("novajoin_notifications",
                                     "Notifications by event type and outcome (handled, "
                                     "requeued, malformed, refused, blocked (a rebuild "
                                     "that needs an operator), dead_letter).",
                                     ["event_type", "outcome"], registry=r)
        self.reconcile = Counter("novajoin_reconcile",
                                 "Reconciliation: runs (kind 'run': complete, incomplete, "
                                 "error) and findings by kind (found, fixed, failed, "
                                 "skipped, manual, withheld).", ["kind", "outcome"], registry=r)
        self.openstack_refused = Counter(
            "novajoin_openstack_refused",
            "401/403 answers of Keystone, Glance or neutron to novajoin's own "
            "[service_credentials], and services missing from the catalog (status "
            "'catalog'): a misconfiguration, by service and status.",
            ["service", "status"], registry=r)
        if cache_stats is not None:
            r.register(_CacheCollector(cache_stats))
        self._lock = threading.Lock()
        # ipa_calls' children by (command, outcome): a first boot counts a dozen commands,
        # and labels() validates and locks each time.
        self._ipa_call_children: dict[tuple[str, str], Any] = {}

    def ipa_call(self, command: str, outcome: str) -> None:
        """Count one IPA command (of a batch, or a single call) by its outcome."""
        child = self._ipa_call_children.get((command, outcome))
        if child is None:
            child = self._ipa_call_children.setdefault(
                (command, outcome), self.ipa_calls.labels(command, outcome))
        child.inc()

    def ipa_outcomes(self, outcomes) -> None:
        """Count each command of a batch (or a single call) by its outcome."""
        for o in outcomes:
            self.ipa_call(o.call.method, "ok" if o.ok else o.error.name)
