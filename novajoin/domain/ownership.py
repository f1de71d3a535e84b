"""Which nova instance owns an IPA entry, recorded on the entry itself.

novajoin writes an *owner tag* into the ``description`` of every host and
sub-host it creates::

    novajoin owner kind=host instance=<instance uuid> project=<project id> generation=<n>

and, for a deployment other than ``default`` (``[DEFAULT] deployment``: several
novajoin deployments, e.g. regions, sharing one IPA)::

    novajoin owner deployment=<name> kind=host instance=... project=... generation=<n>

An entry of another deployment reads as no owner at all: it is never changed,
deleted or reconciled, as if someone else had made it.

``kind`` is ``host`` for the instance's own host entry and ``subhost`` for the
hosts of its services; ``generation`` counts rebuilds (see :mod:`novajoin.domain.otp`).

Before it changes or deletes an entry it reads the tag back: an entry that
carries no tag, or another instance's tag, is not novajoin's to touch, even
when its name is the one the instance asks for. Services are owned through
their host: a service novajoin creates always lives on a host it owns.
The delete path needs nothing but this tag and the notification's payload.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

PREFIX = "novajoin owner"
HOST, SUBHOST = "host", "subhost"
DEFAULT = "default"  # the deployment whose tags carry no deployment= field (all before it)
DEPLOYMENT = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")  # used with fullmatch
_TAG = re.compile(  # used with fullmatch: no trailing newline slips through
    r"novajoin owner (?:deployment=(?P<deployment>[a-z0-9][a-z0-9-]{0,31}) )?"
    r"kind=(?P<kind>host|subhost) instance=(?P<instance>[0-9a-fA-F-]{1,64}) "
    r"project=(?P<project>[0-9a-zA-Z_-]{1,64}) generation=(?P<generation>\d{1,12})")


@dataclasses.dataclass(frozen=True)
class Owner:
    instance_id: str
    project_id: str
    generation: int = 0
    kind: str = HOST
    deployment: str = DEFAULT

    def tag(self) -> str:
        return (f"{tag_prefix(self.deployment)}kind={self.kind} instance={self.instance_id} "
                f"project={self.project_id} generation={self.generation}")

    def of_subhost(self) -> Owner:
        return dataclasses.replace(self, kind=SUBHOST)

    def same_instance(self, other: Owner | None) -> bool:
        return (other is not None and other.instance_id == self.instance_id
                and other.project_id == self.project_id
                and other.deployment == self.deployment)

    def next_generation(self) -> Owner:
        return dataclasses.replace(self, generation=self.generation + 1)


def tag_prefix(deployment: str = DEFAULT) -> str:
    """How every tag of ``deployment`` begins (what IPA permission filters match)."""
    if deployment == DEFAULT:
        return f"{PREFIX} "
    return f"{PREFIX} deployment={deployment} "


def check_deployment(name: str) -> str:
    if not DEPLOYMENT.fullmatch(name):
        raise ValueError(f"deployment {name!r}: 1-32 of a-z, 0-9 and '-', starting with a "
                         f"letter or digit")
    return name


def read(entry: Mapping[str, Any], deployment: str = DEFAULT) -> Owner | None:
    """The owner recorded in an IPA entry (as IPA returns it), or None.

    A tag of another deployment than ``deployment`` is not an owner here.
    """
    for text in entry.get("description") or ():
        match = _TAG.fullmatch(text)
        if match and (match["deployment"] or DEFAULT) == deployment:
            return Owner(match["instance"], match["project"], int(match["generation"]),
                         match["kind"], deployment)
    return None
