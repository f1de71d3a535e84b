"""Hypothesis strategies for names, principals and instance metadata, shared by the fuzz tests."""

from __future__ import annotations

import json
import re

from hypothesis import strategies as st

from novajoin.domain import metadata
from tests.support import DOMAIN, REALM

VALID_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
VALID_SERVICE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")

# Characters that matter in names: the valid ones, separators and principal syntax, case,
# whitespace and control characters, and Unicode whose lower() is ASCII (KELVIN SIGN), longer
# (DOTTED CAPITAL I) or a dot look-alike, and "\n" (a regex ending in "$" lets one through at
# the end of a name).
NAME_CHARS = st.sampled_from(
    list("abcxyz019-.AZ_ /@*\t\r\n\x00:") + ["\u212a", "\u0130", "é", "ß", "\u00a0", "\uff0e",
                                            "\u3002", "\ud7ff"])
JUNK = st.text(NAME_CHARS, max_size=40)
_ALNUM = st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789")
# Valid DNS labels (cheaper to draw than from_regex; lengths near 63 come from hostnames()).
LABEL = st.one_of(_ALNUM, st.builds(lambda a, middle, z: a + middle + z, _ALNUM,
                                    st.text(st.sampled_from("abcxyz019-"), max_size=12), _ALNUM))
NOT_TEXT = st.one_of(st.none(), st.integers(), st.booleans(), st.lists(st.integers(), max_size=2))


def valid_fqdn(name: str, zone: str | None = None) -> None:
    """Assert ``name`` is a lower-case FQDN (inside ``zone``) that IPA and DNS accept."""
    assert isinstance(name, str)
    assert name == name.lower() and name.isascii(), name
    assert len(name) <= 253, name
    for label in name.split("."):
        assert VALID_LABEL.fullmatch(label), (name, label)
    if zone is not None:
        assert name.endswith("." + zone) and name != zone, (name, zone)


@st.composite
def hostnames(draw, zone=DOMAIN, text_only=False):
    """Bare names, dotted names, FQDNs in and out of the zone, names near the length limits."""
    label = st.one_of(LABEL, LABEL.map(str.upper), JUNK)
    dotted = st.lists(label, min_size=1, max_size=4).map(".".join)
    long_labels = st.lists(st.integers(50, 64).map(lambda n: "b" * n), min_size=1, max_size=5)
    kind = draw(st.sampled_from(["label", "junk", "dotted", "in-zone", "long", "other"]))
    if kind == "label":
        return draw(label)
    if kind == "junk":
        return draw(JUNK if text_only else st.one_of(JUNK, NOT_TEXT))
    if kind == "dotted":
        return draw(dotted)
    if kind == "long":
        return ".".join(draw(long_labels)) + draw(st.sampled_from(["", "." + zone]))
    suffix = draw(st.sampled_from([zone, zone.upper(), zone + ".", "dev-team." + zone,
                                   "evil-" + zone, zone + ".evil.test"]))
    if kind == "in-zone":
        return f"{draw(dotted)}.{suffix}"
    return draw(st.sampled_from(["", ".", "..", "." + zone, zone, "x." + zone[1:]]))


SERVICES = st.one_of(st.sampled_from(["HTTP", "ldap", "host", "HOST", "nfs", "mysql", "a.b_c",
                                      "-x", "HTTP/x", "HTTP@X", ""]), JUNK)
REALM_SUFFIXES = st.sampled_from(["", f"@{REALM}", "@OTHER.TEST", "@", f"@{REALM.lower()}",
                                  f"@{REALM}@{REALM}", "@/x"])


@st.composite
def principal_texts(draw, hosts=None):
    """``service/host[@REALM]`` texts, mostly close to valid, sometimes anything."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.one_of(JUNK, NOT_TEXT))
    host = draw(hosts if hosts is not None else st.one_of(
        hostnames(text_only=True),
        st.sampled_from([f"victim.{DOMAIN}", f"web.{DOMAIN}", "x/y", "", f"web.{DOMAIN}/z"])))
    pad = draw(st.sampled_from(["", " ", "\t"]))
    return f"{pad}{draw(SERVICES)}/{host}{draw(REALM_SUFFIXES)}{pad}"


NETWORKS = st.one_of(LABEL, st.sampled_from(["ctl", "CTL", "", "a.b", "x/y", "-"]), JUNK)

# Service names of compact_services/compact_service_* with principal syntax in them
# ("HTTP/victim.example.com@") tried to name a host of the tenant's choosing (a bug found by
# this suite, fixed); ``injection=True`` keeps them in the mix.
INJECTED_SERVICES = [f"HTTP/victim.{DOMAIN}@", f"HTTP/victim.{DOMAIN}@{REALM}",
                     "HTTP/www.corp.example.com@", "HTTP/", "@"]


def foreign_hosts(own: str) -> list[str]:
    """Host names around an instance's own short name ``own``: its own, and look-alikes."""
    return [f"{own}.{DOMAIN}", f"{own}.ctl.{DOMAIN}", f"{own}.a.b.{DOMAIN}",
            f"victim.{DOMAIN}", f"victim.ctl.{DOMAIN}", f"sibling.ctl.{DOMAIN}",
            f"vip.{DOMAIN}", f"vip.apps.{DOMAIN}", f"{own}.{DOMAIN}.evil.test",
            f"x{own}.ctl.{DOMAIN}", f"ctl.{own}.{DOMAIN}", f"{own.upper()}.CTL.{DOMAIN.upper()}"]


def principal_values(own: str):
    hosts = st.sampled_from(foreign_hosts(own))
    return st.one_of(st.builds(lambda s, h, r: f"{s}/{h}{r}", SERVICES, hosts, REALM_SUFFIXES),
                     principal_texts(hosts))


def compact_values():
    networks = st.lists(st.one_of(NETWORKS, NOT_TEXT), max_size=3)
    return st.one_of(networks.map(json.dumps), JUNK, st.just("[[[[[]]]]]"),
                     st.just("[" * 3000 + "]" * 3000), st.just('{"a": ["b"]}'))


def legacy_values(injection: bool):
    services = st.one_of(SERVICES, st.sampled_from(["host", "ldap", *(
        INJECTED_SERVICES if injection else [])]))
    if not injection:
        services = services.filter(lambda name: "@" not in name)
    mapping = st.dictionaries(services, st.one_of(st.lists(NETWORKS, max_size=3), NOT_TEXT),
                              max_size=3)
    return st.one_of(mapping.map(json.dumps), JUNK, st.just("[]"), st.just("null"))


EXTRA_KEYS = st.sampled_from(["ipa_enroll", "ipa_hostclass", "other"])


def metadata_maps(own: str = "web", injection: bool = True, extra_keys=EXTRA_KEYS,
                  extra_values=JUNK):
    """Instance metadata as a tenant may write it: services on its own name and on others'."""
    suffixes = ["HTTP", "x", "web", "ldap", "host", ""]
    key_suffix = st.one_of(st.sampled_from(suffixes + (INJECTED_SERVICES if injection else [])),
                           JUNK)
    compact_key = key_suffix.map(metadata.COMPACT_PREFIX.__add__)
    if not injection:
        compact_key = compact_key.filter(lambda k: "@" not in k)
    entries = st.one_of(
        st.tuples(key_suffix.map(metadata.MANAGED_PREFIX.__add__), principal_values(own)),
        st.tuples(compact_key, compact_values()),
        st.tuples(st.just(metadata.COMPACT_LEGACY), legacy_values(injection)),
        st.tuples(extra_keys, extra_values))
    return st.lists(entries, max_size=5).map(dict)
