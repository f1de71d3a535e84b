"""Run novajoin end to end on this machine, against the FakeIPA emulator.

Starts ``novajoin-fakeipa``, ``novajoin-server`` (with ``auth_strategy =
noauth``: this is a demo, not a deployment) and ``novajoin-notify`` (on the
local RabbitMQ), sends the request nova's DynamicJSON vendordata provider
sends at boot, prints the vendordata nova would publish under ``join``, shows
the host in IPA, enrolls it with the OTP the way ``ipa-client-install -w OTP``
would, then publishes nova's delete notification and shows the host gone.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path

import requests

from novajoin.ipa import IpaClient
from novajoin.ipa.auth import PasswordLogin

BIN = Path(sys.executable).parent
REALM, DOMAIN = "EXAMPLE.TEST", "example.test"
RABBIT = os.environ.get("NOVAJOIN_DEMO_TRANSPORT_URL", "rabbit://guest:guest@127.0.0.1:5672/")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up within {timeout} s")


def step(text: str) -> None:
    print(f"\n== {text}", flush=True)


def publish_delete(conf: Path, body: dict) -> None:
    """What nova-compute sends when the instance is deleted (legacy format)."""
    import oslo_messaging
    from oslo_config import cfg
    from oslo_messaging import opts

    pub = cfg.ConfigOpts()
    for group, options in opts.list_opts():
        pub.register_opts(options, group=None if group == "DEFAULT" else group)
    pub([], default_config_files=[str(conf)])
    pub.set_override("control_exchange", "nova")
    transport = oslo_messaging.get_notification_transport(pub)
    topic = next(line.split("=", 1)[1].strip() for line in conf.read_text().splitlines()
                 if line.startswith("notifications_topic"))
    oslo_messaging.Notifier(transport, publisher_id="compute.compute-0", driver="messagingv2",
                            topics=[topic]).info({}, "compute.instance.delete.end", {
        "instance_id": body["instance-id"], "tenant_id": body["project-id"],
        "hostname": body["hostname"], "metadata": body["metadata"], "state": "deleted"})
    transport.cleanup()
    print(json.dumps({"event_type": "compute.instance.delete.end",
                      "payload": {"instance_id": body["instance-id"],
                                  "hostname": body["hostname"], "...": "..."}}, indent=2))


def main() -> int:
    # oslo.messaging still imports eventlet, which warns about itself; not our news.
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    work = Path(tempfile.mkdtemp(prefix="novajoin-demo-"))
    password = secrets.token_urlsafe(16)
    (work / "admin-password").write_text(password)
    os.chmod(work / "admin-password", 0o600)
    ipa_port, api_port = free_port(), free_port()
    conf = work / "join.conf"
    conf.write_text(f"""[DEFAULT]
url = http://127.0.0.1:{ipa_port}/ipa/json
ipa_user = admin
ipa_password = {password}
domain = {DOMAIN}
auth_strategy = noauth
join_listen = 127.0.0.1
join_listen_port = {api_port}
otp_secret = {secrets.token_urlsafe(32)}
transport_url = {RABBIT}
notifications_topic = novajoin_demo_{uuid.uuid4().hex[:8]}
""")
    os.chmod(conf, 0o600)
    procs = []
    try:
        step(f"FakeIPA on 127.0.0.1:{ipa_port} (realm {REALM})")
        procs.append(subprocess.Popen(
            [BIN / "novajoin-fakeipa", "--listen", f"127.0.0.1:{ipa_port}", "--realm", REALM,
             "--domain", DOMAIN, "--admin-password-file", work / "admin-password"],
            stdout=open(work / "fakeipa.log", "w"), stderr=subprocess.STDOUT))
        wait_for(f"http://127.0.0.1:{ipa_port}/ipa/fake/stats")
        step(f"novajoin-server on 127.0.0.1:{api_port}")
        procs.append(subprocess.Popen(
            [BIN / "novajoin-server", "--config-file", conf, "--log-file",
             work / "novajoin-server.log"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT))
        wait_for(f"http://127.0.0.1:{api_port}/healthcheck")
        step(f"novajoin-notify on {RABBIT.split('@')[-1]}")
        procs.append(subprocess.Popen(
            [BIN / "novajoin-notify", "--config-file", conf, "--log-file",
             work / "novajoin-notify.log"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT))

        body = {"project-id": uuid.uuid4().hex, "instance-id": str(uuid.uuid4()),
                "image-id": "", "user-data": None, "hostname": "web-01",
                "metadata": {"ipa_enroll": "True", "compact_service_HTTP": '["internal"]'},
                "boot-roles": "member"}
        step("nova's vendordata request (POST /v1/)")
        print(json.dumps(body, indent=2))
        resp = requests.post(f"http://127.0.0.1:{api_port}/v1/", json=body, timeout=30,
                             headers={"User-Agent": "openstack-nova-vendordata"})
        step(f"novajoin's answer: HTTP {resp.status_code}; nova publishes it as "
             "vendor_data2.json['join']")
        print(json.dumps(resp.json(), indent=2))
        resp.raise_for_status()
        answer = resp.json()

        ipa = IpaClient(f"http://127.0.0.1:{ipa_port}/ipa/json", PasswordLogin("admin", password))
        step(f"the host in IPA: host_show {answer['hostname']}")
        entry = ipa.call("host_show", answer["hostname"], all=True)["result"]
        for key in ("fqdn", "description", "has_password", "has_keytab", "managedby_host"):
            print(f"  {key}: {entry.get(key)}")
        svc = ipa.call("service_show", f"HTTP/web-01.internal.{DOMAIN}")["result"]
        print(f"  service HTTP/web-01.internal.{DOMAIN} managed by {svc['managedby_host']}")

        step("the instance enrolls with its OTP (what ipa-client-install -w OTP does)")
        r = requests.post(f"http://127.0.0.1:{ipa_port}/ipa/fake/enroll", timeout=10,
                          json={"fqdn": answer["hostname"], "otp": answer["ipaotp"]})
        print(f"  enroll: HTTP {r.status_code} {r.text.strip()}")
        entry = ipa.call("host_show", answer["hostname"])["result"]
        print(f"  has_keytab: {entry['has_keytab']}, has_password: {entry['has_password']}")
        if not (r.ok and entry["has_keytab"]):
            return 1

        step("nova deletes the instance: compute.instance.delete.end on the novajoin topic")
        publish_delete(conf, body)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = ipa.call("host_find", body["instance-id"])["count"]
            if found == 0:
                break
            time.sleep(0.2)
        print(f"  hosts of instance {body['instance-id']} left in IPA: {found}")
        return 0 if found == 0 else 1
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
        print(f"\n(logs in {work})")


if __name__ == "__main__":
    sys.exit(main())
