"""Scenario 3: novajoin-tempest-plugin's two scenarios, checked in IPA instead of over SSH.

Metadata in the instance, then in the image (ipa_enroll on the image, the services in the
instance's metadata), each with compact_services {"HTTP": ["ctlplane", "internalapi"]} and a
managed_service_* on another name that project demo's allowed_services lets it claim. After
boot every host and service is there and managed as expected; after the server is deleted,
all are gone.
"""

from __future__ import annotations

import time

import pytest

from tests.realstack.stack import DOMAIN, REALM, join, wait_for

NETWORKS = ("ctlplane", "internalapi")


def services_metadata(name: str) -> dict[str, str]:
    return {"compact_services": '{"HTTP": ["ctlplane", "internalapi"]}',
            "managed_service_vip": f"HTTP/{name}-vip.apps.{DOMAIN}"}


def expected(name: str) -> dict[str, list[str]]:
    """principal -> the hosts that manage it."""
    fqdn = f"{name}.{DOMAIN}"
    out = {f"HTTP/{name}.{n}.{DOMAIN}@{REALM}": [f"{name}.{n}.{DOMAIN}", fqdn]
           for n in NETWORKS}
    vip = f"{name}-vip.apps.{DOMAIN}"
    out[f"HTTP/{vip}@{REALM}"] = [vip, fqdn]
    return out


@pytest.mark.parametrize("where", ["instance", "image"])
def test_enrollment_with_services(realstack, name, servers, where):
    ipa = realstack.novajoin
    if where == "instance":
        server = realstack.boot(name, {"ipa_enroll": "True", **services_metadata(name)})
    else:
        image = realstack.create_image({"ipa_enroll": "True"}, name=f"{name}-image")
        server = realstack.boot(name, services_metadata(name), image_id=image)
    servers.append(server)
    fqdn = f"{name}.{DOMAIN}"
    answer = join(realstack, server)
    assert answer["hostname"] == fqdn and answer["ipaotp"]
    assert ipa.enroll(fqdn, answer["ipaotp"]).status_code == 200

    assert ipa.host(fqdn)["has_keytab"] is True
    hosts = {fqdn}
    for principal, managers in expected(name).items():
        svc = ipa.service(principal)
        assert svc is not None, principal
        assert sorted(svc["managedby_host"]) == sorted(managers), principal
        hosts.update(managers)
    for host in hosts:
        assert ipa.host(host) is not None, host

    realstack.delete(server["id"])
    wait_for(f"{fqdn} to leave IPA", lambda: ipa.host(fqdn) is None, timeout=60)

    def left() -> list[str]:
        return ([h for h in hosts if ipa.host(h) is not None]
                + [p for p in expected(name) if ipa.service(p) is not None])

    wait_for(f"the sub-hosts and services of {fqdn} to leave IPA", lambda: not left(),
             timeout=30)
    # nova's instance.update of the delete must not put them back (issue 17): a delete
    # wins over an update racing it.
    time.sleep(3)
    assert left() == []
