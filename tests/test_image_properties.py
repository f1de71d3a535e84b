"""Host class and location from the image (issue 16): the instance's value wins, the
project's allow list applies whoever set the value. A table over metadata.describe."""

from __future__ import annotations

import pytest

from novajoin import exception
from novajoin.domain import metadata
from novajoin.domain.naming import Naming

NAMING = Naming("example.test")


def describe(md, image, allowed=("web",)):
    return metadata.describe("0b6e5b3c-2f1c-4e33-9a67-5b0b1d5f0c11", "p1", "vm1", md, image,
                             naming=NAMING, project_name="dev", allowed_classes=allowed,
                             allowed_services=(), realm="EXAMPLE.TEST")


@pytest.mark.parametrize("md,image,expected", [
    ({}, {"ipa_hostclass": "web"}, {"userclass": "web"}),
    ({"ipa_hostclass": "web"}, {"ipa_hostclass": "db"}, {"userclass": "web"}),
    ({"ipa_hostclass": ""}, {"ipa_hostclass": "web"}, {"userclass": "web"}),
    ({}, {"ipa_host_location": "rack 4"}, {"nshostlocation": "rack 4"}),
    ({"ipa_host_location": "rack 1"}, {"ipa_host_location": "rack 4"},
     {"nshostlocation": "rack 1"}),
    ({}, {}, {}),
])
def test_instance_value_else_image_value(md, image, expected):
    assert dict(describe(md, image).host_attrs) == expected


def test_an_image_class_the_project_does_not_allow_is_refused():
    with pytest.raises(exception.ProjectForbidden, match="'db' is not allowed"):
        describe({}, {"ipa_hostclass": "db"})


def test_the_instance_cannot_be_overridden_into_a_forbidden_class_by_its_image():
    """An allowed instance class wins; the image's forbidden one is not even looked at."""
    assert describe({"ipa_hostclass": "web"}, {"ipa_hostclass": "db"}).host_attrs == {
        "userclass": "web"}


@pytest.mark.parametrize("image,what", [
    ({"ipa_host_location": "x" * 256}, "255"),
    ({"ipa_host_location": "a\nb"}, "printable"),
    ({"ipa_hostclass": ["web"]}, "not text"),
])
def test_image_values_are_checked_like_metadata(image, what):
    with pytest.raises(exception.InvalidName, match=what):
        describe({}, image, allowed=("*",))


def test_an_image_class_needs_the_project_name():
    assert metadata.needs_project_name({}, NAMING, {"ipa_hostclass": "web"})
    assert not metadata.needs_project_name({}, NAMING, {"os_distro": "rhel"})


def test_a_services_only_update_takes_nothing_from_the_image():
    e = metadata.describe("0b6e5b3c-2f1c-4e33-9a67-5b0b1d5f0c11", "p1", "vm1.example.test", {},
                          {"ipa_hostclass": "db"}, naming=NAMING, project_name="dev",
                          allowed_classes=(), allowed_services=(), realm="EXAMPLE.TEST",
                          services_only=True)
    assert e.host_attrs == {}
