"""The JSON-RPC envelope: unmarshal a request, run the command, marshal the answer.

Everything here follows FreeIPA's ``jsonserver``: command errors are HTTP 200
with an ``error`` object, every answer carries ``id``, ``principal`` and the
server's product ``version``, and values are encoded for the API version the
request announced (``__dns_name__``/``__datetime__`` only for clients that
know them).
"""

from __future__ import annotations

import base64
import datetime
import json
import logging
import threading
from collections import Counter
from typing import Any

from fakeipa import errors
from fakeipa.commands import registry
from fakeipa.commands.base import (
    VERSION_MISSING,
    VERSION_WITHOUT_CAPABILITIES,
    Call,
    Command,
    DNSName,
    ServerEnv,
    has_capability,
    parse_api_version,
)
from fakeipa.store import Directory

LOG = logging.getLogger(__name__)


class Stats:
    """Request and command counters, for benchmarks and tests (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._requests = 0
            self._commands: Counter[str] = Counter()
            self._in_flight = 0
            self._max_in_flight = 0

    def request_started(self) -> None:
        with self._lock:
            self._requests += 1
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)

    def request_finished(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def command(self, name: str) -> None:
        with self._lock:
            self._commands[name] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"http_requests": self._requests, "commands": dict(self._commands),
                    "max_in_flight": self._max_in_flight}


def _decode_marker(obj: dict) -> Any:
    """``{"__dns_name__": x}`` and friends, as the official client sends them."""
    if len(obj) == 1:
        (key, value), = obj.items()
        if key == "__dns_name__" and isinstance(value, str):
            return DNSName(value)
        if key == "__base64__" and isinstance(value, str):
            return base64.b64decode(value)
        if key == "__datetime__" and isinstance(value, str):
            return datetime.datetime.strptime(value, "%Y%m%d%H%M%SZ").replace(
                tzinfo=datetime.timezone.utc)
    return obj


_PLAIN = (str, int, float, bool, type(None))  # exact types: DNSName is a str too


def encode(value: Any, version: str) -> Any:
    """Turn a command result into JSON values for a client at ``version``."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is list or kind is tuple:
        return [item if type(item) is str else encode(item, version) for item in value]
    if kind is dict:
        return {key: item if type(item) is str else encode(item, version)
                for key, item in value.items()}
    if isinstance(value, DNSName):
        return {"__dns_name__": str(value)} if has_capability(version, "dns_name_values") \
            else str(value)
    if isinstance(value, datetime.datetime):
        text = value.strftime("%Y%m%d%H%M%SZ")
        return {"__datetime__": text} if has_capability(version, "datetime_values") else text
    if isinstance(value, bytes):
        return {"__base64__": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {key: encode(item, version) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(item, version) for item in value]
    return value


def unmarshal(body: bytes) -> tuple[Any, list, dict, Any]:
    """(method, args, options, id) of a JSON-RPC request, or JSONError 909."""
    try:
        request = json.loads(body.decode("utf-8"), object_hook=_decode_marker)
    except ValueError as exc:
        raise errors.IpaJSONError(error=str(exc)) from None
    if not isinstance(request, dict):
        raise errors.IpaJSONError(error="Request must be a dict")
    if "method" not in request:
        raise errors.IpaJSONError(error='Request is missing "method"')
    if "params" not in request:
        raise errors.IpaJSONError(error='Request is missing "params"')
    params = request["params"]
    if not isinstance(params, list):
        raise errors.IpaJSONError(error="params must be a list")
    if len(params) != 2:
        raise errors.IpaJSONError(error="params must contain [args, options]")
    args, options = params
    if not isinstance(args, list):
        raise errors.IpaJSONError(error="params[0] (aka args) must be a list")
    if not isinstance(options, dict):
        raise errors.IpaJSONError(error="params[1] (aka options) must be a dict")
    return request["method"], args, options, request.get("id")


class RpcHandler:
    """Runs JSON-RPC requests against one directory."""

    def __init__(self, env: ServerEnv, store: Directory, stats: Stats,
                 command_faults: Any = None) -> None:
        self.env = env
        self.store = store
        self.stats = stats
        # name -> injected error code (a callable, read on every command)
        self.command_faults = command_faults or (lambda: {})
        self.commands = registry()

    def handle(self, body: bytes, principal: str) -> bytes:
        """The JSON answer to a request body (always an envelope, never an exception)."""
        request_id = None
        version: Any = None
        result = None
        error = None
        try:
            method, args, options, request_id = unmarshal(body)
            version = options.get("version")
            self._count(method)
            result = self.execute(method, args, options, principal)
        except errors.IpaCommandError as exc:
            error = exc
        except Exception:
            LOG.exception("command failed")
            error = errors.IpaInternalError()
        return self.marshal(result, error, request_id, principal, version)

    def marshal(self, result: Any, error: errors.IpaCommandError | None, request_id: Any,
                principal: str, version: Any = None) -> bytes:
        answer = {
            "result": result,
            "error": error.to_wire() if error is not None else None,
            "id": request_id,
            "principal": principal,
            "version": self.env.ipa_version,
        }
        encoding = str(version) if version is not None else VERSION_WITHOUT_CAPABILITIES
        return json.dumps(encode(answer, encoding)).encode("utf-8")

    def lookup(self, name: Any) -> Command:
        """``host_add`` and ``host_add/1`` name the same command."""
        key = name[:-2] if isinstance(name, str) and name.endswith("/1") else name
        command = self.commands.get(key) if isinstance(key, str) else None
        if command is None:
            raise errors.IpaCommandNotFound(name=name)
        return command

    def execute(self, name: Any, args: list, options: dict, principal: str,
                default_version: str | None = None) -> dict:
        """Run one command the way FreeIPA's ``Command.__call__`` does."""
        command = self.lookup(name)
        bound = command.bind(args, options)
        call = Call(self.env, self.store, principal, self.env.api_version,
                    execute=lambda n, p, v: self._batch_member(n, p, principal, v),
                    command=command.name, fault=self.command_faults().get(command.name))
        if "version" not in bound and default_version is not None:
            bound["version"] = default_version
        if "version" in bound:
            self._verify_version(str(bound["version"]))
            call.version = str(bound["version"])
        else:
            call.warn(VERSION_MISSING, server_version=self.env.api_version)
        values = command.convert(bound)
        command.require(values)
        call.inject("start")
        output = command.handler(call, values)
        return self._finish(command, call, output)

    def _count(self, name: Any) -> None:
        if isinstance(name, str):
            self.stats.command(name[:-2] if name.endswith("/1") else name)

    def _batch_member(self, name: Any, params: Any, principal: str, version: str) -> dict:
        self._count(name)
        self.lookup(name)
        if not (isinstance(params, (list, tuple)) and len(params) == 2
                and isinstance(params[0], (list, tuple)) and isinstance(params[1], dict)):
            raise errors.IpaConversionError(
                name="params", error="must contain a tuple (list, dict)")
        return self.execute(name, list(params[0]), dict(params[1]), principal, version)

    def _verify_version(self, version: str) -> None:
        parsed = parse_api_version(version)
        if parsed is None or parsed[0] != parse_api_version(self.env.api_version)[0]:
            raise errors.IpaVersionError(cver=version, sver=self.env.api_version,
                                            server=self.env.xmlrpc_uri)

    def _finish(self, command: Command, call: Call, output: dict) -> dict:
        """Check the output shape, add messages, adapt keys for old clients."""
        if set(output) != set(command.output):
            raise RuntimeError(f"{command.name} produced keys {sorted(output)}, "
                               f"declared {sorted(command.output)}")
        if "value" in output and not call.capable("primary_key_types"):
            value = output["value"]
            output["value"] = ",".join(value) if isinstance(value, list) else str(value)
        if call.messages and call.capable("messages"):
            output["messages"] = call.messages
        return output
