"""What novajoin asks of the cloud: image properties (Glance) and project names (Keystone).

Both are read with novajoin's own service credentials (``[service_credentials]``,
the group novajoin 1.x used) through openstacksdk, and remembered for a while:
an image's properties and a project's name change rarely, and nova asks about
the same instance many times in a few seconds.

keystoneauth and openstacksdk errors are translated here, once: a cloud that
cannot be reached is :class:`CloudUnavailable` (HTTP 503 for nova); a 401/403
to novajoin's own credentials is :class:`CloudMisconfigured` (HTTP 500, with the
role or permission missing; logged once per interval, counted in
``novajoin_openstack_refused``); an image that does not exist (deleted, or a
boot from volume) is simply no image.

Glance answers 404 both for an image that does not exist and for one its
policy hides from these credentials: the two cannot be told apart. When an
image is not found, novajoin asks once per minute whether the credentials may
list images at all; a 401/403 there is :class:`CloudMisconfigured` (a service
user with only the ``service`` role). A reader that is not admin sees public,
shared, community and its own project's images only: that is logged once per
process, at start-up (:meth:`Cloud.log_visibility`).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

from novajoin import cache
from novajoin.domain.projects import Directory, Project
from novajoin.exception import (
    CloudMisconfigured,
    CloudUnavailable,
    InvalidName,
    ServiceNotInCatalog,
)

LOG = logging.getLogger(__name__)

GROUP = "service_credentials"

# A refusal of novajoin's own credentials is logged once per interval per service and
# status, not per request; the probe of Glance's image listing is remembered as long.
MISCONFIGURED_LOG_INTERVAL = 300.0
IMAGE_PROBE_TTL = 60.0

# What to give novajoin's [service_credentials] user, by (service, HTTP status).
FIXES = {
    ("Keystone", 401): "Keystone does not accept the user, password, project or domain "
                       "set in [service_credentials]",
    ("Keystone", 403): "the user may not read other projects (Keystone policy "
                       "identity:get_project): give it the admin role on its project, or "
                       "the reader role with system scope",
    ("Glance", 403): "the user may not read images (Glance policies get_image and "
                     "get_images): give it the admin role on its project (a reader sees "
                     "only public, shared and its own project's images)",
    ("Neutron", 403): "the user may not read other projects' ports (neutron policy "
                      "get_port): give it the admin role on its project",
}

cache_opts = [
    cfg.IntOpt("cache_ttl", default=300, min=0,
               help="Seconds image properties and project names are remembered."),
]


_IMPORTING = threading.Lock()


def sdk():
    """openstacksdk (``.connection``, ``.exceptions``), imported on first use, under a lock.

    It is slow to import, so only processes that talk to the cloud pay for it. Its
    package imports itself circularly: two threads importing it at once (the start-up
    visibility check and a first request) leave it half-initialised for good, and every
    later call fails with AttributeError.
    """
    with _IMPORTING:
        import openstack.connection
        import openstack.exceptions
    return openstack


def register_opts(conf: cfg.ConfigOpts) -> None:
    ks_loading.register_auth_conf_options(conf, GROUP)
    ks_loading.register_session_conf_options(conf, GROUP)
    ks_loading.register_adapter_conf_options(conf, GROUP)
    conf.register_opts(cache_opts, group=GROUP)


def list_opts():
    return [(GROUP, [*ks_loading.get_session_conf_options(),
                     *ks_loading.get_auth_common_conf_options(),
                     *ks_loading.get_adapter_conf_options(include_deprecated=False),
                     *cache_opts])]


class Cloud:
    """Glance and Keystone lookups with novajoin's service credentials."""

    def __init__(self, conf: cfg.ConfigOpts, region=None, stats: cache.Stats | None = None,
                 metrics=None) -> None:
        self._conf = conf
        self._conn = None
        self._lock = threading.Lock()
        self._metrics = metrics
        self._logged: dict[tuple[str, str], float] = {}
        self._image_probe: tuple[float, CloudMisconfigured | None] | None = None
        self._visibility_logged = False
        ttl = conf[GROUP].cache_ttl
        self._images = cache.Memo("image", ttl, region, stats)
        self._projects = cache.Memo("project", ttl, region, stats)
        self._listing = cache.Memo("projects", ttl, region, stats)
        self._directory: tuple[object, Directory] | None = None

    @staticmethod
    def _no_credentials() -> CloudMisconfigured:
        return CloudMisconfigured(service="Keystone", reason=f"[{GROUP}] has no credentials "
                                                             f"(auth_type, auth_url, username...)")

    def _sdk_exceptions(self):
        """openstacksdk's exceptions, for a call about to be made.

        Without credentials the call fails with :meth:`_no_credentials` first, so a
        process that has none never imports openstacksdk (a second of CPU) for nothing.
        """
        if self._conn is None and not self._conf[GROUP].auth_type:
            raise self._no_credentials()
        return sdk().exceptions

    def _connection(self):
        with self._lock:
            if self._conn is None:
                auth = ks_loading.load_auth_from_conf_options(self._conf, GROUP)
                if auth is None:
                    raise self._no_credentials()
                session = ks_loading.load_session_from_conf_options(self._conf, GROUP,
                                                                    auth=auth)
                self._conn = sdk().connection.Connection(
                    session=session, region_name=self._conf[GROUP].region_name,
                    interface=(self._conf[GROUP].valid_interfaces or ["public"])[0])
            return self._conn

    def compute(self):
        """openstacksdk's compute proxy (novajoin-reconcile lists nova's servers with it).

        The caller translates its errors: for reconcile any error means an
        incomplete listing, not an unavailable cloud.
        """
        return self._connection().compute

    def image_properties(self, image_id: str) -> dict[str, Any] | None:
        """The image's properties, or None when there is no such image."""
        if not image_id:
            return None
        self.log_visibility()
        return self._images.get_or_compute(image_id, lambda: self._fetch_image(image_id))

    def _fetch_image(self, image_id: str) -> dict[str, Any] | None:
        sdk_exc = self._sdk_exceptions()

        try:
            image = self._connection().image.get_image(image_id)
        except sdk_exc.NotFoundException:
            refused = self.images_refused()
            if refused is not None:
                raise refused from None
            return None
        except (sdk_exc.SDKException, ks_exc.ClientException) as exc:
            raise self._translate("Glance", exc) from exc
        props = dict(image.properties or {})
        for key in ("os_distro", "os_version"):
            if getattr(image, key, None):
                props[key] = getattr(image, key)
        return props

    def project_name(self, project_id: str) -> str:
        return self._projects.get_or_compute(project_id, lambda: self._fetch_project(project_id))

    def _fetch_project(self, project_id: str) -> str:
        sdk_exc = self._sdk_exceptions()

        try:
            return self._connection().identity.get_project(project_id).name
        except sdk_exc.NotFoundException as exc:
            raise InvalidName(what="project", name=project_id,
                              reason="Keystone does not know it") from exc
        except (sdk_exc.SDKException, ks_exc.ClientException) as exc:
            raise self._translate("Keystone", exc) from exc

    def project_directory(self, project_id: str | None = None) -> Directory:
        """Every Keystone project (id, name, domain name), listed once per cache_ttl.

        Listed again at once when it lacks ``project_id`` (a project created since), so a
        new project is never judged against a listing made before it existed.
        """
        listing = self._listing.get_or_compute("all", self._fetch_listing)
        if project_id is not None and not any(row[0] == project_id for row in listing):
            self._listing.forget("all")
            listing = self._listing.get_or_compute("all", self._fetch_listing)
        cached = self._directory
        if cached is None or cached[0] is not listing:
            cached = (listing, Directory(Project(*row) for row in listing))
            self._directory = cached
        return cached[1]

    def _fetch_listing(self) -> list[tuple[str, str, str]]:
        sdk_exc = self._sdk_exceptions()
        try:
            identity = self._connection().identity
            domains = {d.id: d.name for d in identity.domains()}
            return sorted((p.id, p.name, domains.get(p.domain_id, p.domain_id))
                          for p in identity.projects())
        except (sdk_exc.SDKException, ks_exc.ClientException) as exc:
            raise self._translate("Keystone", exc) from exc

    def port_device(self, port_id: str) -> str | None:
        """The instance a neutron port belongs to, or None (not an instance's port, gone)."""
        sdk_exc = self._sdk_exceptions()

        try:
            port = self._connection().network.get_port(port_id)
        except sdk_exc.NotFoundException:
            return None
        except (sdk_exc.SDKException, ks_exc.ClientException) as exc:
            raise self._translate("Neutron", exc) from exc
        if str(port.device_owner or "").startswith("compute:"):
            return port.device_id or None
        return None

    def floating_ips(self, instance_id: str) -> list[tuple[str, str, str | None]]:
        """The floating IPs on the instance's ports: ``(id, address, project id)`` each.

        Two neutron calls with novajoin's own credentials: the instance's ports, then the
        floating IPs on them.
        """
        sdk_exc = self._sdk_exceptions()

        try:
            network = self._connection().network
            ports = [p.id for p in network.ports(device_id=instance_id)
                     if str(p.device_owner or "").startswith("compute:")]
            found = []
            for port_id in ports:
                for fip in network.ips(port_id=port_id):
                    found.append((fip.id, fip.floating_ip_address, fip.project_id))
            return found
        except (sdk_exc.SDKException, ks_exc.ClientException) as exc:
            raise self._translate("Neutron", exc) from exc

    def attached_floating_ips(self) -> list[tuple[str, str, str | None, str]]:
        """Every floating IP on an instance's port, of every project: ``(id, address,
        project id, instance id)`` each; for novajoin-reconcile.

        One listing (neutron's ``port_details``, since Rocky); a neutron without it
        costs a second one, of the ports.
        """
        sdk_exc = self._sdk_exceptions()

        try:
            network = self._connection().network
            fips = [f for f in network.ips() if f.port_id]
            if any(f.port_details is None for f in fips):
                ports = {p.id: {"device_id": p.device_id, "device_owner": p.device_owner}
                         for p in network.ports()}
            else:
                ports = {f.port_id: f.port_details for f in fips}
        except (sdk_exc.SDKException, ks_exc.ClientException) as exc:
            raise self._translate("Neutron", exc) from exc
        found = []
        for f in fips:
            port = ports.get(f.port_id) or {}
            if str(port.get("device_owner") or "").startswith("compute:") and \
                    port.get("device_id"):
                found.append((f.id, f.floating_ip_address, f.project_id,
                              str(port["device_id"]).lower()))
        return found

    # -- refusals of novajoin's own credentials ------------------------------------------
    def _translate(self, service: str, exc: Exception) -> CloudUnavailable | CloudMisconfigured:
        """A 401/403 or a service missing from the catalog is a misconfiguration (logged
        once per interval), anything else an outage."""
        sdk_exc = sdk().exceptions  # imported already: exc is one of its errors, or ours
        status = _status(exc)
        error: CloudMisconfigured
        if isinstance(exc, (sdk_exc.ServiceDisabledException, sdk_exc.EndpointNotFound,
                            ks_exc.EndpointNotFound)):
            error, key = ServiceNotInCatalog(service=service, reason=str(exc)), "catalog"
        elif status not in (401, 403):
            return CloudUnavailable(service=service, reason=str(exc))
        else:
            if status == 401:  # the token itself was refused, whichever service was asked
                service = "Keystone"
            reason = f"{FIXES.get((service, status), f'HTTP {status}')} ({exc})"
            error, key = CloudMisconfigured(service=service, reason=reason), str(status)
        if self._metrics is not None:
            self._metrics.openstack_refused.labels(service.lower(), key).inc()
        now = time.monotonic()
        with self._lock:
            last = self._logged.get((service, key))
            due = last is None or now - last >= MISCONFIGURED_LOG_INTERVAL
            if due:
                self._logged[(service, key)] = now
        if due:  # no neutron at all may be how the cloud is built: a warning then
            (LOG.warning if key == "catalog" else LOG.error)(
                "%s (logged once per %d s; novajoin_openstack_refused counts each)",
                error, MISCONFIGURED_LOG_INTERVAL)
        return error

    def images_refused(self) -> CloudMisconfigured | None:
        """After a 404: may these credentials list images at all? (remembered a minute)."""
        sdk_exc = self._sdk_exceptions()

        now = time.monotonic()
        probe = self._image_probe
        if probe is not None and now - probe[0] < IMAGE_PROBE_TTL:
            if probe[1] is not None and self._metrics is not None:
                self._metrics.openstack_refused.labels("glance", "403").inc()
            return probe[1]
        refused: CloudMisconfigured | None = None
        try:
            next(iter(self._connection().image.images(limit=1)), None)
        except (sdk_exc.SDKException, ks_exc.ClientException) as exc:
            error = self._translate("Glance", exc)
            if isinstance(error, CloudMisconfigured):
                refused = error
            else:  # an outage while probing: the 404 stands, ask again next time
                return None
        self._image_probe = (now, refused)
        return refused

    def visibility(self) -> tuple[str | None, list[str]]:
        """(what these credentials cannot see in Glance or None, their roles).

        Glance shows a user that is not admin only public, shared, community and its
        own project's images; for another project's private image it answers 404, the
        same answer as for an image that does not exist.
        """
        conn = self._connection()
        try:
            access = conn.session.auth.get_access(conn.session)
        except ks_exc.ClientException as exc:
            raise self._translate("Keystone", exc) from exc
        roles = sorted(access.role_names or [])
        if "admin" in roles:
            return None, roles
        project = access.project_name or access.project_id
        return (f"novajoin's [service_credentials] (roles {', '.join(roles) or 'none'} on "
                f"project {project}) are not admin: Glance shows them public, shared, "
                f"community and project {project}'s images only. Another project's private "
                f"image reads as no image (Glance answers 404 for absent and for hidden "
                f"alike), so its ipa_enroll and other properties are not seen. Give the "
                f"user the admin role if private images are to enroll."), roles

    def log_visibility(self) -> None:
        """Log once per process what these credentials cannot see in Glance.

        Called at start-up by novajoin-server and novajoin-notify (in the background: a
        slow Keystone must not delay them), else at the first image lookup.
        """
        with self._lock:
            if self._visibility_logged:
                return
            self._visibility_logged = True
        if not self._conf[GROUP].auth_type:
            return  # no credentials: the first lookup says so, as an error
        try:
            hidden, _ = self.visibility()
        except (CloudMisconfigured, CloudUnavailable) as exc:
            LOG.warning("Could not tell which images novajoin's credentials see: %s", exc)
            return
        if hidden:
            LOG.warning("%s", hidden)


def log_visibility_in_background(cloud) -> None:
    """At a service's start-up: :meth:`Cloud.log_visibility` in a daemon thread."""
    if hasattr(cloud, "log_visibility"):  # tests inject clouds of their own
        threading.Thread(target=cloud.log_visibility, name="novajoin-visibility",
                         daemon=True).start()


def _status(exc: Exception) -> int | None:
    """The HTTP status of an openstacksdk or keystoneauth error, if it has one."""
    for attr in ("status_code", "http_status"):
        value = getattr(exc, attr, None)
        if isinstance(value, int) and value:
            return value
    return None
