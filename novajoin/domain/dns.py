"""Which DNS records a floating IP needs, and which must go. No I/O here.

A floating address gets an A (or AAAA) record under its instance's host name
and a PTR record where IPA has the reverse zone. Records of the same address
under other names are removed only where novajoin owns the name's host: a
record someone else made is never touched.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Mapping, Sequence

from novajoin.domain.calls import IpaCall
from novajoin.domain.naming import reverse_in_zone, split_in_zone

_REVERSE = ("in-addr.arpa.", "ip6.arpa.")


def forward_zones(zones: Sequence[str]) -> list[str]:
    return [z for z in zones if not z.endswith(_REVERSE)]


def record_type(address: str) -> str:
    return "aaaarecord" if ipaddress.ip_address(address).version == 6 else "arecord"


def fqdn(zone: str, name: str) -> str:
    return f"{name}.{zone}".rstrip(".")


def same_address(a: str, b: str) -> bool:
    try:
        return ipaddress.ip_address(a.strip()) == ipaddress.ip_address(b.strip())
    except ValueError:
        return False


def stored_value(record: Mapping[str, Sequence[str]], address: str) -> str | None:
    """The text under which a record holds ``address``. IPA stores A/AAAA values as they
    were sent (``2001:DB8::1`` stays so) and dnsrecord_del removes only the exact text
    (doc/freeipa-behaviour.md section 8c)."""
    return next((v for v in record.get(record_type(address)) or ()
                 if same_address(v, address)), None)


def unpublish(zone: str, name: str, address: str, zones: Sequence[str],
              stored: str | None = None) -> list[IpaCall]:
    """Take ``address`` away from ``name`` in ``zone``, with its PTR record if IPA has the zone.

    Shared by the floating IP events and novajoin-reconcile (records left behind
    when a port deletion sent no floating IP event). ``stored``: the value's text in
    IPA, when it is known and differs from ``address``.
    """
    calls = [IpaCall("dnsrecord_del", (zone, name), {record_type(address): [stored or address]})]
    reverse = reverse_in_zone(address, list(zones))
    if reverse:
        calls.append(IpaCall("dnsrecord_del", reverse, {"ptrrecord": [fqdn(zone, name) + "."]}))
    return calls


def placement(host: str | None, zones: Sequence[str]) -> tuple[str, str] | None:
    """``(zone, name)`` where ``host``'s address records go; None when no forward zone has it."""
    return split_in_zone(host, forward_zones(zones)) if host else None


def other_holders(holders: Sequence[tuple[str, str]], host: str | None,
                  zones: Sequence[str]) -> list[str]:
    """The names, other than ``host``'s, that hold the address now (to check who owns them)."""
    target = placement(host, zones)
    return [fqdn(zone, name) for zone, name in holders if (zone, name) != target]


def point_address(address: str, zones: Sequence[str], host: str | None,
                  holders: Sequence[tuple[str, str]], owned: Collection[str],
                  stored: Mapping[tuple[str, str], str] | None = None) -> list[IpaCall]:
    """The calls that make ``address`` point at ``host`` (None: at nothing).

    :param holders: ``(zone, name)`` of the records holding the address now.
    :param owned: which of the other holders' names are hosts novajoin owns.
    :param stored: the address's text in each holder's record, as IPA keeps it.
    """
    target = placement(host, zones)
    calls: list[IpaCall] = []
    for zone, name in holders:
        if (zone, name) != target and fqdn(zone, name) in owned:
            calls += unpublish(zone, name, address, zones, (stored or {}).get((zone, name)))
    if target is not None:
        zone, name = target
        if target not in holders:
            calls.append(IpaCall("dnsrecord_add", (zone, name), {record_type(address): [address]}))
        reverse = reverse_in_zone(address, list(zones))
        if reverse:
            calls.append(IpaCall("dnsrecord_add", reverse, {"ptrrecord": [fqdn(zone, name) + "."]}))
    return calls
