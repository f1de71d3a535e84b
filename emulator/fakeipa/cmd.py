"""``novajoin-fakeipa``: run the FakeIPA emulator until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

import gssapi

from fakeipa.server import FakeIpaServer
from fakeipa.store import StateError

DESCRIPTION = ("FakeIPA: a FreeIPA JSON-RPC server emulator for tests, benchmarks and demos. "
               "NOT PRODUCTION CODE: in-memory directory, one admin password, only the "
               "commands novajoin uses.")
LOG = logging.getLogger("fakeipa")


def _listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError("expected HOST:PORT")
    return host.strip("[]") or "127.0.0.1", int(port)


def _fraction(value: str) -> float:
    rate = float(value)
    if not 0 <= rate <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return rate


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="novajoin-fakeipa", description=DESCRIPTION)
    parser.add_argument("--listen", type=_listen, default=("127.0.0.1", 8080),
                        help="address to listen on, HOST:PORT (default 127.0.0.1:8080; "
                             "port 0 picks a free one)")
    parser.add_argument("--realm", required=True, help="Kerberos realm, e.g. EXAMPLE.TEST")
    parser.add_argument("--domain", required=True, help="DNS domain, e.g. example.test")
    secret = parser.add_mutually_exclusive_group(required=True)
    secret.add_argument("--admin-password", help="password of the 'admin' user")
    secret.add_argument("--admin-password-file",
                        help="file holding the admin password (keeps it out of ps)")
    parser.add_argument("--hostname", help="the server's own FQDN (default: listen host)")
    parser.add_argument("--keytab", help="keytab with HTTP/<hostname> for SPNEGO logins")
    parser.add_argument("--tls-cert", help="PEM certificate to serve HTTPS with")
    parser.add_argument("--tls-key", help="PEM private key for --tls-cert")
    parser.add_argument("--state", help="JSON file to keep the directory in across restarts")
    parser.add_argument("--latency-ms", type=int, default=0,
                        help="delay added to every JSON-RPC request")
    parser.add_argument("--failure-rate", type=_fraction, default=0.0,
                        help="fraction of JSON-RPC requests answered with HTTP 503")
    parser.add_argument("--max-hostname-length", type=int, default=64,
                        help="ipaMaxHostnameLength: the longest host name host_add takes "
                             "(default 64, as on a fresh IPA)")
    parser.add_argument("--session-lifetime", type=float, default=1200,
                        help="session cookie lifetime in seconds (default 1200)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    if args.admin_password_file:
        with open(args.admin_password_file, encoding="utf-8") as stream:
            password = stream.read().rstrip("\r\n")
    else:
        password = args.admin_password
    if not password:
        parser.error("the admin password is empty")
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    try:
        server = FakeIpaServer(
            realm=args.realm, domain=args.domain, admin_password=password, listen=args.listen,
            keytab=args.keytab, tls_cert=args.tls_cert, tls_key=args.tls_key,
            state_file=args.state, latency_ms=args.latency_ms, failure_rate=args.failure_rate,
            session_lifetime=args.session_lifetime, hostname=args.hostname,
            max_hostname_length=args.max_hostname_length)
        server.start()
    except (OSError, ValueError, StateError, gssapi.exceptions.GSSError) as exc:
        parser.exit(1, f"novajoin-fakeipa: cannot start: {exc}\n")
    LOG.info("FakeIPA (test emulator, not for production) listening on %s "
             "(realm %s, domain %s)", server.url, args.realm, server.env.domain)
    stopping.wait()
    LOG.info("FakeIPA stopping")
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
