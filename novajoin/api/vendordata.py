"""POST /v1/: nova's DynamicJSON vendordata call."""

from __future__ import annotations

import logging

import webob.exc
from oslo_policy import policy as oslo_policy

from novajoin import exception
from novajoin.api import policies, request
from novajoin.api.context import ApiServices

LOG = logging.getLogger(__name__)


def create(req, services: ApiServices) -> dict:
    """Enroll the instance nova describes, if it asks to be.

    200 ``{}`` when enrollment is not wanted (no IPA call); 200 with
    ``hostname``, ``krb_realm`` and, until the host has enrolled, ``ipaotp``.
    400 for a body or name that cannot be used, 403 for a caller or a request
    the policy or the project's settings forbid, 409 when the names belong to
    someone else in IPA, 503 when IPA, Keystone or Glance cannot be reached.
    """
    try:
        services.enforcer.authorize_or_raise(
            policies.CREATE, {}, policies.credentials(req.environ["novajoin.context"]))
    except oslo_policy.PolicyNotAuthorized as exc:
        raise exception.PolicyForbidden(reason=str(exc)) from exc
    try:
        raw = req.body
    except webob.exc.HTTPClientError as exc:  # oslo.middleware's limit on a chunked body
        raise exception.RequestTooLarge(reason=exc.explanation or exc.title) from exc
    except TimeoutError as exc:  # join_read_timeout passed while the body trickled in
        raise exception.RequestTimeout(reason="the request body was not sent in time") from exc
    body = request.parse(raw)

    e = services.describer.for_boot(body.instance_id, body.project_id, body.hostname,
                                    body.metadata, body.image_id or None)
    if e is None:
        return {}
    answer = services.enroller.enroll(e)
    if answer.created:
        services.background.submit(publish_floating_ips, services, e.owner.instance_id,
                                   e.owner.project_id)
    LOG.info("Instance %s of project %s is %s as %s", body.instance_id, body.project_id,
             "enrolled" if answer.otp is None else "ready to enroll", answer.hostname)
    return answer.to_vendordata()


FLOATING_IP_ATTEMPTS = 3


def publish_floating_ips(services: ApiServices, instance_id: str, project_id: str,
                         delay: float = 2.0) -> None:
    """After nova has its answer: publish floating IPs attached before the host existed.

    A failure never delays or fails the enrollment; an outage is retried a few times,
    and novajoin-reconcile reports what is still missing.
    """
    for attempt in range(1, FLOATING_IP_ATTEMPTS + 1):
        try:
            services.core.lifecycle.publish_floating_ips(instance_id, project_id)
            return
        except exception.NovajoinError as exc:
            outage = isinstance(exc, (exception.CloudUnavailable, exception.IpaUnavailable))
            if not outage or attempt == FLOATING_IP_ATTEMPTS:
                # A misconfiguration (no neutron in the catalog) was logged where it was
                # found, once per interval: not again for every boot.
                (LOG.debug if exc.logged_at_source else LOG.warning)(
                    "Could not publish the floating IPs of instance %s: %s", instance_id, exc)
                return
            if services.stopping.wait(delay * 2 ** (attempt - 1)):
                return  # the server is stopping: reconcile reports what is missing
        except Exception:  # noqa: BLE001 - the background task's one catch-all
            LOG.exception("Publishing the floating IPs of instance %s failed", instance_id)
            return
