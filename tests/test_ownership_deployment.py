"""Owner tags per deployment (issue 12 item 5), as a table."""

from __future__ import annotations

import pytest

from novajoin import ipa_setup
from novajoin.domain import ownership
from novajoin.domain.ownership import Owner

IID, PROJECT = "178b0921-8f85-4257-88b6-2e743b5a975c", "4969c491a3c74ee4af974e6d800c62de"


@pytest.mark.parametrize("deployment,tag", [
    ("default", f"novajoin owner kind=host instance={IID} project={PROJECT} generation=0"),
    ("west", f"novajoin owner deployment=west kind=host instance={IID} project={PROJECT} "
             "generation=0"),
])
def test_tag_and_read_back(deployment, tag):
    owner = Owner(IID, PROJECT, deployment=deployment)
    assert owner.tag() == tag
    assert ownership.read({"description": [tag]}, deployment) == owner


@pytest.mark.parametrize("written,reader", [("default", "west"), ("west", "default"),
                                            ("west", "east")])
def test_another_deployments_tag_is_no_owner(written, reader):
    tag = Owner(IID, PROJECT, deployment=written).tag()
    assert ownership.read({"description": [tag]}, reader) is None


def test_same_instance_needs_the_same_deployment():
    assert not Owner(IID, PROJECT).same_instance(Owner(IID, PROJECT, deployment="west"))


@pytest.mark.parametrize("name,ok", [("west", True), ("region-2", True), ("a" * 32, True),
                                     ("a" * 33, False), ("West", False), ("-west", False),
                                     ("we st", False), ("", False)])
def test_deployment_names(name, ok):
    if ok:
        assert ownership.check_deployment(name) == name
    else:
        with pytest.raises(ValueError):
            ownership.check_deployment(name)


@pytest.mark.parametrize("deployment", ["default", "west"])
def test_the_permission_filter_matches_its_own_tags_only(deployment):
    """The LDAP substring filter ``(description=<prefix>*)`` as 389-ds matches it."""
    prefix = ipa_setup.owner_filter(deployment)[len("(description="):-len("*)")]
    mine = Owner(IID, PROJECT, deployment=deployment).tag()
    other = Owner(IID, PROJECT, deployment="east").tag()
    assert mine.startswith(prefix) and not other.startswith(prefix)


def test_names_of_a_deployments_ipa_objects():
    d = ipa_setup.desired("dc=x", "X", "nova.x", [], deployment="west")
    assert d.role == "Nova Host Manager for west" and d.privilege.endswith(" for west")
    assert all(p.name.endswith(" for west") for p in d.permissions)
    default = ipa_setup.desired("dc=x", "X", "nova.x", [])
    assert default.role == "Nova Host Manager"
