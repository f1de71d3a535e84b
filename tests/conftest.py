"""Shared fixtures: a real MIT Kerberos KDC, TLS material, and FakeIPA servers.

Services the tests need are real. When one cannot be had, a test skips on a
developer machine and fails in CI (``CI=true``), so a green CI run never hides
a missing service.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.openstack.fixtures import (  # noqa: F401 - fixtures and the report hook
    glance,
    glance_image,
    keystone,
    openstack_cloud,
    openstack_venvs,
    pytest_runtest_makereport,
    run_nova_vendordata,
)
from tests.support import ADMIN_PASSWORD, DOMAIN, REALM, port_open, require

pytest_plugins = ["tests.tiers"]


@dataclass
class KerberosRealm:
    realm: str
    hostname: str
    krb5_config: str
    http_keytab: str
    nova_keytab: str
    nova_principal: str
    k5: object

    def addprinc(self, princ: str, keytab: str | None = None, password: str | None = None) -> str:
        self.k5.addprinc(princ, password)
        if keytab:
            self.k5.extract_keytab(princ, keytab)
        return princ


@pytest.fixture(scope="session")
def krb_realm(tmp_path_factory) -> Iterator[KerberosRealm]:
    """A running MIT KDC with ``HTTP/<host>`` and ``nova/<host>`` keytabs.

    KRB5_CONFIG is pointed at the test realm for the whole test process: the
    tests are the only code here allowed to set Kerberos environment variables.
    """
    require(shutil.which("krb5kdc") is not None or Path("/usr/sbin/krb5kdc").exists(),
            "MIT krb5kdc (Debian krb5-kdc)")
    import k5test

    portbase = random.randrange(30000, 60000, 10)
    k5 = k5test.K5Realm(realm=REALM, portbase=portbase, create_user=True, get_creds=False,
                        create_host=False)
    keydir = tmp_path_factory.mktemp("keytabs")
    http_keytab = str(keydir / "http.keytab")
    nova_keytab = str(keydir / "nova.keytab")
    k5.addprinc(f"HTTP/{k5.hostname}@{REALM}")
    k5.extract_keytab(f"HTTP/{k5.hostname}@{REALM}", http_keytab)
    nova = f"nova/{k5.hostname}@{REALM}"
    k5.addprinc(nova)
    k5.extract_keytab(nova, nova_keytab)
    saved = {k: os.environ.get(k) for k in ("KRB5_CONFIG", "KRB5_KDC_PROFILE", "KRB5CCNAME")}
    os.environ["KRB5_CONFIG"] = k5.env["KRB5_CONFIG"]
    os.environ["KRB5_KDC_PROFILE"] = k5.env["KRB5_KDC_PROFILE"]
    # Nothing in-process may fall back to a ccache on disk by accident.
    os.environ["KRB5CCNAME"] = "MEMORY:tests-default"
    try:
        yield KerberosRealm(REALM, k5.hostname, k5.env["KRB5_CONFIG"], http_keytab,
                            nova_keytab, nova, k5)
    finally:
        k5.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


RABBIT_URL = "rabbit://guest:guest@127.0.0.1:5672/"


@pytest.fixture(scope="session")
def rabbitmq() -> str:
    """The machine's RabbitMQ (127.0.0.1:5672, guest/guest), started if it is stopped."""
    import subprocess
    import time

    if not port_open("127.0.0.1", 5672) and shutil.which("rabbitmq-server"):
        subprocess.run(["rabbitmq-server", "-detached"], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not port_open("127.0.0.1", 5672):
            time.sleep(0.5)
    require(port_open("127.0.0.1", 5672), "RabbitMQ on 127.0.0.1:5672 (Debian rabbitmq-server)")
    return RABBIT_URL


@pytest.fixture(scope="session")
def redis_server() -> str:
    """The machine's Redis on 127.0.0.1:6379, started (in memory only) if it is stopped."""
    import subprocess
    import time

    if not port_open("127.0.0.1", 6379) and shutil.which("redis-server"):
        subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1",
                        "--port", "6379", "--save", "", "--appendonly", "no"], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not port_open("127.0.0.1", 6379):
            time.sleep(0.2)
    require(port_open("127.0.0.1", 6379), "Redis on 127.0.0.1:6379 (Debian redis-server)")
    return "redis://127.0.0.1:6379"


@dataclass
class TlsFiles:
    ca_cert: str
    cert: str
    key: str
    other_ca_cert: str  # a CA that did not sign ``cert``


def _make_ca(name: str):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory) -> TlsFiles:
    """A CA, a server certificate for localhost/127.0.0.1 it signed, and a stranger CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    d = tmp_path_factory.mktemp("tls")
    ca_key, ca_cert = _make_ca("NovaJoin Test CA")
    _, other_cert = _make_ca("Some Other CA")
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (d / "ca.crt").write_bytes(ca_cert.public_bytes(pem))
    (d / "other-ca.crt").write_bytes(other_cert.public_bytes(pem))
    (d / "server.crt").write_bytes(cert.public_bytes(pem))
    (d / "server.key").write_bytes(key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    os.chmod(d / "server.key", 0o600)
    return TlsFiles(str(d / "ca.crt"), str(d / "server.crt"), str(d / "server.key"),
                    str(d / "other-ca.crt"))


@pytest.fixture
def fakeipa_factory(tmp_path):
    """Start FakeIPA servers in this process on free ports; all stop after the test.

    ``fakeipa_factory(**kwargs)`` passes ``kwargs`` to ``FakeIpaServer``.
    """
    from fakeipa.server import FakeIpaServer

    servers = []

    def start(**kwargs) -> FakeIpaServer:
        kwargs.setdefault("realm", REALM)
        kwargs.setdefault("domain", DOMAIN)
        kwargs.setdefault("admin_password", ADMIN_PASSWORD)
        kwargs.setdefault("listen", ("127.0.0.1", 0))
        server = FakeIpaServer(**kwargs)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def fakeipa(fakeipa_factory):
    """A plain-HTTP FakeIPA with password login only."""
    return fakeipa_factory()
