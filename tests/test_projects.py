"""Which project a name means (novajoin.domain.projects), as tables (issue 12 item 4)."""

import pytest

from novajoin.domain.naming import Naming
from novajoin.domain.projects import Directory, Project, label_owner_conflict, section_for

KEYSTONE = Directory([
    Project("id-web", "Web Team", "Default"),
    Project("id-web-twin", "Web Team", "tenant"),   # the same name in a tenant's domain
    Project("id-db", "Db Team", "Default"),
    Project("id-demo", "demo", "Default"),
    Project("id-demo-bang", "demo!", "Default"),    # folds into demo's label
    Project("id-dev", "dev", "Default"),
    Project("id-dev-up", "DEV", "tenant"),          # the same label, case aside
    Project("id-ops", "ops", "Default"),
])


@pytest.mark.parametrize("project_id,name,sections,section", [
    ("id-web", "Web Team", {"id-web", "Web Team"}, "id-web"),        # the id wins
    ("id-web", "Web Team", {"Web Team"}, None),                       # two projects: none
    ("id-web-twin", "Web Team", {"Web Team"}, None),
    ("id-web", "Web Team", {"Default/Web Team"}, "Default/Web Team"),
    ("id-web-twin", "Web Team", {"Default/Web Team"}, None),          # not its domain
    ("id-web-twin", "Web Team", {"tenant/Web Team", "Web Team"}, "tenant/Web Team"),
    ("id-db", "Db Team", {"Db Team"}, "Db Team"),                     # one project: applies
    ("id-db", "Db Team", {"Default/Db Team", "Db Team"}, "Default/Db Team"),
    ("id-db", None, {"Default/Db Team"}, "Default/Db Team"),          # name not yet asked
    ("id-new", "Db Team", {"Db Team"}, None),                         # not in the listing
    ("id-ops", "ops", {"Db Team"}, None),
])
def test_section_for(project_id, name, sections, section):
    assert section_for(project_id, name, sections, lambda: KEYSTONE) == section


def test_a_deployment_configured_by_ids_never_lists_the_projects():
    def listing():
        raise AssertionError("listed")
    assert section_for("id-web", "Web Team", {"id-web", "other-id"}, listing) == "id-web"
    assert section_for("id-ops", "ops", {"id-web"}, listing) is None


NORMALIZE = Naming("example.test", project_subdomain=True)
STRICT = Naming("example.test", project_subdomain=True, normalize_project=False)


@pytest.mark.parametrize("naming,project_id,name,others", [
    (NORMALIZE, "id-ops", "ops", []),
    (NORMALIZE, "id-demo", "demo", ["id-demo-bang"]),
    (NORMALIZE, "id-demo-bang", "demo!", ["id-demo"]),
    (NORMALIZE, "id-dev", "dev", ["id-dev-up"]),
    (NORMALIZE, "id-web", "Web Team", ["id-web-twin"]),
    (STRICT, "id-demo", "demo", []),          # "demo!" makes no label without normalising
    (STRICT, "id-dev", "dev", ["id-dev-up"]),  # labels are compared lower case
])
def test_label_owner_conflict(naming, project_id, name, others):
    label = naming.project_label(name)
    assert label_owner_conflict(project_id, label, KEYSTONE, naming.label_or_none) == others
