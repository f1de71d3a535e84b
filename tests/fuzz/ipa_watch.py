"""What novajoin did to FakeIPA: write commands counted by ``/ipa/fake/stats``, entry snapshots."""

from __future__ import annotations

import re
from collections import Counter

import requests

from novajoin import exception
from novajoin.domain import ownership

# The commands that change IPA (the brief list, and anything else named like a change, so a
# new write command novajoin starts to use is counted too).
WRITE_COMMANDS = frozenset({
    "host_add", "host_mod", "host_del", "host_disable", "service_add", "service_add_host",
    "service_remove_host", "service_del", "dnsrecord_add", "dnsrecord_del"})
_WRITE_NAME = re.compile(r"_(add|mod|del|disable|enable|remove|allow|disallow|set)(_|$)")


def is_write(command: str) -> bool:
    return command in WRITE_COMMANDS or bool(_WRITE_NAME.search(command))


class IpaWatch:
    """Counts write commands FakeIPA saw.

    Per request it reads the emulator's counters in process (``fakeipa.app.stats``: what
    ``/ipa/fake/stats`` serves, without an HTTP round trip per request, which would be a
    fifth of a 10,000-body run); :meth:`check_endpoint` confirms the endpoint says the same.
    """

    def __init__(self, fakeipa) -> None:
        self._fakeipa = fakeipa
        self._url = fakeipa.url + "/ipa/fake/stats"
        self._http = requests.Session()
        self._last = self._writes()

    @staticmethod
    def _only_writes(stats: dict) -> Counter:
        return Counter({k: v for k, v in stats["commands"].items() if is_write(k)})

    def _writes(self) -> Counter:
        return self._only_writes(self._fakeipa.app.stats.snapshot())

    def check_endpoint(self) -> Counter:
        """The write commands ``/ipa/fake/stats`` reports; asserts they are the ones counted."""
        served = self._only_writes(self._http.get(self._url, timeout=10).json())
        assert served == self._writes(), (served, self._writes())
        return served

    def writes_since_last(self) -> Counter:
        """Write commands since the previous call (or since this watch was made)."""
        now = self._writes()
        delta = now - self._last
        self._last = now
        return delta

    def close(self) -> None:
        self._http.close()


def entry(admin, kind: str, name: str) -> dict | None:
    """``host_show``/``service_show`` with every attribute, or None when it does not exist."""
    try:
        return admin.call(f"{kind}_show", name, all=True)["result"]
    except exception.IpaNotFound:
        return None


def snapshot(admin, hosts=(), services=()) -> dict:
    """The full entries of ``hosts`` and ``services`` (None where missing), in one batch."""
    from novajoin.domain.calls import IpaCall

    calls = ([IpaCall("host_show", (h,), {"all": True}) for h in hosts]
             + [IpaCall("service_show", (s,), {"all": True}) for s in services])
    out = {}
    for o in admin.batch(calls):
        key = f"{o.call.method.split('_')[0]}:{o.call.args[0]}"
        if o.ok:
            out[key] = o.output["result"]
        elif isinstance(o.error, exception.IpaNotFound):
            out[key] = None
        else:
            raise o.error
    return out


def tagged_hosts(admin, instance_id: str, project_id: str | None = None) -> list[str]:
    """The hosts whose owner tag names ``instance_id`` (of ``project_id``, if given)."""
    found = admin.call("host_find", instance_id, all=True, sizelimit=0)["result"]
    return [e["fqdn"][0] for e in found
            if (o := ownership.read(e)) is not None and o.instance_id == instance_id
            and project_id in (None, o.project_id)]
