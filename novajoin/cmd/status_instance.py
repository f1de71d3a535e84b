"""``novajoin-status instance UUID``: what novajoin computes and IPA holds for one instance.

Read-only (``*_show`` and ``*_find`` only), with novajoin's own IPA principal and
``[service_credentials]``; meant for administrators answering "my VM did not
join". Shows:

* nova's view (project, host name, status) and the names novajoin computes
  from it (FQDN, sub-hosts, services), or why it computes none;
* every IPA host tagged with the instance (and the computed FQDN even untagged):
  owner tag and generation, enrolled (keytab), OTP set, disabled (neither),
  services and their managers;
* the DNS records of the host name (A/AAAA, and PTR where IPA has the reverse zone);
* the last audit log lines about it (``--audit-log``).

Exit 0 when read, 1 when neither nova nor IPA know the instance, else the
class's ``exit_code`` of what failed (4: IPA unreachable).
"""

from __future__ import annotations

import collections
import json
import re
import sys
from typing import Any

from novajoin import exception, openstack
from novajoin.domain import dns, ownership
from novajoin.domain.naming import reverse_in_zone

_UUID = re.compile(r"^[0-9a-fA-F-]{8,64}$")


def _nova(core, instance_id: str) -> tuple[dict[str, Any] | None, Any]:
    from keystoneauth1 import exceptions as ks_exc
    sdk_exc = openstack.sdk().exceptions

    try:
        server = core.cloud.compute().get_server(instance_id)
    except sdk_exc.NotFoundException:
        return {"error": "nova does not know this instance (deleted?)"}, None
    except (sdk_exc.SDKException, ks_exc.ClientException, exception.NovajoinError) as exc:
        return {"error": f"cannot ask nova: {exc}"}, None
    image = server.image or {}
    view = {"name": server.name, "hostname": getattr(server, "hostname", None) or server.name,
            "project_id": server.project_id, "status": server.status,
            "image_id": image.get("id") if isinstance(image, dict) else None,
            "metadata": dict(server.metadata or {})}
    return view, server


def _computed(core, instance_id: str, nova: dict[str, Any]) -> dict[str, Any]:
    try:
        enrollment = core.describer.for_boot(instance_id, nova["project_id"], nova["hostname"],
                                             nova["metadata"], nova["image_id"])
    except exception.NovajoinError as exc:
        return {"error": f"{exc.code}: {exc}"}
    if enrollment is None:
        return {"wants_enrollment": False,
                "reason": "neither its metadata nor its image ask for enrollment (ipa_enroll)"}
    return {"wants_enrollment": True, "fqdn": enrollment.fqdn, "subhosts": enrollment.subhosts,
            "services": sorted(str(p) for p in enrollment.services),
            "owner_tag": enrollment.owner.tag()}


def _records(ipa, fqdn: str, zones: list[str]) -> dict[str, Any]:
    where = dns.placement(fqdn, zones)
    if where is None:
        return {"zone": None, "note": "no IPA DNS zone holds this name"}
    zone, name = where
    try:
        entry = ipa.call("dnsrecord_show", zone, name)["result"]
    except exception.IpaNotFound:
        return {"zone": zone, "name": name, "A": [], "AAAA": [], "PTR": {}}
    a, aaaa = list(entry.get("arecord") or ()), list(entry.get("aaaarecord") or ())
    ptrs: dict[str, list[str] | None] = {}
    for address in a + aaaa:
        reverse = reverse_in_zone(address, zones)
        if reverse is None:
            ptrs[address] = None  # IPA has no reverse zone for it
            continue
        try:
            ptr = ipa.call("dnsrecord_show", *reverse)["result"].get("ptrrecord") or []
        except exception.IpaNotFound:
            ptr = []
        ptrs[address] = list(ptr)
    return {"zone": zone, "name": name, "A": a, "AAAA": aaaa, "PTR": ptrs}


def _host(ipa, fqdn: str, deployment: str, zones: list[str]) -> dict[str, Any] | None:
    try:
        entry = ipa.call("host_show", fqdn, all=True)["result"]
    except exception.IpaNotFound:
        return None
    owner = ownership.read(entry, deployment)
    tags = [t for t in entry.get("description") or () if t.startswith(ownership.PREFIX)]
    keytab, password = bool(entry.get("has_keytab")), bool(entry.get("has_password"))
    services = ipa.call("service_find", man_by_host=[fqdn], all=True)["result"]
    return {
        "fqdn": fqdn,
        "owned": owner is not None,
        "kind": owner.kind if owner else None,
        "generation": owner.generation if owner else None,
        "owner_tags": tags,
        "enrolled": keytab,
        "otp_set": password,
        "disabled": not keytab and not password,
        "managed_by": sorted(entry.get("managedby_host") or ()),
        "services": [{"principal": s["krbprincipalname"][0],
                      "managed_by": sorted(s.get("managedby_host") or ())} for s in services],
        "dns": _records(ipa, fqdn, zones),
    }


def _audit(path: str | None, instance_id: str, lines: int) -> list[str]:
    if not path:
        return []
    needle = f"instance={instance_id}"
    last: collections.deque[str] = collections.deque(maxlen=max(lines, 0))
    with open(path, encoding="utf-8", errors="replace") as stream:
        for line in stream:
            if needle in line:
                last.append(line.rstrip("\n"))
    return list(last)


def gather(core, instance_id: str, audit_log: str | None = None, lines: int = 10
           ) -> dict[str, Any]:
    """The instance's state as a dict (what ``--json`` prints)."""
    instance_id = instance_id.lower()
    nova, server = _nova(core, instance_id)
    computed = (_computed(core, instance_id, nova) if server is not None and nova is not None
                else None)
    ipa = core.ipa
    deployment = core.conf.deployment
    zones = ipa.dns_zones()
    tagged = ipa.call("host_find", f"instance={instance_id}", all=True)["result"]
    names = [h["fqdn"][0] for h in tagged
             if any(f"instance={instance_id} " in t for t in h.get("description") or ())]
    if computed and computed.get("fqdn") and computed["fqdn"] not in names:
        names.insert(0, computed["fqdn"])  # untagged (1.x, another's) or missing: show it
    hosts = {name: _host(ipa, name, deployment, zones) for name in names}
    return {"instance": instance_id, "deployment": deployment, "nova": nova,
            "computed": computed, "hosts": [h for h in hosts.values() if h],
            "missing": [n for n, h in hosts.items() if h is None],
            "audit": _audit(audit_log, instance_id, lines)}


def render(state: dict[str, Any]) -> str:
    out = [f"Instance {state['instance']} (deployment {state['deployment']})"]
    nova = state["nova"] or {}
    if "error" in nova:
        out.append(f"  nova: {nova['error']}")
    else:
        out.append(f"  nova: {nova['name']} in project {nova['project_id']}, {nova['status']}, "
                   f"host name {nova['hostname']}")
    computed = state["computed"]
    if computed is None:
        out.append("  novajoin computes: nothing (nova's view is missing)")
    elif "error" in computed:
        out.append(f"  novajoin computes: nothing, refused: {computed['error']}")
    elif not computed["wants_enrollment"]:
        out.append(f"  novajoin computes: nothing: {computed['reason']}")
    else:
        out.append(f"  novajoin computes: {computed['fqdn']}"
                   + (f", sub-hosts {', '.join(computed['subhosts'])}"
                      if computed["subhosts"] else "")
                   + (f", services {', '.join(computed['services'])}"
                      if computed["services"] else ""))
    for name in state["missing"]:
        out.append(f"  {name}: not in IPA")
    for h in state["hosts"]:
        owner = (f"owned ({h['kind']}, generation {h['generation']})" if h["owned"]
                 else "NOT owned by this deployment"
                 + (f" (tags: {'; '.join(h['owner_tags'])})" if h["owner_tags"]
                    else " (no owner tag)"))
        status = ("enrolled (keytab)" if h["enrolled"] else
                  "OTP set, not enrolled yet" if h["otp_set"] else "disabled (no keytab, no OTP)")
        out.append(f"  {h['fqdn']}: {owner}; {status}")
        if h["managed_by"]:
            out.append(f"    managed by: {', '.join(h['managed_by'])}")
        for s in h["services"]:
            out.append(f"    service {s['principal']} managed by {', '.join(s['managed_by'])}")
        d = h["dns"]
        if d.get("zone") is None:
            out.append(f"    DNS: {d['note']}")
        else:
            addrs = d["A"] + d["AAAA"]
            out.append(f"    DNS {d['name']}.{d['zone']}: "
                       + (", ".join(addrs) if addrs else "no A/AAAA records"))
            for address, ptr in d["PTR"].items():
                out.append(f"      PTR {address}: " + ("no reverse zone in IPA" if ptr is None
                                                        else ", ".join(ptr) or "none"))
    if state["audit"]:
        out.append("  audit:")
        out.extend(f"    {line}" for line in state["audit"])
    return "\n".join(out)


def run(conf, command, *, ipa=None, cloud=None) -> int:
    from novajoin.core import Core

    if not _UUID.match(command.instance_id):
        print(f"novajoin-status: error: {command.instance_id!r} is not an instance UUID",
              file=sys.stderr)
        return 2
    try:
        core = Core.from_conf(conf, ipa=ipa, cloud=cloud)
        state = gather(core, command.instance_id, command.audit_log, command.lines)
    except exception.NovajoinError as exc:
        print(f"novajoin-status: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        print(f"novajoin-status: error: cannot read the audit log: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(state, indent=2, sort_keys=True) if command.json else render(state))
    known = state["hosts"] or ("error" not in (state["nova"] or {"error": 1}))
    return 0 if known else 1
