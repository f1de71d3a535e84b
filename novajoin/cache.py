"""Memory shared by novajoin processes (oslo.cache: Redis or memcached), and kept locally.

Several novajoin-server processes behind one address see the same instances:
what one learned (an image's properties, a project's name, an instance's
enrollment state) saves the others a Glance, Keystone or IPA round trip.
Nothing secret is stored: the OTP is never cached (it is derived on demand,
see :mod:`novajoin.domain.otp`).

The shared cache is an optimisation only. Without ``[cache] enabled`` or when
its server is down every lookup is a miss: answers stay correct, just slower.
That is why errors of the cache backend are caught here, at the boundary, and
counted instead of raised.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from oslo_cache import core as oslo_cache
from oslo_config import cfg

LOG = logging.getLogger(__name__)
_MISSING = object()
# After an error of the shared cache, leave it alone this long: a hung cache server
# (accepting, never answering) would otherwise cost a socket timeout per lookup; a
# server that is back is used again soon after.
BACKOFF = 5.0


def register_opts(conf: cfg.ConfigOpts) -> None:
    oslo_cache.configure(conf)


def shared_region(conf: cfg.ConfigOpts):
    """The process's oslo.cache region, or None when ``[cache] enabled`` is false."""
    if not conf.cache.enabled:
        return None
    region = oslo_cache.create_region()
    oslo_cache.configure_cache_region(conf, region)
    return region


def has_locks(region) -> bool:
    """Does the shared cache lend locks across processes (dogpile's ``distributed_lock``)?"""
    return region is not None and region.backend.get_mutex("novajoin:probe") is not None


class Stats:
    """Hits and misses per memo name, read by the metrics endpoint."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: dict[tuple[str, str], int] = {}

    def add(self, name: str, outcome: str) -> None:
        with self._lock:
            self.counts[(name, outcome)] = self.counts.get((name, outcome), 0) + 1


class Memo:
    """``get_or_compute`` through a local expiring memo, then the shared cache.

    :param name: namespace of the keys in the shared cache (and metric label).
    :param ttl: seconds an entry is trusted, locally and in the shared cache.
    """

    def __init__(self, name: str, ttl: float, region=None, stats: Stats | None = None,
                 size: int = 10000, clock: Callable[[], float] = time.time) -> None:
        self.name, self._ttl, self._region = name, ttl, region
        self._stats = stats or Stats()
        self._size, self._clock = size, clock
        self._local: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self._shared_off_until = 0.0

    def _shared(self):
        """The shared region, unless it failed less than BACKOFF seconds ago."""
        if self._region is None or self._clock() < self._shared_off_until:
            return None
        return self._region

    def _shared_failed(self, what: str, exc: Exception) -> None:
        self._shared_off_until = self._clock() + BACKOFF
        self._stats.add(self.name, "error")
        LOG.warning("Shared cache unavailable (%s %s): %s; not using it for %.0f s",
                    what, self.name, exc, BACKOFF)

    def get(self, key: str) -> Any:
        """The remembered value, or ``Memo.MISSING``."""
        now = self._clock()
        with self._lock:
            hit = self._local.get(key)
        if hit is not None and hit[0] > now:
            self._stats.add(self.name, "hit")
            return hit[1]
        shared = self._shared_get(key)
        if shared is not _MISSING:
            expires, value = shared
            if expires > now:
                self._remember_locally(key, expires, value)
                self._stats.add(self.name, "shared_hit")
                return value
        self._stats.add(self.name, "miss")
        return _MISSING

    def put(self, key: str, value: Any) -> None:
        expires = self._clock() + self._ttl
        self._remember_locally(key, expires, value)
        region = self._shared()
        if region is not None:
            try:
                region.set(f"novajoin:{self.name}:{key}", (expires, value))
            except Exception as exc:  # noqa: BLE001 - the cache is optional; see module doc
                self._shared_failed("set", exc)

    def forget(self, key: str) -> None:
        with self._lock:
            self._local.pop(key, None)
        region = self._shared()
        if region is not None:
            try:
                region.delete(f"novajoin:{self.name}:{key}")
            except Exception as exc:  # noqa: BLE001 - the cache is optional; see module doc
                self._shared_failed("delete", exc)

    def get_or_compute(self, key: str, compute: Callable[[], Any]) -> Any:
        value = self.get(key)
        if value is _MISSING:
            value = compute()
            self.put(key, value)
        return value

    MISSING = _MISSING

    def compute_once(self, key: str, compute: Callable[[], Any],
                     usable: Callable[[Any], bool], wait: float,
                     poll: float = 0.02) -> tuple[Any, bool]:
        """``compute()``, unless another process sharing the cache is computing it.

        Several replicas get nova's burst of identical requests at once; one of them
        (the holder of the shared cache's lock for ``key``) computes, the others wait
        for the value it remembers (the ``usable`` one) instead of doing the same work.
        Returns the value and whether this call computed it. ``compute`` remembers its
        result itself (with :meth:`put`). Without a lock from the cache (none
        configured, ``[cache] backend_argument = distributed_lock:true`` not set, the
        server down) or after ``wait`` seconds, this process computes on its own: the
        lock saves work, correctness never depends on it.
        """
        region = self._shared()
        mutex = None
        if region is not None:
            try:
                mutex = region.backend.get_mutex(f"novajoin:{self.name}:{key}")
            except Exception as exc:  # noqa: BLE001 - the cache is optional; see module doc
                self._shared_failed("lock", exc)
        if mutex is None:
            return compute(), True
        deadline = time.monotonic() + wait
        while True:
            try:
                held = mutex.acquire(False)
            except Exception as exc:  # noqa: BLE001 - the cache is optional; see module doc
                self._shared_failed("lock", exc)
                return compute(), True
            if held:
                try:
                    value = self._peek(key)
                    if value is not _MISSING and usable(value):
                        return value, False
                    return compute(), True
                finally:
                    self._release(mutex)
            value = self._peek(key)
            if value is not _MISSING and usable(value):
                self._stats.add(self.name, "shared_wait")
                return value, False
            if time.monotonic() >= deadline:
                LOG.warning("Waited %.0f s for another process computing %s %s; computing "
                            "it here too", wait, self.name, key)
                return compute(), True
            time.sleep(poll)

    def _peek(self, key: str) -> Any:
        """The shared value, unexpired, without counting a lookup."""
        value = self._shared_get(key)
        if value is _MISSING or value[0] <= self._clock():
            return _MISSING
        self._remember_locally(key, *value)
        return value[1]

    def _release(self, mutex) -> None:
        try:
            mutex.release()
        except Exception as exc:  # noqa: BLE001 - an expired lock is the others' to take
            LOG.warning("Could not release the shared cache's lock of %s: %s", self.name, exc)

    def _shared_get(self, key: str) -> Any:
        region = self._shared()
        if region is None:
            return _MISSING
        try:
            value = region.get(f"novajoin:{self.name}:{key}")
        except Exception as exc:  # noqa: BLE001 - the cache is optional; see module doc
            self._shared_failed("get", exc)
            return _MISSING
        if not isinstance(value, tuple) or len(value) != 2:
            return _MISSING  # dogpile's NO_VALUE, or something novajoin did not write
        return value

    def _remember_locally(self, key: str, expires: float, value: Any) -> None:
        with self._lock:
            if len(self._local) >= self._size:
                now = self._clock()
                self._local = {k: v for k, v in self._local.items() if v[0] > now}
                if len(self._local) >= self._size:
                    self._local.clear()
            self._local[key] = (expires, value)
