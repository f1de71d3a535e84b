"""Security round 2, item 4 (issue 12), the settings half: projects identified by name.

Keystone names are unique only within a domain. A domain manager (not a cloud admin) made a
project named like a configured one in its own domain and got that section's
``allowed_classes`` (a userclass feeding automember/HBAC) and ``allowed_services``. Against
the real Keystone, through novajoin-server's HTTP API: a ``[<project name>]`` section applies
only when the name is one project's alone; ``[<project id>]`` always.
"""

from __future__ import annotations

import uuid

import pytest

from tests.api.conftest import keystone_sections
from tests.support import nova_body


@pytest.fixture(scope="module")
def projects(keystone):
    """"Web Team" in the default domain, and "Web Team" again in a tenant's own domain."""
    tag = uuid.uuid4().hex[:6]
    domain = keystone.api("POST", "/domains", {"domain": {"name": f"tenant-{tag}"}})["domain"]

    def project(name, domain_id):
        return keystone.api("POST", "/projects", {"project": {
            "name": name, "domain_id": domain_id}})["project"]["id"]
    return {"victim": project(f"Web Team {tag}", "default"),
            "twin": project(f"Web Team {tag}", domain["id"]),
            "alone": project(f"Db Team {tag}", "default"), "tag": tag}


def _boot(api, project_id, hostclass):
    return api.post(nova_body(hostname=f"h-{uuid.uuid4().hex[:6]}", project_id=project_id,
                              metadata={"ipa_enroll": "True", "ipa_hostclass": hostclass}))


def test_a_name_section_shared_by_two_domains_projects_gives_neither_its_classes(
        make_api, novajoin_user, projects, caplog):
    tag = projects["tag"]
    api = make_api(cloud="real", sections=f"[Web Team {tag}]\nallowed_classes = web\n"
                   f"[Db Team {tag}]\nallowed_classes = db\n" + keystone_sections(novajoin_user))
    attacker = _boot(api, projects["twin"], "web")
    assert attacker.status_int == 403, attacker.json
    assert attacker.json["errors"][0]["code"] == "novajoin.metadata.forbidden"
    assert _boot(api, projects["victim"], "web").status_int == 403  # ambiguous: for none
    assert f"Section [Web Team {tag}] of join.conf names 2 projects" in caplog.text
    assert _boot(api, projects["alone"], "db").status_int == 200  # a name of one project


def test_a_section_named_by_project_id_applies_to_that_project_only(
        make_api, novajoin_user, projects):
    api = make_api(cloud="real", sections=f"[{projects['victim']}]\nallowed_classes = web\n"
                   + keystone_sections(novajoin_user))
    assert _boot(api, projects["victim"], "web").status_int == 200
    assert _boot(api, projects["twin"], "web").status_int == 403
