"""Which Keystone project a name means: settings sections and project subdomains.

Keystone names are unique only within a domain, and a domain manager (not a cloud
admin) may create projects of any name in its own domain. So a name identifies a
project only when Keystone has one project by that name; a ``<domain>/<project>``
name is unique; an id always is. And with ``project_subdomain`` two projects whose
names become the same DNS label (``demo`` in two domains, ``demo`` and ``demo!``
with ``normalize_project``) would share a subdomain: then none of them gets one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterable, Iterator


@dataclasses.dataclass(frozen=True)
class Project:
    id: str
    name: str
    domain: str  # the domain's name

    @property
    def qualified(self) -> str:
        return f"{self.domain}/{self.name}"


class Directory:
    """Every project Keystone has, as one listing (see novajoin.openstack.Cloud)."""

    def __init__(self, projects: Iterable[Project]) -> None:
        self._by_id = {p.id: p for p in projects}
        # label -> ids, built on first use: one pass per listing, not per request.
        self._labels: tuple[Callable[[str], str | None], dict[str, list[str]]] | None = None

    def __iter__(self) -> Iterator[Project]:
        return iter(self._by_id.values())

    def __contains__(self, project_id: object) -> bool:
        return project_id in self._by_id

    def get(self, project_id: str) -> Project | None:
        return self._by_id.get(project_id)

    def ids_named(self, name: str) -> list[str]:
        """Ids of every project called ``name``, in all domains, sorted."""
        return sorted(p.id for p in self._by_id.values() if p.name == name)

    def ids_labelled(self, label: str, label_of: Callable[[str], str | None]) -> list[str]:
        """Ids of every project whose name ``label_of`` turns into ``label``, sorted."""
        if self._labels is None or self._labels[0] != label_of:
            index: dict[str, list[str]] = {}
            for p in self._by_id.values():
                own = label_of(p.name)
                if own is not None:
                    index.setdefault(own, []).append(p.id)
            self._labels = (label_of, {k: sorted(v) for k, v in index.items()})
        return list(self._labels[1].get(label, ()))


def section_for(project_id: str, project_name: str | None, sections: Collection[str],
                directory: Callable[[], Directory]) -> str | None:
    """The join.conf section that holds a project's settings, or None.

    ``[<project id>]`` first, then ``[<domain>/<project>]``, then ``[<project>]`` when
    that name is the project's alone. ``directory`` is called only when a name could
    match, so a deployment configured by ids never lists Keystone's projects.
    """
    if project_id in sections:
        return project_id
    qualified = any("/" in s for s in sections)
    if not qualified and (project_name is None or project_name not in sections):
        return None
    projects = directory()
    me = projects.get(project_id)
    if me is None:
        return None
    if me.qualified in sections:
        return me.qualified
    if me.name in sections and projects.ids_named(me.name) == [project_id]:
        return me.name
    return None


def label_owner_conflict(project_id: str, label: str, directory: Directory,
                         label_of: Callable[[str], str | None]) -> list[str]:
    """The other projects that would share subdomain ``label`` with ``project_id``
    (empty when the label is the project's alone)."""
    return [i for i in directory.ids_labelled(label, label_of) if i != project_id]
