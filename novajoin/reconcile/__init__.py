"""Drift between nova and the IPA entries novajoin owns, found and fixed.

Notifications can be lost (a listener down longer than the queue's TTL, a
port deleted with its floating IP, which neutron reports with no floating IP
event), and a guest may never use its one-time password, which IPA keeps
forever. This module compares what nova has with what IPA holds and says,
per IPA object, what is wrong and which IPA calls fix it:

* ``orphan_host``, ``orphan_subhost``, ``orphan_service``: entries of an
  instance nova no longer has. The fix is what the listener does on a delete
  (:func:`plan.delete`, :func:`plan.hand_over`);
* ``stale_record``: an A/AAAA value of an instance's host that is none of the
  instance's addresses any more (fixed or floating), with its PTR record;
* ``missing_record``: a floating IP neutron lists on the instance's port (of the
  instance's own project) without its A/AAAA and PTR records: attached while
  novajoin-notify was down, or before an older novajoin created the host;
* ``unenrolled``: a host whose one-time password is still set long after its
  instance was created or rebuilt; the fix retires it: a new generation whose OTP
  replaces it (a guest that asks again gets the new one; the old one never works again).

:func:`compare` is pure and tested as tables; :class:`Reconciler` gathers the
inventories and applies fixes. IPA is read *before* nova: a host seen in IPA
was created after its instance, so an instance missing from the later nova
listing is really gone. Deleting rests on nova's listing being complete: any
error, or servers of an unreachable cell, make it :class:`exception.IncompleteInventory`
and nothing is changed. Each fix is checked again against IPA (or nova) just
before it is sent, so an entry that changed meanwhile is left alone.
"""

from novajoin.reconcile.compare import (
    KINDS,
    Finding,
    FloatingIp,
    Instance,
    IpaInventory,
    Kind,
    NovaInventory,
    Report,
    Status,
    compare,
    summary,
)
from novajoin.reconcile.runner import Reconciler

__all__ = ["KINDS", "Finding", "FloatingIp", "Instance", "IpaInventory", "Kind",
           "NovaInventory", "Reconciler", "Report", "Status", "compare", "summary"]
