"""dnszone_* and dnsrecord_* commands, plus the DNS helpers host commands use.

Record names are stored relative to their zone (``@`` is the apex); values
are kept as the client sent them, apart from IP address normalisation. Only
master zones exist: the domain's forward zone (created at start) and whatever
zones clients add, such as reverse zones for PTR records.
"""

from __future__ import annotations

import datetime
import ipaddress
from typing import Any

from fakeipa import acl, errors
from fakeipa.commands.base import (
    ADDATTR,
    ALL,
    CONTINUE,
    ENTRY_LIST,
    FAILED_TO_ADD_HOST_DNS_RECORDS,
    MULTI_DELETE,
    RAW,
    RIGHTS,
    SEARCH_OPTIONS,
    SETATTR,
    Call,
    DNSName,
    Param,
    ServerEnv,
    apply_attr_options,
    command,
    finish_search,
    param,
)
from fakeipa.store import Directory, Zone

# Record types of API 2.257 and the parts their structured options build
# values from, in value order.
RECORD_PARTS: dict[str, tuple[str, ...]] = {
    "a6": ("data",), "a": ("ip_address",), "aaaa": ("ip_address",),
    "afsdb": ("subtype", "hostname"), "apl": (),
    "cert": ("type", "key_tag", "algorithm", "certificate_or_crl"),
    "cname": ("hostname",), "dhcid": (),
    "dlv": ("key_tag", "algorithm", "digest_type", "digest"), "dname": ("target",),
    "ds": ("key_tag", "algorithm", "digest_type", "digest"), "hip": (), "ipseckey": (),
    "key": (), "kx": ("preference", "exchanger"),
    "loc": ("lat_deg", "lat_min", "lat_sec", "lat_dir", "lon_deg", "lon_min", "lon_sec",
            "lon_dir", "altitude", "size", "h_precision", "v_precision"),
    "mx": ("preference", "exchanger"),
    "naptr": ("order", "preference", "flags", "service", "regexp", "replacement"),
    "ns": ("hostname",), "nsec": (), "ptr": ("hostname",), "rp": (), "rrsig": (), "sig": (),
    "spf": (), "srv": ("priority", "weight", "port", "target"),
    "sshfp": ("algorithm", "fp_type", "fingerprint"),
    "tlsa": ("cert_usage", "selector", "matching_type", "cert_association_data"),
    "txt": ("data",), "uri": ("priority", "weight", "target"),
}
_INT_PARTS = {"subtype", "type", "key_tag", "algorithm", "digest_type", "preference", "order",
              "priority", "weight", "port", "fp_type", "cert_usage", "selector",
              "matching_type", "lat_deg", "lat_min", "lon_deg", "lon_min"}
_NAME_PARTS = {"hostname", "exchanger", "target"}
RECORD_ATTRS = tuple(f"{rtype}record" for rtype in RECORD_PARTS)
# Values that must have a fixed number of fields: (fields, format text, RFC).
_RECORD_FORMATS = {
    "mx": (2, "PREFERENCE EXCHANGER", "RFC 1035"),
    "kx": (2, "PREFERENCE EXCHANGER", "RFC 2230"),
    "srv": (4, "PRIORITY WEIGHT PORT TARGET", "RFC 2782"),
}
NO_ADD_OPTION = ("No options to add a specific record provided.\n"
                 "Command help may be consulted for all supported record types.")
NO_DEL_OPTION = ("Neither --del-all nor options to delete a specific record provided.\n"
                 "Command help may be consulted for all supported record types.")
ZONE_OBJECTCLASSES = ["top", "idnsrecord", "idnszone"]
RECORD_OBJECTCLASSES = ["top", "idnsrecord"]
_SOA_DEFAULTS = {"idnssoarefresh": 3600, "idnssoaretry": 900, "idnssoaexpire": 1209600,
                 "idnssoaminimum": 3600}


def _record_params(*, parts: bool) -> tuple[Param, ...]:
    params: list[Param] = []
    for rtype, names in RECORD_PARTS.items():
        params.append(param(f"{rtype}record*", cli=f"{rtype}_rec"))
        if parts:
            for part in names:
                kind = "int" if part in _INT_PARTS else "dnsname" if part in _NAME_PARTS else "str"
                params.append(param(f"{rtype}_part_{part}?", kind, cli=f"{rtype}_{part}"))
    if parts:
        params.append(param("a_extra_create_reverse?", "flag", cli="a_create_reverse"))
        params.append(param("aaaa_extra_create_reverse?", "flag", cli="aaaa_create_reverse"))
    return tuple(params)


ZONE_ARG = param("dnszoneidnsname", "dnsname", cli="dnszone")
RECORD_ARG = param("idnsname", "dnsname", cli="name")
DNS_COMMON = (param("dnsttl?", "int", cli="ttl"),
              param("dnsclass?", cli="class", values=("IN", "CS", "CH", "HS")),
              param("structured", "flag"))


# --------------------------------------------------------------------------
# Names and entries


def absolute(name: str) -> str:
    return name if name.endswith(".") else name + "."


def zone_not_found(name: str) -> errors.IpaNotFound:
    return errors.IpaNotFound(reason=f"{name}: DNS zone not found")


def record_not_found(name: str) -> errors.IpaNotFound:
    return errors.IpaNotFound(reason=f"{name}: DNS resource record not found")


def may_read(call: Call) -> bool:
    """Whether the caller sees DNS entries at all.

    Only holders of "System: Read DNS Entries" (privileges DNS Administrators and DNS
    Servers) may read under cn=dns; a search by anyone else finds nothing and a zone
    lookup answers NotFound, as for a zone that does not exist (``check_zone`` and
    ``DNSZoneBase_find`` in ipaserver/plugins/dns.py; doc/freeipa-behaviour.md section
    9b). ``cn=dns`` itself stays readable ("Anonymous read access to containers",
    install/updates/20-aci.update), so "DNS is not configured" is never the answer.
    Not modelled: the per-zone ACIs for a zone's managedBy group (install/share/dns.ldif)
    and host principals' reads of A/AAAA/PTR records.
    """
    return acl.allowed(call.store, call.env.basedn, call.principal, "read", "dns",
                       record_seen("@"))


def get_zone(call: Call, store: Directory, name: str) -> Zone:
    zone = store.zones.get(absolute(name))
    if zone is None or not may_read(call):
        raise zone_not_found(absolute(name))
    return zone


def visible_zone_for(call: Call, absolute_name: str) -> Zone | None:
    """The zone of a name, as the caller's LDAP reads find it (None when hidden)."""
    zone = call.store.zone_for(absolute_name)
    return zone if zone is not None and may_read(call) else None


def record_name(zone: Zone, name: str) -> str:
    """The stored (relative) name of a record argument."""
    if name == "@" or name == zone.name:
        return "@"
    if name.endswith("."):
        if not name.endswith("." + zone.name):
            raise errors.IpaValidationError(
                name="name", error=f'DNS zone "{zone.name}" does not contain "{name}"')
        return name[: -len(zone.name) - 1]
    return name


def zone_dn(call: Call, zone: Zone) -> str:
    return call.dn(f"idnsname={zone.name}", "cn=dns")


def record_seen(name: str) -> dict[str, list[str]]:
    """What a target filter sees of a DNS name entry (the apex is the zone entry)."""
    if name == "@":
        return {"objectclass": ["top", "idnsrecord", "idnszone"], "idnsname": ["@"]}
    return {"objectclass": ["top", "idnsrecord"], "idnsname": [name]}


def check_record_change(call: Call, zone: Zone, name: str, before: dict | None,
                        after: dict | None) -> None:
    """The rights an LDAP change of one DNS name needs (add, write, delete)."""
    dn = record_dn(call, zone, name)
    if after is None:
        acl.check(call, "delete", "dns", dn, record_seen(name))
        return
    changed = tuple(sorted(a for a in set(after) | set(before or {})
                           if (after or {}).get(a) != (before or {}).get(a)))
    if changed:
        acl.check(call, "write", "dns", dn, record_seen(name), changed)


def record_dn(call: Call, zone: Zone, name: str) -> str:
    base = zone_dn(call, zone)
    return base if name == "@" else f"idnsname={name},{base}"


def record_entry(call: Call, zone: Zone, name: str, *, dn: bool = True,
                 objectclass: bool = False) -> dict:
    entry: dict[str, Any] = {}
    if dn:
        entry["dn"] = record_dn(call, zone, name)
    entry["idnsname"] = [DNSName(name)]
    for attr, values in zone.records[name].items():
        entry[attr] = [int(v) for v in values] if attr == "dnsttl" else list(values)
    if objectclass:
        entry["objectclass"] = list(ZONE_OBJECTCLASSES if name == "@" else RECORD_OBJECTCLASSES)
    return entry


def zone_entry(call: Call, zone: Zone, *, objectclass: bool = False) -> dict:
    entry: dict[str, Any] = {"dn": zone_dn(call, zone), "idnsname": [DNSName(zone.name)]}
    for attr, values in zone.attrs.items():
        if attr in ("idnssoamname", "idnssoarname"):
            entry[attr] = [DNSName(v) for v in values]
        else:
            entry[attr] = list(values)
    entry["nsrecord"] = list(zone.records.get("@", {}).get("nsrecord", []))
    if objectclass:
        entry["objectclass"] = list(ZONE_OBJECTCLASSES)
    return entry


def _name_server(env: ServerEnv) -> str:
    try:
        ipaddress.ip_address(env.hostname)
    except ValueError:
        return absolute(env.hostname)
    return f"ipa.{env.domain}."


def new_zone(env: ServerEnv, name: str, options: dict[str, Any] | None = None) -> Zone:
    """A zone as IPA creates it: SOA defaults, the server as NS, update policy."""
    realm = env.realm
    zone = Zone(name)
    if zone.is_reverse:
        policy = f"grant {realm} krb5-subdomain {name} PTR;"
    else:
        policy = (f"grant {realm} krb5-self * A; grant {realm} krb5-self * AAAA; "
                  f"grant {realm} krb5-self * SSHFP;")
    server = _name_server(env)
    zone.attrs = {
        "idnszoneactive": ["TRUE"],
        "idnssoamname": [server],
        "idnssoarname": [f"hostmaster.{name}"],
        "idnssoaserial": [_serial()],
        **{attr: [str(value)] for attr, value in _SOA_DEFAULTS.items()},
        "idnsallowdynupdate": ["FALSE"],
        "idnsupdatepolicy": [policy],
        "idnsallowtransfer": ["none;"],
        "idnsallowquery": ["any;"],
    }
    for attr, value in (options or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            zone.attrs[attr] = ["TRUE" if value else "FALSE"]
        elif attr == "idnssoarname":
            zone.attrs[attr] = [value if value.endswith(".") else f"{value}.{name}"]
        elif isinstance(value, tuple):
            zone.attrs[attr] = [str(v) for v in value]
        else:
            zone.attrs[attr] = [str(value)]
    zone.records["@"] = {"nsrecord": [server]}
    if not zone.is_reverse:
        zone.records["_kerberos"] = {"txtrecord": [realm]}
    return zone


def _serial() -> str:
    """A zone serial in seconds since the epoch, as IPA's default serial is."""
    return str(int(datetime.datetime.now(datetime.timezone.utc).timestamp()))


def reverse_zone_name(network: str) -> str:
    """``10.0.0.0/24`` -> ``0.0.10.in-addr.arpa.`` (name_from_ip)."""
    try:
        net = ipaddress.ip_network(network, strict=False)
    except ValueError:
        raise errors.IpaValidationError(
            name="name_from_ip", error="invalid IP network format") from None
    labels = net.network_address.reverse_pointer.split(".")
    unit = 8 if net.version == 4 else 4
    total = 4 if net.version == 4 else 32
    return ".".join(labels[total - net.prefixlen // unit:]) + "."


# --------------------------------------------------------------------------
# Record values


def _normalize_value(rtype: str, value: str, label: str) -> str:
    value = value.strip()
    if rtype in ("a", "aaaa"):
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            address = None
        if address is None or address.version != (4 if rtype == "a" else 6):
            raise errors.IpaValidationError(name=label, error="invalid IP address format")
        # A validator only, no normaliser (dns.py ARecord/AAAARecord parts): the value is
        # stored as sent (doc/freeipa-behaviour.md section 8c).
        return value
    if rtype in _RECORD_FORMATS:
        fields, fmt, rfc = _RECORD_FORMATS[rtype]
        if len(value.split()) != fields:
            raise errors.IpaValidationError(
                name=label, error=f'format must be specified as "{fmt}"  (see {rfc} for details)')
    return value


def record_values(kw: dict[str, Any], *, parts: bool) -> dict[str, list[str]]:
    """The record values a call names, by attribute, raw and structured merged."""
    wanted: dict[str, list[str]] = {}
    for rtype, names in RECORD_PARTS.items():
        attr = f"{rtype}record"
        raw = list(kw.get(attr) or ())
        given = [p for p in names if kw.get(f"{rtype}_part_{p}") is not None] if parts else []
        if given:
            if raw:
                raise errors.IpaValidationError(
                    name=f"{rtype}_rec",
                    error=f'Raw value of a DNS record was already set by "{rtype}_rec" option')
            raw = [" ".join(str(kw[f"{rtype}_part_{p}"]) for p in given)]
            label = f"{rtype}_{given[0]}"
        else:
            label = f"{rtype}_rec"
        values = []
        for value in raw:
            normalized = _normalize_value(rtype, value, label)
            if normalized not in values:
                values.append(normalized)
        if values:
            wanted[attr] = values
    return wanted


def _check_cname(name: str, record: dict[str, list[str]]) -> None:
    cnames = record.get("cnamerecord", [])
    if len(cnames) > 1:
        raise errors.IpaValidationError(
            name="cnamerecord",
            error="only one CNAME record is allowed per name (RFC 2136, section 1.1.5)")
    others = [a for a in record if a.endswith("record") and a != "cnamerecord"]
    if cnames and others:
        raise errors.IpaValidationError(
            name="cnamerecord",
            error="CNAME record is not allowed to coexist with any other record "
                  "(RFC 1034, section 3.6.2)")


def has_records(record: dict[str, list[str]]) -> bool:
    return any(attr.endswith("record") and values for attr, values in record.items())


def merge_values(zone: Zone, name: str, wanted: dict[str, list[str]]) -> bool:
    """Add values to a record (creating it); False if nothing was new."""
    record = {attr: list(values) for attr, values in zone.records.get(name, {}).items()}
    changed = False
    for attr, values in wanted.items():
        current = record.setdefault(attr, [])
        for value in values:
            if value not in current:
                current.append(value)
                changed = True
    if changed:
        _check_cname(name, record)
        zone.records[name] = record
    return changed


# --------------------------------------------------------------------------
# Helpers for host commands


def verify_host_resolvable(store: Directory, fqdn: str) -> None:
    """IPA's DNS check without ``force``: the name needs an A/AAAA record.

    The emulator only knows its own zones, so a name outside them never
    resolves.
    """
    if not store.addresses_of(fqdn):
        raise errors.IpaDNSNotARecordError(hostname=fqdn)


def check_host_address(call: Call, fqdn: str, ip: str, reverse: bool) -> None:
    """The checks ``host_add ip_address=`` makes before creating anything (its
    ``dnszone_show`` of the parent zone runs as the caller)."""
    store = call.store
    zone = visible_zone_for(call, absolute(fqdn))
    if zone is None:
        parent = absolute(fqdn.split(".", 1)[1])
        raise errors.IpaNotFound(reason=f"DNS zone {parent} not found")
    for record in zone.records.values():
        if ip in record.get("arecord", []) + record.get("aaaarecord", []):
            raise errors.IpaDuplicateEntry(
                message=f"IP address {ip} is already assigned in domain {zone.name}.")
    if reverse:
        revzone, revname = store.reverse_location(ip)
        if revzone is not None and revname in revzone.records:
            raise errors.IpaDuplicateEntry(
                message=f"Reverse record for IP address {ip} already exists "
                        f"in reverse zone {revzone.name}.")


def add_ptr(store: Directory, ip: str, target: str) -> None:
    """Point the reverse name of ``ip`` at ``target``; NotFound without a zone."""
    revzone, revname = store.reverse_location(ip)
    if revzone is None:
        raise errors.IpaNotFound(reason=f"DNS reverse zone for IP address {ip} not found")
    merge_values(revzone, revname, {"ptrrecord": [target]})


def add_host_records(call: Call, fqdn: str, ip: str, reverse: bool) -> None:
    """Forward record, then PTR; a PTR failure is a warning, as in IPA."""
    store = call.store
    zone = store.zone_for(absolute(fqdn))
    rtype = "arecord" if ipaddress.ip_address(ip).version == 4 else "aaaarecord"
    merge_values(zone, store.relative_name(absolute(fqdn), zone), {rtype: [ip]})
    if reverse:
        try:
            add_ptr(store, ip, absolute(fqdn))
        except errors.IpaCommandError as exc:
            call.warn(FAILED_TO_ADD_HOST_DNS_RECORDS, reason=exc.message)


def remove_host_records(call: Call, fqdn: str) -> bool:
    """Drop a host's A/AAAA/SSHFP record and the PTRs pointing back at it.

    host_del reads the record with ``dnsrecord_show`` as the caller: a caller that may
    not read DNS finds nothing, and the records stay (host.py ``host_del.pre_callback``).
    """
    store = call.store
    name = absolute(fqdn)
    zone = visible_zone_for(call, name)
    if zone is None:
        return False
    relative = store.relative_name(name, zone)
    record = zone.records.get(relative)
    if record is None or relative == "@":
        return False
    for ip in [*record.get("arecord", []), *record.get("aaaarecord", [])]:
        revzone, revname = store.reverse_location(ip)
        ptr = revzone.records.get(revname) if revzone else None
        if ptr and name in ptr.get("ptrrecord", []):
            after = {k: [v for v in vs if v != name] if k == "ptrrecord" else vs
                     for k, vs in ptr.items()}
            after = {k: vs for k, vs in after.items() if vs}
            # PTR removal: refused rights propagate (host.py remove_ptr_rec).
            check_record_change(call, revzone, revname, ptr,
                                after if has_records(after) else None)
            ptr["ptrrecord"].remove(name)
            if not ptr["ptrrecord"]:
                del ptr["ptrrecord"]
            if not has_records(ptr):
                del revzone.records[revname]
    after = {k: v for k, v in record.items() if k not in ("arecord", "aaaarecord", "sshfprecord")}
    check_record_change(call, zone, relative, record, after if has_records(after) else None)
    for attr in ("arecord", "aaaarecord", "sshfprecord"):
        record.pop(attr, None)
    if not has_records(record):
        del zone.records[relative]
    return True


# --------------------------------------------------------------------------
# dnszone_*


ZONE_ATTR_OPTIONS = (
    param("dnsclass?", cli="class", values=("IN", "CS", "CH", "HS")),
    param("dnsdefaultttl?", "int", cli="default_ttl"),
    param("dnsttl?", "int", cli="ttl"),
    param("idnsallowdynupdate?", "bool", cli="dynamic_update"),
    param("idnsallowquery?", cli="allow_query"),
    param("idnsallowsyncptr?", "bool", cli="allow_sync_ptr"),
    param("idnsallowtransfer?", cli="allow_transfer"),
    param("idnsforwarders*", cli="forwarder"),
    param("idnsforwardpolicy?", cli="forward_policy", values=("only", "first", "none")),
    param("idnssecinlinesigning?", "bool", cli="dnssec"),
    param("idnssoaexpire?", "int", cli="expire"),
    param("idnssoaminimum?", "int", cli="minimum"),
    param("idnssoamname?", "dnsname", cli="name_server"),
    param("idnssoarefresh?", "int", cli="refresh"),
    param("idnssoaretry?", "int", cli="retry"),
    param("idnssoarname?", "dnsname", cli="admin_email"),
    param("idnssoaserial?", "int", cli="serial"),
    param("idnsupdatepolicy?", cli="update_policy"),
    param("nsec3paramrecord?", cli="nsec3param_rec"),
)
# Stored as given; a client's idnssoaserial is ignored, as IPA ignores it.
_ZONE_ATTRS = tuple(p.name for p in ZONE_ATTR_OPTIONS if p.name != "idnssoaserial")


def dnszone_add(call: Call, kw: dict[str, Any]) -> dict:
    if kw.get("idnsname") is not None:
        name = absolute(kw["idnsname"])
    elif kw.get("name_from_ip") is not None:
        name = reverse_zone_name(kw["name_from_ip"])
    else:
        raise errors.IpaRequirementError(name="idnsname")
    options = {attr: kw[attr] for attr in _ZONE_ATTRS if attr in kw}
    with call.store.writing() as store:
        if name in store.zones:
            raise errors.IpaDuplicateEntry(message=f'DNS zone with name "{name}" already exists')
        zone = new_zone(call.env, name, options)
        apply_attr_options(zone.attrs, kw, dict.fromkeys(_ZONE_ATTRS, True))
        store.zones[name] = zone
        entry = zone_entry(call, zone, objectclass=True)
    return {"result": entry, "value": DNSName(name), "summary": None}


def dnszone_del(call: Call, kw: dict[str, Any]) -> dict:
    deleted, failed = [], []
    with call.store.writing() as store:
        for name in (absolute(n) for n in kw["idnsname"]):
            if name in store.zones:
                del store.zones[name]
                deleted.append(DNSName(name))
            elif kw.get("continue"):
                failed.append(DNSName(name))
            else:
                raise zone_not_found(name)
    return {"result": {"failed": failed}, "value": deleted,
            "summary": f'Deleted DNS zone "{",".join(deleted)}"'}


def dnszone_show(call: Call, kw: dict[str, Any]) -> dict:
    with call.store.reading() as store:
        zone = get_zone(call, store, kw["idnsname"])
        entry = zone_entry(call, zone, objectclass=kw.get("all", False))
    return {"result": entry, "value": DNSName(zone.name), "summary": None}


def dnszone_find(call: Call, kw: dict[str, Any]) -> dict:
    wanted_name = kw.get("idnsname")
    if wanted_name is None and kw.get("name_from_ip") is not None:
        wanted_name = reverse_zone_name(kw["name_from_ip"])
    criteria = (kw.get("criteria") or "").lower()
    filters = {attr: kw[attr] for attr in (*_ZONE_ATTRS, "idnszoneactive")
               if kw.get(attr) is not None}
    entries = []
    with call.store.reading() as store:
        for zone in sorted(store.zones.values() if may_read(call) else (),
                           key=lambda z: z.name):
            if wanted_name is not None and zone.name != absolute(wanted_name):
                continue
            if kw.get("forward_only") and zone.is_reverse:
                continue
            if criteria and criteria not in zone.name:
                continue
            if not all(_zone_attr_matches(zone, attr, value) for attr, value in filters.items()):
                continue
            if kw.get("pkey_only"):
                entries.append({"dn": zone_dn(call, zone), "idnsname": [DNSName(zone.name)]})
            else:
                entries.append(zone_entry(call, zone, objectclass=kw.get("all", False)))
    return finish_search(call, entries, kw, None)


def _zone_attr_matches(zone: Zone, attr: str, value: Any) -> bool:
    if isinstance(value, bool):
        value = "TRUE" if value else "FALSE"
    values = value if isinstance(value, tuple) else (value,)
    have = {v.lower() for v in zone.attrs.get(attr, [])}
    return all(_absolute_if_name(attr, str(v)).lower() in have for v in values)


def _absolute_if_name(attr: str, value: str) -> str:
    return absolute(value) if attr in ("idnssoamname", "idnssoarname") else value


# --------------------------------------------------------------------------
# dnsrecord_*


def dnsrecord_add(call: Call, kw: dict[str, Any]) -> dict:
    with call.store.writing() as store:
        zone = get_zone(call, store, kw["dnszoneidnsname"])
        name = record_name(zone, kw["idnsname"])
        wanted = record_values(kw, parts=True)
        if not wanted and not any(kw.get(k) for k in ("setattr", "addattr", "dnsttl")):
            raise errors.IpaOptionError(NO_ADD_OPTION)
        reverse_ips = [
            *(wanted.get("arecord", []) if kw.get("a_extra_create_reverse") else []),
            *(wanted.get("aaaarecord", []) if kw.get("aaaa_extra_create_reverse") else []),
        ]
        for ip in reverse_ips:
            revzone, revname = store.reverse_location(ip)
            if revzone is not None and revname in revzone.records:
                raise errors.IpaDuplicateEntry(
                    message=f"Reverse record for IP address {ip} already exists "
                            f"in reverse zone {revzone.name}.")
        before = zone.records.get(name)
        # dnsrecord_add is an LDAP add first (an existing name: DuplicateEntry, then a
        # modify); 389-ds checks the add right before it finds the entry exists
        # (ldbm_add.c; doc/freeipa-behaviour.md section 9c).
        acl.check(call, "add", "dns", record_dn(call, zone, name), record_seen(name))
        record = {attr: list(values) for attr, values in (before or {}).items()}
        for attr, values in wanted.items():
            current = record.setdefault(attr, [])
            for v in values:
                if v in current:
                    continue  # the same text: no change (set(old + new))
                if attr in ("arecord", "aaaarecord", "ptrrecord") and \
                        v.lower() in (c.lower() for c in current):
                    # caseIgnoreIA5Match: LDAP answers TYPE_OR_VALUE_EXISTS
                    raise errors.IpaDuplicateEntry(message="Type or value exists")
                current.append(v)
        apply_attr_options(record, kw, dict.fromkeys((*RECORD_ATTRS, "dnsttl", "dnsclass"), True))
        for attr in ("dnsttl", "dnsclass"):
            if kw.get(attr) is not None:
                record[attr] = [str(kw[attr])]
        if record == (before or {}):
            raise errors.IpaEmptyModlist()
        if before is not None:  # DuplicateEntry -> exc_callback modifies the entry
            check_record_change(call, zone, name, before, record)
        _check_cname(name, record)
        zone.records[name] = record
        entry = record_entry(call, zone, name, objectclass=True)
        absolute_name = zone.name if name == "@" else f"{name}.{zone.name}"
        for ip in reverse_ips:
            try:
                add_ptr(store, ip, absolute_name)
            except errors.IpaNotFound as exc:
                raise errors.IpaNonFatalError(
                    reason=f'Cannot create reverse record for "{ip}": {exc.message}') from None
    return {"result": entry, "value": DNSName(name), "summary": None}


def dnsrecord_show(call: Call, kw: dict[str, Any]) -> dict:
    with call.store.reading() as store:
        zone = get_zone(call, store, kw["dnszoneidnsname"])
        name = record_name(zone, kw["idnsname"])
        if name not in zone.records:
            raise record_not_found(kw["idnsname"])
        entry = record_entry(call, zone, name, objectclass=kw.get("all", False))
    return {"result": entry, "value": DNSName(name), "summary": None}


def dnsrecord_find(call: Call, kw: dict[str, Any]) -> dict:
    filters = {attr: kw[attr] for attr in RECORD_ATTRS if kw.get(attr)}
    criteria = (kw.get("criteria") or "").lower()
    entries = []
    with call.store.reading() as store:
        zone = get_zone(call, store, kw["dnszoneidnsname"])
        only = record_name(zone, kw["idnsname"]) if kw.get("idnsname") else None
        for name in sorted(zone.records, key=lambda n: (n != "@", n)):
            record = zone.records[name]
            if only is not None and name != only:
                continue
            # An LDAP equality filter: caseIgnoreIA5Match, textual (no canonical IPv6).
            if not all(v.lower() in (h.lower() for h in record.get(attr, []))
                       for attr, vs in filters.items() for v in vs):
                continue
            if kw.get("dnsttl") is not None and record.get("dnsttl") != [str(kw["dnsttl"])]:
                continue
            values = [name, *(v for vs in record.values() for v in vs)]
            if criteria and not any(criteria in v.lower() for v in values):
                continue
            if kw.get("pkey_only"):
                entries.append({"dn": record_dn(call, zone, name), "idnsname": [DNSName(name)]})
            else:
                entries.append(record_entry(call, zone, name, objectclass=kw.get("all", False)))
    return finish_search(call, entries, kw, None)


def dnsrecord_del(call: Call, kw: dict[str, Any]) -> dict:
    with call.store.writing() as store:
        zone = get_zone(call, store, kw["dnszoneidnsname"])
        name = record_name(zone, kw["idnsname"])
        if kw.get("del_all"):
            if name == "@":
                raise errors.IpaValidationError(
                    name="del_all", error="Zone record '@' cannot be deleted")
            if name not in zone.records:
                raise record_not_found(kw["idnsname"])
            del zone.records[name]
            return _deleted_record(name)
        unwanted = record_values(kw, parts=False)
        if not unwanted:
            raise errors.IpaOptionError(NO_DEL_OPTION)
        if name not in zone.records:
            raise record_not_found(kw["idnsname"])
        record = {attr: list(values) for attr, values in zone.records[name].items()}
        for attr, values in unwanted.items():
            for value in values:
                if value not in record.get(attr, []):
                    label = f"{attr[: -len('record')].upper()} record"
                    raise errors.IpaAttrValueNotFound(attr=label, value=value)
                record[attr].remove(value)
            if not record[attr]:
                del record[attr]
        emptied = name != "@" and not has_records(record)
        check_record_change(call, zone, name, zone.records[name], None if emptied else record)
        if emptied:
            del zone.records[name]
            return _deleted_record(name)
        zone.records[name] = record
        entry = record_entry(call, zone, name, dn=False)
    return {"result": entry, "value": [DNSName(name)], "summary": None}


def _deleted_record(name: str) -> dict:
    return {"result": {"failed": []}, "value": [DNSName(name)],
            "summary": f'Deleted record "{name}"'}


_RECORD_OPTIONS_ADD = _record_params(parts=True)
_RECORD_OPTIONS = _record_params(parts=False)

COMMANDS = (
    command("dnszone_add", dnszone_add,
            args=[param("idnsname?", "dnsname", cli="name")],
            options=[*ZONE_ATTR_OPTIONS, ADDATTR, SETATTR, ALL, RAW,
                     param("force", "flag"), param("skip_nameserver_check", "flag"),
                     param("skip_overlap_check", "flag"), param("ip_address?"),
                     param("name_from_ip?")]),
    command("dnszone_del", dnszone_del, args=[param("idnsname+", "dnsname", cli="name")],
            options=[CONTINUE], output=MULTI_DELETE),
    command("dnszone_show", dnszone_show, args=[param("idnsname", "dnsname", cli="name")],
            options=[ALL, RAW, RIGHTS]),
    command("dnszone_find", dnszone_find, args=[param("criteria?")],
            options=[*(p for p in ZONE_ATTR_OPTIONS), param("idnsname?", "dnsname", cli="name"),
                     param("idnszoneactive?", "bool", cli="zone_active"),
                     param("name_from_ip?"), param("forward_only", "flag"), *SEARCH_OPTIONS],
            output=ENTRY_LIST),
    command("dnsrecord_add", dnsrecord_add, args=[ZONE_ARG, RECORD_ARG],
            options=[*_RECORD_OPTIONS_ADD, *DNS_COMMON, ADDATTR, SETATTR, ALL, RAW,
                     param("force", "flag")]),
    command("dnsrecord_show", dnsrecord_show, args=[ZONE_ARG, RECORD_ARG],
            options=[ALL, RAW, RIGHTS, param("structured", "flag")]),
    command("dnsrecord_find", dnsrecord_find, args=[ZONE_ARG, param("criteria?")],
            options=[*_RECORD_OPTIONS, *DNS_COMMON, param("idnsname?", "dnsname", cli="name"),
                     *SEARCH_OPTIONS],
            output=ENTRY_LIST),
    command("dnsrecord_del", dnsrecord_del, args=[ZONE_ARG, RECORD_ARG],
            options=[*_RECORD_OPTIONS, *DNS_COMMON, param("del_all", "flag"),
                     param("raw", "flag")],
            output=MULTI_DELETE),
)
