"""Drive a FakeIPA server with FreeIPA's own client (ipalib + ipaclient).

Run with the interpreter of the ipalib virtualenv, not the project's:

    python drive.py URL REALM DOMAIN CONFDIR SCENARIO

It bootstraps ipalib without /etc/ipa (compat mode, because the emulator
answers ``schema`` with CommandError), runs one scenario and prints a JSON
report of what the client got back: values, their Python types, and any
exception with its ipalib class, errno and attributes. ipalib validates every
answer's shape itself, so a malformed answer shows up as an exception here.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from urllib.parse import urlsplit

from ipalib import api, errors


def describe(value):
    """JSON-friendly description that keeps the Python type of leaf values."""
    if isinstance(value, dict):
        return {str(k): describe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [describe(v) for v in value]
    if isinstance(value, (bool, int)) or value is None:
        return value
    return {"type": type(value).__name__, "value": str(value)}


def attempt(report, key, func, *args, **kwargs):
    """Record a call's result, or the exception ipalib raised for it."""
    try:
        report[key] = {"ok": describe(func(*args, **kwargs))}
    except errors.PublicError as exc:
        report[key] = {"error": {"class": type(exc).__name__, "errno": exc.errno,
                                 "message": str(exc),
                                 "name": getattr(exc, "name", None)}}
    except Exception as exc:
        report[key] = {"crash": f"{type(exc).__name__}: {exc}"}


def enroll(base_url, fqdn, otp):
    request = urllib.request.Request(
        f"{base_url}/ipa/fake/enroll", method="POST",
        data=json.dumps({"fqdn": fqdn, "otp": otp}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def scenario_host(cmd, base_url, domain, report):
    fqdn = f"vm1.{domain}"
    attempt(report, "ping", cmd.ping)
    attempt(report, "add", cmd.host_add, fqdn, userpassword="otp-1", force=True,
            description="IPA host for OpenStack", userclass=["compute"],
            nsosversion="fedora 40", nshostlocation="az1")
    attempt(report, "show", cmd.host_show, fqdn)
    attempt(report, "reset_otp", cmd.host_mod, fqdn, userpassword="otp-2")
    report["enroll"] = enroll(base_url, fqdn, "otp-2")
    attempt(report, "otp_on_enrolled", cmd.host_mod, fqdn, userpassword="otp-3")
    attempt(report, "disable", cmd.host_disable, fqdn)
    attempt(report, "otp_after_disable", cmd.host_mod, fqdn, userpassword="otp-4")
    attempt(report, "find", cmd.host_find, fqdn=fqdn)
    attempt(report, "find_none", cmd.host_find, fqdn=f"nothing.{domain}")
    attempt(report, "delete", cmd.host_del, fqdn)
    attempt(report, "show_deleted", cmd.host_show, fqdn)


def scenario_batch(cmd, base_url, domain, report):
    fqdn = f"web.{domain}"
    attempt(report, "batch", cmd.batch, [
        {"method": "host_add", "params": [[fqdn], {"force": True}]},
        {"method": "host_show", "params": [[f"missing.{domain}"], {}]},
        {"method": "host_show", "params": [[fqdn], {}]},
    ])


def scenario_dns(cmd, base_url, domain, report):
    from ipapython.dnsutil import DNSName

    zone = f"{domain}."
    attempt(report, "reverse_zone", cmd.dnszone_add, name_from_ip="10.9.8.0/24")
    attempt(report, "add", cmd.dnsrecord_add, zone, DNSName("vm1"),
            a_part_ip_address="10.9.8.7", a_extra_create_reverse=True)
    attempt(report, "add_more", cmd.dnsrecord_add, zone, DNSName("vm1"),
            arecord=["10.9.8.6"])
    attempt(report, "add_duplicate", cmd.dnsrecord_add, zone, DNSName("vm1"),
            arecord=["10.9.8.6"])
    attempt(report, "find", cmd.dnsrecord_find, zone, arecord="10.9.8.7")
    attempt(report, "ptr", cmd.dnsrecord_show, "8.9.10.in-addr.arpa.", DNSName("7"))
    attempt(report, "del_value", cmd.dnsrecord_del, zone, DNSName("vm1"), arecord=["10.9.8.6"])
    attempt(report, "del_absent", cmd.dnsrecord_del, zone, DNSName("vm1"), arecord=["10.1.1.1"])
    attempt(report, "del_all", cmd.dnsrecord_del, zone, DNSName("vm1"), del_all=True)
    attempt(report, "show_deleted", cmd.dnsrecord_show, zone, DNSName("vm1"))
    attempt(report, "zone_show", cmd.dnszone_show, zone)


def scenario_service(cmd, base_url, domain, report):
    host, other = f"web.{domain}", f"vm1.{domain}"
    attempt(report, "hosts", cmd.batch, [
        {"method": "host_add", "params": [[host], {"force": True}]},
        {"method": "host_add", "params": [[other], {"force": True}]},
    ])
    attempt(report, "add", cmd.service_add, f"HTTP/{host}", force=True)
    attempt(report, "add_host", cmd.service_add_host, f"HTTP/{host}",
            host=[other, f"missing.{domain}"])
    attempt(report, "show", cmd.service_show, f"HTTP/{host}")
    attempt(report, "find", cmd.service_find, man_by_host=other)
    attempt(report, "foreign_realm", cmd.service_add, f"HTTP/{host}@ELSEWHERE.TEST",
            force=True)
    attempt(report, "delete", cmd.service_del, f"HTTP/{host}")


def scenario_rbac(cmd, base_url, domain, report):
    host, perm, priv, role = f"web.{domain}", "Test Owned Hosts", "Test Privilege", "Test Role"
    attempt(report, "host", cmd.host_add, host, force=True)
    attempt(report, "service", cmd.service_add, f"HTTP/{host}", force=True)
    attempt(report, "perm_add", cmd.permission_add, perm, type="host", ipapermright=["write"],
            attrs=["description"], extratargetfilter=["(description=owned*)"])
    attempt(report, "perm_duplicate", cmd.permission_add, perm, type="host",
            ipapermright=["add"])
    attempt(report, "perm_show", cmd.permission_show, perm, all=True)
    attempt(report, "perm_mod", cmd.permission_mod, perm, ipapermright=["write", "delete"])
    attempt(report, "perm_find", cmd.permission_find, "Test Owned")
    attempt(report, "system_show", cmd.permission_show, "System: Read DNS Entries")
    attempt(report, "priv_add", cmd.privilege_add, priv, description="test")
    attempt(report, "priv_add_perm", cmd.privilege_add_permission, priv,
            permission=[perm, "Missing Permission"])
    attempt(report, "role_add", cmd.role_add, role, description="test")
    attempt(report, "role_add_priv", cmd.role_add_privilege, role, privilege=[priv])
    attempt(report, "role_add_member", cmd.role_add_member, role, service=[f"HTTP/{host}"],
            user=["admin", "nobody"])
    attempt(report, "role_show", cmd.role_show, role)
    attempt(report, "role_find", cmd.role_find, "Test")
    attempt(report, "priv_find", cmd.privilege_find, "Test")
    attempt(report, "servers", cmd.server_find)
    attempt(report, "perm_del_system", cmd.permission_del, "Revoke Certificate")
    attempt(report, "perm_del", cmd.permission_del, perm)
    attempt(report, "role_del", cmd.role_del, role)
    attempt(report, "priv_del", cmd.privilege_del, priv)
    attempt(report, "role_show_deleted", cmd.role_show, role)


SCENARIOS = {"host": scenario_host, "batch": scenario_batch, "dns": scenario_dns,
             "service": scenario_service, "rbac": scenario_rbac}


def portless_referer():
    """ipalib sends ``Referer: https://<host of its URL>/ipa/xml`` (rpc.py
    LanguageAwareTransport.get_host_info), port included. A real server listens on 443,
    so its URL has no port and the Referer passes IPA's check (doc/freeipa-behaviour.md
    section 1); the emulator listens on a free port, which would make every call a
    RefererError. Drop the port from that one header, as it would be on 443."""
    from ipalib import rpc

    original = rpc.LanguageAwareTransport.get_host_info

    def get_host_info(self, host):
        host, headers, x509 = original(self, host)
        headers = [(k, f"https://{urlsplit(v).hostname}/ipa/xml") if k == "Referer"
                   else (k, v) for k, v in headers]
        return host, headers, x509

    rpc.LanguageAwareTransport.get_host_info = get_host_info


def main():
    url, realm, domain, confdir, scenario = sys.argv[1:6]
    portless_referer()
    host = urlsplit(url).hostname
    api.bootstrap(context="cli", in_server=False, server=host, realm=realm, domain=domain,
                  xmlrpc_uri=f"{url}/ipa/xml", confdir=confdir, fallback=False,
                  log=None)
    api.finalize()
    api.Backend.rpcclient.connect()
    report = {}
    SCENARIOS[scenario](api.Command, url, domain, report)
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
