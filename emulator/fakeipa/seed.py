"""The entries a fresh FreeIPA server has that the emulator models: its permissions.

Managed permissions ("System: ...", flags SYSTEM/V2/MANAGED) carry default
attributes and cannot be deleted or retargeted; the old-style SYSTEM ones of
virtual operations (certificates) have no ACI of their own. Only the ones
around hosts, services, DNS and certificates are here, with their real names,
rights and targets (FreeIPA's ``managed_permissions`` of those plugins).
"""

from __future__ import annotations

from fakeipa.commands.base import ServerEnv
from fakeipa.commands.permission import TYPES
from fakeipa.store import Directory, Permission

_DNS_ATTRS = ("objectclass", "idnsname", "dnsttl", "dnsclass", "arecord", "aaaarecord",
              "ptrrecord", "cnamerecord", "nsrecord", "mxrecord", "srvrecord", "txtrecord",
              "sshfprecord", "idnszoneactive", "idnssoamname", "idnssoarname", "idnssoaserial",
              "idnsallowdynupdate", "idnsupdatepolicy", "managedby")
# name -> (type or None for the DNS tree, rights, default attributes, extra filters)
MANAGED = {
    "System: Read Hosts": ("host", ("read", "search", "compare"),
                           ("cn", "description", "fqdn", "krbprincipalname", "managedby",
                            "nsosversion", "objectclass", "userclass"), ()),
    "System: Add Hosts": ("host", ("add",), (), ()),
    "System: Modify Hosts": ("host", ("write",),
                             ("description", "l", "nshardwareplatform", "nshostlocation",
                              "nsosversion", "macaddress", "userclass", "ipaassignedidview",
                              "krbprincipalauthind"), ()),
    "System: Remove Hosts": ("host", ("delete",), (), ()),
    "System: Manage Host Keytab": ("host", ("write",), ("krblastpwdchange", "krbprincipalkey"),
                                   ("(!(memberOf=cn=ipaservers,cn=hostgroups,cn=accounts,"
                                    "{basedn}))",)),
    "System: Manage Host Enrollment Password": ("host", ("write",), ("userpassword",), ()),
    "System: Manage Host Certificates": ("host", ("write",), ("usercertificate",), ()),
    "System: Add Services": ("service", ("add",), (), ()),
    "System: Modify Services": ("service", ("write",),
                                ("usercertificate", "krbprincipalauthind"), ()),
    "System: Manage Service Keytab": ("service", ("write",),
                                      ("krblastpwdchange", "krbprincipalkey"), ()),
    "System: Remove Services": ("service", ("delete",), (), ()),
    "System: Read DNS Entries": (None, ("read", "search", "compare"), _DNS_ATTRS, ()),
    "System: Add DNS Entries": (None, ("add",), (), ()),
    "System: Update DNS Entries": (None, ("write",), _DNS_ATTRS, ()),
    "System: Remove DNS Entries": (None, ("delete",), (), ()),
}
# Old-style SYSTEM permissions of virtual operations (cert_revoke and friends).
LEGACY = ("Request Certificate", "Retrieve Certificates from the CA", "Revoke Certificate")


def populate(store: Directory, env: ServerEnv) -> None:
    """Store the permissions a fresh FreeIPA server has."""
    with store.writing():
        for name, (kind, rights, defaults, extra) in MANAGED.items():
            filters = [f.format(basedn=env.basedn) for f in extra]
            if kind:
                container, implied = TYPES[kind]
                location, target = f"{container},{env.basedn}", None
                filters.insert(0, implied)
            else:
                location, target = env.basedn, f"idnsname=*,cn=dns,{env.basedn}"
            store.permissions[name.lower()] = Permission(
                name, list(rights), location, filters=filters, target=target,
                defaults=list(defaults), bindtype="all" if name == "System: Read Hosts"
                else "permission", flags=["SYSTEM", "V2", "MANAGED"])
        for name in LEGACY:
            store.permissions[name.lower()] = Permission(name, [], "", flags=["SYSTEM"])
