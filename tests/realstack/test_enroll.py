"""Scenarios 1 and 2: enrollment asked by the instance, or by its image; none for a plain image."""

from __future__ import annotations

import time

from tests.realstack.stack import DOMAIN, REALM, join, wait_for

# nova's metadata cache ([api] metadata_cache_expiration) and novajoin's
# enrollment_recheck_interval: both 15 s by default.
PAST_THE_CACHES = 16


def test_instance_property_enrolls(realstack, name, servers):
    """A member boots with --property ipa_enroll=True; the OTP from nova's metadata enrolls."""
    server = realstack.boot(name, {"ipa_enroll": "True"})
    servers.append(server)
    fqdn = f"{name}.{DOMAIN}"
    answer = join(realstack, server)
    assert answer["hostname"] == fqdn
    assert answer["krb_realm"] == REALM
    otp = answer["ipaotp"]
    host = realstack.novajoin.host(fqdn)
    assert host is not None and host["has_keytab"] is False and host["has_password"] is True
    assert join(realstack, server)["ipaotp"] == otp  # asked again before enrolling: same OTP

    resp = realstack.novajoin.enroll(fqdn, otp)
    assert resp.status_code == 200, resp.text
    assert realstack.novajoin.host(fqdn)["has_keytab"] is True

    time.sleep(PAST_THE_CACHES)
    later = join(realstack, server)
    assert later["hostname"] == fqdn and "ipaotp" not in later


def test_image_property_enrolls(realstack, name, servers):
    image = realstack.create_image({"ipa_enroll": "True", "os_distro": "fedora",
                                    "os_version": "42"}, name=f"{name}-image")
    server = realstack.boot(name, image_id=image)
    servers.append(server)
    fqdn = f"{name}.{DOMAIN}"
    answer = join(realstack, server)
    assert answer["hostname"] == fqdn and answer["krb_realm"] == REALM
    host = realstack.novajoin.host(fqdn)
    assert host["nsosversion"] == ["fedora 42"]
    assert realstack.novajoin.enroll(fqdn, answer["ipaotp"]).status_code == 200


def test_plain_image_is_not_enrolled_and_costs_no_ipa_call(realstack, name, servers):
    server = realstack.boot(name)
    servers.append(server)
    # Let the boot's notifications reach novajoin-notify first: only the fetch is measured.
    wait_for("novajoin-notify to go quiet", lambda: _quiet(realstack), timeout=30)
    before = realstack.novajoin.stats()["commands"]
    vendordata = realstack.metadata(server)
    assert vendordata["join"] == {}
    assert "static" in vendordata  # the StaticJSON cloud-config is still there
    assert realstack.novajoin.stats()["commands"] == before
    assert realstack.novajoin.host(f"{name}.{DOMAIN}") is None


def _quiet(stack, period: float = 2.0) -> bool:
    first = stack.novajoin.stats()["commands"]
    time.sleep(period)
    return stack.novajoin.stats()["commands"] == first
