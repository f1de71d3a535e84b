"""What a request handler is given: the process's shared services, built once."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from oslo_config import cfg
from oslo_policy import policy

from novajoin.enrollment import Enroller
from novajoin.ipa import IpaClient
from novajoin.naming import Naming
from novajoin.openstack import Cloud


@dataclasses.dataclass(frozen=True)
class ProjectSettings:
    allowed_classes: Sequence[str] = ()
    allowed_services: Sequence[str] = ()


@dataclasses.dataclass
class ApiServices:
    """Built by ``novajoin.wsgi.init_application`` and passed to every handler."""

    conf: cfg.ConfigOpts
    naming: Naming
    ipa: IpaClient
    enroller: Enroller
    cloud: Cloud
    enforcer: policy.Enforcer
    projects: frozenset[str] = frozenset()

    def project_settings(self, project_name: str | None) -> ProjectSettings:
        """``[<project name>]`` options; defaults (nothing allowed) otherwise."""
        if project_name is None or project_name not in self.projects:
            return ProjectSettings()
        group = self.conf[project_name]
        return ProjectSettings(group.allowed_classes, group.allowed_services)

    def realm(self) -> str:
        return self.ipa.realm()
