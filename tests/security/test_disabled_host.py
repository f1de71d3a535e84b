"""Security round 2, item 3 (issue 12): an administrator's host_disable is not undone.

After an admin disabled an enrolled host (compromised VM, leaked config drive), the next
vendordata request, which any process in the guest can trigger, re-armed it with the
same generation-0 OTP, and the old OTP enrolled again. Now a host disabled by anyone
but novajoin's rebuild stays disabled (no ipaotp, a log line, a metric) until a rebuild
notification, and each re-arm is a new generation: no OTP is ever valid twice.
"""

from __future__ import annotations

import logging

from novajoin.listener import events
from tests.listener import samples
from tests.support import DOMAIN, nova_body


def test_a_disabled_host_is_not_re_armed_until_a_rebuild(api, caplog):
    body = nova_body(hostname="leaked")
    first = api.post(body).json
    fqdn = f"leaked.{DOMAIN}"
    assert api.enroll(fqdn, first["ipaotp"]).status_code == 200
    api.admin.call("host_disable", fqdn)  # the administrator's response to the leak

    with caplog.at_level(logging.WARNING, logger="novajoin.enrollment"):
        again = api.post(body)
    assert again.status_int == 200 and "ipaotp" not in again.json
    assert "disabled in IPA and is not re-armed" in caplog.text
    entry = api.admin.call("host_show", fqdn)["result"]
    assert entry["has_password"] is False and entry["has_keytab"] is False
    assert api.enroll(fqdn, first["ipaotp"]).status_code != 200  # the leaked OTP is dead
    refused = api.get("/metrics").text
    assert 'novajoin_enrollments_refused_total{code="novajoin.host.disabled"}' in refused

    # A rebuild re-arms it with a new generation's OTP; the old one stays dead.
    api.core.lifecycle.rebuild(events.instance_event(
        "compute.instance.rebuild.start", samples.legacy_instance(body["instance-id"],
                                                                  "leaked")), generation=7)
    rebuilt = api.post(body).json
    assert rebuilt["ipaotp"] != first["ipaotp"]
    assert api.enroll(fqdn, first["ipaotp"]).status_code != 200
    assert api.enroll(fqdn, rebuilt["ipaotp"]).status_code == 200
