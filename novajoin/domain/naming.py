"""The one place that turns nova's facts into IPA names.

Both the enrollment API and the notification listener compute host FQDNs,
sub-host names and service principals here, so a host created at boot is
found again at delete (novajoin 1.x computed them twice, differently).

Everything that comes from an instance (its hostname, metadata) is untrusted:
a name is either made valid by the documented rules (lower case, project name
normalisation) or refused with a :class:`NameError_` that says why.
"""

from __future__ import annotations

import dataclasses
import re

from novajoin.exception import InvalidName

MAX_LABEL = 63
MAX_FQDN = 253
# IPA's default ipaMaxHostnameLength (cn=ipaConfig; host_add refuses longer names).
IPA_MAX_HOSTNAME = 64

IPA_CA = "ipa-ca"
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")  # used with fullmatch
_SERVICE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")  # used with fullmatch
_NOT_DNS = re.compile(r"[^a-z0-9-]+")


def check_label(label: str, what: str = "DNS label") -> str:
    """``label`` lower-cased, or :class:`InvalidName` with the rule it breaks."""
    if not isinstance(label, str) or not label:
        raise InvalidName(what=what, name=label, reason="it is empty")
    low = label.lower()
    if len(low) > MAX_LABEL:
        raise InvalidName(what=what, name=label, reason=f"it is longer than {MAX_LABEL} characters")
    if not _LABEL.fullmatch(low):
        if not low.isascii():
            reason = "only ASCII letters, digits and '-' may be used"
        elif low.startswith("-") or low.endswith("-"):
            reason = "it may not begin or end with '-'"
        else:
            reason = "only letters, digits and '-' may be used"
        raise InvalidName(what=what, name=label, reason=reason)
    return low


def check_fqdn(fqdn: str, what: str = "host name") -> str:
    """``fqdn`` lower-cased without a trailing dot, each label checked."""
    if not isinstance(fqdn, str) or not fqdn.strip("."):
        raise InvalidName(what=what, name=fqdn, reason="it is empty")
    name = fqdn.lower().rstrip(".")
    if len(name) > MAX_FQDN:
        raise InvalidName(what=what, name=fqdn, reason=f"it is longer than {MAX_FQDN} characters")
    for label in name.split("."):
        if len(label) > MAX_LABEL or not _LABEL.fullmatch(label):  # say which rule it breaks
            check_label(label, what=f"label of {what} {fqdn!r}:")
    return name


def normalize_label(text: str) -> str:
    """Make a project name a DNS label: runs of other characters become '-'."""
    return _NOT_DNS.sub("-", text.lower()).strip("-")[:MAX_LABEL].strip("-")


@dataclasses.dataclass(frozen=True)
class Principal:
    """A Kerberos service principal ``service/host`` (realm kept apart)."""

    service: str
    host: str

    def __str__(self) -> str:
        return f"{self.service}/{self.host}"

    def with_realm(self, realm: str) -> str:
        return f"{self}@{realm}"


# Service names an instance may never claim, compared case-insensitively (the KDC
# treats principal names case-sensitively, but IPA and clients differ; refusing every
# case leaves no look-alike). Sources: MIT krb5's reserved principals (krbtgt/, kadmin/,
# K/M, kiprop/, changepw/, WELLKNOWN/ in src/include/k5-int.h and kdb.h), and FreeIPA's
# host/ principal of every host entry (ipaserver/plugins/service.py refuses host/ in
# service_add).
RESERVED_SERVICES = {
    "host": "host/ principals belong to IPA's own host entries",
    "krbtgt": "krbtgt/ principals are the KDC's ticket-granting keys",
    "kadmin": "kadmin/ principals are the Kerberos admin service's",
    "k": "K/M is the Kerberos master key's principal",
    "kiprop": "kiprop/ principals are Kerberos replication's",
    "changepw": "changepw/ principals are the password-change service's",
    "wellknown": "WELLKNOWN/ principals are reserved by Kerberos (anonymous, federated)",
}


def check_service(service: str) -> str:
    """A service name (the part before '/' of a principal), or InvalidName."""
    if not isinstance(service, str) or not _SERVICE.fullmatch(service):
        raise InvalidName(what="service name", name=service,
                          reason="it may hold only letters, digits, '.', '_' and '-'")
    reserved = RESERVED_SERVICES.get(service.lower())
    if reserved:
        raise InvalidName(what="service name", name=service, reason=reserved)
    return service


def parse_principal(text: str, realm: str | None = None) -> Principal:
    """Parse ``service/host[@REALM]``; a realm other than ``realm`` is refused."""
    if not isinstance(text, str):
        raise InvalidName(what="service principal", name=text, reason="it is not a string")
    body, _, princ_realm = text.strip().partition("@")
    if princ_realm and realm and princ_realm != realm:
        raise InvalidName(what="service principal", name=text,
                          reason=f"its realm is not {realm}")
    service, sep, host = body.partition("/")
    if not sep or not host:
        raise InvalidName(what="service principal", name=text, reason="it is not service/host")
    check_service(service)
    return Principal(service, check_fqdn(host, what="host of service principal"))


@dataclasses.dataclass(frozen=True)
class Naming:
    """Name rules of one deployment (``domain``, ``project_subdomain``...).

    :param domain: DNS domain of instances (``[DEFAULT] domain``).
    :param project_subdomain: put hosts under ``<project>.<domain>``.
    :param normalize_project: turn a project name with characters invalid
        in DNS into a valid label instead of refusing it.
    :param max_host_length: the longest host name IPA takes (its ipaMaxHostnameLength).
    """

    domain: str
    project_subdomain: bool = False
    normalize_project: bool = True
    max_host_length: int = IPA_MAX_HOSTNAME

    def __post_init__(self) -> None:
        object.__setattr__(self, "domain", check_fqdn(self.domain, what="domain"))

    def check_host_length(self, fqdn: str, what: str = "host name") -> str:
        """``fqdn`` if IPA's host_add takes its length, else :class:`InvalidName`.

        IPA counts the normalised name (lower case, no trailing dot), the form every
        name here already has (host.py ``host_add.pre_callback``; doc/freeipa-behaviour.md
        section 2).
        """
        if len(fqdn) > self.max_host_length:
            raise InvalidName(what=what, name=fqdn, reason=(
                f"it has {len(fqdn)} characters and IPA takes host names of at most "
                f"{self.max_host_length} (its ipaMaxHostnameLength; novajoin's "
                f"max_hostname_length)"))
        return fqdn

    def zone(self, project_name: str | None = None) -> str:
        """The DNS domain an instance of this project lives in."""
        if not self.project_subdomain:
            return self.domain
        return f"{self.project_label(project_name)}.{self.domain}"

    def project_label(self, project_name: str | None) -> str:
        """The DNS label of a project's subdomain, or :class:`InvalidName`."""
        if not project_name:
            raise InvalidName(what="project name", name=project_name,
                              reason="project_subdomain is on and the project has no name")
        label = normalize_label(project_name) if self.normalize_project else project_name
        return check_label(label, what="project name")

    def label_or_none(self, project_name: str) -> str | None:
        """:meth:`project_label`, None for a name that makes no label."""
        try:
            return self.project_label(project_name)
        except InvalidName:
            return None

    def host_fqdn(self, hostname: str, project_name: str | None = None) -> str:
        """The FQDN of an instance from nova's ``hostname``.

        A bare name gets the zone appended; a name that is already an FQDN
        (nova microversion 2.94) must lie in the zone and is kept.
        """
        zone = self.zone(project_name)
        if not isinstance(hostname, str) or not hostname.strip("."):
            raise InvalidName(what="host name", name=hostname, reason="it is empty")
        name = hostname.lower().rstrip(".")
        if "." not in name:
            fqdn = check_fqdn(f"{check_label(name, what='host name')}.{zone}")
        else:
            fqdn = check_fqdn(name)
            if not fqdn.endswith("." + zone):
                raise InvalidName(what="host name", name=hostname,
                                  reason=f"it is a fully qualified name outside {zone}")
        if fqdn == f"{IPA_CA}.{self.domain}":
            # The realm's CA name (install/share: ipa-ca A/AAAA records of every CA server):
            # a host by that name could get certificates for the CA's name.
            raise InvalidName(what="host name", name=hostname,
                              reason=f"{IPA_CA} is IPA's own name for its CA")
        return self.check_host_length(fqdn)

    def short_name(self, fqdn: str, project_name: str | None = None) -> str:
        """The host part of an instance FQDN relative to its zone."""
        return fqdn[: -len(self.zone(project_name)) - 1]

    def compact_host(self, host_fqdn: str, network: str, project_name: str | None = None) -> str:
        """Sub-host of a compact service: ``<short>.<network>.<zone>``."""
        short = self.short_name(host_fqdn, project_name)
        label = check_label(network, what="network name")
        return self.check_host_length(check_fqdn(f"{short}.{label}.{self.zone(project_name)}"),
                                      what=f"sub-host name for network {network!r}")

    def is_own_host(self, host: str, host_fqdn: str, project_name: str | None = None) -> bool:
        """Whether ``host`` is derived from the instance's own name.

        That is the instance FQDN itself or one of its compact sub-hosts
        ``<short>.<one label>.<zone>``; a tenant may claim no other name.
        """
        if host == host_fqdn:
            return True
        zone = self.zone(project_name)
        short = self.short_name(host_fqdn, project_name)
        prefix, suffix = f"{short}.", f".{zone}"
        if not (host.startswith(prefix) and host.endswith(suffix)):
            return False
        middle = host[len(prefix): -len(suffix)]
        return bool(middle) and "." not in middle and _LABEL.fullmatch(middle) is not None


def split_in_zone(name: str, zones: list[str]) -> tuple[str, str] | None:
    """``(zone, relative name)`` for the longest of ``zones`` containing ``name``.

    Zones are given as IPA lists them (``example.test.``); None when no zone
    contains the name.
    """
    name = name.rstrip(".").lower()
    best = None
    for zone in zones:
        z = zone.rstrip(".").lower()
        if name.endswith("." + z) and (best is None or len(z) > len(best)):
            best = z
    if best is None:
        return None
    return best + ".", name[: -len(best) - 1]


def reverse_in_zone(address: str, zones: list[str]) -> tuple[str, str] | None:
    """Where the PTR record of ``address`` goes among ``zones``, if anywhere."""
    import ipaddress

    return split_in_zone(ipaddress.ip_address(address).reverse_pointer, zones)
