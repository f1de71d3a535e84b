"""doc/api/openapi.yaml as a checker of live answers (status, media type, body schema)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import yaml
from openapi_schema_validator import OAS30Validator

DOCUMENT = Path(__file__).resolve().parents[2] / "doc" / "api" / "openapi.yaml"


@functools.lru_cache(maxsize=1)
def document() -> dict:
    return yaml.safe_load(DOCUMENT.read_text())


def _resolve(node: Any, doc: dict) -> Any:
    """``node`` with every local ``$ref`` replaced by what it points at (no cycles here)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = doc
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return _resolve(target, doc)
        return {k: _resolve(v, doc) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, doc) for v in node]
    return node


@functools.lru_cache(maxsize=1)
def resolved() -> dict:
    doc = document()
    return _resolve(doc, doc)


def documented_statuses(method: str, path: str) -> set[int]:
    return {int(s) for s in resolved()["paths"][path][method.lower()]["responses"]}


def request_schema(path: str = "/v1/") -> dict:
    op = resolved()["paths"][path]["post"]
    return op["requestBody"]["content"]["application/json"]["schema"]


class Mismatch(AssertionError):
    pass


def check(method: str, path: str, status: int, content_type: str | None, body: bytes) -> Any:
    """Raise :class:`Mismatch` unless the answer is one the document describes.

    Returns the decoded body (JSON) or the text.
    """
    op = resolved()["paths"].get(path, {}).get(method.lower())
    if op is None:
        raise Mismatch(f"{method} {path} is not in the API description")
    response = op["responses"].get(str(status))
    if response is None:
        raise Mismatch(f"{method} {path} answered {status}, which is not documented "
                       f"({sorted(op['responses'])}): {body[:300]!r}")
    media = (content_type or "").split(";")[0].strip().lower()
    content = response.get("content", {})
    if media not in content:
        raise Mismatch(f"{method} {path} {status}: media type {media!r} is not documented "
                       f"({sorted(content)}): {body[:300]!r}")
    schema = content[media].get("schema", {})
    if media == "application/json":
        try:
            value = json.loads(body)
        except ValueError as exc:
            raise Mismatch(f"{method} {path} {status}: body is not JSON: {body[:300]!r}") from exc
    else:
        value = body.decode("utf-8")
    errors = sorted(OAS30Validator(schema).iter_errors(value), key=str)
    if errors:
        raise Mismatch(f"{method} {path} {status}: body does not match the description: "
                       f"{errors[0].message} in {value!r:.500}")
    return value


def check_webob(method: str, path: str, resp) -> Any:
    """:func:`check` for a webob Response (in-process app)."""
    return check(method, path, resp.status_int, resp.headers.get("Content-Type"), resp.body)


def check_requests(method: str, path: str, resp) -> Any:
    """:func:`check` for a requests Response (a server process)."""
    return check(method, path, resp.status_code, resp.headers.get("Content-Type"),
                 resp.content)
