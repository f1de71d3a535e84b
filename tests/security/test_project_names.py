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
from tests.support import DOMAIN, host_exists, nova_body


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


def test_a_section_named_domain_slash_project_applies_in_that_domain_only(
        make_api, novajoin_user, projects):
    api = make_api(cloud="real", sections=f"[Default/Web Team {projects['tag']}]\n"
                   "allowed_classes = web\n" + keystone_sections(novajoin_user))
    assert _boot(api, projects["victim"], "web").status_int == 200
    attacker = _boot(api, projects["twin"], "web")
    assert attacker.status_int == 403, attacker.json


def test_a_project_created_after_the_listing_gets_its_name_section(
        make_api, novajoin_user, keystone, projects):
    """The listing is cached; a project it lacks makes novajoin list again, at once."""
    name = f"Late Team {uuid.uuid4().hex[:6]}"
    api = make_api(cloud="real", sections=f"[Db Team {projects['tag']}]\nallowed_classes = db\n"
                   f"[{name}]\nallowed_classes = late\n" + keystone_sections(novajoin_user))
    assert _boot(api, projects["alone"], "db").status_int == 200  # the listing is cached now
    late = keystone.api("POST", "/projects", {"project": {
        "name": name, "domain_id": "default"}})["project"]["id"]
    answer = _boot(api, late, "late")
    assert answer.status_int == 200, answer.json


def _subdomain_boot(api, project_id, name):
    return api.post(nova_body(hostname=name, project_id=project_id,
                              metadata={"ipa_enroll": "True"}))


def test_a_project_subdomain_is_one_projects_alone(make_api, novajoin_user, keystone, projects):
    """Two projects whose names make one DNS label (the same name in two domains; "demo" and
    "demo!" with normalize_project) would put their hosts in one subdomain: the instances
    of each are refused, nothing is written; a name of one project keeps its subdomain."""
    tag = projects["tag"]
    demo = keystone.api("POST", "/projects", {"project": {
        "name": f"demo-{tag}", "domain_id": "default"}})["project"]["id"]
    demo_bang = keystone.api("POST", "/projects", {"project": {
        "name": f"demo-{tag}!", "domain_id": "default"}})["project"]["id"]
    api = make_api(cloud="real", project_subdomain="True",
                   sections=keystone_sections(novajoin_user))
    for project_id, label in [(projects["victim"], f"web-team-{tag}"),
                              (projects["twin"], f"web-team-{tag}"),
                              (demo, f"demo-{tag}"), (demo_bang, f"demo-{tag}")]:
        host = f"h-{uuid.uuid4().hex[:6]}"
        answer = _subdomain_boot(api, project_id, host)
        assert answer.status_int == 409, answer.json
        assert answer.json["errors"][0]["code"] == "novajoin.project.subdomain_shared"
        assert not host_exists(api, f"{host}.{label}.{DOMAIN}")
    answer = _subdomain_boot(api, projects["alone"], "db-1")
    assert answer.status_int == 200, answer.json
    assert answer.json["hostname"] == f"db-1.db-team-{tag}.{DOMAIN}"
