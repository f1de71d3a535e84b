"""The HTTP side of the emulator: endpoints, headers, envelope, versions, sessions."""

from __future__ import annotations

import json

import pytest
import requests

from tests.fakeipa.conftest import Rpc, login, otp_host, referer
from tests.support import ADMIN_PASSWORD, REALM

# --- endpoints and headers ----------------------------------------------------


def test_unknown_path_is_404(fakeipa):
    assert requests.get(fakeipa.url + "/ipa/nothing", timeout=5).status_code == 404


@pytest.mark.parametrize("value", [
    None,                                   # missing
    "http://127.0.0.1/ipa",                 # not https
    "https://elsewhere.test/ipa",           # another host
    "https://127.0.0.1/other",              # outside /ipa
    "https://127.0.0.1:443/ipa",            # a port, even the default one
])
def test_session_endpoint_refuses_bad_referer_with_denied(fakeipa, value):
    """rpcserver.py HTTP_Status.check_referer (4.9.14-4.13.1, the emulator's 4.13.1):
    HTTP 400 "denied" (doc/freeipa-behaviour.md section 1b)."""
    session = login(fakeipa)
    headers = {"Content-Type": "application/json"}
    if value is not None:
        headers["Referer"] = value
    response = session.post(fakeipa.url + "/ipa/session/json", headers=headers, timeout=5,
                            data=json.dumps({"method": "ping", "params": [[], {}]}))
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/html")
    assert "denied" in response.text


@pytest.mark.parametrize("value", [
    "https://127.0.0.1:1/ipa/xml",          # any port
    "https://127.0.0.1:443/ipa",            # the default port too
])
def test_referer_with_a_port_is_refused_with_911(fakeipa, value):
    """rpcserver.py wsgi_execute: ``startswith('https://%s/ipa' % api.env.host)``, a plain
    prefix with no port (doc/freeipa-behaviour.md section 1a). The old emulator ignored
    the port."""
    answer = Rpc(fakeipa).post({"method": "ping", "params": [[], {}]}, Referer=value).json()
    assert answer["error"] == {"code": 911, "name": "RefererError",
                               "message": f"Missing or invalid HTTP Referer, {value}",
                               "data": {"referer": value}}


def test_referer_must_be_the_servers_own_fqdn_not_the_host_header(fakeipa_factory):
    """api.env.host is the server's own lower-case FQDN (install.py lowercases it), not
    the request's Host header and not compared case-blind (doc/freeipa-behaviour.md
    section 1a). The old emulator compared with the Host header, ignoring case."""
    server = fakeipa_factory(hostname="IPA.Novajoin.Test")
    ipa = Rpc(server)
    ping = {"method": "ping", "params": [[], {}]}
    assert ipa.post(ping, Referer="https://ipa.novajoin.test/ipa/xml").json()["error"] is None
    for value in ("https://IPA.novajoin.test/ipa", "https://127.0.0.1/ipa",
                  "https://ipa.novajoin.test:443/ipa"):
        assert ipa.post(ping, Referer=value).json()["error"]["code"] == 911, value
    # The Host header names the server as the client reached it; it does not matter.
    assert ipa.post(ping, Referer="https://ipa.novajoin.test/ipa",
                    Host="elsewhere.test").json()["error"] is None


def test_plain_json_endpoint_answers_referer_error_911(fakeipa):
    ipa = Rpc(fakeipa)
    response = ipa.http.post(ipa.url, data=json.dumps({"method": "ping", "params": [[], {}]}),
                             headers={"Content-Type": "application/json"}, timeout=5)
    assert response.status_code == 200
    assert response.json()["error"] == {
        "code": 911, "name": "RefererError",
        "message": "Missing or invalid HTTP Referer, missing",
        "data": {"referer": "missing"}}


@pytest.mark.parametrize("path,name", [("/ipa/json", "json"),
                                       ("/ipa/session/json", "session/json")])
def test_non_json_content_type_is_an_unknown_command(fakeipa, path, name):
    session = login(fakeipa)
    rpc = Rpc(fakeipa, path=path, session=session)
    response = rpc.post(json.dumps({"method": "ping", "params": [[], {}]}),
                        **{"Content-Type": "text/plain"})
    assert response.json()["error"] == {"code": 905, "name": "CommandError",
                                        "message": f"unknown command '{name}'",
                                        "data": {"name": name}}


# --- the envelope ---------------------------------------------------------------


@pytest.mark.parametrize("body,text", [
    (b"{not json", None),
    (b"[1, 2]", "Request must be a dict"),
    (b'{"params": [[], {}]}', 'Request is missing "method"'),
    (b'{"method": "ping"}', 'Request is missing "params"'),
    (b'{"method": "ping", "params": {}}', "params must be a list"),
    (b'{"method": "ping", "params": [[]]}', "params must contain [args, options]"),
    (b'{"method": "ping", "params": [[], {}, 1]}', "params must contain [args, options]"),
    (b'{"method": "ping", "params": [{}, {}]}', "params[0] (aka args) must be a list"),
    (b'{"method": "ping", "params": [[], []]}', "params[1] (aka options) must be a dict"),
])
def test_bad_envelopes_are_json_errors(ipa, body, text):
    answer = ipa.post(body).json()
    assert answer["result"] is None and answer["id"] is None
    error = answer["error"]
    assert (error["code"], error["name"]) == (909, "JSONError")
    if text is not None:
        assert error["message"] == f"Invalid JSON-RPC request: {text}"
        assert error["data"] == {"error": text}


def test_answer_echoes_id_and_names_principal_and_product_version(fakeipa):
    session = login(fakeipa)
    answer = Rpc(fakeipa, path="/ipa/session/json", session=session).envelope("ping")
    assert answer["id"] == 7
    assert answer["principal"] == f"admin@{REALM}"
    assert answer["version"] == "4.13.1"
    assert set(answer) == {"result", "error", "id", "principal", "version"}


def test_missing_id_is_answered_with_null(ipa):
    answer = ipa.post({"method": "ping", "params": [[], {"version": "2.229"}]}).json()
    assert answer["id"] is None and answer["error"] is None


def test_versioned_method_names(ipa):
    assert ipa("ping/1")["summary"] == ipa("ping")["summary"]
    error = ipa.error("ping/2")
    assert (error["code"], error["data"]) == (905, {"name": "ping/2"})


def test_unknown_command_and_schema_are_command_errors(ipa):
    for name in ("no_such_command", "schema"):
        error = ipa.error(name)
        assert error == {"code": 905, "name": "CommandError",
                         "message": f"unknown command '{name}'", "data": {"name": name}}


def test_argument_and_option_checks(ipa):
    assert ipa.error("host_show", "a.test", bogus=1) == {
        "code": 3005, "name": "OptionError", "message": "Unknown option: bogus",
        "data": {"option": "bogus"}}
    assert ipa.error("host_show")["message"] == "'fqdn' is required"
    error = ipa.error("host_show", "a.test", "b.test")
    assert (error["code"], error["message"]) == (
        3004, "command 'host_show' takes at most 1 argument(s)")
    assert ipa.error("ping", "x")["code"] == 3003
    assert ipa.error("host_show", "a.test", fqdn="a.test")["code"] == 3006
    error = ipa.error("host_find", sizelimit="many")
    assert (error["code"], error["data"]) == (
        3008, {"name": "sizelimit", "error": "must be an integer"})


# --- API versions -----------------------------------------------------------------


@pytest.mark.parametrize("version", ["3.0", "1.99", "two", "2"])
def test_incompatible_or_unparseable_version(ipa, version):
    error = ipa.error("ping", version=version)
    assert error == {
        "code": 901, "name": "VersionError",
        "message": f"{version} client incompatible with 2.257 server at "
                   f"'https://127.0.0.1/ipa/xml'",
        "data": {"cver": version, "sver": "2.257", "server": "https://127.0.0.1/ipa/xml"}}


def test_newer_minor_version_is_accepted(ipa):
    assert ipa("ping", version="2.999")["summary"].endswith("API version 2.257")


def test_missing_version_adds_message_and_sends_plain_dns_names(fakeipa):
    ipa = Rpc(fakeipa, version=None)
    result = ipa("dnszone_show", "novajoin.test")
    assert result["value"] == "novajoin.test."
    assert result["result"]["idnsname"] == ["novajoin.test."]
    assert result["messages"] == [{
        "type": "warning", "name": "VersionMissing", "code": 13001,
        "message": "API Version number was not sent, forward compatibility not guaranteed. "
                   "Assuming server's API version, 2.257",
        "data": {"server_version": "2.257"}}]


def test_markers_follow_the_client_version(fakeipa):
    fqdn = "vm1.novajoin.test"
    otp_host(Rpc(fakeipa), fqdn)
    assert requests.post(fakeipa.url + "/ipa/fake/enroll", json={"fqdn": fqdn, "otp": "otp-1"},
                         timeout=5).status_code == 200

    def shown(version):
        result = Rpc(fakeipa, version=version)("host_show", fqdn, all=True)["result"]
        zone = Rpc(fakeipa, version=version)("dnszone_show", "novajoin.test")
        return result["krblastpwdchange"][0], zone["value"]

    changed, zone = shown("2.88")
    assert set(changed) == {"__datetime__"} and zone == {"__dns_name__": "novajoin.test."}
    changed, zone = shown("2.84")
    assert set(changed) == {"__datetime__"} and zone == "novajoin.test."
    changed, zone = shown("2.83")
    assert isinstance(changed, str) and changed.endswith("Z") and zone == "novajoin.test."


def test_dns_name_markers_are_accepted_in_requests(ipa):
    result = ipa("dnsrecord_add", {"__dns_name__": "novajoin.test."}, {"__dns_name__": "www"},
                 arecord="192.0.2.1")
    assert result["value"] == {"__dns_name__": "www"}


def test_old_clients_get_string_primary_keys_and_no_messages(fakeipa):
    new, old = Rpc(fakeipa), Rpc(fakeipa, version="2.51")
    for name in ("a", "b", "c"):
        otp_host(new, f"{name}.novajoin.test")
    truncated = new("host_find", sizelimit=2)
    assert truncated["truncated"] is True and truncated["count"] == 2
    assert [m["code"] for m in truncated["messages"]] == [13017]
    old_truncated = old("host_find", sizelimit=2)
    assert old_truncated["truncated"] is True and "messages" not in old_truncated
    assert old("host_del", "a.novajoin.test", "b.novajoin.test")["value"] == \
        "a.novajoin.test,b.novajoin.test"
    assert new("host_del", "c.novajoin.test")["value"] == ["c.novajoin.test"]


# --- sessions ---------------------------------------------------------------------


def test_password_login_sets_the_ipa_session_cookie(fakeipa):
    response = requests.post(fakeipa.url + "/ipa/session/login_password",
                             data={"user": "admin", "password": ADMIN_PASSWORD},
                             headers={"Referer": referer(fakeipa.url)}, timeout=5)
    assert response.status_code == 200
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("ipa_session=MagBearerToken=")
    assert cookie.endswith("; path=/ipa; httponly; secure; SameSite=strict")


@pytest.mark.parametrize("user,password", [("admin", "wrong"), ("someone", ADMIN_PASSWORD)])
def test_password_login_refusal(fakeipa, user, password):
    response = requests.post(fakeipa.url + "/ipa/session/login_password",
                             data={"user": user, "password": password},
                             headers={"Referer": referer(fakeipa.url)}, timeout=5)
    assert response.status_code == 401
    assert response.headers["X-IPA-Rejection-Reason"] == "invalid-password"
    assert "Set-Cookie" not in response.headers


def test_password_login_needs_a_form_post(fakeipa):
    url = fakeipa.url + "/ipa/session/login_password"
    headers = {"Referer": referer(fakeipa.url)}
    as_json = requests.post(url, json={"user": "admin", "password": ADMIN_PASSWORD},
                            headers=headers, timeout=5)
    assert as_json.status_code == 400
    as_get = requests.get(url, params={"user": "admin"}, timeout=5, headers={
        **headers, "Content-Type": "application/x-www-form-urlencoded"})
    assert as_get.status_code == 400
    no_password = requests.post(url, data={"user": "admin"}, headers=headers, timeout=5)
    assert no_password.status_code == 400
    no_referer = requests.post(url, data={"user": "admin", "password": ADMIN_PASSWORD},
                               timeout=5)
    assert (no_referer.status_code, "denied" in no_referer.text) == (400, True)


def test_session_endpoint_requires_a_cookie(fakeipa):
    response = Rpc(fakeipa, path="/ipa/session/json").post({"method": "ping", "params": [[], {}]})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Negotiate"
    assert "Set-Cookie" not in response.headers


def test_expired_sessions_are_refused_and_the_cookie_cleared(fakeipa):
    rpc = Rpc(fakeipa, path="/ipa/session/json", session=login(fakeipa))
    assert rpc("ping")["summary"]
    fakeipa.expire_sessions()
    response = rpc.post({"method": "ping", "params": [[], {}]})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Negotiate"
    assert response.headers["Set-Cookie"].startswith("ipa_session=MagBearerToken=;")
    # A new login works again.
    assert Rpc(fakeipa, path="/ipa/session/json", session=login(fakeipa))("ping")


def test_sessions_end_after_their_lifetime(fakeipa_factory):
    server = fakeipa_factory(session_lifetime=0)
    rpc = Rpc(server, path="/ipa/session/json", session=login(server))
    assert rpc.post({"method": "ping", "params": [[], {}]}).status_code == 401


def test_tls_server_requires_authentication_on_plain_json(fakeipa_factory, tls_files):
    server = fakeipa_factory(tls_cert=tls_files.cert, tls_key=tls_files.key)
    rpc = Rpc(server, verify=tls_files.ca_cert)
    assert rpc.post({"method": "ping", "params": [[], {}]}).status_code == 401
    logged_in = Rpc(server, session=login(server, verify=tls_files.ca_cert),
                    verify=tls_files.ca_cert)
    assert logged_in.envelope("ping")["principal"] == f"admin@{REALM}"
