"""nova's own DynamicJSON client (PyPI nova) against a running novajoin-server.

nova authenticates with [vendordata_dynamic_auth] credentials from the real
Keystone; what it ends up with under vendor_data2.json's ``join`` must be the
answer its guest needs, and the OTP in it must enroll.
"""

from __future__ import annotations

import uuid

import requests

from tests.api.conftest import keystone_sections, running_server
from tests.support import DOMAIN, REALM


def test_nova_gets_enrollment_data_that_enrolls(fakeipa, tmp_path, keystone, novajoin_user,
                                                run_nova_vendordata):
    sections = keystone_sections(novajoin_user)
    with running_server(fakeipa, tmp_path, sections, auth_strategy="keystone",
                        enrollment_recheck_interval=0) as (url, _, _):
        instance = {"uuid": str(uuid.uuid4()), "project_id": keystone.project_ids["demo"],
                    "image_ref": "", "hostname": "nova-made",
                    "metadata": {"ipa_enroll": "True"}}
        vendordata = run_nova_vendordata(url + "/v1/", keystone.nova, instance)
        join = vendordata["join"]
        assert set(join) == {"hostname", "krb_realm", "ipaotp"}
        assert (join["hostname"], join["krb_realm"]) == (f"nova-made.{DOMAIN}", REALM)
        # The config drive build asks again: same answer.
        assert run_nova_vendordata(url + "/v1/", keystone.nova, instance) == vendordata
        enrolled = requests.post(fakeipa.url + "/ipa/fake/enroll", timeout=10,
                                 json={"fqdn": join["hostname"], "otp": join["ipaotp"]})
        assert enrolled.status_code == 200, enrolled.text
        after = run_nova_vendordata(url + "/v1/", keystone.nova, instance)["join"]
        assert after == {"hostname": join["hostname"], "krb_realm": REALM}


def test_nova_without_credentials_gets_nothing(fakeipa, tmp_path, keystone, novajoin_user,
                                               run_nova_vendordata):
    with running_server(fakeipa, tmp_path, keystone_sections(novajoin_user),
                        auth_strategy="keystone") as (url, _, _):
        instance = {"hostname": "anon", "metadata": {"ipa_enroll": "True"},
                    "project_id": keystone.project_ids["demo"]}
        got = run_nova_vendordata(url + "/v1/", None, instance, failure_fatal=False)
        assert got == {"join": {}}
        assert "401" in run_nova_vendordata.last_log
