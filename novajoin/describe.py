"""The one "describe an instance" use case, shared by novajoin-server and novajoin-notify.

From what nova says of an instance (its metadata, image, project and host
name) to the :class:`~novajoin.domain.plan.Enrollment` it needs in IPA:

1. does it want enrollment? its metadata's ``ipa_enroll``, else its image's (the
   same one Glance lookup also gives ``ipa_hostclass``, ``ipa_host_location``,
   ``os_distro`` and ``os_version``; the instance's own values win);
2. its project's name, from Keystone, only when naming or a check needs it;
3. with ``project_subdomain``, that no other project's name makes the same subdomain;
   the project's settings (``allowed_classes``, ``allowed_services``): its ``[<project
   id>]`` section, a ``[<domain>/<project>]`` one, or a ``[<project name>]`` one when no
   other project has that name (:mod:`novajoin.domain.projects`);
4. the realm, from IPA (asked once per process);
5. :func:`novajoin.domain.metadata.describe`, which checks every tenant value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from novajoin.domain import metadata, ownership, projects
from novajoin.domain.naming import Naming
from novajoin.domain.plan import Enrollment
from novajoin.domain.projects import Directory
from novajoin.exception import SubdomainShared


class Describer:
    """Describes instances for enrollment; one per process, shared by threads.

    :param cloud: image properties and project names (``image_properties``,
        ``project_name``, ``project_directory``), cached by the cloud client itself.
    :param projects: the project sections of join.conf (``settings(id, name, directory)``).
    :param realm: the IPA realm (asked of IPA once, then remembered by the client).
    """

    def __init__(self, naming: Naming, cloud, projects, realm: Callable[[], str],
                 deployment: str = ownership.DEFAULT) -> None:
        self.naming = naming
        self.deployment = deployment
        self._cloud = cloud
        self._projects = projects
        self._realm = realm

    def for_boot(self, instance_id: str, project_id: str, hostname: str,
                 md: Mapping[str, str], image_id: str | None) -> Enrollment | None:
        """The whole host at first boot; None when the instance does not ask to be enrolled.

        The instance's ``ipa_enroll`` decides; only when it has none is the image read.
        """
        wanted = metadata.wants_enrollment(md.get(metadata.ENROLL))
        if wanted is False:
            return None
        image = self._cloud.image_properties(image_id) if image_id else None
        if wanted is None and not metadata.wants_enrollment((image or {}).get(metadata.ENROLL)):
            return None
        return self._describe(instance_id, project_id, hostname, md, image or {})

    def services_of(self, instance_id: str, project_id: str, fqdn: str,
                    md: Mapping[str, str]) -> Enrollment:
        """Only the services of an instance already in IPA as ``fqdn`` (a metadata update):
        host class and location are set once, at boot."""
        return self._describe(instance_id, project_id, fqdn, md, {}, services_only=True)

    def _describe(self, instance_id: str, project_id: str, hostname: str,
                  md: Mapping[str, str], image: Mapping[str, object], *,
                  services_only: bool = False) -> Enrollment:
        project = (self._cloud.project_name(project_id)
                   if metadata.needs_project_name(md, self.naming, image) else None)
        def directory():
            return self._cloud.project_directory(project_id)

        if self.naming.project_subdomain:
            self._check_subdomain(project_id, project, directory)
        settings = self._projects.settings(project_id, project, directory)
        return metadata.describe(instance_id, project_id, hostname, md, image,
                                 naming=self.naming, project_name=project,
                                 allowed_classes=settings.allowed_classes,
                                 allowed_services=settings.allowed_services,
                                 realm=self._realm(), services_only=services_only,
                                 deployment=self.deployment)

    def _check_subdomain(self, project_id: str, project: str | None,
                         directory: Callable[[], Directory]) -> None:
        """A project subdomain is one project's: refuse it when Keystone has several
        projects whose names make its label (issue 12 item 4)."""
        label = self.naming.project_label(project)
        others = projects.label_owner_conflict(project_id, label, directory(),
                                               self.naming.label_or_none)
        if others:
            raise SubdomainShared(zone=f"{label}.{self.naming.domain}", count=len(others) + 1)
