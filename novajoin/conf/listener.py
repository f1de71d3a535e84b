"""Options of novajoin-notify, the listener for nova and neutron notifications."""

from oslo_config import cfg

listener_opts = [
    cfg.StrOpt("notifications_topic", default="novajoin_notifications",
               help="""Topic novajoin-notify consumes. Add it to nova's
[oslo_messaging_notifications] topics (unversioned) and/or [notifications]
versioned_notifications_topics (versioned), and to neutron's
[oslo_messaging_notifications] topics. A dedicated topic keeps other consumers
(ceilometer...) from taking novajoin's messages."""),
    cfg.StrOpt("notification_format", default="both",
               choices=[("unversioned", "nova's legacy compute.instance.* events"),
                        ("versioned", "nova's instance.* events"),
                        ("both", "whichever nova sends; a duplicate is handled twice, "
                                 "harmlessly")],
               help="Which nova notification format to act on."),
    cfg.StrOpt("notification_pool",
               help="""Name of a listener pool. Listeners with the same pool share one
queue and split the work; without a pool every listener of the topic shares the
topic's own queue (also splitting the work). Set it only to run several
independent groups of listeners on one topic."""),
    cfg.StrOpt("nova_exchange", default="nova",
               help="AMQP exchange nova publishes on ([DEFAULT] control_exchange of nova)."),
    cfg.StrOpt("neutron_exchange", default="neutron",
               help="AMQP exchange neutron publishes on."),
    cfg.FloatOpt("requeue_delay", default=2.0, min=0,
                 help="""Seconds to wait before handing back a message that failed because
IPA (or Keystone/Neutron) was unavailable. Each further failure of the same message
waits twice as long, up to requeue_max_delay; such a message is never dropped."""),
    cfg.FloatOpt("requeue_max_delay", default=60.0, min=0,
                 help="Longest wait before handing back a failed message."),
    cfg.StrOpt("metrics_listen", default="127.0.0.1",
               help="Address novajoin-notify serves Prometheus metrics on."),
    cfg.PortOpt("metrics_listen_port", default=0,
                help="""Port of novajoin-notify's Prometheus metrics (/metrics); 0: none.
novajoin-server serves its metrics on its own port, at /metrics."""),
    cfg.IntOpt("ipa_gather_requests", default=4, min=0,
               help="""novajoin-notify: with this many requests to IPA in flight, the
commands of further notifications wait for one of them to come back and then go
to IPA together, in one batch (at most 100 commands). A request costs IPA much more
than a command of a batch, so a burst of deletes finishes sooner; a notification
handled alone is sent at once. Keep it near IPA's number of server processes;
0: each notification sends its own requests."""),
    cfg.IntOpt("max_attempts", default=10, min=1,
               help="""How often a message whose handling fails unexpectedly (not an
IPA outage) is tried before it is logged as an error and dropped."""),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(listener_opts)


def list_opts():
    return [("DEFAULT", listener_opts)]
