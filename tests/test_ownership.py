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
