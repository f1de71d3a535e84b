"""Owner tags: written and read back; anything else is not an owner."""

import pytest

from novajoin.domain import ownership
from novajoin.domain.ownership import Owner

ME = Owner("178b0921-8f85-4257-88b6-2e743b5a975c", "4969c491a3c74ee4af974e6d800c62de", 3)


def test_round_trip_host_and_subhost():
    assert ownership.read({"description": [ME.tag()]}) == ME
    sub = ownership.read({"description": [ME.of_subhost().tag()]})
    assert sub.kind == ownership.SUBHOST and sub.same_instance(ME)
    assert ME.next_generation().generation == 4


@pytest.mark.parametrize("description", [
    None, [], ["IPA host for OpenStack"], [ME.tag() + " extra"], [" " + ME.tag()],
    [ME.tag().replace("kind=host", "kind=admin")],
    [ME.tag().replace(ME.project_id, "proj; rm -rf")],
])
def test_anything_else_has_no_owner(description):
    assert ownership.read({"description": description}) is None


def test_same_instance_needs_same_project():
    other_project = Owner(ME.instance_id, "someone-else", 3)
    assert not ME.same_instance(other_project)
    assert not ME.same_instance(None)


# Each part of the tag has its form; anything else in any part is not a tag (issue 18).
TAG = "novajoin owner kind=host instance={i} project={p} generation={g}"
IID, PID = ME.instance_id, ME.project_id


@pytest.mark.parametrize("text", [
    TAG.format(i="178b0921-8f85-4257-88b6-2e743b5a975z", p=PID, g=3),  # not hex
    TAG.format(i="../../etc", p=PID, g=3),
    TAG.format(i="*", p=PID, g=3),
    TAG.format(i="a" * 65, p=PID, g=3),
    TAG.format(i="", p=PID, g=3),
    TAG.format(i=IID, p="p" * 65, g=3),
    TAG.format(i=IID, p="", g=3),
    TAG.format(i=IID, p="proj.x", g=3),
    TAG.format(i=IID, p=PID, g="1" * 13),
    TAG.format(i=IID, p=PID, g="-1"),
    TAG.format(i=IID, p=PID, g=""),
    TAG.format(i=IID, p=PID, g=3).replace("novajoin owner", "Novajoin owner"),
    TAG.format(i=IID, p=PID, g=3).replace(" project=", "  project="),
    TAG.format(i=IID, p=PID, g=3).replace("kind=host ", ""),
    TAG.format(i=IID, p=PID, g=3).replace("kind=host", "kind=Host"),
])
def test_malformed_tags_have_no_owner(text):
    assert ownership.read({"description": [text]}) is None


@pytest.mark.parametrize("i,p,g", [
    ("a" * 64, "p" * 64, "1" * 12), ("ABCDEF-0", "Dev_Team-1", "0"), ("f", "x", "007"),
])
def test_tags_at_the_limits_are_read(i, p, g):
    owner = ownership.read({"description": ["other text", TAG.format(i=i, p=p, g=g)]})
    assert owner == Owner(i, p, int(g), ownership.HOST)


def test_deployments_tag_and_read_apart():
    eu = Owner(ME.instance_id, ME.project_id, 3, deployment="eu-1")
    assert eu.tag().startswith("novajoin owner deployment=eu-1 kind=host ")
    assert ownership.read({"description": [eu.tag()]}, "eu-1") == eu
    assert ownership.read({"description": [eu.tag()]}) is None
    assert ownership.read({"description": [ME.tag()]}, "eu-1") is None
    assert ownership.tag_prefix() == "novajoin owner "
    assert ownership.tag_prefix("eu-1") == "novajoin owner deployment=eu-1 "
    assert not ME.same_instance(eu)


@pytest.mark.parametrize("name", ["eu-1", "default", "a", "0" + "a" * 31])
def test_deployment_names(name):
    assert ownership.check_deployment(name) == name


@pytest.mark.parametrize("name", ["", "EU", "-eu", "eu_1", "a" * 33, "eu 1", "eu\n"])
def test_bad_deployment_names(name):
    with pytest.raises(ValueError) as info:
        ownership.check_deployment(name)
    assert str(info.value) == (f"deployment {name!r}: 1-32 of a-z, 0-9 and '-', starting with "
                               f"a letter or digit")
