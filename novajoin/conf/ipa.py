"""How novajoin reaches and authenticates to FreeIPA.

The options live in ``[DEFAULT]`` under the names novajoin 1.x used (``url``,
``keytab``, ``connect_retries``, ``retry_delay``) so an existing
``/etc/novajoin/join.conf`` keeps working; the options 1.x did not have are
prefixed where the bare name would be ambiguous.
"""

from oslo_config import cfg

ipa_opts = [
    cfg.URIOpt(
        "url",
        schemes=["https", "http"],
        help="""The JSON RPC URL to an IPA server, e.g. https://ipa.host.domain/ipa/json.

The host must name one IPA server by its own fully qualified name, exactly as
installed (the ``host`` of its /etc/ipa/default.conf), not a VIP, a CNAME, a load
balancer or an IP address: IPA refuses every request whose HTTP Referer does not
start with https://<its own FQDN>/ipa (RefererError 911, or HTTP 400 "denied" at
login), and novajoin builds the Referer from this host name (without the port).
Plain http:// is accepted only for the FakeIPA emulator used in tests.""",
    ),
    cfg.StrOpt(
        "keytab",
        default="/etc/krb5.keytab",
        help="""Kerberos keytab holding the key of ``keytab_principal``.

novajoin obtains its tickets from this keytab into a private in-memory
credential cache; it never runs kinit and never writes a ccache to disk.
Ignored when ``ipa_password`` is set.""",
    ),
    cfg.StrOpt(
        "keytab_principal",
        help="""Principal novajoin authenticates to IPA as, from ``keytab``.

Defaults to nova/<this host's FQDN> in the default realm of krb5.conf, the
principal novajoin-ipa-setup creates.""",
    ),
    cfg.StrOpt(
        "ipa_user",
        default="admin",
        help="User name for password login to IPA; used only when ``ipa_password`` is set.",
    ),
    cfg.StrOpt(
        "ipa_password",
        secret=True,
        help="""Password of ``ipa_user``. When set, novajoin logs in with it instead
of the keytab. Prefer a keytab: a password in a config file is easier to leak.""",
    ),
    cfg.StrOpt(
        "cafile",
        default="/etc/ipa/ca.crt",
        help="CA bundle that verifies the IPA server's TLS certificate.",
    ),
    cfg.IntOpt(
        "connect_retries",
        default=2,
        min=0,
        help="""How many times to retry connecting to IPA before giving up.

Only failures to connect are retried: once a request has reached IPA it is
not sent again, because IPA commands are not all idempotent.""",
    ),
    cfg.FloatOpt(
        "retry_delay",
        default=1.0,
        min=0,
        help="""Seconds to wait before the first retry of a failed connection.

Each further retry waits twice as long as the one before, with jitter.""",
    ),
    cfg.FloatOpt(
        "ipa_connect_timeout",
        default=5.0,
        min=0.1,
        help="Seconds to wait for a TCP/TLS connection to IPA.",
    ),
    cfg.FloatOpt(
        "ipa_timeout",
        default=60.0,
        min=0.1,
        help="""Seconds to wait for IPA to answer a request once it was sent.

A large batch on a busy IPA can take tens of seconds; nova's own timeout for
vendordata calls ([api] vendordata_dynamic_read_timeout) should be larger.""",
    ),
    cfg.IntOpt(
        "ipa_max_concurrency",
        default=16,
        min=0,
        help="""How many requests one novajoin process may have in flight to IPA at once
(0: no limit).

This is the backpressure of a boot storm: beyond it, requests wait up to
ipa_queue_timeout for a free slot, then the API answers 503 at once (nova logs it and
the guest asks again later) and the listener requeues the notification. Size it to
what IPA can take divided by the number of novajoin processes.""",
    ),
    cfg.FloatOpt(
        "ipa_queue_timeout",
        default=2.0,
        min=0,
        help="Seconds a request waits for one of the ipa_max_concurrency slots.",
    ),
    cfg.IntOpt(
        "ipa_pool_size",
        default=16,
        min=1,
        help="How many HTTP connections to IPA a process keeps open for reuse.",
    ),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(ipa_opts)  # [DEFAULT], as in novajoin 1.x


def list_opts():
    return [("DEFAULT", ipa_opts)]
