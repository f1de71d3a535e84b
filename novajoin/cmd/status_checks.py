"""The checks of ``novajoin-status upgrade check``, each an oslo.upgradecheck ``Result``.

Each check takes a :class:`Context` (the parsed join.conf, and the clients it
builds lazily, injectable by tests), reads only, and says what to do when it
does not succeed. They run in the order of :data:`CHECKS`; a check that needs
IPA and finds it unreachable fails on its own line rather than stopping the rest.
"""

from __future__ import annotations

import dataclasses
import re
import socket
from collections.abc import Callable
from typing import Any

from oslo_config import cfg
from oslo_upgradecheck.upgradecheck import Code, Result

from novajoin import cache, exception, ipa_setup, openstack
from novajoin.domain import ownership

MIN_OTP_SECRET = 32  # characters: the HMAC key every novajoin host derives OTPs from
SETUP = "novajoin-ipa-setup"
_TAG_DEPLOYMENT = re.compile(r"^novajoin owner (?:deployment=([a-z0-9][a-z0-9-]{0,31}) )?kind=")


@dataclasses.dataclass
class Context:
    conf: cfg.ConfigOpts
    ipa: Any = None          # novajoin.ipa.IpaClient, built from join.conf when None
    cloud: Any = None        # novajoin.openstack.Cloud, likewise
    private_image: str | None = None
    hostname: str | None = None
    _ipa_error: exception.NovajoinError | None = None

    def ipa_client(self):
        if self.ipa is None and self._ipa_error is None:
            from novajoin.ipa import IpaClient

            try:
                self.ipa = IpaClient.from_conf(self.conf)
            except exception.NovajoinError as exc:
                self._ipa_error = exc
        if self._ipa_error is not None:
            raise self._ipa_error
        return self.ipa

    def cloud_client(self):
        if self.cloud is None:
            from novajoin.openstack import Cloud

            self.cloud = Cloud(self.conf)
        return self.cloud


def _ok(details: str | None = None) -> Result:
    return Result(Code.SUCCESS, details)


def _warn(details: str) -> Result:
    return Result(Code.WARNING, details)


def _fail(details: str) -> Result:
    return Result(Code.FAILURE, details)


# --------------------------------------------------------------------------- join.conf


def check_config(ctx: Context) -> Result:
    try:
        return _check_config(ctx.conf)
    except cfg.Error as exc:  # a value of the wrong type or form, read only now
        return _fail(f"join.conf cannot be used: {exc}")


def _check_config(conf: cfg.ConfigOpts) -> Result:
    problems = []
    if not conf.url:
        problems.append("[DEFAULT] url is not set: set it to IPA's JSON-RPC URL "
                        "(https://ipa.example.com/ipa/json)")
    if not conf.domain:
        problems.append("[DEFAULT] domain is not set: set it to the DNS domain instances are "
                        "named in (novajoin then reads /etc/ipa/default.conf, which a novajoin "
                        "host need not have)")
    secret = conf.otp_secret or ""
    if not secret:
        problems.append("[DEFAULT] otp_secret is not set: each process would hand out OTPs of "
                        "its own; set the same random value (e.g. `openssl rand -hex 32`) on "
                        "every novajoin host")
    elif len(secret) < MIN_OTP_SECRET:
        problems.append(f"[DEFAULT] otp_secret has {len(secret)} characters, fewer than "
                        f"{MIN_OTP_SECRET}: replace it by a longer random value (e.g. "
                        "`openssl rand -hex 32`) on every novajoin host")
    if problems:
        return _fail("; ".join(problems))
    files = ", ".join(conf.config_file) or "no file (built-in defaults)"
    return _ok(f"{files}: url, domain and otp_secret are set")


def check_policy(ctx: Context) -> Result:
    from oslo_policy import policy

    from novajoin.api import policies

    conf = ctx.conf
    enforcer = policy.Enforcer(conf)
    try:
        path = conf.find_file(conf.oslo_policy.policy_file)
    except cfg.ConfigFilesNotFoundError:  # pragma: no cover - find_file returns None
        path = None
    if path is None:
        return _ok(f"no policy file ({conf.oslo_policy.policy_file} not found): the defaults "
                   "apply")
    enforcer.register_defaults(policies.list_rules())
    try:
        enforcer.load_rules(force_reload=True)
    except Exception as exc:  # noqa: BLE001 - any parse error of the file is the finding
        return _fail(f"{path} does not parse ({type(exc).__name__}: {exc}); fix it or remove "
                     "it (the defaults are in etc/novajoin/policy.yaml.sample)")
    unknown = sorted(set(enforcer.file_rules) - {r.name for r in policies.list_rules()})
    if unknown:
        return _warn(f"{path} sets rules novajoin does not know: {', '.join(unknown)} "
                     "(misspelt? they have no effect)")
    return _ok(f"{path} parses")


def check_deployment(ctx: Context) -> Result:
    deployment = ctx.conf.deployment
    if deployment != ownership.DEFAULT:
        return _ok(f"[DEFAULT] deployment = {deployment}: novajoin acts only on entries "
                   f"tagged with it")
    try:
        hosts = ctx.ipa_client().call("host_find", "novajoin owner deployment=",
                                      sizelimit=50)["result"]
    except exception.NovajoinError:
        hosts = []  # the IPA checks report it
    others = set()
    for host in hosts:
        for text in host.get("description") or ():
            match = _TAG_DEPLOYMENT.match(text)
            if match and match[1]:
                others.add(match[1])
    if others:
        return _warn(f"[DEFAULT] deployment is 'default' but IPA holds hosts of deployments "
                     f"{', '.join(sorted(others))}: when several novajoin deployments share "
                     "this IPA, give each its own [DEFAULT] deployment (and "
                     f"{SETUP} --deployment)")
    return _ok("[DEFAULT] deployment = default (the only novajoin on this IPA; set it when "
               "several deployments share one IPA)")


def check_cache(ctx: Context) -> Result:
    conf = ctx.conf
    if not conf.cache.enabled:
        return _ok("[cache] enabled is false: each novajoin process remembers for itself "
                   "(enable a shared cache when several processes or hosts serve nova)")
    try:
        region = cache.shared_region(conf)
        region.set("novajoin:status-probe", 1)
        region.get("novajoin:status-probe")
    except Exception as exc:  # noqa: BLE001 - any backend error is the finding
        return _warn(f"the shared cache ({conf.cache.backend}) does not answer: {exc}; "
                     "answers stay correct but cost more IPA, Glance and Keystone round trips")
    locking = ("set [cache] backend_argument = distributed_lock:true, "
               "thread_local_lock:false and lock_timeout:60 (one per line)")
    if not cache.has_locks(region):
        return _warn(f"the shared cache lends no locks: a burst of identical requests spread "
                     f"over several processes adds the host once per process; {locking}")
    if not getattr(region.backend, "lock_timeout", None):
        return _warn("the shared cache's locks never expire: a process that dies while "
                     "enrolling leaves the instance's lock held and its next requests wait "
                     f"for it; {locking}")
    return _ok(f"{conf.cache.backend} answers and lends locks that expire after "
               f"{region.backend.lock_timeout} s")


# --------------------------------------------------------------------------- IPA


def check_ipa_login(ctx: Context) -> Result:
    try:
        env = ctx.ipa_client().server_env()
    except exception.ConfigError as exc:
        return _fail(f"{exc}")
    except exception.IpaAuthError as exc:
        return _fail(f"IPA refused novajoin's login: {exc}. Check keytab and keytab_principal "
                     f"(or ipa_user/ipa_password) in join.conf; {SETUP} creates the principal, "
                     "ipa-getkeytab fetches its keytab")
    except exception.IpaError as exc:
        return _fail(f"IPA at {ctx.conf.url} cannot be reached: {exc}. Check url, cafile and "
                     "the network")
    return _ok(f"logged in to IPA at {ctx.conf.url} (realm {env['realm']})")


def _hostname(ctx: Context) -> str:
    if ctx.hostname:
        return ctx.hostname
    principal = ctx.conf.keytab_principal or ""
    if "/" in principal:
        return principal.split("/", 1)[1].split("@", 1)[0]
    return socket.getfqdn()


def check_ipa_setup(ctx: Context) -> Result:
    from novajoin.cmd import ipa_setup as setup_cmd

    try:
        ipa = ctx.ipa_client()
        env = ipa.server_env()
        servers = [e["cn"][0] for e in ipa.call("server_find", pkey_only=True)["result"]]
        d = ipa_setup.desired(env["basedn"], env["realm"], _hostname(ctx), servers,
                              deployment=ctx.conf.deployment)
        p = ipa_setup.plan(d, setup_cmd.observe(ipa, d))
    except exception.NovajoinError as exc:
        return _fail(f"cannot read novajoin's role and permissions in IPA: {exc}")
    if p.problems:
        return _fail("; ".join(p.problems))
    if p.steps:
        missing = "; ".join(f"{s.verb} {s.item}" for s in p.steps)
        return _fail(f"IPA lacks what novajoin needs ({missing}): run {SETUP} "
                     f"--hostname {d.hostname}"
                     + (f" --deployment {ctx.conf.deployment}"
                        if ctx.conf.deployment != ownership.DEFAULT else "")
                     + " as an IPA administrator")
    if p.warnings:
        return _warn("; ".join(p.warnings))
    return _ok(f"role {d.role}, privilege {d.privilege} and {len(d.permission_names)} "
               f"permissions are in place for {d.principal}")


# --------------------------------------------------------------------------- OpenStack


def check_images(ctx: Context) -> Result:
    from novajoin.exception import CloudMisconfigured, CloudUnavailable

    cloud = ctx.cloud_client()
    try:
        hidden, roles = cloud.visibility()
        if ctx.private_image:
            if cloud.image_properties(ctx.private_image) is None:
                return _fail(f"image {ctx.private_image} reads as no image to novajoin's "
                             f"[service_credentials] (roles {', '.join(roles)}): Glance "
                             "answers 404 for absent and for hidden alike; give the user the "
                             "admin role")
            return _ok(f"read the properties of image {ctx.private_image}")
        refused = cloud.images_refused()
    except (CloudMisconfigured, CloudUnavailable) as exc:
        return _fail(str(exc))
    if refused is not None:
        return _fail(str(refused))
    if hidden:
        return _warn(hidden + " (Not verified against a private image: give --private-image "
                     "ID of another project's private image to.)")
    return _ok(f"roles {', '.join(roles)}: Glance shows every image to an admin (not verified "
               "against a private image: give --private-image ID to)")


def check_projects(ctx: Context) -> Result:
    import uuid

    from novajoin.exception import CloudMisconfigured, CloudUnavailable, InvalidName

    cloud = ctx.cloud_client()
    unknown = uuid.uuid4().hex
    try:
        cloud.project_name(unknown)
    except InvalidName:
        pass  # 404: Keystone let it look (a user without the right is answered 403)
    except (CloudMisconfigured, CloudUnavailable) as exc:
        return _fail(f"{exc} (project names are needed for project_subdomain, "
                     "ipa_hostclass and managed services)")
    else:  # pragma: no cover - Keystone knows no random id
        return _warn(f"Keystone answered a name for the random project id {unknown}")
    return _ok("[service_credentials] may read other projects (Keystone answers 404, not 403, "
               "for an unknown project id)")


def check_project_names(ctx: Context) -> Result:
    """Project sections that apply to no project, and subdomains several projects share
    (doc/configuration.md): each is a silent refusal at enrollment time otherwise."""
    from novajoin.conf.enrollment import Projects
    from novajoin.domain.naming import Naming

    sections = sorted(Projects(ctx.conf).names)
    subdomains = bool(ctx.conf.project_subdomain)
    if not sections and not subdomains:
        return _ok("no project sections and no project_subdomain: nothing is looked up by name")
    try:
        directory = ctx.cloud_client().project_directory()
    except (exception.CloudMisconfigured, exception.CloudUnavailable) as exc:
        return _fail(f"{exc} (listing Keystone's projects and domains tells which project a "
                     "section or subdomain means)")
    problems = []
    for section in sections:
        if section in directory:
            continue
        if "/" in section:
            if not any(p.qualified == section for p in directory):
                problems.append(f"[{section}] is no project of that domain")
            continue
        count = len(directory.ids_named(section))
        if count == 0:
            problems.append(f"[{section}] names no project (neither an id nor a name)")
        elif count > 1:
            problems.append(f"[{section}] names {count} projects and applies to none: name it "
                            "[<project id>] or [<domain>/<project>]")
    if subdomains:
        naming = Naming(ctx.conf.domain or "invalid.test", True, ctx.conf.normalize_project)
        shared: dict[str, int] = {}
        for label in {naming.label_or_none(p.name) for p in directory}:
            if label is not None:
                count = len(directory.ids_labelled(label, naming.label_or_none))
                if count > 1:
                    shared[label] = count
        problems.extend(f"subdomain {label} is made by {count} projects' names: their "
                        "instances are refused (409) until all but one are renamed"
                        for label, count in sorted(shared.items()))
    if problems:
        return _warn("; ".join(problems))
    return _ok(f"{len(sections)} project section(s), each one project's"
               + ("; every project subdomain one project's" if subdomains else ""))


def check_servers(ctx: Context) -> Result:
    from keystoneauth1 import exceptions as ks_exc
    sdk_exc = openstack.sdk().exceptions

    cloud = ctx.cloud_client()
    try:
        next(iter(cloud.compute().servers(all_projects=True, limit=1)), None)
    except (sdk_exc.SDKException, ks_exc.ClientException, exception.NovajoinError) as exc:
        error = exc if isinstance(exc, exception.NovajoinError) else cloud._translate("Nova", exc)
        if isinstance(error, exception.CloudMisconfigured) or "403" in str(exc):
            return _fail(f"[service_credentials] may not list the servers of all projects "
                         f"(nova policy os_compute_api:servers:index:get_all_tenants; "
                         f"novajoin-reconcile needs it): give the user the admin role ({exc})")
        return _fail(f"cannot list nova's servers: {error}")
    return _ok("listed the servers of all projects (novajoin-reconcile)")


# --------------------------------------------------------------------------- RabbitMQ


def check_rabbitmq(ctx: Context) -> Result:
    import kombu
    import oslo_messaging

    conf = ctx.conf
    try:
        oslo_messaging.get_notification_transport(conf).cleanup()  # registers the options
        url = (conf.oslo_messaging_notifications.transport_url or conf.transport_url)
        parsed = oslo_messaging.TransportURL.parse(conf, url)
    except Exception as exc:  # noqa: BLE001 - an unusable transport_url is the finding
        return _fail(f"transport_url does not parse: {exc}")
    if not parsed.hosts:
        return _fail("no transport_url: set [oslo_messaging_notifications] transport_url (or "
                     "[DEFAULT] transport_url) to nova's RabbitMQ")
    host = parsed.hosts[0]
    where = f"{host.hostname}:{host.port or 5672}"
    topic = conf.notifications_topic
    queue = conf.notification_pool or f"{topic}.info"
    connection = kombu.Connection(hostname=host.hostname, port=host.port or 5672,
                                  userid=host.username or "guest",
                                  password=host.password or "guest",
                                  virtual_host=parsed.virtual_host or "/",
                                  connect_timeout=5)
    try:
        try:
            connection.ensure_connection(max_retries=1)
        except Exception as exc:  # noqa: BLE001 - kombu's and amqp's errors alike
            return _fail(f"RabbitMQ at {where} cannot be reached: {exc}")
        missing = []
        for kind, name in (("exchange", conf.nova_exchange),
                           ("exchange", conf.neutron_exchange), ("queue", queue)):
            channel = connection.channel()
            try:
                if kind == "queue":
                    channel.queue_declare(queue=name, passive=True)
                else:
                    channel.exchange_declare(exchange=name, type="topic", passive=True)
            except Exception:  # noqa: BLE001 - amqp's NotFound closes the channel
                missing.append(f"{kind} {name}")
            finally:
                try:
                    channel.close()
                except Exception:  # noqa: BLE001, S110 - already closed by the broker
                    pass
    finally:
        connection.release()
    if missing:
        return _fail(f"RabbitMQ at {where} has no {', '.join(missing)}: start novajoin-notify "
                     f"(it declares queue {queue} and binds it on exchanges "
                     f"{conf.nova_exchange} and {conf.neutron_exchange} with routing key "
                     f"{topic}.info), and add topic {topic} to nova's and neutron's "
                     "[oslo_messaging_notifications] topics")
    return _ok(f"RabbitMQ at {where}: queue {queue} and exchanges {conf.nova_exchange}, "
               f"{conf.neutron_exchange} exist (AMQP cannot list bindings; novajoin-notify "
               "binds the queue on both exchanges each time it starts)")


CHECKS: tuple[tuple[str, Callable[[Context], Result]], ...] = (
    ("join.conf", check_config),
    ("Policy file", check_policy),
    ("IPA login", check_ipa_login),
    ("IPA role and permissions", check_ipa_setup),
    ("Deployment", check_deployment),
    ("Shared cache", check_cache),
    ("Glance image properties", check_images),
    ("Keystone project names", check_projects),
    ("Project sections and subdomains", check_project_names),
    ("Nova servers of all projects", check_servers),
    ("RabbitMQ notifications", check_rabbitmq),
)

