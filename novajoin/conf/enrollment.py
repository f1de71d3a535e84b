"""How instances are named and enrolled: options shared by the API and the listener."""

import dataclasses
import logging
from collections.abc import Callable, Sequence

from oslo_config import cfg

from novajoin.domain import projects
from novajoin.domain.projects import Directory

LOG = logging.getLogger(__name__)

enrollment_opts = [
    cfg.StrOpt("deployment", default="default", regex=r"^[a-z0-9][a-z0-9-]{0,31}$",
               help="""The name of this novajoin deployment, when several (e.g. regions)
share one IPA. It is written into the owner tag of every host novajoin creates, and
novajoin acts only on entries of its own deployment: deletes, rebuilds, floating IPs
and novajoin-reconcile leave the others' alone. Give novajoin-ipa-setup the same
--deployment so that the IPA permissions reach only this deployment's hosts. Hosts
created before the option was set belong to "default" (their tags carry no
deployment); see doc/migration.md to move them."""),
    cfg.StrOpt("domain",
               help="""DNS domain of enrolled instances: an instance named web-1 becomes
web-1.<domain> in IPA. Required."""),
    cfg.BoolOpt("project_subdomain", default=False,
                help="""Put each project's instances in their own subdomain:
<instance>.<project name>.<domain>. The project's name is read from Keystone. A subdomain
belongs to one project: when Keystone has several projects whose names make the same
label (the same name in two domains; "demo" and "demo!" with normalize_project), the
instances of each are refused with HTTP 409 until all but one are renamed."""),
    cfg.BoolOpt("normalize_project", default=True,
                help="""With project_subdomain, turn a project name that is not a valid DNS
label into one (lower case, other characters become '-'). When false such a project's
instances are refused."""),
    cfg.IntOpt("max_hostname_length", default=64, min=64, max=255,
               help="""The longest host name IPA accepts: its ipaMaxHostnameLength
("Maximum hostname length" in ``ipa config-show``; 64 unless an admin raised it with
``ipa config-mod --maxhostname``). novajoin refuses an instance whose host name, or the
name of a sub-host its services need (<instance>.<network>.<domain>), is longer, with
HTTP 400 and before calling IPA; IPA's host_add would refuse it anyway. Set it to IPA's
value. Counted as IPA counts: the lower-case name without the trailing dot."""),
    cfg.StrOpt("otp_secret", secret=True,
               help="""Secret from which every novajoin process derives the same one-time
password for an instance. Set the same long random value on every novajoin host
(novajoin-install generates one); protect it like the keytab. When unset, each
process makes up its own and several processes give different OTPs."""),
    cfg.IntOpt("enrollment_recheck_interval", default=15, min=0,
               help="""Seconds during which a repeated request for the same instance is
answered from memory, without asking IPA. nova asks up to six times while it builds a
config drive and again on every metadata fetch; after this interval novajoin asks IPA
again whether the host has enrolled meanwhile. 0 always asks IPA."""),
]

# Read from a [<project id>] section each, a [<domain name>/<project name>] one, or a
# [<project name>] one (novajoin 1.x's, applied only when the name is one project's
# alone); see novajoin.domain.projects.section_for.
project_opts = [
    cfg.ListOpt("allowed_classes", default=[],
                help="""Host classes (ipa_hostclass) instances of this project may ask
for; '*' allows any."""),
    cfg.ListOpt("allowed_services", default=[],
                help="""Extra service principals (shell patterns such as
HTTP/*.apps.example.com) this project's instances may claim with managed_service_*
metadata, besides those on the instance's own name."""),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(enrollment_opts)


def register_project_opts(conf: cfg.ConfigOpts, known_groups: set[str]) -> list[str]:
    """Register ``project_opts`` for every project section of the files (by id, by
    ``<domain>/<project>`` or by name).

    novajoin 1.x configured host classes per project in sections named after
    the project; they are found once at start-up, never while serving.
    """
    projects = []
    for section in conf.list_all_sections():
        if section == "DEFAULT" or section in known_groups:
            continue
        conf.register_opts(project_opts, group=section)
        projects.append(section)
    return projects


@dataclasses.dataclass(frozen=True)
class ProjectSettings:
    allowed_classes: Sequence[str] = ()
    allowed_services: Sequence[str] = ()


class Projects:
    """The ``[<project id>]``, ``[<domain>/<project>]`` and ``[<project name>]`` sections
    of join.conf, found once at start-up."""

    # Library option groups that are never project sections.
    LIBRARY_GROUPS = frozenset({
        "keystone_authtoken", "oslo_policy", "oslo_middleware", "healthcheck",
        "service_credentials", "cache", "oslo_messaging_notifications",
        "oslo_messaging_rabbit", "oslo_concurrency", "cors", "oslo_middleware_tracing"})

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self._conf = conf
        self.names = frozenset(register_project_opts(conf, set(self.LIBRARY_GROUPS)))
        self._ambiguous: set[str] = set()  # name sections already warned about

    def settings(self, project_id: str, project_name: str | None,
                 directory: Callable[[], Directory]) -> ProjectSettings:
        """A project's settings; nothing allowed for a project without a section.

        Which section: :func:`novajoin.domain.projects.section_for` (id, then
        ``<domain>/<project>``, then a name that is one project's alone). ``directory()``
        lists Keystone's projects; asked only when a name section could match.
        """
        section = projects.section_for(project_id, project_name, self.names, directory)
        if section is not None:
            return self._of(section)
        if project_name in self.names and project_name not in self._ambiguous:
            count = len(directory().ids_named(project_name))
            if count > 1:
                self._ambiguous.add(project_name)
                LOG.warning("Section [%s] of join.conf names %d projects (Keystone names "
                            "are unique only within a domain): it applies to none of them; "
                            "name the section [<project id>] or [<domain>/<project>] instead",
                            project_name, count)
        return ProjectSettings()

    def _of(self, section: str) -> ProjectSettings:
        group = self._conf[section]
        return ProjectSettings(group.allowed_classes, group.allowed_services)


def list_opts():
    return [("DEFAULT", enrollment_opts), ("<project id>", project_opts)]
