"""What novajoin asks of the cloud: image properties (Glance) and project names (Keystone).

Both are read with novajoin's own service credentials (``[service_credentials]``,
the group novajoin 1.x used) through openstacksdk, and remembered for a while:
an image's properties and a project's name change rarely, and nova asks about
the same instance many times in a few seconds.

keystoneauth and openstacksdk errors are translated here, once: a cloud that
cannot be reached is :class:`CloudUnavailable` (HTTP 503 for nova); an image
that does not exist (deleted, or a boot from volume) is simply no image.
"""

from __future__ import annotations

import threading
from typing import Any

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

from novajoin import cache
from novajoin.exception import CloudUnavailable, InvalidName

GROUP = "service_credentials"

cache_opts = [
    cfg.IntOpt("cache_ttl", default=300, min=0,
               help="Seconds image properties and project names are remembered."),
]


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

    def __init__(self, conf: cfg.ConfigOpts, region=None, stats: cache.Stats | None = None
                 ) -> None:
        self._conf = conf
        self._conn = None
        self._lock = threading.Lock()
        ttl = conf[GROUP].cache_ttl
        self._images = cache.Memo("image", ttl, region, stats)
        self._projects = cache.Memo("project", ttl, region, stats)

    def _connection(self):
        with self._lock:
            if self._conn is None:
                import openstack.connection

                auth = ks_loading.load_auth_from_conf_options(self._conf, GROUP)
                if auth is None:
                    raise CloudUnavailable(service="Keystone",
                                           reason=f"[{GROUP}] has no credentials")
                session = ks_loading.load_session_from_conf_options(self._conf, GROUP,
                                                                    auth=auth)
                self._conn = openstack.connection.Connection(
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
        return self._images.get_or_compute(image_id, lambda: self._fetch_image(image_id))

    def _fetch_image(self, image_id: str) -> dict[str, Any] | None:
        from openstack import exceptions as sdk_exc

        try:
            image = self._connection().image.get_image(image_id)
        except sdk_exc.NotFoundException:
            return None
        except (sdk_exc.SDKException, ks_exc.ClientException) as exc:
            raise CloudUnavailable(service="Glance", reason=str(exc)) from exc
        props = dict(image.properties or {})
        for key in ("os_distro", "os_version"):
            if getattr(image, key, None):
                props[key] = getattr(image, key)
        return props

    def project_name(self, project_id: str) -> str:
        return self._projects.get_or_compute(project_id, lambda: self._fetch_project(project_id))

    def _fetch_project(self, project_id: str) -> str:
        from openstack import exceptions as sdk_exc

        try:
            return self._connection().identity.get_project(project_id).name
        except sdk_exc.NotFoundException as exc:
            raise InvalidName(what="project", name=project_id,
                              reason="Keystone does not know it") from exc
        except (sdk_exc.SDKException, ks_exc.ClientException) as exc:
            raise CloudUnavailable(service="Keystone", reason=str(exc)) from exc

    def port_device(self, port_id: str) -> str | None:
        """The instance a neutron port belongs to, or None (not an instance's port, gone)."""
        from openstack import exceptions as sdk_exc

        try:
            port = self._connection().network.get_port(port_id)
        except sdk_exc.NotFoundException:
            return None
        except (sdk_exc.SDKException, ks_exc.ClientException) as exc:
            raise CloudUnavailable(service="Neutron", reason=str(exc)) from exc
        if str(port.device_owner or "").startswith("compute:"):
            return port.device_id or None
        return None

    def floating_ips(self, instance_id: str) -> list[tuple[str, str, str | None]]:
        """The floating IPs on the instance's ports: ``(id, address, project id)`` each.

        Two neutron calls with novajoin's own credentials: the instance's ports, then the
        floating IPs on them.
        """
        from openstack import exceptions as sdk_exc

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
            raise CloudUnavailable(service="Neutron", reason=str(exc)) from exc
