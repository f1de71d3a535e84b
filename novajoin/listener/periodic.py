"""The periodic reconciliation inside novajoin-notify (``reconcile_interval``)."""

from __future__ import annotations

import logging
import threading

from novajoin import exception
from novajoin.reconcile import Reconciler, Report, summary

LOG = logging.getLogger(__name__)


class Periodic:
    """Runs a reconciliation every ``reconcile_interval`` seconds in a background thread,
    counting findings and fixes per kind in the listener's :class:`Counters`."""

    def __init__(self, conf, lifecycle, cloud, counters) -> None:
        self.conf, self.counters = conf, counters
        self._lifecycle, self._cloud = lifecycle, cloud
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="novajoin-reconcile",
                                        daemon=True)
        self._thread.start()
        LOG.info("Reconciling every %d s (%s)", self.conf.reconcile_interval,
                 "fixing" if self.conf.reconcile_apply else "report only")

    def stop(self, timeout: float = 30) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stopping.wait(self.conf.reconcile_interval):
            self.run_once()

    def _check(self, stage: str, done: int, total: int | None) -> None:
        if self._stopping.is_set():
            raise exception.Stopping()

    def run_once(self) -> Report | None:
        try:
            report = Reconciler(self._lifecycle, self._cloud,
                                max_unenrolled_age=self.conf.max_unenrolled_age,
                                progress=self._check).run(apply=self.conf.reconcile_apply)
        except exception.Stopping:
            return None
        except Exception:  # noqa: BLE001 - the thread must live on to the next run
            LOG.exception("Reconciliation failed")
            self.counters.add("reconcile", "error")
            return None
        self.counters.add("reconcile", "incomplete" if report.incomplete else "complete")
        for f in report.findings:
            self.counters.add(f"reconcile.{f.kind}", "found")
            if f.status != "found":
                self.counters.add(f"reconcile.{f.kind}", f.status)
        log = LOG.warning if report.findings or report.incomplete else LOG.info
        log("Reconciliation: %d findings (%s), %d fixed%s", len(report.findings),
            summary(report.findings) or "none",
            sum(f.status == "fixed" for f in report.findings),
            f"; {report.incomplete}" if report.incomplete else "")
        return report
