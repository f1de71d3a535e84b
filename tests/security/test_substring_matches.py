"""``host_find <instance id>`` is a substring search; only the owner tag decides (issue 18).

The listener finds an instance's hosts with ``host_find <instance id>``, which IPA answers
with every host whose name, description, location (and more) *contains* the id. A tenant
writes its instance's location (``ipa_host_location``) and hostname, so another instance of
the same project can carry the id of the instance about to be deleted, rebuilt, updated or
given a floating IP. Those hosts carry a valid owner tag of the same project: only the
instance-id equality on the tag (``Lifecycle.owned_hosts``) keeps them out. Likewise an
entry whose description is an owner tag followed by more text is nobody's
(``ownership.read`` matches the whole value).

Bystanders sort before the instance acted on (``a-…`` < ``zz-…``): were the guard gone,
``host_find`` would list them first and the action would pick one of them.
"""

from __future__ import annotations

import pytest

from novajoin.domain import ownership
from novajoin.listener import events
from tests.fuzz.ipa_watch import entry, snapshot, tagged_hosts
from tests.listener import samples
from tests.security.helpers import OTHER_PROJECT, PROJECT_ID
from tests.support import DOMAIN, nova_body

TARGET = "zz-target"


@pytest.fixture
def life(api):
    # novajoin.lifecycle is being re-wired (one Lifecycle per process on the core); take
    # whichever this tree has.
    core = getattr(api, "core", None)
    if core is not None and hasattr(core, "lifecycle"):
        return core.lifecycle
    from novajoin import lifecycle

    return lifecycle.Lifecycle(api.services)


def boot(api, hostname, md=None, project=PROJECT_ID) -> tuple[str, dict]:
    body = nova_body(hostname=hostname, project_id=project,
                     metadata={"ipa_enroll": "True", **(md or {})})
    resp = api.post(body)
    assert resp.status_int == 200, resp.json
    return body["instance-id"], resp.json


class Scene:
    """The instance acted on, and same-project bystanders whose host_find text holds its id."""

    def __init__(self, api, target_md=None, project=PROJECT_ID):
        self.api = api
        self.target, self.answer = boot(api, TARGET, target_md)
        # Its location is the target's id (ipa_host_location is the tenant's to write)...
        self.located, _ = boot(api, "a-located", {"ipa_host_location": self.target},
                               project=project)
        # ...its hostname holds the target's id (a 38-character DNS label)...
        self.named, _ = boot(api, f"a-{self.target}", project=project)
        # ...and one is enrolled, so a reset would take its keytab away.
        self.enrolled, answer = boot(api, f"a-{self.target[:8]}-{self.target}",
                                     {"ipa_host_location": f"rack of {self.target}"},
                                     project=project)
        assert api.enroll(answer["hostname"], answer["ipaotp"]).status_code == 200
        self.hosts = [f"a-located.{DOMAIN}", f"a-{self.target}.{DOMAIN}",
                      answer["hostname"]]
        # The premise: IPA's search really lists the bystanders for the target's id.
        found = {e["fqdn"][0] for e in api.admin.call("host_find", self.target,
                                                      sizelimit=0)["result"]}
        assert set(self.hosts) | {f"{TARGET}.{DOMAIN}"} <= found, found
        self.before = snapshot(api.admin, self.hosts)

    def bystanders_unchanged(self) -> None:
        assert snapshot(self.api.admin, self.hosts) == self.before
        for iid in (self.located, self.named, self.enrolled):
            assert len(tagged_hosts(self.api.admin, iid)) == 1


def test_delete_leaves_hosts_that_merely_mention_the_instance(api, life):
    scene = Scene(api)
    life.delete(events.instance_event(
        "compute.instance.delete.end", samples.legacy_instance(scene.target, TARGET)))
    assert entry(api.admin, "host", f"{TARGET}.{DOMAIN}") is None
    scene.bystanders_unchanged()


def test_rebuild_resets_only_the_instance_itself(api, life):
    scene = Scene(api)
    life.rebuild(events.InstanceEvent("rebuild", scene.target, PROJECT_ID, TARGET, {}),
                 generation=1_790_000_000)
    owner = ownership.read(entry(api.admin, "host", f"{TARGET}.{DOMAIN}"))
    assert owner.instance_id == scene.target and owner.generation == 1_790_000_000
    scene.bystanders_unchanged()  # the enrolled one keeps its keytab and generation


def test_update_adds_services_to_the_instance_only(api, life):
    scene = Scene(api)
    life.update(events.InstanceEvent("update", scene.target, PROJECT_ID, TARGET,
                                     {"ipa_enroll": "True",
                                      "compact_service_HTTP": '["ctl"]'}))
    svc = entry(api.admin, "service", f"HTTP/{TARGET}.ctl.{DOMAIN}")
    assert svc is not None and f"{TARGET}.{DOMAIN}" in svc["managedby_host"]
    for host in scene.hosts:
        short = host.split(".", 1)[0]
        assert entry(api.admin, "host", f"{short}.ctl.{DOMAIN}") is None
    scene.bystanders_unchanged()


@pytest.mark.parametrize("project", [PROJECT_ID, OTHER_PROJECT])
def test_floating_ip_names_the_instance_not_a_host_mentioning_it(api, life, project):
    # In the instance's own project only the instance-id check keeps the bystanders out;
    # in another project the floating IP's project check does too.
    scene = Scene(api, project=project)
    address = "198.51.100.33"
    life.floating_ip(events.floating_ip_event(
        "floatingip.create.end", samples.floating_ip(address, scene.target)))
    record = api.admin.call("dnsrecord_show", f"{DOMAIN}.", TARGET)["result"]
    assert record["arecord"] == [address]
    holders = api.admin.call("dnsrecord_find", f"{DOMAIN}.", arecord=address,
                             sizelimit=0)["result"]
    assert [r["idnsname"][0] for r in holders] == [TARGET]
    scene.bystanders_unchanged()


@pytest.mark.parametrize("trailer", [" (copy)", "\n", " kind=host"])
def test_an_owner_tag_with_trailing_text_owns_nothing(api, life, trailer):
    iid, _ = boot(api, TARGET)
    own_tag = ownership.read(entry(api.admin, "host", f"{TARGET}.{DOMAIN}")).tag()
    # An entry (an admin's copy, a hand-edited description) whose description starts with
    # the instance's exact owner tag: host_find lists it, and it is not the instance's.
    decoy = f"a-decoy.{DOMAIN}"
    api.admin.call("host_add", decoy, force=True, description=own_tag + trailer)
    before = snapshot(api.admin, [decoy])
    life.rebuild(events.InstanceEvent("rebuild", iid, PROJECT_ID, TARGET, {}),
                 generation=1_790_000_000)
    life.floating_ip(events.floating_ip_event(
        "floatingip.create.end", samples.floating_ip("198.51.100.34", iid)))
    holders = api.admin.call("dnsrecord_find", f"{DOMAIN}.", arecord="198.51.100.34",
                             sizelimit=0)["result"]
    assert [r["idnsname"][0] for r in holders] == [TARGET]
    life.delete(events.InstanceEvent("delete", iid, PROJECT_ID, TARGET, {}))
    assert entry(api.admin, "host", f"{TARGET}.{DOMAIN}") is None
    assert snapshot(api.admin, [decoy]) == before
