"""ping, env, server_find and batch: the commands about the server and the call itself."""

from __future__ import annotations

import fnmatch
import logging
from typing import Any

from fakeipa import errors
from fakeipa.commands.base import (
    ENTRY_LIST,
    NO_MEMBERS_FIND,
    SEARCH_OPTIONS,
    Call,
    ServerEnv,
    command,
    finish_search,
    param,
    plural,
)

LOG = logging.getLogger(__name__)


def ping(call: Call, kw: dict[str, Any]) -> dict:
    env = call.env
    return {"summary": f"IPA server version {env.ipa_version}. API version {env.api_version}"}


def environment(env: ServerEnv) -> dict[str, Any]:
    """The subset of a server's ``api.env`` a client may ask about."""
    return {
        "api_version": env.api_version,
        "basedn": env.basedn,
        "ca_host": env.hostname,
        "context": "server",
        "debug": False,
        "domain": env.domain,
        "enable_ra": True,
        "fallback": True,
        "host": env.hostname,
        "in_server": True,
        "in_tree": False,
        "interactive": False,
        "jsonrpc_uri": f"https://{env.hostname}/ipa/json",
        "mode": "production",
        "ra_plugin": "dogtag",
        "realm": env.realm,
        "schema_ttl": 3600,
        "server": env.hostname,
        "session_auth_duration": "20 minutes",
        "session_duration_type": "inactivity_timeout",
        "skip_version_check": False,
        "startup_traceback": False,
        "verbose": 0,
        "version": env.ipa_version,
        "xmlrpc_uri": env.xmlrpc_uri,
    }


def env(call: Call, kw: dict[str, Any]) -> dict:
    variables = environment(call.env)
    keys: list[str] = []
    for pattern in kw.get("variables") or sorted(variables):
        matches = [pattern] if pattern in variables else (
            fnmatch.filter(sorted(variables), pattern) if any(c in pattern for c in "*?[")
            else [])
        keys.extend(k for k in matches if k not in keys)
    count = len(keys)
    return {"result": {k: variables[k] for k in keys}, "count": count,
            "total": len(variables), "summary": f"{count} variables" if count > 1 else None}


def server_find(call: Call, kw: dict[str, Any]) -> dict:
    """The IPA servers (masters): the emulator is the only one."""
    name = call.env.hostname
    criteria = (kw.get("criteria") or "").lower()
    entries = []
    if (kw.get("cn") in (None, name)) and criteria in name.lower():
        entry: dict[str, Any] = {"dn": call.dn(f"cn={name}", "cn=masters", "cn=ipa", "cn=etc"),
                                 "cn": [name]}
        if not kw.get("pkey_only"):
            entry.update(iparepltopomanagedsuffix_topologysuffix=["domain", "ca"],
                         ipamindomainlevel=["0"], ipamaxdomainlevel=["1"])
        entries.append(entry)
    return finish_search(call, entries, kw,
                         lambda n: f"{n} IPA {plural(n, 'server', 'servers')} matched")


def batch(call: Call, kw: dict[str, Any]) -> dict:
    """Run each sub-call on its own; a failure is reported in place, never raised."""
    keeponly = kw.get("keeponly")
    if keeponly is not None and _version(call.env.ipa_version) < (4, 12):
        # batch.py: keeponly came with 4.12.0 (commit 9e861693f); before, the option is
        # unknown and the whole batch fails (doc/freeipa-behaviour.md section 8d).
        raise errors.IpaOptionError(option="keeponly")
    results = []
    for item in kw.get("methods") or ():
        try:
            if not isinstance(item, dict) or "method" not in item:
                raise errors.IpaRequirementError(name="method")
            if "params" not in item:
                raise errors.IpaRequirementError(name="params")
            output = dict(call.execute(item["method"], item["params"], call.version))
            if keeponly and isinstance(output.get("result"), dict):
                output["result"] = {k: v for k, v in output["result"].items() if k in keeponly}
            output["error"] = None
        except errors.IpaCommandError as exc:
            output = _failure(exc)
        except Exception:
            LOG.exception("batch member %r failed", item)
            output = _failure(errors.IpaInternalError())
        results.append(output)
    return {"count": len(results), "results": results}


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".")[:2] if p.isdigit())


def _failure(exc: errors.IpaCommandError) -> dict:
    wire = exc.to_wire()
    return {"error": wire["message"], "error_code": wire["code"],
            "error_name": wire["name"], "error_kw": wire["data"]}


COMMANDS = (
    command("ping", ping, output=("summary",)),
    command("env", env, args=[param("variables*")],
            options=[param("all", "flag", default=True), param("server?", "flag")],
            output=("result", "count", "total", "summary")),
    command("server_find", server_find, args=[param("criteria?")],
            options=[param("cn?", cli="name"), NO_MEMBERS_FIND, *SEARCH_OPTIONS],
            output=ENTRY_LIST),
    command("batch", batch, args=[param("methods*", "any")], options=[param("keeponly*")],
            output=("count", "results")),
)
