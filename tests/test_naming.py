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
