"""Carrying out an enrollment: plan, send to IPA, answer. The only I/O is IPA's.

:class:`Enroller` is shared by all request threads of a process. It keeps a
bounded memory of recent answers (generation and enrolled state, never an
OTP) so that nova's bursts of identical requests cost no IPA round trip.
"""

from __future__ import annotations

import dataclasses
import logging
import threading

from novajoin import audit, cache, exception
from novajoin.domain import otp, plan
from novajoin.domain.calls import IpaCall, Outcome
from novajoin.ipa.client import IpaClient

LOG = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Answer:
    hostname: str
    realm: str
    otp: str | None
    created: bool = False  # this request created the host in IPA (not part of the answer)

    def to_vendordata(self) -> dict[str, str]:
        """novajoin 1.x's response keys; no ``ipaotp`` once the host has enrolled."""
        data = {"hostname": self.hostname, "krb_realm": self.realm}
        if self.otp is not None:
            data["ipaotp"] = self.otp
        return data


@dataclasses.dataclass(frozen=True)
class _Known:
    """What IPA said about an instance: safe to share, no secret in it."""

    fingerprint: tuple
    generation: int
    enrolled: bool
    disabled: bool = False
    created: bool = False  # only on the leader's own result, never remembered


@dataclasses.dataclass
class _Flight:
    """An enrollment in progress in this process, for followers to wait on."""

    fingerprint: tuple[object, ...]
    done: threading.Event = dataclasses.field(default_factory=threading.Event)
    known: _Known | None = None
    error: exception.NovajoinError | None = None


class Enroller:
    """Enrolls instances in IPA; one per process, shared by threads.

    :param secret: the shared ``otp_secret`` (bytes).
    :param known: where answers are remembered for ``enrollment_recheck_interval``
        (locally, and across processes when a shared cache is configured).
    """

    def __init__(self, ipa: IpaClient, secret: bytes, known: cache.Memo | None = None,
                 metrics=None, follow_timeout: float = 90.0) -> None:
        self._ipa = ipa
        self._secret = secret
        self._known = known or cache.Memo("enrollment", 15)
        self._metrics = metrics
        self._flights: dict[str, _Flight] = {}
        self._flights_lock = threading.Lock()
        self._follow_timeout = follow_timeout

    def _issued(self, n: int = 1) -> None:
        if self._metrics is not None and n:
            self._metrics.otps.inc(n)

    def otp(self, instance_id: str, generation: int) -> str:
        return otp.derive(self._secret, instance_id, generation)

    def enroll(self, e: plan.Enrollment) -> Answer:
        realm = self._ipa.realm()
        known = self._recall(e)
        if known is None:
            known = self._coalesced(e)
        if known.disabled:
            LOG.warning("Host %s of instance %s is disabled in IPA and is not re-armed: no "
                        "one-time password until the instance is rebuilt", e.fqdn,
                        e.owner.instance_id)
            if self._metrics is not None:
                self._metrics.refusals.labels("novajoin.host.disabled").inc()
        secret = (None if known.enrolled or known.disabled
                  else self.otp(e.owner.instance_id, known.generation))
        return Answer(e.fqdn, realm, secret, known.created)

    def _coalesced(self, e: plan.Enrollment) -> _Known:
        """Enroll in IPA once for a burst of identical requests in this process.

        nova asks again while the first request is still waiting on IPA; the followers
        wait for the leader's outcome (answer or error) instead of sending the same batch.
        A request that differs (another fingerprint) goes to IPA on its own. The leader
        in turn waits for another process already enrolling the same (the shared
        cache's lock, :meth:`cache.Memo.compute_once`).
        """
        fingerprint = e.fingerprint()
        with self._flights_lock:
            flight = self._flights.get(e.owner.instance_id)
            leader = flight is None or flight.fingerprint != fingerprint
            if leader:
                flight = _Flight(fingerprint)
                self._flights[e.owner.instance_id] = flight
        assert flight is not None
        if not leader:
            if flight.done.wait(self._follow_timeout) and flight.known is not None:
                return dataclasses.replace(flight.known, created=False)
            if flight.error is not None:
                raise flight.error
            return self._coalesced(e)  # the leader took too long: try as a leader
        try:
            known, _ = self._known.compute_once(
                e.owner.instance_id, lambda: self._enroll_and_remember(e),
                lambda k: k.fingerprint == fingerprint, self._follow_timeout)
            flight.known = known
            return known
        except exception.NovajoinError as exc:
            flight.error = exc
            raise
        finally:
            flight.done.set()
            with self._flights_lock:
                if self._flights.get(e.owner.instance_id) is flight:
                    del self._flights[e.owner.instance_id]

    def _enroll_and_remember(self, e: plan.Enrollment) -> _Known:
        known = self._enroll_in_ipa(e)
        self._remember(e, dataclasses.replace(known, created=False))
        return known

    def add_services(self, e: plan.Enrollment, host_entry: dict) -> None:
        """Add the services ``e`` asks for to an instance whose host already exists."""
        self._enroll_in_ipa(e, host_entry)

    def _enroll_in_ipa(self, e: plan.Enrollment, host_entry: dict | None = None) -> _Known:
        basedn = self._ipa.server_env()["basedn"]
        instance = e.owner.instance_id
        calls = plan.create(e, self.otp(instance, 0), basedn, with_host=host_entry is None,
                            zones=self._ipa.dns_zones())
        if not calls:
            return _Known(e.fingerprint(), 0, False)
        outcomes = self._ipa.batch(calls)
        r = plan.review(e, outcomes)
        if r.failures:
            self._undo(e, plan.undo(e, r))
            raise self._failure(r.failures[0])
        if host_entry is None and e.fqdn in r.created_hosts:
            self._issued()
        created = host_entry is None and e.fqdn in r.created_hosts
        if r.clean:
            self._audit(e, "create", "ok", hosts=r.created_hosts,
                        services=[str(p) for p in r.created_services])
            return _Known(e.fingerprint(), 0, False, created=created)

        shown: dict[str, dict | None] = {} if host_entry is None else {e.fqdn: host_entry}
        for o in self._ipa.batch(plan.inspect(r)):
            if o.ok:
                shown[o.call.args[0]] = o.unwrap()["result"]
            elif isinstance(o.error, exception.IpaNotFound):
                shown[o.call.args[0]] = None
            else:
                self._undo(e, plan.undo(e, r))
                raise self._failure(o)
        d = plan.decide(e, r, shown, lambda g: self.otp(instance, g))
        if d.conflicts:
            self._undo(e, d.undo)
            self._audit(e, "create", "refused", reason="; ".join(d.conflicts))
            raise exception.Conflict(reason="; ".join(d.conflicts))
        if d.calls:
            for o in self._ipa.batch(d.calls):
                if not o.ok:
                    raise self._failure(o)
            self._issued(sum(1 for c in d.calls if "userpassword" in c.options))
        if r.created_hosts or r.created_services or d.calls:
            self._audit(e, "update", "ok", hosts=r.created_hosts,
                        services=[str(p) for p in r.created_services],
                        calls=[c.method for c in d.calls])
        if d.disabled:
            self._audit(e, "enroll", "refused", reason="host disabled in IPA")
        return _Known(e.fingerprint(), d.generation, d.enrolled, d.disabled, created)

    def _undo(self, e: plan.Enrollment, calls: list[IpaCall]) -> None:
        """Remove what a refused request created; failures here are logged, not raised."""
        if not calls:
            return
        try:
            outcomes = self._ipa.batch(calls)
        except exception.IpaError as exc:
            LOG.error("Could not undo %d IPA changes for instance %s: %s; "
                      "novajoin-reconcile will find them", len(calls), e.owner.instance_id, exc)
            return
        for o in outcomes:
            if not o.ok and not isinstance(o.error, exception.IpaNotFound):
                LOG.error("Could not undo %s %s for instance %s: %s", o.call.method,
                          o.call.args[0], e.owner.instance_id, o.error)
        self._audit(e, "undo", "ok", calls=[f"{c.method} {c.args[0]}" for c in calls])

    @staticmethod
    def _failure(o: Outcome) -> exception.NovajoinError:
        err = o.error
        assert err is not None
        if isinstance(err, (exception.IpaValidationError, exception.IpaConversionError)):
            return exception.Rejected(reason=f"{o.call.method} {o.call.args[0]}: {err.message}")
        return err

    def _recall(self, e: plan.Enrollment) -> _Known | None:
        known = self._known.get(e.owner.instance_id)
        if known is cache.Memo.MISSING or known.fingerprint != e.fingerprint():
            return None
        return known

    def _remember(self, e: plan.Enrollment, known: _Known) -> None:
        self._known.put(e.owner.instance_id, known)

    def forget(self, instance_id: str) -> None:
        """Drop what is known of an instance (deleted, rebuilt), in every process."""
        self._known.forget(instance_id)

    @staticmethod
    def _audit(e: plan.Enrollment, operation: str, outcome: str, **details) -> None:
        audit.record(operation, outcome, instance=e.owner.instance_id,
                     project=e.owner.project_id, fqdn=e.fqdn, **details)

