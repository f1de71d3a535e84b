"""Options of novajoin-server, the enrollment API nova calls."""

from oslo_config import cfg

api_opts = [
    cfg.StrOpt("join_listen", default="0.0.0.0",  # noqa: S104 - a server's listen address
               help="IP address novajoin-server listens on."),
    cfg.PortOpt("join_listen_port", default=9090,
                help="""Port novajoin-server listens on.

nova reaches it through [api] vendordata_dynamic_targets, e.g.
join@http://127.0.0.1:9090/v1/."""),
    cfg.IntOpt("join_threads", default=64, min=1,
               help="""Worker threads of novajoin-server.

Each request waits on IPA while it enrolls a host; size this to the number of
concurrent metadata requests nova may send (boot storms), not to the cores."""),
    cfg.IntOpt("join_workers", default=1, min=1,
               help="""Processes of novajoin-server sharing the port (SO_REUSEPORT), to use
several cores. Each has its own clients and metrics: /metrics shows the process that
answered. To scrape every process, run one novajoin-server per port behind the
balancer instead (see the reference deployment)."""),
    cfg.FloatOpt("join_read_timeout", default=10.0, min=0.1,
                 help="""Seconds a client has to send a whole request, headers and body.

A client that sends its request slowly (slowloris) holds a server thread while it
does; after this long the connection is closed with 408. nova sends its request at
once."""),
    cfg.IntOpt("join_client_reading", default=0, min=0,
               help="""Connections one client address may have in the middle of sending a
request (0: half of join_threads). Requests already read and waiting on IPA do not
count, so a boot storm from one nova-api host is not limited; a client trickling
requests in cannot take more threads than this, and /healthcheck keeps answering."""),
    cfg.StrOpt("auth_strategy", default="keystone", choices=[
        ("keystone", "Validate nova's token with keystonemiddleware and apply policy."),
        ("noauth", "Accept every caller. For development only: anyone who can reach "
                   "the port can then create hosts in IPA.")],
        help="How callers are authenticated."),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(api_opts)


def list_opts():
    return [("DEFAULT", api_opts)]
