"""novajoin-status instance UUID against the emulator (issue 14 part 4)."""

from __future__ import annotations

import json
import types
import uuid

import pytest

from novajoin.cmd import status, status_instance
from tests.api.conftest import StaticCloud, conf_text
from tests.support import DOMAIN, PROJECT_ID, nova_body


class NovaCloud(StaticCloud):
    """StaticCloud plus nova's servers (what the instance command asks of nova)."""

    def __init__(self, servers=None, **kw):
        super().__init__(**kw)
        self.servers = servers or {}

    def compute(self):
        from openstack import exceptions as sdk_exc

        def get_server(iid):
            if iid not in self.servers:
                raise sdk_exc.NotFoundException(f"No Server found for {iid}")
            return self.servers[iid]

        return types.SimpleNamespace(get_server=get_server)


def server(hostname, metadata, project_id=PROJECT_ID):
    return types.SimpleNamespace(name=hostname, hostname=hostname, project_id=project_id,
                                 status="ACTIVE", image={"id": ""}, metadata=metadata)


@pytest.fixture
def cloud():
    return NovaCloud()


def boot(api, cloud, hostname, metadata=None):
    iid = str(uuid.uuid4())
    md = metadata or {"ipa_enroll": "True"}
    cloud.servers[iid] = server(hostname, md)
    resp = api.post(nova_body(hostname=hostname, instance_id=iid, metadata=md))
    assert resp.status_int == 200
    return iid, resp.json["ipaotp"]


def test_a_booted_instance_before_and_after_enrollment(make_api, cloud):
    api = make_api(cloud=cloud)
    iid, otp = boot(api, cloud, "web-01",
                    {"ipa_enroll": "True", "compact_services": '{"HTTP": ["web-01"]}'})
    fqdn = f"web-01.{DOMAIN}"
    state = status_instance.gather(api.core, iid)
    assert state["computed"]["fqdn"] == fqdn
    services = state["computed"]["services"]
    assert services and all(s.startswith("HTTP/") for s in services)
    by_name = {h["fqdn"]: h for h in state["hosts"]}
    host = by_name.pop(fqdn)
    assert (host["owned"], host["kind"], host["generation"]) == (True, "host", 0)
    assert [(h["fqdn"], h["kind"]) for h in by_name.values()] == [
        (sub, "subhost") for sub in state["computed"]["subhosts"]]
    assert f"instance={iid}" in host["owner_tags"][0]
    assert (host["enrolled"], host["otp_set"], host["disabled"]) == (False, True, False)
    principals = [s["principal"] for h in state["hosts"] for s in h["services"]]
    assert sorted(set(principals)) == [f"{s}@NOVAJOIN.TEST" for s in services]
    assert api.enroll(fqdn, otp).status_code == 200
    host = next(h for h in status_instance.gather(api.core, iid)["hosts"] if h["fqdn"] == fqdn)
    assert (host["enrolled"], host["otp_set"], host["disabled"]) == (True, False, False)
    assert "enrolled (keytab)" in status_instance.render(status_instance.gather(api.core, iid))


def test_a_disabled_host_and_its_dns_records(make_api, cloud):
    api = make_api(cloud=cloud)
    iid, otp = boot(api, cloud, "dnsy")
    fqdn = f"dnsy.{DOMAIN}"
    assert api.enroll(fqdn, otp).status_code == 200
    api.admin.call("dnszone_add", "4.24.172.in-addr.arpa.", force=True,
                   idnssoamname=f"ns.{DOMAIN}.")
    api.admin.call("dnsrecord_add", f"{DOMAIN}.", "dnsy", arecord=["172.24.4.9"])
    api.admin.call("dnsrecord_add", "4.24.172.in-addr.arpa.", "9", ptrrecord=[fqdn + "."])
    api.admin.call("host_disable", fqdn)
    api.core.ipa._zones = (0.0, None)  # zones are remembered for minutes: ask again
    (host,) = status_instance.gather(api.core, iid)["hosts"]
    assert host["disabled"] and not host["enrolled"]
    assert host["dns"]["A"] == ["172.24.4.9"]
    assert host["dns"]["PTR"] == {"172.24.4.9": [fqdn + "."]}
    text = status_instance.render(status_instance.gather(api.core, iid))
    assert "disabled (no keytab, no OTP)" in text and f"PTR 172.24.4.9: {fqdn}." in text


def test_an_untagged_host_under_the_computed_name_is_shown_as_not_owned(make_api, cloud):
    api = make_api(cloud=cloud)
    iid = str(uuid.uuid4())
    cloud.servers[iid] = server("legacy", {"ipa_enroll": "True"})
    api.admin.call("host_add", f"legacy.{DOMAIN}", force=True)  # as novajoin 1.x left it
    state = status_instance.gather(api.core, iid)
    (host,) = state["hosts"]
    assert host["fqdn"] == f"legacy.{DOMAIN}" and not host["owned"]
    assert "NOT owned by this deployment (no owner tag)" in status_instance.render(state)


def test_an_instance_that_does_not_ask_and_one_nobody_knows(make_api, cloud, fakeipa,
                                                            tmp_path, capsys):
    api = make_api(cloud=cloud)
    plain = str(uuid.uuid4())
    cloud.servers[plain] = server("plain", {})
    state = status_instance.gather(api.core, plain)
    assert state["computed"]["wants_enrollment"] is False and state["hosts"] == []
    path = tmp_path / "join.conf"
    path.write_text(conf_text(fakeipa))
    unknown = str(uuid.uuid4())
    assert status.main(["--config-file", str(path), "instance", unknown], cloud=cloud) == 1
    assert "nova does not know this instance" in capsys.readouterr().out
    assert status.main(["--config-file", str(path), "instance", "not-a-uuid!"],
                       cloud=cloud) == 2


def test_json_and_the_audit_lines(make_api, cloud, fakeipa, tmp_path, capsys):
    api = make_api(cloud=cloud)
    iid, _ = boot(api, cloud, "audited")
    log = tmp_path / "audit.log"
    log.write_text("".join(f"operation=create outcome=ok request=r{i} instance={iid} "
                           f"fqdn=audited.{DOMAIN}\n" for i in range(15))
                   + "operation=create outcome=ok instance=someone-else\n")
    path = tmp_path / "join.conf"
    path.write_text(conf_text(fakeipa))
    code = status.main(["--config-file", str(path), "instance", iid, "--json",
                        "--audit-log", str(log), "--lines", "3"], cloud=cloud)
    state = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [line.split()[2] for line in state["audit"]] == ["request=r12", "request=r13",
                                                            "request=r14"]
    assert state["hosts"][0]["fqdn"] == f"audited.{DOMAIN}"


def test_it_only_reads(make_api, cloud):
    api = make_api(cloud=cloud)
    iid, _ = boot(api, cloud, "readonly")
    api.reset_stats()
    status_instance.gather(api.core, iid)
    commands = set(api.stats()["commands"])
    assert commands and all(c.endswith(("_show", "_find", "env")) or c == "batch"
                            for c in commands), commands
