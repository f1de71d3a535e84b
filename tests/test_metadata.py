"""Instance metadata as tables: what a tenant writes, what novajoin makes of it. No I/O.

Every value here is the tenant's to write, so each refusal is pinned with its exact message
(the API answers it to nova, and operators read it in the log).
"""

import json

import pytest

from novajoin.domain import metadata
from novajoin.domain.metadata import (
    describe,
    hostclass,
    location,
    needs_project_name,
    os_version,
    requested_services,
    wants_enrollment,
)
from novajoin.domain.naming import Naming, Principal
from novajoin.domain.ownership import Owner
from novajoin.exception import InvalidName, ProjectForbidden

DOMAIN = "example.test"
FQDN = f"web.{DOMAIN}"
IID = "178b0921-8f85-4257-88b6-2e743b5a975c"
PROJECT = "4969c491a3c74ee4af974e6d800c62de"


def naming(**kw) -> Naming:
    return Naming(DOMAIN, **kw)


def message(exc_info) -> str:
    return str(exc_info.value)


# -- ipa_enroll ------------------------------------------------------------------------

@pytest.mark.parametrize("value,expected", [
    (None, None), (True, True), (False, False),
    ("True", True), ("true", True), ("TRUE", True), ("  true\n", True),
    ("False", False), ("yes", False), ("1", False), (1, False), ("", False), ("truee", False),
])
def test_wants_enrollment(value, expected):
    assert wants_enrollment(value) is expected


# -- ipa_hostclass -----------------------------------------------------------------------

@pytest.mark.parametrize("md,allowed,expected", [
    ({}, [], None),
    ({"ipa_hostclass": ""}, [], None),
    ({"ipa_hostclass": "web"}, ["web", "db"], "web"),
    ({"ipa_hostclass": "anything"}, ["*"], "anything"),
    ({"ipa_hostclass": "db"}, ["web", "*"], "db"),
])
def test_hostclass_allowed(md, allowed, expected):
    assert hostclass(md, allowed, "Dev Team") == expected


@pytest.mark.parametrize("allowed", [[], ["web"], ["we*"], ["WEB2"]])
def test_hostclass_refused(allowed):
    with pytest.raises(ProjectForbidden) as info:
        hostclass({"ipa_hostclass": "web2"}, allowed, "Dev Team")
    assert message(info) == "host class 'web2' is not allowed for project 'Dev Team'"


# -- image properties -----------------------------------------------------------------------

@pytest.mark.parametrize("props,expected", [
    ({"os_distro": "fedora", "os_version": "40"}, "fedora 40"),
    ({"os_version": 9, "os_distro": "rhel"}, "rhel 9"),
    ({"os_distro": "fedora"}, "fedora"),
    ({"os_version": "40"}, "40"),
    ({"os_distro": "", "os_version": None}, None),
    ({}, None),
    ({"architecture": "x86_64"}, None),
])
def test_os_version(props, expected):
    assert os_version(props) == expected


# -- ipa_host_location ------------------------------------------------------------------------

@pytest.mark.parametrize("value,expected", [
    (None, None),
    ("", None),
    ("rack 7", "rack 7"),
    ("salle 7, étage 2", "salle 7, étage 2"),  # printable is not only ASCII
    ("x" * 255, "x" * 255),
])
def test_location_accepted(value, expected):
    md = {} if value is None else {"ipa_host_location": value}
    assert location(md) == expected


@pytest.mark.parametrize("value", [
    "x" * 256,
    "y" * 1000,
    "rack\n7",
    "rack\t7",
    "rack\x007",
    "rack\r",
    "\x1b[31mred",  # a terminal escape in an operator's log
    "del\x7f",
    "rack\u2028seven",  # a line separator
    7,  # not text at all
    ["rack 7"],
])
def test_location_refused(value):
    with pytest.raises(InvalidName) as info:
        location({"ipa_host_location": value})
    assert message(info) == (f"metadata ipa_host_location {value!r} is not usable: it must be "
                             f"printable text of at most 255 characters")


# -- services -----------------------------------------------------------------------------

def principals(requests):
    return [(str(r.principal), r.key, r.host) for r in requests]


@pytest.mark.parametrize("md,allowed,expected", [
    ({}, [], []),
    ({"ipa_enroll": "True", "ipa_hostclass": "web"}, [], []),
    ({"managed_service_a": f"HTTP/web.{DOMAIN}"}, [],
     [(f"HTTP/web.{DOMAIN}", "managed_service_a", FQDN)]),
    ({"managed_service_a": f"HTTP/Web.{DOMAIN}@EXAMPLE.TEST"}, [],
     [(f"HTTP/web.{DOMAIN}", "managed_service_a", FQDN)]),
    ({"managed_service_a": f"HTTP/web.ctl.{DOMAIN}"}, [],
     [(f"HTTP/web.ctl.{DOMAIN}", "managed_service_a", f"web.ctl.{DOMAIN}")]),
    ({"managed_service_vip": f"HTTP/vip.{DOMAIN}"}, ["HTTP/vip.*"],
     [(f"HTTP/vip.{DOMAIN}", "managed_service_vip", f"vip.{DOMAIN}")]),
    ({"managed_service_vip": f"HTTP/vip.{DOMAIN}"}, ["ldap/*", "HTTP/vip.example.test"],
     [(f"HTTP/vip.{DOMAIN}", "managed_service_vip", f"vip.{DOMAIN}")]),
    ({"compact_service_HTTP": '["ctl", "Storage"]'}, [],
     [(f"HTTP/web.ctl.{DOMAIN}", "compact_service_HTTP", f"web.ctl.{DOMAIN}"),
      (f"HTTP/web.storage.{DOMAIN}", "compact_service_HTTP", f"web.storage.{DOMAIN}")]),
    ({"compact_service_HTTP": "[]"}, [], []),
    ({"compact_service_HTTP": '["ctl"]', "compact_service_ldap": '["ctl"]'}, [],
     [(f"HTTP/web.ctl.{DOMAIN}", "compact_service_HTTP", f"web.ctl.{DOMAIN}"),
      (f"ldap/web.ctl.{DOMAIN}", "compact_service_ldap", f"web.ctl.{DOMAIN}")]),
    ({"compact_services": json.dumps({"ldap": ["ctl"], "HTTP": ["ctl", "int"]})}, [],
     [(f"HTTP/web.ctl.{DOMAIN}", "compact_services", f"web.ctl.{DOMAIN}"),
      (f"HTTP/web.int.{DOMAIN}", "compact_services", f"web.int.{DOMAIN}"),
      (f"ldap/web.ctl.{DOMAIN}", "compact_services", f"web.ctl.{DOMAIN}")]),
    # Keys in sorted order; a principal asked twice is one request, under its first key.
    ({"managed_service_z": f"HTTP/web.ctl.{DOMAIN}", "compact_service_HTTP": '["ctl"]',
      "compact_services": '{"HTTP": ["ctl"]}', "managed_service_b": f"ldap/web.{DOMAIN}"}, [],
     [(f"HTTP/web.ctl.{DOMAIN}", "compact_service_HTTP", f"web.ctl.{DOMAIN}"),
      (f"ldap/web.{DOMAIN}", "managed_service_b", FQDN)]),
])
def test_requested_services(md, allowed, expected):
    got = requested_services(md, naming(), FQDN, None, "EXAMPLE.TEST", allowed)
    assert principals(got) == expected


@pytest.mark.parametrize("principal,allowed", [
    (f"HTTP/other.{DOMAIN}", []),
    (f"HTTP/vip.{DOMAIN}", ["HTTP/vip"]),  # a pattern matches the whole principal
    (f"HTTP/vip.{DOMAIN}", ["http/vip.*"]),  # and its case
    (f"HTTP/vip.{DOMAIN}", ["ldap/vip.*"]),
    (f"HTTP/web.a.b.{DOMAIN}", []),
])
def test_managed_service_not_own_nor_allowed(principal, allowed):
    with pytest.raises(ProjectForbidden) as info:
        requested_services({"managed_service_x": principal}, naming(), FQDN, None, None,
                           allowed)
    assert message(info) == (f"managed_service_x: {principal} is not on this instance's name "
                             f"({FQDN}) and not in the project's allowed_services")


def test_allowed_patterns_see_the_principal_without_realm():
    md = {"managed_service_x": f"HTTP/vip.{DOMAIN}@EXAMPLE.TEST"}
    with pytest.raises(ProjectForbidden):
        requested_services(md, naming(), FQDN, None, "EXAMPLE.TEST", ["*@EXAMPLE.TEST"])


def test_own_names_follow_the_project_subdomain():
    n = naming(project_subdomain=True)
    fqdn = f"web.dev.{DOMAIN}"
    got = requested_services({"managed_service_a": f"HTTP/web.ctl.dev.{DOMAIN}",
                              "compact_service_ldap": '["int"]',
                              "compact_services": '{"nfs": ["st"]}'}, n, fqdn, "Dev", None, [])
    assert principals(got) == [(f"ldap/web.int.dev.{DOMAIN}", "compact_service_ldap",
                                f"web.int.dev.{DOMAIN}"),
                               (f"nfs/web.st.dev.{DOMAIN}", "compact_services",
                                f"web.st.dev.{DOMAIN}"),
                               (f"HTTP/web.ctl.dev.{DOMAIN}", "managed_service_a",
                                f"web.ctl.dev.{DOMAIN}")]


@pytest.mark.parametrize("md,error", [
    ({"compact_service_HTTP": "ctl"},
     "metadata compact_service_HTTP 'ctl' is not usable: it is not JSON"),
    ({"compact_service_HTTP": "[" * 100_000},
     f"metadata compact_service_HTTP {'[' * 100_000!r} is not usable: it is not JSON"),
    ({"compact_service_HTTP": '{"HTTP": ["ctl"]}'},
     "metadata compact_service_HTTP '{\"HTTP\": [\"ctl\"]}' is not usable: "
     "it is not a JSON list"),
    ({"compact_services": '["ctl"]'},
     "metadata compact_services '[\"ctl\"]' is not usable: it is not a JSON dict"),
    ({"compact_services": None},
     "metadata compact_services None is not usable: it is not JSON"),
    ({"compact_service_HTTP": '[1]'},
     "metadata compact_service_HTTP [1] is not usable: networks must be a list of names"),
    ({"compact_services": '{"HTTP": "ctl"}'},
     "metadata compact_services 'ctl' is not usable: networks must be a list of names"),
    ({"compact_services": '{"HTTP": ["ctl", null]}'},
     "metadata compact_services ['ctl', None] is not usable: networks must be a list of names"),
    ({"compact_service_HTTP": '["a.b"]'},
     "network name 'a.b' is not usable: only letters, digits and '-' may be used"),
    ({"compact_services": '{"HTTP/evil.test@": ["ctl"]}'},
     "service name 'HTTP/evil.test@' is not usable: it may hold only letters, digits, "
     "'.', '_' and '-'"),
    ({"compact_service_host": '["ctl"]'},
     "service name 'host' is not usable: host/ principals belong to IPA's own host entries"),
    ({"managed_service_a": "HTTP"},
     "service principal 'HTTP' is not usable: it is not service/host"),
])
def test_service_metadata_refused(md, error):
    with pytest.raises(InvalidName) as info:
        requested_services(md, naming(), FQDN, None, None, ["*"])
    assert message(info) == error


def test_service_request_host_is_its_principals():
    r = metadata.ServiceRequest(Principal("HTTP", f"web.ctl.{DOMAIN}"), "k")
    assert r.host == f"web.ctl.{DOMAIN}"


# -- what describing needs ----------------------------------------------------------------------

@pytest.mark.parametrize("md,subdomain,expected", [
    ({}, False, False),
    ({"ipa_enroll": "True", "compact_service_HTTP": '["ctl"]'}, False, False),
    ({"ipa_host_location": "x"}, False, False),
    ({"ipa_hostclass": ""}, False, False),
    ({"ipa_hostclass": "web"}, False, True),
    ({"managed_service_a": "HTTP/x"}, False, True),
    ({}, True, True),
])
def test_needs_project_name(md, subdomain, expected):
    assert needs_project_name(md, naming(project_subdomain=subdomain)) is expected


def test_describe_everything_at_boot():
    md = {"ipa_enroll": "True", "ipa_hostclass": "web", "ipa_host_location": "rack 7",
          "compact_service_HTTP": '["ctl"]', "managed_service_vip": f"HTTP/vip.{DOMAIN}",
          "managed_service_own": f"ldap/web.{DOMAIN}"}
    e = describe(IID, PROJECT, "Web", md, {"os_distro": "fedora", "os_version": "40"},
                 naming=naming(), project_name="Dev Team", allowed_classes=["web"],
                 allowed_services=["HTTP/vip.*"], realm="EXAMPLE.TEST")
    assert e.fqdn == FQDN
    assert e.owner == Owner(IID, PROJECT)
    assert dict(e.host_attrs) == {"userclass": "web", "nshostlocation": "rack 7",
                                  "nsosversion": "fedora 40"}
    assert e.services == (Principal("HTTP", f"web.ctl.{DOMAIN}"),  # keys in sorted order
                          Principal("ldap", FQDN),
                          Principal("HTTP", f"vip.{DOMAIN}"))
    assert e.shared_hosts == frozenset({f"vip.{DOMAIN}"})


def test_describe_without_optional_attributes():
    e = describe(IID, PROJECT, "web", {"ipa_enroll": "True"}, {}, naming=naming(),
                 project_name=None, allowed_classes=[], allowed_services=[], realm=None)
    assert (e.fqdn, dict(e.host_attrs), e.services, e.shared_hosts) == (
        FQDN, {}, (), frozenset())


def test_describe_uses_the_project_name_for_classes_and_names():
    n = naming(project_subdomain=True)
    e = describe(IID, PROJECT, "web", {"compact_service_HTTP": '["ctl"]'}, {}, naming=n,
                 project_name="Dev Team", allowed_classes=[], allowed_services=[], realm=None)
    assert e.fqdn == f"web.dev-team.{DOMAIN}"
    assert e.services == (Principal("HTTP", f"web.ctl.dev-team.{DOMAIN}"),)
    assert e.shared_hosts == frozenset()
    with pytest.raises(ProjectForbidden) as info:
        describe(IID, PROJECT, "web", {"ipa_hostclass": "db"}, {}, naming=naming(),
                 project_name=None, allowed_classes=[], allowed_services=[], realm=None)
    assert message(info) == f"host class 'db' is not allowed for project '{PROJECT}'"
    with pytest.raises(ProjectForbidden) as info:
        describe(IID, PROJECT, "web", {"ipa_hostclass": "db"}, {}, naming=naming(),
                 project_name="Dev Team", allowed_classes=[], allowed_services=[], realm=None)
    assert message(info) == "host class 'db' is not allowed for project 'Dev Team'"


def test_describe_services_only_on_update():
    # The listener: host class, location and image are set once, at boot, and not re-checked.
    md = {"ipa_hostclass": "forbidden", "ipa_host_location": "bad\nvalue",
          "managed_service_a": f"HTTP/web.{DOMAIN}"}
    e = describe(IID, PROJECT, FQDN, md, {"os_distro": "fedora"}, naming=naming(),
                 project_name=None, allowed_classes=[], allowed_services=[], realm=None,
                 services_only=True)
    assert dict(e.host_attrs) == {}
    assert e.services == (Principal("HTTP", FQDN),)


def test_describe_checks_the_realm():
    with pytest.raises(InvalidName) as info:
        describe(IID, PROJECT, "web", {"managed_service_a": f"HTTP/web.{DOMAIN}@OTHER"}, {},
                 naming=naming(), project_name=None, allowed_classes=[], allowed_services=[],
                 realm="EXAMPLE.TEST")
    assert message(info) == (f"service principal 'HTTP/web.{DOMAIN}@OTHER' is not usable: "
                             f"its realm is not EXAMPLE.TEST")


# -- the image's properties, where the instance sets none ---------------------------------------

@pytest.mark.parametrize("md,image,expected", [
    ({}, {"ipa_hostclass": "web"}, "web"),
    ({"ipa_hostclass": ""}, {"ipa_hostclass": "web"}, "web"),
    ({"ipa_hostclass": "db"}, {"ipa_hostclass": "web"}, "db"),  # the instance wins
    ({}, {"ipa_hostclass": ""}, None),
    ({}, {}, None),
])
def test_hostclass_from_the_image(md, image, expected):
    assert hostclass(md, ["web", "db"], "Dev Team", image) == expected


def test_image_values_are_checked_like_the_instances():
    with pytest.raises(ProjectForbidden) as info:
        hostclass({}, ["db"], "Dev Team", {"ipa_hostclass": "web"})
    assert message(info) == "host class 'web' is not allowed for project 'Dev Team'"
    assert location({}, {"ipa_host_location": "rack 9"}) == "rack 9"
    assert location({}, {"ipa_host_location": ""}) is None
    with pytest.raises(InvalidName) as info:
        location({}, {"ipa_host_location": "rack\n9"})
    assert "ipa_host_location" in message(info)


@pytest.mark.parametrize("value", [7, ["web"], True])
def test_an_image_property_that_is_not_text_is_refused(value):
    with pytest.raises(InvalidName) as info:
        hostclass({}, ["*"], "Dev Team", {"ipa_hostclass": value})
    assert message(info) == (f"image property ipa_hostclass {value!r} is not usable: "
                             f"it is not text")


def test_describe_tags_with_the_deployment():
    e = describe(IID, PROJECT, "web", {}, {}, naming=naming(), project_name=None,
                 allowed_classes=[], allowed_services=[], realm=None, deployment="eu-1")
    assert e.owner == Owner(IID, PROJECT, deployment="eu-1")
    e = describe(IID, PROJECT, "web", {}, {}, naming=naming(), project_name=None,
                 allowed_classes=[], allowed_services=[], realm=None)
    assert e.owner.deployment == "default"
