"""POST /v1/: nova's DynamicJSON vendordata call."""

from __future__ import annotations

import logging

from novajoin import metadata, plan
from novajoin.api import policies, request
from novajoin.api.context import ApiServices
from novajoin.ownership import Owner

LOG = logging.getLogger(__name__)


def create(req, services: ApiServices) -> dict:
    """Enroll the instance nova describes, if it asks to be.

    200 ``{}`` when enrollment is not wanted (no IPA call); 200 with
    ``hostname``, ``krb_realm`` and, until the host has enrolled, ``ipaotp``.
    400 for a body or name that cannot be used, 403 for a caller or a request
    the policy or the project's settings forbid, 409 when the names belong to
    someone else in IPA, 503 when IPA, Keystone or Glance cannot be reached.
    """
    services.enforcer.authorize(policies.CREATE, {}, req.environ["novajoin.context"],
                                do_raise=True)
    body = request.parse(req.body)

    wanted = metadata.wants_enrollment(body.metadata.get(metadata.ENROLL))
    if wanted is False:
        return {}
    image = services.cloud.image_properties(body.image_id) if body.image_id else None
    if wanted is None:
        wanted = metadata.wants_enrollment((image or {}).get(metadata.ENROLL)) or False
        if not wanted:
            return {}

    e = enrollment_for(body, image or {}, services)
    answer = services.enroller.enroll(e)
    LOG.info("Instance %s of project %s is %s as %s", body.instance_id, body.project_id,
             "enrolled" if answer.otp is None else "ready to enroll", answer.hostname)
    return answer.to_vendordata()


def enrollment_for(body: request.VendordataRequest, image: dict,
                   services: ApiServices) -> plan.Enrollment:
    """What to create in IPA for this request, every tenant-supplied value checked."""
    md = body.metadata
    needs_name = (services.naming.project_subdomain or md.get(metadata.HOSTCLASS)
                  or any(k.startswith(metadata.MANAGED_PREFIX) for k in md))
    project = services.cloud.project_name(body.project_id) if needs_name else None
    settings = services.project_settings(project)
    fqdn = services.naming.host_fqdn(body.hostname, project)

    attrs = {}
    hostclass = metadata.hostclass(md, settings.allowed_classes, project or body.project_id)
    if hostclass:
        attrs["userclass"] = hostclass
    location = metadata.location(md)
    if location:
        attrs["nshostlocation"] = location
    os_version = metadata.os_version(image)
    if os_version:
        attrs["nsosversion"] = os_version

    wanted = metadata.requested_services(md, services.naming, fqdn, project,
                                         services.realm(), settings.allowed_services)
    shared = frozenset(s.host for s in wanted
                       if not services.naming.is_own_host(s.host, fqdn, project))
    return plan.Enrollment(fqdn, Owner(body.instance_id, body.project_id), attrs,
                           tuple(s.principal for s in wanted), shared)
