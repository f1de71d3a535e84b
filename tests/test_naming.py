"""Naming rules, as tables: what nova may send and what becomes of it."""

import pytest

from novajoin.domain.naming import Naming, Principal, normalize_label, parse_principal
from novajoin.exception import InvalidName

N = Naming("example.test")
NP = Naming("Example.Test.", project_subdomain=True)
NP_STRICT = Naming("example.test", project_subdomain=True, normalize_project=False)


@pytest.mark.parametrize("naming,hostname,project,fqdn", [
    (N, "web-01", None, "web-01.example.test"),
    (N, "Web-01", None, "web-01.example.test"),
    (N, "web-01.example.test", None, "web-01.example.test"),
    (N, "web-01.example.test.", None, "web-01.example.test"),
    (N, "a.b.example.test", None, "a.b.example.test"),
    (N, "Server-" + "0" * 8, None, "server-00000000.example.test"),
    (NP, "web", "Dev Team", "web.dev-team.example.test"),
    (NP, "web", "dev_team/α", "web.dev-team.example.test"),
    (NP, "web.dev-team.example.test", "Dev Team", "web.dev-team.example.test"),
    (NP_STRICT, "web", "dev", "web.dev.example.test"),
])
def test_host_fqdn(naming, hostname, project, fqdn):
    assert naming.host_fqdn(hostname, project) == fqdn


@pytest.mark.parametrize("naming,hostname,project,reason", [
    (N, "", None, "empty"),
    (N, "café-server", None, "ASCII"),
    (N, "web_01", None, "letters, digits and '-'"),
    (N, "-web", None, "begin or end"),
    (N, "x" * 64, None, "longer than 63"),
    (N, "web.other.test", None, "outside example.test"),
    (N, "web.notexample.test", None, "outside example.test"),
    (N, "a..example.test", None, "empty"),
    (N, ("a" * 60 + ".") * 4 + "example.test", None, "longer than 253"),
    (NP, "web", None, "has no name"),
    (NP, "web", "!!!", "empty"),
    (NP, "web.example.test", "dev", "outside dev.example.test"),
    (NP_STRICT, "web", "Dev Team", "letters, digits"),
])
def test_host_fqdn_refused(naming, hostname, project, reason):
    with pytest.raises(InvalidName) as info:
        naming.host_fqdn(hostname, project)
    assert reason in str(info.value)


def test_normalize_label():
    assert normalize_label("  Dev__Team!! ") == "dev-team"
    assert normalize_label("a" * 70) == "a" * 63


@pytest.mark.parametrize("text,expected", [
    ("HTTP/web.example.test", Principal("HTTP", "web.example.test")),
    ("HTTP/Web.Example.Test@EXAMPLE.TEST", Principal("HTTP", "web.example.test")),
    ("postgres/db.example.test", Principal("postgres", "db.example.test")),
])
def test_parse_principal(text, expected):
    assert parse_principal(text, realm="EXAMPLE.TEST") == expected


@pytest.mark.parametrize("text,reason", [
    ("HTTP", "not service/host"),
    ("HTTP/", "not service/host"),
    ("HTTP/web.example.test@OTHER.TEST", "realm"),
    ("host/web.example.test", "host/ principals"),
    ("HT TP/web.example.test", "only letters, digits, '.'"),
    ("HTTP/web_1.example.test", "letters, digits"),
    (None, "not a string"),
])
def test_parse_principal_refused(text, reason):
    with pytest.raises(InvalidName) as info:
        parse_principal(text, realm="EXAMPLE.TEST")
    assert reason in str(info.value)


def test_compact_host_and_ownership():
    fqdn = N.host_fqdn("web")
    assert N.compact_host(fqdn, "Storage") == "web.storage.example.test"
    with pytest.raises(InvalidName):
        N.compact_host(fqdn, "a.b")
    assert N.is_own_host("web.example.test", fqdn)
    assert N.is_own_host("web.storage.example.test", fqdn)
    assert not N.is_own_host("web.a.b.example.test", fqdn)
    assert not N.is_own_host("webx.storage.example.test", fqdn)
    assert not N.is_own_host("other.example.test", fqdn)
    assert not N.is_own_host("web..example.test", fqdn)


def test_project_subdomain_compact_host():
    fqdn = NP.host_fqdn("web", "Dev")
    assert NP.compact_host(fqdn, "ctl", "Dev") == "web.ctl.dev.example.test"
    assert NP.is_own_host("web.ctl.dev.example.test", fqdn, "Dev")
    assert not NP.is_own_host("web.ctl.example.test", fqdn, "Dev")


# -- every refusal with its exact message (what the API and the log tell) -------------------
# Built inside the tests: a Naming made at import time would not see a changed rule.

from novajoin.domain import naming as nm  # noqa: E402


@pytest.mark.parametrize("call,expected", [
    (lambda: nm.check_label(""), "DNS label '' is not usable: it is empty"),
    (lambda: nm.check_label(None), "DNS label None is not usable: it is empty"),
    (lambda: nm.check_label("x" * 64),
     f"DNS label {'x' * 64!r} is not usable: it is longer than 63 characters"),
    (lambda: nm.check_label("café"),
     "DNS label 'café' is not usable: only ASCII letters, digits and '-' may be used"),
    (lambda: nm.check_label("-web"), "DNS label '-web' is not usable: it may not begin or "
                                     "end with '-'"),
    (lambda: nm.check_label("web-"), "DNS label 'web-' is not usable: it may not begin or "
                                     "end with '-'"),
    (lambda: nm.check_label("web_1", what="network name"),
     "network name 'web_1' is not usable: only letters, digits and '-' may be used"),
    (lambda: nm.check_fqdn(""), "host name '' is not usable: it is empty"),
    (lambda: nm.check_fqdn("..."), "host name '...' is not usable: it is empty"),
    (lambda: nm.check_fqdn(None), "host name None is not usable: it is empty"),
    (lambda: nm.check_fqdn(7), "host name 7 is not usable: it is empty"),
    (lambda: nm.check_fqdn("a..b"), "label of host name 'a..b': '' is not usable: it is empty"),
    (lambda: nm.check_fqdn(("a" * 63 + ".") * 4),
     f"host name {('a' * 63 + '.') * 4!r} is not usable: it is longer than 253 characters"),
    (lambda: nm.check_service("HT TP"), "service name 'HT TP' is not usable: it may hold only "
                                        "letters, digits, '.', '_' and '-'"),
    (lambda: nm.check_service(None), "service name None is not usable: it may hold only "
                                     "letters, digits, '.', '_' and '-'"),
    *[(lambda bad=bad: nm.check_service(bad),
       f"service name {bad!r} is not usable: it may hold only letters, digits, '.', '_' "
       f"and '-'")
      for bad in ("HTTP/victim.example.com", "HTTP@REALM", "", ".svc", "-svc", "_svc",
                  "s" * 64, "svc\n", "sv c", "své")],
    (lambda: nm.check_service("Host"), "service name 'Host' is not usable: host/ principals "
                                       "belong to IPA's own host entries"),
    (lambda: nm.parse_principal(None), "service principal None is not usable: it is not a "
                                       "string"),
    (lambda: nm.parse_principal("HTTP/"), "service principal 'HTTP/' is not usable: it is not "
                                          "service/host"),
    (lambda: nm.parse_principal("HTTP/x.test@OTHER", "EXAMPLE.TEST"),
     "service principal 'HTTP/x.test@OTHER' is not usable: its realm is not EXAMPLE.TEST"),
    (lambda: nm.parse_principal("HTTP/web/x.test"),
     "label of host of service principal 'web/x.test': 'web/x' is not usable: only letters, "
     "digits and '-' may be used"),
    (lambda: nm.Naming(""), "domain '' is not usable: it is empty"),
    (lambda: nm.Naming("my_domain.test"), "label of domain 'my_domain.test': 'my_domain' is "
                                          "not usable: only letters, digits and '-' may be used"),
    (lambda: nm.Naming("example.test", project_subdomain=True).zone(None),
     "project name None is not usable: project_subdomain is on and the project has no name"),
    (lambda: nm.Naming("example.test", project_subdomain=True).zone(""),
     "project name '' is not usable: project_subdomain is on and the project has no name"),
    (lambda: nm.parse_principal(7), "service principal 7 is not usable: it is not a string"),
    (lambda: nm.Naming("example.test").host_fqdn(".web"),
     "label of host name '.web': '' is not usable: it is empty"),
    (lambda: nm.Naming("example.test", project_subdomain=True).zone("!!!"),
     "project name '' is not usable: it is empty"),
    (lambda: nm.Naming("example.test", True, False).zone("Dev Team"),
     "project name 'Dev Team' is not usable: only letters, digits and '-' may be used"),
    (lambda: nm.Naming("example.test").host_fqdn(None), "host name None is not usable: it is "
                                                         "empty"),
    (lambda: nm.Naming("example.test").host_fqdn(".."), "host name '..' is not usable: it is "
                                                         "empty"),
    (lambda: nm.Naming("example.test").host_fqdn("web_1"),
     "host name 'web_1' is not usable: only letters, digits and '-' may be used"),
    (lambda: nm.Naming("example.test").host_fqdn("web.other.test"),
     "host name 'web.other.test' is not usable: it is a fully qualified name outside "
     "example.test"),
    (lambda: nm.Naming("example.test").host_fqdn("ipa-ca"),
     "host name 'ipa-ca' is not usable: ipa-ca is IPA's own name for its CA"),
    (lambda: nm.Naming("example.test").host_fqdn("IPA-CA.Example.Test."),
     "host name 'IPA-CA.Example.Test.' is not usable: ipa-ca is IPA's own name for its CA"),
    (lambda: nm.Naming("example.test").compact_host("web.example.test", "a.b"),
     "network name 'a.b' is not usable: only letters, digits and '-' may be used"),
])
def test_refusal_messages(call, expected):
    with pytest.raises(InvalidName) as info:
        call()
    assert str(info.value) == expected


@pytest.mark.parametrize("call,expected", [
    (lambda: nm.check_label("X" * 63), "x" * 63),
    (lambda: nm.check_service("s" * 63), "s" * 63),
    (lambda: nm.check_service("Svc_1.a-b"), "Svc_1.a-b"),
    (lambda: nm.check_fqdn("Web.Example.Test."), "web.example.test"),
    (lambda: nm.check_fqdn("X.X"), "x.x"),
    (lambda: nm.check_fqdn(("a" * 62 + ".") * 4 + "b"), ("a" * 62 + ".") * 4 + "b"),  # 253
    (lambda: nm.Naming("Example.Test.").domain, "example.test"),
    (lambda: nm.Naming("example.test").host_fqdn("X"), "x.example.test"),
    (lambda: nm.Naming("example.test").host_fqdn("web."), "web.example.test"),
    (lambda: nm.Naming("example.test").host_fqdn("ipa-ca2"), "ipa-ca2.example.test"),
    (lambda: nm.Naming("example.test", True).host_fqdn("ipa-ca", "Dev"),
     "ipa-ca.dev.example.test"),  # only the realm domain's own ipa-ca is IPA's
    (lambda: nm.Naming("example.test").host_fqdn("WEB.Example.Test."), "web.example.test"),
    (lambda: nm.parse_principal("  HTTP/Web.Example.Test@ANY  "),
     Principal("HTTP", "web.example.test")),
    (lambda: nm.parse_principal("HTTP/web.example.test", "EXAMPLE.TEST"),
     Principal("HTTP", "web.example.test")),
    (lambda: nm.normalize_label("a" * 62 + "-b"), "a" * 62),  # cut, then no trailing '-'
    (lambda: nm.normalize_label("!" + "a" * 63), "a" * 63),  # stripped before the cut
    (lambda: nm.Naming("example.test", True).zone("Dev Team"), "dev-team.example.test"),
    (lambda: nm.Naming("example.test", True).short_name("web.dev.example.test", "Dev"), "web"),
])
def test_accepted_values(call, expected):
    assert call() == expected


def test_principal_text():
    p = Principal("HTTP", "web.example.test")
    assert str(p) == "HTTP/web.example.test"
    assert p.with_realm("EXAMPLE.TEST") == "HTTP/web.example.test@EXAMPLE.TEST"


@pytest.mark.parametrize("name,zones,expected", [
    ("web.example.test", ["example.test.", "test."], ("example.test.", "web")),
    ("web.example.test.", ["test.", "example.test."], ("example.test.", "web")),
    ("Web.Sub.Example.Test", ["Example.Test.", "sub.example.test"], ("sub.example.test.", "web")),
    ("a.b.example.test", ["example.test."], ("example.test.", "a.b")),
    ("Web.Example.X", ["example.x."], ("example.x.", "web")),  # case folded after the dot
    ("web.example.x", ["EXAMPLE.X."], ("example.x.", "web")),
    ("example.test", ["example.test."], None),  # the zone's own name is not in it
    ("web.notexample.test", ["example.test."], None),
    ("web.example.test", [], None),
])
def test_split_in_zone(name, zones, expected):
    assert nm.split_in_zone(name, zones) == expected


def test_reverse_in_zone():
    zones = ["example.test.", "2.0.192.in-addr.arpa.", "0.192.in-addr.arpa.",
             "8.b.d.0.1.0.0.2.ip6.arpa."]
    assert nm.reverse_in_zone("192.0.2.10", zones) == ("2.0.192.in-addr.arpa.", "10")
    assert nm.reverse_in_zone("192.0.3.7", zones) == ("0.192.in-addr.arpa.", "7.3")
    assert nm.reverse_in_zone("2001:db8::1", zones) == (
        "8.b.d.0.1.0.0.2.ip6.arpa.", "1." + "0." * 22 + "0")  # 24 nibbles
    assert nm.reverse_in_zone("198.51.100.1", zones) is None
