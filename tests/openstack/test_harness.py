"""The harness itself: real Keystone, Glance and nova's vendordata client do their jobs."""

from __future__ import annotations

import json
import ssl
import threading
import wsgiref.simple_server
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

from tests.openstack.services import NovaVendordataError

# openstacksdk 4.22 warns about its own internals on every proxy call (subclasses of
# PendingDeprecationWarning and DeprecationWarning); pytest's "error" would fail on them.
pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning:openstack",
                                        "ignore::DeprecationWarning:openstack")

# --------------------------------------------------------------------------- keystone


def test_keystone_tokens_carry_each_users_roles(keystone):
    nova = keystone.validate_token(keystone.issue_token(keystone.nova))
    assert nova["user"]["name"] == "nova"
    assert nova["project"]["name"] == "service"
    assert {r["name"] for r in nova["roles"]} == {"service"}

    member = keystone.validate_token(keystone.issue_token(keystone.member))
    assert member["user"]["name"] == "member"
    assert member["project"]["name"] == "demo"
    roles = {r["name"] for r in member["roles"]}
    assert "member" in roles and "reader" in roles  # reader is implied by member
    assert not roles & {"service", "admin"}


def test_keystone_rejects_a_forged_token(keystone):
    from keystoneauth1 import exceptions

    token = keystone.issue_token(keystone.member)
    with pytest.raises(exceptions.NotFound):
        keystone.validate_token(token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"))


def test_nova_service_user_may_validate_other_tokens(keystone):
    """What keystonemiddleware in a service does with the ``service`` role alone."""
    member_token = keystone.issue_token(keystone.member)
    resp = keystone.nova.session().get(f"{keystone.auth_url}/auth/tokens",
                                       headers={"X-Subject-Token": member_token})
    assert resp.json()["token"]["user"]["name"] == "member"


def test_catalog_lists_identity_and_image_at_their_addresses(keystone, glance):
    session = keystone.nova.session()
    for interface in ("public", "internal", "admin"):
        assert session.get_endpoint(service_type="identity", interface=interface,
                                    region_name="RegionOne") == keystone.auth_url
        assert session.get_endpoint(service_type="image", interface=interface,
                                    region_name="RegionOne").rstrip("/") == glance.url


# --------------------------------------------------------------------------- glance


PROPERTIES = {"ipa_enroll": "True", "os_distro": "fedora", "os_version": "40"}


def test_glance_serves_image_properties_through_the_catalog(keystone, glance, glance_image):
    from openstack import exceptions

    image_id = glance_image(PROPERTIES)

    # The image's owner reads it through openstacksdk, Glance found via the catalog.
    image = keystone.member.connect().image.get_image(image_id)
    assert (image.os_distro, image.os_version) == ("fedora", "40")
    assert image.properties["ipa_enroll"] == "True"

    # Glance's default policy lets nobody with only the ``service`` role read another
    # project's image: the nova service user gets a 404 for it.
    with pytest.raises(exceptions.NotFoundException):
        keystone.nova.connect().image.get_image(image_id)

    # With ``admin`` on its project (as most deployments give nova), it reads it.
    with keystone.role_granted("nova", "service", "admin"):
        image = keystone.nova.connect().image.get_image(image_id)
    assert image.properties["ipa_enroll"] == "True"
    assert (image.os_distro, image.os_version, image.owner) == (
        "fedora", "40", keystone.project_ids["demo"])


def test_glance_stores_uploaded_data_and_deletes_images(keystone, glance):
    from openstack import exceptions

    image_id = glance.create_image({"ipa_enroll": "False"}, data=b"not really a disk")
    conn = keystone.member.connect()
    image = conn.image.get_image(image_id)
    assert (image.status, image.size) == ("active", len(b"not really a disk"))
    assert conn.image.download_image(image).content == b"not really a disk"

    glance.delete_image(image_id)
    with pytest.raises(exceptions.NotFoundException):
        conn.image.get_image(image_id)


# --------------------------------------------------------------------------- nova


@dataclass
class EchoServer:
    """A WSGI server that records each request and answers with its JSON description."""

    url: str
    requests: list[dict] = field(default_factory=list)
    status: str = "200 OK"


@contextmanager
def echo_server(tls=None) -> Iterator[EchoServer]:
    echo = EchoServer("")

    def app(environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        seen = {
            "method": environ["REQUEST_METHOD"], "path": environ["PATH_INFO"],
            "headers": {k[5:].replace("_", "-").title(): v
                        for k, v in environ.items() if k.startswith("HTTP_")},
            "content_type": environ.get("CONTENT_TYPE"),
            "body": json.loads(environ["wsgi.input"].read(length) or b"null"),
        }
        echo.requests.append(seen)
        out = json.dumps({"echo": seen["body"], "path": seen["path"]}).encode()
        start_response(echo.status, [("Content-Type", "application/json"),
                                     ("Content-Length", str(len(out)))])
        return [out]

    class QuietHandler(wsgiref.simple_server.WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = wsgiref.simple_server.make_server("127.0.0.1", 0, app,
                                               handler_class=QuietHandler)
    scheme = "http"
    if tls is not None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tls.cert, tls.key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    echo.url = f"{scheme}://127.0.0.1:{server.server_port}/v1/"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield echo
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


INSTANCE = {
    "uuid": "0e2f6e5a-9d0c-4a55-8f0e-0d9a4b6f1c21",
    "image_ref": "2b7c1f1e-4a6e-4f5e-9b1b-7f3f8f1f0a11",
    "hostname": "vm-one",
    "user_data": "I2Nsb3VkLWNvbmZpZwo=",  # nova keeps user data base64-encoded
    "metadata": {"ipa_enroll": "True", "ipa_hostclass": "web"},
    "system_metadata": {"boot_roles": "member,reader"},
}


def test_nova_sends_the_documented_request_with_a_valid_service_token(
        keystone, run_nova_vendordata):
    fields = dict(INSTANCE, project_id=keystone.project_ids["demo"])
    with echo_server() as echo:
        result = run_nova_vendordata(echo.url, keystone.nova, fields)

    assert len(echo.requests) == 1
    seen = echo.requests[0]
    assert result == {"join": {"echo": seen["body"], "path": "/v1/"}}
    assert (seen["method"], seen["content_type"]) == ("POST", "application/json")
    assert seen["headers"]["Accept"] == "application/json"
    assert seen["headers"]["User-Agent"] == "openstack-nova-vendordata"
    assert seen["body"] == {
        "project-id": keystone.project_ids["demo"],
        "instance-id": INSTANCE["uuid"],
        "image-id": INSTANCE["image_ref"],
        "user-data": INSTANCE["user_data"],
        "hostname": "vm-one",
        "metadata": {"ipa_enroll": "True", "ipa_hostclass": "web"},
        "boot-roles": "member,reader",
    }
    token = keystone.validate_token(seen["headers"]["X-Auth-Token"])
    assert (token["user"]["name"], token["project"]["name"]) == ("nova", "service")
    assert {r["name"] for r in token["roles"]} == {"service"}


def test_nova_without_auth_sends_no_token(run_nova_vendordata):
    with echo_server() as echo:
        result = run_nova_vendordata(echo.url, None, {"hostname": "bare"})
    assert result["join"]["echo"]["hostname"] == "bare"
    assert "X-Auth-Token" not in echo.requests[0]["headers"]
    assert "Passing insecure dynamic vendordata requests" in run_nova_vendordata.last_log


def test_nova_reports_target_errors_as_configured(keystone, run_nova_vendordata):
    with echo_server() as echo:
        echo.status = "500 Internal Server Error"
        with pytest.raises(NovaVendordataError) as err:
            run_nova_vendordata(echo.url, keystone.nova, {})
        assert err.value.error_type == "keystoneauth1.exceptions.http.InternalServerError"

        assert run_nova_vendordata(echo.url, keystone.nova, {}, failure_fatal=False) == {
            "join": {}}
        assert "Error from dynamic vendordata service join" in run_nova_vendordata.last_log


def test_nova_verifies_https_targets_against_its_ca_file(keystone, run_nova_vendordata,
                                                          tls_files):
    with echo_server(tls=tls_files) as echo:
        result = run_nova_vendordata(echo.url, keystone.nova, {"hostname": "tls"},
                                     ssl_certfile=tls_files.ca_cert)
        assert result["join"]["echo"]["hostname"] == "tls"
        with pytest.raises(NovaVendordataError) as err:
            run_nova_vendordata(echo.url, keystone.nova, {},
                                ssl_certfile=tls_files.other_ca_cert)
    assert err.value.error_type == "keystoneauth1.exceptions.connection.SSLError"
    assert "CERTIFICATE_VERIFY_FAILED" in str(err.value)
