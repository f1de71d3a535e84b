"""Entries that belong to someone else, seeded and watched, for the security tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from novajoin import exception
from novajoin.domain import otp
from tests.fuzz.ipa_watch import snapshot
from tests.support import DOMAIN, PROJECT_ID, directory_of, nova_body

OTHER_PROJECT = "0c5e1b2f9d7a4e6b8c3d2a1f0e9b8c7d"  # "Other Team", another tenant
SECRET = "security-suite-otp-secret"
SECTIONS = ("[Dev Team]\nallowed_services = HTTP/vip.*\n"
            "[Other Team]\nallowed_services = HTTP/vip.*\n")
PRECREATED_PASSWORD = "Pre-created-enrollment-password-1"


class Cloud:
    """Two projects; an unknown one is refused as Keystone would."""

    projects = {PROJECT_ID: "Dev Team", OTHER_PROJECT: "Other Team"}

    def image_properties(self, image_id):
        return None

    def floating_ips(self, instance_id):
        return []

    def project_directory(self, project_id=None):
        return directory_of(self.projects)

    def project_name(self, project_id):
        from novajoin.exception import InvalidName

        if project_id not in self.projects:
            raise InvalidName(what="project", name=project_id, reason="unknown")
        return self.projects[project_id]


@dataclass
class Foreign:
    """IPA entries that are not the attacker's, and their state before the attack."""

    api: object
    hosts: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    records: list[str] = field(default_factory=list)  # names in the domain's zone
    before: dict = field(default_factory=dict)

    def state(self) -> dict:
        state = snapshot(self.api.admin, self.hosts, self.services)
        for name in self.records:
            try:
                state[f"dns:{name}"] = self.api.admin.call("dnsrecord_show", f"{DOMAIN}.",
                                                           name)["result"]
            except exception.IpaNotFound:
                state[f"dns:{name}"] = None
        return state

    def remember(self) -> Foreign:
        self.before = self.state()
        assert all(v is not None for v in self.before.values()), self.before
        return self

    def unchanged(self) -> None:
        assert self.state() == self.before


def seed_victims(api) -> Foreign:
    """An untagged host with a DNS record and a service; a pre-created host waiting for its
    enrollment; another tenant's enrolled instance with a compact sub-host."""
    admin = api.admin
    admin.call("host_add", f"victim.{DOMAIN}", force=True, description="the CFO's laptop")
    admin.call("dnsrecord_add", f"{DOMAIN}.", "victim", arecord=["192.0.2.10"])
    admin.call("service_add", f"HTTP/victim.{DOMAIN}", force=True)
    admin.call("host_add", f"victim.ctl.{DOMAIN}", force=True)
    admin.call("service_add", f"HTTP/victim.ctl.{DOMAIN}", force=True)
    admin.call("host_add", f"precreated.{DOMAIN}", force=True,
               userpassword=PRECREATED_PASSWORD)
    other = nova_body(hostname="other-tenant", project_id=OTHER_PROJECT, metadata={
        "ipa_enroll": "True", "compact_service_HTTP": '["ctl"]'})
    answer = api.post(other)
    assert answer.status_int == 200, answer.json
    assert api.enroll(answer.json["hostname"], answer.json["ipaotp"]).status_code == 200
    admin.call("dnsrecord_add", f"{DOMAIN}.", "other-tenant", arecord=["192.0.2.20"])
    return Foreign(api, hosts=[f"victim.{DOMAIN}", f"victim.ctl.{DOMAIN}",
                               f"precreated.{DOMAIN}", f"other-tenant.{DOMAIN}",
                               f"other-tenant.ctl.{DOMAIN}"],
                   services=[f"HTTP/victim.{DOMAIN}", f"HTTP/victim.ctl.{DOMAIN}",
                             f"HTTP/other-tenant.ctl.{DOMAIN}"],
                   records=["victim", "other-tenant"]).remember()


def otps(instance_id: str, generations=range(3)) -> list[str]:
    """Every OTP novajoin could derive for ``instance_id`` (rebuilds included)."""
    return [otp.derive(SECRET.encode(), instance_id, g) for g in generations]
