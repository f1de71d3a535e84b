"""Security round 2, item 5 (issue 12): two deployments, one realm.

With two regions on one IPA, one region's ``novajoin-reconcile --apply``, given a
complete nova listing of its own region, deleted the other region's hosts, sub-hosts
and services as orphans. The owner tag now names the deployment (``[DEFAULT]
deployment``) and every search, delete and reconcile acts on its own entries only.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from novajoin.domain import ownership
from novajoin.listener import events
from tests.api.conftest import conf_text, keystone_sections
from tests.listener import samples
from tests.reconcile.helpers import boot, exists
from tests.support import DOMAIN, least_privilege, nova_body

SERVICES = {"ipa_enroll": "True", "compact_service_HTTP": json.dumps(["ctl"])}


@pytest.fixture(scope="module")
def west_identity(krb_realm, tmp_path_factory) -> least_privilege.NovaIdentity:
    return least_privilege.new_identity(krb_realm, tmp_path_factory.mktemp("west"),
                                        f"novajoin-west.{DOMAIN}")


@pytest.fixture
def west_login(fakeipa, west_identity, tmp_path) -> dict[str, str]:
    """Region two's novajoin: its own nova/<host>, and novajoin-ipa-setup --deployment west
    (permissions filtered on its own owner tags); the settings that log in as it."""
    least_privilege.prepare(fakeipa, west_identity, tmp_path, deployment="west")
    return {"deployment": "west", **least_privilege.login(west_identity)}


def test_reconcile_of_one_region_leaves_the_other_regions_entries(
        api, make_api, reconcile_user, nova, fakeipa, tmp_path, west_login):
    # Region one (the default deployment) enrolled "east"; nova of region two lists none
    # of region one's servers.
    east = boot(api, nova, "east", SERVICES)
    nova.remove(east)
    west_api = make_api(cloud="real", enrollment_recheck_interval=0,
                        sections=keystone_sections(reconcile_user), **west_login)
    west = boot(west_api, nova, "west", SERVICES)
    tag = west_api.admin.call("host_show", f"west.{DOMAIN}")["result"]["description"][0]
    assert tag.startswith("novajoin owner deployment=west kind=host ")

    path = tmp_path / "west.conf"
    path.write_text(conf_text(fakeipa, keystone_sections(reconcile_user), **west_login))
    result = subprocess.run([sys.executable, "-m", "novajoin.cmd.reconcile", "--config-file",
                             str(path), "--apply", "--json"], capture_output=True, text=True,
                            timeout=120)
    report = json.loads(result.stdout)
    assert report["findings"] == [], report  # east is not west's to judge
    for fqdn in (f"east.{DOMAIN}", f"east.ctl.{DOMAIN}", f"west.{DOMAIN}"):
        assert exists(api, fqdn), fqdn
    assert west in nova.servers


def test_a_delete_in_one_region_leaves_the_other_regions_instance(api, make_api, nova, west_login):
    east = boot(api, nova, "keep", SERVICES)
    west_api = make_api(**west_login)
    west_api.core.lifecycle.delete(events.instance_event(
        "compute.instance.delete.end", samples.legacy_instance(east, "keep")))
    assert exists(api, f"keep.{DOMAIN}") and exists(api, f"keep.ctl.{DOMAIN}")


def test_a_name_of_the_other_region_is_a_conflict(api, make_api, nova, west_login):
    boot(api, nova, "taken")
    west_api = make_api(**west_login)
    resp = west_api.post(nova_body(hostname="taken"))
    assert resp.status_int == 409
    entry = api.admin.call("host_show", f"taken.{DOMAIN}")["result"]
    assert ownership.read(entry) is not None and ownership.read(entry, "west") is None


def test_one_regions_role_reaches_none_of_the_other_regions_hosts(api, make_api, nova,
                                                                   west_login):
    """novajoin-ipa-setup --deployment west filters west's permissions on west's owner tags
    (doc/ipa-permissions.md): even a command novajoin never sends is refused."""
    from novajoin import exception

    boot(api, nova, "eastern", SERVICES, enroll=False)
    west_ipa = make_api(**west_login).core.ipa
    fqdn = f"eastern.{DOMAIN}"
    tag = api.admin.call("host_show", fqdn)["result"]["description"][0]
    with pytest.raises(exception.IpaACIError):
        west_ipa.call("host_mod", fqdn, description=tag.replace(
            "novajoin owner ", "novajoin owner deployment=west "))
    with pytest.raises(exception.IpaACIError):
        west_ipa.call("host_mod", fqdn, userpassword="taken-over")
    with pytest.raises(exception.IpaACIError):
        west_ipa.call("host_del", f"eastern.ctl.{DOMAIN}")
    assert api.admin.call("host_show", fqdn)["result"]["description"] == [tag]
    assert exists(api, f"eastern.ctl.{DOMAIN}")
