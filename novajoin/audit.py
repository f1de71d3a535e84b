"""The audit log: one structured line per change novajoin makes (or refuses) in IPA.

Logger ``novajoin.audit``; each line carries the request id (nova's
``global_request_id`` when nova sent one — notifications carry it — else the
id novajoin-server gave the request), the instance, its project, the FQDN,
the operation and its outcome. Never a secret: callers pass names, not values.
"""

from __future__ import annotations

import logging

from oslo_context import context as oslo_context

AUDIT = logging.getLogger("novajoin.audit")


def record(operation: str, outcome: str, *, instance: str | None, project: str | None = None,
           fqdn: str | None = None, **details) -> None:
    ctx = oslo_context.get_current()
    request = (getattr(ctx, "global_request_id", None) or getattr(ctx, "request_id", None)
               or "-")
    AUDIT.info("operation=%s outcome=%s request=%s instance=%s project=%s fqdn=%s%s",
               operation, outcome, request, instance or "-", project or "-", fqdn or "-",
               "".join(f" {k}={v}" for k, v in details.items()))
