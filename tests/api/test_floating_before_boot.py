"""A floating IP attached before the first metadata fetch (issue 17, part 1).

With real VMs ``server add floating ip`` usually runs while the guest boots, before the
vendordata call creates the host: neutron's event found no host, and nothing published
the address later. The request that creates the host now asks neutron for the
instance's floating IPs (after nova has its answer) and publishes them.
"""

from __future__ import annotations

import uuid

from novajoin import exception
from novajoin.api import vendordata
from tests.api.conftest import StaticCloud
from tests.support import DOMAIN, PROJECT_ID, nova_body, wait_until

OTHER = "0c5e1b2f9d7a4e6b8c3d2a1f0e9b8c7d"


def a_records(api, name):
    try:
        return api.admin.call("dnsrecord_show", f"{DOMAIN}.", name)["result"].get("arecord", [])
    except exception.IpaNotFound:
        return []


def test_a_floating_ip_attached_before_the_host_existed_is_published(make_api):
    cloud = StaticCloud()
    api = make_api(cloud=cloud)
    body = nova_body(hostname="early")
    cloud.floating[body["instance-id"]] = [
        (str(uuid.uuid4()), "172.24.4.20", PROJECT_ID),
        (str(uuid.uuid4()), "172.24.4.21", OTHER)]  # a spoofed port of another project
    resp = api.post(body)
    assert resp.status_int == 200 and resp.json["ipaotp"]
    wait_until(lambda: a_records(api, "early") == ["172.24.4.20"], "the early floating IP")


def test_neutron_down_does_not_fail_the_enrollment(make_api, caplog):
    class Down(StaticCloud):
        def floating_ips(self, instance_id):
            raise exception.CloudUnavailable(service="Neutron", reason="connection refused")

    api = make_api(cloud=Down())

    body = nova_body(hostname="nonet")
    resp = api.post(body)
    assert resp.status_int == 200 and resp.json["ipaotp"]
    vendordata.publish_floating_ips(api.services, body["instance-id"], PROJECT_ID, delay=0)
    assert "Could not publish the floating IPs" in caplog.text


def test_no_neutron_in_the_catalog_is_said_once_as_such_not_per_boot(make_api, novajoin_user,
                                                                     keystone, caplog):
    # The test Keystone has no network endpoint, as a cloud without neutron would.
    from tests.api.conftest import keystone_sections

    api = make_api(cloud="real", sections=keystone_sections(novajoin_user))
    for name in ("nonet-1", "nonet-2"):
        body = nova_body(hostname=name, project_id=keystone.project_ids["demo"])
        assert api.post(body).status_int == 200
        vendordata.publish_floating_ips(api.services, body["instance-id"],
                                        keystone.project_ids["demo"], delay=0)
    said = [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")
            and "novajoin.api" not in r.name]
    assert [r.getMessage()[:45] for r in said] == ["Keystone's catalog has no Neutron endpoint fo"]
    assert not [r for r in caplog.records if r.levelno >= 30
                and "Could not publish" in r.getMessage()]
