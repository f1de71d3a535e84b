"""novajoin-reconcile --adopt: IPA entries as novajoin 1.x left them become novajoin 2's.

The emulator holds hosts created the way 1.x created them (``host_add`` with a random
password, no description, enrolled or not); nova is the stand-in in the real Keystone's
catalog. The command runs as a process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest
import requests

from novajoin.domain import adoption, ownership
from tests.api.conftest import conf_text, keystone_sections
from tests.support import ADMIN_PASSWORD, DOMAIN, PROJECT_ID

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning:openstack",
                                        "ignore::DeprecationWarning:openstack")


@pytest.fixture
def cli(fakeipa, reconcile_user, tmp_path):
    """--adopt as doc/migration.md says: join.conf, and a second file with an IPA
    administrator's login (novajoin's own role cannot write untagged hosts)."""
    return adopt_cli(fakeipa, reconcile_user, tmp_path, {"ipa_user": "admin",
                                                          "ipa_password": ADMIN_PASSWORD})


def adopt_cli(fakeipa, reconcile_user, tmp_path, login: dict[str, str]):
    path = tmp_path / "join.conf"
    path.write_text(conf_text(fakeipa, keystone_sections(reconcile_user)))
    extra = tmp_path / "adopt.conf"
    extra.write_text("[DEFAULT]\n" + "".join(f"{k} = {v}\n" for k, v in login.items()))

    def run(*args: str):
        done = subprocess.run([sys.executable, "-m", "novajoin.cmd.reconcile",
                               "--config-file", str(path), "--config-file", str(extra),
                               "--adopt", "--json", *args],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode in (0, 3), done.stderr
        return done.returncode, {d["fqdn"]: d for d in json.loads(done.stdout)["decisions"]}
    return run


def legacy_host(api, fakeipa, name, *, enrolled=False, description=None):
    """A host as novajoin 1.x created it: a random password, no owner tag."""
    fqdn = f"{name}.{DOMAIN}"
    otp = uuid.uuid4().hex
    extra = {"description": description} if description else {}
    api.admin.call("host_add", fqdn, force=True, userpassword=otp, **extra)
    if enrolled:
        requests.post(fakeipa.url + "/ipa/fake/enroll", json={"fqdn": fqdn, "otp": otp},
                      timeout=5).raise_for_status()
    return fqdn


def server(nova, hostname, metadata=None):
    iid = str(uuid.uuid4())
    record = nova.add(iid, PROJECT_ID, hostname)
    if metadata is not None:
        record["metadata"] = metadata
    return iid


def owner_of(api, fqdn, deployment=ownership.DEFAULT):
    return ownership.read(api.admin.call("host_show", fqdn)["result"], deployment)


def test_adoption_from_entries_as_1x_left_them(api, nova, fakeipa, cli):
    fresh = legacy_host(api, fakeipa, "fresh")                     # booted, never enrolled
    enrolled = legacy_host(api, fakeipa, "enrolled", enrolled=True)
    twin = legacy_host(api, fakeipa, "twin")
    noted = legacy_host(api, fakeipa, "noted", description="rack 12, ask Bob")
    east = legacy_host(api, fakeipa, "east", description=ownership.Owner(
        str(uuid.uuid4()), PROJECT_ID, 0, deployment="east").tag())
    legacy_host(api, fakeipa, "plain")
    ids = {name: server(nova, name) for name in ("fresh", "enrolled", "noted", "east")}
    twins = [server(nova, "twin"), server(nova, "TWIN")]
    server(nova, "plain", metadata={})                      # does not ask for enrollment
    server(nova, "nohost")                                  # asks, but 1.x made nothing

    code, dry = cli()
    assert code == 3
    assert set(dry) == {fresh, enrolled, twin, noted, east}
    assert dry[fresh]["action"] == adoption.ADOPT and dry[fresh]["instance"] == ids["fresh"]
    assert dry[enrolled]["action"] == adoption.SKIP and "--include-enrolled" in \
        dry[enrolled]["reason"]
    assert dry[twin]["action"] == adoption.SKIP and "maps to 2 servers" in dry[twin]["reason"]
    assert all(t in dry[twin]["reason"] for t in twins)
    assert "description of its own" in dry[noted]["reason"]
    assert "owner tag already" in dry[east]["reason"]
    assert owner_of(api, fresh) is None  # a dry run writes nothing

    code, applied = cli("--apply")
    assert code == 0 and applied[fresh]["result"] == "adopted"
    owner = owner_of(api, fresh)
    assert (owner.instance_id, owner.project_id, owner.kind) == (ids["fresh"], PROJECT_ID,
                                                                "host")
    for name in (enrolled, twin, noted):
        assert owner_of(api, name) is None
    assert api.admin.call("host_show", noted)["result"]["description"] == ["rack 12, ask Bob"]
    assert owner_of(api, east, "east") is not None and owner_of(api, east) is None

    code, confirmed = cli("--apply", "--include-enrolled")
    assert code == 0 and confirmed[enrolled]["result"] == "adopted"
    assert owner_of(api, enrolled).instance_id == ids["enrolled"]
    assert api.admin.call("host_show", enrolled)["result"]["has_keytab"]  # left as it was
    assert confirmed[fresh]["action"] == adoption.SKIP  # tagged now: nothing to do


def test_novajoins_own_role_cannot_adopt_and_says_who_can(api, nova, fakeipa,
                                                           reconcile_user, tmp_path):
    """novajoin-ipa-setup's permissions write only hosts with novajoin's owner tag (the
    filter is evaluated on the entry before the change: doc/freeipa-behaviour.md section
    9), so novajoin itself can never claim an untagged host, not even by adopting it."""
    fqdn = legacy_host(api, fakeipa, "mine")
    server(nova, "mine")
    code, applied = adopt_cli(fakeipa, reconcile_user, tmp_path, {})("--apply")
    assert code == 3
    assert "Insufficient access" in applied[fqdn]["result"]
    assert "IPA administrator's login" in applied[fqdn]["result"]
    assert owner_of(api, fqdn) is None


def test_an_adopted_host_is_deleted_with_its_instance(api, nova, fakeipa, cli):
    from novajoin.listener import events
    from tests.listener import samples

    fqdn = legacy_host(api, fakeipa, "gone-later")
    iid = server(nova, "gone-later")
    assert cli("--apply")[1][fqdn]["result"] == "adopted"
    api.core.lifecycle.delete(events.instance_event(
        "compute.instance.delete.end", samples.legacy_instance(iid, "gone-later")))
    assert api.admin.call("host_find", fqdn)["count"] == 0


@pytest.mark.parametrize("hostname,project,subdomain,fqdn", [
    ("Web-01", None, False, f"web-01.{DOMAIN}"),
    ("web-01", "Dev", True, f"web-01.dev.{DOMAIN}"),
    ("web-01", "Dev", False, f"web-01.{DOMAIN}"),
])
def test_legacy_names(hostname, project, subdomain, fqdn):
    assert adoption.legacy_fqdn(hostname, DOMAIN, project, subdomain) == fqdn


def test_decide_tags_sub_hosts_and_refuses_shared_ones():
    a = adoption.Candidate("i-a", "p", f"a.{DOMAIN}", (f"a.net.{DOMAIN}", f"x.{DOMAIN}"))
    b = adoption.Candidate("i-b", "p", f"b.{DOMAIN}", (f"x.{DOMAIN}",))
    entries = {f"a.{DOMAIN}": {}, f"a.net.{DOMAIN}": {}, f"x.{DOMAIN}": {}, f"b.{DOMAIN}": None}
    (d,) = adoption.decide([a, b], entries)
    assert d.action == adoption.ADOPT
    assert [c.args[0] for c in d.calls] == [f"a.{DOMAIN}", f"a.net.{DOMAIN}"]
    assert "kind=subhost" in d.calls[1].options["description"]
    assert f"sub-host x.{DOMAIN} the name maps to several servers" in d.reason
    east = adoption.decide([a], {f"a.{DOMAIN}": {}}, deployment="east")[0]
    assert "deployment=east" in east.calls[0].options["description"]
