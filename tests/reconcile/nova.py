"""A stand-in for nova's compute API (the server list novajoin-reconcile reads) and the
part of neutron's it reads (floating IPs and ports), nothing more.

It answers the way nova's API reference documents: the version documents at
``/`` and ``/v2.1``, ``GET /v2.1/servers/detail`` (``all_tenants``, ``limit``
capped by ``max_limit``, ``marker``, newest first, ``servers_links`` with the
next page when a page is full) and ``GET /v2.1/servers/{id}``, microversion
headers, nova's error bodies, and tokens checked against the real Keystone
(``all_tenants`` needs the admin role, as nova's default policy says).

neutron is served under ``/network`` (``GET /v2.0/floatingips`` with
``port_details``, ``GET /v2.0/ports``; an admin sees every project's, others
their own), derived from the servers: each floating address of a server is a
floating IP of the server's project on the server's port, as nova's cache
shows what neutron has. ``spoof`` adds a floating IP of another project on a
port that project made with the server as device (neutron lets a tenant do so).

Switches make it misbehave the ways reconcile must survive: fail after N pages,
cut a page's body short, or put servers in a cell it "cannot reach" (minimal
``UNKNOWN`` records from microversion 2.69, left out below it, as nova does).
"""

from __future__ import annotations

import datetime
import json
import threading
import urllib.parse
import uuid

import webob
from cheroot import wsgi

MIN_VERSION = (2, 1)


def _version(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


def server_record(base: str, server_id: str, project_id: str, hostname: str,
                  created: datetime.datetime, addresses: dict, status: str = "ACTIVE") -> dict:
    """A server as ``GET /servers/detail`` shows it to an admin at microversion >= 2.69."""
    stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": server_id, "name": hostname.title(), "status": status, "tenant_id": project_id,
        "user_id": "ba597f03542d4609bda1698b25222dc2", "metadata": {"ipa_enroll": "True"},
        "hostId": uuid.uuid5(uuid.NAMESPACE_DNS, project_id).hex * 2, "created": stamp,
        "updated": stamp, "addresses": addresses, "accessIPv4": "", "accessIPv6": "",
        "image": {"id": "155d900f-4e14-4e4c-a73d-069cbf4541e6", "links": []},
        "flavor": {"vcpus": 1, "ram": 2048, "disk": 20, "ephemeral": 0, "swap": 0,
                   "original_name": "m1.small", "extra_specs": {}},
        "links": _links(base, server_id), "key_name": None, "config_drive": "",
        "progress": 0, "OS-DCF:diskConfig": "MANUAL", "OS-EXT-AZ:availability_zone": "nova",
        "OS-EXT-SRV-ATTR:host": "compute-0", "OS-EXT-SRV-ATTR:hostname": hostname,
        "OS-EXT-SRV-ATTR:hypervisor_hostname": "compute-0.example.com",
        "OS-EXT-SRV-ATTR:instance_name": "instance-00000001",
        "OS-EXT-SRV-ATTR:reservation_id": "r-npxv0e40", "OS-EXT-SRV-ATTR:launch_index": 0,
        "OS-EXT-SRV-ATTR:kernel_id": "", "OS-EXT-SRV-ATTR:ramdisk_id": "",
        "OS-EXT-SRV-ATTR:root_device_name": "/dev/vda", "OS-EXT-SRV-ATTR:user_data": None,
        "OS-EXT-STS:task_state": None, "OS-EXT-STS:vm_state": status.lower(),
        "OS-EXT-STS:power_state": 1, "OS-SRV-USG:launched_at": stamp[:-1] + ".000000",
        "OS-SRV-USG:terminated_at": None, "os-extended-volumes:volumes_attached": [],
        "security_groups": [{"name": "default"}], "locked": False, "description": None,
        "tags": [], "trusted_image_certificates": None, "host_status": "UP",
    }


def addresses(fixed: list[str], floating: list[str] = (), network: str = "private") -> dict:
    """The ``addresses`` of a server: its fixed IPs and the floating IPs on its ports."""
    def entry(addr: str, kind: str) -> dict:
        return {"addr": addr, "version": 6 if ":" in addr else 4, "OS-EXT-IPS:type": kind,
                "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:4c:2c:30"}
    return {network: [entry(a, "fixed") for a in fixed] + [entry(a, "floating")
                                                           for a in floating]}


def port_id(server_id: str, project_id: str) -> str:
    """The id of the port a project made with the server as device."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{project_id}/{server_id}"))


def _links(base: str, server_id: str) -> list[dict]:
    return [{"rel": "self", "href": f"{base}/v2.1/servers/{server_id}"},
            {"rel": "bookmark", "href": f"{base}/servers/{server_id}"}]


class NovaStandIn:
    """The WSGI app and its cheroot server. ``url`` is what the catalog lists (+ ``/v2.1``)."""

    def __init__(self, keystone, max_version: str = "2.96", max_limit: int = 1000) -> None:
        self.keystone = keystone
        self._server: wsgi.Server | None = None
        self._lock = threading.Lock()
        self._tokens: dict[str, dict] = {}
        self.reset(max_version, max_limit)

    def reset(self, max_version: str = "2.96", max_limit: int = 1000) -> None:
        with self._lock:
            self.servers: dict[str, dict] = {}
            self.down: set[str] = set()  # servers in a cell nova "cannot reach"
            self.max_version, self.max_limit = max_version, max_limit
            self.fail_after_pages: int | None = None
            self.cut_page: int | None = None  # 1-based page whose body is cut short
            self.pages = 0  # list requests served since the last reset
            self.requests: list[tuple[str, str, str]] = []  # method, path?query, microversion
            self.spoofed: list[tuple[str, str, str]] = []  # address, project, server id
            self.neutron_only: dict[str, list[str]] = {}  # floating IPs nova does not show
            self.neutron_down = False

    # -- what tests change ---------------------------------------------------------
    def add(self, server_id: str, project_id: str, hostname: str, *, fixed=("10.0.0.5",),
            floating=(), created: datetime.datetime | None = None) -> dict:
        created = created or datetime.datetime.now(datetime.timezone.utc)
        record = server_record(self.url, server_id, project_id, hostname, created,
                               addresses(list(fixed), list(floating)))
        with self._lock:
            self.servers[server_id] = record
        return record

    def remove(self, server_id: str) -> None:
        with self._lock:
            self.servers.pop(server_id)

    def set_addresses(self, server_id: str, fixed=(), floating=()) -> None:
        with self._lock:
            self.servers[server_id]["addresses"] = addresses(list(fixed), list(floating))

    def spoof(self, address: str, project_id: str, server_id: str) -> None:
        with self._lock:
            self.spoofed.append((address, project_id, server_id))

    def asked_for_floating_ips(self, server_id: str) -> bool:
        """Whether neutron was asked for the floating IPs on the server's own port (what
        novajoin-server does after the request that created the host)."""
        with self._lock:
            project = self.servers[server_id]["tenant_id"]
            wanted = f"/network/v2.0/floatingips?port_id={port_id(server_id, project)}"
            return any(path == wanted for _, path, _ in self.requests)

    # -- serving -------------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = webob.Request(environ)
        response = self._handle(request)
        return response(environ, start_response)

    def _handle(self, request: webob.Request) -> webob.Response:
        path = request.path.rstrip("/")
        if path.startswith("/network"):
            return self._network(request, path.removeprefix("/network"))
        if path == "":
            return _json(300, {"versions": [self._v20(), self._v21()]})
        if path == "/v2.1":
            return _json(200, {"version": {**self._v21(), "media-types": [
                {"base": "application/json",
                 "type": "application/vnd.openstack.compute+json;version=2.1"}]}})
        if not path.startswith("/v2.1/servers"):
            return _fault(404, "itemNotFound", "The resource could not be found.")
        token = self._token(request.headers.get("X-Auth-Token"))
        if token is None:
            return _fault(401, "unauthorized", "The request you have made requires "
                                               "authentication.")
        wanted = (request.headers.get("OpenStack-API-Version", "").removeprefix("compute ")
                  or request.headers.get("X-OpenStack-Nova-API-Version") or "2.1").strip()
        version = _version(self.max_version) if wanted == "latest" else _version(wanted)
        if not MIN_VERSION <= version <= _version(self.max_version):
            return _fault(406, "notAcceptable", f"Version {wanted} is not supported by the "
                                                f"API. Minimum is 2.1 and maximum is "
                                                f"{self.max_version}.")
        with self._lock:
            self.requests.append((request.method, request.path_qs, f"{version[0]}."
                                                                   f"{version[1]}"))
        if path == "/v2.1/servers/detail":
            response = self._list(request, token, version)
        else:
            response = self._show(path.rsplit("/", 1)[1], version)
        mv = f"{version[0]}.{version[1]}"
        response.headers.update({"OpenStack-API-Version": f"compute {mv}",
                                 "X-OpenStack-Nova-API-Version": mv,
                                 "Vary": "OpenStack-API-Version, X-OpenStack-Nova-API-Version",
                                 "x-compute-request-id": f"req-{uuid.uuid4()}"})
        return response

    def _token(self, token: str | None) -> dict | None:
        if not token:
            return None
        if token not in self._tokens:
            try:
                self._tokens[token] = self.keystone.validate_token(token)
            except Exception:
                return None
        return self._tokens[token]

    def _list(self, request: webob.Request, token: dict, version) -> webob.Response:
        params = request.params
        all_tenants = params.get("all_tenants", "").lower() in ("1", "true", "yes", "")
        all_tenants = all_tenants and "all_tenants" in params
        if all_tenants and "admin" not in {r["name"] for r in token.get("roles", [])}:
            return _fault(403, "forbidden", "Policy doesn't allow os_compute_api:servers:"
                                            "detail:get_all_tenants to be performed.")
        try:
            limit = min(int(params.get("limit", self.max_limit)), self.max_limit)
        except ValueError:
            return _fault(400, "badRequest", "Invalid input for query parameters limit.")
        with self._lock:
            self.pages += 1
            page_number = self.pages
            if self.fail_after_pages is not None and page_number > self.fail_after_pages:
                return _fault(500, "computeFault", "Unexpected API Error. Please report "
                                                   "this at http://bugs.launchpad.net/nova/ "
                                                   "and attach the Nova API log if possible.")
            project = token["project"]["id"]
            servers = sorted((s for s in self.servers.values()
                              if all_tenants or s["tenant_id"] == project),
                             key=lambda s: (s["created"], s["id"]), reverse=True)
            marker = params.get("marker")
            if marker is not None:
                ids = [s["id"] for s in servers]
                if marker not in ids:
                    return _fault(400, "badRequest", f"marker [{marker}] not found")
                servers = servers[ids.index(marker) + 1:]
            page = [self._record(s, version) for s in servers[:limit]]
            page = [s for s in page if s is not None]
        body: dict = {"servers": page}
        if limit and len(page) == limit:
            query = {**dict(params), "limit": str(limit), "marker": page[-1]["id"]}
            body["servers_links"] = [{"rel": "next", "href": f"{self.url}/v2.1/servers/detail?"
                                                             f"{urllib.parse.urlencode(query)}"}]
        if self.cut_page == page_number:
            raw = json.dumps(body).encode()
            return webob.Response(status=200, body=raw[: len(raw) // 2],
                                  content_type="application/json", charset=None)
        return _json(200, body)

    def _show(self, server_id: str, version) -> webob.Response:
        with self._lock:
            record = self.servers.get(server_id)
            shown = self._record(record, version) if record else None
        if shown is None:
            return _fault(404, "itemNotFound", f"Instance {server_id} could not be found.")
        return _json(200, {"server": shown})

    # -- neutron --------------------------------------------------------------------
    def _network(self, request: webob.Request, path: str) -> webob.Response:
        if path == "":
            return _json(200, {"versions": [{"id": "v2.0", "status": "CURRENT", "links": [
                {"rel": "self", "href": f"{self.url}/network/v2.0/"}]}]})
        token = self._token(request.headers.get("X-Auth-Token"))
        if token is None:
            return _json(401, {"NeutronError": {"type": "HTTPUnauthorized", "detail": "",
                                                "message": "Authentication required"}})
        if self.neutron_down:
            return _json(503, {"NeutronError": {"type": "ServiceUnavailable", "detail": "",
                                                "message": "The server is unavailable"}})
        with self._lock:
            self.requests.append((request.method, request.path_qs, ""))
            ports, fips = self._neutron_state()
        admin = "admin" in {r["name"] for r in token.get("roles", [])}
        collection = {"/v2.0/floatingips": ("floatingips", fips),
                      "/v2.0/ports": ("ports", ports)}.get(path)
        if collection is None:
            return _json(404, {"NeutronError": {"type": "HTTPNotFound", "detail": "",
                                                "message": "The resource could not be found."}})
        name, items = collection
        shown = [i for i in items if (admin or i["project_id"] == token["project"]["id"])
                 and all(str(i.get(k)) == v for k, v in request.params.items()
                         if k not in ("fields", "limit", "marker"))]
        return _json(200, {name: shown})

    def _neutron_state(self) -> tuple[list[dict], list[dict]]:
        """Ports and floating IPs as neutron would hold them for these servers."""
        ports, fips = [], []

        def port(server_id: str, project: str) -> dict:
            record = {"id": port_id(server_id, project),
                      "device_id": server_id, "device_owner": "compute:nova",
                      "project_id": project, "tenant_id": project, "status": "ACTIVE"}
            ports.append(record)
            return record

        def fip(address: str, on: dict) -> None:
            fips.append({"id": str(uuid.uuid5(uuid.NAMESPACE_URL, address)),
                         "floating_ip_address": address, "project_id": on["project_id"],
                         "tenant_id": on["project_id"], "port_id": on["id"],
                         "status": "ACTIVE", "port_details": {
                             "device_id": on["device_id"], "device_owner": on["device_owner"],
                             "status": "ACTIVE"}})

        for server in self.servers.values():
            own = port(server["id"], server["tenant_id"])
            for net in server["addresses"].values():
                for a in net:
                    if a.get("OS-EXT-IPS:type") == "floating":
                        fip(a["addr"], own)
            for address in self.neutron_only.get(server["id"], ()):
                fip(address, own)
        for address, project, server_id in self.spoofed:
            fip(address, port(server_id, project))
        return ports, fips

    def _record(self, server: dict, version) -> dict | None:
        if server["id"] not in self.down:
            return server
        if version < (2, 69):
            return None  # [api] list_records_by_skipping_down_cells: left out
        return {"id": server["id"], "status": "UNKNOWN", "tenant_id": server["tenant_id"],
                "created": server["created"], "links": server["links"]}

    def _v20(self) -> dict:
        return {"id": "v2.0", "status": "SUPPORTED", "version": "", "min_version": "",
                "updated": "2011-01-21T11:33:21Z",
                "links": [{"rel": "self", "href": f"{self.url}/v2/"}]}

    def _v21(self) -> dict:
        return {"id": "v2.1", "status": "CURRENT", "version": self.max_version,
                "min_version": "2.1", "updated": "2013-07-23T11:33:21Z",
                "links": [{"rel": "self", "href": f"{self.url}/v2.1/"},
                          {"rel": "describedby", "type": "text/html",
                           "href": "http://docs.openstack.org/"}]}

    # -- life cycle ---------------------------------------------------------------
    def start(self) -> NovaStandIn:
        server = wsgi.Server(("127.0.0.1", 0), self, numthreads=8, server_name="nova",
                             shutdown_timeout=1)
        server.expiration_interval = 0.05
        server.prepare()
        self._server = server
        threading.Thread(target=server.serve, name="nova-stand-in", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.bind_addr[1]}"


def _json(status: int, body: dict) -> webob.Response:
    return webob.Response(status=status, json_body=body, charset=None,
                          content_type="application/json")


def _fault(status: int, name: str, message: str) -> webob.Response:
    return _json(status, {name: {"code": status, "message": message}})
