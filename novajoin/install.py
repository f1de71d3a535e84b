"""What novajoin-install changes on a nova API host, computed without touching anything.

:func:`plan` compares what should be with what is and returns a list of
:class:`Change`; the command shows them (``--dry-run``) or applies them. A
second run finds nothing to change. INI files are edited line by line, so
comments and unrelated settings of nova.conf and join.conf survive.
"""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
from collections.abc import Mapping
from pathlib import Path

# The Glance metadata definitions namespace that lets Horizon offer ipa_enroll and
# ipa_hostclass on images and servers (novajoin 1.x's freeipa.json, same namespace name).
METADEFS_NAMESPACE = "OS::Identity::IPA"
METADEFS = {
    "namespace": METADEFS_NAMESPACE,
    "display_name": "IPA",
    "description": "Enroll instances into FreeIPA / Red Hat IdM when they boot (novajoin).",
    "visibility": "public",
    "protected": True,
    "resource_type_associations": [
        {"name": "OS::Glance::Image"},
        {"name": "OS::Nova::Server", "properties_target": "metadata"},
    ],
    "properties": {
        "ipa_enroll": {"title": "Enroll as IPA client", "type": "boolean", "default": True,
                       "description": "Enroll this instance into IPA when it boots."},
    },
    # Both keys are read from the instance's metadata, else from its image (issue 16).
    "objects": [{
        "name": "IPA host class",
        "description": "IPA automember rules can place a host in host groups by its class. "
                       "Read from the instance's metadata, else from its image's properties "
                       "(the instance's value wins); either way the instance's project must "
                       "allow the class (allowed_classes in novajoin's configuration).",
        "properties": {"ipa_hostclass": {
            "title": "Host class", "type": "string",
            "description": "The host's IPA class (userclass): instance metadata, else image "
                           "property."}},
    }, {
        "name": "IPA host location",
        "description": "Where the host is (nshostlocation): read from the instance's "
                       "metadata, else from its image's properties; printable text of at "
                       "most 255 characters.",
        "properties": {"ipa_host_location": {
            "title": "Host location", "type": "string", "maxLength": 255,
            "description": "The host's IPA location (nshostlocation): instance metadata, "
                           "else image property."}},
    }],
}


@dataclasses.dataclass(frozen=True)
class Change:
    """One thing to do, with what an operator needs to review it (secrets masked)."""

    kind: str  # "file", "keytab", "metadefs"
    target: str
    summary: str
    content: str | None = None  # full new text, for files
    mode: int | None = None


# -- INI editing that keeps comments ---------------------------------------------

_SECTION = re.compile(r"^\s*\[(?P<name>[^\]]+)\]\s*$")
_KEY = re.compile(r"^\s*(?P<key>[A-Za-z0-9_.-]+)\s*[=:]")


def ini_get(text: str, section: str, key: str) -> str | None:
    current = None
    for line in text.splitlines():
        m = _SECTION.match(line)
        if m:
            current = m["name"].strip()
            continue
        m = _KEY.match(line)
        if current == section and m and m["key"] == key:
            return line.split("=", 1)[1].strip() if "=" in line else line.split(":", 1)[1].strip()
    return None


def ini_set(text: str, section: str, key: str, value: str) -> str:
    """``text`` with ``key = value`` in ``[section]``, changing as little as possible."""
    lines = text.splitlines()
    current, section_end, found = None, None, None
    for i, line in enumerate(lines):
        m = _SECTION.match(line)
        if m:
            if current == section:
                break
            current = m["name"].strip()
            if current == section:
                section_end = i + 1
            continue
        if current == section:
            if line.strip():
                section_end = i + 1
            km = _KEY.match(line)
            if km and km["key"] == key:
                found = i
    new = f"{key} = {value}"
    if found is not None:
        if lines[found] == new:
            return text
        lines[found] = new
    elif section_end is not None:
        lines.insert(section_end, new)
    else:
        if lines and lines[-1].strip():
            lines.append("")
        lines += [f"[{section}]", new]
    return "\n".join(lines) + "\n"


def ini_apply(text: str, settings: Mapping[str, Mapping[str, str]]) -> str:
    for section, values in settings.items():
        for key, value in values.items():
            text = ini_set(text, section, key, value)
    return text


def masked(settings: Mapping[str, Mapping[str, str]]) -> str:
    """Settings as INI text for people to read: secrets shown as ***."""
    out = []
    for section, values in settings.items():
        out.append(f"[{section}]")
        for key, value in values.items():
            secret = any(w in key for w in ("password", "secret", "transport_url"))
            out.append(f"{key} = {'***' if secret else value}")
        out.append("")
    return "\n".join(out)


# -- what should be -------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Settings:
    hostname: str
    realm: str
    domain: str
    ipa_url: str
    keytab: str
    auth_url: str
    nova_user: str
    nova_password: str
    project: str
    user_domain: str = "Default"
    project_domain: str = "Default"
    api_port: int = 9090
    cloud_config: str = "/etc/novajoin/cloud-config-novajoin.json"
    transport_url: str | None = None

    @property
    def principal(self) -> str:
        return f"nova/{self.hostname}@{self.realm}"

    def keystone(self) -> dict[str, str]:
        return {"auth_type": "password", "auth_url": self.auth_url, "username": self.nova_user,
                "password": self.nova_password, "project_name": self.project,
                "user_domain_name": self.user_domain,
                "project_domain_name": self.project_domain}


def join_conf_settings(s: Settings, existing: str) -> dict[str, dict[str, str]]:
    """join.conf's settings; an existing ``otp_secret`` is kept (all hosts share it)."""
    default = {"url": s.ipa_url, "keytab": s.keytab, "keytab_principal": s.principal,
               "domain": s.domain,
               "otp_secret": ini_get(existing, "DEFAULT", "otp_secret")
               or secrets.token_urlsafe(32)}
    if s.transport_url:
        default["transport_url"] = s.transport_url
    return {"DEFAULT": default,
            "keystone_authtoken": {"www_authenticate_uri": s.auth_url, **s.keystone()},
            "service_credentials": s.keystone()}


def nova_settings(s: Settings, existing: str) -> dict[str, dict[str, str]]:
    """What nova needs, in the sections current nova reads ([api], not [DEFAULT])."""
    providers = _merged_list(ini_get(existing, "api", "vendordata_providers") or "StaticJSON",
                             ["StaticJSON", "DynamicJSON"])
    target = f"join@http://127.0.0.1:{s.api_port}/v1/"
    targets = [t for t in _split(ini_get(existing, "api", "vendordata_dynamic_targets"))
               if not t.startswith("join@")] + [target]
    topics = _merged_list(ini_get(existing, "oslo_messaging_notifications", "topics")
                          or "notifications", ["novajoin_notifications"])
    return {
        "api": {"vendordata_providers": providers,
                "vendordata_dynamic_targets": ",".join(targets),
                "vendordata_jsonfile_path": s.cloud_config,
                "vendordata_dynamic_read_timeout": "30"},
        "vendordata_dynamic_auth": s.keystone(),
        "oslo_messaging_notifications": {"driver": "messagingv2", "topics": topics},
        "notifications": {"notify_on_state_change": ini_get(
            existing, "notifications", "notify_on_state_change") or "vm_state"},
    }


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _merged_list(value: str, wanted: list[str]) -> str:
    items = _split(value)
    return ",".join(items + [w for w in wanted if w not in items])


def plan(s: Settings, config_dir: Path, nova_conf: Path | None, cloud_config_source: Path,
         keytab_ok: bool, metadefs_present: bool | None) -> list[Change]:
    """Every change needed; nothing when the host is already as it should be.

    :param nova_conf: nova.conf to edit (``--apply``), or None to leave it alone.
    :param keytab_ok: the keytab exists and holds ``s.principal``.
    :param metadefs_present: whether Glance has the namespace; None: not asked.
    """
    changes: list[Change] = []
    join_conf = config_dir / "join.conf"
    old = join_conf.read_text() if join_conf.exists() else ""
    settings = join_conf_settings(s, old)
    new = ini_apply(old, settings)
    if new != old:
        changes.append(Change("file", str(join_conf), "novajoin configuration:\n"
                              + masked(settings), new, 0o640))
    cc_target = Path(s.cloud_config)
    wanted = cloud_config_source.read_text()
    if not cc_target.exists() or cc_target.read_text() != wanted:
        json.loads(wanted)  # never install a broken file
        changes.append(Change("file", str(cc_target), "guest enrollment cloud-config for "
                              "nova's StaticJSON vendordata", wanted, 0o644))
    if not keytab_ok:
        changes.append(Change("keytab", s.keytab, f"keytab of {s.principal} "
                              f"(ipa-getkeytab)", mode=0o600))
    if metadefs_present is False:
        changes.append(Change("metadefs", METADEFS_NAMESPACE,
                              "Glance metadata definitions (Horizon offers ipa_enroll, "
                              "ipa_hostclass and ipa_host_location)"))
    if nova_conf is not None:
        nova_old = nova_conf.read_text() if nova_conf.exists() else ""
        nsettings = nova_settings(s, nova_old)
        nova_new = ini_apply(nova_old, nsettings)
        if nova_new != nova_old:
            changes.append(Change("file", str(nova_conf), "nova settings:\n"
                                  + masked(nsettings), nova_new, None))
    return changes
