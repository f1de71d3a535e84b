"""Bodies built to exhaust or confuse the server: too large, nested too deeply, huge metadata
maps, bytes that are not UTF-8, names with control characters. Each is refused with a 4xx
(never a 5xx) before IPA is asked to write anything.
"""

from __future__ import annotations

import io
import json

import pytest
import webob

from tests.fuzz.ipa_watch import tagged_hosts
from tests.support import DOMAIN, nova_body

MAX_BODY = 114688  # [oslo_middleware] max_request_body_size, the default


def body_of_size(size: int) -> bytes:
    """A valid body of exactly ``size`` bytes (the padding is in user-data, which is ignored)."""
    body = nova_body(hostname="sized")
    body["user-data"] = ""
    base = len(json.dumps(body).encode())
    body["user-data"] = "x" * (size - base)
    raw = json.dumps(body).encode()
    assert len(raw) == size
    return raw


def refused(api, watch, raw: bytes, status: int, code: str | None = None, path="/v1/"):
    resp = api.post(raw, path=path)
    assert resp.status_int == status, resp.body[:300]
    if code is not None:
        assert resp.json["errors"][0]["code"] == code
    assert not watch.writes_since_last()
    return resp


def test_a_body_over_the_limit_is_413_and_the_limit_itself_is_not(api, watch):
    refused(api, watch, body_of_size(MAX_BODY + 1), 413)
    refused(api, watch, body_of_size(10 * MAX_BODY), 413)
    # At the limit the body is read and used (the metadata value is just long).
    assert api.post(body_of_size(MAX_BODY)).status_int == 200


def chunked(api, raw: bytes) -> webob.Response:
    """POST ``raw`` without a Content-Length, as a chunked request arrives at the app."""
    req = webob.Request.blank("/v1/", method="POST",
                              headers={"Content-Type": "application/json"})
    req.environ.update({"wsgi.input": io.BytesIO(raw), "HTTP_TRANSFER_ENCODING": "chunked",
                        "wsgi.input_terminated": True})
    req.environ.pop("CONTENT_LENGTH", None)
    return req.get_response(api.app)


def test_a_small_chunked_body_is_read(api):
    resp = chunked(api, json.dumps(nova_body(hostname="chunky")).encode())
    assert resp.status_int == 200 and resp.json["hostname"] == f"chunky.{DOMAIN}"


def test_a_chunked_body_over_the_limit_is_413(api, watch):
    resp = chunked(api, body_of_size(3 * MAX_BODY))
    assert resp.status_int == 413, resp.body[:300]
    assert not watch.writes_since_last()


@pytest.mark.parametrize("raw", [
    b"[" * 50_000 + b"]" * 50_000,
    b'{"a":' * 15_000 + b"1" + b"}" * 15_000,
    json.dumps(nova_body())[:-1].encode() + b', "future": ' + b"[" * 30_000 + b"]" * 30_000
    + b"}",
], ids=["list", "object", "extra-field"])
def test_deep_nesting_is_400(api, watch, raw):
    assert len(raw) <= MAX_BODY
    resp = refused(api, watch, raw, 400, "novajoin.request.invalid")
    assert "nested too deeply" in resp.json["errors"][0]["detail"]


def test_deep_nesting_inside_metadata_json_is_400(api, watch):
    deep = "[" * 20_000 + "]" * 20_000
    for md in ({"compact_service_HTTP": deep}, {"compact_services": '{"HTTP": ' + deep + "}"}):
        refused(api, watch, json.dumps(nova_body(metadata={"ipa_enroll": "True", **md})).encode(),
                400, "novajoin.name.invalid")


def test_huge_metadata_maps_are_400(api, watch):
    def with_metadata(md):
        return json.dumps(nova_body(hostname="huge", metadata={"ipa_enroll": "True", **md})
                          ).encode()

    refused(api, watch, with_metadata({f"k{i}": "" for i in range(1024)}), 400,
            "novajoin.request.invalid")
    refused(api, watch, with_metadata({"k" * 256: "v"}), 400, "novajoin.request.invalid")
    refused(api, watch, with_metadata({"k": "v" * 65536}), 400, "novajoin.request.invalid")
    # Just inside the limits: accepted.
    assert api.post(with_metadata({f"k{i}": "" for i in range(1023)})).status_int == 200


@pytest.mark.parametrize("raw,code", [
    (b"\xff\xfe\xfd", "novajoin.request.invalid"),
    (json.dumps(nova_body(hostname="latin")).encode().replace(b"latin", b"l\xe4tin"),
     "novajoin.request.invalid"),
    (json.dumps(nova_body(hostname="over")).encode().replace(b"over", b"\xc0\xafover"),
     "novajoin.request.invalid"),
    (json.dumps(nova_body(hostname="nul")).encode().replace(b'"nul"', b'"nul\x00"'),
     "novajoin.request.invalid"),
    # json.loads() decodes bytes with surrogatepass: the name holds a lone surrogate.
    (json.dumps(nova_body(hostname="sur")).encode().replace(b"sur", b"s\xed\xa0\x80r"),
     "novajoin.name.invalid"),
], ids=["garbage", "latin-1", "overlong", "raw-nul", "surrogate"])
def test_bytes_that_are_not_utf8_json_are_400(api, watch, raw, code):
    refused(api, watch, raw, 400, code)


@pytest.mark.parametrize("hostname", ["web\x00", "web\r", "web\t", "we b", "web\u2028",
                                      "\u212aeb\x00", "web\\n"])
def test_control_characters_in_names_are_400(api, watch, hostname):
    refused(api, watch, json.dumps(nova_body(hostname=hostname)).encode(), 400,
            "novajoin.name.invalid")


@pytest.mark.parametrize("hostname", ["newline\n", f"newline\n.{DOMAIN}"])
def test_a_newline_in_a_host_name_is_400(api, watch, hostname):
    body = nova_body(hostname=hostname)
    resp = api.post(body)
    writes = watch.writes_since_last()
    assert tagged_hosts(api.admin, body["instance-id"]) == []
    assert resp.status_int == 400 and not writes


def test_a_newline_in_the_project_id_is_400(api, watch):
    body = nova_body(hostname="nl-project", project_id="abc\n")
    resp = api.post(body)
    writes = watch.writes_since_last()
    assert resp.status_int == 400 and not writes
